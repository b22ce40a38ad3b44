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

test('port starts the emulator on that port; a taken or invalid port is an error', async () => {
  // A free port: bind one with node:net, note it, release it, then ask for it.
  const { createServer } = await import('node:net');
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  const emulator = await Emulator.start({ port, rateLimit: 0 });
  try {
    assert.equal(emulator.baseUrl, `http://127.0.0.1:${port}/api/v1`);
    const client = new Delegir({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl, maxRetries: 0 });
    assert.equal((await client.agents.list()).length > 0, true);
    // The port is now taken: a second emulator cannot have it.
    await assert.rejects(Emulator.start({ port }), (e) => e instanceof Error && /could not start the emulator/.test(e.message));
  } finally {
    await emulator.stop();
  }
  for (const bad of [-1, 65536, 1e9]) {
    await assert.rejects(Emulator.start({ port: bad }), (e) => e instanceof RangeError && /port must be between 0 and 65535/.test(e.message), String(bad));
  }
  await assert.rejects(Emulator.start({ port: 80.5 }), TypeError);
  await assert.rejects(Emulator.start({ port: '8080' }), TypeError);
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

test('rate windows and limits out of range are RangeErrors naming the argument, not a crash', async () => {
  for (const rateWindow of [1e30, Infinity, NaN, -1, 0, 0.5, 86_400_001]) {
    await assert.rejects(
      Emulator.start({ rateWindow }),
      (e) => e instanceof RangeError && /rateWindow/.test(e.message),
      String(rateWindow),
    );
  }
  await assert.rejects(Emulator.start({ rateLimit: -1 }), (e) => e instanceof RangeError && /rateLimit/.test(e.message));
  const emulator = await Emulator.start({ rateLimit: 1, rateWindow: 86_400_000 });
  try {
    for (const windowMs of [1e30, Infinity, NaN, -5, 86_400_001]) {
      assert.throws(() => emulator.setRateLimit(1, windowMs), (e) => e instanceof RangeError && /windowMs/.test(e.message));
    }
    for (const limit of [-1, 2 ** 32]) {
      assert.throws(() => emulator.setRateLimit(limit), (e) => e instanceof RangeError && /limit/.test(e.message), String(limit));
    }
    assert.throws(() => emulator.setRateLimit(), TypeError);
  } finally {
    await emulator.stop();
  }
});

test('setRateLimit without a window keeps the current window', async () => {
  const emulator = await Emulator.start({ rateLimit: 0, rateWindow: 2000 });
  try {
    emulator.setRateLimit(5);
    const response = await fetch(`${emulator.adminUrl}/config`);
    assert.equal((await response.json()).data.rate_window_ms, 2000);
    emulator.setRateLimit(5, 3000);
    emulator.setRateLimit(6);
    assert.equal((await (await fetch(`${emulator.adminUrl}/config`)).json()).data.rate_window_ms, 3000);
  } finally {
    await emulator.stop();
  }
});

test('addFault refuses what the admin API refuses: unknown fault fields and invalid values', async () => {
  const emulator = await Emulator.start({ rateLimit: 0 });
  try {
    for (const fault of [
      { kind: 'status', status: 503, header: { 'Retry-After': '1' } },
      { kind: 'reset_before', count: 2 },
      { kind: 'status', status: 503, reset_in: 5 },
    ]) {
      assert.throws(() => emulator.addFault({ path: '/usage', fault }), (e) => e instanceof TypeError && /unknown field/.test(e.message));
    }
    for (const rule of [
      { path: '/usage', count: 0, fault: { kind: 'malformed' } },
      { path: '/usage', method: 'NOT A METHOD', fault: { kind: 'malformed' } },
      { path: '/usage', fault: { kind: 'status', status: 1000 } },
      { path: '/usage', fault: { kind: 'status', status: 103 } },
      { path: '/usage', fault: { kind: 'redirect', status: 200, location: '/x' } },
      { path: '/usage', fault: { kind: 'large', megabytes: 1, status: 204 } },
    ]) {
      assert.throws(() => emulator.addFault(rule), (e) => e instanceof RangeError && /invalid fault rule/.test(e.message), JSON.stringify(rule));
    }
    const client = new Delegir({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl, maxRetries: 0 });
    assert.equal((await client.usage.get()).plan, 'PRO', 'nothing was queued');
    emulator.addFault({ path: 'usage', fault: { kind: 'status', status: 500 } });
    await assert.rejects(client.usage.get(), InternalServerError, 'a path without a leading slash matches, as in Python');
  } finally {
    await emulator.stop();
  }
});
