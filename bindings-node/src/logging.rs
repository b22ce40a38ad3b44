//! Per-attempt log records delivered to a JavaScript function.
//!
//! The core calls its `on_attempt` observer on a runtime thread once per attempt; this module
//! forwards each record through a threadsafe function to the function the TypeScript layer
//! passes (which applies the level and calls the user's `logger` or writes `DELEGIR_LOG` output).
//! The observer is installed only when logging is wanted, so calls without logging pay nothing.
//! The threadsafe function is *weak*: it never keeps the process alive. Records carry the route
//! template (`/agents/:id`), never ids, bodies or the key.

use std::sync::Arc;

use delegir::{AttemptLog, AttemptObserver};
use napi::bindgen_prelude::Function;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Result, Status};
use napi_derive::napi;

use crate::error::NativeError;

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
            error: log.error.map(|kind| NativeError::code_of(kind).to_owned()),
            will_retry: log.will_retry,
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
