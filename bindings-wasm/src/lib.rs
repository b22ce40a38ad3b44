//! `delegir-wasm`: the WebAssembly build of the `delegir` core, for the `delegir` npm package.
//!
//! It exports the same interface to the TypeScript layer as the napi addon (`bindings-node`):
//! `createClient`, `NativeClient` (one method per API call, resolving to the result's JSON or a
//! plain `NativeError` object), `NativeRunPager` and `CancelToken`, so the one TypeScript layer
//! (client, errors, models, arguments, logging) runs on either. Every rule of the SDK lives in the
//! core, which on wasm32 sends through the host's `fetch` (`delegir::wire::fetch`); this crate
//! only converts. The JSON views of the models are the napi addon's own file (`json.rs`),
//! included, not copied.
//!
//! Modules mirror the napi binding: `client`, `error`, `cancel`, `logging`.

#![cfg(target_arch = "wasm32")]

mod cancel;
mod client;
mod error;
#[path = "../../bindings-node/src/json.rs"]
mod json;
mod logging;

pub use client::{NativeClient, NativeRunPager, create_client};
