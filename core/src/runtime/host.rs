//! Timers of the JavaScript host (wasm32): each sleep is one `setTimeout`.
//!
//! Every sleep arms its own host timer when it is made, in the context of the code that made it,
//! and clears it when it is dropped early. One timer shared by the whole module (armed for the
//! earliest deadline, which saved a `setTimeout`/`clearTimeout` pair per attempt under Node) is
//! wrong on workerd: a timer belongs to the request that armed it, never fires once that request
//! has ended, and wakes nothing of another request; a call left running by one request, or two
//! requests pacing at once, then left later sleeps (backoff, rate-limit waits, timeouts) pending
//! forever. The per-sleep cost is kept small: the callback into the module is one closure made
//! once, told which sleep is due by its id, so no wasm-bindgen closure (and FinalizationRegistry
//! entry) is made per sleep.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use wasm_bindgen::prelude::*;
use web_time::Instant;

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

#[wasm_bindgen(module = "/src/runtime/host.js")]
extern "C" {
    /// `setTimeout` of `handler(id)`, a callback into the module, through `guarded` (host.js
    /// says why). Node returns a `Timeout` object and the other hosts a number: both are opaque
    /// handles here.
    #[wasm_bindgen(js_name = setGuardedTimeout)]
    fn set_timeout(handler: &js_sys::Function, ms: f64, id: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearGuardedTimeout)]
    fn clear_timeout(handle: &JsValue);
    /// Sends the exceptions thrown out of the module by the core's own callbacks (the host
    /// timer, a `fetch` settling) to `handler` instead of the host, and returns the function that
    /// stops the core's side of a module that trapped (see host.js).
    #[wasm_bindgen(js_name = setTrapHandler)]
    pub(crate) fn set_trap_handler(handler: &js_sys::Function) -> js_sys::Function;
}

/// The longest delay `setTimeout` takes (2^31 - 1 ms, about 24.8 days); a longer one fires at
/// once in every host, so a later deadline is reached through several timers.
const MAX_TIMER: Duration = Duration::from_millis(i32::MAX as u64);

/// The longest sleep (a century): a longer one is "never", and `Instant` arithmetic stays in
/// range.
const MAX_SLEEP: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

/// How early a deadline may be reached: host timers count whole milliseconds from the event
/// loop's cached time, so one may fire a little before `performance.now()` reaches its deadline.
const SLACK: Duration = Duration::from_millis(1);

/// A pending sleep: its deadline, the waker of the task polling it, its host timer.
struct Pending {
    deadline: Instant,
    waker: Option<Waker>,
    handle: JsValue,
}

/// The module's pending sleeps, by id.
#[derive(Default)]
struct Timers {
    /// Sleeps not yet over. A sleep whose entry is gone is over.
    pending: HashMap<u64, Pending>,
    next: u64,
    /// `on_timer`, made once and kept for the module's life.
    callback: Option<Closure<dyn FnMut(f64)>>,
}

thread_local! {
    static TIMERS: RefCell<Timers> = RefCell::new(Timers::default());
}

impl Timers {
    /// A host timer for sleep `id`, due at `deadline` (or after the longest host delay).
    fn arm(&mut self, id: u64, deadline: Instant) -> JsValue {
        let delay = deadline
            .saturating_duration_since(Instant::now())
            .min(MAX_TIMER);
        let callback = self
            .callback
            .get_or_insert_with(|| Closure::<dyn FnMut(f64)>::new(on_timer));
        // Whole milliseconds, rounded up: the timer never fires before the deadline's
        // millisecond. Ids stay far below 2^53, so they cross as numbers exactly.
        set_timeout(
            callback.as_ref().unchecked_ref(),
            (delay.as_secs_f64() * 1000.0).ceil(),
            id as f64,
        )
    }
}

/// The host timer of sleep `id` fired: the sleep is over, unless its deadline is still ahead (a
/// sleep longer than the longest host delay, or a timer that fired early), then it is re-armed.
fn on_timer(id: f64) {
    let id = id as u64;
    let due = TIMERS.with(|timers| {
        let mut timers = timers.borrow_mut();
        let deadline = timers.pending.get(&id)?.deadline;
        if deadline > Instant::now() + SLACK {
            let handle = timers.arm(id, deadline);
            if let Some(pending) = timers.pending.get_mut(&id) {
                pending.handle = handle;
            }
            return None;
        }
        timers.pending.remove(&id)?.waker
    });
    // Woken after the borrow ends: a waker may run code that starts another sleep.
    if let Some(waker) = due {
        waker.wake();
    }
}

/// A sleep on its own host timer; dropping it early clears the timer.
pub(crate) struct Sleep {
    /// `None` once over.
    id: Option<u64>,
}

impl Sleep {
    pub(crate) fn new(duration: Duration) -> Sleep {
        let deadline = Instant::now() + duration.min(MAX_SLEEP);
        let id = TIMERS.with(|timers| {
            let mut timers = timers.borrow_mut();
            timers.next += 1;
            let id = timers.next;
            let handle = timers.arm(id, deadline);
            timers.pending.insert(
                id,
                Pending {
                    deadline,
                    waker: None,
                    handle,
                },
            );
            id
        });
        Sleep { id: Some(id) }
    }
}

impl Future for Sleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(id) = self.id else {
            return Poll::Ready(());
        };
        // A waker replaced or removed is dropped after the borrow ends: dropping the last
        // reference to a task drops its future, whose sleeps then borrow the timers.
        let (pending, _replaced) =
            TIMERS.with(|timers| match timers.borrow_mut().pending.get_mut(&id) {
                Some(Pending { waker, .. })
                    if waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) =>
                {
                    (true, None)
                }
                Some(Pending { waker, .. }) => (true, waker.replace(cx.waker().clone())),
                None => (false, None),
            });
        if pending {
            return Poll::Pending;
        }
        self.id = None;
        Poll::Ready(())
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            // The waker is dropped after the borrow ends (see `poll`).
            let removed = TIMERS.with(|timers| timers.borrow_mut().pending.remove(&id));
            if let Some(removed) = &removed {
                clear_timeout(&removed.handle);
            }
        }
    }
}
