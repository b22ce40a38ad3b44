//! HTTP/2 on the `h2` crate: the shared connection, and one request on it with its body read
//! whole under a cap.
//!
//! Not hyper's HTTP/2 client, although hyper's is built on the same `h2`: for every request it
//! queues the request through a channel to the connection's task, spawns a task that awaits
//! the response and hands it back through a oneshot channel. With 10,000 calls in flight that
//! was 3.1 KiB per call more than over HTTP/1.1 (heaptrack of the Rust SDK in the bench's
//! memory workload): the spawned task 1,664 B, the boxed send future 726 B, the oneshot 320 B,
//! hyper's per-stream bookkeeping 72 B. Here the call's own task opens the stream on its clone
//! of h2's `SendRequest` and polls h2's response future, inline in the call's future: no task,
//! channel, oneshot or box per call. What remains is h2's state of a stream (a 328-byte `Stream`
//! in its slab, ~540 B per stream with the slab's doubling headroom at 10,000, and its id map):
//! 2,327 B per call in flight against 1,985 over HTTP/1.1 (was 5,064; `bench/README.md`). The
//! settings are hyper's defaults, so what goes on the wire is the same.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::{Bytes, BytesMut};
use h2::client::{self as h2_client, ResponseFuture, SendRequest};
use http::{HeaderMap, Request, header};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{Notify, oneshot};

use crate::runtime;
use crate::wire::headers;
use crate::wire::raw_headers::RawHeaders;
use crate::wire::response::{Response, SendError};

/// Each stream's receive window: hyper's default (the spec's 64 KiB would throttle a large
/// response to a round trip per 64 KiB).
const STREAM_WINDOW: u32 = 2 * 1024 * 1024;
/// The connection's receive window, shared by its streams: hyper's default.
const CONNECTION_WINDOW: u32 = 5 * 1024 * 1024;
/// Largest response header list accepted: hyper's default.
const MAX_HEADER_LIST: u32 = 16 * 1024;
/// Most request body bytes h2 buffers per stream before the window lets them out: hyper's
/// default.
const MAX_SEND_BUFFER: usize = 1024 * 1024;
/// Streams opened before the server's SETTINGS say how many it allows: hyper's default.
const INITIAL_MAX_SEND_STREAMS: usize = 100;
/// Largest frame accepted: hyper's default (the spec's minimum).
const MAX_FRAME: u32 = 16 * 1024;

/// An open HTTP/2 connection, shared by the calls (through an `Arc`). Its frames are read and
/// written by a task of its own ([`drive`]), which ends when the connection does.
pub(crate) struct Connection {
    sender: SendRequest<Bytes>,
    /// Which connection of the pool this is (see `Pool::retire_http2`).
    pub(crate) id: u64,
    /// Closed once the connection's task ended (its receiver is dropped then).
    alive: oneshot::Sender<Infallible>,
    /// Our streams open on it, held to the server's `MAX_CONCURRENT_STREAMS` (see [`Slot`]).
    streams: Arc<Streams>,
}

/// The streams of one connection that calls hold, and the wake-up of calls waiting for one.
#[derive(Default)]
struct Streams {
    open: AtomicUsize,
    /// Notified when a stream ends, and when the connection does.
    changed: Notify,
}

/// A call's place among the streams its connection may have open at once.
///
/// Why the SDK counts them rather than leaving it to h2: h2 queues a request above the
/// server's limit inside the connection, unsent, and when the connection then fails, fails it
/// like one it sent: a chat that never left would be reported as "may have been created" and
/// not sent again. A call waiting here has provably sent nothing; if the connection ends
/// meanwhile it is [`SendError::Unsent`], which the attempt loop may send again (any method);
/// if its attempt's timeout runs out here, the timeout says nothing was sent (`Outgoing::handed_over`).
/// Left: until the server's SETTINGS arrive, h2 assumes 100 streams (hyper's default; an
/// initial 1 would hold every later stream to one with a server that sends no limit), so a new
/// connection's first burst above a lower limit may still queue inside h2.
pub(crate) struct Slot(Arc<Streams>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::AcqRel);
        self.0.changed.notify_one();
    }
}

