export * from '../dist/index.js';
import { Delegir } from '../dist/index.js';
export default Delegir;
