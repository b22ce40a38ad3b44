//! The in-process store of the rate-limit ledger: today's ledger, and the fallback of the Redis
//! store while Redis is unreachable.
//!
//! The API allows a fixed number of requests per window per key and reports, on every response,
//! the window's limit, how many requests remain and when it resets. Every client of one key and
//! base URL in this process shares one ledger (found through a registry keyed by a hash of the
//! two, never the key itself), which remembers for the current window — identified by the raw
//! `X-RateLimit-Reset` value — the smallest `Remaining` seen and how many requests are in
//! flight. A request is admitted only while `in_flight < remaining`; otherwise it waits, in FIFO
//! order, until the window resets. Knowing nothing (the first request, or the window has passed)
//! one probe goes first and its headers fill the ledger. A 429 sets `remaining` to 0 until the
//! reset. A server that sends no rate-limit headers at all (rate limiting off) makes the ledger
//! admit everything.
//!
//! The window's end is placed on the monotonic clock through [`ServerClock`] (the server's
//! clock as bounded by `Date` headers): never earlier than the real reset, and only a little
//! later. Garbage, missing or past values never cause a negative or endless wait: waits are
//! clamped to [0, 24 h], and a window whose end has passed is simply unknown. A window that only
//! successful responses said is used up, and that ends more than [`RECHECK_AFTER`] ahead, gets
//! one request through each `RECHECK_AFTER` to check it (a 429's word is not checked).
//!
//! Cancellation: a waiting call that is dropped leaves the queue, and an admitted call that is
//! dropped before it settles releases its place; either wakes the next waiter. A call that ends
//! without a response may still have been counted by the server, so it is taken as spent.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use parking_lot::Mutex;
use sha2::{Digest, Sha256};
use tokio::sync::Notify;

use super::Observed;
use super::server_clock::ServerClock;
use crate::runtime::{Clock, Instant, SystemClock, process_id};
use crate::secret::ApiKey;
use crate::wire::headers::{MAX_HEADER_WAIT, ResponseMeta};

/// Added to every computed reset so that a wake-up never lands a hair before the server's.
const RESET_MARGIN: Duration = Duration::from_millis(5);
/// Our estimate of the reset may lie up to the resolution of `Date` (one second) after the
/// true reset; a wait within that much of `max_wait` is still waited, so that a client whose
/// `max_rate_limit_wait` equals the window (60 s) waits for the window instead of failing.
const DATE_RESOLUTION: Duration = Duration::from_secs(1);
/// How long to hold back after a 429 that carried no usable timing at all.
const BLIND_429_PAUSE: Duration = Duration::from_secs(1);
/// A window used up by the headers of successful responses alone (no 429 said so) and ending
/// later than this is checked with one request each time this much has passed without a
/// response: one 200 claiming `Remaining: 0` and a reset a day away (a gateway's bug, a proxy's
/// stale headers) would otherwise refuse every call of the process, unsent, for that day. A 429
/// is the server's word and is never checked so (DESIGN: "never sooner than that 429's own
/// reset"). The API's windows are a minute long: they never last this long.
pub(super) const RECHECK_AFTER: Duration = Duration::from_secs(300);

/// The ledger of one (key, base URL) in this process.
pub(crate) struct MemoryLedger {
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
    /// Woken on every change that may let a waiter through.
    changed: Notify,
}

impl std::fmt::Debug for MemoryLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.state.lock();
        f.debug_struct("MemoryLedger")
            .field("knowledge", &s.knowledge)
            .field("in_flight", &s.in_flight)
            .field("waiting", &s.queue.len())
            .finish()
    }
}

