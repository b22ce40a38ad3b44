//! The connections of a client to the one origin it talks to (the base URL's host).
//!
//! Built on hyper's connection API rather than hyper-util's general-purpose pool, because a
//! client of one API needs much less: no per-host map (one origin), no proxy, no connection race.
//! What that pool does for every HTTP/1.1 request and this one does not: hash the host key
//! (SipHash) and clone the connector, box a 3.4 KiB request future, and *spawn a task* that waits
//! for the connection to become ready again before pooling it. Measured on the bench's small GET
//! at concurrency 64, alternated rounds: this pool 10.4–11.7 µs of client CPU per call,
//! hyper-util's 13.3–14.5 µs.
//!
//! - HTTP/1.1: idle connections are a LIFO stack (the most recently used is the most likely to
//!   be alive and warm). A connection goes back only after its response was read whole
//!   ([`Lease::release`]); one whose response failed or was abandoned is dropped, which closes it.
//!   A connection that turns out closed when checked out gets the request back unsent (hyper's
//!   `try_send_request`), and the request goes to the next connection: it never left the client.
//!   Idle connections unused for [`IDLE_TIMEOUT`] are dropped the next time the pool is used
//!   (no timer task: a server closes its idle connections sooner, and a closed connection's task
//!   ends on its own, leaving only its small handle in the stack).
//! - HTTP/2 (prior knowledge, or negotiated by TLS ALPN): every call shares one connection; while
//!   it is being opened (with prior knowledge), concurrent calls wait for it instead of opening
//!   their own. A request the connection refused before taking it (closed meanwhile) is reported
//!   as never sent, and the attempt loop sends it again on a new connection.
//! - The futures that open connections are boxed: inline, the TCP, TLS and handshake futures
//!   would make every call's task ~13 KiB larger for a path most calls never take.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::FutureExt;
use http::header::{HOST, HeaderValue};
use http::uri::{Authority, Scheme};
use http::{Request, Response, Uri};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper_util::client::legacy::connect::{Connection, HttpConnector};
use hyper_util::rt::TokioExecutor;
use parking_lot::Mutex;
use tower::ServiceExt;
use url::{Position, Url};

use crate::runtime;

/// How long an idle connection is kept.
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// A request body: the JSON bytes of a chat or update (shared, not copied, by retries), or none.
pub(crate) type Body = Full<Bytes>;

/// TCP (with connect timeout, keep-alive, no Nagle) and TLS where the scheme is `https`.
pub(crate) type Connector = hyper_rustls::HttpsConnector<HttpConnector>;

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a request got no response head.
#[derive(Debug)]
pub(crate) enum SendError {
    /// No connection could be opened (DNS, TCP, TLS, the HTTP/2 preface): nothing was sent.
    Connect(BoxError),
    /// The HTTP/2 connection closed before the request was handed to it: nothing was sent.
    Unsent(hyper::Error),
    /// The connection failed while the request was written or its response awaited.
    Http(hyper::Error),
}

impl SendError {
    /// Whether the request certainly did not reach the server: no connection could be opened,
    /// or an HTTP/2 server said it did not process the request.
    pub(crate) fn never_sent(&self) -> bool {
        match self {
            SendError::Connect(_) | SendError::Unsent(_) => true,
            SendError::Http(e) => refused_unprocessed(e),
        }
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Connect(_) => f.write_str("could not open a connection"),
            SendError::Unsent(_) => {
                f.write_str("the connection closed before the request was sent")
            }
            SendError::Http(_) => f.write_str("the connection failed"),
        }
    }
}

impl std::error::Error for SendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SendError::Connect(e) => Some(&**e),
            SendError::Unsent(e) | SendError::Http(e) => Some(e),
        }
    }
}

