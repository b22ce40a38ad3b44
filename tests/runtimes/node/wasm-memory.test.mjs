// The WebAssembly build does not grow with the calls it has made, whatever they ended in: a
// Worker or a long-lived server makes millions. What a call leaks in wasm would show as linear
// memory that grows (dlmalloc never returns pages, so a leak of a few bytes a call grows it by
// 64 KiB pages), a JavaScript value held from Rust as a table of references that grows (each
// held value takes a slot of `__wbindgen_externrefs`). The same workload runs twice; after the
// first pass has sized both for 64 calls at once, the second must not grow them. Then 2,000
// calls held at once must grow the table: the counter is live.
//
// The counters are the module's own: `initSync` hands back the exports of the instance the
// package already made (wasm-bindgen's glue instantiates once per process).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setImmediate as macrotask } from 'node:timers/promises';

import * as wasm from 'delegir/wasm';

const require = createRequire(import.meta.url);
const glue = require(join(dirname(require.resolve('delegir/package.json')), 'wasm', 'glue.cjs'));

const AGENT = {
  id: 'agt_abc123', name: 'Support', status: 'active', safety_mode: true, template: null,
  total_runs: 3, last_active: null, created_at: '2026-01-01T00:00:00Z',
  config: { model: 'm', system_prompt: 's', temperature: 0.5, max_tokens: 10 }, channels: ['web'],
};
const OK = new TextEncoder().encode(JSON.stringify({ data: AGENT }));

/** What the canned fetch answers, by the call's agent id. */
const outcomes = {
  ok: () => new Response(OK, { status: 200, headers: { 'content-type': 'application/json' } }),
  500: () => new Response('{"error":"boom"}', { status: 500, headers: { 'content-type': 'application/json' } }),
  truncated: () => new Response('{"data":{"id":', { status: 200 }),
  // Resolving to something that is not a Response.
  null: () => null,
  refused: () => { throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }); },
};

async function cannedFetch(url, init) {
  await macrotask();
  // As fetch does: a signal aborted meanwhile rejects at once. (Waiting for an `abort` event that
  // has already fired would never settle: on a loaded machine a 5 ms timeout fires before the
  // macrotask, and those fetches, holding their slots forever, grew the second pass.)
  if (init.signal.aborted) throw init.signal.reason;
  const kind = decodeURIComponent(new URL(url).pathname.split('/').pop());
  if (kind === 'hang') {
    // Never answers; settles only when the SDK aborts the attempt.
    return new Promise((_, reject) => init.signal.addEventListener('abort', () => reject(init.signal.reason)));
  }
  return outcomes[kind]();
}

/**
 * Calls of each kind per pass: enough that a leak of 8 bytes a call (a slot, a waker) grows the
 * memory by pages between passes (a test fetch that never settles, which keeps its slot by
 * design, makes this test fail).
 */
const PER_KIND = 2000;

/** Every kind of ending, 64 calls at once: successes, errors of each class, timeouts, aborts. */
async function workload(client) {
  const calls = [];
  for (let i = 0; i < PER_KIND; i++) {
    calls.push(() => client.agents.get('ok'));
    calls.push(() => client.agents.get('500'));
    calls.push(() => client.agents.get('truncated'));
    calls.push(() => client.agents.get('null'));
    calls.push(() => client.agents.get('refused'));
    calls.push(() => client.agents.get('hang', { timeout: 5 }));
    calls.push(() => client.agents.get('hang', { timeout: 60_000, signal: AbortSignal.timeout(5) }));
  }
  const endings = new Map();
  let next = 0;
  await Promise.all(Array.from({ length: 64 }, async () => {
    while (next < calls.length) {
      const call = calls[next++];
      let ending = 'ok';
      try {
        await call();
      } catch (error) {
        ending = error.name;
      }
      endings.set(ending, (endings.get(ending) ?? 0) + 1);
    }
  }));
  return endings;
}

test('calls that end in every way leave the module no larger', async () => {
  const client = new wasm.Delegir({
    apiKey: 'dlg_test_wasmmemory0000001',
    baseUrl: 'http://127.0.0.1:9/api/v1',
    fetch: cannedFetch,
    maxRetries: 0,
    rateLimit: false,
  });
  await client.agents.get('ok');
  const exports = glue.initSync({ module: new Uint8Array(0) });
  const size = () => ({ memory: exports.memory.buffer.byteLength, references: exports.__wbindgen_externrefs.length });
  const before = size();

  const endings = await workload(client);
  // Each kind of ending happened (so the passes below cover them all).
  assert.deepEqual(Object.fromEntries(endings), {
    ok: PER_KIND,
    InternalServerError: PER_KIND,
    APIResponseValidationError: PER_KIND,
    APIConnectionError: 2 * PER_KIND,
    APITimeoutError: PER_KIND,
    APIUserAbortError: PER_KIND,
  });
  const warmed = size();

  await workload(client);
  assert.deepEqual(size(), warmed);

  // The counters can see a leak: 2,000 calls held at once (each attempt holds its fetch's
  // AbortController from Rust) grow the reference table, where the passes' 64 fit in it.
  const held = Array.from({ length: 2000 }, () =>
    client.agents.get('hang', { timeout: 60_000, signal: AbortSignal.timeout(200) }).catch((e) => e.name));
  await macrotask();
  await macrotask();
  const holding = size();
  assert.ok(holding.references > warmed.references, JSON.stringify({ before, warmed, holding }));
  assert.deepEqual(new Set(await Promise.all(held)), new Set(['APIUserAbortError']));
});
