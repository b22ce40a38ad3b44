/**
 * The WebAssembly build of the core as a {@link Binding}: the wasm-bindgen glue (`wasm/glue.cjs`)
 * and the module itself, loaded the way each host expects through the package's `#wasm-module`
 * import (see package.json `imports`): a `.wasm` import in workerd and Vercel's edge runtime
 * (which refuse to compile code from bytes), the file read from disk under Node and Bun, and the
 * bytes embedded in JavaScript elsewhere (browsers, Deno, bundlers), so no bundler needs a plugin
 * or a loader. Instantiated on the first client, not at import.
 */

import type { AttemptRecord, Binding, ClientSettings, NativeClient, NativeError } from './binding.js';
import { emitWarning } from './logging.js';

/** The glue's exports that this layer uses. */
interface Glue {
  /** Takes a `WebAssembly.Module` or the module's bytes. */
  initSync(options: { module: unknown }): unknown;
  createClient(
    /** `env`: the variables the core reads; `runtime`: the host, for the `User-Agent`. */
    options: ClientSettings & { env?: Record<string, string>; runtime?: string },
    onAttempt?: ((record: AttemptRecord) => void) | undefined | null,
  ): NativeClient | NativeError;
  /** The failure every call gets since the module trapped, or null (bindings-wasm/src/calls.js). */
  moduleFailure(): NativeError | null;
  /** Reports an exception thrown out of the module: it ends every call in flight. */
  trapHandler(): (error: unknown) => void;
}

/**
 * Where an exception thrown out of the module by a callback of this layer goes (set when the
 * module is instantiated). A Rust panic aborts on wasm32 and traps the module; thrown on from a
 * `CancelToken` fired by an `AbortSignal`, it would reach the host as an uncaught exception.
 */
let reportTrap: (error: unknown) => void = (error) => {
  throw error;
};

/**
 * Cancels one call. The Rust side subscribes a listener for the duration of the call and
 * unsubscribes it when the call ends (`bindings-wasm/src/cancel.rs`).
 */
export class CancelToken {
  #fired = false;
  readonly #listeners = new Set<() => void>();

