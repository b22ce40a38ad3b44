//! Fixed-window rate limiting per API key.
//!
//! A key's window opens with its first request and lasts `rate_window`; within it, `rate_limit`
//! requests pass and the rest get 429 until the window ends. `X-RateLimit-Reset` is the window's
//! end in epoch seconds, rounded up, so a client that waits until then is never early. Changing the
//! configuration starts fresh windows for every key (a generation counter, checked lazily).

use http::{HeaderMap, HeaderName, HeaderValue};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use crate::error::InvalidArgument;

/// The longest rate-limit window the emulator accepts: one day. Longer windows are refused
/// everywhere (options, CLI, admin API, bindings), so window arithmetic never overflows.
pub const MAX_RATE_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);

/// Checks a rate-limit window: at least 1 ms and at most [`MAX_RATE_WINDOW`] (one day).
pub fn check_rate_window(window: Duration) -> Result<(), InvalidArgument> {
    if window < Duration::from_millis(1) || window > MAX_RATE_WINDOW {
        return Err(InvalidArgument::new(
            "rate_window",
            format!(
                "must be at least 1 ms and at most one day ({} ms), got {} ms",
                MAX_RATE_WINDOW.as_millis(),
                window.as_secs_f64() * 1000.0
            ),
        ));
    }
    Ok(())
}

/// `X-RateLimit-Limit`.
pub(crate) const LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
/// `X-RateLimit-Remaining`.
pub(crate) const REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
/// `X-RateLimit-Reset`.
pub(crate) const RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// The live rate-limit configuration, shared by all keys.
pub(crate) struct RateConfig {
    limit: AtomicU32,
    window_ms: AtomicU64,
    generation: AtomicU64,
}

impl RateConfig {
    pub(crate) fn new(limit: u32, window: Duration) -> Self {
        RateConfig {
            limit: AtomicU32::new(limit),
            window_ms: AtomicU64::new(window_millis(window)),
            generation: AtomicU64::new(0),
        }
    }

    /// Replaces the limit and window; every key starts a fresh window if either changed.
    pub(crate) fn set(&self, limit: u32, window: Duration) {
        let window_ms = window_millis(window);
        let old_limit = self.limit.swap(limit, Ordering::SeqCst);
        let old_window = self.window_ms.swap(window_ms, Ordering::SeqCst);
        if old_limit != limit || old_window != window_ms {
            self.generation.fetch_add(1, Ordering::SeqCst);
        }
    }

    pub(crate) fn limit(&self) -> u32 {
        self.limit.load(Ordering::SeqCst)
    }

    pub(crate) fn window(&self) -> Duration {
        Duration::from_millis(self.window_ms.load(Ordering::SeqCst))
    }
}

fn window_millis(window: Duration) -> u64 {
    u64::try_from(window.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// One key's current window.
#[derive(Default)]
pub(crate) struct Window {
    generation: u64,
    end_ms: u64,
    count: u32,
}

/// What the limiter decided for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Rate limiting is off: no headers.
    Off,
    /// The request may proceed.
    Allowed {
        limit: u32,
        remaining: u32,
        reset: u64,
    },
    /// Over the limit: 429 with `Retry-After` seconds.
    Limited {
        limit: u32,
        reset: u64,
        retry_after: u64,
    },
}

impl Decision {
    /// Adds the `X-RateLimit-*` headers (none when off).
    pub(crate) fn apply(self, headers: &mut HeaderMap) {
        let (limit, remaining, reset) = match self {
            Decision::Off => return,
            Decision::Allowed {
                limit,
                remaining,
                reset,
            } => (limit, remaining, reset),
            Decision::Limited { limit, reset, .. } => (limit, 0, reset),
        };
        headers.insert(LIMIT, HeaderValue::from(limit));
        headers.insert(REMAINING, HeaderValue::from(remaining));
        headers.insert(RESET, HeaderValue::from(reset));
    }
}

/// Counts one request against `window` at `now_ms` (epoch milliseconds).
pub(crate) fn check(config: &RateConfig, window: &Mutex<Window>, now_ms: u64) -> Decision {
    let generation = config.generation.load(Ordering::SeqCst);
    let limit = config.limit();
    if limit == 0 {
        return Decision::Off;
    }
    let window_ms = config.window_ms.load(Ordering::SeqCst);
    let mut w = window.lock();
    if w.generation != generation || now_ms >= w.end_ms {
        // A window opens with the key's first request, at the start of that request's second:
        // with whole-second windows the reset then falls on a whole second, so
        // `X-RateLimit-Reset` is exact rather than rounded up (a client waiting for a rounded-up
        // reset loses up to a second per window).
        *w = Window {
            generation,
            end_ms: (now_ms - now_ms % 1000).saturating_add(window_ms),
            count: 0,
        };
    }
    let reset = w.end_ms.div_ceil(1000);
    if w.count < limit {
        w.count += 1;
        Decision::Allowed {
            limit,
            remaining: limit - w.count,
            reset,
        }
    } else {
        Decision::Limited {
            limit,
            reset,
            retry_after: w.end_ms.saturating_sub(now_ms).div_ceil(1000).max(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_the_limit_then_limits_until_the_window_ends() {
        let config = RateConfig::new(2, Duration::from_millis(2000));
        let window = Mutex::new(Window::default());
        let t0 = 1_000_000_500;
        assert_eq!(
            check(&config, &window, t0),
            Decision::Allowed {
                limit: 2,
                remaining: 1,
                reset: 1_000_002
            }
        );
        assert!(matches!(
            check(&config, &window, t0 + 1),
            Decision::Allowed { remaining: 0, .. }
        ));
        assert_eq!(
            check(&config, &window, t0 + 10),
            Decision::Limited {
                limit: 2,
                reset: 1_000_002,
                retry_after: 2
            }
        );
        assert!(matches!(
            check(&config, &window, t0 + 2000),
            Decision::Allowed { remaining: 1, .. }
        ));
    }

    #[test]
    fn zero_limit_is_off_and_new_config_restarts_windows() {
        let config = RateConfig::new(1, Duration::from_secs(60));
        let window = Mutex::new(Window::default());
        check(&config, &window, 0);
        assert!(matches!(
            check(&config, &window, 1),
            Decision::Limited { .. }
        ));
        config.set(1, Duration::from_secs(60));
        assert!(
            matches!(check(&config, &window, 2), Decision::Limited { .. }),
            "the same configuration keeps the windows"
        );
        config.set(1, Duration::from_secs(30));
        assert!(matches!(
            check(&config, &window, 2),
            Decision::Allowed { .. }
        ));
        config.set(0, Duration::from_secs(60));
        assert_eq!(check(&config, &window, 3), Decision::Off);
    }

    #[test]
    fn windows_are_bounded_and_the_arithmetic_saturates() {
        assert!(check_rate_window(Duration::from_millis(1)).is_ok());
        assert!(check_rate_window(MAX_RATE_WINDOW).is_ok());
        assert!(check_rate_window(Duration::ZERO).is_err());
        assert!(check_rate_window(Duration::from_micros(500)).is_err());
        let error = check_rate_window(MAX_RATE_WINDOW + Duration::from_millis(1)).unwrap_err();
        assert_eq!(error.field(), "rate_window");
        // Even an unchecked huge window must not overflow.
        let config = RateConfig::new(1, Duration::MAX);
        let window = Mutex::new(Window::default());
        assert!(matches!(
            check(&config, &window, 1_000_000_500),
            Decision::Allowed { .. }
        ));
        assert!(matches!(
            check(&config, &window, 1_000_000_501),
            Decision::Limited { .. }
        ));
    }
}
