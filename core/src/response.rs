//! Raw responses: the status, headers, rate limit, attempts, time and body of one call, next to
//! its decoded result.
//!
//! The transport fills a [`ResponseCapture`] only when the call's client view carries one, so
//! calls that do not ask pay nothing (not even for listing the headers). The bindings make a
//! capturing view per raw call; Rust users call [`crate::Client::with_response`].

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use parking_lot::Mutex;

use crate::models::RateLimit;

/// What the response of one call looked like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseInfo {
    /// The HTTP status of the last attempt's response.
    pub status: u16,
    /// Its headers in the order received, names in lowercase.
    pub headers: Vec<(String, String)>,
    /// Its `X-RateLimit-*` headers: this call's, not the client's latest.
    pub rate_limit: Option<RateLimit>,
    /// Attempts made (1 when the first succeeded).
    pub attempts: u32,
    /// Time from the call's start to its response, waits and retries included.
    pub elapsed: Duration,
    /// The whole body as received.
    pub body: Bytes,
}

impl ResponseInfo {
    /// The value of a header (name in any case), the first if repeated.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (bytes that are not UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A decoded result with the response it came from: what [`crate::Client::with_response`]
/// returns.
#[derive(Debug, Clone)]
pub struct ApiResponse<T> {
    /// The decoded model.
    pub data: T,
    /// The response.
    pub response: ResponseInfo,
}

/// Where the transport leaves the response of a call made through a capturing client view
/// ([`crate::Client::capturing`]). Holds the last response of the last call made through it.
#[derive(Debug, Clone, Default)]
pub struct ResponseCapture {
    slot: Arc<Mutex<Option<ResponseInfo>>>,
}

impl ResponseCapture {
    /// Takes the captured response, if a response came back since the last `take`.
    pub fn take(&self) -> Option<ResponseInfo> {
        self.slot.lock().take()
    }

    pub(crate) fn put(&self, info: ResponseInfo) {
        *self.slot.lock() = Some(info);
    }
}
