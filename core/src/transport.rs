//! Sends an [`ApiRequest`]: rate-limit ledger, attempts with timeouts, retries, size cap,
//! decoding and one log record per attempt.
//!
//! One `reqwest::Client` (one connection pool) serves every clone of a [`Client`]. It follows no
//! redirects: the API has none, and following one would hand `X-API-Key` to whatever host the
//! `Location` names; a 3xx is an error instead. TLS is rustls with the `ring` provider (half the
//! cold build time of aws-lc-rs).
//!
//! The attempt loop never calls tokio directly: it sleeps and times out through
//! [`crate::runtime`], so a WebAssembly build can swap the runtime without touching this file's
//! logic. It is also the hot path (benchmarked against raw reqwest): the request is built per
//! attempt, never cloned (the body is reference-counted), a body that arrives in one chunk is
//! decoded without a copy, and no log string is built unless a subscriber wants it.

use std::future::Future;
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;

use crate::client::Client;
use crate::config::Config;
use crate::error::{Error, ErrorKind, Result};
use crate::headers::{self, ResponseMeta};
use crate::ledger::{Admission, Ledger, Observed};
use crate::logging::{AttemptLog, LogLevel};
use crate::request::ApiRequest;
use crate::runtime;

use crate::decode;
use crate::retry::{self, Outcome};

/// Longest time spent opening a connection (TCP + TLS) before the attempt counts as
/// "never sent" and is retried for every method; capped by the client's timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an idle pooled connection is kept.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// TCP keep-alive probes on pooled connections.
const TCP_KEEPALIVE: Duration = Duration::from_secs(60);

/// The HTTP side of a client: connection pool and ledger.
pub(crate) struct Transport {
    http: reqwest::Client,
    /// `None` when the client was built with `rate_limit(false)`.
    ledger: Option<Arc<Ledger>>,
}

impl Transport {
    pub(crate) fn new(config: &Config) -> Result<Transport> {
        install_crypto_provider();
        let mut key = HeaderValue::from_str(config.api_key.expose()).map_err(|_| {
            Error::new(
                ErrorKind::Configuration,
                "the API key cannot be sent as an HTTP header value",
            )
        })?;
        key.set_sensitive(true);
        let mut default_headers = HeaderMap::with_capacity(2);
        default_headers.insert(HeaderName::from_static("x-api-key"), key);
        default_headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        let user_agent = HeaderValue::from_str(&config.user_agent).map_err(|_| {
            Error::new(
                ErrorKind::Configuration,
                "the user agent suffix must be visible ASCII text",
            )
        })?;
        let mut http = reqwest::Client::builder();
        if config.http2_prior_knowledge {
            http = http.http2_prior_knowledge();
        }
        let http = http
            .default_headers(default_headers)
            .user_agent(user_agent)
            .redirect(reqwest::redirect::Policy::none())
            // The attempt loop below is the one retry policy (logged, paced by the ledger).
            // reqwest's own layer would clone every request (headers, URI) in case an HTTP/2
            // server refuses the stream; such refusals are classified as never sent instead
            // (`refused_unprocessed`) and retried by the loop. Measured: 6-8% less CPU per call.
            .retry(reqwest::retry::never().max_retries_per_request(0))
            .tcp_nodelay(true)
            .tcp_keepalive(TCP_KEEPALIVE)
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .connect_timeout(config.timeout.min(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| {
                Error::new(
                    ErrorKind::Configuration,
                    format!("could not build the HTTP client: {e}"),
                )
                .with_source(e)
            })?;
        let ledger = config
            .rate_limit
            .then(|| Ledger::shared(&config.api_key, config.base_url()));
        Ok(Transport { http, ledger })
    }
}

/// Installs rustls' `ring` provider as the process default, once. reqwest is built with
/// `rustls-no-provider` (no aws-lc-rs), so it uses whatever provider is installed; when the
/// application installed one first, that one is kept.
fn install_crypto_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // Err means another provider is already installed, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Whether an HTTP/2 server said it did not process the request: it refused the stream
/// (`REFUSED_STREAM`), or shut the connection down gracefully (`GOAWAY` with `NO_ERROR`) before
/// the stream. Either way nothing happened on the server, so even a chat may be sent again
/// (RFC 9113, section 8.7).
fn refused_unprocessed(error: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(h2_error) = cause.downcast_ref::<h2::Error>() {
            return h2_error.is_remote()
                && match h2_error.reason() {
                    Some(h2::Reason::REFUSED_STREAM) => true,
                    Some(h2::Reason::NO_ERROR) => h2_error.is_go_away(),
                    _ => false,
                };
        }
        source = cause.source();
    }
    false
}

