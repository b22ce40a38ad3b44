// rateLimitStore: the option reaches the core; a bad URL is refused without echoing its password;
// a store that cannot be reached leaves calls working with one process warning that shows the URL
// without its password. (The shared ledger itself runs in tests/redis/run.sh against a real Redis.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { inspect } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';

import { Delegir, DelegirError } from 'delegir';
import { Delegir as WasmDelegir } from 'delegir/wasm';
import { Emulator } from 'delegir/testing';

async function closedPort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('a store URL of another scheme is refused without its password', async () => {
  const emulator = await Emulator.start({ rateLimit: 0 });
  try {
    assert.throws(
      () => new Delegir({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl, rateLimitStore: 'http://:hunter2pw@cache:6379' }),
      (e) => e instanceof DelegirError && !e.message.includes('hunter2pw') && e.message.includes('the rateLimitStore argument'),
    );
    assert.throws(
      () => new Delegir({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl, rateLimitStore: 6379 }),
      TypeError,
    );
  } finally {
    await emulator.stop();
  }
});

test('an unreachable store leaves calls working with one warning without the password', async () => {
  const emulator = await Emulator.start({ rateLimit: 0 });
  const warnings = [];
  const onWarning = (w) => {
    if (w.code === 'DELEGIR_RATE_LIMIT_STORE') warnings.push(w.message);
  };
  process.on('warning', onWarning);
  try {
    const port = await closedPort();
    const client = new Delegir({
      apiKey: emulator.apiKey,
      baseUrl: emulator.baseUrl,
      rateLimitStore: `redis://:hunter2pw@127.0.0.1:${port}/0`,
    });
    assert.ok(!inspect(client).includes('hunter2pw'));
    for (let i = 0; i < 20; i++) await client.usage.get();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.ok(warnings[0].includes(`redis://:***@127.0.0.1:${port}/0`), warnings[0]);
    assert.ok(!warnings[0].includes('hunter2pw'));
  } finally {
    process.off('warning', onWarning);
    await emulator.stop();
  }
});

test('wasm: DELEGIR_RATE_LIMIT_STORE is not silently ignored: one process warning, and calls work', async () => {
  const emulator = await Emulator.start({ rateLimit: 0 });
  const warnings = [];
  const onWarning = (w) => {
    if (w.code === 'DELEGIR_RATE_LIMIT_STORE') warnings.push(w.message);
  };
  process.on('warning', onWarning);
  const saved = process.env.DELEGIR_RATE_LIMIT_STORE;
  process.env.DELEGIR_RATE_LIMIT_STORE = 'redis://:hunter2pw@127.0.0.1:1/0';
  try {
    const options = { apiKey: emulator.apiKey, baseUrl: emulator.baseUrl };
    // With the ledger off, the variable is not read (as on the native addon): no warning.
    await new WasmDelegir({ ...options, rateLimit: false }).usage.get();
    await sleep(20);
    assert.equal(warnings.length, 0, JSON.stringify(warnings));
    for (let i = 0; i < 3; i++) await new WasmDelegir(options).usage.get();
    await sleep(20);
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.match(warnings[0], /WebAssembly build of delegir cannot reach Redis/);
    assert.match(warnings[0], /each client keeps a rate-limit ledger of its own/);
    assert.ok(!warnings[0].includes('hunter2pw'));
  } finally {
    process.off('warning', onWarning);
    if (saved === undefined) delete process.env.DELEGIR_RATE_LIMIT_STORE;
    else process.env.DELEGIR_RATE_LIMIT_STORE = saved;
    await emulator.stop();
  }
});