#[derive(Debug)]
struct State {
    knowledge: Knowledge,
    /// The newest `Reset` seen: responses about older windows are stale.
    newest_reset: Option<i64>,
    in_flight: u64,
    probe_out: bool,
    /// When a response (or a recheck admitted, see [`RECHECK_AFTER`]) last told us of the window.
    heard_at: Option<Instant>,
    /// Tickets of waiting calls, first come first served.
    queue: VecDeque<u64>,
    next_ticket: u64,
    /// The server's clock, bounded by `Date` headers.
    server_clock: ServerClock,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Knowledge {
    /// Nothing known: send one probe.
    Unknown,
    /// The server sends no rate-limit headers: admit everything.
    Unlimited,
    /// The current window.
    Window {
        reset: i64,
        ends_at: Instant,
        remaining: u64,
        /// Whether a 429 said it is used up (else only successful responses' headers did).
        by_429: bool,
    },
}

enum Decision {
    Admit {
        probe: bool,
    },
    /// One request past a long window that only successful responses said is used up, to
    /// check it (see [`RECHECK_AFTER`]).
    Recheck,
    /// Wait for a change, or at the latest until the instant.
    Wait(Option<Instant>),
}

impl State {
    fn decide(&self, now: Instant) -> Decision {
        match self.knowledge {
            Knowledge::Unlimited => Decision::Admit { probe: false },
            Knowledge::Window {
                ends_at,
                remaining,
                by_429,
                ..
            } if now < ends_at => {
                if self.in_flight < remaining {
                    Decision::Admit { probe: false }
                } else if !by_429
                    && ends_at > now + RECHECK_AFTER
                    && self.heard_at.is_none_or(|at| now >= at + RECHECK_AFTER)
                {
                    Decision::Recheck
                } else {
                    Decision::Wait(Some(ends_at))
                }
            }
            // Unknown, or the window has passed.
            _ if self.probe_out => Decision::Wait(None),
            _ => Decision::Admit { probe: true },
        }
    }

    fn admit(&mut self, probe: bool) {
        self.in_flight += 1;
        if probe {
            self.probe_out = true;
            self.knowledge = Knowledge::Unknown;
        }
    }

    /// Admits a recheck: one request more than the window allows, the next one not before
    /// [`RECHECK_AFTER`] has passed again.
    fn recheck(&mut self, now: Instant) {
        self.in_flight += 1;
        self.heard_at = Some(now);
    }

    /// Folds what a response said into the ledger.
    fn observe(&mut self, clock: &dyn Clock, status: u16, meta: &ResponseMeta) {
        let now = clock.now();
        self.heard_at = Some(now);
        if let Some(date) = meta.server_date {
            self.server_clock.learn(date, clock);
        }
        let Some(rl) = meta.rate_limit else {
            if status == 429 {
                let pause = meta.retry_after.unwrap_or(BLIND_429_PAUSE);
                self.knowledge = Knowledge::Window {
                    reset: self.newest_reset.unwrap_or(i64::MIN),
                    ends_at: now + pause.min(MAX_HEADER_WAIT) + RESET_MARGIN,
                    remaining: 0,
                    by_429: true,
                };
            } else {
                self.knowledge = Knowledge::Unlimited;
            }
            return;
        };
        if self.newest_reset.is_some_and(|newest| rl.reset < newest) {
            return; // about a window that has already passed
        }
        let mut ends_at = now + self.server_clock.until_reset(rl.reset, clock) + RESET_MARGIN;
        let mut remaining = rl.remaining;
        let mut by_429 = false;
        if let Knowledge::Window {
            reset,
            ends_at: known_end,
            remaining: known,
            by_429: known_by_429,
        } = self.knowledge
            && reset == rl.reset
        {
            // Both ends are upper bounds of the true reset: the earlier is the tighter one.
            ends_at = ends_at.min(known_end);
            remaining = remaining.min(known);
            by_429 = known_by_429;
        }
        if status == 429 {
            remaining = 0;
            by_429 = true;
            // The 429's own word on when to come back: `Retry-After` when it has one, before
            // or after the reset (DESIGN: "Retry-After if present, else X-RateLimit-Reset").
            // Waiting for a later reset made a call that had paused for `Retry-After: 2` then
            // fail ("the window resets in 118 s"), where `rate_limit(false)` succeeded.
            if let Some(retry_after) = meta.retry_after {
                ends_at = now + retry_after.min(MAX_HEADER_WAIT) + RESET_MARGIN;
            }
        }
        self.newest_reset = Some(rl.reset);
        self.knowledge = Knowledge::Window {
            reset: rl.reset,
            ends_at,
            remaining,
            by_429,
        };
    }
}

/// What the ledger knows of the current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(target_arch = "wasm32", allow(dead_code))] // read by the Redis store's fallback only
pub(crate) enum WindowView {
    /// Nothing, or the window has passed: a probe goes first.
    Unknown,
    /// No rate-limit headers: everything is admitted.
    Unlimited,
    /// The window identified by `reset`, open until `ends_at`.
    Open { reset: i64, ends_at: Instant },
}

/// The place of one admitted request. Settle it with what came back; dropping it unsettled
/// (a cancelled call) releases the place.
#[derive(Debug)]
pub(crate) struct MemoryAdmission {
    ledger: Arc<MemoryLedger>,
    probe: bool,
    /// Sent past a used-up window to check it (see [`RECHECK_AFTER`]).
    recheck: bool,
    settled: bool,
}

impl MemoryAdmission {
    /// Records what the response said and releases the place.
    pub(crate) fn settle(mut self, observed: Observed<'_>) {
        self.settled = true;
        if self.recheck
            && let Observed::Response { status, .. } = observed
            && (200..300).contains(&status)
        {
            // The server took a request the ledger thought it would refuse: the window was not
            // used up after all, and this response alone says what it is.
            self.ledger.state.lock().knowledge = Knowledge::Unknown;
        }
        self.ledger.release(self.probe, observed);
    }
}

impl Drop for MemoryAdmission {
    fn drop(&mut self) {
        if !self.settled {
            self.ledger.release(self.probe, Observed::NoResponse);
        }
    }
}

/// Removes a waiting call's ticket when the call is dropped while it waits.
struct Ticket<'a> {
    ledger: &'a MemoryLedger,
    id: u64,
    queued: bool,
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if self.queued {
            let mut s = self.ledger.state.lock();
            s.queue.retain(|t| *t != self.id);
            drop(s);
            self.ledger.changed.notify_waiters();
        }
    }
}

