//! A call's result as the JavaScript value `models.ts` reads: the shared [`Payload`]
//! (`bindings-js`, the napi addon's forms too), made a `JsValue` here.
//!
//! Why columns here too: a runs page as JSON was written by serde in wasm, copied out as a
//! string and parsed again by `JSON.parse`; the columns cross as one short string and one
//! `Float64Array` and become objects of one shape without a parse.

use delegir_js::{IntoPayload, Payload, PayloadError, RunColumns};
use js_sys::{Array, Float64Array};
use wasm_bindgen::JsValue;

/// A call's result as the value the TypeScript layer converts.
pub(crate) fn to_js(result: &impl IntoPayload) -> Result<JsValue, PayloadError> {
    Ok(match result.payload()? {
        Payload::Json(json) => JsValue::from_str(&json),
        Payload::Runs(columns) => columns_to_js(columns),
    })
}

/// `[text, Float64Array(numbers), extras?]`.
fn columns_to_js(c: RunColumns) -> JsValue {
    let array = Array::of2(
        &JsValue::from_str(&c.text),
        &Float64Array::from(&c.numbers[..]),
    );
    if let Some(extras) = c.extras {
        array.push(&JsValue::from_str(&extras));
    }
    array.into()
}
