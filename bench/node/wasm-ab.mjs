// A/B of two builds of the WebAssembly module in one process, for changes too small for
// wasm-overhead.mjs to tell apart on a shared machine (its rounds swing by ±15 µs per call):
// both builds' clients run the small GET on the same canned fetch (as wasm-overhead.mjs's: it
// builds the `Request` from its arguments and answers on a later macrotask), in alternated rounds
// whose order flips each time (the one measured first in a pair is favoured by up to ~13 µs), and
// the median of the paired differences is printed. It drives the wasm `NativeClient` directly:
// the TypeScript layer is the same for both. Each directory holds a build's glue.cjs and
// delegir.wasm (copies of bindings-node/wasm/ after bindings-wasm/scripts/build.sh).
// Resolution on the loaded 2-core machine (load 4-6), 8 rounds: the same build against itself
// gave a median difference of -8 µs (pairs from -34 to +62), so it tells effects of ~10 µs and
// more; a send.js without the per-attempt signal gave +21.7 µs (pairs 20-27), 2026-12-06.
//
//   node wasm-ab.mjs DIR_A DIR_B BASE_URL KEY [ROUNDS]     # prints CPU µs per call, A - B
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { cannedFetch, cpuPerCall as measure } from './canned.mjs';

const require = createRequire(import.meta.url);
const [dirA, dirB, base, key, rounds = '10'] = process.argv.slice(2);
const canned = await cannedFetch(base, '/agents/agt_abc123', key);
const load = (dir) => {
  const glue = require(resolve(dir, 'glue.cjs'));
  glue.initSync({ module: readFileSync(resolve(dir, 'delegir.wasm')) });
  const client = glue.createClient({ apiKey: key, baseUrl: base, rateLimit: false, fetch: canned, env: {} });
  return async () => {
    const outcome = await client.get('agt_abc123', undefined, undefined, undefined);
    if (typeof outcome !== 'string') throw new Error(`${dir}: ${outcome.code}: ${outcome.message}`);
  };
};
const a = load(dirA);
const b = load(dirB);

await measure(a, 5000);
await measure(b, 5000);
const us = { a: [], b: [], diff: [] };
for (let i = 0; i < Number(rounds); i++) {
  let x, y;
  if (i % 2) {
    y = await measure(b, 15000);
    x = await measure(a, 15000);
  } else {
    x = await measure(a, 15000);
    y = await measure(b, 15000);
  }
  us.a.push(x);
  us.b.push(y);
  us.diff.push(x - y);
}
const median = (xs) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
const f = (x) => Number(x.toFixed(1));
console.log(JSON.stringify({ a_us: f(median(us.a)), b_us: f(median(us.b)), a_minus_b_us: f(median(us.diff)), diffs: us.diff.map(f) }));
