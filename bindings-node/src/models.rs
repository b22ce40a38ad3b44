//! Models across the napi boundary: the rate-limit object, the update argument, and results in
//! the forms of `bindings-js` (shared with the WebAssembly build): JSON, or pages of runs as
//! columns.

use std::ptr;

use delegir::RateLimit;
use delegir_js::{ConfigUpdateArgs, IntoPayload, Payload, RunColumns, agent_update};
use napi::bindgen_prelude::ToNapiValue;
use napi::{check_status, sys};
use napi_derive::napi;

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

/// A call's result as the napi value the TypeScript layer converts (`models.ts`): the shared
/// [`Payload`] (`bindings-js`), made a JavaScript value here.
pub struct NapiPayload(Payload);

impl ToNapiValue for NapiPayload {
    unsafe fn to_napi_value(
        env: sys::napi_env,
        value: NapiPayload,
    ) -> napi::Result<sys::napi_value> {
        match value.0 {
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

/// A call's result as the [`NapiPayload`] the TypeScript layer converts.
pub(crate) fn to_js(result: &impl IntoPayload) -> Result<NapiPayload, NativeError> {
    result.payload().map(NapiPayload).map_err(|e| NativeError {
        code: "response_validation".to_owned(),
        message: e.to_string(),
        status: None,
        retry_after_ms: None,
        rate_limit: None,
        may_have_reached_server: true,
        argument: None,
        out_of_range: false,
        body_excerpt: None,
        headers: None,
        body: None,
    })
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
