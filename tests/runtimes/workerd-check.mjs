// Drives the Worker served by workerd (tests/runtimes/workerd.sh) and checks what it did against
// the emulator's journal. Arguments: the Worker's URL, the work folder (for sizes).
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const [worker, work] = process.argv.slice(2);
const base = process.env.DELEGIR_BASE_URL;
const admin = process.env.DELEGIR_ADMIN_URL;

async function freshKey() {
  const response = await fetch(`${admin}/keys`, { method: 'POST' });
  return (await response.json()).data.api_key;
}

async function journal(key) {
  const response = await fetch(`${admin}/journal`, { headers: { 'X-API-Key': key } });
  return (await response.json()).data;
}

async function call(path, key, extra = '') {
  const started = performance.now();
  const url = `${worker}${path}?base=${encodeURIComponent(base)}&key=${encodeURIComponent(key)}${extra}`;
  const response = await fetch(url);
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return { body, ms: performance.now() - started };
}

// Cold start: the Worker's first request constructs the first client, which instantiates the
// WebAssembly module (workerd compiled it when it loaded the Worker); then a warm one.
const key = await freshKey();
const { body: first, ms: firstMs } = await call('/construct', key);
assert.equal(first.build, 'wasm');
const { ms: warmMs } = await call('/construct', key);
const { body: quick } = await call('/quickstart', key);
assert.equal(quick.build, 'wasm');
assert.deepEqual(quick.agents, ['agt_abc123', 'agt_def456']);
assert.equal(quick.runs, 1284, 'every run of agt_abc123, once');
assert.equal(quick.distinctRuns, 1284);
assert.match(quick.chat.runId, /^run_/);
assert.ok(quick.chat.tokensUsed > 0);
assert.deepEqual(
  { isNotFoundError: quick.notFound.isNotFoundError, name: quick.notFound.name, status: quick.notFound.status },
  { isNotFoundError: true, name: 'NotFoundError', status: 404 },
);

// 50 calls at once under 20 per 2 s: paced by the ledger, no 429.
const burstKey = await freshKey();
const { body: burst } = await call('/burst', burstKey, '&count=50');
assert.deepEqual(burst.failures, []);
assert.equal(burst.ok, 50);
// Three requests to the Worker at once on one key: each request's client has its own ledger
// (workerd forbids one request's code to resume another's), and none hangs.
const sharedKey = await freshKey();
const concurrent = await Promise.all([1, 2, 3].map(() => call('/burst', sharedKey, '&count=5')));
for (const { body } of concurrent) assert.deepEqual([body.ok, body.failures], [5, []]);
// Two requests at once, each on its own key and each waiting for the next window, then a
// request that leaves a call running, then retries after a 503 (a backoff sleep) in later
// requests: every sleep is on a timer of its own request. With one timer for the module, armed
// by whichever request slept first, the second request hung ("Worker's code had hung"), and so
// did every later sleep once that request had ended.
const pacedKeys = [await freshKey(), await freshKey()];
const paced = await Promise.all(pacedKeys.map((k) => call('/burst', k, '&count=25')));
for (const { body } of paced) assert.deepEqual([body.ok, body.failures], [25, []]);
await call('/leftRunning', await freshKey());
for (let i = 0; i < 2; i++) {
  const retryKey = await freshKey();
  const fault = { method: 'GET', path: '/api/v1/usage', fault: { kind: 'status', status: 503 }, count: 1 };
  const queued = await fetch(`${admin}/faults`, { method: 'POST', headers: { 'X-API-Key': retryKey }, body: JSON.stringify(fault) });
  assert.equal(queued.status, 200, await queued.text());
  await call('/usage', retryKey);
  assert.deepEqual((await journal(retryKey)).map((e) => e.status), [503, 200], 'retried once after its backoff');
}
const entries = [
  ...(await journal(key)),
  ...(await journal(burstKey)),
  ...(await journal(sharedKey)),
  ...(await journal(pacedKeys[0])),
  ...(await journal(pacedKeys[1])),
];
const limited = entries.filter((e) => e.status === 429);
assert.equal(limited.length, 0, `429s in the journal: ${JSON.stringify(limited.slice(0, 3))}`);
assert.equal((await journal(burstKey)).length, 50, 'each call sent once');

const out = join(work, 'out');
const files = readdirSync(out).filter((f) => f.endsWith('.js') || f.endsWith('.wasm'));
const raw = files.reduce((n, f) => n + statSync(join(out, f)).size, 0);
const gz = files.reduce((n, f) => n + gzipSync(readFileSync(join(out, f)), { level: 9 }).length, 0);
console.log(
  `workerd: quickstart (1,284 runs in ${Math.ceil(1284 / 100)} pages, chat, 404) ok; ` +
    `50 calls at 20/2 s: 0 429s in ${burst.ms} ms; 3 concurrent requests on one key ok; ` +
    `bundle ${(raw / 1024).toFixed(0)} KiB (${(gz / 1024).toFixed(0)} KiB gzip); ` +
    `first client (cold: instantiates the module) ${firstMs.toFixed(1)} ms, a later one ` +
    `${warmMs.toFixed(1)} ms (request round trips included)`,
);
