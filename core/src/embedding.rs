//! For bindings that run the client under another language's interpreter (Python, Node).

/// Environment variable that sets the worker threads explicitly (tokio's own convention).
pub const WORKER_THREADS_ENV: &str = "TOKIO_WORKER_THREADS";

/// Worker threads for the runtime a binding runs its calls on: one fewer than the cores this
/// process may use, at least one, or `TOKIO_WORKER_THREADS` when set to a positive number.
///
/// Every call does half its work on the interpreter's own thread (the asyncio loop, the
/// JavaScript thread: arguments, promise or future, model objects), which needs a core of its
/// own. tokio's default of one worker per core makes the workers compete with it: on 2 cores,
/// one worker instead of two gave Node 18% more calls per second and 25% less CPU per call, and
/// Python 10% less CPU per call (bench/README.md).
pub fn worker_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    worker_threads_for(cores, std::env::var(WORKER_THREADS_ENV).ok().as_deref())
}

/// wasm32: sends the exceptions that leave the module from the core's own JavaScript callbacks
/// (the host timer, a `fetch` settling) to `handler` instead of letting them reach the host.
///
/// A Rust panic on wasm32 aborts and traps the module; thrown from a timer or a promise callback,
/// that exception would end a Node process and leave every call of other hosts pending. An
/// embedder that settles its calls itself (the npm package's `bindings-wasm`) registers a handler
/// that fails them all instead. Without one, the exception is thrown on to the host.
///
/// Returns the function the embedder calls once the module is unusable: it clears the core's host
/// timer and aborts its requests in flight (a dead module must not keep the host's event loop
/// alive or hold connections), and no callback of the core enters the module afterwards.
#[cfg(target_arch = "wasm32")]
pub fn on_trap(handler: &js_sys::Function) -> js_sys::Function {
    crate::runtime::set_trap_handler(handler)
}

fn worker_threads_for(cores: usize, explicit: Option<&str>) -> usize {
    match explicit.and_then(|v| v.trim().parse::<usize>().ok()) {
        Some(n) if n > 0 => n,
        _ => cores.saturating_sub(1).max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::worker_threads_for;

    #[test]
    fn one_core_is_left_to_the_interpreter_and_at_least_one_worker_runs() {
        assert_eq!(worker_threads_for(1, None), 1);
        assert_eq!(worker_threads_for(2, None), 1);
        assert_eq!(worker_threads_for(16, None), 15);
    }

    #[test]
    fn a_positive_explicit_count_wins_and_garbage_is_ignored() {
        assert_eq!(worker_threads_for(2, Some("4")), 4);
        assert_eq!(worker_threads_for(8, Some(" 2 ")), 2);
        assert_eq!(worker_threads_for(8, Some("0")), 7);
        assert_eq!(worker_threads_for(8, Some("many")), 7);
    }
}
