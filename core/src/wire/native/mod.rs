//! The native wire: sockets on tokio.
//!
//! - `connect`: DNS, TCP, TLS (rustls with the platform verifier).
//! - `h1`: the SDK's own HTTP/1.1 codec (measured faster than hyper's client for one origin).
//! - `h2`: hyper's HTTP/2 client.
//! - `pool`: idle HTTP/1.1 connections and the shared HTTP/2 one.
//! - `http`: [`http::Http`], the entry point: build a request once, send it per attempt.

pub(crate) mod connect;
pub(crate) mod h1;
pub(crate) mod h2;
pub(crate) mod http;
pub(crate) mod pool;