impl Connection {
    /// Sends the client preface and settings over `io` and starts the connection's task.
    pub(crate) async fn handshake<T>(io: T, id: u64) -> Result<Connection, h2::Error>
    where
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (sender, connection) = h2_client::Builder::new()
            .initial_window_size(STREAM_WINDOW)
            .initial_connection_window_size(CONNECTION_WINDOW)
            .max_header_list_size(MAX_HEADER_LIST)
            .max_send_buffer_size(MAX_SEND_BUFFER)
            .initial_max_send_streams(INITIAL_MAX_SEND_STREAMS)
            .max_frame_size(MAX_FRAME)
            .enable_push(false)
            .handshake::<T, Bytes>(io)
            .await?;
        let (alive, ended) = oneshot::channel();
        let streams = Arc::new(Streams::default());
        runtime::spawn(drive(connection, ended, Arc::clone(&streams)));
        Ok(Connection {
            sender,
            id,
            alive,
            streams,
        })
    }

    /// Waits until the server's `MAX_CONCURRENT_STREAMS` lets one more of our streams open on
    /// this connection (at once, usually). [`SendError::Unsent`] if the connection ends first.
    pub(crate) async fn slot(&self) -> Result<Slot, SendError> {
        let streams = &self.streams;
        loop {
            let changed = streams.changed.notified();
            let mut changed = std::pin::pin!(changed);
            changed.as_mut().enable();
            if self.is_closed() {
                return Err(SendError::Unsent(
                    "the connection closed while the request waited for one of the server's \
                     concurrent streams"
                        .into(),
                ));
            }
            let limit = self.sender.current_max_send_streams();
            let open = streams.open.load(Ordering::Acquire);
            if open < limit {
                if streams
                    .open
                    .compare_exchange(open, open + 1, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
                {
                    return Ok(Slot(Arc::clone(streams)));
                }
                continue;
            }
            changed.await;
        }
    }

    /// Whether the connection ended (closed by either side, or failed).
    pub(crate) fn is_closed(&self) -> bool {
        self.alive.is_closed()
    }
}

/// Drives the connection until it ends: closed by the server, failed, or closed by h2 once
/// the last handle and the last stream are gone (h2 wakes the task for that itself; the test
/// `the_connection_closes_once_the_client_is_dropped_and_its_calls_ended` checks it). Dropping
/// `ended` then marks the connection closed (see [`Connection::is_closed`]).
async fn drive<T>(
    connection: h2_client::Connection<T, Bytes>,
    ended: oneshot::Receiver<Infallible>,
    streams: Arc<Streams>,
) where
    T: AsyncRead + AsyncWrite + Unpin,
{
    // Errors end the connection; each stream in flight got its own error already.
    let mut connection = std::pin::pin!(connection);
    loop {
        if futures::poll!(connection.as_mut()).is_ready() {
            break;
        }
        // Until the socket or a call (a request queued, a stream dropped) wakes this task.
        futures::pending!();
        // Then first let the other tasks that are ready run: the calls among them queue their
        // requests, and the next poll writes them all at once. Polled at once instead (tokio
        // runs a task woken by the running one next), the connection wrote each request in a
        // `writev` of its own: one per call against one per ~10 under hyper's client, ~1.3 µs
        // more CPU per call at concurrency 64.
        tokio::task::yield_now().await;
    }
    drop(ended);
    // Calls waiting for a stream on it learn that it ended.
    streams.changed.notify_waiters();
}

/// Whether a request with this method and an empty body states `content-length: 0` (as hyper
/// did): those whose payload has a meaning.
pub(crate) fn empty_body_has_length(method: &http::Method) -> bool {
    !matches!(
        *method,
        http::Method::GET | http::Method::HEAD | http::Method::DELETE | http::Method::CONNECT
    )
}

/// A handle for one request on `connection`, once h2 accepts one more stream on it: at once,
/// unless the connection failed or is going away. Then, as when [`start`] fails, nothing was
/// sent, and the attempt loop sends the request again on another connection (any method).
pub(crate) async fn ready(connection: &Connection) -> Result<SendRequest<Bytes>, SendError> {
    connection
        .sender
        .clone()
        .ready()
        .await
        .map_err(|e| SendError::Unsent(e.into()))
}

/// Opens a stream for `request` (its URI absolute: HTTP/2 carries the scheme and authority as
/// pseudo-headers) and queues it with its `body`; [`receive`] then awaits the response.
/// Separate and synchronous so that the future a call keeps while it waits holds neither the
/// request nor the handle.
pub(crate) fn start(
    mut sender: SendRequest<Bytes>,
    request: Request<()>,
    body: Option<Bytes>,
) -> Result<ResponseFuture, SendError> {
    let (response, mut body_stream) = sender
        .send_request(request, body.is_none())
        .map_err(|e| SendError::Unsent(e.into()))?;
    if let Some(body) = body {
        // In memory already: h2 sends it as the windows allow.
        if body_stream.send_data(body, true).is_err() {
            // The stream is no longer open for sending (reset by the server meanwhile): the
            // response future reports why. The reset makes sure it ends.
            body_stream.send_reset(h2::Reason::CANCEL);
        }
    }
    Ok(response)
}

