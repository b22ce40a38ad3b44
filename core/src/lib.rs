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

mod client;
mod config;
mod connect;
mod decode;
pub mod embedding;
mod error;
#[cfg(test)]
mod fuzz_tests;
mod h1;
mod h2;
mod headers;
mod http;
mod ledger;
mod logging;
mod models;
mod pagination;
mod pool;
mod request;
mod response;
mod retry;
mod runtime;
mod secret;
mod transport;
pub mod validate;

pub use client::{Agents, Client, UsageApi};
pub use config::{
    API_KEY_ENV, BASE_URL_ENV, ClientBuilder, Config, DEFAULT_BASE_URL,
    DEFAULT_MAX_RATE_LIMIT_WAIT, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT,
    RequestOptions,
};
pub use error::{Error, ErrorKind, Result};
pub use logging::{AttemptLog, AttemptObserver, LogLevel};
pub use models::{
    Agent, AgentConfig, AgentConfigUpdate, AgentDetail, AgentStatus, AgentUpdate, ChatReply,
    DeletedAgent, Extra, RateLimit, Run, RunPage, RunsQuery, UpdatedAgent, Usage,
};
pub use pagination::RunPager;
pub use secret::ApiKey;
