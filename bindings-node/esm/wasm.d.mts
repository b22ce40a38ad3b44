export * from '../dist/wasm.js';
