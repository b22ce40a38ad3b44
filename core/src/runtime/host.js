// The JavaScript side of the host runtime (host.rs): the calls the host makes into the module from
// callbacks the core registers (the host timer here, a fetch settling in wire/fetch/send.js) go
// through `guarded`.
//
// Why: on wasm32 a Rust panic aborts (panic = "unwind" needs a nightly toolchain), which traps
// the module: the exception leaves the module in whatever JavaScript called it. Thrown from a
// timer or a promise callback nobody awaits, it would end a Node process (an uncaught exception
// or unhandled rejection) and leave the calls of other hosts pending forever. An embedder (the
// npm package's bindings-wasm) registers a handler with `setTrapHandler`: the exception goes to
// it, and it settles every call in flight with an error. Without one (a Rust program on wasm32
// with its own executor), the exception is thrown on as before.

let onTrap = null;
/** Whether the embedder has stopped the module (`stop`): nothing enters it any more. */
let stopped = false;
/** The host timers armed for the module's sleeps (host.rs: one per sleep). */
const armed = new Set();
/** The `AbortController`s of the requests in flight (wire/fetch/send.js). */
export const inFlight = new Set();

/**
 * Where exceptions thrown out of the module by guarded callbacks go (a function, or null).
 * Returns `stop`, for the embedder to call once the module is unusable.
 */
export function setTrapHandler(handler) {
  onTrap = handler;
  return stop;
}

/**
 * The module trapped: its timer is cleared and its requests in flight are aborted, so that a
 * dead module neither keeps the host's event loop alive nor holds connections, and no callback
 * enters it again.
 */
function stop() {
  stopped = true;
  for (const handle of armed) clearTimeout(handle);
  armed.clear();
  for (const controller of inFlight) controller.abort();
  inFlight.clear();
}

/** Calls `f(a, b, c)`, a function that enters the module; an exception goes to the handler. */
export function guarded(f, a, b, c) {
  if (stopped) return;
  try {
    f(a, b, c);
  } catch (error) {
    if (onTrap === null) throw error;
    onTrap(error);
  }
}

/** `setTimeout` of `callback(id)`, a callback that enters the module. */
export function setGuardedTimeout(callback, ms, id) {
  if (stopped) return undefined;
  const handle = setTimeout(() => {
    armed.delete(handle);
    guarded(callback, id);
  }, ms);
  armed.add(handle);
  return handle;
}

/** `clearTimeout` of a handle of `setGuardedTimeout`. */
export function clearGuardedTimeout(handle) {
  clearTimeout(handle);
  armed.delete(handle);
}
