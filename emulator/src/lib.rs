//! A faithful local emulator of the Delegir API, for tests.
//!
//! It is a real HTTP server, stateful and in memory, namespaced by API key: every well-formed key
//! (`dlg_live_…` / `dlg_test_…`) sees its own copy of the reference's agents, runs and usage, so
//! tests running in parallel with different keys never collide. It enforces keys (401), validates
//! bodies and query parameters (400), rate-limits per key (429 with `X-RateLimit-*` headers), and
//! lets tests inject faults (error statuses, HTML pages, delays, connection resets, truncated,
//! malformed or oversized bodies, redirects) and read the journal of requests it received.
//!
//! ```no_run
//! # async fn example() -> std::io::Result<()> {
//! use delegir_emulator::{Emulator, EmulatorOptions, Fault, FaultRule};
//!
//! let emulator = Emulator::start(EmulatorOptions::default()).await?;
//! emulator.push_fault(FaultRule {
//!     method: "GET".into(),
//!     path: "/api/v1/usage".into(),
//!     count: 1,
//!     api_key: None,
//!     fault: Fault::ResetBefore,
//! });
//! // ... point an SDK at emulator.base_url() with emulator.api_key() ...
//! assert!(emulator.journal(Some(&emulator.api_key())).is_empty());
//! # Ok(()) }
//! ```
//!
//! The same controls are available over HTTP under `/__emulator/` (see the crate README), and as
//! the `delegir-emulator` binary.

mod chat;
mod compression;
mod emulator;
mod error;
mod faults;
mod journal;
mod keys;
mod log;
mod models;
mod options;
mod pipeline;
mod rate_limit;
mod response;
mod routes;
mod seed;
mod server;
mod shared;
mod state;
mod time_format;
mod validation;

pub use emulator::Emulator;
pub use error::InvalidArgument;
pub use faults::{Fault, FaultRule};
pub use journal::JournalEntry;
pub use options::EmulatorOptions;
pub use rate_limit::{MAX_RATE_WINDOW, check_rate_window};
