//! Reading what `send.js` hands back: the relevant headers, the body, the `Headers` object.

use bytes::Bytes;
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use super::errors::{self, Failure, FetchError};
use crate::runtime::SingleThreaded;
use crate::wire::headers::{Relevant, ResponseMeta};
use crate::wire::raw_headers::RawHeaders;

#[wasm_bindgen(module = "/src/wire/fetch/send.js")]
extern "C" {
    /// What one attempt received (`send.js`).
    pub(super) type Exchange;
    #[wasm_bindgen(method, getter)]
    fn status(this: &Exchange) -> u16;
    #[wasm_bindgen(method, getter)]
    fn headers(this: &Exchange) -> web_sys::Headers;
    #[wasm_bindgen(method, getter)]
    fn meta(this: &Exchange) -> String;
    #[wasm_bindgen(method, getter)]
    fn body(this: &Exchange) -> Option<Uint8Array>;
    #[wasm_bindgen(method, getter, js_name = tooLarge)]
    fn too_large(this: &Exchange) -> bool;
    #[wasm_bindgen(method, getter)]
    fn failure(this: &Exchange) -> JsValue;
    #[wasm_bindgen(method, getter, js_name = failedAt)]
    fn failed_at(this: &Exchange) -> String;
}

/// A response as the fetch wire returns it.
pub(super) struct Received {
    pub(super) status: u16,
    pub(super) meta: ResponseMeta,
    pub(super) headers: RawHeaders,
    pub(super) body: Result<Bytes, BodyError>,
}

/// Why the body could not be read whole.
pub(super) enum BodyError {
    /// Larger than the cap; what was read of it.
    TooLarge(Bytes),
    /// The stream failed (connection lost, aborted).
    Lost(FetchError),
    /// The host's HTTP parser refused the body's framing (chunked encoding, length).
    Malformed(FetchError),
    /// The host could not decode the body (gzip or deflate that does not decode).
    Undecodable(FetchError),
}

impl Exchange {
    pub(super) fn received(&self) -> Received {
        let meta_lines = self.meta();
        let mut relevant = Relevant::default();
        for line in meta_lines.lines() {
            if let Some((name, value)) = line.split_once(':') {
                relevant.offer(name, value.as_bytes());
            }
        }
        let body = match self.body() {
            Some(bytes) if self.too_large() => {
                Err(BodyError::TooLarge(Bytes::from(bytes.to_vec())))
            }
            Some(bytes) => Ok(Bytes::from(bytes.to_vec())),
            None => {
                let failure = self.failure();
                let error = FetchError::from_js(&self.failed_at(), &failure);
                Err(match errors::failure(&failure) {
                    Failure::Protocol => BodyError::Malformed(error),
                    Failure::Decoding => BodyError::Undecodable(error),
                    Failure::Connect | Failure::Other => BodyError::Lost(error),
                })
            }
        };
        Received {
            status: self.status(),
            meta: relevant.parse(),
            headers: RawHeaders::Fetch(ResponseHeaders(SingleThreaded(self.headers()))),
            body,
        }
    }
}

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