/// A response whose body was read completely.
struct Received {
    status: u16,
    meta: ResponseMeta,
    body: Bytes,
}

/// Why an attempt produced no complete response.
enum Failed {
    /// reqwest failed before (`NotSent`) or after (`Lost`) the request may have left.
    Network(Outcome, reqwest::Error),
    /// The body is larger than `max_response_bytes`; `head` is what was read of it.
    TooLarge {
        status: u16,
        meta: ResponseMeta,
        head: Bytes,
    },
    /// A response came back but was cut off while its body was read.
    BodyLost {
        status: u16,
        meta: ResponseMeta,
        source: reqwest::Error,
    },
}

impl Client {
    /// Sends `request` with retries and decodes the envelope's `data` as `T`.
    pub(crate) async fn send<T: DeserializeOwned>(&self, request: ApiRequest) -> Result<T> {
        let shared = &*self.shared;
        let config = &shared.config;
        let transport = &shared.transport;
        let timeout = self.options.timeout.unwrap_or(config.timeout);
        let max_retries = self.options.max_retries.unwrap_or(config.max_retries);
        // Built before the first attempt so that a request that cannot be built fails before it
        // takes a place in the ledger; a retry builds it again (cheaper than cloning a built
        // request for every first attempt in case a retry needs it).
        let mut first_request = Some(build_request(&transport.http, &config.base_url, &request)?);

        let mut retry: u32 = 0;
        let mut pause = Duration::ZERO;
        loop {
            let attempt = retry + 1;
            let wait_started = Instant::now();
            if !pause.is_zero() {
                runtime::sleep(pause).await;
            }
            let mut admission = match &transport.ledger {
                Some(ledger) => match ledger.admit(config.max_rate_limit_wait).await {
                    Ok(admission) => Some(admission),
                    Err(reset_in) => {
                        let e = self.ledger_refusal(reset_in);
                        log_attempt(
                            config,
                            &request,
                            None,
                            attempt,
                            Duration::ZERO,
                            wait_started.elapsed(),
                            Some(e.kind()),
                            false,
                        );
                        return Err(e);
                    }
                },
                None => None,
            };
            let wait = wait_started.elapsed();

            let http_request = match first_request.take() {
                Some(built) => built,
                None => build_request(&transport.http, &config.base_url, &request)?,
            };
            let started = Instant::now();
            let result = runtime::timeout(
                timeout,
                attempt_once(
                    transport.http.execute(http_request),
                    &mut admission,
                    config.max_response_bytes,
                ),
            )
            .await;
            let elapsed = started.elapsed();
            if let Some(admission) = admission.take() {
                // Timed out (or failed) before any response head arrived.
                admission.settle(Observed::NoResponse);
            }

            // Successes return here; everything else becomes (error, outcome, status, meta).
            let (outcome, status, meta, build_error): (Outcome, Option<u16>, ResponseMeta, _) =
                match result {
                    Ok(Ok(received)) => {
                        self.remember_rate_limit(&received.meta);
                        let status = received.status;
                        if (200..300).contains(&status) {
                            let note = retry::note(request.idempotency, Outcome::Final);
                            // A response came back, so the server did act on the request.
                            let decoded =
                                decode::data::<T>(status, &received.body, &received.meta, note)
                                    .map_err(|e| e.with_may_have_reached_server(true));
                            log_attempt(
                                config,
                                &request,
                                Some(status),
                                attempt,
                                elapsed,
                                wait,
                                decoded.as_ref().err().map(Error::kind),
                                false,
                            );
                            return decoded;
                        }
                        let outcome = if (300..400).contains(&status) {
                            Outcome::Final
                        } else {
                            Outcome::Status(status)
                        };
                        (
                            outcome,
                            Some(status),
                            received.meta,
                            ErrorSource::Response(received.body),
                        )
                    }
                    Ok(Err(Failed::Network(outcome, source))) => (
                        outcome,
                        None,
                        ResponseMeta::default(),
                        ErrorSource::Network(source),
                    ),
                    Ok(Err(Failed::BodyLost {
                        status,
                        meta,
                        source,
                    })) => {
                        self.remember_rate_limit(&meta);
                        (
                            Outcome::Lost,
                            Some(status),
                            meta,
                            ErrorSource::Network(source),
                        )
                    }
                    Ok(Err(Failed::TooLarge { status, meta, head })) => {
                        self.remember_rate_limit(&meta);
                        (
                            Outcome::Final,
                            Some(status),
                            meta,
                            ErrorSource::TooLarge(head),
                        )
                    }
                    Err(runtime::Elapsed) => (
                        Outcome::TimedOut,
                        None,
                        ResponseMeta::default(),
                        ErrorSource::Timeout,
                    ),
                };

            // Decide whether to go again, and how long to pause first.
            let mut retryable =
                retry < max_retries && retry::is_retryable(request.idempotency, outcome);
            let mut retry_after = None;
            pause = Duration::ZERO;
            if outcome == Outcome::Status(429) {
                let server_wait = retry::rate_limit_wait(&meta);
                retry_after = server_wait;
                match server_wait {
                    Some(w) if w > config.max_rate_limit_wait => retryable = false,
                    // The ledger recorded the 429 and holds the next admission until the
                    // window resets: waiting here too would wait twice.
                    Some(_) if transport.ledger.is_some() && meta.rate_limit.is_some() => {
                        pause = retry::rate_limit_jitter();
                    }
                    Some(w) => pause = w + retry::rate_limit_jitter(),
                    None => pause = retry::backoff(retry),
                }
            } else if retryable {
                pause = retry::backoff(retry);
            }

            let note = retry::note(request.idempotency, outcome);
            let error = build_error
                .into_error(
                    config,
                    &request,
                    outcome,
                    status,
                    &meta,
                    retry_after,
                    timeout,
                    note,
                )
                .with_may_have_reached_server(outcome.may_have_reached_server());
            log_attempt(
                config,
                &request,
                status,
                attempt,
                elapsed,
                wait,
                Some(error.kind()),
                retryable,
            );
            if !retryable {
                return Err(error);
            }
            retry += 1;
        }
    }

