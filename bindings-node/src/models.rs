//! Models across the napi boundary: the rate-limit object, the update argument, and results as
//! JSON (the serde views are in `json.rs`, shared with the WebAssembly build).

use delegir::RateLimit;
use napi_derive::napi;

use crate::error::NativeError;
use crate::json::{ConfigUpdateArgs, ToJson, agent_update};

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

impl<T: ToJson> ToJs for T {
    fn to_js(&self) -> Result<String, NativeError> {
        self.to_json().map_err(|e| NativeError::from_encoding(&e))
    }
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
            headers: None,
            body: None,
        }
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

    fn try_from(u: NativeAgentUpdate) -> delegir::Result<Self> {
        let config = u.config.map(|c| ConfigUpdateArgs {
            model: c.model,
            system_prompt: c.system_prompt,
            temperature: c.temperature,
            max_tokens: c.max_tokens,
        });
        agent_update(u.name, u.status, config)
    }
}
