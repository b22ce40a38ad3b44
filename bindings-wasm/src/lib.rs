//! `delegir-wasm`: the WebAssembly build of the `delegir` core, for the `delegir` npm package.
//!
//! It exports the same interface to the TypeScript layer as the napi addon (`bindings-node`):
//! `createClient`, `NativeClient` (one method per API call, resolving to the result's JSON or a
//! plain `NativeError` object), `NativeRunPager` and `CancelToken`, so the one TypeScript layer
//! (client, errors, models, arguments, logging) runs on either. Every rule of the SDK lives in the
//! core, which on wasm32 sends through the host's `fetch` (`delegir::wire::fetch`); this crate
//! only converts. Results cross in the forms the napi addon uses too, written once in
//! `bindings-js` (JSON views of the models, pages of runs as columns); `payload.rs` makes them
//! JavaScript values.
//!
//! Modules mirror the napi binding: `client`, `error`, `cancel`, `logging`; `executor` runs the
//! calls as promises (the napi addon's `completion.rs`), and `trap` with `calls.js` makes a trap
//! of the module (a panic aborts on wasm32) end every call with an error instead of leaving it
//! pending or ending the host process.

#![cfg(target_arch = "wasm32")]

mod cancel;
mod client;
mod error;
mod executor;
mod logging;
mod payload;
mod trap;

pub use client::{NativeClient, NativeRunPager, create_client};
pub use trap::{module_failure, panic_for_testing, trap_handler};