    /// The error when the ledger says the window resets later than `max_rate_limit_wait`.
    fn ledger_refusal(&self, reset_in: Duration) -> Error {
        let config = &self.shared.config;
        Error::new(
            ErrorKind::RateLimited,
            format!(
                "the rate limit of this API key is used up and the window resets in {:.1} s, \
                 longer than max_rate_limit_wait ({:.1} s); retry after that, or raise \
                 max_rate_limit_wait",
                reset_in.as_secs_f64(),
                config.max_rate_limit_wait.as_secs_f64()
            ),
        )
        .with_retry_after(Some(reset_in))
        .with_rate_limit(self.rate_limit())
    }

    fn remember_rate_limit(&self, meta: &ResponseMeta) {
        if let Some(rate_limit) = meta.rate_limit {
            *self.shared.last_rate_limit.lock() = Some(rate_limit);
        }
    }
}

/// Builds the HTTP request of an attempt from the base URL parsed once by the builder (copied,
/// not re-parsed; the body is a shared `Bytes`, not copied).
fn build_request(
    http: &reqwest::Client,
    base: &reqwest::Url,
    request: &ApiRequest,
) -> Result<reqwest::Request> {
    let base_path = base.path().trim_end_matches('/');
    let mut path = String::with_capacity(base_path.len() + request.path.len());
    path.push_str(base_path);
    path.push_str(&request.path);
    let mut url = base.clone();
    url.set_path(&path);
    url.set_query(request.query.as_deref());
    let mut builder = http.request(request.method.clone(), url);
    if let Some(body) = request.body.clone() {
        builder = builder
            .header(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )
            .body(body);
    }
    builder.build().map_err(|e| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "could not build the request for {} {}: {}",
                request.method,
                request.route,
                e.without_url()
            ),
        )
    })
}

