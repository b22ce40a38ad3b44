//! One log record per attempt, for `tracing` and for the bindings' loggers.
//!
//! Records carry the route template (`/agents/:id`), never ids, bodies or the key. Bindings that
//! want the records in their own logging system (Python's `logging`, a Node `logger` option)
//! register an [`AttemptObserver`] with [`crate::ClientBuilder::on_attempt`].

use std::sync::Arc;
use std::time::Duration;

use crate::error::ErrorKind;

/// What one attempt of a call did.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptLog {
    /// `GET`, `PUT`, `DELETE` or `POST`.
    pub method: &'static str,
    /// The route template, e.g. `/agents/:id/chat`.
    pub route: &'static str,
    /// The response status, when one came back.
    pub status: Option<u16>,
    /// 1 for the first attempt, 2 for the first retry, ...
    pub attempt: u32,
    /// Time from sending to the end of the attempt.
    pub elapsed: Duration,
    /// Time waited before this attempt (rate-limit ledger and backoff).
    pub wait: Duration,
    /// The failure of this attempt, if any.
    pub error: Option<ErrorKind>,
    /// Whether another attempt follows.
    pub will_retry: bool,
}

/// Receives every [`AttemptLog`]; called on the runtime's threads, so keep it quick.
pub type AttemptObserver = Arc<dyn Fn(&AttemptLog) + Send + Sync + 'static>;
