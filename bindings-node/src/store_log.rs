//! The rate-limit store's log lines (Redis unreachable, Redis back), forwarded to JavaScript.
//!
//! The core writes them as `tracing` events that carry a `store` field (the URL without its
//! password). A process-wide subscriber interested in those callsites only (every other callsite,
//! such as the per-attempt events, is `Interest::never`, decided once per callsite, so calls pay
//! nothing) hands each one to the function the TypeScript layer registers when it loads, through
//! a *weak* threadsafe function that never keeps the process alive.

use std::fmt;
use std::sync::OnceLock;

use napi::bindgen_prelude::Function;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Result, Status};
use napi_derive::napi;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};

/// One line of the rate-limit store.
#[napi(object)]
pub struct StoreLogLine {
    /// `warn` (Redis unreachable: this process's ledger only) or `info` (Redis is back).
    pub level: String,
    /// The line, with the store URL without its password.
    pub message: String,
}

type Sink = ThreadsafeFunction<StoreLogLine, (), StoreLogLine, Status, false, true>;

static SINK: OnceLock<Sink> = OnceLock::new();

/// Sends the rate-limit store's log lines to `callback` (the first registration in the process
/// wins; a `tracing` subscriber already set by the process wins too).
#[napi]
pub fn set_store_log_sink(callback: Function<'_, StoreLogLine, ()>) -> Result<()> {
    if SINK.get().is_some() {
        return Ok(());
    }
    let sink: Sink = callback
        .build_threadsafe_function::<StoreLogLine>()
        .weak::<true>()
        .build()?;
    if SINK.set(sink).is_ok() {
        let _ = tracing::subscriber::set_global_default(StoreEvents);
    }
    Ok(())
}

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
        let Some(sink) = SINK.get() else {
            return;
        };
        let mut message = Message::default();
        event.record(&mut message);
        let level = if *event.metadata().level() <= Level::WARN {
            "warn"
        } else {
            "info"
        };
        sink.call(
            StoreLogLine {
                level: level.to_owned(),
                message: message.0,
            },
            ThreadsafeFunctionCallMode::NonBlocking,
        );
    }
    fn enter(&self, _span: &Id) {}
    fn exit(&self, _span: &Id) {}
}
