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
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures::FutureExt;
use http::Method;
use serde::de::DeserializeOwned;

use parking_lot::Mutex;

use crate::config::{Config, RequestOptions};
use crate::error::{Error, ErrorKind, Result, duration_text};
use crate::models::RateLimit;
use crate::policy::ledger::{Admission, Ledger, Observed};
use crate::policy::logging::{AttemptLog, LogLevel};
use crate::response::{ResponseCapture, ResponseInfo};
use crate::runtime::{self, Instant};
use crate::wire::Http;
use crate::wire::headers::ResponseMeta;
use crate::wire::raw_headers::RawHeaders;
use crate::wire::request::ApiRequest;
use crate::wire::response::{ConnectTimedOut, Response, SendError};

use crate::decode;
use crate::policy::retry::{self, Outcome};

/// What every clone and option view of a client shares: its configuration, the wire
/// (connection pool), the ledger and the last rate-limit headers seen.
pub(crate) struct Transport {
    pub(crate) config: Config,
    pub(crate) http: Http,
    /// `None` when the client was built with `rate_limit(false)`.
    ledger: Option<Ledger>,
    last_rate_limit: Mutex<Option<RateLimit>>,
}

impl Transport {
    pub(crate) fn new(config: Config) -> Result<Transport> {
        let http = Http::new(&config)?;
        let ledger = config.rate_limit.then(|| Ledger::for_config(&config));
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
    headers: RawHeaders,
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
    /// A whole response whose body cannot be decoded (an encoding not asked for, bad gzip).
    Unreadable {
        status: u16,
        meta: ResponseMeta,
        reason: String,
    },
    /// The response broke HTTP/1.1's rules; `status` and `meta` if its head was valid.
    Malformed {
        status: Option<u16>,
        meta: ResponseMeta,
        source: NetworkError,
    },
}

/// The total timeout of a call that has one: its length, and whether an attempt was handed to
/// the wire (until then the request provably never left, and the error says so).
struct Bound {
    total: Duration,
    sent: Arc<AtomicBool>,
}

impl Bound {
    /// The error when the ledger knows the window resets after the total timeout ends: the
    /// call could not complete in time, so it fails now rather than when the timer fires.
    fn refusal(&self, request: &ApiRequest, reset_in: Duration) -> Error {
        let sent = self.sent.load(Ordering::Relaxed);
        let outcome = if sent {
            Outcome::TimedOut
        } else {
            Outcome::NotSent
        };
        Error::new(
            ErrorKind::Timeout,
            format!(
                "{} {} cannot complete within total_timeout ({}): the rate limit of this API \
                 key is used up and the window resets in {}{}{}",
                request.method,
                request.route,
                duration_text(self.total),
                duration_text(reset_in),
                if sent {
                    ""
                } else {
                    "; the request was not sent"
                },
                retry::note(request.idempotency, outcome),
            ),
        )
        .with_retry_after(Some(reset_in))
        .with_may_have_reached_server(sent)
    }
}

/// The 2xx response that ended a call's attempts, not decoded yet, with its attempt's log record
/// (whose `error` the decoding fills in before it is emitted).
///
/// The attempt loop stops here so that it is compiled once: decoding into `T` was all that
/// depended on the call's type, and with it inside, the loop was monomorphised for every
/// response type (7 copies, ~57 KiB of the WebAssembly module; twiggy).
struct Delivered {
    status: u16,
    meta: ResponseMeta,
    /// Kept as received: listed only for an error (a body that does not decode).
    headers: RawHeaders,
    body: Bytes,
    note: &'static str,
    log: AttemptLog,
}

impl Transport {
    /// Sends `request` with retries and decodes the envelope's `data` as `T`, within the call's
    /// `total_timeout` if it has one; leaves the response in `capture` if given.
    ///
    /// Only the decoding is generic: the attempts are [`Transport::send_undecoded`].
    pub(crate) fn send<'a, T: DeserializeOwned + 'static>(
        &'a self,
        options: &'a RequestOptions,
        capture: Option<&'a ResponseCapture>,
        request: ApiRequest,
    ) -> impl Future<Output = Result<T>> + 'a {
        self.send_undecoded(options, capture, request)
            .map(move |delivered| self.decode(delivered?))
    }

