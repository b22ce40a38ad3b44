//! A call's result as it crosses to JavaScript, in the forms `models.ts` reads: JSON text
//! (`json.rs`), or for pages of runs the columns of `run_columns.rs`, as the napi addon sends
//! them (`bindings-node/src/models.rs`).
//!
//! Why columns here too: a runs page as JSON was written by serde in wasm, copied out as a
//! string and parsed again by `JSON.parse`; the columns cross as one short string and one
//! `Float64Array` and become objects of one shape without a parse.

use delegir::{Agent, AgentDetail, ChatReply, DeletedAgent, Run, RunPage, UpdatedAgent, Usage};
use js_sys::{Array, Float64Array};
use wasm_bindgen::JsValue;

use crate::json::ToJson;
use crate::run_columns::RunColumns;

/// A model as the value the TypeScript layer converts.
pub(crate) trait ToJs {
    /// The value, or why the model could not be written.
    fn to_js(&self) -> serde_json::Result<JsValue>;
}

/// The models that cross as JSON.
macro_rules! json_to_js {
    ($($t:ty),* $(,)?) => {$(
        impl ToJs for $t {
            fn to_js(&self) -> serde_json::Result<JsValue> {
                self.to_json().map(|json| JsValue::from_str(&json))
            }
        }
    )*};
}

json_to_js!(
    Vec<Agent>,
    AgentDetail,
    UpdatedAgent,
    DeletedAgent,
    ChatReply,
    Usage
);

/// `[text, Float64Array(numbers), extras?]`.
fn columns(c: RunColumns) -> JsValue {
    let array = Array::of2(
        &JsValue::from_str(&c.text),
        &Float64Array::from(&c.numbers[..]),
    );
    if let Some(extras) = c.extras {
        array.push(&JsValue::from_str(&extras));
    }
    array.into()
}

impl ToJs for RunPage {
    fn to_js(&self) -> serde_json::Result<JsValue> {
        RunColumns::page(self).map(columns)
    }
}

/// A page of the run pager: its runs as columns, or the JSON `null` once every run was yielded.
impl ToJs for Option<Vec<Run>> {
    fn to_js(&self) -> serde_json::Result<JsValue> {
        match self {
            None => Ok(JsValue::from_str("null")),
            Some(runs) => RunColumns::runs(runs).map(columns),
        }
    }
}
