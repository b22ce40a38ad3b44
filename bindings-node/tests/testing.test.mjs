// delegir/testing itself: start options, keys, journal, faults, reset, revoke, rate limit, stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Delegir, AuthenticationError, InternalServerError, RateLimitError, APIConnectionError } from 'delegir';
import { Emulator } from 'delegir/testing';

test('start returns a loopback base URL, an admin URL and a well-formed key', async () => {
  const emulator = await Emulator.start();
  try {
    assert.match(emulator.baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/api\/v1$/);
    assert.match(emulator.adminUrl, /^http:\/\/127\.0\.0\.1:\d+\/__emulator$/);
    assert.match(emulator.apiKey, /^dlg_test_/);
    assert.notEqual(emulator.newApiKey(), emulator.apiKey);
  } finally {
    await emulator.stop();
  }
});

test('two emulators run side by side on different ports', async () => {
  const [a, b] = await Promise.all([Emulator.start(), Emulator.start()]);
  try {
    assert.notEqual(a.baseUrl, b.baseUrl);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});

test('each key sees its own data and its own journal', async () => {
  const emulator = await Emulator.start({ rateLimit: 0 });
  try {
    const first = new Delegir({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl });
    const otherKey = emulator.newApiKey();
    const other = new Delegir({ apiKey: otherKey, baseUrl: emulator.baseUrl });
    await first.agents.delete('agt_def456');
    assert.equal((await first.agents.list()).length, 1);
    assert.equal((await other.agents.list()).length, 2);
    assert.equal(emulator.journal(emulator.apiKey).length, 2);
    assert.equal(emulator.journal(otherKey).length, 1);
    const all = emulator.journal();
    assert.equal(all.length, 3);
    const [entry] = all;
    assert.equal(entry.seq, 1);
    assert.ok(entry.time instanceof Date);
    assert.equal(entry.method, 'DELETE');
    assert.equal(entry.path, '/api/v1/agents/agt_def456');
    assert.equal(entry.status, 200);
    assert.equal(entry.outcome, 'ok');
    assert.match(entry.keyFingerprint, /^[0-9a-f]{12}$/);
    assert.equal(typeof entry.elapsedMs, 'number');
    assert.ok(!JSON.stringify(all).includes(emulator.apiKey));

    emulator.clearJournal();
    assert.equal(emulator.journal().length, 0);
    emulator.reset(emulator.apiKey);
    assert.equal((await first.agents.list()).length, 2);
  } finally {
    await emulator.stop();
  }
});

test('addFault takes paths with or without the /api/v1 prefix, a count and a key', async () => {
  const emulator = await Emulator.start({ rateLimit: 0 });
  try {
    const client = new Delegir({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl, maxRetries: 0 });
    emulator.addFault({ method: 'GET', path: '/usage', count: 2, fault: { kind: 'status', status: 500 } });
    emulator.addFault({ method: 'GET', path: '/api/v1/agents', apiKey: emulator.newApiKey(), fault: { kind: 'status', status: 500 } });
    await assert.rejects(client.usage.get(), InternalServerError);
    await assert.rejects(client.usage.get(), InternalServerError);
    assert.equal((await client.usage.get()).plan, 'PRO');
    assert.equal((await client.agents.list()).length, 2, 'the fault scoped to another key does not apply');
    assert.deepEqual(emulator.journal().map((e) => e.outcome), ['fault:status', 'fault:status', 'ok', 'ok']);
    emulator.clearFaults();
    assert.throws(() => emulator.addFault({ path: '/usage', fault: { kind: 'no_such_kind' } }));
    assert.throws(
      () => emulator.addFault({ path: '/usage', times: 3, fault: { kind: 'status', status: 500 } }),
      (e) => e instanceof TypeError && /unknown key "times"/.test(e.message),
    );
    await assert.rejects(Emulator.start({ rate_limit: 0 }), (e) => e instanceof TypeError && /"rate_limit"/.test(e.message));
  } finally {
    await emulator.stop();
  }
});

test('revokeKey makes a key unauthorized until reset', async () => {
  const emulator = await Emulator.start({ rateLimit: 0 });
  try {
    const client = new Delegir({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl });
    emulator.revokeKey();
    await assert.rejects(client.agents.list(), AuthenticationError);
    assert.equal(emulator.journal().at(-1).outcome, 'unauthorized');
    emulator.reset();
    assert.equal((await client.agents.list()).length, 2);
  } finally {
    await emulator.stop();
  }
});

test('rateLimit and setRateLimit configure the window', async () => {
  const emulator = await Emulator.start({ rateLimit: 5, rateWindow: 60_000 });
  try {
    const client = new Delegir({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl, rateLimit: false, maxRetries: 0, maxRateLimitWait: 0 });
    await client.agents.list();
    assert.equal(client.rateLimit.limit, 5);
    emulator.setRateLimit(1, 60_000);
    await client.agents.list();
    await assert.rejects(client.agents.list(), RateLimitError);
    emulator.setRateLimit(0);
    await client.agents.list();
  } finally {
    await emulator.stop();
  }
});

test('stop closes the server and is idempotent', async () => {
  const emulator = await Emulator.start();
  const client = new Delegir({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl, maxRetries: 0 });
  await emulator.stop();
  await emulator.stop();
  await assert.rejects(client.agents.list(), APIConnectionError);
  assert.throws(() => emulator.journal());
});
