// The ESM entry re-exports the CommonJS build, so `import` and `require` share one copy of every
// class: an error thrown under one entry point is `instanceof` the class of the other.
import cjs from '../dist/index.js';

export * from './api.mjs';
export const { Delegir, build } = cjs;
export default cjs.Delegir;
