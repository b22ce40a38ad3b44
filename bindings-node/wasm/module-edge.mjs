// The WebAssembly module for Vercel's edge runtime (`edge-light`), whose bundler takes a
// `.wasm?module` import as a compiled module (the runtime refuses to compile code from bytes).
import module from './delegir.wasm?module';

export default module;
