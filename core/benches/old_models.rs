//! A frozen copy of the models' decoding as it was before `models/deserialize.rs`: serde's derive
//! with `#[serde(flatten)] extra` (which buffers every object before deserializing it) and
//! `time::serde::rfc3339`. The benchmarks compare against it, and the raw-reqwest baseline of
//! `bench/` decodes into it (`#[path]`-included), so that improving the SDK's structs does not
//! move the baseline. Do not "fix" it: it is the yardstick.

#![allow(dead_code)]

use serde::Deserialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;

/// Fields the server sent that the client does not know.
pub type Extra = Map<String, Value>;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    Active,
    Paused,
    #[serde(untagged)]
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Agent {
    pub id: String,
    pub name: String,
    pub status: AgentStatus,
    pub safety_mode: bool,
    pub template: Option<String>,
    pub total_runs: u64,
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub last_active: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AgentConfig {
    pub model: Option<String>,
    pub system_prompt: Option<String>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<u64>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AgentDetail {
    #[serde(flatten)]
    pub agent: Agent,
    pub config: AgentConfig,
    pub channels: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ChatReply {
    pub response: String,
    #[serde(rename = "runId")]
    pub run_id: String,
    #[serde(rename = "tokensUsed")]
    pub tokens_used: u64,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Run {
    pub id: String,
    pub status: String,
    pub tokens_used: u64,
    pub cost: f64,
    pub duration_ms: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RunPage {
    pub runs: Vec<Run>,
    pub total: u64,
    pub limit: u32,
    pub offset: u64,
    #[serde(flatten)]
    pub extra: Extra,
}
