//! Typed models of every shape in the API reference.
//!
//! Field names are snake_case in Rust; the wire's camelCase (`runId`, `tokensUsed`) is mapped
//! with serde. Every model keeps fields it does not know in `extra`, so a server that adds a
//! field never breaks a client that was built before it. Timestamps are RFC 3339 date-times.
//! The models that have `extra` are deserialized by the impls in `models/deserialize.rs`
//! (no `#[serde(flatten)]` buffering); the `flatten` attributes below serve `Serialize` only.

mod deserialize;
pub(crate) mod runs_page;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

/// Fields the server sent that this version of the client does not know.
pub type Extra = Map<String, Value>;

/// Whether an agent accepts chats.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    /// The agent accepts chats.
    Active,
    /// The agent rejects chats until it is made active again.
    Paused,
    /// A status this version of the client does not know; the server's spelling is kept.
    #[serde(untagged)]
    Other(String),
}

impl AgentStatus {
    /// The wire spelling (`"active"`, `"paused"`, or the unknown value).
    pub fn as_str(&self) -> &str {
        match self {
            AgentStatus::Active => "active",
            AgentStatus::Paused => "paused",
            AgentStatus::Other(s) => s,
        }
    }
}

/// An agent as `GET /agents` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agent {
    /// Unique id, such as `agt_abc123`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// `active` or `paused`.
    pub status: AgentStatus,
    /// Whether safety mode is on.
    pub safety_mode: bool,
    /// The template the agent was created from, if any.
    pub template: Option<String>,
    /// Number of runs so far.
    pub total_runs: u64,
    /// When the agent last ran, if ever.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_active: Option<OffsetDateTime>,
    /// When the agent was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Fields this client version does not know.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Model settings of an agent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentConfig {
    /// Model name.
    pub model: Option<String>,
    /// System prompt.
    pub system_prompt: Option<String>,
    /// Sampling temperature, 0–2.
    pub temperature: Option<f64>,
    /// Maximum tokens per reply, at least 1.
    pub max_tokens: Option<u64>,
    /// Fields this client version does not know.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An agent with its configuration and channels, as `GET /agents/:id` returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentDetail {
    /// The listed fields.
    #[serde(flatten)]
    pub agent: Agent,
    /// Model settings.
    pub config: AgentConfig,
    /// Channels the agent is connected to (`webchat`, `email`, ...).
    pub channels: Vec<String>,
}

/// The fields of an agent to change with `PUT /agents/:id`; only the fields that are set are
/// sent.
///
/// ```
/// use delegir::{AgentUpdate, AgentConfigUpdate, AgentStatus};
/// let update = AgentUpdate {
///     name: Some("Updated Support Agent".into()),
///     config: Some(AgentConfigUpdate { temperature: Some(0.5), ..Default::default() }),
///     ..Default::default()
/// };
/// assert_eq!(
///     serde_json::to_string(&update).unwrap(),
///     r#"{"name":"Updated Support Agent","config":{"temperature":0.5}}"#
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentUpdate {
    /// New display name (not empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<AgentStatus>,
    /// Configuration fields to change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<AgentConfigUpdate>,
}

/// The configuration fields to change; only the fields that are set are sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentConfigUpdate {
    /// Model name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// System prompt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<String>,
    /// Sampling temperature, 0–2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Maximum tokens per reply, at least 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
}

/// The answer to `PUT /agents/:id`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpdatedAgent {
    /// The agent's id.
    pub id: String,
    /// Its name after the update.
    pub name: String,
    /// Its status after the update.
    pub status: AgentStatus,
    /// When the update was applied.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Fields this client version does not know.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The answer to `DELETE /agents/:id`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeletedAgent {
    /// Always `true` on success.
    pub deleted: bool,
    /// The deleted agent's id.
    pub id: String,
    /// Fields this client version does not know.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The answer to `POST /agents/:id/chat`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatReply {
    /// The agent's reply.
    pub response: String,
    /// The id of the run this chat created (`runId` on the wire).
    #[serde(rename = "runId")]
    pub run_id: String,
    /// Tokens the run used (`tokensUsed` on the wire).
    #[serde(rename = "tokensUsed")]
    pub tokens_used: u64,
    /// Fields this client version does not know.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One execution of an agent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Run {
    /// Unique id, such as `run_xyz789`.
    pub id: String,
    /// `completed`, `failed`, ... (kept as the server spells it).
    pub status: String,
    /// Tokens used.
    pub tokens_used: u64,
    /// Cost in US dollars.
    pub cost: f64,
    /// Wall time of the run in milliseconds.
    pub duration_ms: u64,
    /// When the run started.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Fields this client version does not know.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One page of `GET /agents/:id/runs`, newest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunPage {
    /// The runs on this page.
    pub runs: Vec<Run>,
    /// The number of runs the agent has in all.
    pub total: u64,
    /// The page size the server applied.
    pub limit: u32,
    /// The offset the server applied.
    pub offset: u64,
    /// Fields this client version does not know.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Usage of the current billing period (`GET /usage`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Usage {
    /// Plan name, such as `PRO`.
    pub plan: String,
    /// Runs used this period.
    pub runs_used: u64,
    /// Runs allowed this period.
    pub runs_limit: u64,
    /// Tokens used this month.
    pub tokens_this_month: u64,
    /// Cost this month in US dollars.
    pub cost_this_month: f64,
    /// Start of the billing period.
    #[serde(with = "time::serde::rfc3339")]
    pub billing_period_start: OffsetDateTime,
    /// End of the billing period.
    #[serde(with = "time::serde::rfc3339")]
    pub billing_period_end: OffsetDateTime,
    /// Fields this client version does not know.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The `X-RateLimit-*` headers of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RateLimit {
    /// Requests allowed per window (`X-RateLimit-Limit`).
    pub limit: u64,
    /// Requests left in the current window (`X-RateLimit-Remaining`).
    pub remaining: u64,
    /// When the window resets, in Unix epoch seconds (`X-RateLimit-Reset`).
    pub reset: i64,
}

/// Which page of runs to fetch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RunsQuery {
    /// Page size, 1–100 (the server's default is 20).
    pub limit: Option<u32>,
    /// Runs to skip (the server's default is 0).
    pub offset: Option<u64>,
}
