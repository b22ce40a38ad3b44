//! Hooks for the SDK's own test suite, not part of the API (underscored, absent from the docs).
//!
//! A panic in a call's task must settle its promise with a `DelegirError` (never a promise that
//! stays pending). No public call panics on purpose, so `tests/panics.test.mjs` starts calls
//! whose task panics after its first await, on a runtime thread, through the path every call
//! takes (`completion::spawn`). Compiled into release builds too, because the suite tests the
//! package that ships; it sends nothing and touches no state.

use napi::bindgen_prelude::PromiseRaw;
use napi::{Env, Result};
use napi_derive::napi;

use crate::completion;
use crate::runtime::Outcome;

async fn panics() -> Outcome {
    tokio::task::yield_now().await;
    panic!("deliberate panic of the native _callThatPanics");
}

/// Test hook: a call whose task panics. Resolves to a failure of code `internal`.
#[napi(
    js_name = "_callThatPanics",
    ts_return_type = "Promise<string | NativeError>"
)]
pub fn call_that_panics(env: &Env) -> Result<PromiseRaw<'_, Outcome>> {
    completion::spawn(env, panics())
}
