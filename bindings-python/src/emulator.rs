//! `NativeEmulator`: the Rust emulator of the API, started in-process for `delegir.testing`.
//!
//! `Emulator::start_detached` serves on its own thread and runtime, so the emulator keeps
//! answering while the SDK's runtime (or a blocked Python thread) waits on it. Fault rules and
//! journal entries cross the boundary as JSON (their serde forms are the emulator's admin API),
//! so the Python side stays a thin dict-based wrapper.

use std::sync::Mutex;
use std::time::Duration;

use delegir_emulator::{Emulator, EmulatorOptions, FaultRule, check_rate_window};
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// A running emulator; stopped by `shutdown()` or when collected.
#[pyclass(frozen, module = "delegir._native")]
pub struct NativeEmulator {
    inner: Mutex<Option<Emulator>>,
}

#[pymethods]
impl NativeEmulator {
    #[new]
    #[pyo3(signature = (*, rate_limit=60, rate_window=60.0, port=0))]
    fn new(py: Python<'_>, rate_limit: i64, rate_window: f64, port: i64) -> PyResult<Self> {
        let port = u16::try_from(port).map_err(|_| {
            PyValueError::new_err(format!("port must be between 0 and 65535, got {port}"))
        })?;
        let options = EmulatorOptions {
            rate_limit: limit_u32("rate_limit", rate_limit)?,
            rate_window: window("rate_window", rate_window)?,
            port,
            ..EmulatorOptions::default()
        };
        let emulator = py
            .detach(|| Emulator::start_detached(options))
            .map_err(|e| PyOSError::new_err(format!("could not start the emulator: {e}")))?;
        Ok(NativeEmulator {
            inner: Mutex::new(Some(emulator)),
        })
    }

    /// `http://127.0.0.1:PORT/api/v1`.
    #[getter]
    fn base_url(&self) -> PyResult<String> {
        self.with(|e| e.base_url())
    }

    /// `http://127.0.0.1:PORT/__emulator`.
    #[getter]
    fn admin_url(&self) -> PyResult<String> {
        self.with(|e| e.admin_url())
    }

    /// The key made for this instance.
    #[getter]
    fn api_key(&self) -> PyResult<String> {
        self.with(|e| e.api_key())
    }

    /// Another fresh key with its own copy of the data and its own rate-limit window.
    fn new_api_key(&self) -> PyResult<String> {
        self.with(|e| e.new_api_key())
    }

    /// The journal as JSON bytes (a list of entries, oldest first), optionally for one key.
    #[pyo3(signature = (api_key=None))]
    fn journal<'py>(
        &self,
        py: Python<'py>,
        api_key: Option<&str>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let entries = self.with(|e| e.journal(api_key))?;
        let json =
            serde_json::to_vec(&entries).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        Ok(PyBytes::new(py, &json))
    }

    /// Empties the journal.
    fn clear_journal(&self) -> PyResult<()> {
        self.with(|e| e.clear_journal())
    }

    /// Queues a fault rule given as JSON (`{"method", "path", "count", "api_key", "fault"}`).
    fn push_fault(&self, rule_json: &str) -> PyResult<()> {
        let rule: FaultRule = serde_json::from_str(rule_json)
            .map_err(|e| PyValueError::new_err(format!("invalid fault rule: {e}")))?;
        self.with(|e| e.try_push_fault(rule))?
            .map_err(|e| PyValueError::new_err(format!("invalid fault rule: {e}")))
    }

    /// Removes every queued fault.
    fn clear_faults(&self) -> PyResult<()> {
        self.with(|e| e.clear_faults())
    }

    /// Resets everything (`None`) or one key's data, window, revocation, faults and journal.
    #[pyo3(signature = (api_key=None))]
    fn reset(&self, api_key: Option<&str>) -> PyResult<()> {
        self.with(|e| e.reset(api_key))
    }

    /// Makes the key's requests answer 401 until a reset.
    fn revoke_key(&self, api_key: &str) -> PyResult<()> {
        self.with(|e| e.revoke_key(api_key))
    }

    /// Sets the rate limit (0 = off) and its window in seconds.
    fn set_rate_limit(&self, limit: i64, window_secs: f64) -> PyResult<()> {
        let limit = limit_u32("limit", limit)?;
        let window = window("window", window_secs)?;
        self.with(|e| e.try_set_rate_limit(limit, window))?
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// Stops the server (idempotent).
    fn shutdown(&self, py: Python<'_>) {
        let emulator = self.inner.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(emulator) = emulator {
            py.detach(|| emulator.shutdown());
        }
    }

    /// Whether the server is running.
    #[getter]
    fn running(&self) -> bool {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }
}

impl NativeEmulator {
    fn with<T>(&self, f: impl FnOnce(&Emulator) -> T) -> PyResult<T> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        match inner.as_ref() {
            Some(emulator) => Ok(f(emulator)),
            None => Err(PyRuntimeError::new_err("the emulator has been shut down")),
        }
    }
}

/// Seconds from Python as a window: any float that is no `Duration` (NaN, infinite, negative,
/// too large) or that the emulator refuses (`check_rate_window`: 1 ms to one day) is a
/// `ValueError` naming the argument.
fn window(name: &str, seconds: f64) -> PyResult<Duration> {
    let refused = |problem: &str| {
        PyValueError::new_err(format!(
            "{name} must be a number of seconds that {problem}, got {seconds}"
        ))
    };
    let window =
        Duration::try_from_secs_f64(seconds).map_err(|_| refused("is positive and finite"))?;
    check_rate_window(window).map_err(|e| refused(e.problem()))?;
    Ok(window)
}

/// A limit from Python (taken as `i64`, so that `-1` is a `ValueError` naming the argument
/// rather than an `OverflowError`).
fn limit_u32(name: &str, limit: i64) -> PyResult<u32> {
    u32::try_from(limit).map_err(|_| {
        PyValueError::new_err(format!(
            "{name} must be between 0 and {}, got {limit}",
            u32::MAX
        ))
    })
}
