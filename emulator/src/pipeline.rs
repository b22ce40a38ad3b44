//! What happens to every request, in order.
//!
//! Admin requests (`/__emulator/…`) go straight to the admin router. Everything else is an API
//! request: its body is read (bodies over 1 MiB are drained and answered 413), then
//! authentication (401, no state touched) → rate limit (429, no state, no fault consumed) →
//! faults (first matching rule) → the API router. Each API request is journaled exactly once when
//! its response head is ready, or as `client_disconnected` if the client goes away first; the
//! [`Recorder`]'s `Drop` makes sure of the latter even when hyper drops the future mid-way.

use axum::Router;
use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use http::request::Parts;
use http::{HeaderName, HeaderValue, Request, StatusCode, header};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tower::ServiceExt;

use crate::compression;
use crate::faults::{self, Fault};
use crate::journal::{self, Outcome, Record};
use crate::keys;
use crate::rate_limit::{self, Decision};
use crate::response::{self, ApiError};
use crate::routes::{admin, agents};
use crate::server::ConnControl;
use crate::shared::Shared;
use crate::state::Namespace;
use crate::time_format;

/// Largest accepted request body.
pub(crate) const MAX_BODY: usize = 1024 * 1024;
/// Bodies over the limit are read and discarded up to this much, so the client gets its 413
/// instead of a reset while it is still sending.
const MAX_DRAIN: usize = 64 * 1024 * 1024;
/// How long the first half of a `reset_mid_body` response is given to reach the client.
const MID_BODY_FLUSH: Duration = Duration::from_millis(50);

/// The shared state plus the two routers, built once per emulator.
pub(crate) struct App {
    pub shared: Arc<Shared>,
    api: Router,
    admin: Router,
}

impl App {
    pub(crate) fn new(shared: Arc<Shared>) -> Arc<App> {
        Arc::new(App {
            api: agents::router(&shared.prefix),
            admin: admin::router(shared.clone()),
            shared,
        })
    }
}

/// Handles one request on a connection.
pub(crate) async fn handle(
    app: Arc<App>,
    conn: Arc<ConnControl>,
    req: Request<Incoming>,
) -> Result<Response, Refused> {
    let path = req.uri().path();
    if path == admin::ADMIN_PREFIX || path.starts_with("/__emulator/") {
        let mut response = app
            .admin
            .clone()
            .oneshot(req.map(Body::new))
            .await
            .unwrap_or_else(|never| match never {});
        finalize(&mut response, Decision::Off);
        return Ok(response);
    }
    api(&app, &conn, req).await
}

/// Journals one API request when told how it ended, or on drop as `client_disconnected`.
struct Recorder {
    shared: Arc<Shared>,
    started: Instant,
    record: Option<Record>,
}

impl Recorder {
    fn new(shared: &Arc<Shared>, started: Instant, parts: &Parts) -> Self {
        Recorder {
            shared: shared.clone(),
            started,
            record: Some(Record {
                time: SystemTime::now(),
                method: parts.method.clone(),
                version: parts.version,
                path: parts.uri.path().to_string(),
                query: parts.uri.query().map(str::to_owned),
                body: None,
                status: None,
                outcome: Outcome::ClientDisconnected,
                fingerprint: None,
                elapsed: Duration::ZERO,
                headers: parts.headers.clone(),
            }),
        }
    }

    fn record(&mut self) -> &mut Record {
        self.record.as_mut().expect("recorder used after finish")
    }

    fn finish(&mut self, status: Option<u16>, outcome: Outcome) {
        let Some(mut record) = self.record.take() else {
            return;
        };
        record.status = status;
        record.outcome = outcome;
        record.elapsed = self.started.elapsed();
        if let Some(log) = &self.shared.log {
            log.request(
                record.method.as_str(),
                &record.path,
                status,
                record.elapsed.as_secs_f64() * 1000.0,
                record.fingerprint.as_deref(),
                &outcome.render(),
            );
        }
        self.shared.journal.push(record);
    }

    /// Journals `response` as it stands and hands it back.
    fn done(&mut self, response: Response, outcome: Outcome) -> Result<Response, Refused> {
        self.finish(Some(response.status().as_u16()), outcome);
        Ok(response)
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.finish(None, Outcome::ClientDisconnected);
    }
}

enum ReadBody {
    Complete(Bytes),
    TooLarge(Bytes),
}

