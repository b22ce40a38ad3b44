//! Per-attempt log records delivered to a JavaScript function.
//!
//! The core calls its `on_attempt` observer on a runtime thread once per attempt; this module
//! forwards each record through a threadsafe function to the function the TypeScript layer
//! passes (which filters by level and calls the user's `logger` or writes `DELEGIR_LOG` output).
//! The record's level and one-line summary come from the core (`AttemptLog::level` and its
//! `Display`), so every language logs the same thing.
//! The observer is installed only when logging is wanted, so calls without logging pay nothing.
//! The threadsafe function is *weak*: it never keeps the process alive. Records carry the route
//! template (`/agents/:id`), never ids, bodies or the key.

use std::sync::Arc;

use delegir::{AttemptLog, AttemptObserver};
use napi::bindgen_prelude::Function;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Result, Status};
use napi_derive::napi;

/// What one attempt of a call did.
#[napi(object)]
pub struct AttemptRecord {
    /// `GET`, `PUT`, `DELETE` or `POST`.
    pub method: String,
    /// The route template, e.g. `/agents/:id/chat`.
    pub route: String,
    /// The response status, when one came back.
    pub status: Option<u32>,
    /// 1 for the first attempt, 2 for the first retry, ...
    pub attempt: u32,
    /// Milliseconds from sending to the end of the attempt.
    pub elapsed_ms: f64,
    /// Milliseconds waited before the attempt (rate-limit ledger and backoff).
    pub wait_ms: f64,
    /// The failure's error code (as in `NativeError.code`), if the attempt failed.
    pub error: Option<String>,
    /// Whether another attempt follows.
    pub will_retry: bool,
    /// `debug`, `info` or `warn`, as the core decides.
    pub level: String,
    /// The one-line summary, e.g. `GET /agents/:id -> 200 (attempt 1, 1.2 ms, waited 0.0 ms)`.
    pub summary: String,
}

impl From<&AttemptLog> for AttemptRecord {
    fn from(log: &AttemptLog) -> Self {
        AttemptRecord {
            method: log.method.to_owned(),
            route: log.route.to_owned(),
            status: log.status.map(u32::from),
            attempt: log.attempt,
            elapsed_ms: log.elapsed.as_secs_f64() * 1000.0,
            wait_ms: log.wait.as_secs_f64() * 1000.0,
            error: log.error.map(|kind| kind.as_str().to_owned()),
            will_retry: log.will_retry,
            level: log.level().as_str().to_owned(),
            summary: log.to_string(),
        }
    }
}

type Sink = ThreadsafeFunction<AttemptRecord, (), AttemptRecord, Status, false, true>;

/// An observer that forwards every record to `callback` without keeping the process alive.
pub(crate) fn observer(callback: Function<'_, AttemptRecord, ()>) -> Result<AttemptObserver> {
    let sink: Sink = callback
        .build_threadsafe_function::<AttemptRecord>()
        .weak::<true>()
        .build()?;
    let sink = Arc::new(sink);
    Ok(Arc::new(move |log: &AttemptLog| {
        sink.call(
            AttemptRecord::from(log),
            ThreadsafeFunctionCallMode::NonBlocking,
        );
    }))
}
