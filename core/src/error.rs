//! One error type for every failure, with a `#[non_exhaustive]` kind.
//!
//! Bindings map [`ErrorKind`] to their own classes (Python exceptions, JS errors); nobody parses
//! the message. Messages never contain the API key: nothing that holds the key is ever formatted
//! into one.

use std::fmt;
use std::time::Duration;

use crate::models::RateLimit;

/// What went wrong, in a form a program can branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An argument was rejected before anything was sent (empty id, limit out of range, ...).
    InvalidArgument,
    /// The client could not be built (missing or malformed API key, bad base URL, ...).
    Configuration,
    /// The server answered 400.
    BadRequest,
    /// The server answered 401: the key is missing, malformed, revoked or unknown.
    Authentication,
    /// The server answered 404.
    NotFound,
    /// The server answered 429 and waiting for the window would exceed `max_rate_limit_wait`
    /// (or retries ran out).
    RateLimited,
    /// The server answered 5xx.
    InternalServer,
    /// The server answered another non-success status (403, 409, 418, ...).
    ApiStatus,
    /// Nothing usable came back: DNS, refused or reset connection, TLS failure. (A refused 3xx
    /// redirect is a status: [`ErrorKind::ApiStatus`].)
    Connection,
    /// An attempt took longer than the timeout.
    Timeout,
    /// A 2xx response came back but it is not the documented envelope or shape, or is too large.
    ResponseValidation,
    /// The SDK itself failed (a bug: a panic caught where a binding runs the call). The call is
    /// settled with this error instead of hanging or crashing the interpreter.
    Internal,
}

impl ErrorKind {
    /// A stable snake_case spelling for logs and bindings, e.g. `"not_found"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::Configuration => "configuration",
            ErrorKind::BadRequest => "bad_request",
            ErrorKind::Authentication => "authentication",
            ErrorKind::NotFound => "not_found",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::InternalServer => "internal_server",
            ErrorKind::ApiStatus => "api_status",
            ErrorKind::Connection => "connection",
            ErrorKind::Timeout => "timeout",
            ErrorKind::ResponseValidation => "response_validation",
            ErrorKind::Internal => "internal",
        }
    }

    /// The kind for an unsuccessful HTTP status.
    pub fn from_status(status: u16) -> ErrorKind {
        match status {
            400 => ErrorKind::BadRequest,
            401 => ErrorKind::Authentication,
            404 => ErrorKind::NotFound,
            429 => ErrorKind::RateLimited,
            500..=599 => ErrorKind::InternalServer,
            _ => ErrorKind::ApiStatus,
        }
    }
}

