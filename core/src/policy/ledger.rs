//! The rate-limit ledger: paces requests so that they do not meet 429s in the first place.
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
//! **When does the window reset, by our clock?** `Reset` is in the server's epoch seconds, and
//! the local clock may be skewed. Every response's `Date` (the server's time, truncated to the
//! second) gives a lower bound of the offset between the server's clock and ours:
//! `offset ≥ Date − local`. The ledger keeps the largest such bound, which converges on the real
//! offset within milliseconds after a few responses, and waits until
//! `Reset − (local + offset_bound)`: never earlier than the real reset (which would cost a 429),
//! and only a little later. Garbage, missing or past values never cause a negative or endless
//! wait: waits are clamped to [0, 24 h], and a window whose end has passed is simply unknown.
//!
//! Cancellation: a waiting call that is dropped leaves the queue, and an admitted call that is
//! dropped before it settles releases its place; either wakes the next waiter. A call that ends
//! without a response may still have been counted by the server, so it is taken as spent.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, OnceLock, Weak};
use std::time::{Duration, Instant, UNIX_EPOCH};

use parking_lot::Mutex;
use sha2::{Digest, Sha256};
use tokio::sync::Notify;

use crate::runtime::{Clock, SystemClock};
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

/// The ledger of one (key, base URL) in this process.
pub(crate) struct Ledger {
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
    /// Woken on every change that may let a waiter through.
    changed: Notify,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.state.lock();
        f.debug_struct("Ledger")
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
    /// Tickets of waiting calls, first come first served.
    queue: VecDeque<u64>,
    next_ticket: u64,
    /// Lower bound of (server clock − local clock) in milliseconds.
    offset_ms: Option<i64>,
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
    },
}

enum Decision {
    Admit {
        probe: bool,
    },
    /// Wait for a change, or at the latest until the instant.
    Wait(Option<Instant>),
}

