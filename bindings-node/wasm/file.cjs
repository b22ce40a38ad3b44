// The WebAssembly module for Node and Bun: read from the package (see package.json `imports`).
'use strict';
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

module.exports = readFileSync(join(__dirname, 'delegir.wasm'));
