//! Extra parameters: headers, query parameters and JSON body fields that a call (or a client, by
//! default) sends beyond what the SDK itself sends. This is how a user sends something the API
//! added before the SDK knows it.
//!
//! Every name and value is checked when it is added, before anything is sent: a header name must
//! be an HTTP token and its value must hold no CR, LF or NUL (either could split the request),
//! and the headers that carry the key or frame the request (`X-API-Key`, `Host`,
//! `Content-Length`, `Transfer-Encoding`, `Connection`) or belong to the connection
//! (`Keep-Alive`, `Proxy-Connection`, `Upgrade`, `TE`, `Trailer`, `Expect`) cannot be set this
//! way at all. The SDK's
//! own `Accept`, `User-Agent` and `Content-Type` can be replaced.
//!
//! A client's defaults, an option view's and a call's extras are merged in that order, later
//! ones replacing earlier ones of the same name (header names compared without case). Extras
//! add to what a call sends; a query parameter or body field that the call sets itself from its
//! arguments (a pager's `offset`, a chat's `message`) is refused, not replaced: replaced, a
//! pager would repeat pages and a chat would skip its checks.

use bytes::Bytes;
use http::header::HeaderValue;
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// Headers that cannot be set as extra headers: the key and what frames the request (the SDK
/// sets them), then the headers of the connection itself, which the SDK's wire owns: HTTP/2
/// forbids them (RFC 9113, section 8.2.2), `fetch` refuses them, and on HTTP/1.1 they would
/// change how the connection behaves under the pool.
pub const RESERVED_HEADERS: [&str; 11] = [
    "x-api-key",
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "upgrade",
    "te",
    "trailer",
    "expect",
];

/// How many of [`RESERVED_HEADERS`] are the ones the SDK sets; the rest belong to the connection.
const SET_BY_THE_SDK: usize = 5;

/// An extra header's name, lowercase. On native targets http's `HeaderName`, which the wire's
/// header maps take. On WebAssembly a checked string ([`token_lowercase`]), since fetch takes
/// strings: http's parser carries a table of the standard names, 17 KiB of the module.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) type HeaderName = http::header::HeaderName;

/// An extra header's name, lowercase (see the native definition).
#[cfg(target_arch = "wasm32")]
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct HeaderName(Box<str>);

#[cfg(target_arch = "wasm32")]
impl HeaderName {
    fn from_bytes(name: &[u8]) -> std::result::Result<HeaderName, ()> {
        let name = std::str::from_utf8(name).map_err(|_| ())?;
        token_lowercase(name)
            .map(|n| HeaderName(n.into()))
            .ok_or(())
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(target_arch = "wasm32")]
impl std::fmt::Display for HeaderName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `name` in lowercase if it is an HTTP token (RFC 9110: letters, digits and
/// ``!#$%&'*+-.^_`|~``), as http's `HeaderName::from_bytes` accepts it; else `None`.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn token_lowercase(name: &str) -> Option<String> {
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    (!name.is_empty() && name.len() <= 0xffff && name.bytes().all(token))
        .then(|| name.to_ascii_lowercase())
}

/// Extra headers, query parameters and body fields of a call or a client. Cheap to share:
/// [`crate::RequestOptions`] holds it behind an `Arc`.
///
/// ```
/// # fn main() -> delegir::Result<()> {
/// let extra = delegir::ExtraParams::new()
///     .header("X-Trace-Id", "abc-123")?
///     .query("beta", "1")
///     .body_field("priority", serde_json::json!("high"));
/// let options = delegir::RequestOptions::default().with_extra(extra);
/// # let _ = options; Ok(()) }
/// ```
#[derive(Clone, Default, PartialEq)]
pub struct ExtraParams {
    headers: Vec<(HeaderName, HeaderValue)>,
    query: Vec<(String, String)>,
    body: Map<String, Value>,
}

/// Header names and query/body keys only: a header may carry a token of the user's, and
/// `Debug` output ends up in logs.
impl std::fmt::Debug for ExtraParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExtraParams")
            .field(
                "headers",
                &self
                    .headers
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>(),
            )
            .field(
                "query",
                &self
                    .query
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("body", &self.body.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl ExtraParams {
    /// No extras.
    pub fn new() -> ExtraParams {
        ExtraParams::default()
    }

    /// Adds (or replaces) a header. Fails with [`crate::ErrorKind::InvalidArgument`] for a
    /// reserved name (see [`RESERVED_HEADERS`]), a name that is not an HTTP token, or a value
    /// with CR, LF, NUL or another control character.
    pub fn header(mut self, name: &str, value: &str) -> Result<ExtraParams> {
        let (name, value) = check_header(name, value)?;
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value));
        Ok(self)
    }

    /// Adds (or replaces) a query parameter; it is percent-encoded when sent. A call that sets a
    /// parameter of this name itself fails with [`crate::ErrorKind::InvalidArgument`] before
    /// sending.
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> ExtraParams {
        let name = name.into();
        self.query.retain(|(n, _)| *n != name);
        self.query.push((name, value.into()));
        self
    }

    /// Adds (or replaces) a top-level field of the JSON body. Only calls that send a body
    /// (`agents.update`, `agents.chat`) accept body fields, and only fields they do not set
    /// themselves; others fail before sending.
    pub fn body_field(mut self, name: impl Into<String>, value: Value) -> ExtraParams {
        self.body.insert(name.into(), value);
        self
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.headers.is_empty() && self.query.is_empty() && self.body.is_empty()
    }

    /// The headers, as they will be sent.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.to_str().unwrap_or_default()))
    }