/// Whether an HTTP/2 server said it did not process the request: it refused the stream
/// (`REFUSED_STREAM`), or shut the connection down gracefully (`GOAWAY` with `NO_ERROR`) before
/// the stream. Either way nothing happened on the server, so even a chat may be sent again
/// (RFC 9113, section 8.7).
fn refused_unprocessed(error: &hyper::Error) -> bool {
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

/// The connections to one origin.
pub(crate) struct Pool {
    connector: Connector,
    origin: Origin,
    http2_only: bool,
    /// Idle HTTP/1.1 connections, the most recently used last.
    idle: Mutex<VecDeque<Idle>>,
    /// The HTTP/2 connection every call shares, once one is open.
    shared: Mutex<Option<http2::SendRequest<Body>>>,
    /// Held while an HTTP/2 connection is opened with prior knowledge.
    opening: tokio::sync::Mutex<()>,
}

/// The one origin a pool connects to, in the forms requests need.
pub(crate) struct Origin {
    /// `scheme://authority/`: what the connector connects to.
    uri: Uri,
    scheme: Scheme,
    authority: Authority,
    /// The `Host` header of HTTP/1.1 requests (HTTP/2 sends the authority instead).
    host: HeaderValue,
}

impl Origin {
    /// The origin of a base URL the client builder checked (`http` or `https`, with a host).
    pub(crate) fn of(base: &Url) -> Result<Origin, http::Error> {
        let scheme = if base.scheme() == "https" {
            Scheme::HTTPS
        } else {
            Scheme::HTTP
        };
        let authority = Authority::try_from(&base[Position::BeforeHost..Position::AfterPort])?;
        let host = HeaderValue::from_str(authority.as_str())?;
        let uri = Uri::builder()
            .scheme(scheme.clone())
            .authority(authority.clone())
            .path_and_query("/")
            .build()?;
        Ok(Origin {
            uri,
            scheme,
            authority,
            host,
        })
    }
}

struct Idle {
    sender: http1::SendRequest<Body>,
    since: Instant,
}

/// A new connection.
enum Opened {
    Http1(http1::SendRequest<Body>),
    Http2(http2::SendRequest<Body>),
}

/// The HTTP/1.1 connection a response arrived on, lent until the response was read whole.
/// Dropping it without [`Lease::release`] drops the connection (hyper then closes it), which is
/// what a half-read or failed response needs. HTTP/2 responses lend nothing.
pub(crate) struct Lease<'a> {
    pool: &'a Pool,
    sender: Option<http1::SendRequest<Body>>,
}

impl Lease<'_> {
    /// The response was read whole: the connection can carry the next request.
    pub(crate) fn release(mut self) {
        if let Some(sender) = self.sender.take() {
            self.pool.checkin(sender);
        }
    }
}

impl Pool {
    pub(crate) fn new(connector: Connector, origin: Origin, http2_only: bool) -> Pool {
        Pool {
            connector,
            origin,
            http2_only,
            idle: Mutex::new(VecDeque::new()),
            shared: Mutex::new(None),
            opening: tokio::sync::Mutex::new(()),
        }
    }

    /// Sends `request` (its URI in origin form, `/path?query`) and resolves with the response
    /// head; the body streams after, on the lent connection.
    pub(crate) async fn send(
        &self,
        mut request: Request<Body>,
    ) -> Result<(Response<Incoming>, Lease<'_>), SendError> {
        if self.http2_only {
            let sender = self.http2_connection().await?;
            return self.send_http2(sender, request).await;
        }
        if let Some(sender) = self.live_http2() {
            return self.send_http2(sender, request).await;
        }
        request.headers_mut().insert(HOST, self.origin.host.clone());
        while let Some(mut sender) = self.checkout() {
            // Usually ready at once; one just released may need its task to run once more.
            if sender.ready().await.is_err() {
                continue;
            }
            match sender.try_send_request(request).await {
                Ok(response) => return Ok((response, self.lease(sender))),
                Err(mut failed) => match failed.take_message() {
                    // Closed before the request was written to it: try the next connection.
                    Some(unsent) => request = unsent,
                    None => return Err(SendError::Http(failed.into_error())),
                },
            }
        }
        // Boxed: opening a connection (TCP, TLS, the HTTP/2 handshake) is a large future, and
        // inline it would make every call's task that large (measured: +13 KiB per call in
        // flight), though it is rarely on the path.
        match Box::pin(self.connect()).await? {
            Opened::Http1(mut sender) => {
                let response = sender
                    .send_request(request)
                    .await
                    .map_err(SendError::Http)?;
                Ok((response, self.lease(sender)))
            }
            Opened::Http2(sender) => {
                request.headers_mut().remove(HOST);
                self.send_http2(sender, request).await
            }
        }
    }

