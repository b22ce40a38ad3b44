export * from '../dist/wasm.js';
import { Delegir } from '../dist/wasm.js';
export default Delegir;