type Registry = Mutex<(u32, HashMap<[u8; 32], Weak<MemoryLedger>>)>;

impl MemoryLedger {
    pub(crate) fn new(clock: Arc<dyn Clock>) -> MemoryLedger {
        MemoryLedger {
            clock,
            state: Mutex::new(State {
                knowledge: Knowledge::Unknown,
                newest_reset: None,
                in_flight: 0,
                probe_out: false,
                heard_at: None,
                queue: VecDeque::new(),
                next_ticket: 0,
                server_clock: ServerClock::default(),
            }),
            changed: Notify::new(),
        }
    }

    /// The process-wide ledger for this key and base URL (keyed by a hash, never the key).
    /// After `fork()` the child starts with an empty registry: the parent's in-flight counts
    /// mean nothing there.
    ///
    /// On wasm32 each client has a ledger of its own instead: a waiter is woken from the code of
    /// whichever call released a place, and workerd (Cloudflare Workers) forbids one request's
    /// code to resume another's, so calls of concurrent requests sharing a ledger would hang
    /// (found by tests/runtimes/workerd.sh). Calls of one client still share it.
    pub(crate) fn shared(api_key: &ApiKey, base_url: &str) -> Arc<MemoryLedger> {
        if cfg!(target_arch = "wasm32") {
            return Arc::new(MemoryLedger::new(Arc::new(SystemClock)));
        }
        static REGISTRY: OnceLock<Registry> = OnceLock::new();
        let mut hasher = Sha256::new();
        hasher.update(api_key.expose().as_bytes());
        hasher.update([0]);
        hasher.update(base_url.as_bytes());
        let id: [u8; 32] = hasher.finalize().into();

        let registry = REGISTRY.get_or_init(|| Mutex::new((process_id(), HashMap::new())));
        let mut guard = registry.lock();
        let (pid, ledgers) = &mut *guard;
        if *pid != process_id() {
            *pid = process_id();
            ledgers.clear();
        }
        if let Some(ledger) = ledgers.get(&id).and_then(Weak::upgrade) {
            return ledger;
        }
        ledgers.retain(|_, weak| weak.strong_count() > 0);
        let ledger = Arc::new(MemoryLedger::new(Arc::new(SystemClock)));
        ledgers.insert(id, Arc::downgrade(&ledger));
        ledger
    }

