//! Reading the rate-limit headers, `Retry-After` and `Date` of a response. (Being written.)
//!
//! Headers come from the network: garbage, negative, enormous or past values must parse to
//! `None` or to a bounded, non-negative duration, never panic.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

use crate::models::RateLimit;

/// What a response's headers say about the rate limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ResponseMeta {
    /// All three `X-RateLimit-*` headers, when all three parse.
    pub rate_limit: Option<RateLimit>,
    /// `Retry-After` (seconds, or an HTTP date measured against `Date`), when present and valid.
    pub retry_after: Option<Duration>,
    /// The server's `Date`.
    pub server_date: Option<SystemTime>,
    /// `X-RateLimit-Reset` minus `Date`: how long until the window resets by the server's own
    /// clock (zero when the reset lies in the past), so the client's clock skew does not matter.
    pub reset_in: Option<Duration>,
}

/// Upper bound for any wait derived from headers (a day): a garbage value never means
/// "wait forever".
pub(crate) const MAX_HEADER_WAIT: Duration = Duration::from_secs(24 * 60 * 60);

/// Parses the headers that matter to the ledger and the retry logic.
pub(crate) fn parse(headers: &HeaderMap) -> ResponseMeta {
    let _ = headers;
    ResponseMeta::default()
}
