//! What is retried, and how long to wait before the next attempt.
//!
//! The rules are DESIGN.md's "Retries and timeouts", in one place so the transport, the tests and
//! the docs agree:
//!
//! - a request that provably never left the client (refused connection, DNS failure, connect
//!   timeout, TLS handshake) is retried for every method;
//! - a 429 is retried for every method: the server rejected the request without acting on it;
//! - GET, PUT and DELETE are also retried on 408, 500, 502, 503, 504, on timeouts, on
//!   connections lost after the request was sent and on malformed responses (protocol errors);
//! - `POST /chat` is never resent once it may have reached the server: each chat is a billed
//!   run, and a duplicate run is worse than an error. Its error then says the run may have been
//!   created.
//!
//! Backoff is "full jitter": `random(0, min(8 s, 0.5 s × 2^retry))`. A 429 waits until the
//! window resets instead (see [`rate_limit_wait`]), plus up to 100 ms of jitter so that clients
//! that were refused together do not come back together; never sooner than that 429's own
//! reset, whatever the rate-limit ledger believed.
//!
//! Apart from these rules, the wire layer (`wire/native/http.rs`) sends a request again, without
//! using the retry budget, when the server provably did not process it: an HTTP/2 stream it
//! refused, an HTTP/1.1 write to a connection it had closed.

use std::time::Duration;

use crate::wire::headers::ResponseMeta;
use crate::wire::request::Idempotency;

/// First backoff cap: the first retry waits up to this long.
const BACKOFF_BASE: Duration = Duration::from_millis(500);
/// No backoff is longer than this.
const BACKOFF_MAX: Duration = Duration::from_secs(8);
/// The longest `Retry-After` of a retried 408 or 5xx that is waited as asked; a longer one gets
/// the usual backoff instead.
pub(crate) const MAX_HONOURED_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Jitter added to a rate-limit wait.
const RATE_LIMIT_JITTER_MS: u64 = 100;

/// Appended to the message of a chat error that may have created a run.
pub(crate) const CHAT_MAY_EXIST_NOTE: &str = "; the run may have been created, so the chat was \
     not sent again (check the agent's runs before sending it again)";

/// How an attempt ended, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The request provably never left the client (connect refused, DNS, connect timeout, TLS).
    NotSent,
    /// The connection failed after the request was (or may have been) sent: reset, closed, a
    /// body that stopped halfway.
    Lost,
    /// The attempt's timeout ran out.
    TimedOut,
    /// The server answered with this (unsuccessful) status.
    Status(u16),
    /// The response broke HTTP/1.1's rules (bad status line, framing, chunk, oversized head):
    /// a protocol error, retried like a 5xx.
    Malformed,
    /// A response came back that is final whatever the method: a success whose body is not
    /// the documented shape, a body over the size cap, a refused redirect.
    Final,
}

impl Outcome {
    /// Whether the request may have been acted on by the server. `false` for requests that
    /// never left the client and for statuses with which the server refuses to act (4xx other
    /// than 408).
    pub(crate) fn may_have_reached_server(self) -> bool {
        match self {
            Outcome::NotSent => false,
            Outcome::Status(status) => !((400..500).contains(&status) && status != 408),
            Outcome::Lost | Outcome::TimedOut | Outcome::Malformed | Outcome::Final => true,
        }
    }
}

/// Whether a request of this kind may be sent again after this outcome (retries permitting).
pub(crate) fn is_retryable(idempotency: Idempotency, outcome: Outcome) -> bool {
    match outcome {
        Outcome::NotSent | Outcome::Status(429) => true,
        Outcome::Status(408 | 500 | 502 | 503 | 504)
        | Outcome::Lost
        | Outcome::TimedOut
        | Outcome::Malformed => idempotency == Idempotency::Idempotent,
        Outcome::Status(_) | Outcome::Final => false,
    }
}

/// The note to append to an error's message: for a chat that may have reached the server, that
/// the run may exist.
pub(crate) fn note(idempotency: Idempotency, outcome: Outcome) -> &'static str {
    if idempotency == Idempotency::NotIdempotent && outcome.may_have_reached_server() {
        CHAT_MAY_EXIST_NOTE
    } else {
        ""
    }
}

/// The largest backoff before retry number `retry` (0 for the first retry):
/// `min(8 s, 0.5 s × 2^retry)`.
pub(crate) fn backoff_cap(retry: u32) -> Duration {
    // 0.5 s × 2^4 = 8 s already: larger exponents only risk overflow.
    BACKOFF_BASE
        .saturating_mul(1u32 << retry.min(4))
        .min(BACKOFF_MAX)
}

/// A full-jitter backoff before retry number `retry`: uniform in `[0, backoff_cap(retry)]`.
pub(crate) fn backoff(retry: u32) -> Duration {
    let cap = backoff_cap(retry).as_millis() as u64;
    Duration::from_millis(rand::random_range(0..=cap))
}