/// One attempt: send, settle the admission with the response head, read the body under the cap.
///
/// It takes the pending send rather than the request so that the future does not carry the
/// request (264 bytes) through every await after it was sent.
async fn attempt_once(
    sending: impl Future<Output = reqwest::Result<reqwest::Response>>,
    admission: &mut Option<Admission>,
    max_bytes: usize,
) -> std::result::Result<Received, Failed> {
    let mut response = match sending.await {
        Ok(response) => response,
        Err(e) => {
            let outcome = if e.is_connect() || refused_unprocessed(&e) {
                Outcome::NotSent
            } else {
                Outcome::Lost
            };
            return Err(Failed::Network(outcome, e));
        }
    };
    let status = response.status().as_u16();
    let meta = headers::parse(response.headers());
    if let Some(admission) = admission.take() {
        admission.settle(Observed::Response {
            status,
            meta: &meta,
        });
    }
    if response
        .content_length()
        .is_some_and(|len| len > max_bytes as u64)
    {
        // Not read at all: dropping the response closes the connection.
        return Err(Failed::TooLarge {
            status,
            meta,
            head: Bytes::new(),
        });
    }
    let lost = |source, meta| Failed::BodyLost {
        status,
        meta,
        source,
    };
    let first = match response.chunk().await {
        Ok(Some(chunk)) => chunk,
        Ok(None) => {
            return Ok(Received {
                status,
                meta,
                body: Bytes::new(),
            });
        }
        Err(e) => return Err(lost(e, meta)),
    };
    if first.len() > max_bytes {
        return Err(Failed::TooLarge {
            status,
            meta,
            head: first,
        });
    }
    let second = match response.chunk().await {
        // The common case: the whole body in one chunk, used as is.
        Ok(None) => {
            return Ok(Received {
                status,
                meta,
                body: first,
            });
        }
        Ok(Some(chunk)) => chunk,
        Err(e) => return Err(lost(e, meta)),
    };
    let expected = response
        .content_length()
        .map_or(first.len() + second.len(), |len| len as usize);
    let mut body = Vec::with_capacity(expected.min(max_bytes));
    let mut next = Some(second);
    body.extend_from_slice(&first);
    loop {
        let Some(chunk) = next.take() else {
            break;
        };
        if body.len() + chunk.len() > max_bytes {
            return Err(Failed::TooLarge {
                status,
                meta,
                head: first,
            });
        }
        body.extend_from_slice(&chunk);
        next = match response.chunk().await {
            Ok(next) => next,
            Err(e) => return Err(lost(e, meta)),
        };
    }
    Ok(Received {
        status,
        meta,
        body: Bytes::from(body),
    })
}

/// What an unsuccessful attempt left behind, turned into an [`Error`] once the retry decision
/// (and so the message's note) is known.
enum ErrorSource {
    /// A complete non-2xx response.
    Response(Bytes),
    /// No (complete) response: connect failure, reset, cut-off body.
    Network(reqwest::Error),
    /// A body over the cap, with its first bytes.
    TooLarge(Bytes),
    /// The attempt's timeout ran out.
    Timeout,
}

impl ErrorSource {
    #[allow(clippy::too_many_arguments)]
    fn into_error(
        self,
        config: &Config,
        request: &ApiRequest,
        outcome: Outcome,
        status: Option<u16>,
        meta: &ResponseMeta,
        retry_after: Option<Duration>,
        timeout: Duration,
        note: &str,
    ) -> Error {
        match self {
            ErrorSource::Response(body) => {
                let status = status.unwrap_or_default();
                if (300..400).contains(&status) {
                    return Error::new(
                        ErrorKind::ApiStatus,
                        format!(
                            "the server answered HTTP {status} with a redirect, which was refused \
                             and not followed (following it could send the API key to another \
                             host); check the base URL {}{note}",
                            config.base_url()
                        ),
                    )
                    .with_status(status)
                    .with_rate_limit(meta.rate_limit);
                }
                decode::api_error(status, &body, meta, retry_after, note)
            }
            ErrorSource::Network(source) => {
                let source = source.without_url();
                let cause = root_cause(&source);
                let message = match (outcome, status) {
                    (Outcome::NotSent, _) => format!(
                        "could not connect to the API at {} ({cause}); the request was not sent",
                        config.base_url()
                    ),
                    (_, Some(status)) => format!(
                        "the connection was lost while reading the HTTP {status} response to \
                         {} {} ({cause}){note}",
                        request.method, request.route
                    ),
                    _ => format!(
                        "the connection was lost after sending {} {} ({cause}){note}",
                        request.method, request.route
                    ),
                };
                let mut error = Error::new(ErrorKind::Connection, message)
                    .with_rate_limit(meta.rate_limit)
                    .with_source(source);
                if let Some(status) = status {
                    error = error.with_status(status);
                }
                error
            }
            ErrorSource::TooLarge(head) => decode::invalid(
                status.unwrap_or_default(),
                &head,
                meta,
                format!(
                    "the response body exceeds {} bytes (max_response_bytes) and was not read \
                     further{note}",
                    config.max_response_bytes
                ),
            ),
            ErrorSource::Timeout => Error::new(
                ErrorKind::Timeout,
                format!(
                    "{} {} timed out after {:.1} s{note}",
                    request.method,
                    request.route,
                    timeout.as_secs_f64()
                ),
            ),
        }
    }
}

