//! Models across the napi boundary: the rate-limit object, the update argument, and results as
//! JSON (the serde views are in `json.rs`, shared with the WebAssembly build), except pages of
//! runs, which cross as columns (`run_columns.rs`).

use std::ptr;

use delegir::{Agent, AgentDetail, ChatReply, DeletedAgent, RateLimit, Run, RunPage};
use delegir::{UpdatedAgent, Usage};
use napi::bindgen_prelude::ToNapiValue;
use napi::{check_status, sys};
use napi_derive::napi;

use crate::error::NativeError;
use crate::json::{ConfigUpdateArgs, ToJson, agent_update};
use crate::run_columns::RunColumns;

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

/// A call's result as it crosses to JavaScript: JSON text for `models.ts` to parse, or the
/// columns of a page of runs.
pub enum Payload {
    /// A model as JSON (`json.rs`).
    Json(String),
    /// Runs as columns (`run_columns.rs`): a JavaScript array `[text, Float64Array]`, with the
    /// extras' JSON as a third element when there are any.
    Runs(RunColumns),
}

impl ToNapiValue for Payload {
    unsafe fn to_napi_value(env: sys::napi_env, value: Payload) -> napi::Result<sys::napi_value> {
        match value {
            // SAFETY: the caller's `env`, as this function's contract requires.
            Payload::Json(json) => unsafe { String::to_napi_value(env, json) },
            // SAFETY: as above.
            Payload::Runs(columns) => unsafe { columns_to_napi(env, columns) },
        }
    }
}

/// `[text, Float64Array(numbers), extras?]`: four or five napi calls for a whole page.
///
/// # Safety
/// `env` is a live environment and this runs on its JavaScript thread.
unsafe fn columns_to_napi(env: sys::napi_env, c: RunColumns) -> napi::Result<sys::napi_value> {
    let mut text = ptr::null_mut();
    let mut buffer = ptr::null_mut();
    let mut data = ptr::null_mut();
    let mut numbers = ptr::null_mut();
    let mut array = ptr::null_mut();
    let bytes = c.numbers.len() * size_of::<f64>();
    // SAFETY: `env` is live (the caller's contract); every pointer passed is valid for the
    // call, and `data` points to `bytes` writable bytes once `napi_create_arraybuffer` succeeded.
    unsafe {
        // ASCII is Latin-1: V8 copies the bytes without decoding UTF-8.
        check_status!(if c.ascii {
            sys::napi_create_string_latin1(
                env,
                c.text.as_ptr().cast(),
                c.text.len() as isize,
                &mut text,
            )
        } else {
            sys::napi_create_string_utf8(
                env,
                c.text.as_ptr().cast(),
                c.text.len() as isize,
                &mut text,
            )
        })?;
        check_status!(sys::napi_create_arraybuffer(
            env,
            bytes,
            &mut data,
            &mut buffer
        ))?;
        // An empty buffer's data pointer may be null, which `copy_nonoverlapping` never takes.
        if bytes > 0 {
            ptr::copy_nonoverlapping(c.numbers.as_ptr().cast::<u8>(), data.cast::<u8>(), bytes);
        }
        check_status!(sys::napi_create_typedarray(
            env,
            sys::TypedarrayType::float64_array,
            c.numbers.len(),
            buffer,
            0,
            &mut numbers,
        ))?;
        let len = if c.extras.is_some() { 3 } else { 2 };
        check_status!(sys::napi_create_array_with_length(env, len, &mut array))?;
        check_status!(sys::napi_set_element(env, array, 0, text))?;
        check_status!(sys::napi_set_element(env, array, 1, numbers))?;
        if let Some(extras) = c.extras {
            let extras = String::to_napi_value(env, extras)?;
            check_status!(sys::napi_set_element(env, array, 2, extras))?;
        }
    }
    Ok(array)
}

/// A model as the [`Payload`] the TypeScript layer converts (`models.ts`).
pub(crate) trait ToJs {
    /// The payload, or why the model could not be written.
    fn to_js(&self) -> Result<Payload, NativeError>;
}

/// The models that cross as JSON.
macro_rules! json_to_js {
    ($($t:ty),* $(,)?) => {$(
        impl ToJs for $t {
            fn to_js(&self) -> Result<Payload, NativeError> {
                self.to_json().map(Payload::Json).map_err(|e| NativeError::from_encoding(&e))
            }
        }
    )*};
}

json_to_js!(
    Vec<Agent>,
    AgentDetail,
    UpdatedAgent,
    DeletedAgent,
    ChatReply,
    Usage
);

impl ToJs for RunPage {
    fn to_js(&self) -> Result<Payload, NativeError> {
        RunColumns::page(self)
            .map(Payload::Runs)
            .map_err(|e| NativeError::from_encoding(&e))
    }
}

/// A page of the run pager: its runs as columns, or the JSON `null` once every run was yielded.
impl ToJs for Option<Vec<Run>> {
    fn to_js(&self) -> Result<Payload, NativeError> {
        match self {
            None => Ok(Payload::Json("null".to_owned())),
            Some(runs) => RunColumns::runs(runs)
                .map(Payload::Runs)
                .map_err(|e| NativeError::from_encoding(&e)),
        }
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
