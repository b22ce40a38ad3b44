/**
 * The one interface between the TypeScript layer and the native module it runs on: the napi
 * addon (`native/`, Node and Bun) or the WebAssembly build of the same Rust core (`wasm/`,
 * workerd, Deno, browsers, bundlers, and any platform without an addon). Both export the same
 * client (`NativeClient`: one method per call, resolving to JSON or a `NativeError`), so the rest
 * of this layer does not know which one it drives. The types are the addon's generated ones;
 * the WebAssembly build's glue (`wasm-binding.ts`) conforms to them.
 */

import type {
  AttemptRecord,
  NativeClient,
  NativeClientOptions,
  NativeError,
  NativeRateLimit,
  NativeRunPager,
} from '../native/index.js';

export type { AttemptRecord, NativeClient, NativeError, NativeRateLimit, NativeRunPager };

/** Cancels the native side of one call (made per call that has a `signal`). */
export interface CancelToken {
  cancel(): void;
  readonly cancelled: boolean;
}

/** What the client hands the native module: the addon's options, plus the WebAssembly build's. */
export interface ClientSettings extends NativeClientOptions {
  /** WebAssembly only: the `fetch` requests go through. */
  fetch?: ((input: string, init: RequestInit) => Promise<Response>) | undefined;
}

/** A native module, as the TypeScript layer uses it. */
export interface Binding {
  /** Which build this is. */
  readonly kind: 'native' | 'wasm';
  createClient(
    options: ClientSettings,
    onAttempt?: ((record: AttemptRecord) => void) | undefined | null,
  ): NativeClient | NativeError;
  readonly CancelToken: new () => CancelToken;
}