    /// `scheme://authority`, as requests' URLs start.
    #[cfg(test)]
    pub(crate) fn origin(&self) -> String {
        format!("{}://{}", self.origin.scheme, self.origin.authority)
    }

    fn lease(&self, sender: http1::SendRequest<Body>) -> Lease<'_> {
        Lease {
            pool: self,
            sender: Some(sender),
        }
    }

    async fn send_http2(
        &self,
        mut sender: http2::SendRequest<Body>,
        mut request: Request<Body>,
    ) -> Result<(Response<Incoming>, Lease<'_>), SendError> {
        // HTTP/2 carries the scheme and authority as pseudo-headers, taken from the URI.
        let mut parts = std::mem::take(request.uri_mut()).into_parts();
        parts.scheme = Some(self.origin.scheme.clone());
        parts.authority = Some(self.origin.authority.clone());
        *request.uri_mut() = Uri::from_parts(parts).map_err(|e| SendError::Connect(e.into()))?;
        let response = sender
            .try_send_request(request)
            .await
            .map_err(|mut failed| match failed.take_message() {
                // Closed before the request went out; the attempt loop retries it (any method)
                // and the next attempt finds the connection closed and opens another.
                Some(_) => SendError::Unsent(failed.into_error()),
                None => SendError::Http(failed.into_error()),
            })?;
        Ok((
            response,
            Lease {
                pool: self,
                sender: None,
            },
        ))
    }

    /// The shared HTTP/2 connection, opened (once, however many calls are waiting) if needed.
    async fn http2_connection(&self) -> Result<http2::SendRequest<Body>, SendError> {
        match self.live_http2() {
            Some(sender) => Ok(sender),
            // Boxed for the reason given in `send`.
            None => Box::pin(self.open_http2()).await,
        }
    }

    async fn open_http2(&self) -> Result<http2::SendRequest<Body>, SendError> {
        let _opening = self.opening.lock().await;
        if let Some(sender) = self.live_http2() {
            return Ok(sender);
        }
        match self.connect().await? {
            Opened::Http2(sender) => Ok(sender),
            Opened::Http1(_) => unreachable!("connect speaks HTTP/2 with prior knowledge"),
        }
    }

    fn live_http2(&self) -> Option<http2::SendRequest<Body>> {
        let shared = self.shared.lock();
        shared.as_ref().filter(|s| !s.is_closed()).cloned()
    }

    /// Opens a connection: HTTP/2 with prior knowledge or when TLS negotiated it, else HTTP/1.1.
    async fn connect(&self) -> Result<Opened, SendError> {
        let io = self
            .connector
            .clone()
            .oneshot(self.origin.uri.clone())
            .await
            .map_err(SendError::Connect)?;
        if self.http2_only || io.connected().is_negotiated_h2() {
            let (sender, connection) = http2::handshake(TokioExecutor::new(), io)
                .await
                .map_err(|e| SendError::Connect(e.into()))?;
            runtime::spawn(connection.map(drop));
            *self.shared.lock() = Some(sender.clone());
            Ok(Opened::Http2(sender))
        } else {
            let (sender, connection) = http1::handshake(io)
                .await
                .map_err(|e| SendError::Connect(e.into()))?;
            runtime::spawn(connection.map(drop));
            Ok(Opened::Http1(sender))
        }
    }

    /// The most recently used idle connection that is still open and fresh.
    fn checkout(&self) -> Option<http1::SendRequest<Body>> {
        let mut idle = self.idle.lock();
        let now = Instant::now();
        while let Some(connection) = idle.pop_back() {
            if now.duration_since(connection.since) > IDLE_TIMEOUT {
                // The rest are older still.
                idle.clear();
                return None;
            }
            if !connection.sender.is_closed() {
                return Some(connection.sender);
            }
        }
        None
    }

    fn checkin(&self, sender: http1::SendRequest<Body>) {
        if sender.is_closed() {
            return;
        }
        let now = Instant::now();
        let mut idle = self.idle.lock();
        while idle
            .front()
            .is_some_and(|c| now.duration_since(c.since) > IDLE_TIMEOUT || c.sender.is_closed())
        {
            idle.pop_front();
        }
        idle.push_back(Idle { sender, since: now });
    }
}
