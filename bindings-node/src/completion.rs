//! Settling promises from the runtime's threads: in batches, through one threadsafe function.
//!
//! napi-rs's `Env::spawn_future` makes a promise *and a threadsafe function* for every call: an
//! async resource, a libuv async handle opened and later closed, and one trip through the event
//! loop per settled promise. The profile of `bench/` showed that as most of the JavaScript
//! thread's time per call (the thread that limits a Node client's throughput). Here every
//! JavaScript thread (the main thread and each worker) has ONE threadsafe function and a queue:
//! a finished call pushes `(deferred, outcome)` onto the queue and, only when the queue was
//! empty, signals the threadsafe function; its callback settles every promise that finished
//! meanwhile. One wake-up of the event loop per batch instead of one per call.
//!
//! The threadsafe function is referenced (keeps Node alive) exactly while calls are in flight, as
//! a pending `fetch` does, and unreferenced otherwise, so a script exits as soon as its work is
//! done. When the environment shuts down, Node finalizes the threadsafe function; the queue
//! remembers that (under its lock) and calls that finish later are dropped instead of signalling
//! a function that no longer exists.

use std::cell::RefCell;
use std::ffi::c_void;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use futures::FutureExt;
use napi::bindgen_prelude::{PromiseRaw, ToNapiValue};
use napi::{Either, Env, Error, Result, Status, check_status, sys};

use crate::error::NativeError;
use crate::runtime::Outcome;

/// A promise's resolver. Only the JavaScript thread that made it resolves it (in [`settle`]);
/// runtime threads only carry it.
struct Deferred(sys::napi_deferred);

// SAFETY: the handle is an opaque pointer that is never dereferenced off its JavaScript thread
// (see above); moving it between threads is what napi's own `JsDeferred` does too.
unsafe impl Send for Deferred {}

/// What the runtime threads share with one JavaScript thread.
struct Queue {
    state: Mutex<QueueState>,
    /// Calls started and not yet settled (changed on the JavaScript thread only).
    in_flight: AtomicUsize,
}

struct QueueState {
    finished: Vec<(Deferred, Outcome)>,
    /// `None` once Node has finalized the threadsafe function (environment shutdown).
    tsfn: Option<Tsfn>,
}

/// The threadsafe function of one JavaScript thread.
#[derive(Clone, Copy)]
struct Tsfn(sys::napi_threadsafe_function);

// SAFETY: napi documents `napi_call_threadsafe_function` as callable from any thread; the
// JavaScript-thread-only calls (ref/unref) are made from that thread.
unsafe impl Send for Tsfn {}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Called on a runtime thread when a call finished.
    fn push(&self, deferred: Deferred, outcome: Outcome) {
        let mut state = self.lock();
        let Some(tsfn) = state.tsfn else {
            return; // the environment is gone; nobody can observe the promise
        };
        state.finished.push((deferred, outcome));
        if state.finished.len() == 1 {
            // Signalled under the lock, so finalization (which takes it) cannot free the
            // function in between. Nonblocking: the queue of the function is unbounded.
            // SAFETY: `tsfn` is live (not finalized, see above).
            unsafe {
                sys::napi_call_threadsafe_function(
                    tsfn.0,
                    ptr::null_mut(),
                    sys::ThreadsafeFunctionCallMode::nonblocking,
                );
            }
        }
    }
}

thread_local! {
    /// The queue of this JavaScript thread's environment (one environment per thread).
    static QUEUE: RefCell<Option<(usize, Arc<Queue>)>> = const { RefCell::new(None) };
}

/// Spawns `call` on the runtime and returns a promise of its outcome, settled in a batch.
pub(crate) fn spawn<'env, F>(env: &'env Env, call: F) -> Result<PromiseRaw<'env, Outcome>>
where
    F: Future<Output = Outcome> + Send + 'static,
{
    let raw_env = env.raw();
    let queue = queue_of(raw_env)?;
    let mut deferred = ptr::null_mut();
    let mut promise = ptr::null_mut();
    // SAFETY: called on the environment's JavaScript thread with valid out-pointers.
    check_status!(unsafe { sys::napi_create_promise(raw_env, &mut deferred, &mut promise) })?;
    if queue.in_flight.fetch_add(1, Ordering::Relaxed) == 0
        && let Some(tsfn) = queue.lock().tsfn
    {
        // SAFETY: JavaScript thread, live function. (Ref and unref are flags, not counts.)
        unsafe { sys::napi_ref_threadsafe_function(raw_env, tsfn.0) };
    }
    let deferred = Deferred(deferred);
    // A panic anywhere in the call is caught at the task's boundary and settles the promise
    // with the core's `Internal` error; without this, tokio would swallow it with the task and
    // the promise would stay pending forever. The call owns all it touches and is dropped, never
    // polled again, after a panic.
    let call = AssertUnwindSafe(call).catch_unwind().map(|caught| {
        caught.unwrap_or_else(|payload| {
            Either::B(NativeError::from(delegir::Error::from_panic(&*payload)))
        })
    });
    // A combinator, not `async move { call.await ... }`: an async block keeps the captured `call`
    // next to the copy it awaits, doubling the task of every call in flight.
    napi::bindgen_prelude::spawn(call.map(move |outcome| queue.push(deferred, outcome)));
    Ok(PromiseRaw::new(raw_env, promise))
}

