//! The rate-limit store's log lines (Redis unreachable, Redis back), forwarded to Python's
//! `delegir` logger.
//!
//! The core writes them as `tracing` events that carry a `store` field (the URL without its
//! password). A process-wide subscriber that is interested in those callsites only (every other
//! callsite, such as the per-attempt events, is `Interest::never`, decided once per callsite, so
//! it costs nothing per call) hands each one to `delegir._logging._store_event(level, message)`.
//! Installed when the module loads, unless the process already has a `tracing` subscriber.

use std::fmt;

use pyo3::prelude::*;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};

const WARNING: u8 = 30;
const INFO: u8 = 20;

struct StoreEvents;

fn about_the_store(metadata: &Metadata<'_>) -> bool {
    metadata.is_event() && metadata.fields().field("store").is_some()
}

/// Collects the event's message.
#[derive(Default)]
struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl Subscriber for StoreEvents {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if about_the_store(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        about_the_store(metadata)
    }
    fn new_span(&self, _span: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _span: &Id, _values: &Record<'_>) {}
    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut message = Message::default();
        event.record(&mut message);
        let level = if *event.metadata().level() <= Level::WARN {
            WARNING
        } else {
            INFO
        };
        Python::attach(|py| {
            let sent = py
                .import("delegir._logging")
                .and_then(|m| m.call_method1("_store_event", (level, message.0)));
            if let Err(e) = sent {
                e.write_unraisable(py, None);
            }
        });
    }
    fn enter(&self, _span: &Id) {}
    fn exit(&self, _span: &Id) {}
}

/// Installs the forwarder (once per process; a subscriber already set wins).
pub(crate) fn install() {
    let _ = tracing::subscriber::set_global_default(StoreEvents);
}
