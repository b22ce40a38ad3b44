//! Sends an [`ApiRequest`]: rate-limit ledger, attempts with timeouts, retries, size cap,
//! decoding and one log record per attempt.
//!
//! One connection pool ([`Http`]) serves every clone of a [`Client`].
//!
//! The attempt loop never calls tokio directly: it sleeps and times out through
//! [`crate::runtime`], so a WebAssembly build can swap the runtime without touching this file's
//! logic. It is also the hot path (benchmarked against raw reqwest): the request is built once for
//! all its attempts (the body is reference-counted), the response body is decoded where it was
//! read, without a copy, no log string is built unless a subscriber wants it, and the futures
//! are kept small (every call in flight carries one).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::FutureExt;
use http::Method;
use serde::de::DeserializeOwned;

use parking_lot::Mutex;

use crate::config::{Config, RequestOptions};
use crate::error::{Error, ErrorKind, Result};
use crate::models::RateLimit;
use crate::policy::ledger::{Admission, Ledger, Observed};
use crate::policy::logging::{AttemptLog, LogLevel};
use crate::runtime;
use crate::wire::Http;
use crate::wire::headers::ResponseMeta;
use crate::wire::request::ApiRequest;
use crate::wire::response::{Response, SendError};

use crate::decode;
use crate::policy::retry::{self, Outcome};

/// What every clone and option view of a client shares: its configuration, the wire
/// (connection pool), the ledger and the last rate-limit headers seen.
pub(crate) struct Transport {
    pub(crate) config: Config,
    pub(crate) http: Http,
    /// `None` when the client was built with `rate_limit(false)`.
    ledger: Option<Arc<Ledger>>,
    last_rate_limit: Mutex<Option<RateLimit>>,
}

impl Transport {
    pub(crate) fn new(config: Config) -> Result<Transport> {
        let http = Http::new(&config)?;
        let ledger = config
            .rate_limit
            .then(|| Ledger::shared(&config.api_key, config.base_url()));
        Ok(Transport {
            config,
            http,
            ledger,
            last_rate_limit: Mutex::new(None),
        })
    }

    /// The rate-limit headers of the last response received through this transport.
    pub(crate) fn rate_limit(&self) -> Option<RateLimit> {
        *self.last_rate_limit.lock()
    }
}

/// Why a connection failed: while sending (and waiting for the head), or reading the body.
type NetworkError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A response whose body was read completely.
struct Received {
    status: u16,
    meta: ResponseMeta,
    body: Bytes,
}

/// Why an attempt produced no complete response.
enum Failed {
    /// The send failed before (`NotSent`) or after (`Lost`) the request may have left.
    Network(Outcome, SendError),
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
        source: NetworkError,
    },
}

impl Transport {
    /// Sends `request` with retries and decodes the envelope's `data` as `T`.
    ///
    /// A function returning an `async move` block rather than an `async fn`: an `async fn` keeps
    /// its by-value argument twice in its future (the argument and the local it is moved to),
    /// 128 bytes more for every call in flight.
    #[allow(clippy::manual_async_fn)]
    pub(crate) fn send<'a, T: DeserializeOwned>(
        &'a self,
        options: &'a RequestOptions,
        request: ApiRequest,
    ) -> impl Future<Output = Result<T>> + 'a {
        async move {
            let config = &self.config;
            let transport = self;
            let timeout = options.timeout.unwrap_or(config.timeout);
            let max_retries = options.max_retries.unwrap_or(config.max_retries);
            // Built before the first attempt so that a request that cannot be built fails before it
            // takes a place in the ledger; every attempt sends the same one.
            let outgoing = transport.http.build(&request)?;

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

                let started = Instant::now();
                let result = runtime::timeout(
                    timeout,
                    attempt_once(
                        transport.http.send(&outgoing, config.max_response_bytes),
                        &mut admission,
                    ),
                )
                .await;
                let elapsed = started.elapsed();
                if let Some(admission) = admission.take() {
                    // Timed out (or failed) before a response arrived.
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
                            ErrorSource::Network(source.into()),
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
    }

    /// The error when the ledger says the window resets later than `max_rate_limit_wait`.
    fn ledger_refusal(&self, reset_in: Duration) -> Error {
        let config = &self.config;
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
            *self.last_rate_limit.lock() = Some(rate_limit);
        }
    }
}

/// One attempt: send, read the response whole, settle the admission with what came back.
///
/// A combinator rather than an `async fn` taking the future: an `async fn` would store the
/// future twice (as its argument and as the value it awaits), ~900 bytes more for every call
/// in flight.
fn attempt_once<'a>(
    sending: impl Future<Output = std::result::Result<Response, SendError>> + 'a,
    admission: &'a mut Option<Admission>,
) -> impl Future<Output = std::result::Result<Received, Failed>> + 'a {
    sending.map(move |result| classify(result, admission))
}

/// Turns what sending produced into a received response or the reason there is none, and
/// settles the admission with the status and rate-limit headers of any response.
fn classify(
    result: std::result::Result<Response, SendError>,
    admission: &mut Option<Admission>,
) -> std::result::Result<Received, Failed> {
    let mut settle = |status: u16, meta: &ResponseMeta| {
        if let Some(admission) = admission.take() {
            admission.settle(Observed::Response { status, meta });
        }
    };
    match result {
        Ok(response) => {
            settle(response.status, &response.meta);
            Ok(Received {
                status: response.status,
                meta: response.meta,
                body: response.body,
            })
        }
        Err(SendError::BodyLost {
            status,
            meta,
            source,
        }) => {
            settle(status, &meta);
            Err(Failed::BodyLost {
                status,
                meta,
                source,
            })
        }
        Err(SendError::TooLarge { status, meta, head }) => {
            settle(status, &meta);
            Err(Failed::TooLarge { status, meta, head })
        }
        Err(e) => {
            let outcome = if e.never_sent() {
                Outcome::NotSent
            } else {
                Outcome::Lost
            };
            Err(Failed::Network(outcome, e))
        }
    }
}

/// What an unsuccessful attempt left behind, turned into an [`Error`] once the retry decision
/// (and so the message's note) is known.
enum ErrorSource {
    /// A complete non-2xx response.
    Response(Bytes),
    /// No (complete) response: connect failure, reset, cut-off body.
    Network(NetworkError),
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
                let cause = root_cause(&*source);
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
/// the pool's outer "client error (Connect)".
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

    use crate::wire::request::Idempotency;

    #[test]
    fn idempotency_of_chat_is_not_idempotent() {
        // Guards the link between the endpoint table and the retry rules.
        assert!(!retry::is_retryable(
            Idempotency::NotIdempotent,
            Outcome::Lost
        ));
    }
}
