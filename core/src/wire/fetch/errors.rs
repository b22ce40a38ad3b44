//! What a failed `fetch` says, as a Rust error, and whether it proves the request was not sent.
//!
//! `fetch` rejects with a bare `TypeError` for every network failure; some hosts say more in the
//! error's `cause` or `code`. Only a failure that names a connect error (refused, DNS, connect
//! timeout) proves the request never left, so that it may be sent again even for a chat; any
//! other failure is taken as "may have reached the server".

use std::fmt;

use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};

use crate::wire::response::SendError;

/// Error codes that mean no connection was made: Node's (undici's `cause.code`) and Bun's.
const CONNECT_CODES: &[&str] = &[
    "ECONNREFUSED",
    "ENOTFOUND",
    "EAI_AGAIN",
    "EHOSTUNREACH",
    "ENETUNREACH",
    "UND_ERR_CONNECT_TIMEOUT",
    "ConnectionRefused",
    "FailedToOpenSocket",
];

/// A failure of the host's `fetch` (or of setting up a request for it), described as text.
#[derive(Debug)]
pub(crate) struct FetchError {
    message: String,
}

impl FetchError {
    pub(super) fn new(message: impl Into<String>) -> FetchError {
        FetchError {
            message: message.into(),
        }
    }

    /// `what` failed with the JavaScript value `error`: its name, message and cause.
    pub(super) fn from_js(what: &str, error: &JsValue) -> FetchError {
        FetchError::new(format!("{what}: {}", describe(error)))
    }
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FetchError {}

/// Why `fetch` rejected, as the policy layer needs to know it.
pub(super) fn classify(error: &JsValue) -> SendError {
    let source = Box::new(FetchError::new(describe(error)));
    if names_connect_failure(error) {
        SendError::Connect(source)
    } else {
        SendError::Lost(source)
    }
}

fn names_connect_failure(error: &JsValue) -> bool {
    let code_of = |value: &JsValue| {
        Reflect::get(value, &JsValue::from_str("code"))
            .ok()
            .and_then(|code| code.as_string())
    };
    let cause = Reflect::get(error, &JsValue::from_str("cause")).unwrap_or(JsValue::UNDEFINED);
    let codes = [code_of(error), code_of(&cause)];
    if codes
        .iter()
        .flatten()
        .any(|code| CONNECT_CODES.contains(&code.as_str()))
    {
        return true;
    }
    // Deno: "error sending request for url (...): client error (Connect): tcp connect error".
    describe(error).contains("client error (Connect)")
}

/// `Name: message (cause: ...)`, or the value as a string.
fn describe(error: &JsValue) -> String {
    let Some(e) = error.dyn_ref::<js_sys::Error>() else {
        return error
            .as_string()
            .unwrap_or_else(|| "a value that is not an Error".to_owned());
    };
    let mut text = format!("{}: {}", String::from(e.name()), String::from(e.message()));
    let cause = e.cause();
    if let Some(cause) = cause.dyn_ref::<js_sys::Error>() {
        text.push_str(&format!(" ({})", String::from(cause.message())));
    } else if let Some(cause) = cause.as_string() {
        text.push_str(&format!(" ({cause})"));
    }
    text
}
