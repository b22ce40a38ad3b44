// The CommonJS entry points, and one class identity shared with the ESM entry points.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const delegir = require('delegir');
const { Delegir, DelegirError, NotFoundError, APIStatusError } = require('delegir');
const { Emulator } = require('delegir/testing');

let emulator;

before(async () => {
  emulator = await Emulator.start({ rateLimit: 0 });
});
after(() => emulator.stop());

test('require("delegir") exports the client and every error class', () => {
  for (const name of [
    'Delegir',
    'DelegirError',
    'APIStatusError',
    'BadRequestError',
    'AuthenticationError',
    'NotFoundError',
    'RateLimitError',
    'InternalServerError',
    'APIConnectionError',
    'APITimeoutError',
    'APIResponseValidationError',
    'APIUserAbortError',
  ]) {
    assert.equal(typeof delegir[name], 'function', name);
  }
});

test('a call through the CommonJS entry point works and its errors are instanceof', async () => {
  const client = new Delegir({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl });
  assert.equal((await client.agents.list()).length, 2);
  const error = await client.agents.get('agt_missing').catch((e) => e);
  assert.ok(error instanceof NotFoundError);
  assert.ok(error instanceof APIStatusError);
  assert.ok(error instanceof DelegirError);
});

test('the ESM and CommonJS entry points share one copy of every class', async () => {
  const esm = await import('delegir');
  const esmTesting = await import('delegir/testing');
  assert.deepEqual(Object.keys(esm).sort(), Object.keys(delegir).sort());
  for (const name of Object.keys(delegir)) assert.equal(esm[name], delegir[name], name);
  assert.equal(esmTesting.Emulator, Emulator);
  const client = new esm.Delegir({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl });
  const error = await client.agents.get('agt_missing').catch((e) => e);
  assert.ok(error instanceof NotFoundError, 'an ESM-thrown error is instanceof the CJS class');
});

test('delegir/wasm under import and require: the same exports, and the shared classes of delegir', async () => {
  const wasm = require('delegir/wasm');
  const esmWasm = await import('delegir/wasm');
  assert.deepEqual(Object.keys(esmWasm).sort(), Object.keys(wasm).sort());
  for (const name of Object.keys(wasm)) assert.equal(esmWasm[name], wasm[name], name);
  // Everything but the client and `build` is the one copy both entry points export.
  assert.deepEqual(Object.keys(wasm).sort(), Object.keys(delegir).sort());
  for (const name of Object.keys(delegir)) {
    if (!['Delegir', 'build', 'default'].includes(name)) assert.equal(esmWasm[name], delegir[name], name);
  }
  assert.notEqual(esmWasm.Delegir, delegir.Delegir);
  assert.equal(esmWasm.build(), 'wasm');
});

test('the package exports map exposes only the public entry points', () => {
  assert.throws(() => require('delegir/dist/client.js'), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
  assert.equal(require('delegir/package.json').name, 'delegir');
});
