//! `delegir-node`: the napi-rs binding of the `delegir` core for the `delegir` npm package.
//!
//! This crate only converts. Every rule of the SDK (validation, retries, the rate-limit ledger,
//! paging) lives in the core; the TypeScript layer in `src-ts/` turns what this crate returns into
//! the idiomatic API (classes, `Date`s, error classes). Results cross the boundary in the forms of
//! `bindings-js` (shared with the WebAssembly build): JSON strings that the TypeScript layer
//! `JSON.parse`s, pages of runs as columns; failures as plain
//! [`error::NativeError`] objects that it turns into error classes: nothing here throws for an
//! API failure, and nobody parses messages.
//!
//! Modules mirror the Python binding: `client`, `error`, `models`, `runtime`, `emulator`, plus
//! `cancel` (the per-call `AbortSignal` bridge), `completion` (promises settled in batches) and
//! `logging` (the per-attempt logger bridge).

#![deny(clippy::all)]
// `NativeError` is a plain object bound for JavaScript, built once per failed call and moved
// straight into a promise; boxing it would add an allocation to save a few moves.
#![allow(clippy::result_large_err)]
// napi-derive registers exported items only outside `cfg(test)`, so a test build sees them unused.
#![cfg_attr(test, allow(dead_code))]

/// mimalloc for the addon's own (Rust) allocations: calls' tasks are allocated on the JavaScript
/// thread and freed on a runtime thread, which glibc's malloc handles with arena locks and
/// consolidation on the JavaScript thread, the thread that bounds a Node client's throughput.
/// Measured on the bench's small GET: 11-16 -> 6-10 us of JavaScript-thread time per call.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cancel;
mod client;
mod completion;
mod emulator;
mod error;
mod logging;
mod models;
mod options;
mod runtime;
mod store_log;
mod test_hooks;
mod user_agent;

pub use cancel::CancelToken;
pub use client::{NativeClient, NativeRunPager};
pub use emulator::NativeEmulator;
