// `delegir/wasm` as ESM: re-exports the CommonJS build (see index.mjs for why).
import cjs from '../dist/wasm.js';

export * from './api.mjs';
export const { Delegir, build } = cjs;
export default cjs.Delegir;