/// Reads the whole body, keeping at most [`MAX_BODY`] bytes; `None` if the client went away.
async fn read_body(mut body: Incoming) -> Option<ReadBody> {
    let mut first: Option<Bytes> = None;
    let mut rest = BytesMut::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.ok()?.into_data() else {
            continue;
        };
        total += data.len();
        if total > MAX_DRAIN {
            break;
        }
        if total > MAX_BODY {
            continue;
        }
        match &first {
            None => first = Some(data),
            Some(f) => {
                if rest.is_empty() {
                    rest.extend_from_slice(f);
                }
                rest.extend_from_slice(&data);
            }
        }
    }
    let kept = if rest.is_empty() {
        first.unwrap_or_default()
    } else {
        rest.freeze()
    };
    Some(if total > MAX_BODY {
        ReadBody::TooLarge(kept)
    } else {
        ReadBody::Complete(kept)
    })
}

fn under_prefix(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// A request the server refuses without processing it (the `refuse_stream` fault). hyper answers
/// it on HTTP/2 with `RST_STREAM` carrying this error's reason, `REFUSED_STREAM`; on HTTP/1.1 it
/// closes the connection without a response.
pub(crate) type Refused = h2::Error;

async fn api(
    app: &App,
    conn: &Arc<ConnControl>,
    req: Request<Incoming>,
) -> Result<Response, Refused> {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let shared = &app.shared;
    let mut rec = Recorder::new(shared, started, &parts);
    let Some(body) = read_body(body).await else {
        // The client went away while sending; the recorder journals it on drop.
        return Ok(StatusCode::BAD_REQUEST.into_response());
    };
    let (bytes, too_large) = match body {
        ReadBody::Complete(b) => (b, false),
        ReadBody::TooLarge(b) => (b, true),
    };
    rec.record().body = journal::journal_body(&bytes);

    // Every request sent with a key is journaled under its fingerprint: also outside the prefix
    // (an SDK with the wrong base URL) and with a malformed key (even one that is not text).
    let key_header = parts.headers.get("x-api-key");
    let fingerprint =
        |value: &HeaderValue| Some(Arc::from(keys::fingerprint_bytes(value.as_bytes())));

    if !under_prefix(parts.uri.path(), &shared.prefix) {
        rec.record().fingerprint = key_header.and_then(fingerprint);
        let response = plain(ApiError::new(
            StatusCode::NOT_FOUND,
            format!(
                "Not found: no route for {} {}",
                parts.method,
                parts.uri.path()
            ),
        ));
        return rec.done(response, Outcome::Ok);
    }

    // 1. Authentication.
    let key = match key_header.map(HeaderValue::to_str) {
        None => {
            let response = plain(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "Missing API key: send it in the X-API-Key header",
            ));
            return rec.done(response, Outcome::Unauthorized);
        }
        Some(Ok(k)) if keys::is_well_formed(k) => k,
        Some(_) => {
            rec.record().fingerprint = key_header.and_then(fingerprint);
            return rec.done(invalid_key(), Outcome::Unauthorized);
        }
    };
    let ns = shared.namespaces.get(key);
    rec.record().fingerprint = Some(ns.fingerprint.clone());
    if ns.is_revoked() {
        return rec.done(invalid_key(), Outcome::Unauthorized);
    }

    // 2. Rate limit.
    let now_ms = time_format::unix_millis(SystemTime::now());
    let decision = rate_limit::check(&shared.rate, &ns.window, now_ms);
    if let Decision::Limited { retry_after, .. } = decision {
        let mut response = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Rate limit exceeded: {} requests per {} per API key. Retry after {retry_after} s.",
                shared.rate.limit(),
                describe_window(shared.rate.window())
            ),
        )
        .into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        finalize(&mut response, decision);
        return rec.done(response, Outcome::RateLimited);
    }

    // 3. Faults.
    let fault = shared.faults.take(&parts.method, parts.uri.path(), key);
    let outcome = fault
        .as_ref()
        .map_or(Outcome::Ok, |f| Outcome::Fault(f.kind()));
    match fault {
        Some(Fault::Delay { ms }) => tokio::time::sleep(Duration::from_millis(ms)).await,
        Some(Fault::ResetBefore) => {
            rec.finish(None, outcome);
            conn.reset_connection();
            return std::future::pending().await;
        }
        Some(Fault::RefuseStream) => {
            rec.finish(None, outcome);
            return Err(h2::Reason::REFUSED_STREAM.into());
        }
        Some(
            ref f @ (Fault::Status { .. }
            | Fault::Html { .. }
            | Fault::Redirect { .. }
            | Fault::Large { .. }),
        ) => {
            let response = unprocessed_fault(f.clone(), decision, now_ms);
            return rec.done(response, outcome);
        }
        _ => {}
    }

    // 4. Validation and the handler (its response gzipped when switched on and accepted; a
    // spoiled response is left as the fault made it).
    let gzip = fault.is_none() && shared.gzip() && compression::accepts_gzip(&parts.headers);
    let mut response = if too_large {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request body too large: the limit is 1 MiB (1048576 bytes)",
        )
        .into_response()
    } else {
        run_handler(&app.api, parts, bytes, ns).await
    };
    if let Some(f) = fault {
        response = spoil(response, f, conn).await;
    }
    if gzip {
        response = compression::gzip(response).await;
    }
    finalize(&mut response, decision);
    rec.done(response, outcome)
}

