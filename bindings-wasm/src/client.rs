//! `NativeClient`: a `delegir::Client` behind a wasm-bindgen class, one method per API call, the
//! same methods and arguments as the napi addon's (`bindings-node/src/client.rs`), so that one
//! TypeScript layer drives either. Each method converts its arguments, applies the per-call
//! options with `Client::with_options`, runs the core's call as a promise and resolves to the
//! result's JSON or a `NativeError` object (it never rejects for an API failure).

use std::future::Future;
use std::rc::Rc;

use delegir::validate;
use delegir::{Client, RequestOptions, ResponseCapture, RunPager};
use delegir_js::{ClientOptions, ConfigUpdateArgs, IntoPayload, ViewOptions, agent_update};
use futures::FutureExt;
use futures::lock::Mutex;
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;

use crate::cancel::{CancelToken, Cancelled};
use crate::error::{self, native_error};
use crate::executor::{self, CallFuture};
use crate::logging;
use crate::payload::to_js;

/// Environment variables the core reads when an option is left out; the TypeScript layer reads
/// them from the host (`process.env`, `Deno.env`) since wasm32 has no environment of its own.
const ENV_VARS: [&str; 2] = [delegir::API_KEY_ENV, delegir::BASE_URL_ENV];

/// What the host's fetch does instead of the napi addon's connection options.
const FETCH_CONNECTS: &str = "the host's fetch makes the connections (pass a fetch function that \
     does what you need, e.g. undici's fetch with a ProxyAgent dispatcher)";

/// Options of the napi addon that configure its own connections or a Redis store, with why the
/// WebAssembly build has none.
const NATIVE_ONLY: [(&str, &str); 4] = [
    ("proxy", FETCH_CONNECTS),
    ("extraCaCerts", FETCH_CONNECTS),
    ("connectTimeout", FETCH_CONNECTS),
    (
        "rateLimitStore",
        "it cannot open the connection to Redis that sharing the rate-limit ledger needs; on \
         this build each client keeps a ledger of its own, which paces that client's calls only",
    ),
];

/// A client of the Delegir API (the WebAssembly half of `Delegir`).
#[wasm_bindgen]
pub struct NativeClient {
    client: Client,
    /// Where a raw-response view leaves its call's response (`capturing`).
    capture: Option<ResponseCapture>,
}