/// Awaits the response of a stream [`start`] opened and reads it whole, its body up to
/// `max_bytes`.
pub(crate) async fn receive(
    response: ResponseFuture,
    max_bytes: usize,
) -> Result<Response, SendError> {
    let response = response.await.map_err(|error| {
        if refused_unprocessed(&error) {
            SendError::Unsent(error.into())
        } else if malformed_by_peer(&error) {
            SendError::Malformed {
                status: None,
                meta: headers::ResponseMeta::default(),
                source: error.into(),
            }
        } else {
            SendError::Lost(error.into())
        }
    })?;
    let (head, mut body) = response.into_parts();
    // What the headers say (`ResponseMeta`) is parsed only on the way out: kept while the body
    // arrives, it would make every call's future larger.
    let (status, fields) = (head.status.as_u16(), head.headers);
    let content_length = content_length(&fields);
    if content_length.is_some_and(|len| len > max_bytes as u64) {
        // Not read at all: dropping the body resets the stream.
        return Err(SendError::TooLarge {
            status,
            meta: headers::parse(&fields),
            head: Bytes::new(),
        });
    }
    // The usual case is one chunk, kept as is without a copy; more are gathered in `gathered`.
    let mut only: Option<Bytes> = None;
    let mut gathered = BytesMut::new();
    // Trailers, which the API never sends, are not read.
    while let Some(chunk) = body.data().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) if malformed_by_peer(&e) => {
                return Err(SendError::Malformed {
                    status: Some(status),
                    meta: headers::parse(&fields),
                    source: e.into(),
                });
            }
            Err(e) => {
                return Err(SendError::BodyLost {
                    status,
                    meta: headers::parse(&fields),
                    source: e.into(),
                });
            }
        };
        // Read: the server may send as much again (the windows are replenished).
        let _ = body.flow_control().release_capacity(chunk.len());
        let so_far = only.as_ref().map_or(gathered.len(), Bytes::len);
        if so_far + chunk.len() > max_bytes {
            let read = match only {
                Some(only) => only,
                None if gathered.is_empty() => chunk,
                None => gathered.freeze(),
            };
            return Err(SendError::TooLarge {
                status,
                meta: headers::parse(&fields),
                head: read,
            });
        }
        if let Some(previous) = only.take() {
            let expected = content_length.map_or(0, |len| len as usize);
            gathered.reserve(expected.max(previous.len() + chunk.len()));
            gathered.extend_from_slice(&previous);
            gathered.extend_from_slice(&chunk);
        } else if gathered.is_empty() {
            only = Some(chunk);
        } else {
            gathered.extend_from_slice(&chunk);
        }
    }
    let body = only.unwrap_or_else(|| gathered.freeze());
    Ok(Response {
        status,
        meta: headers::parse(&fields),
        headers: RawHeaders::Http2(Box::new(fields)),
        body,
    })
}

/// The response's `content-length`, when it states one (h2 checks that the DATA frames add up
/// to it).
fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.parse().ok())
}

/// Whether h2 reset the stream itself for a `PROTOCOL_ERROR` of the server's response (no or
/// an invalid `:status`, DATA that does not add up to its `content-length`, ...): a malformed
/// response, as the HTTP/1.1 codec calls one, not a lost connection.
fn malformed_by_peer(error: &h2::Error) -> bool {
    !error.is_remote() && !error.is_io() && error.reason() == Some(h2::Reason::PROTOCOL_ERROR)
}

/// Whether an HTTP/2 server said it did not process the request: it refused the stream
/// (`REFUSED_STREAM`), or shut the connection down gracefully (`GOAWAY` with `NO_ERROR`) before
/// the stream. Either way nothing happened on the server, so even a chat may be sent again
/// (RFC 9113, section 8.7).
fn refused_unprocessed(error: &h2::Error) -> bool {
    error.is_remote()
        && match error.reason() {
            Some(h2::Reason::REFUSED_STREAM) => true,
            Some(h2::Reason::NO_ERROR) => error.is_go_away(),
            _ => false,
        }
}
