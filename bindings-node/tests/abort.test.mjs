// AbortSignal: rejects at once, drops the Rust request, and the client stays usable.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

import { Delegir, APIUserAbortError, DelegirError } from 'delegir';
import { Emulator } from 'delegir/testing';

let emulator;

before(async () => {
  emulator = await Emulator.start({ rateLimit: 60 });
});
after(() => emulator.stop());

function fresh(options = {}) {
  const apiKey = emulator.newApiKey();
  return { apiKey, client: new Delegir({ apiKey, baseUrl: emulator.baseUrl, ...options }) };
}

async function journalOutcome(apiKey, predicate, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const entry = emulator.journal(apiKey).find(predicate);
    if (entry || Date.now() > deadline) return entry;
    await sleep(20);
  }
}

test('aborting rejects at once with APIUserAbortError and the server sees the client disconnect', async () => {
  const { apiKey, client } = fresh();
  await client.agents.list(); // the ledger's probe
  emulator.addFault({ method: 'GET', path: '/usage', apiKey, fault: { kind: 'delay', ms: 5000 } });
  const controller = new AbortController();
  const call = client.usage.get({ signal: controller.signal });
  await sleep(150);
  const started = performance.now();
  controller.abort();
  const error = await call.catch((e) => e);
  const elapsed = performance.now() - started;
  assert.ok(error instanceof APIUserAbortError, String(error));
  assert.ok(error instanceof DelegirError);
  assert.ok(elapsed < 50, `rejected after ${elapsed.toFixed(1)} ms`);
  const entry = await journalOutcome(apiKey, (e) => e.path.endsWith('/usage'));
  assert.ok(entry, 'the request reached the server');
  assert.equal(entry.outcome, 'client_disconnected');

  // The client is still usable, and promptly: the aborted call released its ledger place.
  const t0 = performance.now();
  const usage = await client.usage.get();
  assert.equal(usage.plan, 'PRO');
  assert.ok(performance.now() - t0 < 1000);
});

test('an aborted in-flight call gives its ledger place back', async () => {
  const limited = await Emulator.start({ rateLimit: 3, rateWindow: 60_000 });
  try {
    const client = new Delegir({ apiKey: limited.apiKey, baseUrl: limited.baseUrl });
    await client.usage.get(); // the ledger now knows: 2 requests left in this window
    limited.addFault({ method: 'GET', path: '/usage', fault: { kind: 'delay', ms: 3000 } });
    await assert.rejects(client.usage.get({ signal: AbortSignal.timeout(300) }), APIUserAbortError);
    const entry = await (async () => {
      const deadline = Date.now() + 3000;
      for (;;) {
        const found = limited.journal().find((e) => e.outcome === 'client_disconnected');
        if (found || Date.now() > deadline) return found;
        await sleep(20);
      }
    })();
    assert.ok(entry, 'the server saw the client go away');
    // The abandoned request counts as spent (the server may have counted it), leaving 1. Had it
    // also kept its in-flight place, the next call would wait for the window (60 s).
    const started = performance.now();
    const usage = await client.usage.get({ signal: AbortSignal.timeout(2000) });
    assert.equal(usage.plan, 'PRO');
    assert.ok(performance.now() - started < 2000);
  } finally {
    await limited.stop();
  }
});

test('an already aborted signal rejects without sending', async () => {
  const { apiKey, client } = fresh();
  await assert.rejects(client.agents.list({ signal: AbortSignal.abort() }), APIUserAbortError);
  const error = await client.agents.chat('agt_abc123', 'hi', { signal: AbortSignal.abort() }).catch((e) => e);
  assert.ok(error instanceof APIUserAbortError, String(error));
  // Nothing was sent, and the error says so (it said "may have reached the server").
  assert.equal(error.mayHaveReachedServer, false);
  assert.match(error.message, /aborted before it began/);
  assert.equal(emulator.journal(apiKey).length, 0);
});

test('AbortSignal.timeout aborts a slow call', async () => {
  const { apiKey, client } = fresh();
  emulator.addFault({ method: 'GET', path: '/agents', apiKey, fault: { kind: 'delay', ms: 3000 } });
  const started = performance.now();
  await assert.rejects(client.agents.list({ signal: AbortSignal.timeout(100) }), APIUserAbortError);
  assert.ok(performance.now() - started < 1000);
});

test('aborting a call held back by the ledger rejects at once and sends nothing', async () => {
  const limited = await Emulator.start({ rateLimit: 2, rateWindow: 60_000 });
  try {
    const client = new Delegir({ apiKey: limited.apiKey, baseUrl: limited.baseUrl, maxRateLimitWait: 120_000 });
    await client.agents.list();
    await client.agents.list(); // window spent: the ledger now holds calls back
    const controller = new AbortController();
    const waiting = client.usage.get({ signal: controller.signal });
    await sleep(100);
    controller.abort();
    await assert.rejects(waiting, APIUserAbortError);
    assert.equal(limited.journal().length, 2, 'the waiting call was never sent');
    limited.setRateLimit(0);
    limited.reset();
  } finally {
    await limited.stop();
  }
});

test('aborting a signal after the call settled does nothing', async () => {
  const { client } = fresh();
  const controller = new AbortController();
  const agents = await client.agents.list({ signal: controller.signal });
  controller.abort();
  assert.equal(agents.length, 2);
});

test('aborting stops an iteration', async () => {
  const { apiKey, client } = fresh();
  const controller = new AbortController();
  let n = 0;
  const iterate = (async () => {
    for await (const _run of client.agents.runs.iter('agt_abc123', { pageSize: 10 }, { signal: controller.signal })) {
      n += 1;
      if (n === 25) {
        emulator.addFault({ method: 'GET', path: '/agents/agt_abc123/runs', apiKey, fault: { kind: 'delay', ms: 5000 } });
      }
    }
  })();
  await sleep(300);
  controller.abort();
  await assert.rejects(iterate, APIUserAbortError);
  assert.equal(n, 30);
});

test('one signal shared by 30 calls aborts them all, with no MaxListenersExceededWarning', async () => {
  const { apiKey, client } = fresh();
  await client.agents.list(); // the ledger's probe
  emulator.addFault({ method: 'GET', path: '/usage', apiKey, fault: { kind: 'delay', ms: 5000 }, count: 30 });
  const warnings = [];
  const onWarning = (warning) => warnings.push(warning.name);
  process.on('warning', onWarning);
  try {
    const controller = new AbortController();
    const calls = Array.from({ length: 30 }, () => client.usage.get({ signal: controller.signal }).catch((e) => e));
    await sleep(100);
    controller.abort();
    const errors = await Promise.all(calls);
    assert.ok(errors.every((e) => e instanceof APIUserAbortError), String(errors.find((e) => !(e instanceof APIUserAbortError))));
    // Calls that ended on their own leave no listener: a later abort of the same signal's
    // successor changes nothing for them, and the client goes on.
    const done = new AbortController();
    await Promise.all(Array.from({ length: 20 }, () => client.agents.list({ signal: done.signal })));
    done.abort();
    await sleep(10);
    assert.deepEqual(warnings, []);
  } finally {
    process.off('warning', onWarning);
  }
});
