//! One log record per attempt, for `tracing` and for the bindings' loggers.
//!
//! Records carry the route template (`/agents/:id`), never ids, bodies or the key. Bindings that
//! want the records in their own logging system (Python's `logging`, a Node `logger` option)
//! register an [`AttemptObserver`] with [`crate::ClientBuilder::on_attempt`]; the level of a record
//! and its one-line summary are decided here, once, so every language logs the same thing.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::error::ErrorKind;

/// How much an attempt's record matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// A successful attempt.
    Debug,
    /// A failure that is retried, or one the caller caused and will see as an error
    /// (400, 401, 404; an invalid argument is refused before any attempt, so it has no record).
    Info,
    /// A failure that ends the call for reasons outside the caller's request: the server, the
    /// network, the rate limit, a malformed response.
    Warn,
}

impl LogLevel {
    /// `"debug"`, `"info"` or `"warn"`.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
        }
    }
}

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

impl AttemptLog {
    /// The level this record is logged at.
    pub fn level(&self) -> LogLevel {
        match (self.error, self.will_retry) {
            (None, _) => LogLevel::Debug,
            (Some(_), true) => LogLevel::Info,
            (
                Some(
                    ErrorKind::BadRequest
                    | ErrorKind::Authentication
                    | ErrorKind::NotFound
                    | ErrorKind::InvalidArgument,
                ),
                false,
            ) => LogLevel::Info,
            (Some(_), false) => LogLevel::Warn,
        }
    }
}

/// The one-line summary every language logs, e.g.
/// `GET /agents/:id -> 500 internal_server (attempt 1, 3.2 ms, waited 0.0 ms); retrying`.
impl fmt::Display for AttemptLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} -> ", self.method, self.route)?;
        match (self.status, self.error) {
            (Some(status), Some(kind)) => write!(f, "{status} {}", kind.as_str())?,
            (Some(status), None) => write!(f, "{status}")?,
            (None, Some(kind)) => f.write_str(kind.as_str())?,
            (None, None) => f.write_str("no response")?,
        }
        write!(
            f,
            " (attempt {}, {:.1} ms, waited {:.1} ms)",
            self.attempt,
            self.elapsed.as_secs_f64() * 1000.0,
            self.wait.as_secs_f64() * 1000.0
        )?;
        if self.will_retry {
            f.write_str("; retrying")?;
        }
        Ok(())
    }
}

/// Receives every [`AttemptLog`]; called on the runtime's threads, so keep it quick.
pub type AttemptObserver = Arc<dyn Fn(&AttemptLog) + Send + Sync + 'static>;

#[cfg(test)]
mod tests {
    use super::*;

    fn log(status: Option<u16>, error: Option<ErrorKind>, will_retry: bool) -> AttemptLog {
        AttemptLog {
            method: "GET",
            route: "/agents/:id",
            status,
            attempt: 2,
            elapsed: Duration::from_micros(3250),
            wait: Duration::from_millis(500),
            error,
            will_retry,
        }
    }

    #[test]
    fn successes_are_debug_retries_info_and_final_server_failures_warn() {
        assert_eq!(log(Some(200), None, false).level(), LogLevel::Debug);
        let retried = log(Some(500), Some(ErrorKind::InternalServer), true);
        assert_eq!(retried.level(), LogLevel::Info);
        let not_found = log(Some(404), Some(ErrorKind::NotFound), false);
        assert_eq!(not_found.level(), LogLevel::Info);
        let lost = log(None, Some(ErrorKind::Connection), false);
        assert_eq!(lost.level(), LogLevel::Warn);
    }

    #[test]
    fn the_summary_names_route_outcome_attempt_and_timings() {
        assert_eq!(
            log(Some(500), Some(ErrorKind::InternalServer), true).to_string(),
            "GET /agents/:id -> 500 internal_server (attempt 2, 3.2 ms, waited 500.0 ms); retrying"
        );
        assert_eq!(
            log(None, Some(ErrorKind::Timeout), false).to_string(),
            "GET /agents/:id -> timeout (attempt 2, 3.2 ms, waited 500.0 ms)"
        );
    }
}