/// The queue of `env`, made on the first call from its thread.
fn queue_of(env: sys::napi_env) -> Result<Arc<Queue>> {
    let key = env as usize;
    if let Some(queue) = QUEUE.with_borrow(|q| match q {
        // A finalized queue belongs to an environment that is gone (its address reused).
        Some((k, queue)) if *k == key && queue.lock().tsfn.is_some() => Some(Arc::clone(queue)),
        _ => None,
    }) {
        return Ok(queue);
    }
    let queue = Arc::new(Queue {
        state: Mutex::new(QueueState {
            finished: Vec::new(),
            tsfn: None,
        }),
        in_flight: AtomicUsize::new(0),
    });
    let mut name = ptr::null_mut();
    let mut tsfn = ptr::null_mut();
    // The function holds one strong count of the queue, given back in `finalize`.
    let context = Arc::into_raw(Arc::clone(&queue)) as *mut c_void;
    // SAFETY: JavaScript thread; `settle` and `finalize` match napi's callback signatures and
    // `context` stays valid until `finalize` runs.
    let created = unsafe {
        check_status!(sys::napi_create_string_utf8(
            env,
            c"delegir".as_ptr(),
            7,
            &mut name
        ))
        .and_then(|()| {
            check_status!(sys::napi_create_threadsafe_function(
                env,
                ptr::null_mut(),
                ptr::null_mut(),
                name,
                0,
                1,
                context,
                Some(finalize),
                context,
                Some(settle),
                &mut tsfn,
            ))
        })
        .and_then(|()| check_status!(sys::napi_unref_threadsafe_function(env, tsfn)))
    };
    if let Err(e) = created {
        if tsfn.is_null() {
            // SAFETY: the count given to the function that was never made.
            drop(unsafe { Arc::from_raw(context as *const Queue) });
        }
        return Err(Error::new(
            Status::GenericFailure,
            format!("delegir: could not set up promise settlement: {e}"),
        ));
    }
    queue.lock().tsfn = Some(Tsfn(tsfn));
    QUEUE.with_borrow_mut(|q| *q = Some((key, Arc::clone(&queue))));
    Ok(queue)
}

/// The threadsafe function's callback, on the JavaScript thread: settles every finished call.
unsafe extern "C" fn settle(
    env: sys::napi_env,
    _js_callback: sys::napi_value,
    context: *mut c_void,
    _data: *mut c_void,
) {
    if env.is_null() {
        return; // the environment is shutting down
    }
    // SAFETY: `context` is the queue's strong count held by the function (see `queue_of`).
    let queue = unsafe { &*(context as *const Queue) };
    let (batch, tsfn) = {
        let mut state = queue.lock();
        (std::mem::take(&mut state.finished), state.tsfn)
    };
    let settled = batch.len();
    for (deferred, outcome) in batch {
        // SAFETY: JavaScript thread of `env`, inside the handle scope napi opens for the call.
        unsafe {
            match Outcome::to_napi_value(env, outcome) {
                Ok(value) => sys::napi_resolve_deferred(env, deferred.0, value),
                Err(e) => {
                    let mut message = ptr::null_mut();
                    let mut error = ptr::null_mut();
                    let text = format!("delegir: could not convert a result: {e}");
                    sys::napi_create_string_utf8(
                        env,
                        text.as_ptr().cast(),
                        text.len() as isize,
                        &mut message,
                    );
                    sys::napi_create_error(env, ptr::null_mut(), message, &mut error);
                    sys::napi_reject_deferred(env, deferred.0, error)
                }
            };
        }
    }
    if queue.in_flight.fetch_sub(settled, Ordering::Relaxed) == settled
        && let Some(tsfn) = tsfn
    {
        // SAFETY: JavaScript thread, live function (we are inside its callback).
        unsafe { sys::napi_unref_threadsafe_function(env, tsfn.0) };
    }
}

/// Node finalizes the threadsafe function when the environment shuts down.
unsafe extern "C" fn finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: `data` is the strong count given to the function in `queue_of`.
    let queue = unsafe { Arc::from_raw(data as *const Queue) };
    let mut state = queue.lock();
    state.tsfn = None;
    // Unsettled promises die with their environment.
    state.finished.clear();
}
