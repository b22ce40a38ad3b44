//! Forwards the rate-limit store's log lines (Redis unreachable, Redis back) to a binding.
//!
//! The ledger writes them as `tracing` events that carry a `store` field (the URL without its
//! password). The bindings have no `tracing` subscriber of their own, so each installs this one,
//! which is interested in those callsites only: every other callsite (such as the per-attempt
//! events) is `Interest::never`, decided once per callsite, so calls pay nothing for it.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};

/// How loud a store line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreEventLevel {
    /// Redis is unreachable: this process paces with its own ledger only.
    Warn,
    /// Redis is back: the shared ledger is used again.
    Info,
}

/// Sends every store line to `sink` from now on. Returns `false` (and installs nothing) when the
/// process already has a global `tracing` subscriber, which then receives the lines itself.
pub fn forward_store_events(
    sink: impl Fn(StoreEventLevel, String) + Send + Sync + 'static,
) -> bool {
    tracing::subscriber::set_global_default(StoreEvents {
        sink: Box::new(sink),
    })
    .is_ok()
}

type Sink = Box<dyn Fn(StoreEventLevel, String) + Send + Sync>;

struct StoreEvents {
    sink: Sink,
}

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
            StoreEventLevel::Warn
        } else {
            StoreEventLevel::Info
        };
        (self.sink)(level, message.0);
    }
    fn enter(&self, _span: &Id) {}
    fn exit(&self, _span: &Id) {}
}
