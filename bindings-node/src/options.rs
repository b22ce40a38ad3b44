//! Option views and raw responses for the TypeScript layer: `withOptions` (overall deadline,
//! extra headers, query and body fields, over this client's options, sharing its pool and
//! ledger), `capturing` (a view whose call leaves its response for `withResponse()`) and
//! `takeResponse`. The core checks every name and value; this file converts.

use std::collections::HashMap;

use delegir::validate::{self, DurationUnit};
use delegir::{ExtraParams, RequestOptions};
use napi::Either;
use napi_derive::napi;

use crate::client::NativeClient;
use crate::error::NativeError;
use crate::models::NativeRateLimit;

/// What `withOptions` / the per-call options add (durations in milliseconds).
#[napi(object)]
pub struct NativeViewOptions {
    /// Timeout of each attempt (`Infinity`: none).
    pub timeout: Option<f64>,
    /// Retries after the first attempt.
    pub max_retries: Option<f64>,
    /// Bound on everything a call does: attempts, backoff, rate-limit waits.
    pub total_timeout: Option<f64>,
    /// Extra headers.
    pub headers: Option<HashMap<String, String>>,
    /// Extra query parameters (values already strings).
    pub query: Option<HashMap<String, String>>,
    /// Extra top-level body fields, as the JSON text of an object.
    pub body: Option<String>,
}

/// The response of a call made through a capturing view.
#[napi(object)]
pub struct NativeResponseInfo {
    /// HTTP status.
    pub status: u32,
    /// Headers in the order received, `[name, value]` with lowercase names.
    pub headers: Vec<Vec<String>>,
    /// This call's rate-limit headers.
    pub rate_limit: Option<NativeRateLimit>,
    /// Attempts made.
    pub attempts: u32,
    /// Milliseconds from the call's start to its response.
    pub elapsed_ms: f64,
    /// The body as text.
    pub body: String,
}

/// The core's extras from the TypeScript layer's maps and body text.
pub(crate) fn extra_params(
    headers: Option<HashMap<String, String>>,
    query: Option<HashMap<String, String>>,
    body: Option<&str>,
    headers_name: &'static str,
) -> Result<Option<ExtraParams>, NativeError> {
    let mut extra = ExtraParams::new();
    for (name, value) in headers.unwrap_or_default() {
        extra = extra.header(&name, &value).map_err(|e| {
            let mut error = NativeError::from(e);
            error.argument = Some(headers_name.to_owned());
            error
        })?;
    }
    for (name, value) in query.unwrap_or_default() {
        extra = extra.query(name, value);
    }
    if let Some(json) = body {
        let fields: serde_json::Map<String, serde_json::Value> = serde_json::from_str(json)
            .map_err(|e| {
                NativeError::out_of_range(
                    "body",
                    format!("options.body must be an object of JSON values: {e}"),
                )
            })?;
        for (name, value) in fields {
            extra = extra.body_field(name, value);
        }
    }
    Ok((!extra.is_empty()).then_some(extra))
}

/// Per-call or view options as the core's [`RequestOptions`].
pub(crate) fn request_options(options: NativeViewOptions) -> Result<RequestOptions, NativeError> {
    let timeout = options
        .timeout
        .map(|ms| validate::timeout("timeout", ms, DurationUnit::Milliseconds))
        .transpose()?;
    let max_retries = options
        .max_retries
        .map(|n| validate::retries("maxRetries", n))
        .transpose()?;
    let total_timeout = options
        .total_timeout
        .map(|ms| validate::duration("totalTimeout", ms, DurationUnit::Milliseconds, false))
        .transpose()?;
    let mut request = RequestOptions {
        timeout,
        max_retries,
        total_timeout,
        extra: None,
    };
    if let Some(extra) = extra_params(
        options.headers,
        options.query,
        options.body.as_deref(),
        "headers",
    )? {
        request = request.with_extra(extra);
    }
    Ok(request)
}

#[napi]
impl NativeClient {
    /// A view with these options over this client's, sharing its pool and ledger; or why the
    /// options are invalid.
    #[napi]
    pub fn with_options(&self, options: NativeViewOptions) -> Either<NativeClient, NativeError> {
        match request_options(options) {
            Ok(request) => Either::A(NativeClient {
                client: self.client.with_options(request),
                capture: self.capture.clone(),
            }),
            Err(e) => Either::B(e),
        }
    }

    /// A view whose calls leave their response for [`NativeClient::take_response`].
    #[napi]
    pub fn capturing(&self) -> NativeClient {
        let (client, capture) = self.client.capturing();
        NativeClient {
            client,
            capture: Some(capture),
        }
    }

    /// The response of the last call made through this capturing view, once.
    #[napi]
    pub fn take_response(&self) -> Option<NativeResponseInfo> {
        let info = self.capture.as_ref()?.take()?;
        Some(NativeResponseInfo {
            status: u32::from(info.status),
            headers: info
                .headers
                .iter()
                .map(|(n, v)| vec![n.clone(), v.clone()])
                .collect(),
            rate_limit: info.rate_limit.as_ref().map(NativeRateLimit::from),
            attempts: info.attempts,
            elapsed_ms: info.elapsed.as_secs_f64() * 1000.0,
            body: info.text(),
        })
    }
}
