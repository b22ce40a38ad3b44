/**
 * The default build for Node and Bun: the napi addon, or the WebAssembly build when no addon
 * loads on this platform (no per-platform package for it, or a copy without it), so that the SDK
 * works wherever Node runs. Loaded on first use, not at import.
 */

import type { Binding } from './binding.js';
import { installStoreLogSink } from './logging.js';
import { wasmBinding } from './wasm-binding.js';

let loaded: Binding | undefined;

/** The napi addon, else the WebAssembly build. */
export function nativeOrWasmBinding(): Binding {
  if (loaded !== undefined) return loaded;
  let addon: typeof import('../native/index.js') | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    addon = require('../native/index.js') as typeof import('../native/index.js');
  } catch {
    addon = undefined;
  }
  if (addon !== undefined) {
    installStoreLogSink((addon as { setStoreLogSink?: Parameters<typeof installStoreLogSink>[0] }).setStoreLogSink);
  }
  loaded =
    addon === undefined
      ? wasmBinding()
      : {
          kind: 'native',
          createClient: addon.createClient as Binding['createClient'],
          CancelToken: addon.CancelToken,
        };
  return loaded;
}

/** Which build `Delegir` from `delegir` runs on here: `'native'` or `'wasm'`. */
export function build(): 'native' | 'wasm' {
  return nativeOrWasmBinding().kind;
}
