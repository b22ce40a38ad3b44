// Options that only make sense on one build, and the choice of build, under Node: the
// WebAssembly build honours `fetch` (how users plug in mocks and proxies) and refuses what only
// the native wire can do; the native addon refuses `fetch`. Run from a project where the packed
// tarball is installed (tests/runtimes/run.sh), against the emulator of DELEGIR_BASE_URL.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import * as native from 'delegir';
import * as wasm from 'delegir/wasm';

const options = { apiKey: process.env.DELEGIR_API_KEY, baseUrl: process.env.DELEGIR_BASE_URL };

test('delegir is the native addon under Node and delegir/wasm the WebAssembly build', () => {
  assert.equal(native.build(), 'native');
  assert.equal(wasm.build(), 'wasm');
});

test('the wasm build sends every request through the fetch function it was given', async () => {
  const seen = [];
  const client = new wasm.Delegir({
    ...options,
    fetch: (url, init) => {
      seen.push({ url, method: init.method, key: new Headers(init.headers).get('x-api-key') });
      return fetch(url, init);
    },
  });
  const agents = await client.agents.list();
  await client.agents.chat(agents[0].id, 'through my fetch');
  assert.deepEqual(
    seen.map((s) => [s.method, new URL(s.url).pathname]),
    [
      ['GET', '/api/v1/agents'],
      ['POST', `/api/v1/agents/${agents[0].id}/chat`],
    ],
  );
  assert.ok(seen.every((s) => s.key === options.apiKey));
});

test('a fetch that answers by itself is a mock: the SDK decodes what it returns', async () => {
  const client = new wasm.Delegir({
    ...options,
    fetch: async () => Response.json({ error: 'No such agent' }, { status: 404 }),
  });
  await assert.rejects(client.agents.get('agt_x'), (e) => e instanceof wasm.NotFoundError && e.status === 404 && e.message === 'No such agent');
});

test('a fetch that fails to connect is a connection error, and a GET is retried', async () => {
  let calls = 0;
  const client = new wasm.Delegir({
    ...options,
    maxRetries: 1,
    fetch: async () => {
      calls += 1;
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    },
  });
  await assert.rejects(client.agents.list(), (e) => e instanceof wasm.APIConnectionError && /ECONNREFUSED/.test(e.message));
  assert.equal(calls, 2);
});

test('a chat whose fetch fails after it may have been sent is not sent again', async () => {
  let calls = 0;
  const client = new wasm.Delegir({
    ...options,
    maxRetries: 3,
    fetch: async () => {
      calls += 1;
      throw new TypeError('fetch failed', { cause: new Error('other side closed') });
    },
  });
  await assert.rejects(client.agents.chat('agt_abc123', 'once'), (e) => e instanceof wasm.APIConnectionError && e.mayHaveReachedServer);
  assert.equal(calls, 1);
});

test('the native addon refuses a fetch function with a TypeError that says why', () => {
  assert.throws(
    () => new native.Delegir({ ...options, fetch }),
    (e) => e instanceof TypeError && /fetch option is only supported by the WebAssembly build/.test(e.message),
  );
});

test('the wasm build refuses the native wire options instead of ignoring them', () => {
  const refused = [
    [{ proxy: 'http://127.0.0.1:3128' }, /^proxy .*the host's fetch makes the connections/],
    [{ extraCaCerts: '/tmp/ca.pem' }, /^extraCaCerts .*the host's fetch/],
    [{ connectTimeout: 1000 }, /^connectTimeout .*the host's fetch/],
    [{ rateLimitStore: 'redis://127.0.0.1:6379' }, /^rateLimitStore .*connection to Redis/],
    [{ http2PriorKnowledge: true }, /not supported by the WebAssembly build/],
  ];
  for (const [extra, why] of refused) {
    assert.throws(
      () => new wasm.Delegir({ ...options, ...extra }),
      (e) =>
        e instanceof wasm.DelegirError &&
        /not supported by the WebAssembly build/.test(e.message) &&
        why.test(e.message),
      JSON.stringify(extra),
    );
  }
});

test('an aborted signal cancels a wasm call and a timeout is an APITimeoutError', async () => {
  const client = new wasm.Delegir({ ...options, maxRetries: 0 });
  const controller = new AbortController();
  const pending = client.agents.list({
    signal: controller.signal,
  });
  controller.abort();
  await assert.rejects(pending, (e) => e instanceof wasm.APIUserAbortError);
  const slow = new wasm.Delegir({
    ...options,
    maxRetries: 0,
    timeout: 200,
    fetch: (url, init) =>
      new Promise((_, reject) => init.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))),
  });
  await assert.rejects(slow.usage.get(), (e) => e instanceof wasm.APITimeoutError);
});

test('the key never shows in a wasm client or its errors', async () => {
  const client = new wasm.Delegir(options);
  const { inspect } = await import('node:util');
  assert.ok(!inspect(client).includes(options.apiKey));
  assert.ok(!JSON.stringify(client).includes(options.apiKey));
  const error = await client.agents.get('agt_missing').catch((e) => e);
  assert.ok(!inspect(error).includes(options.apiKey));
});
