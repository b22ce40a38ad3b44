// The network scenarios in Node, against the components tests/network/run.sh started
// (components.sh exports where they are): nginx over HTTP/1.1 and h2 with a test CA, tinyproxy
// open and with BasicAuth, a dead proxy. Each test sets or unsets the proxy and CA variables
// itself: the client reads them when it is built. Run from build/node-scratch, where `delegir`
// is the installed package.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';

import { Delegir, DelegirError, APIConnectionError } from 'delegir';

const env = process.env;
const EMULATOR = env.NETWORK_EMULATOR;
const ADMIN = EMULATOR.replace('/api/v1', '/__emulator');
const { NETWORK_H1: H1, NETWORK_H2: H2, NETWORK_CA: CA, NETWORK_PROXY: PROXY } = env;
const { NETWORK_AUTH_PROXY: AUTH_PROXY, NETWORK_AUTH: AUTH, NETWORK_DEAD_PROXY: DEAD } = env;
const PASSWORD = AUTH.split(':')[1];
const ACTIVE = 'agt_abc123';
const VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy',
  'NO_PROXY', 'no_proxy', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'NODE_EXTRA_CA_CERTS'];

beforeEach(() => {
  for (const name of VARIABLES) delete env[name];
});

async function admin(method, path, key) {
  const response = await fetch(ADMIN + path, { method, headers: key ? { 'x-api-key': key } : {} });
  return (await response.json()).data;
}

const newKey = async () => (await admin('POST', '/keys')).api_key;

function proxied() {
  return readFileSync(env.NETWORK_PROXY_LOG, 'utf8')
    .split('\n')
    .filter((line) => line.includes('): ') && line.includes(' HTTP/1.'))
    .map((line) => line.slice(line.indexOf('): ') + 3));
}

/** Runs `count` calls of `call(i)`, `concurrency` at a time; the errors. */
async function pool(count, concurrency, call) {
  const errors = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await call(i).catch((e) => errors.push(e));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return errors;
}

const PROTOCOLS = [['HTTP/1.1', H1], ['h2', H2]];

test('2,000 calls at concurrency 64 through nginx over HTTP/1.1 and h2, without an error', async () => {
  const apiKey = await newKey();
  for (const [protocol, baseUrl] of PROTOCOLS) {
    const client = new Delegir({ apiKey, baseUrl, extraCaCerts: CA, maxRetries: 0, rateLimit: false });
    const errors = await pool(2000, 64, () => client.agents.get(ACTIVE));
    assert.equal(errors.length, 0, `${errors.length} errors over ${protocol}: ${errors.slice(0, 3).join('; ')}`);
  }
});

test('200 chats across keep-alive closes and GOAWAYs are each sent once', async () => {
  const apiKey = await newKey();
  for (const [protocol, baseUrl] of PROTOCOLS) {
    await admin('DELETE', '/journal', apiKey);
    const client = new Delegir({ apiKey, baseUrl, extraCaCerts: CA, maxRetries: 0, rateLimit: false });
    const errors = await pool(200, 16, (i) => client.agents.chat(ACTIVE, `chat ${i}`));
    const bodies = (await admin('GET', '/journal', apiKey)).filter((e) => e.method === 'POST').map((e) => e.body);
    assert.equal(new Set(bodies).size, bodies.length, `a chat was sent twice over ${protocol}`);
    assert.equal(errors.length, 0, `${errors.length} failed over ${protocol}: ${errors.slice(0, 3).join('; ')}`);
    assert.equal(bodies.length, 200);
  }
});

