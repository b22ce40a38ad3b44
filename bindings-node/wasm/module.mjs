// The WebAssembly module for workerd (Cloudflare Workers): an import of the .wasm file, which
// wrangler and workerd hand over compiled (a Worker may not compile code from bytes).
import module from './delegir.wasm';

export default module;
