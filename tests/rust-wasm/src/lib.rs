//! What the tests of the Rust API on wasm32 (`tests/client.rs`) need from their host: the
//! emulator's addresses, from the environment of the Node process that runs them (run.sh), and
//! its admin API (faults, journal), reached with the host's `fetch`, as the SDK is.
//!
//! These go through `js_sys` directly, not through delegir: a test must not depend on the code
//! it checks to set up what it checks.
#![cfg(target_arch = "wasm32")]

use js_sys::{Function, Object, Promise, Reflect};
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// `process.env[name]` of the Node process running the tests.
///
/// # Panics
/// When the variable is not set: the tests run only under run.sh, which sets them.
pub fn env(name: &str) -> String {
    let value = get(&get(&get(&js_sys::global(), "process"), "env"), name);
    value
        .as_string()
        .unwrap_or_else(|| panic!("{name} is not set: run the tests with tests/rust-wasm/run.sh"))
}

/// The emulator's API base URL (`http://127.0.0.1:PORT/api/v1`).
pub fn base_url() -> String {
    env("DELEGIR_BASE_URL")
}

/// A client of the emulator with its own test key (faults and journal entries are scoped to
/// it, so tests running side by side do not see each other's).
pub fn client(key: &str) -> delegir::ClientBuilder {
    delegir::Client::builder().api_key(key).base_url(base_url())
}

/// Calls the admin API (`/__emulator` + `path`) on behalf of the test key `key` (the admin API
/// scopes journal and faults to the key it is sent) and returns its answer's `data`.
///
/// # Panics
/// When the emulator cannot be reached or answers with an error: the test cannot go on.
pub async fn admin(key: &str, method: &str, path: &str, body: Option<&Value>) -> Value {
    let url = format!("{}{path}", env("DELEGIR_ADMIN_URL"));
    let init = Object::new();
    set(&init, "method", &method.into());
    let headers = Object::new();
    set(&headers, "x-api-key", &key.into());
    if let Some(body) = body {
        set(&init, "body", &body.to_string().into());
        set(&headers, "content-type", &"application/json".into());
    }
    set(&init, "headers", &headers);
    let fetch: Function = get(&js_sys::global(), "fetch").unchecked_into();
    let response = settle(fetch.call2(&JsValue::UNDEFINED, &url.as_str().into(), &init)).await;
    let status = get(&response, "status").as_f64().unwrap_or(0.0);
    let text: Function = get(&response, "text").unchecked_into();
    let text = settle(text.call0(&response)).await;
    let text = text.as_string().unwrap_or_default();
    assert!(
        (200.0..300.0).contains(&status),
        "admin {method} {path}: HTTP {status}: {text}"
    );
    let answer: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("admin {path}: {e}: {text}"));
    answer["data"].clone()
}

/// Makes the next `count` requests of `key` to `method path` (the full path, `/api/v1/...`)
/// misbehave as `fault` says (the emulator's `Fault`, e.g. `{"kind": "status", "status": 500}`).
pub async fn inject(key: &str, method: &str, path: &str, count: u32, fault: Value) {
    let rule = serde_json::json!({
        "method": method, "path": path, "count": count, "api_key": key, "fault": fault,
    });
    admin(key, "POST", "/faults", Some(&rule)).await;
}

/// How many requests with `key` reached `method path` (the emulator's journal).
pub async fn requests(key: &str, method: &str, path: &str) -> usize {
    let journal = admin(key, "GET", "/journal", None).await;
    let entries = journal
        .as_array()
        .unwrap_or_else(|| panic!("the journal is not a list: {journal}"));
    entries
        .iter()
        .filter(|e| e["method"] == method && e["path"] == path)
        .count()
}

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

fn set(target: &Object, key: &str, value: &JsValue) {
    // Setting a property of a plain object made here cannot fail.
    let _ = Reflect::set(target, &key.into(), value);
}

async fn settle(called: Result<JsValue, JsValue>) -> JsValue {
    let promise: Promise = called.expect("the call threw").unchecked_into();
    JsFuture::from(promise)
        .await
        .expect("the promise was rejected")
}
