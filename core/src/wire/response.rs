//! What sending one request produced, over either protocol: a complete response, or why not.

use std::fmt;

use bytes::Bytes;

use crate::error::duration_text;
use crate::wire::headers::ResponseMeta;
use crate::wire::raw_headers::RawHeaders;

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A response read whole.
pub(crate) struct Response {
    pub(crate) status: u16,
    /// What its headers say about the rate limit (the only headers the SDK reads).
    pub(crate) meta: ResponseMeta,
    /// Every header, kept as received; listed only for errors and raw responses.
    pub(crate) headers: RawHeaders,
    pub(crate) body: Bytes,
}

/// Why a request got no complete response.
#[derive(Debug)]
// The fetch wire cannot tell these apart (see `wire::fetch`): only the native wire makes them.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(crate) enum SendError {
    /// No connection could be opened (DNS, TCP, TLS, the HTTP/2 preface): nothing was sent.
    Connect(BoxError),
    /// The connection closed before the request was handed to it whole (an HTTP/2 connection
    /// that refused it, an HTTP/1.1 write that failed): the server cannot have acted on it.
    Unsent(BoxError),
    /// The request may have reached the server; no response head came back.
    Lost(BoxError),
    /// The request was written whole and the server closed the connection without a byte of
    /// response. On a reused HTTP/1.1 connection this is usually a keep-alive close that crossed
    /// the request (the server closed the idle connection as the request went out), but the
    /// server may also have read the request and failed: it may have reached the server.
    Closed(BoxError),
    /// The response head came back; the body was cut off or its framing was invalid.
    BodyLost {
        status: u16,
        meta: ResponseMeta,
        source: BoxError,
    },
    /// The response breaks HTTP/1.1's rules (status line, head size or header count, framing
    /// headers, chunked encoding): a protocol error, which `source` names. `status` and `meta`
    /// are the head's when only the body was malformed.
    Malformed {
        status: Option<u16>,
        meta: ResponseMeta,
        source: BoxError,
    },
    /// The response came back whole, but its body is in a form the client cannot read: a
    /// `Content-Encoding` it did not ask for, or gzip that does not decode. Nothing was lost:
    /// sending again would get the same bytes, so it is not retried.
    Unreadable {
        status: u16,
        meta: ResponseMeta,
        reason: String,
    },
    /// The body is larger than the cap; `head` holds what was read of it.
    TooLarge {
        status: u16,
        meta: ResponseMeta,
        head: Bytes,
    },
}

impl SendError {
    /// Whether the request certainly did not reach the server, so that sending it again cannot
    /// do anything twice (even a chat).
    pub(crate) fn never_sent(&self) -> bool {
        matches!(self, SendError::Connect(_) | SendError::Unsent(_))
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SendError::Connect(_) => "could not open a connection",
            SendError::Unsent(_) => "the connection closed before the request was sent",
            SendError::Lost(_) => "the connection failed before a response arrived",
            SendError::Closed(_) => "the server closed the connection without a response",
            SendError::BodyLost { .. } => "the connection failed while the response was read",
            SendError::Malformed { .. } => "the response is not valid HTTP/1.1",
            SendError::Unreadable { .. } => "the response body cannot be decoded",
            SendError::TooLarge { .. } => "the response body is larger than allowed",
        })
    }
}

impl std::error::Error for SendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SendError::Connect(e)
            | SendError::Unsent(e)
            | SendError::Lost(e)
            | SendError::Closed(e)
            | SendError::BodyLost { source: e, .. }
            | SendError::Malformed { source: e, .. } => Some(&**e),
            SendError::TooLarge { .. } | SendError::Unreadable { .. } => None,
        }
    }
}

/// Opening a connection (DNS, TCP, a proxy tunnel, TLS) ran out of its time: the attempt is a
/// timeout, and nothing was sent. Carried inside [`SendError::Connect`].
#[derive(Debug)]
pub(crate) struct ConnectTimedOut {
    pub(crate) after: std::time::Duration,
    /// The proxy the connection went through (`http://host:port`, no credentials), if any: the
    /// time may have run out there.
    pub(crate) through: Option<String>,
}

impl fmt::Display for ConnectTimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.through {
            None => write!(
                f,
                "connecting timed out after {}",
                duration_text(self.after)
            ),
            Some(proxy) => write!(
                f,
                "connecting through the proxy {proxy} timed out after {}",
                duration_text(self.after)
            ),
        }
    }
}

impl std::error::Error for ConnectTimedOut {}

impl ConnectTimedOut {
    /// Whether `error` or one of its sources is a connect timeout.
    pub(crate) fn is_in(error: &(dyn std::error::Error + 'static)) -> bool {
        let mut cause = Some(error);
        while let Some(e) = cause {
            if e.is::<ConnectTimedOut>() {
                return true;
            }
            cause = e.source();
        }
        false
    }
}
