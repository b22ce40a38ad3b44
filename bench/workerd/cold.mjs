// Times workerd serving a config, from the process's start, for bench/workerd_cold.sh:
//   node cold.mjs WORKERD SDK_CONFIG EMPTY_CONFIG PORT_SDK PORT_EMPTY ROUNDS OUT.md BUNDLE_DIR
// Per round, alternating which config starts first: the time until `/` answers (workerd has
// loaded the Worker, compiling its WebAssembly module), then the first `/import` (the dynamic
// `import('delegir')` and a client's construction, which instantiates the module) and a second
// one (warm). Medians over the rounds; every figure includes a local HTTP round trip.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const [workerd, sdkConfig, emptyConfig, portSdk, portEmpty, rounds, out, bundle] = process.argv.slice(2);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function get(url) {
  const started = performance.now();
  const response = await fetch(url);
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${url}: ${response.status} ${text}`);
  return { text, ms: performance.now() - started };
}

async function serve(config, port, withImport) {
  const started = performance.now();
  const child = spawn(workerd, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`workerd exited: ${stderr}`);
      if (performance.now() - started > 30_000) throw new Error(`workerd not ready in 30 s: ${stderr}`);
      try {
        await get(`http://127.0.0.1:${port}/`);
        break;
      } catch {
        await sleep(5);
      }
    }
    const ready = performance.now() - started;
    if (!withImport) return { ready };
    const first = await get(`http://127.0.0.1:${port}/import`);
    const body = JSON.parse(first.text);
    if (body.build !== 'wasm') throw new Error(`the Worker loaded the ${body.build} build`);
    // Warm: the median of three more.
    const warm = [];
    for (let i = 0; i < 3; i++) warm.push((await get(`http://127.0.0.1:${port}/import`)).ms);
    return { ready, first: first.ms, warm: median(warm) };
  } finally {
    child.kill();
    await new Promise((r) => (child.exitCode !== null ? r() : child.on('exit', r)));
  }
}

const sdk = [], empty = [];
for (let i = 0; i < Number(rounds); i++) {
  if (i % 2) {
    empty.push(await serve(emptyConfig, portEmpty, false));
    sdk.push(await serve(sdkConfig, portSdk, true));
  } else {
    sdk.push(await serve(sdkConfig, portSdk, true));
    empty.push(await serve(emptyConfig, portEmpty, false));
  }
  const s = sdk.at(-1), e = empty.at(-1);
  console.log(`  round ${i + 1}/${rounds}: ready ${s.ready.toFixed(1)} ms (empty Worker ${e.ready.toFixed(1)}), first import ${s.first.toFixed(1)} ms, warm ${s.warm.toFixed(1)} ms`);
}
const bytes = readdirSync(bundle).filter((f) => f.endsWith('.js') || f.endsWith('.wasm'))
  .map((f) => readFileSync(join(bundle, f)));
const raw = bytes.reduce((n, b) => n + b.length, 0);
const gz = bytes.reduce((n, b) => n + gzipSync(b, { level: 9 }).length, 0);
const range = (xs) => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;
const f = (xs) => `${median(xs).toFixed(1)} ms (${range(xs)})`;
const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
const lines = [
  '# Cold start of `import(\'delegir\')` in workerd (bench/workerd_cold.sh)',
  '',
  `Run of ${when} UTC, ${rounds} workerd starts per Worker, alternated; medians (range). A Worker bundled by ` +
    '`wrangler deploy --dry-run` from the packed tarball (the WebAssembly build, as a Cloudflare Worker gets it) ' +
    'against an empty Worker; each figure includes one local HTTP round trip.',
  '',
  '| | SDK Worker | empty Worker |',
  '|---|---|---|',
  `| workerd start → first response (loads the Worker, compiles its WebAssembly) | ${f(sdk.map((x) => x.ready))} | ${f(empty.map((x) => x.ready))} |`,
  `| first request: \`await import('delegir')\` + \`new Delegir(…)\` (instantiates the module) | ${f(sdk.map((x) => x.first))} | |`,
  `| the same request again (warm; median of 3) | ${f(sdk.map((x) => x.warm))} | |`,
  '',
  `Cold start of \`import('delegir')\` (first request − warm request, median of rounds): ` +
    `${median(sdk.map((x) => x.first - x.warm)).toFixed(1)} ms; the Worker's load costs ` +
    `${(median(sdk.map((x) => x.ready)) - median(empty.map((x) => x.ready))).toFixed(0)} ms more than an empty one's. ` +
    `Bundle (worker.js + .wasm): ${(raw / 1024).toFixed(0)} KiB, ${(gz / 1024).toFixed(0)} KiB gzip.`,
  '',
];
writeFileSync(out, lines.join('\n'));
console.log(lines.join('\n'));
