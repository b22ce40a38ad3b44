export * from '../dist/wasm.js';
export { default } from '../dist/wasm.js';
