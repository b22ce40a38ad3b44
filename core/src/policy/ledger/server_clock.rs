//! The server's clock as seen from here: when does a window reset, by our clock?
//!
//! `X-RateLimit-Reset` is in the server's epoch seconds, and the local clock may be skewed.
//! Every response's `Date` (the server's time, truncated to the second) gives a lower bound of
//! the offset between the server's clock and ours: `offset ≥ Date − local`. Keeping the largest
//! such bound converges on the real offset within milliseconds after a few responses, and
//! waiting until `Reset − (local + offset_bound)` is never earlier than the real reset (which
//! would cost a 429) and only a little later. Both stores of the ledger use it: the in-process
//! one to place the window's end on its monotonic clock, the Redis one to tell the store how long
//! the window has left.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::runtime::Clock;
use crate::wire::headers::MAX_HEADER_WAIT;

/// A lower bound of (server clock − local clock), learned from `Date` headers.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ServerClock {
    /// In milliseconds; `None` before the first `Date`.
    offset_ms: Option<i64>,
}

impl ServerClock {
    /// Folds in one response's `Date`.
    pub(crate) fn learn(&mut self, server_date: SystemTime, clock: &dyn Clock) {
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

    /// Time from now until the server's clock reaches `reset`: an upper bound, clamped to
    /// [0, [`MAX_HEADER_WAIT`]] so that garbage never causes a negative or endless wait.
    pub(crate) fn until_reset(&self, reset: i64, clock: &dyn Clock) -> Duration {
        let Some(local_ms) = epoch_ms(clock.wall()) else {
            return Duration::ZERO;
        };
        let server_now_low = local_ms.saturating_add(self.offset_ms.unwrap_or(0));
        let wait_ms = reset.saturating_mul(1000).saturating_sub(server_now_low);
        Duration::from_millis(u64::try_from(wait_ms).unwrap_or(0)).min(MAX_HEADER_WAIT)
    }
}

fn epoch_ms(t: SystemTime) -> Option<i64> {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).ok(),
        Err(e) => i64::try_from(e.duration().as_millis()).ok().map(|v| -v),
    }
}