/// The innermost cause of an error ("Connection refused (os error 111)"), which says more than
/// reqwest's outer "error sending request".
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// `AttemptLog::method` is `&'static str`: the API's four methods, else a generic name.
fn method_name(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        _ => "OTHER",
    }
}

/// One `tracing` event (target `delegir`) and one observer call per attempt. Fields are the
/// route template and numbers only: never the key, ids, query strings or bodies.
#[allow(clippy::too_many_arguments)]
fn log_attempt(
    config: &Config,
    request: &ApiRequest,
    status: Option<u16>,
    attempt: u32,
    elapsed: Duration,
    wait: Duration,
    error: Option<ErrorKind>,
    will_retry: bool,
) {
    let log = AttemptLog {
        method: method_name(&request.method),
        route: request.route,
        status,
        attempt,
        elapsed,
        wait,
        error,
        will_retry,
    };
    // One callsite per level: tracing levels are static. Fields are only evaluated when a
    // subscriber wants the event.
    macro_rules! event {
        ($level:expr) => {
            tracing::event!(
                target: "delegir",
                $level,
                method = log.method,
                route = log.route,
                status = log.status,
                attempt = log.attempt,
                elapsed_ms = log.elapsed.as_secs_f64() * 1000.0,
                wait_ms = log.wait.as_secs_f64() * 1000.0,
                error = log.error.map(ErrorKind::as_str),
                will_retry = log.will_retry,
                "{log}"
            )
        };
    }
    match log.level() {
        LogLevel::Debug => event!(tracing::Level::DEBUG),
        LogLevel::Info => event!(tracing::Level::INFO),
        LogLevel::Warn => event!(tracing::Level::WARN),
    }
    if let Some(observer) = &config.on_attempt {
        observer(&log);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::request::Idempotency;

    #[test]
    fn idempotency_of_chat_is_not_idempotent() {
        // Guards the link between the endpoint table and the retry rules.
        assert!(!retry::is_retryable(
            Idempotency::NotIdempotent,
            Outcome::Lost
        ));
    }

    /// The URL a request goes to, for a client with `base_url`.
    fn url_for(base_url: &str, path: &str, query: Option<&str>) -> String {
        let client = Client::builder()
            .api_key("sk_test_0123456789abcdef")
            .base_url(base_url)
            .build()
            .unwrap();
        let mut request = ApiRequest::get("/test", path.to_owned());
        request.query = query.map(str::to_owned);
        let shared = &client.shared;
        build_request(&shared.transport.http, &shared.config.base_url, &request)
            .unwrap()
            .url()
            .to_string()
    }

    #[test]
    fn request_urls_join_the_base_path_the_route_and_the_query() {
        let cases = [
            (
                "https://delegir.com/api/v1",
                "/agents/agt_1",
                None,
                "https://delegir.com/api/v1/agents/agt_1",
            ),
            (
                "https://delegir.com/api/v1/",
                "/usage",
                None,
                "https://delegir.com/api/v1/usage",
            ),
            (
                "https://delegir.com",
                "/usage",
                None,
                "https://delegir.com/usage",
            ),
            (
                "http://127.0.0.1:4010/x/y",
                "/agents/agt_1/runs",
                Some("limit=100&offset=5"),
                "http://127.0.0.1:4010/x/y/agents/agt_1/runs?limit=100&offset=5",
            ),
            (
                "https://DELEGIR.com:443/api/v1",
                "/agents",
                None,
                "https://delegir.com/api/v1/agents",
            ),
        ];
        for (base, path, query, expected) in cases {
            assert_eq!(url_for(base, path, query), expected, "base {base:?}");
        }
    }
}
