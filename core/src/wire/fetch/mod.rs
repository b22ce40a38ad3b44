//! The fetch wire (wasm32): each attempt is one call of the JavaScript host's `fetch`, or of a
//! `fetch` function the user handed in (a mock, or undici's with a proxy dispatcher).
//!
//! Same interface as the native wire (`wire::native::http::Http`): [`Http::new`] from the
//! client's config, [`Http::build`] once per call, [`Http::send`] once per attempt, returning the
//! same [`Response`] or [`SendError`], so the policy layer above (ledger, retries, timeouts,
//! decoding) is the same code. What differs:
//!
//! - the host picks the protocol, pools connections and does TLS; options that configure those
//!   on the native wire (`http2_prior_knowledge`) are refused when the client is built;
//! - redirects are not followed (`redirect: "manual"`): following one would send `X-API-Key` to
//!   whatever host `Location` names, exactly as on the native wire;
//! - each attempt has an `AbortController`: when the attempt's future is dropped (its timeout ran
//!   out, or the caller's `AbortSignal` fired) the request is aborted, so the host closes it;
//! - `fetch` does not say whether a failed request reached the server, except for a few errors
//!   that name a connect failure (`errors.rs`); any other failure counts as possibly sent, so a
//!   chat is never resent after it.
//!
//! An attempt crosses into JavaScript once: `send.js` calls `fetch`, reads the head and the body,
//! and reports to a callback made once per module (`settle.rs`); `read.rs` turns what it hands
//! back into a [`Response`]. Why: bench/README.md, "The WebAssembly build".

mod abort;
mod errors;
mod read;
mod settle;
pub(crate) mod url;

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use http::Method;
use http::uri::PathAndQuery;
use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;
use web_sys::AbortController;

use crate::config::{Config, ProxySetting};
use crate::error::{Error, ErrorKind, Result};
use crate::extra::ExtraParams;
use crate::runtime::SingleThreaded;
use crate::secret::ApiKey;
use crate::wire::request::ApiRequest;
use crate::wire::response::{Response, SendError};

use abort::AbortOnDrop;
use errors::FetchError;
pub(crate) use read::ResponseHeaders;

#[wasm_bindgen(module = "/src/wire/fetch/send.js")]
extern "C" {
    /// One attempt: `fetch` (the user's function, else the host's global one, looked up at each
    /// call so that a mock installed after the client was built is used, as with openai-node),
    /// then the response's head and body; the outcome (a `read::Exchange`, `null` for a value
    /// that is not a Response, or the rejection) goes to `settled` with `slot` (see send.js).
    #[wasm_bindgen(catch)]
    #[allow(clippy::too_many_arguments)]
    fn send(
        fetch: Option<&js_sys::Function>,
        url: &str,
        method: &str,
        headers: &JsValue,
        body: Option<&Uint8Array>,
        controller: &AbortController,
        max: f64,
        slot: u32,
        settled: &js_sys::Function,
    ) -> std::result::Result<(), JsValue>;
}

/// A `fetch` function handed in by the user.
#[derive(Clone)]
pub(crate) struct FetchFunction(SingleThreaded<js_sys::Function>);

impl FetchFunction {
    pub(crate) fn new(function: js_sys::Function) -> FetchFunction {
        FetchFunction(SingleThreaded(function))
    }
}

/// What every request carries, and the `fetch` it goes through. Deliberately not `Debug`: it
/// holds the API key.
pub(crate) struct Http {
    /// The base URL without a trailing slash; a request's path and query are appended to it.
    base: String,
    api_key: ApiKey,
    user_agent: String,
    fetch: Option<FetchFunction>,
    /// The SDK's headers as a plain object (`{ "x-api-key", accept, "user-agent" }`), made once
    /// and handed to every request without extra headers: `fetch` copies it, and building a
    /// `Headers` per attempt cost several calls across the boundary. The second one adds
    /// `content-type` for requests with a body.
    headers: SingleThreaded<js_sys::Object>,
    headers_with_body: SingleThreaded<js_sys::Object>,
}

