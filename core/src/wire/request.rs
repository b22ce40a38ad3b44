//! A request as the endpoints describe it, before the transport sends it.

use bytes::Bytes;
use http::Method;

/// Whether a request may be sent again after it might have reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Idempotency {
    /// GET, PUT, DELETE: sending twice has the same effect as once.
    Idempotent,
    /// `POST /chat`: each one is a billed run, so it is resent only when the server provably
    /// did not act on it (it never left the client, or the server answered 429).
    NotIdempotent,
}

/// One API call: which route, with what.
#[derive(Debug, Clone)]
pub(crate) struct ApiRequest {
    pub method: Method,
    /// The path below the base URL with ids filled in (already validated), e.g. `/agents/agt_1`.
    pub path: String,
    /// The route template for logs, e.g. `/agents/:id/chat` (ids are not logged).
    pub route: &'static str,
    /// The query string without `?`, already encoded.
    pub query: Option<String>,
    /// A JSON body (shared, not copied, by the attempts that send it).
    pub body: Option<Bytes>,
    pub idempotency: Idempotency,
}

impl ApiRequest {
    pub(crate) fn get(route: &'static str, path: String) -> ApiRequest {
        ApiRequest {
            method: Method::GET,
            path,
            route,
            query: None,
            body: None,
            idempotency: Idempotency::Idempotent,
        }
    }
}