/// A little jitter for rate-limit waits: uniform in `[0, 100 ms]`.
pub(crate) fn rate_limit_jitter() -> Duration {
    Duration::from_millis(rand::random_range(0..=RATE_LIMIT_JITTER_MS))
}

/// How long a 429 asks us to wait: `Retry-After`, else `X-RateLimit-Reset` measured against the
/// response's `Date` (so the client's clock skew does not matter). `None` when the response
/// says neither.
pub(crate) fn rate_limit_wait(meta: &ResponseMeta) -> Option<Duration> {
    crate::wire::headers::rate_limit_wait(meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GET: Idempotency = Idempotency::Idempotent;
    const CHAT: Idempotency = Idempotency::NotIdempotent;

    #[test]
    fn requests_that_never_left_the_client_are_retried_for_every_method() {
        assert!(is_retryable(GET, Outcome::NotSent));
        assert!(is_retryable(CHAT, Outcome::NotSent));
        assert!(!Outcome::NotSent.may_have_reached_server());
    }

    #[test]
    fn rate_limited_requests_are_retried_for_every_method() {
        assert!(is_retryable(GET, Outcome::Status(429)));
        assert!(is_retryable(CHAT, Outcome::Status(429)));
        assert!(!Outcome::Status(429).may_have_reached_server());
        assert_eq!(note(CHAT, Outcome::Status(429)), "");
    }

    #[test]
    fn idempotent_requests_are_retried_on_transient_statuses_timeouts_and_lost_connections() {
        for status in [408, 500, 502, 503, 504] {
            assert!(is_retryable(GET, Outcome::Status(status)), "{status}");
        }
        assert!(is_retryable(GET, Outcome::TimedOut));
        assert!(is_retryable(GET, Outcome::Lost));
        assert!(is_retryable(GET, Outcome::Malformed));
    }

    #[test]
    fn chat_is_never_resent_once_it_may_have_reached_the_server() {
        for outcome in [
            Outcome::Status(408),
            Outcome::Status(500),
            Outcome::Status(502),
            Outcome::Status(503),
            Outcome::Status(504),
            Outcome::TimedOut,
            Outcome::Lost,
            Outcome::Malformed,
            Outcome::Final,
        ] {
            assert!(!is_retryable(CHAT, outcome), "{outcome:?}");
            assert!(outcome.may_have_reached_server(), "{outcome:?}");
            assert_eq!(note(CHAT, outcome), CHAT_MAY_EXIST_NOTE);
            assert_eq!(note(GET, outcome), "");
        }
    }

    #[test]
    fn client_errors_and_other_statuses_are_never_retried() {
        for status in [301, 400, 401, 403, 404, 409, 422, 501, 505] {
            assert!(!is_retryable(GET, Outcome::Status(status)), "{status}");
            assert!(!is_retryable(CHAT, Outcome::Status(status)), "{status}");
        }
        assert!(!is_retryable(GET, Outcome::Final));
        assert!(!Outcome::Status(404).may_have_reached_server());
        assert!(Outcome::Status(501).may_have_reached_server());
    }

    #[test]
    fn backoff_cap_doubles_from_half_a_second_up_to_eight_seconds() {
        let caps: Vec<u64> = (0..8).map(|r| backoff_cap(r).as_millis() as u64).collect();
        assert_eq!(caps, [500, 1000, 2000, 4000, 8000, 8000, 8000, 8000]);
        assert_eq!(backoff_cap(u32::MAX), BACKOFF_MAX);
    }

    #[test]
    fn backoff_is_full_jitter_within_its_cap() {
        for retry in 0..6 {
            let cap = backoff_cap(retry);
            let samples: Vec<Duration> = (0..200).map(|_| backoff(retry)).collect();
            assert!(samples.iter().all(|d| *d <= cap), "retry {retry}");
            // Full jitter spreads over the whole range, not just near the cap.
            assert!(samples.iter().any(|d| *d < cap / 2), "retry {retry}");
        }
    }

    #[test]
    fn rate_limit_jitter_is_at_most_a_tenth_of_a_second() {
        assert!((0..200).all(|_| rate_limit_jitter() <= Duration::from_millis(100)));
    }

    #[test]
    fn rate_limit_wait_prefers_retry_after_then_the_reset() {
        let mut meta = ResponseMeta::default();
        assert_eq!(rate_limit_wait(&meta), None);
        meta.reset_in = Some(Duration::from_secs(7));
        assert_eq!(rate_limit_wait(&meta), Some(Duration::from_secs(7)));
        meta.retry_after = Some(Duration::from_secs(3));
        assert_eq!(rate_limit_wait(&meta), Some(Duration::from_secs(3)));
    }
}
