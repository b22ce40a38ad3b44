// Soak driver for the Node SDK (run by scripts/soak.sh from build/node-scratch): N calls through
// Delegir against a running emulator with a random fault queued before about 1% of them; prints
// calls, errors by class, RSS and open file descriptors (before any call, after a warm-up of 200
// calls without faults, and at the end) as one JSON line.
//
//   node tests/soak/soak.mjs BASE_URL ADMIN_URL CALLS
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';

import { Delegir } from 'delegir';

const [baseUrl, adminUrl, callsArg, faultsPath] = process.argv.slice(2);
const calls = Number(callsArg);
const AGENT = 'agt_abc123';
const WORKERS = 8;
const WARM_UP = 200;
const FAULTS = JSON.parse(readFileSync(faultsPath, 'utf8'));

const rssKib = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
const fds = () => readdirSync('/proc/self/fd').length;
const heapKib = () => Math.round(process.memoryUsage().heapUsed / 1024);

/** One admin request on its own connection (no keep-alive pool to skew the fd count). */
function admin(path, method, body, key) {
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/json' };
    if (key) headers['x-api-key'] = key;
    const req = request(`${adminUrl}${path}`, { method, headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve(JSON.parse(text).data));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}


const key = (await admin('/keys', 'POST')).api_key;
const client = new Delegir({ apiKey: key, baseUrl, timeout: 5000 });
const mix = [
  ['GET', '/agents', () => client.agents.list()],
  ['GET', `/agents/${AGENT}`, () => client.agents.get(AGENT)],
  ['GET', '/usage', () => client.usage.get()],
  ['GET', `/agents/${AGENT}/runs`, () => client.agents.runs.list(AGENT, { limit: 5 })],
  ['GET', `/agents/${AGENT}`, () => client.agents.get(AGENT)],
  ['GET', '/usage', () => client.usage.get()],
  ['GET', '/agents', () => client.agents.list()],
  ['GET', `/agents/${AGENT}/runs`, () => client.agents.runs.list(AGENT, { offset: 10 })],
  ['GET', `/agents/${AGENT}`, () => client.agents.get(AGENT)],
  ['POST', `/agents/${AGENT}/chat`, () => client.agents.chat(AGENT, 'soak')],
];
const initial = { rss_kib: rssKib(), fds: fds() };
let errors = {};
let faults = 0;
let next = 0;
async function worker(limit, faultRate) {
  while (next < limit) {
    const i = next++;
    const [method, path, make] = mix[i % mix.length];
    if (Math.random() < faultRate) {
      faults += 1;
      const fault = FAULTS[Math.floor(Math.random() * FAULTS.length)];
      await admin('/faults', 'POST', { method, path: `/api/v1${path}`, fault }, key);
    }
    try {
      await make();
    } catch (e) {
      const name = e?.constructor?.name ?? 'unknown';
      errors[name] = (errors[name] ?? 0) + 1;
    }
  }
}
// Warm-up without faults: the connection pool fills, the JIT settles.
await Promise.all(Array.from({ length: WORKERS }, () => worker(WARM_UP, 0)));
errors = {};
globalThis.gc?.();
const start = { rss_kib: rssKib(), fds: fds(), heap_kib: heapKib() };
next = 0;
const started = performance.now();
await Promise.all(Array.from({ length: WORKERS }, () => worker(calls, 0.01)));
const seconds = Math.round((performance.now() - started) / 100) / 10;
globalThis.gc?.();
const end = { rss_kib: rssKib(), fds: fds(), heap_kib: heapKib() };
const sorted = Object.fromEntries(Object.entries(errors).sort());
console.log(JSON.stringify({ sdk: 'node', calls, faults_queued: faults, seconds, errors: sorted, initial, start, end }));
