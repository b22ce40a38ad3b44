//! The API's JSON shapes, exactly as the reference shows them. Views borrow from the stored state
//! so a response is serialized without copying it first.

use serde::Serialize;

/// `active` or `paused`.
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum AgentStatus {
    Active,
    Paused,
}

impl AgentStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            AgentStatus::Active => "active",
            AgentStatus::Paused => "paused",
        }
    }
}

/// An agent's `config` object.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub(crate) struct AgentConfig {
    pub model: String,
    pub system_prompt: String,
    pub temperature: f64,
    pub max_tokens: u64,
}

/// An item of `GET /agents`.
#[derive(Serialize)]
pub(crate) struct AgentSummary<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub status: AgentStatus,
    pub safety_mode: bool,
    pub template: Option<&'a str>,
    pub total_runs: u64,
    pub last_active: &'a str,
    pub created_at: &'a str,
}

/// `GET /agents/:id`: the summary fields plus `config` and `channels`.
#[derive(Serialize)]
pub(crate) struct AgentDetail<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub status: AgentStatus,
    pub safety_mode: bool,
    pub template: Option<&'a str>,
    pub total_runs: u64,
    pub last_active: &'a str,
    pub created_at: &'a str,
    pub config: &'a AgentConfig,
    pub channels: &'a [String],
}

/// `PUT /agents/:id`.
#[derive(Serialize)]
pub(crate) struct UpdatedAgent<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub status: AgentStatus,
    pub updated_at: String,
}

/// `DELETE /agents/:id`.
#[derive(Serialize)]
pub(crate) struct DeletedAgent<'a> {
    pub deleted: bool,
    pub id: &'a str,
}

/// `POST /agents/:id/chat` (camelCase, as in the reference).
#[derive(Serialize)]
pub(crate) struct ChatReply {
    pub response: String,
    #[serde(rename = "runId")]
    pub run_id: String,
    #[serde(rename = "tokensUsed")]
    pub tokens_used: u64,
}

/// One run.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub(crate) struct Run {
    pub id: String,
    pub status: &'static str,
    pub tokens_used: u64,
    pub cost: f64,
    pub duration_ms: u64,
    pub created_at: String,
}

/// `GET /agents/:id/runs`.
#[derive(Serialize)]
pub(crate) struct RunPage {
    pub runs: Vec<Run>,
    pub total: u64,
    pub limit: u32,
    pub offset: u64,
}

/// `GET /usage`.
#[derive(Serialize)]
pub(crate) struct UsageView<'a> {
    pub plan: &'a str,
    pub runs_used: u64,
    pub runs_limit: u64,
    pub tokens_this_month: u64,
    pub cost_this_month: f64,
    pub billing_period_start: &'a str,
    pub billing_period_end: &'a str,
}

/// A cost in ten-thousandths of a dollar (exact integer arithmetic) as the JSON number.
pub(crate) fn dollars(ten_thousandths: u64) -> f64 {
    ten_thousandths as f64 / 10_000.0
}

/// The price of a run: $0.00002 per token, rounded to $0.0001 (142 tokens → 0.0028).
pub(crate) fn cost_of(tokens: u64) -> u64 {
    (2 * tokens + 5) / 10
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_matches_the_reference_runs() {
        assert_eq!(dollars(cost_of(142)), 0.0028);
        assert_eq!(dollars(cost_of(256)), 0.0051);
        assert_eq!(serde_json::to_string(&dollars(256_800)).unwrap(), "25.68");
    }
}
