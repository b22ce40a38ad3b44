// A panic in the WebAssembly build ends every call with an error; it neither leaves a call
// pending nor ends the process. On wasm32 a Rust panic aborts and traps the module (panic =
// "unwind" needs a nightly toolchain), so the module is unusable afterwards: calls in flight,
// later calls and new clients all get a `DelegirError` that says so (bindings-wasm/src/calls.js).
//
// The panic is made on purpose by the module's testing export `__panicForTesting`, inside a task
// of the module's executor (the way a bug in a call would panic); wasm-trap-sync.test.mjs panics
// in a synchronous export instead. The module is per process and cannot come back, hence one
// test per file, run in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { Delegir, DelegirError, APIStatusError } from 'delegir/wasm';

const require = createRequire(import.meta.url);
const glue = require(join(dirname(require.resolve('delegir/package.json')), 'wasm', 'glue.cjs'));

// What reaches the host: must stay empty.
const uncaught = [];
process.on('uncaughtException', (error) => uncaught.push(error));
process.on('unhandledRejection', (error) => uncaught.push(error));

const AGENT = {
  id: 'agt_abc123', name: 'Support', status: 'active', safety_mode: true, template: null,
  total_runs: 3, last_active: null, created_at: '2026-01-01T00:00:00Z',
  config: { model: 'm', system_prompt: 's', temperature: 0.5, max_tokens: 10 }, channels: ['web'],
};
const ok = () => new Response(JSON.stringify({ data: AGENT }), { status: 200, headers: { 'content-type': 'application/json' } });

/** A fetch that answers the calls of agent `hang` only when `release()` is called. */
const held = [];
async function fetch(url, init) {
  if (url.endsWith('/agents/hang')) {
    return new Promise((resolve, reject) => {
      held.push({ answer: () => resolve(ok()), signal: init.signal });
      init.signal.addEventListener('abort', () => reject(init.signal.reason));
    });
  }
  return ok();
}
const release = () => held.forEach(({ answer }) => answer());

/** The outcome of `promise` within `ms`, or 'pending' (the timer does not keep Node alive). */
async function within(promise, ms = 2000) {
  const timer = sleep(ms, undefined, { ref: false }).then(() => 'pending');
  return Promise.race([promise.then((value) => ({ value }), (error) => ({ error })), timer]);
}

function assertStopped(outcome, what) {
  assert.notEqual(outcome, 'pending', `${what}: still pending`);
  assert.ok(outcome.error instanceof DelegirError, `${what}: ${outcome.error ?? 'resolved'}`);
  assert.ok(!(outcome.error instanceof APIStatusError), `${what}: not an API error`);
  assert.match(outcome.error.message, /WebAssembly module stopped after a panic/, what);
  assert.match(outcome.error.message, /boom for the test/, what);
}

test('a panic in a call ends every call in flight and every later one, and reaches nothing else', async () => {
  const client = new Delegir({ apiKey: 'dlg_test_trap0000000001', baseUrl: 'http://127.0.0.1:9/api/v1', fetch, rateLimit: false, maxRetries: 0 });
  assert.equal((await client.agents.get('agt_abc123')).id, 'agt_abc123');

  // In flight: two calls waiting for their response, one of them cancellable.
  const controller = new AbortController();
  const waiting = client.agents.get('hang');
  const cancellable = client.agents.get('hang', { signal: controller.signal });
  await sleep(20);
  assert.equal(held.length, 2);

  // The panic, in a task of the module's executor.
  const panicked = glue.__panicForTesting('boom for the test', true);
  assert.deepEqual((await within(panicked)).value?.code, 'internal');

  assertStopped(await within(waiting), 'a call in flight');
  assertStopped(await within(cancellable), 'a cancellable call in flight');

  // The trap aborted the requests in flight (they would hold connections, and keep Node alive).
  assert.deepEqual(held.map(({ signal }) => signal.aborted), [true, true]);

  // The module's callbacks after the trap: the held responses arrive (a fetch settling into the
  // module), the signal fires (a CancelToken into the module). Nothing may reach the host.
  release();
  controller.abort();
  await sleep(50);

  // Later calls fail at once, and so does a new client.
  assertStopped(await within(client.agents.get('agt_abc123'), 500), 'a later call');
  assertStopped(await within(client.agents.list(), 500), 'a later list');
  assert.throws(
    () => new Delegir({ apiKey: 'dlg_test_trap0000000001', baseUrl: 'http://127.0.0.1:9/api/v1', fetch }),
    (error) => error instanceof DelegirError && /WebAssembly module stopped after a panic/.test(error.message),
  );
  await sleep(50);
  assert.deepEqual(uncaught, []);
  // Nothing of the dead module keeps the event loop alive: its host timers (armed for the calls'
  // 60 s attempt timeouts) were cleared.
  assert.deepEqual(process.getActiveResourcesInfo().filter((r) => r === 'Timeout'), []);
});