async fn run_handler(api: &Router, parts: Parts, body: Bytes, ns: Arc<Namespace>) -> Response {
    let mut req = Request::from_parts(parts, Body::from(body));
    req.extensions_mut().insert(ns);
    api.clone()
        .oneshot(req)
        .await
        .unwrap_or_else(|never| match never {})
}

fn invalid_key() -> Response {
    plain(ApiError::new(StatusCode::UNAUTHORIZED, "Invalid API key"))
}

/// A response to a request without a valid key: no rate-limit headers.
fn plain(error: ApiError) -> Response {
    let mut response = error.into_response();
    finalize(&mut response, Decision::Off);
    response
}

/// Adds the rate-limit headers (if on) and `Date`.
fn finalize(response: &mut Response, decision: Decision) {
    let headers = response.headers_mut();
    decision.apply(headers);
    headers.insert(header::DATE, time_format::date_header());
}

fn describe_window(window: Duration) -> String {
    let ms = window.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{ms} ms")
    }
}

fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// The response of a fault that replaces the request entirely.
fn unprocessed_fault(fault: Fault, decision: Decision, now_ms: u64) -> Response {
    match fault {
        Fault::Status {
            status,
            body,
            headers,
            reset_in_secs,
        } => {
            let body = body.unwrap_or_else(faults::default_error_body);
            let mut response = response::json(status_code(status), &body);
            finalize(&mut response, decision);
            let h = response.headers_mut();
            if let Some(n) = reset_in_secs {
                let limit = match decision {
                    Decision::Allowed { limit, .. } | Decision::Limited { limit, .. } => limit,
                    Decision::Off => 60,
                };
                let reset = (now_ms / 1000) as i64 + n;
                h.insert(rate_limit::LIMIT, HeaderValue::from(limit));
                h.insert(rate_limit::REMAINING, HeaderValue::from_static("0"));
                h.insert(rate_limit::RESET, HeaderValue::from(reset));
            }
            for (name, value) in headers {
                let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
                    continue;
                };
                match value.map(|v| HeaderValue::from_str(&v)) {
                    None => {
                        h.remove(&name);
                    }
                    Some(Ok(v)) => {
                        h.insert(name, v);
                    }
                    Some(Err(_)) => {}
                }
            }
            response
        }
        Fault::Html { status, body } => {
            let mut response = Response::new(Body::from(
                body.unwrap_or_else(|| faults::PROXY_502_PAGE.into()),
            ));
            *response.status_mut() = status_code(status);
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            finalize(&mut response, decision);
            response
        }
        Fault::Redirect { status, location } => {
            let mut response = response::json(
                status_code(status),
                &serde_json::json!({ "error": format!("Moved to {location}") }),
            );
            if let Ok(location) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, location);
            }
            finalize(&mut response, decision);
            response
        }
        Fault::Large { megabytes, status } => {
            let (len, body) = faults::large_body(megabytes);
            let mut response = response::raw_json(status_code(status), body);
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
            finalize(&mut response, decision);
            response
        }
        _ => unreachable!("only unprocessed faults reach here"),
    }
}

/// Spoils the real response of a processed request.
async fn spoil(response: Response, fault: Fault, conn: &Arc<ConnControl>) -> Response {
    let (mut parts, body) = response.into_parts();
    let full = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = match fault {
        Fault::Truncated => {
            parts.status = StatusCode::OK;
            Body::from(full.slice(..full.len() / 2))
        }
        Fault::Malformed => {
            parts.status = StatusCode::OK;
            Body::from(faults::MALFORMED_BODY)
        }
        Fault::NotEnvelope { body } => {
            parts.status = StatusCode::OK;
            Body::from(faults::not_envelope_body(&full, body))
        }
        Fault::ResetMidBody => {
            parts
                .headers
                .insert(header::CONTENT_LENGTH, HeaderValue::from(full.len()));
            let half = full.slice(..full.len() / 2);
            let conn = conn.clone();
            let stream = futures::stream::once(async move { Ok::<_, Infallible>(half) }).chain(
                futures::stream::once(async move {
                    tokio::time::sleep(MID_BODY_FLUSH).await;
                    conn.reset_connection();
                    std::future::pending::<Result<Bytes, Infallible>>().await
                }),
            );
            Body::from_stream(stream)
        }
        _ => Body::from(full),
    };
    Response::from_parts(parts, body)
}
