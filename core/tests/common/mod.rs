//! Helpers shared by the integration tests: one emulator per test (port 0), a client pointed at
//! it, faults and the journal.
#![allow(dead_code)]

pub mod captured;
pub mod env;
pub mod pki;

use std::sync::Arc;
use std::time::Duration;

use delegir::{AttemptLog, Client, ClientBuilder};
use delegir_emulator::{Emulator, EmulatorOptions, Fault, FaultRule, JournalEntry};
use parking_lot::Mutex;

/// The reference's active agent, with 1,284 seeded runs.
pub const ACTIVE: &str = "agt_abc123";
/// The reference's paused agent.
pub const PAUSED: &str = "agt_def456";

/// An emulator with the default options (60 requests per 60 s per key).
pub async fn emulator() -> Emulator {
    emulator_with(EmulatorOptions::default()).await
}

/// An emulator with `options` (on a free port).
pub async fn emulator_with(options: EmulatorOptions) -> Emulator {
    Emulator::start(EmulatorOptions { port: 0, ..options })
        .await
        .expect("the emulator starts")
}

/// A builder pointed at `emulator` with its key and no backoff surprises.
pub fn builder(emulator: &Emulator) -> ClientBuilder {
    Client::builder()
        .api_key(emulator.api_key())
        .base_url(emulator.base_url())
}

/// A client of `emulator` with the defaults.
pub fn client(emulator: &Emulator) -> Client {
    builder(emulator).build().expect("the client builds")
}

/// Queues `fault` for the next `count` requests with `method` to `path` (below the prefix).
pub fn fault(emulator: &Emulator, method: &str, path: &str, count: u32, fault: Fault) {
    emulator.push_fault(FaultRule {
        method: method.into(),
        path: if path == "*" {
            "*".into()
        } else {
            format!("/api/v1{path}")
        },
        count,
        api_key: None,
        fault,
    });
}

/// Every request the emulator received with its key, oldest first.
pub fn journal(emulator: &Emulator) -> Vec<JournalEntry> {
    emulator.journal(Some(&emulator.api_key()))
}

/// The journal's entries with `method`.
pub fn requests(emulator: &Emulator, method: &str) -> Vec<JournalEntry> {
    journal(emulator)
        .into_iter()
        .filter(|e| e.method == method)
        .collect()
}

/// Records every [`AttemptLog`] a client reports.
#[derive(Clone, Default)]
pub struct Attempts(Arc<Mutex<Vec<AttemptLog>>>);

impl Attempts {
    /// Registers this recorder on `builder`.
    pub fn attach(&self, builder: ClientBuilder) -> ClientBuilder {
        let log = Arc::clone(&self.0);
        builder.on_attempt(Arc::new(move |attempt: &AttemptLog| {
            log.lock().push(attempt.clone())
        }))
    }

    /// The attempts so far.
    pub fn all(&self) -> Vec<AttemptLog> {
        self.0.lock().clone()
    }
}

/// A loopback port with nothing listening on it.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Short enough for tests, long enough for a loaded 2-core machine.
pub const SHORT_TIMEOUT: Duration = Duration::from_millis(400);
