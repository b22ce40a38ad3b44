//! Core models as the JSON the TypeScript layer parses.
//!
//! Why JSON and not objects built field by field: one `JSON.parse` of a string is cheaper for V8
//! than dozens of property sets across the boundary, and it keeps this file to plain serde views.
//! Keys are camelCase (`safetyMode`, `runId`); timestamps are epoch milliseconds, which the
//! TypeScript layer turns into `Date`s without parsing strings.
//! Fields the server sent that the core does not know (`extra`) are kept, under the server's own
//! spelling. No napi or wasm-bindgen types here.
//!
//! Pages of runs are not here: both builds send them as columns (`run_columns.rs` says why).

use delegir::{Agent, AgentConfig};
use delegir::{AgentDetail, ChatReply, DeletedAgent, Extra, UpdatedAgent, Usage};
use serde::{Serialize, Serializer};
use time::OffsetDateTime;

/// A model as the JSON text the TypeScript layer parses.
pub(crate) trait ToJson {
    /// The JSON text.
    fn to_json(&self) -> serde_json::Result<String>;
}

struct Millis<'a>(&'a OffsetDateTime);

impl Serialize for Millis<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64((self.0.unix_timestamp_nanos() / 1_000_000) as i64)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AgentView<'a> {
    id: &'a str,
    name: &'a str,
    status: &'a str,
    safety_mode: bool,
    template: Option<&'a str>,
    total_runs: u64,
    last_active: Option<Millis<'a>>,
    created_at: Millis<'a>,
    #[serde(flatten)]
    extra: &'a Extra,
}

impl<'a> From<&'a Agent> for AgentView<'a> {
    fn from(a: &'a Agent) -> Self {
        AgentView {
            id: &a.id,
            name: &a.name,
            status: a.status.as_str(),
            safety_mode: a.safety_mode,
            template: a.template.as_deref(),
            total_runs: a.total_runs,
            last_active: a.last_active.as_ref().map(Millis),
            created_at: Millis(&a.created_at),
            extra: &a.extra,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConfigView<'a> {
    model: Option<&'a str>,
    system_prompt: Option<&'a str>,
    temperature: Option<f64>,
    max_tokens: Option<u64>,
    #[serde(flatten)]
    extra: &'a Extra,
}

impl<'a> From<&'a AgentConfig> for ConfigView<'a> {
    fn from(c: &'a AgentConfig) -> Self {
        ConfigView {
            model: c.model.as_deref(),
            system_prompt: c.system_prompt.as_deref(),
            temperature: c.temperature,
            max_tokens: c.max_tokens,
            extra: &c.extra,
        }
    }
}

#[derive(Serialize)]
struct DetailView<'a> {
    #[serde(flatten)]
    agent: AgentView<'a>,
    config: ConfigView<'a>,
    channels: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UpdatedView<'a> {
    id: &'a str,
    name: &'a str,
    status: &'a str,
    updated_at: Millis<'a>,
    #[serde(flatten)]
    extra: &'a Extra,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ChatView<'a> {
    response: &'a str,
    run_id: &'a str,
    tokens_used: u64,
    #[serde(flatten)]
    extra: &'a Extra,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UsageView<'a> {
    plan: &'a str,
    runs_used: u64,
    runs_limit: u64,
    tokens_this_month: u64,
    cost_this_month: f64,
    billing_period_start: Millis<'a>,
    billing_period_end: Millis<'a>,
    #[serde(flatten)]
    extra: &'a Extra,
}

impl ToJson for Vec<Agent> {
    fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string(&self.iter().map(AgentView::from).collect::<Vec<_>>())
    }
}

impl ToJson for AgentDetail {
    fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string(&DetailView {
            agent: AgentView::from(&self.agent),
            config: ConfigView::from(&self.config),
            channels: &self.channels,
        })
    }
}

impl ToJson for UpdatedAgent {
    fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string(&UpdatedView {
            id: &self.id,
            name: &self.name,
            status: self.status.as_str(),
            updated_at: Millis(&self.updated_at),
            extra: &self.extra,
        })
    }
}

impl ToJson for DeletedAgent {
    fn to_json(&self) -> serde_json::Result<String> {
        #[derive(Serialize)]
        struct View<'a> {
            deleted: bool,
            id: &'a str,
            #[serde(flatten)]
            extra: &'a Extra,
        }
        serde_json::to_string(&View {
            deleted: self.deleted,
            id: &self.id,
            extra: &self.extra,
        })
    }
}

impl ToJson for ChatReply {
    fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string(&ChatView {
            response: &self.response,
            run_id: &self.run_id,
            tokens_used: self.tokens_used,
            extra: &self.extra,
        })
    }
}

impl ToJson for Usage {
    fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string(&UsageView {
            plan: &self.plan,
            runs_used: self.runs_used,
            runs_limit: self.runs_limit,
            tokens_this_month: self.tokens_this_month,
            cost_this_month: self.cost_this_month,
            billing_period_start: Millis(&self.billing_period_start),
            billing_period_end: Millis(&self.billing_period_end),
            extra: &self.extra,
        })
    }
}
