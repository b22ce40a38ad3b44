// The WebAssembly module for Node and Bun: read from the package (see package.json `imports`).
// Deno resolves a `require` with the `node` condition too, but may not read files (no
// --allow-read needed for the SDK): there the module comes embedded in JavaScript.
//
// A bundle for Node (`esbuild --platform=node`, for Lambda and the like) does not carry the
// .wasm file, and in an ES module bundle neither `__dirname` nor `require` of a built-in works:
// then the module comes embedded too. The bundler includes embedded.cjs either way (the Deno
// branch requires it), so the fallback costs no bytes.
'use strict';

/** The module's bytes from the file beside this one, or undefined where there is none. */
function packaged() {
  try {
    const builtin = (name) => globalThis.process?.getBuiltinModule?.(name) ?? require(name);
    const { readFileSync } = builtin('node:fs');
    const { join } = builtin('node:path');
    return readFileSync(join(__dirname, 'delegir.wasm'));
  } catch {
    return undefined;
  }
}

module.exports =
  (typeof globalThis.Deno === 'object' ? undefined : packaged()) ?? require('./embedded.cjs');