    /// `self` with `later`'s entries added, replacing those of the same name.
    pub fn merged(&self, later: &ExtraParams) -> ExtraParams {
        let mut merged = self.clone();
        for (name, value) in &later.headers {
            merged.headers.retain(|(n, _)| n != name);
            merged.headers.push((name.clone(), value.clone()));
        }
        for (name, value) in &later.query {
            merged.query.retain(|(n, _)| n != name);
            merged.query.push((name.clone(), value.clone()));
        }
        for (name, value) in &later.body {
            merged.body.insert(name.clone(), value.clone());
        }
        merged
    }

    pub(crate) fn header_list(&self) -> &[(HeaderName, HeaderValue)] {
        &self.headers
    }

    /// Whether a header of this (lowercase) name is among the extras.
    pub(crate) fn has_header(&self, name: &str) -> bool {
        self.headers.iter().any(|(n, _)| n.as_str() == name)
    }

    /// `query` (already encoded, without `?`) with the extra parameters added. `route` names
    /// the call in the error when an extra parameter has the name of one the call sets itself
    /// (see [`collision`]).
    pub(crate) fn apply_query(&self, query: Option<&str>, route: &str) -> Result<Option<String>> {
        if self.query.is_empty() {
            return Ok(query.map(str::to_owned));
        }
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            if self.query.iter().any(|(n, _)| *n == name) {
                return Err(collision("extra_query", "query parameter", &name, route));
            }
            out.append_pair(&name, &value);
        }
        for (name, value) in &self.query {
            out.append_pair(name, value);
        }
        Ok(Some(out.finish()))
    }

    /// The JSON `body` with the extra fields added. `route` names the call in the error when it
    /// sends no body, or when an extra field has the name of one the call sets itself.
    /// Whether any body field is set.
    pub(crate) fn has_body_fields(&self) -> bool {
        !self.body.is_empty()
    }

    pub(crate) fn apply_body(&self, body: Option<&Bytes>, route: &str) -> Result<Option<Bytes>> {
        if self.body.is_empty() {
            return Ok(body.cloned());
        }
        let Some(body) = body else {
            return Err(Error::invalid_argument(
                "extra_body",
                format!(
                    "{route} sends no JSON body, so extra body fields cannot be sent with it; \
                     use extra query parameters instead"
                ),
            ));
        };
        let mut object: Map<String, Value> = serde_json::from_slice(body).map_err(|e| {
            Error::invalid_argument(
                "extra_body",
                format!("the request body is not an object: {e}"),
            )
        })?;
        for (name, value) in &self.body {
            if object.contains_key(name) {
                return Err(collision("extra_body", "body field", name, route));
            }
            object.insert(name.clone(), value.clone());
        }
        let bytes = serde_json::to_vec(&object).map_err(|e| {
            Error::invalid_argument("extra_body", format!("could not encode the body: {e}"))
        })?;
        Ok(Some(Bytes::from(bytes)))
    }
}

