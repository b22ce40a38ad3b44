// The process exits on its own once the user's work is done: no runtime thread or handle keeps
// it alive. Each case runs a child `node` against an emulator started here, in the parent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';

import { Emulator } from 'delegir/testing';

let emulator;

before(async () => {
  emulator = await Emulator.start({ rateLimit: 0 });
});
after(() => emulator.stop());

/** Runs `source` as an ES module in a child node; resolves with its exit code, output and time. */
function runChild(source, env = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', source], {
      cwd: process.cwd(),
      env: { ...process.env, DELEGIR_API_KEY: emulator.newApiKey(), DELEGIR_BASE_URL: emulator.baseUrl, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}

const cases = {
  'one call': `
    import { Delegir } from 'delegir';
    const client = new Delegir();
    console.log((await client.agents.list()).length);`,
  'calls with a signal, a logger and an unfinished iterator': `
    import { Delegir } from 'delegir';
    const client = new Delegir({ logger: { debug() {}, info() {}, warn() {}, error() {} } });
    const controller = new AbortController();
    await client.usage.get({ signal: controller.signal });
    const it = client.agents.runs.iter('agt_abc123', { pageSize: 10 });
    await it.next();
    console.log('ok');`,
  'a failed call': `
    import { Delegir } from 'delegir';
    const client = new Delegir();
    await client.agents.get('agt_missing').catch((e) => console.log(e.name));`,
  'an emulator started and not stopped': `
    import { Delegir } from 'delegir';
    import { Emulator } from 'delegir/testing';
    const emulator = await Emulator.start();
    const client = new Delegir({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl });
    console.log((await client.agents.list()).length);`,
};

for (const [name, source] of Object.entries(cases)) {
  test(`the process exits on its own within 2 s after ${name}`, async () => {
    const result = await runChild(source);
    assert.equal(result.signal, null, `killed: ${result.stderr}`);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.stdout.trim().length > 0);
    assert.ok(result.ms < 2000, `exited after ${result.ms.toFixed(0)} ms`);
  });
}

test('DELEGIR_LOG=debug writes one line per attempt to stderr, never the key', async () => {
  const apiKey = emulator.newApiKey();
  const result = await runChild(
    `
    import { Delegir } from 'delegir';
    const client = new Delegir();
    await client.agents.list();
    await client.agents.get('agt_abc123');
    await new Promise((r) => setTimeout(r, 50));`,
    { DELEGIR_LOG: 'debug', DELEGIR_API_KEY: apiKey },
  );
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 2, result.stderr);
  assert.match(lines[0], /GET \/agents -> 200/);
  assert.match(lines[1], /GET \/agents\/:id -> 200/);
  assert.ok(!result.stderr.includes(apiKey));
  assert.ok(!result.stderr.includes('agt_abc123'));
});

// Promises are settled in batches through one threadsafe function per JavaScript thread, which
// keeps Node alive only while calls are in flight (src/completion.rs).
test('calls in flight keep the process alive until they settle, even when nothing awaits them', async () => {
  const apiKey = emulator.newApiKey();
  emulator.addFault({ method: 'GET', path: '/agents/agt_abc123', count: 1, fault: { kind: 'delay', ms: 600 }, apiKey });
  const result = await runChild(
    `
    import { Delegir } from 'delegir';
    const client = new Delegir();
    client.agents.get('agt_abc123').then((a) => console.log('settled', a.id));`,
    { DELEGIR_API_KEY: apiKey },
  );
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.trim(), 'settled agt_abc123');
  assert.ok(result.ms >= 600, `exited after ${result.ms.toFixed(0)} ms, before the call settled`);
});

test('a burst of concurrent calls settles every promise with its own result', async () => {
  const { Delegir } = await import('delegir');
  const client = new Delegir({ apiKey: emulator.newApiKey(), baseUrl: emulator.baseUrl, rateLimit: false });
  const ids = Array.from({ length: 500 }, (_, i) => (i % 3 === 0 ? 'agt_missing' : 'agt_abc123'));
  const results = await Promise.allSettled(ids.map((id) => client.agents.get(id)));
  results.forEach((r, i) => {
    if (ids[i] === 'agt_missing') {
      assert.equal(r.status, 'rejected');
      assert.equal(r.reason.name, 'NotFoundError');
    } else {
      assert.equal(r.status, 'fulfilled');
      assert.equal(r.value.id, 'agt_abc123');
    }
  });
});

