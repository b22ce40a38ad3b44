// The key never shows; the logger gets one record per attempt, without the key, ids or bodies.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';

import { Delegir } from 'delegir';
import { Delegir as WasmDelegir } from 'delegir/wasm';
import { Emulator } from 'delegir/testing';

let emulator;

before(async () => {
  emulator = await Emulator.start({ rateLimit: 0 });
});
after(() => emulator.stop());

test('util.inspect, console formatting and JSON.stringify never show the key', () => {
  const apiKey = emulator.newApiKey();
  const client = new Delegir({ apiKey, baseUrl: emulator.baseUrl });
  for (const text of [
    inspect(client),
    inspect(client, { showHidden: true, depth: Infinity }),
    inspect(client.agents, { showHidden: true, depth: Infinity }),
    inspect(client.agents.runs, { showHidden: true, depth: Infinity }),
    JSON.stringify(client),
    JSON.stringify({ client }),
    String(client),
    Object.keys(client).join(','),
  ]) {
    assert.ok(!text.includes(apiKey), text);
  }
  assert.match(inspect(client), /baseUrl/);
  assert.deepEqual(JSON.parse(JSON.stringify(client)), { baseUrl: emulator.baseUrl });
});

function recordingLogger() {
  const records = [];
  const logger = {};
  for (const level of ['debug', 'info', 'warn', 'error']) {
    logger[level] = (message, record) => records.push({ level, message, record });
  }
  return { logger, records };
}

test('the logger receives one record per attempt', async () => {
  const apiKey = emulator.newApiKey();
  const { logger, records } = recordingLogger();
  const client = new Delegir({ apiKey, baseUrl: emulator.baseUrl, logger });
  await client.agents.get('agt_abc123');
  await sleep(20);
  assert.equal(records.length, 1);
  const [{ level, message, record }] = records;
  assert.equal(level, 'debug');
  assert.match(message, /GET \/agents\/:id -> 200/);
  assert.equal(record.method, 'GET');
  assert.equal(record.route, '/agents/:id');
  assert.equal(record.status, 200);
  assert.equal(record.attempt, 1);
  assert.equal(typeof record.elapsedMs, 'number');
  assert.equal(typeof record.waitMs, 'number');
  assert.equal(record.error, null);
  assert.equal(record.willRetry, false);
});

test('retries are logged at info and the final failure at warn, never with the key, ids or bodies', async () => {
  const apiKey = emulator.newApiKey();
  const { logger, records } = recordingLogger();
  const client = new Delegir({ apiKey, baseUrl: emulator.baseUrl, logger });
  emulator.addFault({ method: 'PUT', path: '/agents/agt_abc123', apiKey, count: 3, fault: { kind: 'status', status: 500 } });
  await assert.rejects(client.agents.update('agt_abc123', { name: 'Secret name' }));
  await sleep(20);
  assert.deepEqual(records.map((r) => r.level), ['info', 'info', 'warn']);
  assert.deepEqual(records.map((r) => r.record.attempt), [1, 2, 3]);
  assert.deepEqual(records.map((r) => r.record.willRetry), [true, true, false]);
  assert.ok(records.every((r) => r.record.status === 500 && r.record.error === 'internal_server'));
  const text = JSON.stringify(records);
  for (const secret of [apiKey, 'agt_abc123', 'Secret name']) assert.ok(!text.includes(secret), secret);
});

test('logLevel filters records', async () => {
  const apiKey = emulator.newApiKey();
  const { logger, records } = recordingLogger();
  const client = new Delegir({ apiKey, baseUrl: emulator.baseUrl, logger, logLevel: 'info' });
  await client.agents.list();
  // A 404 is the caller's business: the core logs it at info (a success is debug, filtered out).
  await client.agents.get('agt_missing').catch(() => {});
  await sleep(20);
  assert.deepEqual(records.map((r) => r.level), ['info']);
  assert.equal(records[0].record.status, 404);
});

test('a logger that throws does not break calls', async () => {
  const boom = () => {
    throw new Error('logger failed');
  };
  const client = new Delegir({
    apiKey: emulator.newApiKey(),
    baseUrl: emulator.baseUrl,
    logger: { debug: boom, info: boom, warn: boom, error: boom },
  });
  assert.equal((await client.agents.list()).length, 2);
  await sleep(20);
});

for (const [build, D] of Object.entries({ native: Delegir, wasm: WasmDelegir })) {
  test(`${build}: a logger without the methods of one is a TypeError naming those missing`, () => {
    const options = { apiKey: emulator.newApiKey(), baseUrl: emulator.baseUrl };
    assert.throws(() => new D({ ...options, logger: {} }), {
      name: 'TypeError',
      message: 'logger must have the methods debug, info, warn, error (console has them); missing: debug, info, warn, error',
    });
    const noop = () => {};
    assert.throws(
      () => new D({ ...options, logger: { debug: noop, info: noop, warn: noop, eror: noop } }),
      (e) => e instanceof TypeError && e.message.endsWith('missing: error'),
    );
    assert.throws(() => new D({ ...options, logger: { debug: noop, info: 'x', warn: noop, error: noop } }), /missing: info$/);
    // Methods found through the prototype count (console, class instances).
    new D({ ...options, logger: console, logLevel: 'off' });
  });
}

test('an unknown DELEGIR_LOG is a process warning naming the levels, once, and logs nothing', async () => {
  const warnings = [];
  const onWarning = (w) => {
    if (w.code === 'DELEGIR_LOG') warnings.push(w.message);
  };
  process.on('warning', onWarning);
  const saved = process.env.DELEGIR_LOG;
  process.env.DELEGIR_LOG = 'verbose';
  try {
    const { logger, records } = recordingLogger();
    for (const D of [Delegir, WasmDelegir]) {
      const client = new D({ apiKey: emulator.newApiKey(), baseUrl: emulator.baseUrl });
      await client.usage.get();
      // With a logger, an ignored DELEGIR_LOG leaves its default (debug).
      await new D({ apiKey: emulator.newApiKey(), baseUrl: emulator.baseUrl, logger }).usage.get();
    }
    await sleep(50);
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.match(warnings[0], /^DELEGIR_LOG="verbose" is not a level and is ignored; the levels are debug, info, warn, error, off$/);
    assert.equal(records.length, 2);
  } finally {
    process.off('warning', onWarning);
    if (saved === undefined) delete process.env.DELEGIR_LOG;
    else process.env.DELEGIR_LOG = saved;
  }
});

test("a call's record reaches the logger before the call settles, on both builds", async () => {
  for (const Client of [Delegir, WasmDelegir]) {
    const apiKey = emulator.newApiKey();
    const { logger, records } = recordingLogger();
    const client = new Client({ apiKey, baseUrl: emulator.baseUrl, logger });
    const view = client.withOptions({ maxRetries: 0 });
    for (let i = 1; i <= 30; i++) {
      // A 404: the record a script that exits on the error would otherwise lose.
      const error = await view.agents.get('agt_missing').catch((e) => e);
      assert.equal(error?.status, 404);
      assert.equal(records.length, i, `${Client === Delegir ? 'native' : 'wasm'}: call ${i} settled before its record`);
      assert.equal(records.at(-1).record.status, 404);
    }
  }
});