    /// Decodes the envelope's `data` of a delivered response as `T`, then logs the attempt.
    fn decode<T: DeserializeOwned + 'static>(&self, delivered: Delivered) -> Result<T> {
        let Delivered {
            status,
            meta,
            headers,
            body,
            note,
            mut log,
        } = delivered;
        // A response came back, so the server did act on the request. An error keeps the
        // response's headers and body, as a status error does (a gateway's page says who sent it).
        let decoded = decode::data::<T>(status, &body, &meta, note).map_err(|e| {
            e.with_may_have_reached_server(true)
                .with_response(headers.to_list(), body.clone())
        });
        log.error = decoded.as_ref().err().map(Error::kind);
        emit(&self.config, &log);
        decoded
    }

    /// The attempts of `request`, within the call's `total_timeout` if it has one, up to the
    /// undecoded 2xx response.
    ///
    /// Without a total timeout this is [`Transport::attempts`] itself; with one, that future is
    /// boxed under a timer, so calls without one carry neither the timer nor a larger future.
    fn send_undecoded<'a>(
        &'a self,
        options: &'a RequestOptions,
        capture: Option<&'a ResponseCapture>,
        request: ApiRequest,
    ) -> impl Future<Output = Result<Delivered>> + 'a {
        // NO_TIMEOUT (a view's "none" over a client's limit) is no limit: no timer either.
        let total = options
            .total_timeout
            .or(self.config.total_timeout)
            .filter(|t| *t != crate::config::NO_TIMEOUT);
        match total {
            None => futures::future::Either::Left(self.attempts(options, capture, None, request)),
            Some(total) => {
                let method = request.method.clone();
                let route = request.route;
                let idempotency = request.idempotency;
                // Set once an attempt is handed to the wire: until then (waiting for the ledger,
                // say) the request provably never left, and the error says so.
                let sent = Arc::new(AtomicBool::new(false));
                let bound = Bound {
                    total,
                    sent: Arc::clone(&sent),
                };
                let attempts = self.attempts(options, capture, Some(bound), request);
                let bounded = runtime::timeout(total, attempts);
                futures::future::Either::Right(Box::pin(bounded).map(move |result| {
                    // On expiry the attempts' future was dropped, and its ledger place with it.
                    result.unwrap_or_else(|runtime::Elapsed| {
                        let sent = sent.load(Ordering::Relaxed);
                        let outcome = if sent {
                            Outcome::TimedOut
                        } else {
                            Outcome::NotSent
                        };
                        let note = retry::note(idempotency, outcome);
                        Err(Error::new(
                            ErrorKind::Timeout,
                            format!(
                                "{method} {route} did not complete within total_timeout ({}: \
                                 attempts, backoff and rate-limit waits together){}{note}",
                                duration_text(total),
                                if sent {
                                    ""
                                } else {
                                    "; the request was not sent"
                                },
                            ),
                        )
                        .with_may_have_reached_server(sent))
                    })
                }))
            }
        }
    }

    /// The attempts of one call: ledger, timeouts, retries, up to a 2xx response.
    ///
    /// A function returning an `async move` block rather than an `async fn`: an `async fn` keeps
    /// its by-value argument twice in its future (the argument and the local it is moved to),
    /// 128 bytes more for every call in flight.
    #[allow(clippy::manual_async_fn)]
    fn attempts<'a>(
        &'a self,
        options: &'a RequestOptions,
        capture: Option<&'a ResponseCapture>,
        bound: Option<Bound>,
        request: ApiRequest,
    ) -> impl Future<Output = Result<Delivered>> + 'a {
        async move {
            let call_started = Instant::now();
            let config = &self.config;
            let transport = self;
            // As the builder checks the client's: a view's zero is no time at all, not a limit.
            for (set, name) in [
                (options.timeout, "timeout"),
                (options.total_timeout, "total_timeout"),
            ] {
                if set.is_some_and(|t| t.is_zero()) {
                    return Err(Error::out_of_range(
                        name,
                        format!("{name} must be greater than zero"),
                    ));
                }
            }
            let timeout = options.timeout.unwrap_or(config.timeout);
            let max_retries = options.max_retries.unwrap_or(config.max_retries);
            // Built before the first attempt so that a request that cannot be built fails before it
            // takes a place in the ledger; every attempt sends the same one.
            let outgoing = transport.http.build(&request, options.extra.as_ref())?;

            let mut retry: u32 = 0;
            let mut pause = Duration::ZERO;
            // Whether `pause` is a wait a 429 asked for (else a backoff).
            let mut pause_for_429 = false;
            // What this call has waited for the rate limit so far (the ledger, and the pauses
            // 429s asked for): `max_rate_limit_wait` bounds the call, not each attempt. Per
            // attempt, 100 calls meeting a server that answers every request with a bare 429
            // (the ledger then lets one request a second through) waited up to three times it.
            let mut rate_limited_for = Duration::ZERO;
            // Whether a failed attempt before this one may have been acted on by the server.
            let mut earlier_may_have_acted = false;
            loop {
                let attempt = retry + 1;
                let wait_started = Instant::now();
                if !pause.is_zero() {
                    runtime::sleep(pause).await;
                    if pause_for_429 {
                        rate_limited_for += pause;
                    }
                }
                let budget = config.max_rate_limit_wait.saturating_sub(rate_limited_for);
                // Not longer than what is left of the total timeout either: a wait that the
                // ledger knows would outlast it fails now, not when the timer fires.
                let left = bound
                    .as_ref()
                    .map(|b| b.total.saturating_sub(call_started.elapsed()));
                let max_wait = left.map_or(budget, |left| left.min(budget));
                let admit_started = Instant::now();
                let mut admission = match &transport.ledger {
                    Some(ledger) => match ledger.admit(max_wait).await {
                        Ok(admission) => Some(admission),
                        Err(reset_in) => {
                            let e = match &bound {
                                Some(bound) if left.is_some_and(|left| left < budget) => {
                                    bound.refusal(&request, reset_in)
                                }
                                _ => self.ledger_refusal(reset_in, rate_limited_for),
                            };
                            let log = attempt_log(
                                &request,
                                None,
                                attempt,
                                Duration::ZERO,
                                wait_started.elapsed(),
                                Some(e.kind()),
                                false,
                            );
                            emit(config, &log);
                            return Err(e);
                        }
                    },
                    None => None,
                };
                rate_limited_for += admit_started.elapsed();
                let wait = wait_started.elapsed();

                if let Some(bound) = &bound {
                    bound.sent.store(true, Ordering::Relaxed);
                }
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
                            if let Some(capture) = capture {
                                capture.put(ResponseInfo {
                                    status,
                                    headers: received.headers.to_list(),
                                    rate_limit: received.meta.rate_limit,
                                    attempts: attempt,
                                    elapsed: call_started.elapsed(),
                                    body: received.body.clone(),
                                });
                            }
                            if (200..300).contains(&status) {
                                // Decoded (and logged) by `send`, outside this loop.
                                return Ok(Delivered {
                                    status,
                                    meta: received.meta,
                                    headers: received.headers,
                                    body: received.body,
                                    note: retry::note(request.idempotency, Outcome::Final),
                                    log: attempt_log(
                                        &request,
                                        Some(status),
                                        attempt,
                                        elapsed,
                                        wait,
                                        None,
                                        false,
                                    ),
                                });
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
                                ErrorSource::Response(received.headers, received.body),
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
                            // The status of an unsuccessful response is the server's answer
                            // even if its body was cut off.
                            let outcome = if is_success(status) {
                                Outcome::Lost
                            } else {
                                Outcome::Status(status)
                            };
                            (outcome, Some(status), meta, ErrorSource::Network(source))
                        }
                        Ok(Err(Failed::TooLarge { status, meta, head })) => {
                            self.remember_rate_limit(&meta);
                            let outcome = unread_outcome(status);
                            (outcome, Some(status), meta, ErrorSource::TooLarge(head))
                        }
                        Ok(Err(Failed::Unreadable {
                            status,
                            meta,
                            reason,
                        })) => {
                            self.remember_rate_limit(&meta);
                            let outcome = unread_outcome(status);
                            (outcome, Some(status), meta, ErrorSource::Unreadable(reason))
                        }
                        Ok(Err(Failed::Malformed {
                            status,
                            meta,
                            source,
                        })) => (
                            Outcome::Malformed,
                            status,
                            meta,
                            ErrorSource::Malformed(source),
                        ),
                        // Still connecting, or waiting for an HTTP/2 stream: nothing was
                        // sent, so even a chat may go again.
                        Err(runtime::Elapsed) if !outgoing.handed_over() => (
                            Outcome::NotSent,
                            None,
                            ResponseMeta::default(),
                            ErrorSource::Timeout { sent: false },
                        ),
                        Err(runtime::Elapsed) => (
                            Outcome::TimedOut,
                            None,
                            ResponseMeta::default(),
                            ErrorSource::Timeout { sent: true },
                        ),
                    };

                // Decide whether to go again, and how long to pause first.
                let mut retryable =
                    retry < max_retries && retry::is_retryable(request.idempotency, outcome);
                let mut retry_after = None;
                pause = Duration::ZERO;
                pause_for_429 = false;
                if outcome == Outcome::Status(429) {
                    let server_wait = retry::rate_limit_wait(&meta);
                    retry_after = server_wait;
                    match server_wait {
                        Some(w)
                            if w > config.max_rate_limit_wait.saturating_sub(rate_limited_for) =>
                        {
                            retryable = false
                        }
                        // Never sooner than this 429's own reset, whatever the ledger believed
                        // (it may hold another window, or have dropped this one as past). When
                        // it agrees, its admission after this pause is immediate: no double wait.
                        Some(w) => {
                            pause = w + retry::rate_limit_jitter();
                            pause_for_429 = true;
                        }
                        None => pause = retry::backoff(retry),
                    }
                } else if retryable {
                    // A 503 (or 408, 5xx) that says when to come back is taken at its word
                    // when that is soon; a longer ask gets the usual backoff, as openai's SDKs do.
                    pause = meta
                        .retry_after
                        .filter(|w| status.is_some() && *w <= retry::MAX_HONOURED_RETRY_AFTER)
                        .unwrap_or_else(|| retry::backoff(retry));
                }

                let note = retry::note(request.idempotency, outcome);
                let mut error = build_error
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
                if !retryable && earlier_may_have_acted && !outcome.may_have_reached_server() {
                    // This attempt's refusal (a DELETE's 404) may be the doing of an earlier one
                    // whose response was lost: the call as a whole may have had its effect.
                    error = error.with_may_have_reached_server(true).with_note(
                        "; an earlier attempt of this request reached the server or may have, \
                         and its response was lost: the server may have acted on it already \
                         (a DELETE answered 404 now may have deleted it then)",
                    );
                }
                earlier_may_have_acted |= outcome.may_have_reached_server();
                let log = attempt_log(
                    &request,
                    status,
                    attempt,
                    elapsed,
                    wait,
                    Some(error.kind()),
                    retryable,
                );
                emit(config, &log);
                if !retryable {
                    return Err(error);
                }
                retry += 1;
            }
        }
    }

    /// The error when the ledger says the window resets later than what is left of
    /// `max_rate_limit_wait` after the call's earlier rate-limit waits (`waited`).
    fn ledger_refusal(&self, reset_in: Duration, waited: Duration) -> Error {
        let config = &self.config;
        let limit = if waited.is_zero() {
            format!(
                "max_rate_limit_wait ({})",
                duration_text(config.max_rate_limit_wait)
            )
        } else {
            format!(
                "what is left of max_rate_limit_wait ({}) after this call waited {} for the \
                 rate limit already",
                duration_text(config.max_rate_limit_wait),
                duration_text(waited)
            )
        };
        Error::new(
            ErrorKind::RateLimited,
            format!(
                "the rate limit of this API key is used up and the window resets in {}, \
                 longer than {limit}; retry after that, or raise max_rate_limit_wait",
                duration_text(reset_in),
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
// `Failed` holds a `SendError`, which carries the response's meta (132 bytes): returned once per
// attempt, by value; boxing it would allocate on every failed attempt instead.
#[allow(clippy::result_large_err)]
fn attempt_once<'a>(
    sending: impl Future<Output = std::result::Result<Response, SendError>> + 'a,
    admission: &'a mut Option<Admission>,
) -> impl Future<Output = std::result::Result<Received, Failed>> + 'a {
    sending.map(move |result| classify(result, admission))
}

/// Turns what sending produced into a received response or the reason there is none, and
/// settles the admission with the status and rate-limit headers of any response.
#[allow(clippy::result_large_err)]
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
                headers: response.headers,
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
        Err(SendError::Unreadable {
            status,
            meta,
            reason,
        }) => {
            settle(status, &meta);
            Err(Failed::Unreadable {
                status,
                meta,
                reason,
            })
        }
        Err(SendError::Malformed {
            status,
            meta,
            source,
        }) => {
            if let Some(status) = status {
                settle(status, &meta);
            }
            Err(Failed::Malformed {
                status,
                meta,
                source,
            })
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
    /// A complete non-2xx response: its headers and body.
    Response(RawHeaders, Bytes),
    /// No (complete) response: connect failure, reset, cut-off body.
    Network(NetworkError),
    /// A response that broke HTTP/1.1's rules: what was wrong.
    Malformed(NetworkError),
    /// A body over the cap, with its first bytes.
    TooLarge(Bytes),
    /// A whole body that cannot be decoded: why.
    Unreadable(String),
    /// The attempt's timeout ran out; `sent`: after the request was handed to a connection.
    Timeout { sent: bool },
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
            ErrorSource::Response(headers, body) => {
                let status = status.unwrap_or_default();
                let headers = headers.to_list();
                if (300..400).contains(&status) {
                    // 304 is no redirect: it answers a conditional request, which the SDK
                    // never sends (a cache or proxy in between may).
                    let message = if status == 304 {
                        format!(
                            "the server answered HTTP 304 Not Modified, which answers only a \
                             conditional request, and the SDK sends none (is a cache or proxy in \
                             between?); check the base URL {}{note}",
                            config.base_url()
                        )
                    } else {
                        format!(
                            "the server answered HTTP {status} with a redirect, which was refused \
                             and not followed (following it could send the API key to another \
                             host); check the base URL {}{note}",
                            config.base_url()
                        )
                    };
                    return Error::new(ErrorKind::ApiStatus, message)
                        .with_status(status)
                        .with_rate_limit(meta.rate_limit)
                        .with_response(headers, body);
                }
                decode::api_error(status, &body, meta, retry_after, note)
                    .with_response(headers, body)
            }
            ErrorSource::Network(source) => {
                let cause = root_cause(&*source);
                if let Some(status) = status.filter(|s| !is_success(*s)) {
                    return decode::status_error(
                        status,
                        format!(
                            "the server answered HTTP {status} to {} {} and the connection was \
                             lost while its body was read ({cause}){note}",
                            request.method, request.route
                        ),
                        meta,
                        None,
                    )
                    .with_retry_after(retry_after)
                    .with_source(source);
                }
                // Written in part to a connection that closed (an HTTP/1.1 write that failed
                // without an answer, an HTTP/2 refusal): the server never processed it.
                let unsent = matches!(
                    source.downcast_ref::<SendError>(),
                    Some(SendError::Unsent(_))
                );
                let message = match (outcome, status) {
                    (Outcome::NotSent, _) if unsent => format!(
                        "the connection to the API at {} closed before the request was taken \
                         ({cause}); the server did not process it",
                        config.base_url()
                    ),
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
                // A connect that ran out of time is a timeout (nothing was sent either way).
                let kind = if ConnectTimedOut::is_in(&*source) {
                    ErrorKind::Timeout
                } else {
                    ErrorKind::Connection
                };
                let mut error = Error::new(kind, message)
                    .with_rate_limit(meta.rate_limit)
                    .with_source(source);
                if let Some(status) = status {
                    error = error.with_status(status);
                }
                error
            }
            ErrorSource::TooLarge(head) => {
                let status = status.unwrap_or_default();
                let message = format!(
                    "the response body exceeds {} bytes (max_response_bytes) and was not read \
                     further{note}",
                    config.max_response_bytes
                );
                if is_success(status) {
                    decode::invalid(status, &head, meta, message)
                } else {
                    // An unsuccessful status is the server's answer, whatever its body.
                    decode::status_error(
                        status,
                        format!("the server answered HTTP {status}; {message}"),
                        meta,
                        decode::excerpt(&head),
                    )
                    .with_retry_after(retry_after)
                }
            }
            ErrorSource::Unreadable(reason) => {
                let status = status.unwrap_or_default();
                if is_success(status) {
                    let message = format!(
                        "the body of the HTTP {status} response to {} {} cannot be read: \
                         {reason}{note}",
                        request.method, request.route
                    );
                    decode::invalid(status, &[], meta, message)
                } else {
                    // An unsuccessful status is the server's answer, whatever its body.
                    decode::status_error(
                        status,
                        format!(
                            "the server answered HTTP {status}; its body cannot be read: \
                             {reason}{note}"
                        ),
                        meta,
                        None,
                    )
                    .with_retry_after(retry_after)
                }
            }
            ErrorSource::Malformed(source) => {
                let cause = root_cause(&*source);
                let mut error = Error::new(
                    ErrorKind::Connection,
                    format!(
                        "the server's response to {} {} is malformed: {cause} (a protocol \
                         error, not a lost connection){note}",
                        request.method, request.route
                    ),
                )
                .with_rate_limit(meta.rate_limit)
                .with_source(source);
                if let Some(status) = status {
                    error = error.with_status(status);
                }
                error
            }
            ErrorSource::Timeout { sent: true } => Error::new(
                ErrorKind::Timeout,
                format!(
                    "{} {} timed out after {}{note}",
                    request.method,
                    request.route,
                    duration_text(timeout)
                ),
            ),
            ErrorSource::Timeout { sent: false } => Error::new(
                ErrorKind::Timeout,
                format!(
                    "{} {} timed out after {} before the request was sent (it was still \
                     connecting to the API at {}, or waiting for one of the server's concurrent \
                     HTTP/2 streams); the server did not receive it{note}",
                    request.method,
                    request.route,
                    duration_text(timeout),
                    config.base_url()
                ),
            ),
        }
    }
}

/// How an attempt ended whose whole response came back but whose body the client will not read
/// (over the cap, or undecodable): sending again would fetch the same bytes, so final for a
/// success; an unsuccessful status is the server's answer anyway.
fn unread_outcome(status: u16) -> Outcome {
    if is_success(status) {
        Outcome::Final
    } else {
        Outcome::Status(status)
    }
}

/// Whether `status` is a success (2xx): only those are decoded as data.
fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
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

/// The record of one attempt. Fields are the route template and numbers only: never the key,
/// ids, query strings or bodies.
fn attempt_log(
    request: &ApiRequest,
    status: Option<u16>,
    attempt: u32,
    elapsed: Duration,
    wait: Duration,
    error: Option<ErrorKind>,
    will_retry: bool,
) -> AttemptLog {
    AttemptLog {
        method: method_name(&request.method),
        route: request.route,
        status,
        attempt,
        elapsed,
        wait,
        error,
        will_retry,
    }
}

/// One `tracing` event (target `delegir`) and one observer call per attempt.
fn emit(config: &Config, log: &AttemptLog) {
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
        observer(log);
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
