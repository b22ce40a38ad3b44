//! # delegir — the Rust client of the Delegir API
//!
//! ```no_run
//! # async fn demo() -> delegir::Result<()> {
//! use futures::TryStreamExt;
//!
//! let client = delegir::Client::builder()
//!     .api_key("dlg_live_abc123def456ghi789")
//!     .build()?;
//! let agents = client.agents().list().await?;
//! let reply = client.agents().chat(&agents[0].id, "How do I reset my password?").await?;
//! println!("{} (run {}, {} tokens)", reply.response, reply.run_id, reply.tokens_used);
//! let runs: Vec<delegir::Run> = client.agents().runs_stream(&agents[0].id).try_collect().await?;
//! println!("{} runs; rate limit now {:?}", runs.len(), client.rate_limit());
//! # Ok(()) }
//! ```
//!
//! Every call validates its arguments before sending, paces itself with a rate-limit ledger
//! shared by every client of the same key in the process (so it does not meet 429s in the
//! first place), retries what is safe to retry with jittered exponential backoff, and never
//! sends a chat twice. See the crate README for the full rules.

#![warn(missing_docs)]

mod builder;
mod client;
mod config;
mod decode;
pub mod embedding;
mod error;
mod extra;
#[cfg(test)]
mod fuzz_tests;
mod models;
mod pagination;
mod policy;
mod response;
mod runtime;
mod secret;
mod user_agent;
pub mod validate;
mod wire;

pub use builder::ClientBuilder;
pub use client::{Agents, Client, UsageApi};
pub use config::{
    API_KEY_ENV, BASE_URL_ENV, Config, DEFAULT_BASE_URL, DEFAULT_MAX_RATE_LIMIT_WAIT,
    DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, NO_TIMEOUT, RequestOptions,
};
pub use error::{Error, ErrorKind, Result};
pub use extra::{ExtraParams, RESERVED_HEADERS};
pub use models::{
    Agent, AgentConfig, AgentConfigUpdate, AgentDetail, AgentStatus, AgentUpdate, ChatReply,
    DeletedAgent, Extra, RateLimit, Run, RunPage, RunsQuery, UpdatedAgent, Usage,
};
pub use pagination::RunPager;
pub use policy::ledger::store::RATE_LIMIT_STORE_ENV;
pub use policy::logging::{AttemptLog, AttemptObserver, LogLevel};
pub use policy::store_events::{StoreEventLevel, forward_store_events};
pub use response::{ApiResponse, ResponseCapture, ResponseInfo};
pub use secret::ApiKey;

/// Decodes a 2xx body's `data` as `T` exactly as a call does; for the decoding benchmarks in
/// `core/benches/` (which are another crate). Not part of the API.
#[doc(hidden)]
pub fn __decode_data<T: serde::de::DeserializeOwned + 'static>(body: &[u8]) -> Result<T> {
    decode::data(200, body, &wire::headers::ResponseMeta::default(), "")
}