  /** Fires the token: the call stops at once and its fetch is aborted. Again: nothing. */
  cancel(): void {
    if (this.#fired) return;
    this.#fired = true;
    for (const listener of [...this.#listeners]) {
      try {
        listener();
      } catch (error) {
        reportTrap(error);
      }
    }
    this.#listeners.clear();
  }

  /** Whether the token has fired. */
  get cancelled(): boolean {
    return this.#fired;
  }

  /** @internal */
  subscribe(listener: () => void): void {
    if (this.#fired) listener();
    else this.#listeners.add(listener);
  }

  /** @internal */
  unsubscribe(listener: () => void): void {
    this.#listeners.delete(listener);
  }
}

/** An environment variable, from whatever the host offers; `undefined` when unset. */
function environmentVariable(name: string): string | undefined {
  const g = globalThis as {
    process?: { env?: Record<string, string | undefined> };
    Deno?: { env?: { get(name: string): string | undefined } };
  };
  try {
    return g.process?.env?.[name] ?? g.Deno?.env?.get(name);
  } catch {
    // Deno without --allow-env: as if unset; `createClient` says why when it matters.
    environmentDenied = true;
    return undefined;
  }
}

/** Whether the host refused to read the environment (Deno without --allow-env). */
let environmentDenied = false;

/**
 * The JavaScript runtime for the `User-Agent` (`Node.js 20.19.0`, `Deno 2.1.4`, `Bun 1.1.38`,
 * `workerd`, `browser`), as the addon reports Node's: the module itself only knows it runs on
 * wasm32.
 */
function runtime(): string {
  const g = globalThis as {
    Deno?: { version?: { deno?: string } };
    Bun?: { version?: string };
    process?: { versions?: { node?: string } };
    navigator?: { userAgent?: string };
    document?: unknown;
  };
  if (g.Deno?.version?.deno) return `Deno ${g.Deno.version.deno}`;
  if (g.Bun?.version) return `Bun ${g.Bun.version}`;
  if (g.navigator?.userAgent === 'Cloudflare-Workers') return 'workerd';
  if (g.process?.versions?.node) return `Node.js ${g.process.versions.node}`;
  return g.document === undefined ? 'JavaScript' : 'browser';
}

/** The environment variables the core reads. */
function environment(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['DELEGIR_API_KEY', 'DELEGIR_BASE_URL']) {
    const value = environmentVariable(name);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

let storeWarned = false;

/**
 * `DELEGIR_RATE_LIMIT_STORE` (which the native addon reads, like `rateLimitStore`) cannot be
 * honoured here: one process warning says so, not an error, since the variable may be set for
 * the native processes of the same deployment. Not when the ledger is off (the addon then does
 * not read it) nor with `rateLimitStore` given (refused on its own, with the reason).
 */
function warnIfStoreInEnvironment(options: ClientSettings): void {
  if (storeWarned || options.rateLimit === false || options.rateLimitStore !== undefined) return;
  if ((environmentVariable('DELEGIR_RATE_LIMIT_STORE') ?? '').trim() === '') return;
  storeWarned = true;
  emitWarning(
    'DELEGIR_RATE_LIMIT_STORE is set but ignored: the WebAssembly build of delegir cannot reach ' +
      'Redis; on it each client keeps a rate-limit ledger of its own, which paces that ' +
      "client's calls only (the native addon shares one through Redis)",
    'DELEGIR_RATE_LIMIT_STORE',
  );
}

let proxyWarned = false;

/**
 * Under Node, the host's `fetch` (undici) does not read the proxy variables unless
 * `NODE_USE_ENV_PROXY=1` (Node 24); the native addon does. One process warning says that a
 * variable set for the addon goes unused here, rather than the calls going direct unannounced.
 * Deno's and Bun's `fetch` read the variables themselves; a `fetch` option is the user's.
 */
function warnIfProxyInEnvironment(options: ClientSettings): void {
  if (proxyWarned || options.fetch !== undefined || options.trustEnv === false) return;
  if (!runtime().startsWith('Node.js') || (environmentVariable('NODE_USE_ENV_PROXY') ?? '') !== '') return;
  const names = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'];
  const name = names.find((n) => (environmentVariable(n) ?? '').trim() !== '');
  if (name === undefined) return;
  proxyWarned = true;
  emitWarning(
    `${name} is set but not used by the WebAssembly build of delegir: it sends through Node's ` +
      'fetch, which reads proxy variables only with NODE_USE_ENV_PROXY=1 (Node 24); set it, or ' +
      "pass a `fetch` that uses undici's ProxyAgent (the native addon reads the variables itself)",
    'DELEGIR_PROXY_ENV',
  );
}

let glue: Glue | undefined;

function instantiate(): Glue {
  if (glue !== undefined) return glue;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require('../wasm/glue.cjs') as Glue;
  // A WebAssembly.Module (workerd), or the module's bytes; an ES module's default export when
  // the host's loader is one.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const source = require('#wasm-module') as { default?: unknown };
  loaded.initSync({ module: source.default ?? source });
  reportTrap = loaded.trapHandler();
  glue = loaded;
  return glue;
}

/** A client of the module, or the failure of a module that trapped (never an exception). */
function createClient(
  options: ClientSettings,
  onAttempt: ((record: AttemptRecord) => void) | undefined | null,
): NativeClient | NativeError {
  const module = instantiate();
  const stopped = module.moduleFailure();
  if (stopped !== null) return stopped;
  warnIfStoreInEnvironment(options);
  warnIfProxyInEnvironment(options);
  const env = environment();
  if (environmentDenied && options.apiKey === undefined) {
    // Else the core's error would say to set a variable that may well be set.
    return {
      code: 'configuration',
      message:
        'DELEGIR_API_KEY cannot be read: the host denies access to the environment (Deno: run ' +
        'with --allow-env, or --allow-env=DELEGIR_API_KEY,DELEGIR_BASE_URL), or pass apiKey to ' +
        'the client',
      mayHaveReachedServer: false,
      outOfRange: false,
    };
  }
  try {
    return module.createClient({ ...options, env, runtime: runtime() }, onAttempt);
  } catch (error) {
    // A trap while building the client (the panic hook has already reported a panic).
    reportTrap(error);
    const failure = module.moduleFailure();
    if (failure === null) throw error; // not a trap: nothing else throws here
    return failure;
  }
}

let binding: Binding | undefined;

/** The WebAssembly build. */
export function wasmBinding(): Binding {
  binding ??= {
    kind: 'wasm',
    createClient,
    CancelToken,
  };
  return binding;
}
