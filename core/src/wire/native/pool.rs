//! The connections of a client to the one origin it talks to (the base URL's host).
//!
//! - HTTP/1.1 (`h1.rs`): idle connections are a LIFO stack (the most recently used is the most
//!   likely to be alive and warm). A call takes one for itself and gives it back only after its
//!   response was read whole and the server did not ask to close it; one whose exchange failed
//!   or was abandoned (a timeout drops the call's future) is dropped, which closes it. A
//!   connection is checked when taken: one the server closed while it sat idle is dropped.
//!   Idle connections unused for [`IDLE_TIMEOUT`] are dropped the next time the pool is used
//!   (no timer task: servers close idle connections sooner, and a closed one costs only its
//!   socket until then).
//! - HTTP/2 (prior knowledge, or negotiated by TLS ALPN): every call shares one connection,
//!   driven by a task of its own (`h2.rs`). While it may be HTTP/2 that a new connection speaks
//!   (prior knowledge, or `https` before a server picked HTTP/1.1), connections are opened one at
//!   a time and calls that need one wait: a burst of first calls then makes one TLS handshake
//!   and shares its HTTP/2 connection, instead of opening a connection each that ALPN turns into
//!   HTTP/2 and all but one close after a single request. Once a server picked HTTP/1.1 (and
//!   always over plain `http`), calls open their connections concurrently.
//! - The futures that open connections are boxed by the caller: inline, the TCP, TLS and
//!   handshake futures would make every call's task larger for a path most calls never take.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::wire::native::connect::Connector;
use crate::wire::native::h1;
use crate::wire::native::h2;
use crate::wire::response::SendError;

/// How long an idle connection is kept.
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// The shared HTTP/2 connection as a call holds it; its id lets a call the connection refused
/// retire exactly that one ([`Pool::retire_http2`]).
pub(crate) type Http2Shared = Arc<h2::Connection>;

/// The connections to one origin.
pub(crate) struct Pool {
    connector: Connector,
    http2_only: bool,
    /// Idle HTTP/1.1 connections, the most recently used last.
    idle: Mutex<VecDeque<Idle>>,
    /// The HTTP/2 connection every call shares, once one is open.
    shared: Mutex<Option<Http2Shared>>,
    /// The id of the next HTTP/2 connection opened.
    next_http2_id: AtomicU64,
    /// Held while a connection that may speak HTTP/2 is opened.
    opening: tokio::sync::Mutex<()>,
    /// Set once TLS negotiated HTTP/1.1: from then on connections are opened concurrently.
    picked_http1: AtomicBool,
}

struct Idle {
    connection: h1::Connection,
    since: Instant,
}

/// A new connection.
pub(crate) enum Opened {
    Http1(h1::Connection),
    Http2(Http2Shared),
}

impl Pool {
    pub(crate) fn new(connector: Connector, http2_only: bool) -> Pool {
        Pool {
            connector,
            http2_only,
            idle: Mutex::new(VecDeque::new()),
            shared: Mutex::new(None),
            next_http2_id: AtomicU64::new(0),
            opening: tokio::sync::Mutex::new(()),
            picked_http1: AtomicBool::new(false),
        }
    }

    /// The proxy plain-HTTP requests are forwarded through, if any.
    pub(crate) fn forwarding_proxy(&self) -> Option<&crate::wire::native::proxy::Proxy> {
        self.connector.forwarding_proxy()
    }

    /// The shared HTTP/2 connection if one is open.
    pub(crate) fn live_http2(&self) -> Option<Http2Shared> {
        let shared = self.shared.lock();
        shared.as_ref().filter(|s| !s.is_closed()).cloned()
    }

    /// Stops sharing the HTTP/2 connection of this `id` (if it is still the shared one): it
    /// refused a request (`GOAWAY`, `REFUSED_STREAM`), so the next call opens a fresh one. Its
    /// streams in flight finish on it; it closes when the last of its handles and streams is
    /// dropped.
    pub(crate) fn retire_http2(&self, id: u64) {
        let mut shared = self.shared.lock();
        if shared.as_ref().is_some_and(|s| s.id == id) {
            *shared = None;
        }
    }

    /// A new connection, or the shared HTTP/2 one if another call opened it meanwhile (see the
    /// module's documentation): HTTP/2 with prior knowledge or when TLS negotiated it, else
    /// HTTP/1.1.
    pub(crate) async fn connect(&self) -> Result<Opened, SendError> {
        if self.may_open_http2() {
            let _opening = self.opening.lock().await;
            if let Some(sender) = self.live_http2() {
                return Ok(Opened::Http2(sender));
            }
            if self.may_open_http2() {
                return self.open().await;
            }
            // The call before this one learned that the server speaks HTTP/1.1.
        }
        self.open().await
    }

    fn may_open_http2(&self) -> bool {
        self.http2_only || (self.connector.is_tls() && !self.picked_http1.load(Ordering::Relaxed))
    }

    async fn open(&self) -> Result<Opened, SendError> {
        let stream = self.connector.connect().await.map_err(SendError::Connect)?;
        if self.http2_only || stream.is_h2() {
            let id = self.next_http2_id.fetch_add(1, Ordering::Relaxed);
            let connection = h2::Connection::handshake(stream, id)
                .await
                .map_err(|e| SendError::Connect(e.into()))?;
            let shared = Arc::new(connection);
            *self.shared.lock() = Some(Arc::clone(&shared));
            Ok(Opened::Http2(shared))
        } else {
            if self.connector.is_tls() {
                self.picked_http1.store(true, Ordering::Relaxed);
            }
            Ok(Opened::Http1(h1::Connection::new(stream)))
        }
    }

    /// The most recently used idle HTTP/1.1 connection that is still open and fresh.
    pub(crate) fn checkout(&self) -> Option<h1::Connection> {
        let mut idle = self.idle.lock();
        let now = Instant::now();
        while let Some(mut idle_connection) = idle.pop_back() {
            if now.duration_since(idle_connection.since) > IDLE_TIMEOUT {
                // The rest are older still.
                idle.clear();
                return None;
            }
            if idle_connection.connection.is_open() {
                return Some(idle_connection.connection);
            }
        }
        None
    }

    /// Takes back a connection whose response was read whole.
    pub(crate) fn checkin(&self, connection: h1::Connection) {
        let now = Instant::now();
        let mut idle = self.idle.lock();
        while idle
            .front()
            .is_some_and(|c| now.duration_since(c.since) > IDLE_TIMEOUT)
        {
            idle.pop_front();
        }
        idle.push_back(Idle {
            connection,
            since: now,
        });
    }
}
