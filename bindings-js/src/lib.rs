//! `delegir-js`: what the two JavaScript bindings of the core share, so that it is written once:
//! the napi addon (`bindings-node`) and the WebAssembly build (`bindings-wasm`) hand the one
//! TypeScript layer (`bindings-node/src-ts`) the same values.
//!
//! - [`IntoPayload`]: every call's result as a [`Payload`], JSON text (`json.rs`) or, for pages
//!   of runs, columns ([`RunColumns`]); `models.ts` reads both.
//! - [`ClientOptions`], [`ViewOptions`]: the options both builds accept, as the core's builder
//!   settings and request options.
//! - [`agent_update`]: `agents.update`'s fields as the core's type.
//!
//! No napi or wasm-bindgen types here: each binding turns a `Payload` into its own kind of
//! JavaScript value (`bindings-node/src/models.rs`, `bindings-wasm/src/payload.rs`).

mod json;
mod options;
mod payload;
mod run_columns;
mod update;

pub use options::{ClientOptions, ViewOptions};
pub use payload::{IntoPayload, Payload, PayloadError};
pub use run_columns::RunColumns;
pub use update::{ConfigUpdateArgs, agent_update};
