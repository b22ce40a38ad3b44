//! What a failed `fetch` says, as a Rust error, and whether it proves the request was not sent.
//!
//! `fetch` rejects with a bare `TypeError` for every network failure; some hosts say more in the
//! error's `cause` or `code`. Only a failure that names a connect error (refused, DNS, connect
//! timeout) proves the request never left, so that it may be sent again even for a chat; any
//! other failure is taken as "may have reached the server". A failure that names a protocol
//! error (undici's HTTP parser) or a body that does not decode (zlib) is said to be one, as the
//! native wire says it, rather than called a lost connection.

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

/// Node's (OpenSSL's) codes for a TLS handshake that failed: the certificate was refused
/// (expired, self-signed, another host's, an unknown issuer) or TLS itself failed, before the
/// request was written.
fn is_tls_code(code: &str) -> bool {
    ["CERT_", "ERR_TLS_", "ERR_SSL_", "UNABLE_TO_"]
        .iter()
        .any(|prefix| code.starts_with(prefix))
        || code.contains("SELF_SIGNED")
}

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

/// What a failure of `fetch` (or of reading a body) names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Failure {
    /// No connection was made: nothing was sent.
    Connect,
    /// The response broke HTTP/1.1's rules (undici's parser refused it).
    Protocol,
    /// The body did not decode in the `Content-Encoding` the host decodes (zlib refused it).
    Decoding,
    /// Anything else: the connection may have been lost after the request went out.
    Other,
}

/// Why `fetch` rejected, as the policy layer needs to know it.
pub(super) fn classify(error: &JsValue) -> SendError {
    let source = Box::new(FetchError::new(describe(error)));
    match failure(error) {
        Failure::Connect => SendError::Connect(source),
        Failure::Protocol => SendError::Malformed {
            status: None,
            meta: Default::default(),
            source,
        },
        Failure::Decoding | Failure::Other => SendError::Lost(source),
    }
}

/// What `error` (a rejection of `fetch` or of reading a body) names, from its and its cause's
/// `code` and `name`.
pub(super) fn failure(error: &JsValue) -> Failure {
    let field = |value: &JsValue, name: &str| {
        Reflect::get(value, &JsValue::from_str(name))
            .ok()
            .and_then(|field| field.as_string())
    };
    let cause = Reflect::get(error, &JsValue::from_str("cause")).unwrap_or(JsValue::UNDEFINED);
    let codes = [field(error, "code"), field(&cause, "code")];
    let codes = || codes.iter().flatten().map(String::as_str);
    let names = [field(error, "name"), field(&cause, "name")];
    let text = describe(error);
    if codes().any(|code| CONNECT_CODES.contains(&code) || is_tls_code(code))
        // Deno: "error sending request for url (...): client error (Connect): tcp connect error",
        // and its permissions ("NotCapable: Requires net access to ...").
        || text.contains("client error (Connect)")
        || names.iter().flatten().any(|name| name == "NotCapable" || name == "PermissionDenied")
        // undici refuses the fetch spec's blocked ports (6000, 6665, ...) before connecting.
        || field(&cause, "message").as_deref() == Some("bad port")
        // workerd: "Network connection failed: failed to lookup address information".
        || text.contains("failed to lookup address information")
    {
        return Failure::Connect;
    }
    // undici: llhttp's `HPE_*` codes, its `HTTPParserError` (Node 24 drops the code on some),
    // and a body longer or shorter than its Content-Length.
    if codes().any(|code| code.starts_with("HPE_") || code == "UND_ERR_RES_CONTENT_LENGTH_MISMATCH")
        || field(&cause, "name").as_deref() == Some("HTTPParserError")
    {
        return Failure::Protocol;
    }
    // Node's zlib (`Z_DATA_ERROR`, `Z_BUF_ERROR`, ...), which undici decodes gzip and deflate with.
    if codes().any(|code| code.starts_with("Z_")) {
        return Failure::Decoding;
    }
    Failure::Other
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
