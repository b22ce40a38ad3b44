//! How calls run: on napi-rs's tokio runtime, one promise per call.
//!
//! napi-rs (feature `tokio_rt`) owns one multi-threaded tokio runtime per process; `run` spawns a
//! call's future on it and hands JavaScript a promise that `completion.rs` settles in batches.
//! The runtime's worker threads are not libuv handles, so they never keep Node alive: only calls
//! in flight do (like `fetch`), and the process exits as soon as the user's work is done. The
//! one other native callback, the logger, is a *weak* threadsafe function for the same reason
//! (see `logging.rs`).
//!
//! Everything a call needs (a clone of the core client, owned arguments) moves into the future,
//! so nothing borrows from JavaScript while it runs. Serialising the result (JSON, or a page's
//! columns) happens in the future too, on a runtime thread, so the JavaScript thread only copies
//! it into one string (and one `Float64Array` for columns).

use std::future::Future;

use futures::{FutureExt, future};
use napi::Either;
use napi::bindgen_prelude::PromiseRaw;
use napi::{Env, Result};

use crate::cancel::CancelWatch;
use crate::completion;
use crate::error::NativeError;
use crate::models::NapiPayload;

/// Gives napi-rs the runtime it runs every call on, when the addon is loaded: tokio's default
/// with the core's worker count (one core left to the JavaScript thread; see
/// `delegir::embedding::worker_threads`). Once per process: worker threads load the addon again.
#[napi_derive::module_init]
fn init_runtime() {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        // Without a runtime here napi-rs builds its default one on first use.
        if let Ok(runtime) = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(delegir::embedding::worker_threads())
            .thread_name("delegir-runtime")
            .enable_all()
            .build()
        {
            napi::bindgen_prelude::create_custom_tokio_runtime(runtime);
        }
    });
}

/// What every asynchronous native call resolves to: the result (JSON, or a page's columns), or
/// a failure.
pub(crate) type Outcome = Either<NapiPayload, NativeError>;

/// Runs `call` on the runtime. If `cancel` fires first, the call's future is dropped and the
/// promise resolves to an `aborted` failure.
pub(crate) fn run<F>(
    env: &Env,
    cancel: Option<CancelWatch>,
    call: F,
) -> Result<PromiseRaw<'_, Outcome>>
where
    F: Future<Output = std::result::Result<NapiPayload, NativeError>> + Send + 'static,
{
    // Combinators rather than one `async move` block around `call`: the block would keep the
    // captured future next to the copy it awaits, doubling every call's task.
    match cancel {
        None => completion::spawn(env, call.map(outcome)),
        Some(watch) => {
            let cancellable = future::select(Box::pin(watch.cancelled()), Box::pin(call));
            completion::spawn(
                env,
                cancellable.map(|either| match either {
                    future::Either::Left(((), _)) => Either::B(NativeError::aborted()),
                    future::Either::Right((result, _)) => outcome(result),
                }),
            )
        }
    }
}

fn outcome(result: std::result::Result<NapiPayload, NativeError>) -> Outcome {
    match result {
        Ok(payload) => Either::A(payload),
        Err(error) => Either::B(error),
    }
}

/// A failure known before any future exists (a bad per-call option), as an already settled call.
pub(crate) fn fail(env: &Env, error: NativeError) -> Result<PromiseRaw<'_, Outcome>> {
    completion::spawn(env, future::ready(Either::B(error)))
}