/// One request, ready to be sent as many times as the attempt loop needs.
pub(crate) struct Outgoing {
    method: Method,
    url: String,
    body: Option<Bytes>,
    /// Extra headers of the call, if it has any (they replace the SDK's of the same name).
    extra: Option<Arc<ExtraParams>>,
}

impl Outgoing {
    /// Always: an attempt calls `fetch` at once, and what the host then sends is not known.
    /// (The native wire's says whether a timed-out attempt had left the SDK.)
    pub(crate) fn handed_over(&self) -> bool {
        true
    }
}

impl Http {
    pub(crate) fn new(config: &Config) -> Result<Http> {
        // Options of the native wire's connections: the host's fetch makes the connections
        // here, so each is refused rather than ignored.
        let native_only = [
            (config.http2_prior_knowledge, "http2_prior_knowledge"),
            (config.connect_timeout.is_some(), "connect_timeout"),
            (!config.resolve.is_empty(), "resolve"),
            (!config.extra_ca_certs.is_empty(), "extra CA certificates"),
            (matches!(config.proxy, ProxySetting::Url(_)), "proxy"),
        ];
        if let Some((_, option)) = native_only.iter().find(|(set, _)| *set) {
            return Err(Error::new(
                ErrorKind::Configuration,
                format!(
                    "{option} is not supported by the WebAssembly build: the host's fetch makes \
                     the connections (pass a fetch function that does what you need, e.g. one \
                     with an undici dispatcher for a proxy)"
                ),
            ));
        }
        let fixed = |body: bool| {
            let object = js_sys::Object::new();
            let mut pairs = vec![
                ("x-api-key", config.api_key.expose()),
                ("accept", "application/json"),
                ("user-agent", config.user_agent.as_str()),
            ];
            if body {
                pairs.push(("content-type", "application/json"));
            }
            for (name, value) in pairs {
                js_sys::Reflect::set(&object, &name.into(), &value.into()).map_err(|e| {
                    Error::new(
                        ErrorKind::Configuration,
                        FetchError::from_js("headers", &e).to_string(),
                    )
                })?;
            }
            Ok::<_, Error>(SingleThreaded(object))
        };
        Ok(Http {
            base: config.base_url().to_owned(),
            api_key: config.api_key.clone(),
            user_agent: config.user_agent.clone(),
            fetch: config.fetch.clone(),
            headers: fixed(false)?,
            headers_with_body: fixed(true)?,
        })
    }

