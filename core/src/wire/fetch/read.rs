//! Reading a `fetch` response: the headers the SDK needs and the body, up to the size cap.

use bytes::Bytes;
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::ReadableStreamDefaultReader;

use super::errors::FetchError;
use crate::runtime::SingleThreaded;
use crate::wire::headers::{Relevant, ResponseMeta};
use crate::wire::raw_headers::RawHeaders;

/// What the head of a response says.
pub(super) struct Head {
    pub(super) meta: ResponseMeta,
    pub(super) headers: RawHeaders,
    pub(super) content_length: Option<u64>,
}

/// The headers the SDK reads, each fetched by name (a handful of calls into JavaScript); the
/// others stay in the `Headers` object until an error or a raw response lists them.
pub(super) fn head(response: &web_sys::Response) -> Head {
    let headers = response.headers();
    let get = |name: &str| headers.get(name).ok().flatten();
    let values: Vec<(&str, Option<String>)> = RELEVANT.iter().map(|&n| (n, get(n))).collect();
    let mut relevant = Relevant::default();
    for (name, value) in &values {
        if let Some(value) = value {
            relevant.offer(name, value.as_bytes());
        }
    }
    Head {
        meta: relevant.parse(),
        content_length: get("content-length").and_then(|v| v.trim().parse().ok()),
        headers: RawHeaders::Fetch(ResponseHeaders(SingleThreaded(headers))),
    }
}

/// The headers `Relevant` reads.
const RELEVANT: [&str; 5] = [
    "date",
    "retry-after",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
];

/// A response's `Headers`, kept for errors and raw responses.
#[derive(Debug, Clone)]
pub(crate) struct ResponseHeaders(SingleThreaded<web_sys::Headers>);

impl ResponseHeaders {
    /// Every `(name, value)` pair, in the host's order.
    pub(crate) fn to_list(&self) -> Vec<(String, String)> {
        let mut pairs = Vec::new();
        if let Ok(Some(entries)) = js_sys::try_iter(self.0.0.as_ref()) {
            for entry in entries.flatten() {
                let name = Reflect::get_u32(&entry, 0).ok().and_then(|v| v.as_string());
                let value = Reflect::get_u32(&entry, 1).ok().and_then(|v| v.as_string());
                if let (Some(name), Some(value)) = (name, value) {
                    pairs.push((name, value));
                }
            }
        }
        pairs
    }
}

/// Why the body could not be read whole.
pub(super) enum BodyError {
    /// Larger than the cap; what was read of it.
    TooLarge(Bytes),
    /// The stream failed (connection lost, aborted).
    Lost(FetchError),
}

/// The body, at most `max` bytes. A body whose `Content-Length` fits is read in one call
/// (`arrayBuffer()`, the fast path); otherwise it is streamed and cut off at the cap.
pub(super) async fn body(
    response: &web_sys::Response,
    content_length: Option<u64>,
    max: usize,
) -> Result<Bytes, BodyError> {
    let lost = |what: &str, e: &JsValue| BodyError::Lost(FetchError::from_js(what, e));
    if content_length.is_some_and(|n| n <= max as u64) {
        let promise = response
            .array_buffer()
            .map_err(|e| lost("arrayBuffer", &e))?;
        let buffer = JsFuture::from(promise)
            .await
            .map_err(|e| lost("reading the body", &e))?;
        let array = Uint8Array::new(&buffer);
        let length = array.length() as usize;
        // A compressed body that the host decoded may be larger than its Content-Length.
        if length > max {
            return Err(BodyError::TooLarge(Bytes::from(
                array.subarray(0, max as u32).to_vec(),
            )));
        }
        return Ok(Bytes::from(array.to_vec()));
    }
    let Some(stream) = response.body() else {
        return Ok(Bytes::new());
    };
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut out: Vec<u8> = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|e| lost("reading the body", &e))?;
        let done = Reflect::get(&chunk, &JsValue::from_str("done"))
            .map(|v| v.is_truthy())
            .unwrap_or(true);
        if done {
            return Ok(Bytes::from(out));
        }
        let value: Uint8Array = Reflect::get(&chunk, &JsValue::from_str("value"))
            .map_err(|e| lost("reading the body", &e))?
            .unchecked_into();
        let length = value.length() as usize;
        let start = out.len();
        if start + length > max {
            // Stop the download; what was read so far is the error's excerpt.
            let _ = reader.cancel();
            out.extend_from_slice(&value.subarray(0, (max - start) as u32).to_vec());
            return Err(BodyError::TooLarge(Bytes::from(out)));
        }
        out.resize(start + length, 0);
        value.copy_to(&mut out[start..]);
    }
}
