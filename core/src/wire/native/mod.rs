//! The native wire: sockets on tokio.
//!
//! - `connect`: DNS, TCP, a proxy, TLS: one connection to the origin.
//! - `happy_eyeballs`: TCP over every address of a host at once, staggered (RFC 8305).
//! - `proxy`: which proxy (environment or option) and the `CONNECT` tunnel through it.
//! - `tls`: rustls with the platform verifier plus extra certificate authorities.
//! - `encoding`: gzip response bodies, decoded under the size cap.
//! - `h1`: the SDK's own HTTP/1.1 codec (measured faster than hyper's client for one origin).
//! - `h2`: HTTP/2 on the `h2` crate (not hyper's client around it: `h2.rs` says why).
//! - `pool`: idle HTTP/1.1 connections and the shared HTTP/2 one.
//! - `http`: [`http::Http`], the entry point: build a request once, send it per attempt.

pub(crate) mod connect;
pub(crate) mod encoding;
pub(crate) mod h1;
pub(crate) mod h2;
pub(crate) mod happy_eyeballs;
pub(crate) mod http;
pub(crate) mod pool;
pub(crate) mod proxy;
pub(crate) mod tls;