    /// The request of an [`ApiRequest`] with the call's extra parameters merged in, built once
    /// for all its attempts.
    pub(crate) fn build(
        &self,
        request: &ApiRequest,
        extra: Option<&Arc<ExtraParams>>,
    ) -> Result<Outgoing> {
        let (query, body) = match extra {
            None => (request.query.clone(), request.body.clone()),
            Some(extra) => {
                let route = format!("{} {}", request.method, request.route);
                (
                    extra.apply_query(request.query.as_deref(), &route)?,
                    extra.apply_body(request.body.as_ref(), &route)?,
                )
            }
        };
        let mut target = String::with_capacity(request.path.len() + 64);
        target.push_str(&request.path);
        if let Some(query) = &query {
            target.push('?');
            target.push_str(query);
        }
        // The same check as the native wire: paths hold validated ids and queries are encoded
        // by the endpoints, so this only fails on a bug, before anything is sent.
        if let Err(e) = PathAndQuery::try_from(target.as_str()) {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "could not build the request for {} {}: {e}",
                    request.method, request.route
                ),
            ));
        }
        Ok(Outgoing {
            method: request.method.clone(),
            url: format!("{}{target}", self.base),
            body,
            extra: extra.filter(|e| !e.header_list().is_empty()).cloned(),
        })
    }

    /// Sends a request and reads its response whole, the body up to `max_bytes`.
    ///
    /// `Send` although it holds JavaScript objects: wasm32 has one thread (see
    /// [`SingleThreaded`]).
    pub(crate) fn send<'a>(
        &'a self,
        request: &'a Outgoing,
        max_bytes: usize,
    ) -> impl Future<Output = std::result::Result<Response, SendError>> + Send + 'a {
        SingleThreaded(Box::pin(self.exchange(request, max_bytes)))
    }

    async fn exchange(
        &self,
        request: &Outgoing,
        max_bytes: usize,
    ) -> std::result::Result<Response, SendError> {
        let mut abort = AbortOnDrop::new().map_err(|e| SendError::Connect(Box::new(e)))?;
        // The usual request takes the SDK's headers made once (see `Http::headers`).
        let merged;
        let headers: &JsValue = match (&request.extra, &request.body) {
            (None, None) => &self.headers.0,
            (None, Some(_)) => &self.headers_with_body.0,
            (Some(extra), _) => {
                merged = self
                    .merged_headers(request, extra)
                    .map_err(|e| SendError::Connect(Box::new(e)))?;
                &merged
            }
        };
        let body = request
            .body
            .as_ref()
            .map(|body| Uint8Array::from(&body[..]));
        let fetch = self.fetch.as_ref().map(|f| &f.0.0);
        let pending = settle::Pending::new();
        let called = send(
            fetch,
            &request.url,
            request.method.as_str(),
            headers,
            body.as_ref(),
            abort.controller(),
            max_bytes as f64,
            pending.slot(),
            &settle::Pending::callback(),
        );
        // A function that throws at once (no `fetch` in this host, a mock refusing) sent nothing.
        if let Err(e) = called {
            pending.release();
            return Err(SendError::Connect(Box::new(FetchError::from_js(
                "fetch", &e,
            ))));
        }
        let exchange: read::Exchange = match pending.await {
            Ok(value) if value.is_null() => {
                return Err(SendError::Lost(Box::new(FetchError::new(
                    "the fetch function resolved to something that is not a Response",
                ))));
            }
            Ok(value) => value.unchecked_into(),
            Err(e) => return Err(errors::classify(&e)),
        };
        abort.disarm();
        let received = exchange.received();
        let (status, meta) = (received.status, received.meta);
        match received.body {
            Ok(body) => Ok(Response {
                status,
                meta,
                headers: received.headers,
                body,
            }),
            Err(read::BodyError::TooLarge(head)) => Err(SendError::TooLarge { status, meta, head }),
            Err(read::BodyError::Lost(source)) => Err(SendError::BodyLost {
                status,
                meta,
                source: Box::new(source),
            }),
            Err(read::BodyError::Malformed(source)) => Err(SendError::Malformed {
                status: Some(status),
                meta,
                source: Box::new(source),
            }),
            Err(read::BodyError::Undecodable(source)) => Err(SendError::Unreadable {
                status,
                meta,
                reason: format!("the host's fetch could not decode it ({source})"),
            }),
        }
    }

    /// The SDK's headers with the call's extra ones merged in (they replace the SDK's of the
    /// same name).
    fn merged_headers(
        &self,
        request: &Outgoing,
        extra: &ExtraParams,
    ) -> std::result::Result<JsValue, FetchError> {
        let headers = web_sys::Headers::new().map_err(|e| FetchError::from_js("Headers", &e))?;
        let set = |name: &str, value: &str| {
            headers
                .set(name, value)
                .map_err(|e| FetchError::from_js("Headers.set", &e))
        };
        set("x-api-key", self.api_key.expose())?;
        set("accept", "application/json")?;
        set("user-agent", &self.user_agent)?;
        if request.body.is_some() && !extra.has_header("content-type") {
            set("content-type", "application/json")?;
        }
        // Reserved names (the key, framing) were refused when the extras were made.
        for (name, value) in extra.header_list() {
            let value = value.to_str().map_err(|_| {
                FetchError::new(format!("header {name}: fetch takes only text values"))
            })?;
            set(name.as_str(), value)?;
        }
        Ok(headers.into())
    }
}
