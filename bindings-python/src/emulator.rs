//! `NativeEmulator`: the Rust emulator of the API, started in-process for `delegir.testing`.
//!
//! `Emulator::start_detached` serves on its own thread and runtime, so the emulator keeps
//! answering while the SDK's runtime (or a blocked Python thread) waits on it. Fault rules and
//! journal entries cross the boundary as JSON (their serde forms are the emulator's admin API),
//! so the Python side stays a thin dict-based wrapper.

use std::sync::Mutex;
use std::time::Duration;

use delegir_emulator::{Emulator, EmulatorOptions, FaultRule, check_rate_window};
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyInt};

use crate::client::int_arg;

/// A running emulator; stopped by `shutdown()` or when collected.
#[pyclass(frozen, module = "delegir._native")]
pub struct NativeEmulator {
    inner: Mutex<Option<Emulator>>,
}

#[pymethods]
impl NativeEmulator {
    /// `rate_limit` and `port` default (when absent) to 60 and 0 (a free port).
    #[new]
    #[pyo3(signature = (*, rate_limit=None, rate_window=60.0, port=None))]
    fn new(
        py: Python<'_>,
        rate_limit: Option<&Bound<'_, PyAny>>,
        rate_window: f64,
        port: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let defaults = EmulatorOptions::default();
        let rate_limit = match rate_limit {
            Some(value) => whole("rate_limit", value, u32::MAX.into())? as u32,
            None => defaults.rate_limit,
        };
        let port = match port {
            Some(value) => whole("port", value, u16::MAX.into())? as u16,
            None => defaults.port,
        };
        let options = EmulatorOptions {
            rate_limit,
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
    fn set_rate_limit(&self, limit: &Bound<'_, PyAny>, window_secs: f64) -> PyResult<()> {
        let limit = whole("limit", limit, u32::MAX.into())? as u32;
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

/// A whole number from 0 to `max` from Python: another type (`bool` and `None` included) is a
/// `TypeError`, an int out of range (however large: pyo3's own conversion would raise
/// `OverflowError` beyond `i64`) a `ValueError` naming the argument.
fn whole(name: &str, value: &Bound<'_, PyAny>, max: u64) -> PyResult<u64> {
    if !value.is_instance_of::<PyInt>() || value.is_instance_of::<PyBool>() {
        let type_name = value.get_type().name()?;
        return Err(PyTypeError::new_err(format!(
            "{name} must be an int, got {type_name}"
        )));
    }
    let range = format!("between 0 and {max}");
    let number = int_arg(value, name, &range)?.unwrap_or_default();
    u64::try_from(number)
        .ok()
        .filter(|n| *n <= max)
        .ok_or_else(|| PyValueError::new_err(format!("{name} must be {range}, got {number}")))
}
