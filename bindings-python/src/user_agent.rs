//! The Python SDK's part of the `User-Agent`: `delegir-python/0.1.0 (CPython 3.11.7; linux;
//! x86_64) delegir-rust/0.1.0` (the core adds the OS, architecture and its own token).

use delegir::ClientBuilder;
use pyo3::prelude::*;

/// The builder with this SDK's product token and the interpreter running it.
pub(crate) fn identify(py: Python<'_>, builder: ClientBuilder) -> ClientBuilder {
    builder.binding_user_agent(
        concat!("delegir-python/", env!("CARGO_PKG_VERSION")),
        runtime(py),
    )
}

/// `CPython 3.11.7`, `PyPy 3.10.14`.
fn runtime(py: Python<'_>) -> String {
    let implementation = py
        .import("platform")
        .and_then(|m| m.call_method0("python_implementation"))
        .and_then(|name| name.extract::<String>())
        .unwrap_or_else(|_| "Python".to_owned());
    let version = Python::version_str();
    let number = version.split(' ').next().unwrap_or(version);
    format!("{implementation} {number}")
}
