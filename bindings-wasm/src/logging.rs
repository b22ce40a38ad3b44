//! Per-attempt log records delivered to the TypeScript layer's sink function: the same record as
//! the napi addon's `AttemptRecord` (level and one-line summary decided by the core). Installed
//! only when logging is wanted. Records carry the route template, never ids, bodies or the key.

use std::sync::Arc;

use delegir::{AttemptLog, AttemptObserver};
use js_sys::{Function, Object, Reflect};
use wasm_bindgen::JsValue;

/// Marks the sink as `Send + Sync` for the core's observer type. Sound: wasm32 without atomics
/// has one thread (the core checks that at compile time).
struct Sink(Function);
// SAFETY: one thread only (see above).
unsafe impl Send for Sink {}
// SAFETY: as above.
unsafe impl Sync for Sink {}

fn record(log: &AttemptLog) -> JsValue {
    let object = Object::new();
    let set = |key: &str, value: JsValue| {
        let _ = Reflect::set(&object, &JsValue::from_str(key), &value);
    };
    set("method", log.method.into());
    set("route", log.route.into());
    if let Some(status) = log.status {
        set("status", f64::from(status).into());
    }
    set("attempt", f64::from(log.attempt).into());
    set("elapsedMs", (log.elapsed.as_secs_f64() * 1000.0).into());
    set("waitMs", (log.wait.as_secs_f64() * 1000.0).into());
    if let Some(kind) = log.error {
        set("error", kind.as_str().into());
    }
    set("willRetry", log.will_retry.into());
    set("level", log.level().as_str().into());
    set("summary", log.to_string().into());
    object.into()
}

/// An observer that calls `sink` with one record per attempt; a throwing sink is ignored (a
/// failing logger must not break the calls it observes).
pub(crate) fn observer(sink: Function) -> AttemptObserver {
    let sink = Sink(sink);
    Arc::new(move |log: &AttemptLog| {
        let _ = sink.0.call1(&JsValue::UNDEFINED, &record(log));
    })
}
