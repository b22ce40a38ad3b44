// The promises of the module's calls (executor.rs), and what happens when the module traps.
//
// Each call has an id: `open(id)` makes its promise, `close(id, outcome)` settles it. The
// executor's polls run in microtasks made here (`schedule`), so that an exception thrown out of
// the module while polling is caught here, not by the host.
//
// A trap (a Rust panic, which aborts on wasm32; memory exhausted; a stack overflow) leaves the
// module unusable: `trapped` settles every call still open with an `internal` failure (the
// NativeError shape of error.rs) and every later call with the same at once. The panic hook
// (lib.rs) reports a panic before the trap unwinds, with its message; the catches here, in the
// core's host.js and in the TypeScript layer's CancelToken report the rest.

/** Resolvers of the calls in flight, by id. */
const openCalls = new Map();
/** The failure every call gets once the module has trapped, else null. */
let failure = null;
/** The message of the panic that trapped the module, if it was one. */
let panicMessage = null;
/** What stops the rest of a module that trapped (the core's timer and requests: host.js). */
const stops = [];

/** Registers `stop`, called once when the module traps. */
export function onStop(stop) {
  stops.push(stop);
}

/** The promise of call `id`; undefined once the module has trapped (see `failed`). */
export function open(id) {
  if (failure !== null) return undefined;
  return new Promise((resolve) => openCalls.set(id, resolve));
}

/** Settles call `id` with its outcome (a payload or a NativeError). */
export function close(id, outcome) {
  const resolve = openCalls.get(id);
  if (resolve === undefined) return;
  openCalls.delete(id);
  resolve(outcome);
}

/** A promise of the module's failure, for a call made after the trap. */
export function failed() {
  return Promise.resolve(failure);
}

/** The module's failure (a NativeError), or null while it works. */
export function moduleFailure() {
  return failure;
}

/** Runs `run` (the executor's poll, a function into the module) in a microtask, unless trapped. */
export function schedule(run) {
  queueMicrotask(() => {
    // Nothing runs in a module that trapped: its state may be half-changed, and a call whose
    // promise was settled with the failure must not go on (retry, send again).
    if (failure !== null) return;
    try {
      run();
    } catch (error) {
      trapped(error);
    }
  });
}

/** The panic hook: the panic's message, reported before the trap. */
export function panicked(message) {
  panicMessage = String(message);
  trapped(null);
}

/** The module trapped (`error`: what was thrown, or null from the panic hook). Idempotent. */
export function trapped(error) {
  if (failure === null) {
    const cause =
      panicMessage !== null
        ? `a panic (${panicMessage})`
        : `a trap (${error instanceof Error ? error.message : String(error)})`;
    failure = {
      code: 'internal',
      message:
        `delegir's WebAssembly module stopped after ${cause}. This is a bug in delegir: ` +
        'please report it. Calls in flight were ended, and every call fails from now on: ' +
        'restart the process (or Worker) to use delegir again.',
      // A call in flight may have sent its request.
      mayHaveReachedServer: true,
      outOfRange: false,
    };
    for (const stop of stops) {
      try {
        stop();
      } catch {
        // Stopping is best effort; the calls are ended below either way.
      }
    }
  }
  for (const resolve of openCalls.values()) resolve(failure);
  openCalls.clear();
}

/** `trapped`, as a value for the core's handler and the TypeScript layer. */
export function trapHandler() {
  return trapped;
}
