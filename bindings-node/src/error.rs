//! Core errors as plain objects the TypeScript layer turns into its error classes.
//!
//! The mapping is on [`delegir::ErrorKind`] only, to a stable `code` string; the fields a class
//! needs travel beside it. Messages are passed through untouched and never parsed. Failures are
//! *returned* (a promise resolving to `{ code, ... }`), not thrown: building the class hierarchy is
//! the TypeScript layer's job, and a returned object costs less than a thrown napi error.

use delegir::{Error, ErrorKind};
use napi_derive::napi;

use crate::models::NativeRateLimit;

/// A failure of a call, with everything the TypeScript error classes carry.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct NativeError {
    /// Stable code: `invalid_argument`, `configuration`, `bad_request`, `authentication`,
    /// `not_found`, `rate_limited`, `internal_server`, `api_status`, `connection`, `timeout`,
    /// `response_validation`, `internal` (a panic caught at the call's boundary: a bug),
    /// `aborted`, or another kind's `as_str` for kinds newer than this binding.
    pub code: String,
    /// The envelope's `error` for API errors, else the core's description.
    pub message: String,
    /// The HTTP status, when a response came back.
    pub status: Option<u32>,
    /// For `rate_limited`: milliseconds until the window resets.
    pub retry_after_ms: Option<f64>,
    /// The failing response's rate-limit headers.
    pub rate_limit: Option<NativeRateLimit>,
    /// Whether the request may have been processed (a chat may have created a run).
    pub may_have_reached_server: bool,
    /// For `invalid_argument`: the offending parameter.
    pub argument: Option<String>,
    /// For `invalid_argument`: the value had the right type but was out of range.
    pub out_of_range: bool,
    /// The first characters (at most 200) of the response's body: of the offending body for
    /// `response_validation`, of the failing response's body for status errors.
    pub body_excerpt: Option<String>,
    /// For status errors: the response's headers, `[name, value]` with lowercase names.
    pub headers: Option<Vec<Vec<String>>>,
    /// For status errors: the response's whole body as text.
    pub body: Option<String>,
}

/// The stable code of a kind (the core's spelling, shared with the log records).
fn code(kind: ErrorKind) -> &'static str {
    kind.as_str()
}

impl NativeError {
    fn bare(code: &str, message: String) -> NativeError {
        NativeError {
            code: code.to_owned(),
            message,
            status: None,
            retry_after_ms: None,
            rate_limit: None,
            may_have_reached_server: false,
            argument: None,
            out_of_range: false,
            body_excerpt: None,
            headers: None,
            body: None,
        }
    }

    /// The call was cancelled through its `AbortSignal`.
    pub(crate) fn aborted() -> NativeError {
        let mut e = NativeError::bare("aborted", "Request was aborted.".to_owned());
        // The request may have been on the wire when it was dropped.
        e.may_have_reached_server = true;
        e
    }
}

impl From<&Error> for NativeError {
    fn from(e: &Error) -> NativeError {
        NativeError {
            code: code(e.kind()).to_owned(),
            message: e.message().to_owned(),
            status: e.status().map(u32::from),
            retry_after_ms: e.retry_after().map(|d| d.as_secs_f64() * 1000.0),
            rate_limit: e.rate_limit().map(NativeRateLimit::from),
            may_have_reached_server: e.may_have_reached_server(),
            argument: e.argument().map(str::to_owned),
            out_of_range: e.is_out_of_range(),
            body_excerpt: e.body_excerpt().map(str::to_owned),
            headers: e.headers().map(|headers| {
                headers
                    .iter()
                    .map(|(n, v)| vec![n.clone(), v.clone()])
                    .collect()
            }),
            body: e.body().map(|b| String::from_utf8_lossy(b).into_owned()),
        }
    }
}

impl From<Error> for NativeError {
    fn from(e: Error) -> NativeError {
        NativeError::from(&e)
    }
}
