//! The core's [`delegir::Error`] as a Python exception.
//!
//! The exception classes are pure Python (`delegir/_exceptions.py`), so users read the hierarchy
//! where they look for it and the classes pickle like any other. They are imported once per
//! interpreter and cached; the mapping is by [`ErrorKind`], never by message. An error with a
//! source (an I/O or TLS failure) gets it chained as `__cause__`.

use delegir::{Error, ErrorKind};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyType};

const MODULE: &str = "delegir._exceptions";

macro_rules! class {
    ($py:expr, $name:literal) => {{
        static CLASS: PyOnceLock<Py<PyType>> = PyOnceLock::new();
        CLASS.import($py, MODULE, $name)
    }};
}

/// The Python exception for a core error.
pub(crate) fn to_pyerr(py: Python<'_>, error: Error) -> PyErr {
    match build(py, &error) {
        Ok(err) => {
            if let Some(source) = std::error::Error::source(&error) {
                err.set_cause(py, Some(PyRuntimeError::new_err(chain(source))));
            }
            err
        }
        Err(import_failure) => import_failure,
    }
}

fn build(py: Python<'_>, error: &Error) -> PyResult<PyErr> {
    let message = error.message();
    let (class, family) = match error.kind() {
        ErrorKind::InvalidArgument => return Ok(PyValueError::new_err(message.to_owned())),
        ErrorKind::BadRequest => (class!(py, "BadRequestError")?, Family::Status),
        ErrorKind::Authentication => (class!(py, "AuthenticationError")?, Family::Status),
        ErrorKind::NotFound => (class!(py, "NotFoundError")?, Family::Status),
        ErrorKind::RateLimited => (class!(py, "RateLimitError")?, Family::Status),
        ErrorKind::InternalServer => (class!(py, "InternalServerError")?, Family::Status),
        ErrorKind::ApiStatus => (class!(py, "APIStatusError")?, Family::Status),
        ErrorKind::Connection => (class!(py, "APIConnectionError")?, Family::Other),
        ErrorKind::Timeout => (class!(py, "APITimeoutError")?, Family::Other),
        ErrorKind::ResponseValidation => (
            class!(py, "APIResponseValidationError")?,
            Family::Validation,
        ),
        // Configuration, Internal (a panic caught at the call's boundary: a bug), and kinds
        // added to the core later.
        _ => (class!(py, "DelegirError")?, Family::Other),
    };
    let kwargs = PyDict::new(py);
    kwargs.set_item("may_have_reached_server", error.may_have_reached_server())?;
    if family != Family::Other {
        match (error.status(), family) {
            (Some(status), _) => kwargs.set_item("status_code", status)?,
            // No response came back: the client's own rate-limit ledger refused to wait (nothing
            // was sent). The status is the one the class stands for (0 only if the core ever
            // reports another status error without a status), and `str()` quotes none.
            (None, Family::Status) => {
                let status = if error.kind() == ErrorKind::RateLimited {
                    429
                } else {
                    0
                };
                kwargs.set_item("status_code", status)?;
                kwargs.set_item("response_received", false)?;
            }
            (None, _) => {}
        }
        if let Some(rl) = error.rate_limit() {
            let d = PyDict::new(py);
            d.set_item("limit", rl.limit)?;
            d.set_item("remaining", rl.remaining)?;
            d.set_item("reset", rl.reset)?;
            kwargs.set_item("rate_limit", d)?;
        }
        if let Some(wait) = error.retry_after() {
            kwargs.set_item("retry_after", wait.as_secs_f64())?;
        }
        // A status error carries its response's whole body (parsed as JSON by the class when it
        // is JSON) and headers; a validation error the body's excerpt, and the headers.
        match (family, error.body()) {
            (Family::Status, Some(body)) => {
                kwargs.set_item("body", String::from_utf8_lossy(body))?
            }
            _ => {
                if let Some(body) = error.body_excerpt() {
                    kwargs.set_item("body", body)?;
                }
            }
        }
        if let Some(headers) = error.headers() {
            kwargs.set_item("headers", headers.to_vec())?;
        }
    }
    let instance = class.call((message,), Some(&kwargs))?;
    Ok(PyErr::from_value(instance))
}

/// Which keyword arguments a class takes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    /// `APIStatusError` and its subclasses: status, rate limit, retry-after, body.
    Status,
    /// `APIResponseValidationError`: the same, status optional.
    Validation,
    /// Everything else: the message and `may_have_reached_server`.
    Other,
}

/// `source: its source: ...`, the way `anyhow` prints a chain.
fn chain(source: &(dyn std::error::Error + 'static)) -> String {
    let mut text = source.to_string();
    let mut next = source.source();
    while let Some(e) = next {
        text.push_str(": ");
        text.push_str(&e.to_string());
        next = e.source();
    }
    text
}

/// `DelegirError` for a call on a closed client.
pub(crate) fn client_closed(py: Python<'_>) -> PyErr {
    match class!(py, "DelegirError") {
        Ok(class) => match class.call1(("the client is closed; create a new one",)) {
            Ok(instance) => PyErr::from_value(instance),
            Err(e) => e,
        },
        Err(e) => e,
    }
}
