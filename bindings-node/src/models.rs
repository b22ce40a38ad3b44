//! Core models as the JSON the TypeScript layer parses.
//!
//! Why JSON and not objects built with napi calls: one `JSON.parse` of a string made on a runtime
//! thread is cheaper for V8 than dozens of `napi_set_named_property` calls made on the JavaScript
//! thread (a page of 100 runs would need ~700), and it keeps this file to plain serde views.
//! Keys are camelCase (`safetyMode`, `runId`); timestamps are epoch milliseconds, which the
//! TypeScript layer turns into `Date`s without parsing strings. Fields the server sent that the
//! core does not know (`extra`) are kept, under the server's own spelling.

use delegir::{
    Agent, AgentConfig, AgentDetail, ChatReply, DeletedAgent, Extra, RateLimit, Run, RunPage,
    UpdatedAgent, Usage,
};
use napi_derive::napi;
use serde::{Serialize, Serializer};
use time::OffsetDateTime;

use crate::error::NativeError;

/// The `X-RateLimit-*` headers of a response (`reset` in Unix epoch seconds).
#[napi(object)]
#[derive(Debug, Clone, Copy)]
pub struct NativeRateLimit {
    /// Requests allowed per window.
    pub limit: f64,
    /// Requests left in the window.
    pub remaining: f64,
    /// When the window resets, in Unix epoch seconds.
    pub reset: f64,
}

impl From<&RateLimit> for NativeRateLimit {
    fn from(r: &RateLimit) -> Self {
        NativeRateLimit {
            limit: r.limit as f64,
            remaining: r.remaining as f64,
            reset: r.reset as f64,
        }
    }
}

/// Serialises a model as the JSON the TypeScript layer parses.
pub(crate) trait ToJs {
    /// The JSON text.
    fn to_js(&self) -> Result<String, NativeError>;
}

fn encode<T: Serialize>(view: &T) -> Result<String, NativeError> {
    serde_json::to_string(view).map_err(|e| NativeError::from_encoding(&e))
}

impl NativeError {
    fn from_encoding(e: &serde_json::Error) -> NativeError {
        NativeError {
            code: "response_validation".to_owned(),
            message: format!("could not hand the response to JavaScript: {e}"),
            status: None,
            retry_after_ms: None,
            rate_limit: None,
            may_have_reached_server: true,
            argument: None,
            out_of_range: false,
            body_excerpt: None,
        }
    }
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
struct RunView<'a> {
    id: &'a str,
    status: &'a str,
    tokens_used: u64,
    cost: f64,
    duration_ms: u64,
    created_at: Millis<'a>,
    #[serde(flatten)]
    extra: &'a Extra,
}

impl<'a> From<&'a Run> for RunView<'a> {
    fn from(r: &'a Run) -> Self {
        RunView {
            id: &r.id,
            status: &r.status,
            tokens_used: r.tokens_used,
            cost: r.cost,
            duration_ms: r.duration_ms,
            created_at: Millis(&r.created_at),
            extra: &r.extra,
        }
    }
}

#[derive(Serialize)]
struct PageView<'a> {
    runs: Vec<RunView<'a>>,
    total: u64,
    limit: u32,
    offset: u64,
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

impl ToJs for Vec<Agent> {
    fn to_js(&self) -> Result<String, NativeError> {
        encode(&self.iter().map(AgentView::from).collect::<Vec<_>>())
    }
}

impl ToJs for AgentDetail {
    fn to_js(&self) -> Result<String, NativeError> {
        encode(&DetailView {
            agent: AgentView::from(&self.agent),
            config: ConfigView::from(&self.config),
            channels: &self.channels,
        })
    }
}

impl ToJs for UpdatedAgent {
    fn to_js(&self) -> Result<String, NativeError> {
        encode(&UpdatedView {
            id: &self.id,
            name: &self.name,
            status: self.status.as_str(),
            updated_at: Millis(&self.updated_at),
            extra: &self.extra,
        })
    }
}

impl ToJs for DeletedAgent {
    fn to_js(&self) -> Result<String, NativeError> {
        #[derive(Serialize)]
        struct View<'a> {
            deleted: bool,
            id: &'a str,
            #[serde(flatten)]
            extra: &'a Extra,
        }
        encode(&View {
            deleted: self.deleted,
            id: &self.id,
            extra: &self.extra,
        })
    }
}

impl ToJs for ChatReply {
    fn to_js(&self) -> Result<String, NativeError> {
        encode(&ChatView {
            response: &self.response,
            run_id: &self.run_id,
            tokens_used: self.tokens_used,
            extra: &self.extra,
        })
    }
}

impl ToJs for RunPage {
    fn to_js(&self) -> Result<String, NativeError> {
        encode(&PageView {
            runs: self.runs.iter().map(RunView::from).collect(),
            total: self.total,
            limit: self.limit,
            offset: self.offset,
            extra: &self.extra,
        })
    }
}

/// A page of the run pager: the runs, or `null` once every run has been yielded.
impl ToJs for Option<Vec<Run>> {
    fn to_js(&self) -> Result<String, NativeError> {
        match self {
            None => Ok("null".to_owned()),
            Some(runs) => encode(&runs.iter().map(RunView::from).collect::<Vec<_>>()),
        }
    }
}

impl ToJs for Usage {
    fn to_js(&self) -> Result<String, NativeError> {
        encode(&UsageView {
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

/// The fields of an agent to change (`agents.update`), as JavaScript passes them.
#[napi(object)]
pub struct NativeAgentUpdate {
    /// New display name.
    pub name: Option<String>,
    /// New status, `active` or `paused`.
    pub status: Option<String>,
    /// Configuration fields to change.
    pub config: Option<NativeConfigUpdate>,
}

/// The configuration fields to change.
#[napi(object)]
pub struct NativeConfigUpdate {
    /// Model name.
    pub model: Option<String>,
    /// System prompt.
    pub system_prompt: Option<String>,
    /// Sampling temperature, 0–2.
    pub temperature: Option<f64>,
    /// Maximum tokens per reply, at least 1.
    pub max_tokens: Option<i64>,
}

impl TryFrom<NativeAgentUpdate> for delegir::AgentUpdate {
    type Error = delegir::Error;

    /// Only converts; the core's `validate::update` checks the result when the call runs.
    fn try_from(u: NativeAgentUpdate) -> delegir::Result<Self> {
        let status = u.status.map(|s| match s.as_str() {
            "active" => delegir::AgentStatus::Active,
            "paused" => delegir::AgentStatus::Paused,
            _ => delegir::AgentStatus::Other(s),
        });
        let config = match u.config {
            None => None,
            Some(c) => Some(delegir::AgentConfigUpdate {
                model: c.model,
                system_prompt: c.system_prompt,
                temperature: c.temperature,
                // JavaScript numbers are signed; the core checks the value before it becomes a u64.
                max_tokens: c
                    .max_tokens
                    .map(delegir::validate::max_tokens)
                    .transpose()?,
            }),
        };
        Ok(delegir::AgentUpdate {
            name: u.name,
            status,
            config,
        })
    }
}
