//! The wire layer: bytes to and from the server. It knows nothing of `Client`, `ClientBuilder`,
//! retries or the ledger; the policy layer (`crate::policy`) drives it one attempt at a time.
//!
//! - `request`, `response`, `headers`: what an attempt sends and what comes back, the same on
//!   every target.
//! - `native` (every target but wasm32): the SDK's own HTTP/1.1 codec, hyper's HTTP/2, the pool,
//!   the connector (TLS, proxies, Happy Eyeballs).

pub(crate) mod headers;
pub(crate) mod request;
pub(crate) mod response;

#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod native;

#[cfg(not(target_arch = "wasm32"))]
pub(crate) use native::http::Http;
