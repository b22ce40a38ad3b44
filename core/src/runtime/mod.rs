//! The seam between the client's logic and the platform it runs on: time, timers, tasks.
//!
//! The request path never calls tokio or the JavaScript host directly: it sleeps and times out
//! through this module, and reads time through [`Clock`], [`Instant`] and [`system_now`]. Two
//! implementations, chosen at compile time so that the native hot path pays nothing for the
//! other one:
//!
//! - native: tokio's timers, `std::time`, `tokio::spawn` (the pool's connection tasks);
//! - wasm32 (`host.rs`): the JavaScript host's `setTimeout`/`clearTimeout`, `performance.now()`
//!   through `web-time` (`std::time::Instant::now()` panics there) and `Date.now()` for the
//!   wall clock. There are no background tasks on wasm: `fetch` needs no connection driver.
//!
//! The retry, ledger and pagination logic above is the same code on both; the ledger's tests
//! drive it with a fake clock.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

#[cfg(target_arch = "wasm32")]
mod host;
#[cfg(target_arch = "wasm32")]
pub(crate) use host::{SingleThreaded, set_trap_handler};

/// A monotonic instant: `std`'s on native, the host's `performance.now()` on wasm32.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) use std::time::Instant;
#[cfg(target_arch = "wasm32")]
pub(crate) use web_time::Instant;

/// A boxed future, as the clock's `sleep` returns it.
pub(crate) type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Where time comes from.
pub(crate) trait Clock: Send + Sync + 'static {
    /// Monotonic now, for measuring waits.
    fn now(&self) -> Instant;
    /// Wall-clock now, to compare with the server's `Date`.
    fn wall(&self) -> SystemTime;
    /// Completes after `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture;
}

/// The real clock of the platform.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn wall(&self) -> SystemTime {
        system_now()
    }
    fn sleep(&self, duration: Duration) -> BoxFuture {
        Box::pin(sleep(duration))
    }
}

/// The wall clock (`SystemTime::now()` panics on wasm32-unknown-unknown).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn system_now() -> SystemTime {
    SystemTime::now()
}

/// The wall clock: the host's `Date.now()`.
#[cfg(target_arch = "wasm32")]
pub(crate) fn system_now() -> SystemTime {
    let millis = js_sys::Date::now();
    std::time::UNIX_EPOCH + Duration::from_secs_f64(millis.max(0.0) / 1000.0)
}

/// An id for this process, to notice a `fork()` (0 on wasm32, which has no processes and no
/// fork; `std::process::id()` panics there).
pub(crate) fn process_id() -> u32 {
    #[cfg(not(target_arch = "wasm32"))]
    return std::process::id();
    #[cfg(target_arch = "wasm32")]
    return 0;
}

/// Runs `task` in the background (a connection's I/O task).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn spawn(task: impl Future<Output = ()> + Send + 'static) {
    tokio::spawn(task);
}

/// Sleeps on the runtime's timer.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) async fn sleep(duration: Duration) {
    tokio::time::sleep(duration).await
}

/// Sleeps on the host's `setTimeout` (cleared if the sleep is dropped early).
#[cfg(target_arch = "wasm32")]
pub(crate) fn sleep(duration: Duration) -> impl Future<Output = ()> + Send + 'static {
    host::Sleep::new(duration)
}

/// The timer ran out before the future completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Elapsed;

/// Runs `future` for at most `duration`.
///
/// A plain function returning tokio's `Timeout` (not an `async fn` awaiting it): an `async fn`
/// would keep its `future` argument alongside the `Timeout` it was moved into, doubling the size
/// of every call's future (measured: 1,576 instead of 832 bytes per attempt).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn timeout<F: Future>(
    duration: Duration,
    future: F,
) -> impl Future<Output = Result<F::Output, Elapsed>> {
    use futures::FutureExt;
    tokio::time::timeout(duration, future).map(|result| result.map_err(|_| Elapsed))
}

/// Runs `future` for at most `duration`, racing it against a host timer. When the timer wins
/// the future is dropped (a fetch in flight is then aborted: see `wire::fetch`).
#[cfg(target_arch = "wasm32")]
pub(crate) fn timeout<F: Future>(
    duration: Duration,
    future: F,
) -> impl Future<Output = Result<F::Output, Elapsed>> {
    use futures::FutureExt;
    use futures::future::{Either, select};
    // Boxed so that `select` may move it: one allocation per attempt, on wasm only.
    select(Box::pin(future), host::Sleep::new(duration)).map(|winner| match winner {
        Either::Left((output, _)) => Ok(output),
        Either::Right(((), _)) => Err(Elapsed),
    })
}
