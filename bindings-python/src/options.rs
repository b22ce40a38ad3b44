//! Per-call and per-view options beyond `timeout` and `max_retries`: the overall deadline and
//! the extra headers, query parameters and body fields, converted into the core's
//! [`RequestOptions`] (which checks them: reserved or malformed headers are refused there), and
//! the capture a raw response reads its status, headers and timing from.

use std::time::Duration;

use delegir::validate::{self, DurationUnit};
use delegir::{ExtraParams, RequestOptions, ResponseCapture};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::error::to_pyerr;

fn core_error(e: delegir::Error) -> PyErr {
    Python::attach(|py| to_pyerr(py, e))
}

/// A per-attempt timeout in seconds (`inf`: no limit).
pub(crate) fn timeout(value: f64) -> PyResult<Duration> {
    validate::timeout("timeout", value, DurationUnit::Seconds).map_err(core_error)
}

/// The overall deadline in seconds (`inf`: no limit, which is how a view says
/// `total_timeout=None` over a client that has one).
pub(crate) fn total_timeout(value: f64) -> PyResult<Duration> {
    validate::timeout("total_timeout", value, DurationUnit::Seconds).map_err(core_error)
}

/// The core's extras from the Python layer's pairs and the body's JSON text (the Python layer
/// checks the types; the core checks the names and values).
pub(crate) fn extra_params(
    headers: Option<Vec<(String, String)>>,
    query: Option<Vec<(String, String)>>,
    body_json: Option<&str>,
) -> PyResult<Option<ExtraParams>> {
    let mut extra = ExtraParams::new();
    for (name, value) in headers.unwrap_or_default() {
        extra = extra.header(&name, &value).map_err(core_error)?;
    }
    for (name, value) in query.unwrap_or_default() {
        extra = extra.query(name, value);
    }
    if let Some(json) = body_json {
        let fields: serde_json::Map<String, serde_json::Value> = serde_json::from_str(json)
            .map_err(|e| {
                pyo3::exceptions::PyTypeError::new_err(format!(
                    "extra_body must be a dict of JSON values: {e}"
                ))
            })?;
        for (name, value) in fields {
            extra = extra.body_field(name, value);
        }
    }
    Ok((!extra.is_empty()).then_some(extra))
}

/// The options of a view: the given ones laid over `base`.
pub(crate) fn view_options(
    base: &RequestOptions,
    timeout_secs: Option<f64>,
    max_retries: Option<u32>,
    total_timeout_secs: Option<f64>,
    extra: Option<ExtraParams>,
) -> PyResult<RequestOptions> {
    let mut options = RequestOptions {
        timeout: timeout_secs.map(timeout).transpose()?,
        max_retries,
        total_timeout: total_timeout_secs.map(total_timeout).transpose()?,
        extra: None,
    };
    if let Some(extra) = extra {
        options = options.with_extra(extra);
    }
    Ok(base.merged(&options))
}

/// The response of the last call made through a capturing view, for `RawResponse`.
#[pyclass(frozen, module = "delegir._native")]
pub struct NativeCapture {
    pub(crate) capture: ResponseCapture,
}

#[pymethods]
impl NativeCapture {
    /// `(status, [(name, value)], (limit, remaining, reset) | None, attempts, elapsed_secs,
    /// body)` of the captured response, or `None` when no response came back.
    #[allow(clippy::type_complexity)]
    fn take<'py>(
        &self,
        py: Python<'py>,
    ) -> Option<(
        u16,
        Vec<(String, String)>,
        Option<(u64, u64, i64)>,
        u32,
        f64,
        Bound<'py, PyBytes>,
    )> {
        self.capture.take().map(|info| {
            (
                info.status,
                info.headers,
                info.rate_limit.map(|r| (r.limit, r.remaining, r.reset)),
                info.attempts,
                info.elapsed.as_secs_f64(),
                PyBytes::new(py, &info.body),
            )
        })
    }
}
