// A panic in a synchronous export of the WebAssembly build (wasm-trap.test.mjs says why this
// matters): the exception goes to the caller of the export, and the panic hook ends the calls in
// flight before the trap, since no callback of the module sees it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { Delegir, DelegirError } from 'delegir/wasm';

const require = createRequire(import.meta.url);
const glue = require(join(dirname(require.resolve('delegir/package.json')), 'wasm', 'glue.cjs'));

const uncaught = [];
process.on('uncaughtException', (error) => uncaught.push(error));
process.on('unhandledRejection', (error) => uncaught.push(error));

test('a panic in a synchronous export ends the calls in flight through the panic hook', async () => {
  // A fetch that never answers (until the SDK aborts it).
  const fetch = (url, init) =>
    new Promise((_, reject) => init.signal.addEventListener('abort', () => reject(init.signal.reason)));
  const client = new Delegir({ apiKey: 'dlg_test_trap0000000002', baseUrl: 'http://127.0.0.1:9/api/v1', fetch, rateLimit: false });
  const waiting = client.agents.get('agt_abc123');
  await sleep(20);

  assert.throws(() => glue.__panicForTesting('sync boom for the test', false), WebAssembly.RuntimeError);

  const outcome = await Promise.race([waiting.then(() => 'resolved', (e) => e), sleep(2000, undefined, { ref: false }).then(() => 'pending')]);
  assert.ok(outcome instanceof DelegirError, String(outcome));
  assert.match(outcome.message, /stopped after a panic \(.*sync boom for the test/s);
  await assert.rejects(client.usage.get(), /stopped after a panic/);
  await sleep(50);
  assert.deepEqual(uncaught, []);
  assert.deepEqual(process.getActiveResourcesInfo().filter((r) => r === 'Timeout'), []);
});
