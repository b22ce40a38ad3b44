//! The rate-limit store's log lines (Redis unreachable, Redis back), forwarded to Python's
//! `delegir` logger through `delegir._logging._store_event(level, message)`. The subscriber that
//! picks them out is the core's (`delegir::forward_store_events`); installed when the module
//! loads, unless the process already has a `tracing` subscriber.

use delegir::StoreEventLevel;
use pyo3::prelude::*;

/// Python's `logging.WARNING` and `logging.INFO`.
fn python_level(level: StoreEventLevel) -> u8 {
    match level {
        StoreEventLevel::Warn => 30,
        StoreEventLevel::Info => 20,
    }
}

/// Installs the forwarder (once per process; a subscriber already set wins).
pub(crate) fn install() {
    delegir::forward_store_events(|level, message| {
        Python::attach(|py| {
            let sent = py
                .import("delegir._logging")
                .and_then(|m| m.call_method1("_store_event", (python_level(level), message)));
            if let Err(e) = sent {
                e.write_unraisable(py, None);
            }
        });
    });
}
