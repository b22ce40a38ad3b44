// What the WebAssembly build costs over the fetch it runs on, without the network: the SDK's
// `fetch` option is a function that answers with a canned Response (the emulator's own bodies
// and head), and the baseline reads the same Response with text() + JSON.parse into the SDK's
// shape. CPU µs per call at concurrency 64, median of rounds (bench/wasm.sh prints the table).
// Steadier than calls/s over sockets on a shared machine, and it isolates the SDK's share.
//
// The canned fetch and the CPU measure are canned.mjs's (it says why the fetch builds a
// `Request` and answers on a later macrotask).
//
//   node wasm-overhead.mjs BASE_URL KEY [ROUNDS]
import { Delegir } from 'delegir/wasm';
import { cannedFetch, cpuPerCall as measure } from './canned.mjs';

const [base, key, rounds = '5'] = process.argv.slice(2);
const AGENT = 'agt_abc123';
const date = (s) => (s === null || s === undefined ? null : new Date(s));
const workloads = {
  small: {
    path: `/agents/${AGENT}`,
    n: 20000,
    call: (c) => c.agents.get(AGENT),
    shape: (d) => ({
      id: d.id, name: d.name, status: d.status, safetyMode: d.safety_mode, template: d.template,
      totalRuns: d.total_runs, lastActive: date(d.last_active), createdAt: new Date(d.created_at),
      config: { model: d.config.model, systemPrompt: d.config.system_prompt,
        temperature: d.config.temperature, maxTokens: d.config.max_tokens },
      channels: d.channels,
    }),
  },
  large: {
    path: `/agents/${AGENT}/runs?limit=100`,
    n: 4000,
    call: (c) => c.agents.runs.list(AGENT, { limit: 100 }),
    shape: (d) => ({
      runs: d.runs.map((r) => ({ id: r.id, status: r.status, tokensUsed: r.tokens_used, cost: r.cost,
        durationMs: r.duration_ms, createdAt: new Date(r.created_at) })),
      total: d.total, limit: d.limit, offset: d.offset,
    }),
  },
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const out = {};
for (const [name, w] of Object.entries(workloads)) {
  const canned = await cannedFetch(base, w.path, key);
  const client = new Delegir({ apiKey: key, baseUrl: base, rateLimit: false, fetch: canned });
  const sdk = () => w.call(client);
  const baseline = async () => {
    const r = await canned(`${base}${w.path}`, { headers: { 'x-api-key': key, accept: 'application/json' } });
    const text = await r.text();
    if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
    return w.shape(JSON.parse(text).data);
  };
  await measure(sdk, w.n / 4);
  await measure(baseline, w.n / 4);
  const s = [], b = [];
  for (let i = 0; i < Number(rounds); i++) {
    s.push(await measure(sdk, w.n));
    b.push(await measure(baseline, w.n));
  }
  out[name] = { sdk_us: median(s), baseline_us: median(b) };
}
console.log(JSON.stringify(out));