test('calls from worker threads settle on their own thread, and the workers exit', async () => {
  const { Worker } = await import('node:worker_threads');
  // CommonJS, evaluated: `require` resolves 'delegir' from the working directory, as the tests do.
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { Delegir } = require('delegir');
    const client = new Delegir({ apiKey: workerData.apiKey, baseUrl: workerData.baseUrl, rateLimit: false });
    Promise.all(Array.from({ length: 20 }, () => client.agents.get('agt_abc123'))).then((agents) =>
      parentPort.postMessage(agents.map((a) => a.id).join(',')));`;
  const runWorker = () =>
    new Promise((resolve, reject) => {
      const worker = new Worker(source, {
        eval: true,
        workerData: { apiKey: emulator.newApiKey(), baseUrl: emulator.baseUrl },
      });
      let message;
      worker.on('message', (m) => (message = m));
      worker.on('error', reject);
      worker.on('exit', (code) => resolve({ code, message }));
    });
  const [a, b] = await Promise.all([runWorker(), runWorker()]);
  for (const r of [a, b]) {
    assert.equal(r.code, 0);
    assert.equal(r.message, Array(20).fill('agt_abc123').join(','));
  }
});

test('the addon first loaded by a worker that exits keeps working in later workers and the main thread', async () => {
  // The first `new Delegir` loads the addon; here it happens in a worker thread that then exits,
  // as in a worker pool. With mimalloc 3.x as the addon's allocator, the next thread to
  // allocate through it (another worker, the main thread) killed the process with SIGSEGV.
  const r = await runChild(`
    import { Worker } from 'node:worker_threads';
    const source = \`
      const { parentPort } = require('node:worker_threads');
      const { Delegir } = require('delegir');
      new Delegir({ rateLimit: false }).agents.get('agt_abc123').then((a) => parentPort.postMessage(a.id));\`;
    const inWorker = () => new Promise((resolve, reject) => {
      // execArgv: not the parent's --input-type=module, so the source is CommonJS.
      const worker = new Worker(source, { eval: true, execArgv: [] });
      let id;
      worker.on('message', (m) => (id = m));
      worker.on('error', reject);
      worker.on('exit', (code) => resolve(code + ':' + id));
    });
    const ids = [await inWorker(), await inWorker()];
    const { Delegir } = await import('delegir');
    ids.push((await new Delegir({ rateLimit: false }).agents.get('agt_abc123')).id);
    console.log(ids.join(' '));
  `);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), '0:agt_abc123 0:agt_abc123 agt_abc123');
});

// The runtime's workers leave a core to the JavaScript thread (cores - 1, at least one) unless
// TOKIO_WORKER_THREADS says otherwise. Counted through /proc, so Linux only.
const countWorkers = `
  import { readdirSync, readFileSync } from 'node:fs';
  import { Delegir } from 'delegir';
  await new Delegir().usage.get();
  const names = readdirSync('/proc/self/task').map((t) => readFileSync('/proc/self/task/' + t + '/comm', 'utf8').trim());
  console.log(names.filter((n) => n === 'delegir-runtime').length);
`;

test('the runtime leaves a core to the JavaScript thread unless told otherwise', { skip: process.platform !== 'linux' }, async () => {
  const cores = (await import('node:os')).availableParallelism();
  // An empty value counts as unset.
  const byDefault = await runChild(countWorkers, { TOKIO_WORKER_THREADS: '' });
  assert.equal(byDefault.code, 0, byDefault.stderr);
  const workers = Number(byDefault.stdout.trim());
  assert.ok(workers >= 1 && workers <= Math.max(1, cores - 1), `${workers} workers on ${cores} cores`);
  const explicit = await runChild(countWorkers, { TOKIO_WORKER_THREADS: '3' });
  assert.equal(explicit.code, 0, explicit.stderr);
  assert.equal(Number(explicit.stdout.trim()), 3);
});
