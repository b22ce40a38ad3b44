//! Option views and raw responses for the TypeScript layer: `withOptions` (overall deadline,
//! extra headers, query and body fields, over this client's options, sharing its pool and
//! ledger), `capturing` (a view whose call leaves its response for `withResponse()`) and
//! `takeResponse`. The core checks every name and value; this file converts.

use std::collections::HashMap;

use delegir::RequestOptions;
use delegir_js::ViewOptions;
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

/// Per-call or view options as the core's [`RequestOptions`] (`bindings-js` converts).
pub(crate) fn request_options(options: NativeViewOptions) -> Result<RequestOptions, NativeError> {
    let view = ViewOptions {
        timeout: options.timeout,
        max_retries: options.max_retries,
        total_timeout: options.total_timeout,
        headers: options.headers.unwrap_or_default().into_iter().collect(),
        query: options.query.unwrap_or_default().into_iter().collect(),
        body: options.body,
    };
    Ok(view.request_options()?)
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
