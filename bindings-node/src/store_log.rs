//! The rate-limit store's log lines (Redis unreachable, Redis back), forwarded to JavaScript:
//! the core's subscriber (`delegir::forward_store_events`) picks them out, and each one goes to
//! the function the TypeScript layer registers when it loads, through a *weak* threadsafe
//! function that never keeps the process alive.

use std::sync::OnceLock;

use delegir::StoreEventLevel;
use napi::bindgen_prelude::Function;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Result, Status};
use napi_derive::napi;

/// One line of the rate-limit store.
#[napi(object)]
pub struct StoreLogLine {
    /// `warn` (Redis unreachable: this process's ledger only) or `info` (Redis is back).
    pub level: String,
    /// The line, with the store URL without its password.
    pub message: String,
}

type Sink = ThreadsafeFunction<StoreLogLine, (), StoreLogLine, Status, false, true>;

static SINK: OnceLock<Sink> = OnceLock::new();

/// Sends the rate-limit store's log lines to `callback` (the first registration in the process
/// wins; a `tracing` subscriber already set by the process wins too).
#[napi]
pub fn set_store_log_sink(callback: Function<'_, StoreLogLine, ()>) -> Result<()> {
    if SINK.get().is_some() {
        return Ok(());
    }
    let sink: Sink = callback
        .build_threadsafe_function::<StoreLogLine>()
        .weak::<true>()
        .build()?;
    if SINK.set(sink).is_ok() {
        delegir::forward_store_events(|level, message| {
            if let Some(sink) = SINK.get() {
                let level = match level {
                    StoreEventLevel::Warn => "warn",
                    StoreEventLevel::Info => "info",
                };
                sink.call(
                    StoreLogLine {
                        level: level.to_owned(),
                        message,
                    },
                    ThreadsafeFunctionCallMode::NonBlocking,
                );
            }
        });
    }
    Ok(())
}
