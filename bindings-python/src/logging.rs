//! Forwarding the core's per-attempt records to Python's `logging`.
//!
//! The core calls an [`AttemptObserver`] on a runtime thread after every attempt. Taking the GIL
//! there costs, so the Python layer installs one only when the `delegir` logger (or
//! `DELEGIR_LOG`) would actually emit something, and passes the lowest level it emits at: the
//! observer decides the record's level in Rust and takes the GIL only for records that pass.
//! Levels: a successful attempt is DEBUG; a failed attempt that will be retried, or a last
//! attempt that the server answered with a definitive 4xx (400, 401, 404: the caller's
//! exception says it all), INFO; any other failed last attempt (connection, timeout, 5xx, 429,
//! malformed response) WARNING. Records carry the route template (`/agents/:id`), never ids, bodies or
//! the key.

use std::sync::Arc;

use delegir::{AttemptLog, AttemptObserver, ErrorKind};
use pyo3::prelude::*;

const DEBUG: u8 = 10;
const INFO: u8 = 20;
const WARNING: u8 = 30;

/// An observer that calls `emit(level, method, route, status, attempt, elapsed_s, wait_s,
/// error, will_retry)` for records at `min_level` or above.
pub(crate) fn observer(emit: Py<PyAny>, min_level: u8) -> AttemptObserver {
    Arc::new(move |log: &AttemptLog| {
        let level = match (log.error, log.will_retry) {
            (None, _) => DEBUG,
            (Some(_), true) => INFO,
            (
                Some(
                    ErrorKind::BadRequest
                    | ErrorKind::Authentication
                    | ErrorKind::NotFound
                    | ErrorKind::InvalidArgument,
                ),
                false,
            ) => INFO,
            (Some(_), false) => WARNING,
        };
        if level < min_level {
            return;
        }
        Python::attach(|py| {
            let args = (
                level,
                log.method,
                log.route,
                log.status,
                log.attempt,
                log.elapsed.as_secs_f64(),
                log.wait.as_secs_f64(),
                log.error.map(kind_name),
                log.will_retry,
            );
            if let Err(e) = emit.call1(py, args) {
                e.write_unraisable(py, None);
            }
        });
    })
}

/// A stable spelling of an error kind for log records.
fn kind_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidArgument => "invalid_argument",
        ErrorKind::Configuration => "configuration",
        ErrorKind::BadRequest => "bad_request",
        ErrorKind::Authentication => "authentication",
        ErrorKind::NotFound => "not_found",
        ErrorKind::RateLimited => "rate_limited",
        ErrorKind::InternalServer => "internal_server",
        ErrorKind::ApiStatus => "api_status",
        ErrorKind::Connection => "connection",
        ErrorKind::Timeout => "timeout",
        ErrorKind::ResponseValidation => "response_validation",
        _ => "error",
    }
}