test('proxies from the environment and the option; NO_PROXY and trustEnv: false bypass them', async () => {
  const apiKey = await newKey();
  const tunnel = `CONNECT ${new URL(H2).host}`;
  for (const variable of ['HTTPS_PROXY', 'https_proxy', 'ALL_PROXY']) {
    env[variable] = PROXY;
    const before = proxied().length;
    await new Delegir({ apiKey, baseUrl: H2, extraCaCerts: CA }).usage.get();
    assert.deepEqual(proxied().slice(before).map((r) => r.startsWith(tunnel)), [true], variable);
    delete env[variable];
  }
  env.HTTP_PROXY = PROXY;
  let before = proxied().length;
  await new Delegir({ apiKey, baseUrl: EMULATOR }).usage.get();
  assert.ok(proxied()[before].startsWith(`GET ${EMULATOR}/usage `), proxied()[before]);

  env.HTTPS_PROXY = DEAD;
  env.HTTP_PROXY = DEAD;
  env.NO_PROXY = 'localhost,127.0.0.0/8';
  await new Delegir({ apiKey, baseUrl: H2, extraCaCerts: CA, maxRetries: 0 }).usage.get();
  await new Delegir({ apiKey, baseUrl: EMULATOR, maxRetries: 0 }).usage.get();
  delete env.NO_PROXY;
  await assert.rejects(new Delegir({ apiKey, baseUrl: H2, extraCaCerts: CA, maxRetries: 0 }).usage.get(), APIConnectionError);
  await new Delegir({ apiKey, baseUrl: H2, extraCaCerts: CA, maxRetries: 0, trustEnv: false }).usage.get();
  before = proxied().length;
  await new Delegir({ apiKey, baseUrl: H2, extraCaCerts: CA, proxy: PROXY }).usage.get();
  assert.equal(proxied().length, before + 1);
});

test('a NO_PROXY entry with a port bypasses the proxy for that port only', async () => {
  // A live proxy: its log, or the lack of a line in it, says which way each call went.
  const apiKey = await newKey();
  const { host, hostname } = new URL(EMULATOR);
  env.HTTP_PROXY = PROXY;
  env.NO_PROXY = `example.com,${host}`;
  const before = proxied().length;
  await new Delegir({ apiKey, baseUrl: EMULATOR, maxRetries: 0 }).usage.get();
  assert.deepEqual(proxied().slice(before), []);
  env.NO_PROXY = `${hostname}:1`;
  await new Delegir({ apiKey, baseUrl: EMULATOR, maxRetries: 0 }).usage.get();
  assert.deepEqual(proxied().slice(before).map((r) => r.startsWith(`GET ${EMULATOR}/usage `)), [true]);
});

test('a refusing or dead proxy fails clearly and the password is never shown or logged', async () => {
  const apiKey = await newKey();
  const lines = [];
  const logger = { debug: (m) => lines.push(String(m)), info: (m) => lines.push(String(m)), warn: (m) => lines.push(String(m)), error: (m) => lines.push(String(m)) };
  const good = new Delegir({ apiKey, baseUrl: H2, extraCaCerts: CA, proxy: `http://${AUTH}@${AUTH_PROXY}`, logger });
  await good.usage.get();
  assert.ok(!inspect(good).includes(PASSWORD));
  for (const proxy of [`http://${AUTH_PROXY}`, `http://alice:wrong@${AUTH_PROXY}`, DEAD.replace('//', `//${AUTH}@`)]) {
    const client = new Delegir({ apiKey, baseUrl: H2, extraCaCerts: CA, proxy, maxRetries: 0, logger });
    const error = await client.usage.get().then(() => assert.fail('no error'), (e) => e);
    assert.ok(error instanceof APIConnectionError, String(error));
    assert.match(error.message, /proxy http:\/\/127\.0\.0\.1:\d+/);
    assert.ok(!`${error.message} ${inspect(error)} ${inspect(client)} ${JSON.stringify(client)}`.includes(PASSWORD));
  }
  assert.ok(lines.length > 0);
  assert.ok(lines.every((line) => !line.includes(PASSWORD)));
});

test('a private CA by extraCaCerts and by NODE_EXTRA_CA_CERTS; a missing file names its source', async () => {
  const apiKey = await newKey();
  await assert.rejects(new Delegir({ apiKey, baseUrl: H2, maxRetries: 0 }).usage.get(), APIConnectionError);
  await new Delegir({ apiKey, baseUrl: H2, extraCaCerts: CA }).usage.get();
  env.NODE_EXTRA_CA_CERTS = CA;
  await new Delegir({ apiKey, baseUrl: H2 }).usage.get();
  env.NODE_EXTRA_CA_CERTS = `${CA}.missing`;
  assert.throws(() => new Delegir({ apiKey, baseUrl: H2 }), (e) => e instanceof DelegirError && /NODE_EXTRA_CA_CERTS/.test(e.message) && e.message.includes(`${CA}.missing`));
  delete env.NODE_EXTRA_CA_CERTS;
  assert.throws(() => new Delegir({ apiKey, baseUrl: H2, extraCaCerts: `${CA}.missing` }), /extraCaCerts/);
});
