// The WebAssembly module for Node and Bun: read from the package (see package.json `imports`).
// Deno resolves a `require` with the `node` condition too, but may not read files (no
// --allow-read needed for the SDK): there the module comes embedded in JavaScript.
'use strict';

if (typeof globalThis.Deno === 'object') {
  module.exports = require('./embedded.cjs');
} else {
  const { readFileSync } = require('node:fs');
  const { join } = require('node:path');
  module.exports = readFileSync(join(__dirname, 'delegir.wasm'));
}
