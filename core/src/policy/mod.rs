//! The policy layer, above the wire and below the API: what one call does with its attempts.
//!
//! - `transport`: the attempt loop (timeouts, retries, size cap, decoding, one log per attempt).
//! - `retry`: which outcomes are retried and how long to wait.
//! - `ledger`: the rate-limit ledger that keeps calls clear of 429s.
//! - `logging`: the attempt records and the observer hook.

pub(crate) mod ledger;
pub(crate) mod logging;
pub(crate) mod retry;
pub(crate) mod store_events;
pub(crate) mod transport;