/// The error for an extra query parameter or body field that would replace one the call sets
/// from its own arguments: a pager's `offset` and `limit` (replaced, the pager would fetch the
/// same page over and over), a chat's `message` (replaced, it would skip the call's checks).
/// Extras add what the SDK does not know yet; what it sends, its arguments say.
fn collision(argument: &'static str, what: &str, name: &str, route: &str) -> Error {
    Error::invalid_argument(
        argument,
        format!(
            "extra {what} {name:?} is one {route} sets from its own arguments; pass it as the \
             call's argument (extras add to a request, they do not replace what the call sends)"
        ),
    )
}

/// Checks a header name and value; see [`ExtraParams::header`].
pub(crate) fn check_header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue)> {
    let parsed = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
        Error::invalid_argument(
            "extra_headers",
            format!(
                "header name {name:?} is not a valid HTTP header name (letters, digits and \
                 !#$%&'*+-.^_`|~ only)"
            ),
        )
    })?;
    match RESERVED_HEADERS.iter().position(|r| *r == parsed.as_str()) {
        Some(i) if i < SET_BY_THE_SDK => {
            return Err(Error::invalid_argument(
                "extra_headers",
                format!(
                    "header {name:?} is set by the SDK and cannot be overridden (reserved: \
                     X-API-Key, Host, Content-Length, Transfer-Encoding, Connection)"
                ),
            ));
        }
        Some(_) => {
            return Err(Error::invalid_argument(
                "extra_headers",
                format!(
                    "header {name:?} belongs to the connection, which the SDK manages; it \
                     cannot be set (nor can Keep-Alive, Proxy-Connection, Upgrade, TE, \
                     Trailer or Expect: HTTP/2 and fetch refuse them)"
                ),
            ));
        }
        None => {}
    }
    // Visible ASCII, space and tab only: `HeaderValue` would also take bytes 0x80-0xFF
    // (obs-text), which fetch refuses and servers read in different charsets.
    let printable = |b: u8| b == b'\t' || (b' '..=b'~').contains(&b);
    if !value.bytes().all(printable) {
        return Err(Error::invalid_argument(
            "extra_headers",
            format!(
                "the value of header {name:?} holds a line break, NUL or another control or \
                 non-ASCII character, which cannot be sent (encode it, e.g. percent-encoding)"
            ),
        ));
    }
    let value = HeaderValue::from_str(value).map_err(|_| {
        Error::invalid_argument(
            "extra_headers",
            format!("the value of header {name:?} cannot be sent"),
        )
    })?;
    Ok((parsed, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn the_webassembly_header_name_check_accepts_what_http_accepts() {
        let mut names: Vec<String> = (0u8..=255)
            .flat_map(|b| [vec![b], vec![b'x', b, b'y']])
            .filter_map(|bytes| String::from_utf8(bytes).ok())
            .collect();
        names.extend(
            [
                "",
                "X-Trace-Id",
                "Content-Type",
                "ACCEPT",
                "a b",
                "é",
                "x\u{0}",
            ]
            .map(String::from),
        );
        names.push("x".repeat(70_000));
        for name in names {
            let http = http::header::HeaderName::from_bytes(name.as_bytes())
                .ok()
                .map(|n| n.as_str().to_owned());
            assert_eq!(token_lowercase(&name), http, "{name:?}");
        }
    }

    #[test]
    fn reserved_and_malformed_headers_are_refused() {
        for name in [
            "X-API-Key",
            "host",
            "Content-Length",
            "transfer-encoding",
            "CONNECTION",
        ] {
            let e = ExtraParams::new().header(name, "x").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            assert!(e.message().contains("cannot be overridden"), "{e}");
        }
        for name in ["", "a b", "a:b", "x\r\ny", "é"] {
            assert!(ExtraParams::new().header(name, "x").is_err(), "{name:?}");
        }
        for name in [
            "Keep-Alive",
            "upgrade",
            "TE",
            "Trailer",
            "Proxy-Connection",
            "Expect",
        ] {
            let e = ExtraParams::new().header(name, "x").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            assert!(e.message().contains("belongs to the connection"), "{e}");
        }
        for value in ["a\r\nx-evil: 1", "a\nb", "a\0b", "a\rb", "équipe", "\u{7f}"] {
            let e = ExtraParams::new().header("x-ok", value).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{value:?}");
        }
        assert!(ExtraParams::new().header("User-Agent", "mine").is_ok());
        assert!(ExtraParams::new().header("X-Ok", "a\tb ~!").is_ok());
    }

    #[test]
    fn debug_shows_names_but_never_values() {
        let extra = ExtraParams::new()
            .header("Authorization", "Bearer secret-token")
            .unwrap()
            .query("sig", "secret-sig");
        let text = format!("{extra:?}");
        assert!(
            text.contains("authorization") && text.contains("sig"),
            "{text}"
        );
        assert!(!text.contains("secret"), "{text}");
    }

    #[test]
    fn later_extras_replace_earlier_ones_of_the_same_name() {
        let defaults = ExtraParams::new()
            .header("X-A", "1")
            .unwrap()
            .query("q", "1");
        let call = ExtraParams::new()
            .header("x-a", "2")
            .unwrap()
            .query("q", "2")
            .body_field("f", Value::Bool(true));
        let merged = defaults.merged(&call);
        assert_eq!(merged.headers().collect::<Vec<_>>(), [("x-a", "2")]);
        assert_eq!(
            merged.apply_query(None, "GET /usage").unwrap().as_deref(),
            Some("q=2")
        );
    }

    #[test]
    fn extra_query_is_added_encoded_and_never_replaces_the_calls_own() {
        let route = "GET /agents/:id/runs";
        let extra = ExtraParams::new().query("beta", "1").query("a b", "c&d");
        assert_eq!(
            extra
                .apply_query(Some("limit=100&offset=5"), route)
                .unwrap()
                .as_deref(),
            Some("limit=100&offset=5&beta=1&a+b=c%26d")
        );
        // Where the call sends no `offset`, an extra one adds it.
        let offset = ExtraParams::new().query("offset", "10");
        assert_eq!(
            offset
                .apply_query(Some("limit=5"), route)
                .unwrap()
                .as_deref(),
            Some("limit=5&offset=10")
        );
        let e = offset
            .apply_query(Some("limit=100&offset=5"), route)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(
            e.to_string()
                .contains("\"offset\" is one GET /agents/:id/runs sets"),
            "{e}"
        );
    }

    #[test]
    fn extra_body_fields_merge_into_the_json_object_and_need_a_body() {
        let extra = ExtraParams::new().body_field("priority", Value::from("high"));
        let body = Bytes::from_static(br#"{"message":"hi"}"#);
        let merged = extra
            .apply_body(Some(&body), "POST /agents/:id/chat")
            .unwrap();
        let value: Value = serde_json::from_slice(&merged.unwrap()).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"message": "hi", "priority": "high"})
        );
        let e = extra.apply_body(None, "GET /usage").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        let message = ExtraParams::new().body_field("message", Value::from("   "));
        let e = message
            .apply_body(Some(&body), "POST /agents/:id/chat")
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.to_string().contains("\"message\" is one POST"), "{e}");
    }
}
