//! Forwarding the core's per-attempt records to Python's `logging`.
//!
//! The core calls an [`AttemptObserver`] on a runtime thread after every attempt. Taking the GIL
//! there costs, so the Python layer installs one only when the `delegir` logger (or
//! `DELEGIR_LOG`) would actually emit something, and passes the lowest level it emits at: the
//! record's level comes from the core (`AttemptLog::level`, the same in every language) and the
//! GIL is taken only for records that pass. Records carry the route template (`/agents/:id`),
//! never ids, bodies or the key.

use std::sync::Arc;

use delegir::{AttemptLog, AttemptObserver, ErrorKind, LogLevel};
use pyo3::prelude::*;

const DEBUG: u8 = 10;
const INFO: u8 = 20;
const WARNING: u8 = 30;

/// An observer that calls `emit(level, summary, method, route, status, attempt, elapsed_s, wait_s,
/// error, will_retry)` for records at `min_level` or above.
pub(crate) fn observer(emit: Py<PyAny>, min_level: u8) -> AttemptObserver {
    Arc::new(move |log: &AttemptLog| {
        let level = match log.level() {
            LogLevel::Debug => DEBUG,
            LogLevel::Info => INFO,
            LogLevel::Warn => WARNING,
        };
        if level < min_level {
            return;
        }
        Python::attach(|py| {
            let args = (
                level,
                log.to_string(),
                log.method,
                log.route,
                log.status,
                log.attempt,
                log.elapsed.as_secs_f64(),
                log.wait.as_secs_f64(),
                log.error.map(ErrorKind::as_str),
                log.will_retry,
            );
            if let Err(e) = emit.call1(py, args) {
                e.write_unraisable(py, None);
            }
        });
    })
}
