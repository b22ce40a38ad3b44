//! Timers of the JavaScript host (wasm32): `setTimeout` as a future, cleared when dropped.
//!
//! Clearing matters: a per-attempt timeout of 60 s that outlives its call would keep Node's event
//! loop (and a test process) alive for a minute after the work is done.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use wasm_bindgen::prelude::*;

#[cfg(target_feature = "atomics")]
compile_error!(
    "delegir's wasm build assumes one thread (wasm32 without the atomics feature): JavaScript \
     values are moved between futures as if they were Send"
);

/// Marks a value that holds JavaScript objects (`!Send`) as `Send` and `Sync`.
///
/// Sound because wasm32-unknown-unknown without the `atomics` target feature (checked above) has
/// exactly one thread: nothing can be moved to, or shared with, another one. It lets the fetch
/// wire and the host's timers sit under the same `Send` futures and `Sync` client as the native
/// ones, so the layers above compile unchanged.
#[derive(Debug, Clone)]
pub(crate) struct SingleThreaded<T>(pub(crate) T);

// SAFETY: one thread only (see the type's docs and the compile_error above).
unsafe impl<T> Send for SingleThreaded<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for SingleThreaded<T> {}

impl<F: Future + Unpin> Future for SingleThreaded<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

#[wasm_bindgen]
extern "C" {
    // The globals every host has (browsers, workers, Node, Deno, Bun, workerd). Node returns a
    // `Timeout` object and the others a number: both are opaque handles here.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &js_sys::Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
}

/// The longest delay `setTimeout` takes (2^31 - 1 ms, about 24.8 days); a longer one fires at
/// once in every host, so longer sleeps are made of several timers.
const MAX_TIMER: Duration = Duration::from_millis(i32::MAX as u64);

/// A sleep on the host's timer.
pub(crate) struct Sleep(SingleThreaded<Timer>);

/// One `setTimeout` whose callback marks it fired and wakes the task polling it. A closure handed
/// to `setTimeout` directly, not a promise awaited through `JsFuture` (a promise, `then` and two
/// closures): every attempt starts one of these for its timeout.
struct Timer {
    handle: JsValue,
    state: Rc<RefCell<Fired>>,
    /// Freed with the timer, after `clear_timeout`: the host never calls a freed closure.
    _callback: Closure<dyn FnMut()>,
    /// What is left to sleep after the current timer fires.
    remaining: Duration,
}

#[derive(Default)]
struct Fired {
    fired: bool,
    waker: Option<Waker>,
}

impl Timer {
    fn start(duration: Duration) -> Timer {
        let now = duration.min(MAX_TIMER);
        let state = Rc::new(RefCell::new(Fired::default()));
        let shared = Rc::clone(&state);
        let callback = Closure::<dyn FnMut()>::new(move || {
            let waker = {
                let mut state = shared.borrow_mut();
                state.fired = true;
                state.waker.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        });
        let handle = set_timeout(
            callback.as_ref().unchecked_ref(),
            now.as_secs_f64() * 1000.0,
        );
        Timer {
            handle,
            state,
            _callback: callback,
            remaining: duration - now,
        }
    }

    /// Whether it fired; if not, `cx`'s task is woken when it does.
    fn poll_fired(&self, cx: &mut Context<'_>) -> bool {
        let mut state = self.state.borrow_mut();
        if !state.fired {
            state.waker = Some(cx.waker().clone());
        }
        state.fired
    }
}

impl Sleep {
    pub(crate) fn new(duration: Duration) -> Sleep {
        Sleep(SingleThreaded(Timer::start(duration)))
    }
}

impl Future for Sleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let timer = &mut self.0.0;
        loop {
            if !timer.poll_fired(cx) {
                return Poll::Pending;
            }
            if timer.remaining.is_zero() {
                return Poll::Ready(());
            }
            *timer = Timer::start(timer.remaining);
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        // Clearing a timer that already fired does nothing.
        clear_timeout(&self.handle);
    }
}