impl State {
    fn decide(&self, now: Instant) -> Decision {
        match self.knowledge {
            Knowledge::Unlimited => Decision::Admit { probe: false },
            Knowledge::Window {
                ends_at, remaining, ..
            } if now < ends_at => {
                if self.in_flight < remaining {
                    Decision::Admit { probe: false }
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

    /// Folds what a response said into the ledger.
    fn observe(&mut self, clock: &dyn Clock, status: u16, meta: &ResponseMeta) {
        let now = clock.now();
        if let Some(date) = meta.server_date {
            self.learn_offset(date, clock);
        }
        let Some(rl) = meta.rate_limit else {
            if status == 429 {
                let pause = meta.retry_after.unwrap_or(BLIND_429_PAUSE);
                self.knowledge = Knowledge::Window {
                    reset: self.newest_reset.unwrap_or(i64::MIN),
                    ends_at: now + pause.min(MAX_HEADER_WAIT) + RESET_MARGIN,
                    remaining: 0,
                };
            } else {
                self.knowledge = Knowledge::Unlimited;
            }
            return;
        };
        if self.newest_reset.is_some_and(|newest| rl.reset < newest) {
            return; // about a window that has already passed
        }
        let mut ends_at = now + self.until_reset(rl.reset, clock) + RESET_MARGIN;
        let mut remaining = rl.remaining;
        if let Knowledge::Window {
            reset,
            ends_at: known_end,
            remaining: known,
        } = self.knowledge
            && reset == rl.reset
        {
            // Both ends are upper bounds of the true reset: the earlier is the tighter one.
            ends_at = ends_at.min(known_end);
            remaining = remaining.min(known);
        }
        if status == 429 {
            remaining = 0;
            if let Some(retry_after) = meta.retry_after {
                ends_at = ends_at.max(now + retry_after.min(MAX_HEADER_WAIT));
            }
        }
        self.newest_reset = Some(rl.reset);
        self.knowledge = Knowledge::Window {
            reset: rl.reset,
            ends_at,
            remaining,
        };
    }

    fn learn_offset(&mut self, server_date: std::time::SystemTime, clock: &dyn Clock) {
        let (Some(server_ms), Some(local_ms)) = (epoch_ms(server_date), epoch_ms(clock.wall()))
        else {
            return;
        };
        // `Date` is truncated to the second: the server's clock reads at least `Date` and less
        // than `Date + 1 s`.
        let low = server_ms - local_ms;
        let high = low + 1000;
        self.offset_ms = Some(match self.offset_ms {
            // A bound above `high` contradicts this sample: a clock jumped. Start over.
            Some(known) if known <= high => known.max(low),
            _ => low,
        });
    }

    /// Time from now until the server's clock reaches `reset`, an upper bound.
    fn until_reset(&self, reset: i64, clock: &dyn Clock) -> Duration {
        let Some(local_ms) = epoch_ms(clock.wall()) else {
            return Duration::ZERO;
        };
        let server_now_low = local_ms.saturating_add(self.offset_ms.unwrap_or(0));
        let wait_ms = reset.saturating_mul(1000).saturating_sub(server_now_low);
        Duration::from_millis(u64::try_from(wait_ms).unwrap_or(0)).min(MAX_HEADER_WAIT)
    }
}

fn epoch_ms(t: std::time::SystemTime) -> Option<i64> {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).ok(),
        Err(e) => i64::try_from(e.duration().as_millis()).ok().map(|v| -v),
    }
}

/// What became of an admitted request.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Observed<'a> {
    /// A response came back with these headers and this status.
    Response { status: u16, meta: &'a ResponseMeta },
    /// No response (connection error, timeout): the request may or may not have counted.
    NoResponse,
}

/// The place of one admitted request. Settle it with what came back; dropping it unsettled
/// (a cancelled call) releases the place.
#[derive(Debug)]
pub(crate) struct Admission {
    ledger: Arc<Ledger>,
    probe: bool,
    settled: bool,
}

impl Admission {
    /// Records what the response said and releases the place.
    pub(crate) fn settle(mut self, observed: Observed<'_>) {
        self.settled = true;
        self.ledger.release(self.probe, observed);
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        if !self.settled {
            self.ledger.release(self.probe, Observed::NoResponse);
        }
    }
}

/// Removes a waiting call's ticket when the call is dropped while it waits.
struct Ticket<'a> {
    ledger: &'a Ledger,
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

type Registry = Mutex<(u32, HashMap<[u8; 32], Weak<Ledger>>)>;

impl Ledger {
    pub(crate) fn new(clock: Arc<dyn Clock>) -> Ledger {
        Ledger {
            clock,
            state: Mutex::new(State {
                knowledge: Knowledge::Unknown,
                newest_reset: None,
                in_flight: 0,
                probe_out: false,
                queue: VecDeque::new(),
                next_ticket: 0,
                offset_ms: None,
            }),
            changed: Notify::new(),
        }
    }

    /// The process-wide ledger for this key and base URL (keyed by a hash, never the key).
    /// After `fork()` the child starts with an empty registry: the parent's in-flight counts
    /// mean nothing there.
    pub(crate) fn shared(api_key: &ApiKey, base_url: &str) -> Arc<Ledger> {
        static REGISTRY: OnceLock<Registry> = OnceLock::new();
        let mut hasher = Sha256::new();
        hasher.update(api_key.expose().as_bytes());
        hasher.update([0]);
        hasher.update(base_url.as_bytes());
        let id: [u8; 32] = hasher.finalize().into();

        let registry = REGISTRY.get_or_init(|| Mutex::new((std::process::id(), HashMap::new())));
        let mut guard = registry.lock();
        let (pid, ledgers) = &mut *guard;
        if *pid != std::process::id() {
            *pid = std::process::id();
            ledgers.clear();
        }
        if let Some(ledger) = ledgers.get(&id).and_then(Weak::upgrade) {
            return ledger;
        }
        ledgers.retain(|_, weak| weak.strong_count() > 0);
        let ledger = Arc::new(Ledger::new(Arc::new(SystemClock)));
        ledgers.insert(id, Arc::downgrade(&ledger));
        ledger
    }

    /// Waits (FIFO) until a request may be sent. When the wait would exceed `max_wait`, returns
    /// at once with `Err(wait)`: how long until the window resets.
    pub(crate) async fn admit(self: &Arc<Self>, max_wait: Duration) -> Result<Admission, Duration> {
        let deadline = self.clock.now() + max_wait;
        let mut ticket = {
            let mut s = self.state.lock();
            if s.queue.is_empty()
                && let Decision::Admit { probe } = s.decide(self.clock.now())
            {
                s.admit(probe);
                return Ok(self.admission(probe));
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

    fn admission(self: &Arc<Self>, probe: bool) -> Admission {
        Admission {
            ledger: Arc::clone(self),
            probe,
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
}

#[cfg(test)]
#[path = "ledger_tests.rs"]
mod tests;
