//! Timers of the JavaScript host (wasm32): every sleep of the module shares one `setTimeout`.
//!
//! The pending sleeps are kept in Rust by deadline, and one host timer is armed for the earliest.
//! Every attempt sleeps (its timeout) and nearly every one ends before its timer: with a
//! `setTimeout`/`clearTimeout` pair and a wasm-bindgen closure per sleep (the closure registered
//! with a FinalizationRegistry, then unregistered), that was ~10 us of a small GET's CPU in a
//! profile under Node. Now a sleep is a map entry; the host timer is re-armed only when a new
//! sleep ends before it, and cleared when no sleep is left: a per-attempt timeout of 60 s that
//! outlived its call would keep Node's event loop (and a test process) alive for a minute after
//! the work is done.

use std::cell::RefCell;
use std::collections::BTreeMap;
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
    /// `setTimeout` of a callback into the module, through `guarded` (host.js says why). Node
    /// returns a `Timeout` object and the other hosts a number: both are opaque handles here.
    #[wasm_bindgen(js_name = setGuardedTimeout)]
    fn set_timeout(handler: &js_sys::Function, ms: f64) -> JsValue;
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

/// A pending sleep: its deadline, then a number that makes the key unique.
type Key = (Instant, u64);

/// The module's sleeps and its one host timer.
#[derive(Default)]
struct Timers {
    /// Sleeps not yet over, each with the waker of the task polling it. A sleep whose entry is
    /// gone is over.
    pending: BTreeMap<Key, Option<Waker>>,
    next: u64,
    /// The deadline the host timer is armed for, and its handle.
    armed: Option<(Instant, JsValue)>,
    /// `on_timer`, made once and kept for the module's life.
    callback: Option<Closure<dyn FnMut()>>,
}

thread_local! {
    static TIMERS: RefCell<Timers> = RefCell::new(Timers::default());
}

impl Timers {
    /// Arms, moves or clears the host timer for the earliest pending deadline.
    fn rearm(&mut self) {
        let Some(&(earliest, _)) = self.pending.keys().next() else {
            if let Some((_, handle)) = self.armed.take() {
                clear_timeout(&handle);
            }
            return;
        };
        match &self.armed {
            // Armed for this deadline or an earlier one: it fires, then re-arms.
            Some((at, _)) if *at <= earliest => return,
            Some((_, handle)) => clear_timeout(handle),
            None => {}
        }
        let delay = earliest
            .saturating_duration_since(Instant::now())
            .min(MAX_TIMER);
        let callback = self
            .callback
            .get_or_insert_with(|| Closure::<dyn FnMut()>::new(on_timer));
        // Whole milliseconds, rounded up: the timer never fires before the deadline's
        // millisecond.
        let handle = set_timeout(
            callback.as_ref().unchecked_ref(),
            (delay.as_secs_f64() * 1000.0).ceil(),
        );
        self.armed = Some((earliest, handle));
    }
}

/// The host timer fired: ends every sleep that is due, then re-arms for the next one.
fn on_timer() {
    let due: Vec<Waker> = TIMERS.with(|timers| {
        let mut timers = timers.borrow_mut();
        timers.armed = None;
        let horizon = Instant::now() + SLACK;
        let mut due = Vec::new();
        while let Some(entry) = timers.pending.first_entry() {
            if entry.key().0 > horizon {
                break;
            }
            if let Some(waker) = entry.remove() {
                due.push(waker);
            }
        }
        timers.rearm();
        due
    });
    // Woken after the borrow ends: a waker may run code that starts another sleep.
    for waker in due {
        waker.wake();
    }
}

/// A sleep on the module's host timer; dropping it early takes it out.
pub(crate) struct Sleep {
    /// `None` once over.
    key: Option<Key>,
}

impl Sleep {
    pub(crate) fn new(duration: Duration) -> Sleep {
        let deadline = Instant::now() + duration.min(MAX_SLEEP);
        let key = TIMERS.with(|timers| {
            let mut timers = timers.borrow_mut();
            timers.next += 1;
            let key = (deadline, timers.next);
            timers.pending.insert(key, None);
            timers.rearm();
            key
        });
        Sleep { key: Some(key) }
    }
}

impl Future for Sleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(key) = self.key else {
            return Poll::Ready(());
        };
        // A waker replaced or removed is dropped after the borrow ends: dropping the last
        // reference to a task drops its future, whose sleeps then borrow the timers.
        let (pending, _replaced) =
            TIMERS.with(|timers| match timers.borrow_mut().pending.get_mut(&key) {
                Some(waker) if waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) => {
                    (true, None)
                }
                Some(waker) => (true, waker.replace(cx.waker().clone())),
                None => (false, None),
            });
        if pending {
            return Poll::Pending;
        }
        self.key = None;
        Poll::Ready(())
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let _removed = TIMERS.with(|timers| {
                let mut timers = timers.borrow_mut();
                let removed = timers.pending.remove(&key);
                if removed.is_some() && timers.pending.is_empty() {
                    timers.rearm();
                }
                removed
            });
        }
    }
}
