// The network options: allowInsecureHttp, proxy, trustEnv and extraCaCerts. What needs a real
// proxy, nginx and a private CA is in tests/network/ (run by tests/network/run.sh); here, what the
// options do with the emulator alone.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';

import { Delegir, DelegirError, APIConnectionError } from 'delegir';
import { Emulator } from 'delegir/testing';

const KEY = 'dlg_test_0123456789abcdef';
const PASSWORD = 'pr0xy-s3cret';
const VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy'];

beforeEach(() => {
  for (const name of VARIABLES) delete process.env[name];
});

/** A proxy URL (with credentials) on a port where nothing listens. */
async function deadProxy() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return `http://alice:${PASSWORD}@127.0.0.1:${port}`;
}

async function withEmulator(body) {
  const emulator = await Emulator.start({ rateLimit: 0 });
  try {
    await body(emulator);
  } finally {
    await emulator.stop();
  }
}

test('plain http to a remote host needs allowInsecureHttp', () => {
  assert.throws(() => new Delegir({ apiKey: KEY, baseUrl: 'http://api.example.com/api/v1' }), /allowInsecureHttp|allow_insecure_http/);
  const client = new Delegir({ apiKey: KEY, baseUrl: 'http://api.example.com/api/v1', allowInsecureHttp: true });
  assert.equal(client.baseUrl, 'http://api.example.com/api/v1');
});

test('network options of the wrong type are TypeErrors', () => {
  for (const options of [{ proxy: 3128 }, { trustEnv: 'no' }, { extraCaCerts: 1 }, { connectTimeout: '5' }]) {
    assert.throws(() => new Delegir({ apiKey: KEY, ...options }), TypeError);
  }
});

test('connectTimeout is milliseconds greater than zero', () =>
  withEmulator(async (emulator) => {
    assert.throws(() => new Delegir({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl, connectTimeout: 0 }), /connectTimeout/);
    const client = new Delegir({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl, connectTimeout: 2500 });
    assert.equal((await client.agents.get('agt_abc123')).id, 'agt_abc123');
  }));

test('a proxy from the environment is used, never bypassed; trustEnv: false and NO_PROXY skip it', () =>
  withEmulator(async (emulator) => {
    process.env.HTTP_PROXY = await deadProxy();
    const client = new Delegir({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl, maxRetries: 0 });
    const error = await client.usage.get().then(() => assert.fail('no error'), (e) => e);
    assert.ok(error instanceof APIConnectionError, String(error));
    assert.match(error.message, /proxy http:\/\/127\.0\.0\.1:\d+/);
    assert.ok(!`${error.message} ${inspect(error)}`.includes(PASSWORD));
    assert.equal(emulator.journal().length, 0, 'the call went direct');
    await new Delegir({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl, trustEnv: false }).usage.get();
    process.env.NO_PROXY = '127.0.0.0/8';
    await new Delegir({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl }).usage.get();
  }));

test('the proxy option overrides the environment; its password is never shown', () =>
  withEmulator(async (emulator) => {
    const client = new Delegir({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl, proxy: await deadProxy(), maxRetries: 0 });
    const error = await client.usage.get().then(() => assert.fail('no error'), (e) => e);
    assert.ok(error instanceof APIConnectionError);
    assert.ok(!`${error.message} ${inspect(error)} ${inspect(client)} ${JSON.stringify(client)}`.includes(PASSWORD));
    assert.throws(
      () => new Delegir({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl, proxy: `socks5://alice:${PASSWORD}@127.0.0.1:1080` }),
      (e) => e instanceof DelegirError && /only http:\/\/ proxies/.test(e.message) && !e.message.includes(PASSWORD),
    );
  }));

test('extraCaCerts must name a file of certificates', () => {
  const dir = mkdtempSync(join(tmpdir(), 'delegir-ca-'));
  const https = 'https://api.example.com/api/v1';
  assert.throws(() => new Delegir({ apiKey: KEY, baseUrl: https, extraCaCerts: join(dir, 'missing.pem') }), (e) =>
    e instanceof DelegirError && e.message.includes('missing.pem') && e.message.includes('extraCaCerts'));
  writeFileSync(join(dir, 'empty.pem'), 'not a certificate\n');
  assert.throws(() => new Delegir({ apiKey: KEY, baseUrl: https, extraCaCerts: join(dir, 'empty.pem') }), /no PEM certificate/);
  // PEM text where the path belongs: said so, not echoed back as a file name.
  const pem = `-----BEGIN CERTIFICATE-----\n${'A'.repeat(900)}\n-----END CERTIFICATE-----\n`;
  assert.throws(() => new Delegir({ apiKey: KEY, baseUrl: https, extraCaCerts: pem }), (e) =>
    e instanceof DelegirError && /is PEM text, not a path/.test(e.message) && !e.message.includes('AAAAAAAA'));
});

test('wasm under Node: a proxy variable that its fetch does not read is one process warning, without its password', async () => {
  const { Delegir: WasmDelegir } = await import('delegir/wasm');
  const emulator = await Emulator.start({ rateLimit: 0 });
  const warnings = [];
  const onWarning = (w) => {
    if (w.code === 'DELEGIR_PROXY_ENV') warnings.push(w.message);
  };
  process.on('warning', onWarning);
  const saved = { HTTPS_PROXY: process.env.HTTPS_PROXY, NO_PROXY: process.env.NO_PROXY };
  // Bypassed for the emulator anyway: undici's fetch goes direct whatever the variables say.
  process.env.HTTPS_PROXY = 'http://user:pr0xy-pass@127.0.0.1:1';
  try {
    const options = { apiKey: emulator.apiKey, baseUrl: emulator.baseUrl };
    // A fetch of the user's own, or trustEnv: false: the variables are not the SDK's to read.
    await new WasmDelegir({ ...options, fetch: (url, init) => fetch(url, init) }).usage.get();
    await new WasmDelegir({ ...options, trustEnv: false }).usage.get();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(warnings, []);
    for (let i = 0; i < 2; i++) await new WasmDelegir(options).usage.get();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.match(warnings[0], /HTTPS_PROXY is set but not used by the WebAssembly build/);
    assert.match(warnings[0], /NODE_USE_ENV_PROXY/);
    assert.ok(!warnings[0].includes('pr0xy-pass'));
  } finally {
    process.off('warning', onWarning);
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await emulator.stop();
  }
});