    /// Waits (FIFO) until a request may be sent. When the wait would exceed `max_wait`, returns
    /// at once with `Err(wait)`: how long until the window resets.
    pub(crate) async fn admit(
        self: &Arc<Self>,
        max_wait: Duration,
    ) -> Result<MemoryAdmission, Duration> {
        let deadline = self.clock.now() + max_wait;
        let mut ticket = {
            let mut s = self.state.lock();
            if s.queue.is_empty() {
                let now = self.clock.now();
                match s.decide(now) {
                    Decision::Admit { probe } => {
                        s.admit(probe);
                        return Ok(self.admission(probe));
                    }
                    Decision::Recheck => {
                        s.recheck(now);
                        return Ok(self.recheck_admission());
                    }
                    Decision::Wait(_) => {}
                }
            }
            let id = s.next_ticket;
            s.next_ticket += 1;
            s.queue.push_back(id);
            Ticket {
                ledger: self,
                id,
                queued: true,
            }
        };
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let wake_at = {
                let mut s = self.state.lock();
                let now = self.clock.now();
                if s.queue.front() != Some(&ticket.id) {
                    None
                } else {
                    match s.decide(now) {
                        Decision::Admit { probe } => {
                            s.queue.pop_front();
                            s.admit(probe);
                            ticket.queued = false;
                            drop(s);
                            // The next in line may be admissible too.
                            self.changed.notify_waiters();
                            return Ok(self.admission(probe));
                        }
                        Decision::Recheck => {
                            s.queue.pop_front();
                            s.recheck(now);
                            ticket.queued = false;
                            return Ok(self.recheck_admission());
                        }
                        Decision::Wait(Some(at)) if at > deadline + DATE_RESOLUTION => {
                            return Err(at.saturating_duration_since(now));
                        }
                        Decision::Wait(at) => at.map(|at| at.saturating_duration_since(now)),
                    }
                }
            };
            match wake_at {
                Some(wait) => {
                    let sleep = self.clock.sleep(wait);
                    tokio::select! {
                        _ = &mut notified => {}
                        _ = sleep => {}
                    }
                }
                None => notified.await,
            }
        }
    }

    fn admission(self: &Arc<Self>, probe: bool) -> MemoryAdmission {
        MemoryAdmission {
            ledger: Arc::clone(self),
            probe,
            recheck: false,
            settled: false,
        }
    }

    fn recheck_admission(self: &Arc<Self>) -> MemoryAdmission {
        MemoryAdmission {
            ledger: Arc::clone(self),
            probe: false,
            recheck: true,
            settled: false,
        }
    }

    fn release(&self, probe: bool, observed: Observed<'_>) {
        let mut s = self.state.lock();
        s.in_flight = s.in_flight.saturating_sub(1);
        if probe {
            s.probe_out = false;
        }
        match observed {
            Observed::Response { status, meta } => s.observe(self.clock.as_ref(), status, meta),
            // The request may have been counted by the server without our hearing of it: assume
            // it was, so the window is never overrun.
            Observed::NoResponse => {
                if let Knowledge::Window { remaining, .. } = &mut s.knowledge {
                    *remaining = remaining.saturating_sub(1);
                }
            }
        }
        drop(s);
        self.changed.notify_waiters();
    }

    /// What the ledger knows of the current window (the Redis store's fallback shares it out).
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(crate) fn window(&self) -> WindowView {
        let s = self.state.lock();
        match s.knowledge {
            Knowledge::Unlimited => WindowView::Unlimited,
            Knowledge::Window { reset, ends_at, .. } if self.clock.now() < ends_at => {
                WindowView::Open { reset, ends_at }
            }
            _ => WindowView::Unknown,
        }
    }

    /// Folds what a response said into the ledger without a place of its own: the Redis store
    /// keeps this process's fallback informed, so that it knows the window if Redis goes away.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(crate) fn learn(&self, status: u16, meta: &ResponseMeta) {
        self.state.lock().observe(self.clock.as_ref(), status, meta);
        self.changed.notify_waiters();
    }
}

#[cfg(test)]
#[path = "memory_tests.rs"]
mod tests;
