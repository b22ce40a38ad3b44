//! The core's models on their way to Python: as JSON bytes.
//!
//! Building a Python dict per model (and a `str` per field) and then letting Pydantic walk it
//! costs two passes over Python objects. Instead the core's model is serialised with serde on the
//! runtime thread, without the GIL, and the Python layer hands the bytes to Pydantic's
//! `model_validate_json`, whose Rust parser builds the model in one pass. The only work done
//! while holding the GIL is one `bytes` allocation per call. The JSON keeps the wire's spelling
//! (`runId`, RFC 3339 timestamps, unknown fields flattened in), which the models in
//! `delegir.types` accept.
//!
//! Errors travel the same way: [`Reply`] is the value the async bridge and the blocking path
//! turn into Python, and its conversion raises the mapped exception for an `Err`.

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::error::to_pyerr;

/// A finished call: the model as JSON, or the core's error.
pub(crate) struct Reply(pub delegir::Result<Vec<u8>>);

impl Reply {
    /// Serialises a call's result.
    pub(crate) fn from_result<T: serde::Serialize>(result: delegir::Result<T>) -> Reply {
        Reply(result.map(|value| {
            serde_json::to_vec(&value).expect("the core's models always serialise to JSON")
        }))
    }
}

impl<'py> IntoPyObject<'py> for Reply {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self.0 {
            Ok(json) => Ok(PyBytes::new(py, &json).into_any()),
            Err(e) => Err(to_pyerr(py, e)),
        }
    }
}

/// `(limit, remaining, reset)` of a [`delegir::RateLimit`], for `delegir.types.RateLimit`.
pub(crate) fn rate_limit(rl: Option<delegir::RateLimit>) -> Option<(u64, u64, i64)> {
    rl.map(|r| (r.limit, r.remaining, r.reset))
}