/// A property of a plain options object; `undefined` and `null` read as absent.
fn property(object: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(object, &JsValue::from_str(key))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

fn string(object: &JsValue, key: &str) -> Option<String> {
    property(object, key).and_then(|v| v.as_string())
}

fn number(object: &JsValue, key: &str) -> Option<f64> {
    property(object, key).and_then(|v| v.as_f64())
}

fn boolean(object: &JsValue, key: &str) -> Option<bool> {
    property(object, key).and_then(|v| v.as_bool())
}

/// The string-valued properties of an object property (`{ name: value }`), in their order; the
/// TypeScript layer checked that the values are strings.
fn string_entries(object: &JsValue, key: &str) -> Vec<(String, String)> {
    let Some(map) = property(object, key) else {
        return Vec::new();
    };
    js_sys::Object::entries(map.unchecked_ref())
        .iter()
        .filter_map(|entry| {
            let pair: js_sys::Array = entry.unchecked_into();
            Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
        })
        .collect()
}

/// Per-call or view options as the core's [`RequestOptions`] (`bindings-js` converts).
fn request_options(options: &JsValue) -> Result<RequestOptions, JsValue> {
    let view = ViewOptions {
        timeout: number(options, "timeout"),
        max_retries: number(options, "maxRetries"),
        total_timeout: number(options, "totalTimeout"),
        headers: string_entries(options, "headers"),
        query: string_entries(options, "query"),
        body: string(options, "body"),
    };
    view.request_options().map_err(|e| native_error(&e))
}

/// Builds a client from the options object (`apiKey`, `baseUrl`, `timeout`, `maxRetries`,
/// `maxRateLimitWait`, `rateLimit`, `allowInsecureHttp`, `http2PriorKnowledge`, `fetch`, and
/// `env`: the host's environment variables), or returns why it cannot be built. The TypeScript
/// layer checked the options' types. `on_attempt`, when given, receives one record per attempt.
#[wasm_bindgen(js_name = createClient)]
pub fn create_client(options: JsValue, on_attempt: Option<Function>) -> JsValue {
    match build(&options, on_attempt) {
        Ok(client) => NativeClient {
            client,
            capture: None,
        }
        .into(),
        Err(e) => e,
    }
}

fn build(options: &JsValue, on_attempt: Option<Function>) -> Result<Client, JsValue> {
    let fail = |e: delegir::Error| native_error(&e);
    // The native wire's connection options: here the host's fetch connects, so each is refused
    // rather than ignored (`trustEnv` is accepted: nothing is read from the environment here
    // but the key and base URL the TypeScript layer hands over).
    for (option, why) in NATIVE_ONLY {
        if property(options, option).is_some() {
            return Err(error::bare(
                "configuration",
                &format!("{option} is not supported by the WebAssembly build: {why}"),
                false,
            ));
        }
    }
    // `delegir-node/0.1.0 (Node.js 20.19.0; wasm32) delegir-rust/0.1.0`: the addon's form, with
    // the runtime the TypeScript layer detected.
    let mut builder = Client::builder().binding_user_agent(
        concat!("delegir-node/", env!("CARGO_PKG_VERSION")),
        string(options, "runtime").unwrap_or_else(|| "JavaScript".to_owned()),
    );
    if let Some(env) = property(options, "env") {
        let vars = ENV_VARS
            .iter()
            .filter_map(|name| string(&env, name).map(|value| ((*name).to_owned(), value)))
            .collect();
        builder = builder.environment(vars);
    }
    if let Some(key) = string(options, "apiKey") {
        builder = builder.api_key(key);
    }
    if let Some(url) = string(options, "baseUrl") {
        builder = builder.base_url(url);
    }
    let common = ClientOptions {
        timeout: number(options, "timeout"),
        total_timeout: number(options, "totalTimeout"),
        max_retries: number(options, "maxRetries"),
        max_rate_limit_wait: number(options, "maxRateLimitWait"),
        default_headers: string_entries(options, "defaultHeaders"),
        default_query: string_entries(options, "defaultQuery"),
        rate_limit: boolean(options, "rateLimit"),
        allow_insecure_http: boolean(options, "allowInsecureHttp"),
        http2_prior_knowledge: boolean(options, "http2PriorKnowledge"),
    };
    builder = common.apply(builder).map_err(fail)?;
    if let Some(fetch) = property(options, "fetch") {
        builder = builder.fetch(fetch.unchecked_into());
    }
    if let Some(sink) = on_attempt {
        builder = builder.on_attempt(logging::observer(sink));
    }
    builder.build().map_err(fail)
}

/// A failure known before the call starts, as an already settled call.
fn settled(failure: JsValue) -> Promise {
    Promise::resolve(&failure)
}

/// Runs `call` as a promise of its result (`payload.rs`) or failure; a fired `cancel` drops the
/// call (which aborts its fetch) and resolves to an `aborted` failure.
fn run<F, T>(cancel: Option<CancelToken>, call: F) -> Promise
where
    F: Future<Output = delegir::Result<T>> + 'static,
    T: IntoPayload,
{
    let call = call.map(|result| match result {
        Ok(value) => match to_js(&value) {
            Ok(payload) => payload,
            Err(e) => error::bare("response_validation", &e.to_string(), true),
        },
        Err(e) => native_error(&e),
    });
    settle(cancel, Box::pin(call))
}

/// The promise of a call's outcome. Not generic: the promise machinery (and the inlined call
/// poll inside it) was compiled once per method and again with and without a cancel token, ~14
/// copies in the module; the box costs one allocation per call.
fn settle(cancel: Option<CancelToken>, call: CallFuture) -> Promise {
    match cancel {
        None => executor::spawn(call),
        Some(token) => {
            let cancelled = Cancelled::new(token);
            executor::spawn(Box::pin(futures::future::select(call, cancelled).map(
                |winner| match winner {
                    futures::future::Either::Left((outcome, _)) => outcome,
                    futures::future::Either::Right(((), _)) => error::aborted(),
                },
            )))
        }
    }
}

impl NativeClient {
    /// The client the call uses: this one, or a view with the per-call options.
    fn with(&self, timeout: Option<f64>, max_retries: Option<f64>) -> Result<Client, JsValue> {
        match ViewOptions::per_call(timeout, max_retries) {
            Ok(Some(options)) => Ok(self.client.with_options(options)),
            Ok(None) => Ok(self.client.clone()),
            Err(e) => Err(native_error(&e)),
        }
    }

    /// Starts `call` with the per-call options applied.
    fn call<T, F, Fut>(
        &self,
        timeout: Option<f64>,
        max_retries: Option<f64>,
        cancel: Option<CancelToken>,
        call: F,
    ) -> Promise
    where
        T: IntoPayload,
        F: FnOnce(Client) -> Fut,
        Fut: Future<Output = delegir::Result<T>> + 'static,
    {
        match self.with(timeout, max_retries) {
            Ok(client) => run(cancel, call(client)),
            Err(failure) => settled(failure),
        }
    }
}

#[wasm_bindgen]
impl NativeClient {
    /// The base URL requests go to (never the key).
    #[wasm_bindgen(getter = baseUrl)]
    pub fn base_url(&self) -> String {
        self.client.config().base_url().to_owned()
    }

    /// The rate-limit headers of the last response any client of this key received.
    #[wasm_bindgen(getter = rateLimit)]
    pub fn rate_limit(&self) -> JsValue {
        match self.client.rate_limit() {
            Some(r) => error::rate_limit(&r),
            None => JsValue::NULL,
        }
    }

    /// A view with these options (`timeout`, `maxRetries`, `totalTimeout`, `headers`, `query`,
    /// `body`) over this client's, sharing its ledger; or why the options are invalid.
    #[wasm_bindgen(js_name = withOptions)]
    pub fn with_options(&self, options: JsValue) -> JsValue {
        match request_options(&options) {
            Ok(request) => NativeClient {
                client: self.client.with_options(request),
                capture: self.capture.clone(),
            }
            .into(),
            Err(failure) => failure,
        }
    }

    /// A view whose calls leave their response for `takeResponse`.
    pub fn capturing(&self) -> NativeClient {
        let (client, capture) = self.client.capturing();
        NativeClient {
            client,
            capture: Some(capture),
        }
    }

    /// The response of the last call made through this capturing view, once: `{ status,
    /// headers: [[name, value]], rateLimit, attempts, elapsedMs, body }`, or `null`.
    #[wasm_bindgen(js_name = takeResponse)]
    pub fn take_response(&self) -> JsValue {
        let Some(info) = self.capture.as_ref().and_then(ResponseCapture::take) else {
            return JsValue::NULL;
        };
        let object = js_sys::Object::new();
        let set = |key: &str, value: JsValue| {
            let _ = Reflect::set(&object, &JsValue::from_str(key), &value);
        };
        set("status", f64::from(info.status).into());
        set("headers", error::header_pairs(&info.headers).into());
        set(
            "rateLimit",
            info.rate_limit
                .as_ref()
                .map_or(JsValue::NULL, error::rate_limit),
        );
        set("attempts", f64::from(info.attempts).into());
        set("elapsedMs", (info.elapsed.as_secs_f64() * 1000.0).into());
        set("body", info.text().into());
        object.into()
    }

    /// `GET /agents`.
    pub fn list(
        &self,
        timeout: Option<f64>,
        max_retries: Option<f64>,
        cancel: Option<CancelToken>,
    ) -> Promise {
        self.call(timeout, max_retries, cancel, |c| async move {
            c.agents().list().await
        })
    }

    /// `GET /agents/:id`.
    pub fn get(
        &self,
        id: String,
        timeout: Option<f64>,
        max_retries: Option<f64>,
        cancel: Option<CancelToken>,
    ) -> Promise {
        self.call(timeout, max_retries, cancel, |c| async move {
            c.agents().get(&id).await
        })
    }

    /// `PUT /agents/:id`; `update` is `{ name?, status?, config?: { model?, systemPrompt?,
    /// temperature?, maxTokens? } }`.
    pub fn update(
        &self,
        id: String,
        update: JsValue,
        timeout: Option<f64>,
        max_retries: Option<f64>,
        cancel: Option<CancelToken>,
    ) -> Promise {
        let config = property(&update, "config").map(|c| ConfigUpdateArgs {
            model: string(&c, "model"),
            system_prompt: string(&c, "systemPrompt"),
            temperature: number(&c, "temperature"),
            // A whole number (the TypeScript layer checked); the core checks its range.
            max_tokens: number(&c, "maxTokens").map(|n| n as i64),
        });
        let update = match agent_update(string(&update, "name"), string(&update, "status"), config)
        {
            Ok(update) => update,
            Err(e) => return settled(native_error(&e)),
        };
        self.call(timeout, max_retries, cancel, |c| async move {
            c.agents().update(&id, &update).await
        })
    }

    /// `DELETE /agents/:id`.
    pub fn delete(
        &self,
        id: String,
        timeout: Option<f64>,
        max_retries: Option<f64>,
        cancel: Option<CancelToken>,
    ) -> Promise {
        self.call(timeout, max_retries, cancel, |c| async move {
            c.agents().delete(&id).await
        })
    }

    /// `POST /agents/:id/chat`.
    pub fn chat(
        &self,
        id: String,
        message: String,
        timeout: Option<f64>,
        max_retries: Option<f64>,
        cancel: Option<CancelToken>,
    ) -> Promise {
        self.call(timeout, max_retries, cancel, |c| async move {
            c.agents().chat(&id, &message).await
        })
    }

    /// `GET /agents/:id/runs`; `limit` and `offset` are checked by the core.
    pub fn runs(
        &self,
        id: String,
        limit: Option<f64>,
        offset: Option<f64>,
        timeout: Option<f64>,
        max_retries: Option<f64>,
        cancel: Option<CancelToken>,
    ) -> Promise {
        // Whole numbers (the TypeScript layer checked); the core checks their range.
        let query = match validate::runs_query(limit.map(|n| n as i64), offset.map(|n| n as i64)) {
            Ok(query) => query,
            Err(e) => return settled(native_error(&e)),
        };
        self.call(timeout, max_retries, cancel, |c| async move {
            c.agents().runs(&id, query).await
        })
    }

    /// A pager over every run of an agent (the core's `RunPager`), with the per-call options
    /// applied to every page. An invalid id or page size surfaces on the first page.
    #[wasm_bindgen(js_name = runsPager)]
    pub fn runs_pager(
        &self,
        id: String,
        page_size: Option<f64>,
        timeout: Option<f64>,
        max_retries: Option<f64>,
    ) -> JsValue {
        match self.with(timeout, max_retries) {
            Ok(client) => NativeRunPager {
                pager: Rc::new(Mutex::new(
                    client.agents().runs_pager(&id, page_size.map(|n| n as i64)),
                )),
            }
            .into(),
            Err(failure) => failure,
        }
    }

    /// `GET /usage`.
    pub fn usage(
        &self,
        timeout: Option<f64>,
        max_retries: Option<f64>,
        cancel: Option<CancelToken>,
    ) -> Promise {
        self.call(timeout, max_retries, cancel, |c| async move {
            c.usage().get().await
        })
    }
}

/// Pages through every run of an agent: one boundary crossing per page.
#[wasm_bindgen]
pub struct NativeRunPager {
    pager: Rc<Mutex<RunPager>>,
}

#[wasm_bindgen]
impl NativeRunPager {
    /// The next page's runs as columns (`payload.rs`), or `"null"` once every run has been
    /// yielded.
    /// Cancelling leaves the pager where it was: the same page is fetched next time.
    #[wasm_bindgen(js_name = nextPage)]
    pub fn next_page(&self, cancel: Option<CancelToken>) -> Promise {
        let pager = Rc::clone(&self.pager);
        run(cancel, async move { pager.lock().await.next_page().await })
    }
}
