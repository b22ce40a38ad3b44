// Vercel's Edge Runtime (the `edge-runtime` npm package, what `vercel dev` and Next.js run edge
// code on) serving an Edge Function that imports `delegir` from the installed tarball, against
// the emulator. Arguments: the app folder (with node_modules/delegir and function.mjs), the
// folder esbuild is installed in. Environment: DELEGIR_BASE_URL, DELEGIR_ADMIN_URL.
//
// The bundle is made the way Vercel makes one, so the package's `edge-light` entry is what runs:
// - esbuild with Next.js's edge resolve conditions (edge-light first), no loader for `.wasm`;
// - a `.wasm?module` import (what `#wasm-module` resolves to under `edge-light`) becomes a
//   global holding the compiled WebAssembly.Module, as Vercel's own esbuild plugin does (the edge
//   runtime may not compile code from bytes, so its bundler compiles every such import ahead).
// In the runtime, compiling WebAssembly from bytes is then refused, as on Vercel: the SDK works
// only if it took the module import, not bytes embedded in JavaScript.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { EdgeRuntime, runServer } from 'edge-runtime';

const [app, esbuildDir] = process.argv.slice(2);
const esbuild = createRequire(join(esbuildDir, 'package.json'))('esbuild');
const base = process.env.DELEGIR_BASE_URL;
const admin = process.env.DELEGIR_ADMIN_URL;

// 1. The bundle. `wasmModules`: global name -> file, for every `.wasm?module` import.
const wasmModules = new Map();
const edgeWasm = {
  name: 'edge-wasm-module',
  setup(build) {
    build.onResolve({ filter: /\.wasm\?module$/ }, async (args) => {
      const file = await build.resolve(args.path.replace(/\?module$/, ''), {
        importer: args.importer,
        resolveDir: args.resolveDir,
        kind: args.kind,
      });
      if (file.errors.length > 0) return { errors: file.errors };
      const name = `wasm_${createHash('sha1').update(readFileSync(file.path)).digest('hex')}`;
      wasmModules.set(name, file.path);
      return { path: name, namespace: 'edge-wasm-module' };
    });
    build.onLoad({ filter: /.*/, namespace: 'edge-wasm-module' }, (args) => ({
      loader: 'js',
      contents: `export default globalThis[${JSON.stringify(args.path)}];`,
    }));
  },
};
const result = await esbuild.build({
  stdin: {
    // What Vercel wraps around an Edge Function's default export.
    contents:
      "import handler from './function.mjs';\n" +
      'addEventListener("fetch", (event) => event.respondWith(handler(event.request)));\n',
    resolveDir: app,
  },
  bundle: true,
  write: false,
  format: 'iife',
  platform: 'neutral',
  mainFields: ['module', 'main'],
  // next.js build/webpack-config.ts, the edge server compiler's resolve conditions.
  conditions: ['edge-light', 'worker', 'browser', 'module', 'import', 'node'],
  logLevel: 'warning',
  plugins: [edgeWasm],
});
const code = result.outputFiles[0].contents;
assert.equal(wasmModules.size, 1, 'the edge-light build imports the WebAssembly module as a `.wasm?module`');
const [[wasmName, wasmFile]] = wasmModules;
const wasmBytes = readFileSync(wasmFile);
assert.ok(code.length < wasmBytes.length, 'the module is not embedded in the JavaScript');
const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
console.log(
  `  edge-light bundle: ${kib(code.length)} JS (${kib(gzipSync(code, { level: 9 }).length)} gzip) ` +
    `+ ${kib(wasmBytes.length)} wasm (${kib(gzipSync(wasmBytes, { level: 9 }).length)} gzip)`,
);

// 2. The runtime: the module compiled ahead, then compiling from bytes refused. Runs inside the
// runtime's realm, so that the module is that realm's `WebAssembly.Module`.
function compileAheadThenRefuse(name, bytes) {
  const wasm = globalThis.WebAssembly;
  globalThis[name] = new wasm.Module(bytes);
  const refused = (what) =>
    function () {
      throw new Error(`Dynamic WebAssembly code generation (${what}) is not allowed in this Edge Runtime`);
    };
  const Module = refused('new WebAssembly.Module');
  Module.prototype = wasm.Module.prototype; // `instanceof WebAssembly.Module` still holds
  const instantiate = wasm.instantiate;
  Object.assign(wasm, {
    Module,
    compile: refused('WebAssembly.compile'),
    compileStreaming: refused('WebAssembly.compileStreaming'),
    instantiateStreaming: refused('WebAssembly.instantiateStreaming'),
    instantiate: (source, imports) =>
      source instanceof Module ? instantiate(source, imports) : refused('WebAssembly.instantiate')(),
  });
}
const runtime = new EdgeRuntime({
  extend(context) {
    context.__wasmBytes = new Uint8Array(wasmBytes);
    return context;
  },
});
runtime.evaluate(
  `(${compileAheadThenRefuse})(${JSON.stringify(wasmName)}, globalThis.__wasmBytes); delete globalThis.__wasmBytes;`,
);
assert.throws(() => runtime.evaluate('new WebAssembly.Module(new Uint8Array(8))'), /not allowed/);
runtime.evaluate(new TextDecoder().decode(code));
const server = await runServer({ runtime, host: '127.0.0.1', port: 0 });
try {
  const key = (await (await fetch(`${admin}/keys`, { method: 'POST' })).json()).data.api_key;
  const response = await fetch(`${server.url}?base=${encodeURIComponent(base)}&key=${encodeURIComponent(key)}`);
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.equal(body.build, 'wasm');
  assert.deepEqual(body.agents, ['agt_abc123', 'agt_def456']);
  assert.equal(body.runs, 1284, 'every run of agt_abc123, once');
  assert.equal(body.distinctRuns, 1284);
  assert.deepEqual(body.notFound, { isNotFoundError: true, name: 'NotFoundError', status: 404 });
  console.log(`  edge-light: ${body.agents.length} agents, ${body.runs} runs, NotFoundError ${body.notFound.status}`);
} finally {
  await server.close();
}
