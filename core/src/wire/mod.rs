//! The wire layer: bytes to and from the server. It knows nothing of `Client`, `ClientBuilder`,
//! retries or the ledger; the policy layer (`crate::policy`) drives it one attempt at a time.
//!
//! - `request`, `response`, `headers`: what an attempt sends and what comes back, the same on
//!   every target.
//! - `native` (every target but wasm32): the SDK's own HTTP/1.1 codec, HTTP/2 on h2, the pool,
//!   the connector (TLS, proxies, Happy Eyeballs).
//! - `fetch` (wasm32): the JavaScript host's `fetch` (or one handed in by the user).

pub(crate) mod headers;
pub(crate) mod raw_headers;
pub(crate) mod request;
pub(crate) mod response;

#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod native;

#[cfg(target_arch = "wasm32")]
pub(crate) mod fetch;

// The one seam between the two wires: the policy layer names `wire::Http` and gets the native
// one or the fetch one, chosen at compile time (no dynamic dispatch on the native hot path). Both
// have `new(&Config)`, `build(&ApiRequest) -> Outgoing` and `send(&Outgoing, max_bytes)`.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) use native::http::Http;

#[cfg(target_arch = "wasm32")]
pub(crate) use fetch::Http;
