//! `delegir/testing`: the Rust emulator (`delegir-emulator`) started in-process.
//!
//! `Emulator::start_detached` serves on its own thread and runtime, so it needs nothing from
//! Node's event loop and never keeps the process alive. Journal entries and fault rules cross
//! as JSON (the emulator's own serde shapes); the TypeScript layer gives them camelCase names.

use std::time::Duration;

use delegir_emulator::{Emulator, EmulatorOptions, FaultRule};
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

/// Starts an emulator on 127.0.0.1 and a free port. `rate_limit` is requests per key per window
/// (0 turns limiting off; default 60); `rate_window_ms` the window (default 60 000 ms).
#[napi]
pub fn start_emulator(
    rate_limit: Option<u32>,
    rate_window_ms: Option<f64>,
) -> Result<NativeEmulator> {
    let mut options = EmulatorOptions::default();
    if let Some(limit) = rate_limit {
        options.rate_limit = limit;
    }
    if let Some(ms) = rate_window_ms {
        options.rate_window = window(ms)?;
    }
    let emulator = Emulator::start_detached(options)
        .map_err(|e| Error::from_reason(format!("could not start the emulator: {e}")))?;
    Ok(NativeEmulator {
        inner: Mutex::new(Some(emulator)),
    })
}

fn window(ms: f64) -> Result<Duration> {
    if ms.is_finite() && ms > 0.0 {
        Ok(Duration::from_secs_f64(ms / 1000.0))
    } else {
        Err(Error::new(
            Status::InvalidArg,
            format!("rateWindow must be a positive number of milliseconds, got {ms}"),
        ))
    }
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
            .map_err(|e| Error::new(Status::InvalidArg, format!("invalid fault rule: {e}")))?;
        self.with(|e| e.push_fault(rule))
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
    pub fn set_rate_limit(&self, limit: u32, window_ms: f64) -> Result<()> {
        let window = window(window_ms)?;
        self.with(|e| e.set_rate_limit(limit, window))
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
