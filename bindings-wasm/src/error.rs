//! Core errors as the plain objects the TypeScript layer turns into its error classes: the same
//! fields as the napi addon's `NativeError` (`bindings-node/src/error.rs`), keyed by the kind's
//! stable code (`ErrorKind::as_str`), never by message.

use delegir::{Error, RateLimit};
use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

/// A plain object under construction.
struct Fields(Object);

impl Fields {
    fn new() -> Fields {
        Fields(Object::new())
    }

    fn set(self, key: &str, value: impl Into<JsValue>) -> Fields {
        // Setting a property of a fresh plain object cannot fail.
        let _ = Reflect::set(&self.0, &JsValue::from_str(key), &value.into());
        self
    }

    fn maybe(self, key: &str, value: Option<impl Into<JsValue>>) -> Fields {
        match value {
            Some(value) => self.set(key, value),
            None => self,
        }
    }
}

/// `{ limit, remaining, reset }` (`reset` in epoch seconds).
pub(crate) fn rate_limit(r: &RateLimit) -> JsValue {
    Fields::new()
        .set("limit", r.limit as f64)
        .set("remaining", r.remaining as f64)
        .set("reset", r.reset as f64)
        .0
        .into()
}

/// The `NativeError` of a core error.
pub(crate) fn native_error(e: &Error) -> JsValue {
    Fields::new()
        .set("code", e.kind().as_str())
        .set("message", e.message())
        .maybe("status", e.status().map(f64::from))
        .maybe(
            "retryAfterMs",
            e.retry_after().map(|d| d.as_secs_f64() * 1000.0),
        )
        .maybe("rateLimit", e.rate_limit().map(rate_limit))
        .set("mayHaveReachedServer", e.may_have_reached_server())
        .maybe("argument", e.argument())
        .set("outOfRange", e.is_out_of_range())
        .maybe("bodyExcerpt", e.body_excerpt())
        // Status errors: the response's headers (`[name, value]` pairs, lowercase names) and
        // whole body as text, which the TypeScript layer turns into `headers`, `requestId` and
        // the parsed `body`, as from the addon's `NativeError`.
        .maybe("headers", e.headers().map(header_pairs))
        .maybe(
            "body",
            e.body().map(|b| String::from_utf8_lossy(b).into_owned()),
        )
        .0
        .into()
}

/// Headers as `[[name, value], ...]` (errors here, raw responses in `client.rs`).
pub(crate) fn header_pairs(headers: &[(String, String)]) -> js_sys::Array {
    headers
        .iter()
        .map(|(name, value)| {
            js_sys::Array::of2(&JsValue::from_str(name), &JsValue::from_str(value))
        })
        .collect()
}

/// A failure with a code and message only (`aborted`, an encoding failure).
pub(crate) fn bare(code: &str, message: &str, may_have_reached_server: bool) -> JsValue {
    Fields::new()
        .set("code", code)
        .set("message", message)
        .set("mayHaveReachedServer", may_have_reached_server)
        .set("outOfRange", false)
        .0
        .into()
}

/// The call was cancelled through its `AbortSignal`.
pub(crate) fn aborted() -> JsValue {
    // The request may have been on the wire when it was dropped.
    bare("aborted", "Request was aborted.", true)
}
