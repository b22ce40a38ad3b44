//! Hooks for the SDK's own test suite, not part of the API (underscored, absent from the docs).
//!
//! A panic in a call's task must settle the call with `DelegirError` (never a hang, never pyo3's
//! `PanicException`). No public call panics on purpose, so `tests/test_panics.py` starts calls
//! whose task panics after its first await, on the runtime thread, through the same paths as
//! every endpoint (`completion::spawn` for async calls, `client::wait` for sync ones). They are
//! compiled into release wheels too, because the suite tests the wheel that ships; they send
//! nothing and touch no state.

use pyo3::prelude::*;

use crate::client::wait;
use crate::completion::spawn;

/// The message of the deliberate panic (the tests look for it in the error's message).
const PANIC_MESSAGE: &str = "deliberate panic of delegir._native._call_that_panics";

async fn panics() -> delegir::Result<()> {
    tokio::task::yield_now().await;
    panic!("{PANIC_MESSAGE}");
}

/// An async call whose task panics: a `Call` (or, outside a loop, a coroutine).
#[pyfunction]
pub(crate) fn _call_that_panics(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    spawn(py, None, panics())
}

/// A blocking call whose future panics.
#[pyfunction]
pub(crate) fn _call_that_panics_sync(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    wait(py, panics())
}