/// Every failure of the client.
///
/// ```
/// # async fn demo(client: delegir::Client) {
/// use delegir::ErrorKind;
/// match client.agents().get("agt_missing").await {
///     Err(e) if e.kind() == ErrorKind::NotFound => println!("no such agent: {}", e.message()),
///     Err(e) => eprintln!("failed: {e}"),
///     Ok(agent) => println!("{}", agent.agent.name),
/// }
/// # }
/// ```
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    message: String,
    status: Option<u16>,
    rate_limit: Option<RateLimit>,
    retry_after: Option<Duration>,
    may_have_reached_server: bool,
    argument: Option<&'static str>,
    out_of_range: bool,
    body_excerpt: Option<String>,
    /// The headers and body of the response an API status error came from.
    response: Option<Box<ErrorResponse>>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                status: None,
                rate_limit: None,
                retry_after: None,
                may_have_reached_server: false,
                argument: None,
                out_of_range: false,
                body_excerpt: None,
                response: None,
                source: None,
            }),
        }
    }

    /// An invalid argument: `argument` names the parameter, `message` says what is allowed.
    pub(crate) fn invalid_argument(argument: &'static str, message: impl Into<String>) -> Error {
        let mut e = Error::new(ErrorKind::InvalidArgument, message);
        e.inner.argument = Some(argument);
        e
    }

    /// Like [`Error::invalid_argument`] for a value outside its allowed range.
    pub(crate) fn out_of_range(argument: &'static str, message: impl Into<String>) -> Error {
        let mut e = Error::invalid_argument(argument, message);
        e.inner.out_of_range = true;
        e
    }

    /// The error for a panic caught at the boundary where a binding runs a call
    /// (`FutureExt::catch_unwind`): kind [`ErrorKind::Internal`], its message saying that an
    /// internal error happened and quoting the panic's message.
    pub fn from_panic(payload: &(dyn std::any::Any + Send)) -> Error {
        let what = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("a panic without a message");
        Error::new(
            ErrorKind::Internal,
            format!(
                "an internal error happened in the Delegir SDK ({what}); the call was \
                 abandoned. This is a bug: please report it"
            ),
        )
        // Whatever the call was doing may have reached the server.
        .with_may_have_reached_server(true)
    }

    pub(crate) fn with_status(mut self, status: u16) -> Error {
        self.inner.status = Some(status);
        self
    }

    pub(crate) fn with_rate_limit(mut self, rate_limit: Option<RateLimit>) -> Error {
        self.inner.rate_limit = rate_limit;
        self
    }

    pub(crate) fn with_retry_after(mut self, retry_after: Option<Duration>) -> Error {
        self.inner.retry_after = retry_after;
        self
    }

    /// Appends `note` to the message.
    pub(crate) fn with_note(mut self, note: &str) -> Error {
        self.inner.message.push_str(note);
        self
    }

    pub(crate) fn with_may_have_reached_server(mut self, reached: bool) -> Error {
        self.inner.may_have_reached_server = reached;
        self
    }

    pub(crate) fn with_body_excerpt(mut self, excerpt: Option<String>) -> Error {
        self.inner.body_excerpt = excerpt;
        self
    }

    /// Attaches the headers and whole body of the response this error came from.
    pub(crate) fn with_response(
        mut self,
        headers: Vec<(String, String)>,
        body: bytes::Bytes,
    ) -> Error {
        self.inner.response = Some(Box::new(ErrorResponse { headers, body }));
        self
    }

    pub(crate) fn with_source(
        mut self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Error {
        self.inner.source = Some(source.into());
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The human-readable message: the envelope's `error` for API errors, else a description
    /// that says what was wrong and how to fix it.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The HTTP status, when a response came back.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// The rate-limit headers of the failing response, if it had them.
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        self.inner.rate_limit.as_ref()
    }

    /// For [`ErrorKind::RateLimited`]: how long to wait before the window resets.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// Whether the request may have been processed by the server. `false` means it provably
    /// never left the client (or the server rejected it without acting, as with 429); `true`
    /// after a chat means a run may have been created and billed.
    pub fn may_have_reached_server(&self) -> bool {
        self.inner.may_have_reached_server
    }

    /// The same error about `argument` as a binding spells it: the core names arguments as the
    /// Rust and Python APIs do (`extra_headers`), the JavaScript bindings' option is `headers`.
    pub fn for_argument(mut self, argument: &'static str) -> Error {
        self.inner.argument = Some(argument);
        self
    }

    /// For [`ErrorKind::InvalidArgument`]: the name of the offending parameter.
    pub fn argument(&self) -> Option<&'static str> {
        self.inner.argument
    }

    /// For [`ErrorKind::InvalidArgument`]: `true` when a value was of the right type but outside
    /// its allowed range (bindings raise `RangeError` in JavaScript for these).
    pub fn is_out_of_range(&self) -> bool {
        self.inner.out_of_range
    }

    /// For [`ErrorKind::ResponseValidation`]: the first bytes of the offending body (at most
    /// 200 characters), to help diagnose proxies and gateways.
    pub fn body_excerpt(&self) -> Option<&str> {
        self.inner.body_excerpt.as_deref()
    }

    /// The headers of the response this error came from (names in lowercase, in the order
    /// received), when one came back whole.
    pub fn headers(&self) -> Option<&[(String, String)]> {
        self.inner.response.as_ref().map(|r| r.headers.as_slice())
    }

    /// The whole body of the response this error came from, when one came back whole.
    pub fn body(&self) -> Option<&[u8]> {
        self.inner.response.as_ref().map(|r| &r.body[..])
    }

    /// The server's `X-Request-Id` for this failed call, when it sent one.
    pub fn request_id(&self) -> Option<&str> {
        self.headers()?
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("x-request-id"))
            .map(|(_, value)| value.as_str())
    }

    /// Whether this error is the server's answer (any [`ErrorKind`] that carries a status and
    /// is not a response-validation failure).
    pub fn is_api_status(&self) -> bool {
        matches!(
            self.inner.kind,
            ErrorKind::BadRequest
                | ErrorKind::Authentication
                | ErrorKind::NotFound
                | ErrorKind::RateLimited
                | ErrorKind::InternalServer
                | ErrorKind::ApiStatus
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.inner.status {
            Some(status) => write!(f, "{} (HTTP {})", self.inner.message, status),
            None => f.write_str(&self.inner.message),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.inner.kind)
            .field("message", &self.inner.message);
        if let Some(status) = self.inner.status {
            d.field("status", &status);
        }
        if let Some(argument) = self.inner.argument {
            d.field("argument", &argument);
        }
        if let Some(retry_after) = self.inner.retry_after {
            d.field("retry_after", &retry_after);
        }
        if self.inner.may_have_reached_server {
            d.field("may_have_reached_server", &true);
        }
        if let Some(source) = &self.inner.source {
            d.field("source", &source.to_string());
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

/// The response an API status error came from.
struct ErrorResponse {
    headers: Vec<(String, String)>,
    body: bytes::Bytes,
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A duration for a message: `1.5 s` from a second up, `250 ms` or `0.5 ms` below it. Node's
/// timeouts are milliseconds: `timeout: 500` read "timed out after 0.5 s", but `timeout: 0.5`
/// read "after 0.0 s" with seconds alone.
pub(crate) fn duration_text(d: Duration) -> String {
    if d >= Duration::from_secs(1) {
        return format!("{:.1} s", d.as_secs_f64());
    }
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 10.0 || ms.fract() == 0.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

#[cfg(test)]
mod duration_text_tests {
    use super::*;

    #[test]
    fn durations_read_in_seconds_from_one_second_and_milliseconds_below() {
        let text = |ms: f64| duration_text(Duration::from_secs_f64(ms / 1000.0));
        assert_eq!(text(60_000.0), "60.0 s");
        assert_eq!(text(1_500.0), "1.5 s");
        assert_eq!(text(1_000.0), "1.0 s");
        assert_eq!(text(999.0), "999 ms");
        assert_eq!(text(250.0), "250 ms");
        assert_eq!(text(10.0), "10 ms");
        assert_eq!(text(5.0), "5 ms");
        assert_eq!(text(0.5), "0.5 ms");
    }
}
