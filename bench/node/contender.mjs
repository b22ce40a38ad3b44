// The Node contenders of bench/run.sh, one measurement per process.
//
//   node contender.mjs throughput CONTENDER WORKLOAD CONCURRENCY SECONDS BASE_URL KEY
//   node contender.mjs ratelimit delegir SECONDS TASKS BASE_URL KEY
//
// Contenders: `delegir` (the SDK, rateLimit: false), `delegir-wasm` (its WebAssembly build), `undici` (undici.request),
// `fetch` (the global fetch) and `fetch-timeout` (the global fetch with a per-call timeout, as a
// client that can give up on a request must make one), the last three followed by JSON.parse
// into the SDK's shape (camelCase keys, Date timestamps). Every one sends, checks the status and parses. Prints one JSON line; CPU time
// (process.cpuUsage) is measured after a warm-up, peak RSS is process.resourceUsage().maxRSS.
import { Delegir } from 'delegir';
import { Delegir as WasmDelegir } from 'delegir/wasm';
import { request } from 'undici';

const AGENT = 'agt_abc123';
const MESSAGE = 'How do I reset my password?';
const CHAT_BODY = JSON.stringify({ message: MESSAGE });
const WARMUP_MS = 500;

const date = (s) => (s === null || s === undefined ? null : new Date(s));

// The envelope's data into the SDK's public shape.
const shapes = {
  small: (d) => ({
    id: d.id,
    name: d.name,
    status: d.status,
    safetyMode: d.safety_mode,
    template: d.template,
    totalRuns: d.total_runs,
    lastActive: date(d.last_active),
    createdAt: new Date(d.created_at),
    config: {
      model: d.config.model,
      systemPrompt: d.config.system_prompt,
      temperature: d.config.temperature,
      maxTokens: d.config.max_tokens,
    },
    channels: d.channels,
  }),
  large: (d) => ({
    runs: d.runs.map((r) => ({
      id: r.id,
      status: r.status,
      tokensUsed: r.tokens_used,
      cost: r.cost,
      durationMs: r.duration_ms,
      createdAt: new Date(r.created_at),
    })),
    total: d.total,
    limit: d.limit,
    offset: d.offset,
  }),
  chat: (d) => ({ response: d.response, runId: d.runId, tokensUsed: d.tokensUsed }),
};

function target(base, workload) {
  if (workload === 'small') return ['GET', `${base}/agents/${AGENT}`];
  if (workload === 'large') return ['GET', `${base}/agents/${AGENT}/runs?limit=100`];
  return ['POST', `${base}/agents/${AGENT}/chat`];
}

function caller(name, workload, base, key) {
  if (name === 'delegir' || name === 'delegir-wasm') {
    // `delegir-wasm`: the WebAssembly build, which sends through the global fetch (bench/wasm.sh).
    const Client = name === 'delegir' ? Delegir : WasmDelegir;
    const client = new Client({ apiKey: key, baseUrl: base, rateLimit: false });
    if (workload === 'small') return () => client.agents.get(AGENT);
    if (workload === 'large') return () => client.agents.runs.list(AGENT, { limit: 100 });
    return () => client.agents.chat(AGENT, MESSAGE);
  }
  const [method, url] = target(base, workload);
  const shape = shapes[workload];
  const headers = { 'x-api-key': key, accept: 'application/json' };
  if (method === 'POST') headers['content-type'] = 'application/json';
  const body = method === 'POST' ? CHAT_BODY : undefined;
  if (name === 'undici') {
    return async () => {
      const res = await request(url, { method, headers, body });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
      return shape(JSON.parse(text).data);
    };
  }
  if (name === 'fetch') {
    return async () => {
      const res = await fetch(url, { method, headers, body });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      return shape(JSON.parse(text).data);
    };
  }
  if (name === 'fetch-timeout') {
    // openai-node's fetchWithTimeout: an AbortController per call, aborted by a timer, so that
    // a request that takes too long is closed. The SDK gives each attempt the same.
    return async () => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 60_000);
      try {
        const res = await fetch(url, { method, headers, body, signal: controller.signal });
        const text = await res.text();
        if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
        return shape(JSON.parse(text).data);
      } finally {
        clearTimeout(timer);
      }
    };
  }
  throw new Error(`unknown contender ${name}`);
}

function percentile(sorted, q) {
  if (sorted.length === 0) return 0;
  return sorted[Math.round((sorted.length - 1) * q)];
}

async function throughput(name, workload, concurrency, seconds, base, key) {
  const call = caller(name, workload, base, key);
  const errors = [];
  const worker = async (until, latencies) => {
    for (;;) {
      const t0 = performance.now();
      if (t0 >= until) return;
      try {
        await call();
      } catch (e) {
        errors.push(String(e));
        continue;
      }
      if (latencies) latencies.push(performance.now() - t0);
    }
  };
  const warmUntil = performance.now() + WARMUP_MS;
  await Promise.all(Array.from({ length: concurrency }, () => worker(warmUntil, null)));
  errors.length = 0;
  const latencies = [];
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, () => worker(start + seconds * 1000, latencies)));
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  // Time the JavaScript thread was busy (not waiting in the event loop), per call.
  const busy = performance.eventLoopUtilization(elu0);
  latencies.sort((a, b) => a - b);
  return {
    calls: latencies.length,
    errors: errors.length,
    last_error: errors.length ? errors[errors.length - 1] : null,
    seconds: elapsed,
    p50_us: percentile(latencies, 0.5) * 1000,
    p99_us: percentile(latencies, 0.99) * 1000,
    cpu_s: (cpu.user + cpu.system) / 1e6,
    js_thread_us: latencies.length ? (busy.active * 1000) / latencies.length : 0,
    maxrss_kib: process.resourceUsage().maxRSS,
  };
}

async function ratelimit(seconds, tasks, base, key) {
  const client = new Delegir({ apiKey: key, baseUrl: base });
  const counts = { ok: 0, client_429: 0, errors: 0 };
  const deadline = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      // Calls still queued in the ledger at the deadline are aborted (their place released).
      const signal = AbortSignal.timeout(Math.max(1, Math.ceil(deadline - performance.now())));
      try {
        await client.agents.get(AGENT, { signal });
        counts.ok++;
      } catch (e) {
        if (e && e.name === 'APIUserAbortError') return;
        if (e && e.status === 429) counts.client_429++;
        else counts.errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: tasks }, worker));
  return counts;
}

const [mode, ...args] = process.argv.slice(2);
let out;
if (mode === 'throughput') {
  const [name, workload, concurrency, seconds, base, key] = args;
  out = await throughput(name, workload, Number(concurrency), Number(seconds), base, key);
} else if (mode === 'ratelimit') {
  const [, seconds, tasks, base, key] = args;
  out = await ratelimit(Number(seconds), Number(tasks), base, key);
} else {
  console.error('usage: see the header of bench/node/contender.mjs');
  process.exit(2);
}
process.stdout.write(JSON.stringify(out) + '\n');
