//! `delegir._native`: the pyo3 binding of the `delegir` core crate.
//!
//! Only conversion lives here: Python arguments become the core's types, the core's results
//! become the Pydantic models of `delegir.types` (built from its structs), and the core's
//! errors become the pure-Python exception classes of `delegir._exceptions`. Validation,
//! retries, the rate-limit ledger and paging are the core's. The user-facing API
//! (`AsyncDelegir`, `Delegir`) is the pure-Python layer in `python/delegir/`.

mod allocator;
mod client;
mod completion;
mod emulator;
mod error;
mod logging;
mod models;
mod options;
mod runtime;
mod store_log;
mod test_hooks;
mod user_agent;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    allocator::configure();
    store_log::install();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<client::NativeClient>()?;
    m.add_class::<client::NativeRunPager>()?;
    m.add_class::<options::NativeCapture>()?;
    m.add_class::<emulator::NativeEmulator>()?;
    m.add_function(wrap_pyfunction!(test_hooks::_call_that_panics, m)?)?;
    m.add_function(wrap_pyfunction!(test_hooks::_call_that_panics_sync, m)?)?;
    Ok(())
}
