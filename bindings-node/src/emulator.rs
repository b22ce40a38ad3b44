//! `delegir/testing`: the Rust emulator (`delegir-emulator`) started in-process.
//!
//! `Emulator::start_detached` serves on its own thread and runtime, so it needs nothing from
//! Node's event loop and never keeps the process alive. Journal entries and fault rules cross
//! as JSON (the emulator's own serde shapes); the TypeScript layer gives them camelCase names.

use std::time::Duration;

use delegir_emulator::{Emulator, EmulatorOptions, FaultRule, check_rate_window};
use napi::bindgen_prelude::PromiseRaw;
use napi::{Env, Error, Result, Status};
use napi_derive::napi;
use std::sync::Mutex;

/// A running emulator (the native half of `Emulator` in `delegir/testing`).
#[napi]
pub struct NativeEmulator {
    inner: Mutex<Option<Emulator>>,
}

fn stopped() -> Error {
    Error::new(Status::GenericFailure, "the emulator has been stopped")
}

/// Starts an emulator on 127.0.0.1. `rate_limit` is requests per key per window (0 turns
/// limiting off; default 60); `rate_window_ms` the window (default 60 000 ms); `port` the port
/// (0 or none: a free one).
#[napi]
pub fn start_emulator(
    rate_limit: Option<i64>,
    rate_window_ms: Option<f64>,
    port: Option<i64>,
) -> Result<NativeEmulator> {
    let mut options = EmulatorOptions::default();
    if let Some(port) = port {
        // Taken as `i64` so that -1 or 70000 is refused, not wrapped by napi's `u16`.
        options.port = u16::try_from(port).map_err(|_| {
            Error::new(
                Status::InvalidArg,
                format!("port must be between 0 and 65535, got {port}"),
            )
        })?;
    }
    if let Some(limit) = rate_limit {
        options.rate_limit = limit_u32("rateLimit", limit)?;
    }
    if let Some(ms) = rate_window_ms {
        options.rate_window = window("rateWindow", ms)?;
    }
    let emulator = Emulator::start_detached(options)
        .map_err(|e| Error::from_reason(format!("could not start the emulator: {e}")))?;
    Ok(NativeEmulator {
        inner: Mutex::new(Some(emulator)),
    })
}

/// Milliseconds from JavaScript as a window: any number that is no `Duration` (NaN, infinite,
/// negative, too large) or that the emulator refuses (`check_rate_window`: 1 ms to one day) is
/// an `InvalidArg` error, which the TypeScript layer throws as a `RangeError`.
fn window(name: &str, ms: f64) -> Result<Duration> {
    let refused = |problem: &str| {
        Error::new(
            Status::InvalidArg,
            format!("{name} must be a number of milliseconds that {problem}, got {ms}"),
        )
    };
    let window =
        Duration::try_from_secs_f64(ms / 1000.0).map_err(|_| refused("is positive and finite"))?;
    check_rate_window(window).map_err(|e| refused(e.problem()))?;
    Ok(window)
}

/// A limit from JavaScript (taken as `i64`, so that `-1` is refused rather than wrapped to
/// 4294967295 by napi's `u32` conversion).
fn limit_u32(name: &str, limit: i64) -> Result<u32> {
    u32::try_from(limit).map_err(|_| {
        Error::new(
            Status::InvalidArg,
            format!("{name} must be between 0 and {}, got {limit}", u32::MAX),
        )
    })
}

/// A refused fault rule: `ObjectExpected` (thrown as a `TypeError`) when it does not have the
/// rule's shape, `InvalidArg` (a `RangeError`) when a value is out of range.
fn invalid_rule(e: impl std::fmt::Display, status: Status) -> Error {
    Error::new(status, format!("invalid fault rule: {e}"))
}

impl NativeEmulator {
    fn with<T>(&self, f: impl FnOnce(&Emulator) -> T) -> Result<T> {
        let guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        guard.as_ref().map(f).ok_or_else(stopped)
    }
}

#[napi]
impl NativeEmulator {
    /// The API's base URL, e.g. `http://127.0.0.1:PORT/api/v1`.
    #[napi(getter)]
    pub fn base_url(&self) -> Result<String> {
        self.with(Emulator::base_url)
    }

    /// The admin API's base URL, e.g. `http://127.0.0.1:PORT/__emulator`.
    #[napi(getter)]
    pub fn admin_url(&self) -> Result<String> {
        self.with(Emulator::admin_url)
    }

    /// The key made for this instance.
    #[napi(getter)]
    pub fn api_key(&self) -> Result<String> {
        self.with(Emulator::api_key)
    }

    /// Another fresh key with its own copy of the data.
    #[napi]
    pub fn new_api_key(&self) -> Result<String> {
        self.with(Emulator::new_api_key)
    }

    /// Requests received, oldest first, as a JSON array; with a key, only that key's.
    #[napi]
    pub fn journal(&self, api_key: Option<String>) -> Result<String> {
        let entries = self.with(|e| e.journal(api_key.as_deref()))?;
        serde_json::to_string(&entries).map_err(|e| Error::from_reason(e.to_string()))
    }

    /// Empties the journal.
    #[napi]
    pub fn clear_journal(&self) -> Result<()> {
        self.with(Emulator::clear_journal)
    }

    /// Queues a fault rule given as the emulator's JSON (`{"method","path","count","api_key","fault"}`).
    #[napi]
    pub fn push_fault(&self, rule_json: String) -> Result<()> {
        let rule: FaultRule = serde_json::from_str(&rule_json)
            .map_err(|e| invalid_rule(e, Status::ObjectExpected))?;
        self.with(|e| e.try_push_fault(rule))?
            .map_err(|e| invalid_rule(e, Status::InvalidArg))
    }

    /// Removes every queued fault.
    #[napi]
    pub fn clear_faults(&self) -> Result<()> {
        self.with(Emulator::clear_faults)
    }

    /// Resets every key's state (or one key's), faults and journal.
    #[napi]
    pub fn reset(&self, api_key: Option<String>) -> Result<()> {
        self.with(|e| e.reset(api_key.as_deref()))
    }

    /// Revokes a key: its requests get 401 until a reset.
    #[napi]
    pub fn revoke_key(&self, api_key: String) -> Result<()> {
        self.with(|e| e.revoke_key(&api_key))
    }

    /// Sets the rate limit (0 = off) and its window in milliseconds.
    #[napi]
    pub fn set_rate_limit(&self, limit: i64, window_ms: f64) -> Result<()> {
        let limit = limit_u32("limit", limit)?;
        let window = window("windowMs", window_ms)?;
        self.with(|e| e.try_set_rate_limit(limit, window))?
            .map_err(|e| Error::new(Status::InvalidArg, e.to_string()))
    }

    /// Whether `stop` has been called.
    #[napi(getter)]
    pub fn stopped(&self) -> bool {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_none()
    }

    /// Stops the server; resolves once it no longer listens. Stopping twice does nothing.
    #[napi]
    pub fn stop<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>> {
        let emulator = self.inner.lock().unwrap_or_else(|e| e.into_inner()).take();
        env.spawn_future(async move {
            if let Some(emulator) = emulator {
                // Joining the server thread blocks; keep it off the JavaScript thread.
                let _ = tokio::task::spawn_blocking(move || emulator.shutdown()).await;
            }
            Ok(())
        })
    }
}
