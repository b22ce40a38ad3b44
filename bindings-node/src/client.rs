//! `NativeClient`: a `delegir::Client` behind a napi class, one method per API call.
//!
//! Each method converts its arguments, applies the per-call options (`timeout`, `maxRetries`)
//! with `Client::with_options`, starts the core's call on the runtime and resolves to the result's
//! JSON or a `NativeError` (see `runtime.rs`). Arguments are positional, not an options object,
//! because every property read from a JavaScript object is a boundary crossing.

use std::future::Future;
use std::sync::Arc;

use delegir::validate::{self, DurationUnit};
use delegir::{Client, RunPager};
use delegir_js::{ClientOptions, IntoPayload, ViewOptions};
use futures::FutureExt;
use napi::bindgen_prelude::{Function, PromiseRaw};
use napi::{Either, Env, Result};
use napi_derive::napi;

use crate::cancel::CancelToken;
use crate::error::NativeError;
use crate::logging::{self, AttemptRecord};
use crate::models::{NativeAgentUpdate, NativeRateLimit, to_js};
use crate::runtime::{self, Outcome};

/// Client settings as the TypeScript layer passes them (durations in milliseconds). Anything
/// left out falls back to the environment (`DELEGIR_API_KEY`, `DELEGIR_BASE_URL`) or the core's
/// defaults.
#[napi(object)]
pub struct NativeClientOptions {
    /// The API key.
    pub api_key: Option<String>,
    /// The base URL, e.g. `https://delegir.com/api/v1`.
    pub base_url: Option<String>,
    /// Timeout of each attempt, in milliseconds.
    pub timeout: Option<f64>,
    /// Retries after the first attempt.
    pub max_retries: Option<f64>,
    /// Bound on everything one call does, in milliseconds.
    pub total_timeout: Option<f64>,
    /// Headers every call sends.
    pub default_headers: Option<std::collections::HashMap<String, String>>,
    /// Query parameters every call sends (values already strings).
    pub default_query: Option<std::collections::HashMap<String, String>>,
    /// Longest wait for a rate-limit window, in milliseconds.
    pub max_rate_limit_wait: Option<f64>,
    /// Whether the shared rate-limit ledger paces requests.
    pub rate_limit: Option<bool>,
    /// Where the ledger is shared between processes: a `redis://` or `rediss://` URL.
    pub rate_limit_store: Option<String>,
    /// Allows plain `http://` to hosts other than loopback.
    pub allow_insecure_http: Option<bool>,
    /// Speaks HTTP/2 from the first byte (h2c) instead of HTTP/1.1.
    pub http2_prior_knowledge: Option<bool>,
    /// The proxy URL (`http://user:password@host:3128`); else the environment's.
    pub proxy: Option<String>,
    /// `false` ignores `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NODE_EXTRA_CA_CERTS`.
    pub trust_env: Option<bool>,
    /// A PEM file of certificate authorities trusted in addition to the platform's.
    pub extra_ca_certs: Option<String>,
    /// Longest time spent opening a connection, in milliseconds.
    pub connect_timeout: Option<f64>,
}

/// A client of the Delegir API (the native half of `Delegir`).
#[napi]
pub struct NativeClient {
    pub(crate) client: Client,
    /// Where a raw-response view leaves its call's response (`options.rs`).
    pub(crate) capture: Option<delegir::ResponseCapture>,
}

/// Builds a client, or returns why it cannot be built (missing key, bad URL, bad option).
/// `on_attempt`, when given, receives one record per attempt.
#[napi]
pub fn create_client(
    env: Env,
    mut options: NativeClientOptions,
    on_attempt: Option<Function<'_, AttemptRecord, ()>>,
) -> Result<Either<NativeClient, NativeError>> {
    let mut builder = crate::user_agent::identify(&env, Client::builder());
    if let Some(key) = options.api_key {
        builder = builder.api_key(key);
    }
    if let Some(url) = options.base_url {
        builder = builder.base_url(url);
    }
    let common = ClientOptions {
        timeout: options.timeout,
        total_timeout: options.total_timeout,
        max_retries: options.max_retries,
        max_rate_limit_wait: options.max_rate_limit_wait,
        default_headers: options
            .default_headers
            .take()
            .unwrap_or_default()
            .into_iter()
            .collect(),
        default_query: options
            .default_query
            .take()
            .unwrap_or_default()
            .into_iter()
            .collect(),
        rate_limit: options.rate_limit,
        allow_insecure_http: options.allow_insecure_http,
        http2_prior_knowledge: options.http2_prior_knowledge,
    };
    // The native wire's own: connections, proxies, certificates, the Redis store.
    let connect_timeout = options
        .connect_timeout
        .map(|ms| validate::duration("connectTimeout", ms, DurationUnit::Milliseconds, false))
        .transpose();
    let mut builder = match (common.apply(builder), connect_timeout) {
        (Ok(builder), Ok(None)) => builder,
        (Ok(builder), Ok(Some(connect))) => builder.connect_timeout(connect),
        (Err(e), _) | (_, Err(e)) => return Ok(Either::B(NativeError::from(e))),
    };
    if let Some(store) = options.rate_limit_store {
        builder = builder.rate_limit_store(store);
    }
    let trust_env = options.trust_env.unwrap_or(true);
    builder = match options.proxy {
        Some(url) => builder.proxy(url),
        None if !trust_env => builder.no_proxy(),
        None => builder,
    };
    // Node's own variable for extra certificate authorities, then the option.
    if let Some(path) =
        std::env::var_os("NODE_EXTRA_CA_CERTS").filter(|p| trust_env && !p.is_empty())
    {
        builder = builder.extra_ca_certs_from(path, "NODE_EXTRA_CA_CERTS");
    }
    if let Some(path) = options.extra_ca_certs {
        builder = builder.extra_ca_certs_from(path, "extraCaCerts");
    }
    if let Some(callback) = on_attempt {
        builder = builder.on_attempt(logging::observer(callback)?);
    }
    Ok(match builder.build() {
        Ok(client) => Either::A(NativeClient {
            client,
            capture: None,
        }),
        Err(e) => Either::B(NativeError::from(e)),
    })
}

impl NativeClient {
    /// The client the call uses: this one, or a view with the per-call options.
    fn with(
        &self,
        timeout: Option<f64>,
        max_retries: Option<f64>,
    ) -> std::result::Result<Client, NativeError> {
        Ok(match ViewOptions::per_call(timeout, max_retries)? {
            Some(options) => self.client.with_options(options),
            None => self.client.clone(),
        })
    }

    /// Starts `call` with the per-call options applied; resolves to its JSON or failure.
    fn call<'env, T, F, Fut>(
        &self,
        env: &'env Env,
        timeout: Option<f64>,
        max_retries: Option<f64>,
        cancel: Option<&CancelToken>,
        call: F,
    ) -> Result<PromiseRaw<'env, Outcome>>
    where
        T: IntoPayload,
        F: FnOnce(Client) -> Fut,
        Fut: Future<Output = delegir::Result<T>> + Send + 'static,
    {
        let client = match self.with(timeout, max_retries) {
            Ok(client) => client,
            Err(e) => return runtime::fail(env, e),
        };
        // A combinator, not `async move { future.await ... }`, which would hold the captured
        // future next to the one it awaits (twice the task's size).
        let future = call(client).map(|result| to_js(&result.map_err(NativeError::from)?));
        runtime::run(env, cancel.map(CancelToken::watch), future)
    }
}

#[napi]
impl NativeClient {
    /// The base URL requests go to (never the key).
    #[napi(getter)]
    pub fn base_url(&self) -> String {
        self.client.config().base_url().to_owned()
    }

    /// The rate-limit headers of the last response any client of this key received.
    #[napi(getter)]
    pub fn rate_limit(&self) -> Option<NativeRateLimit> {
        self.client.rate_limit().as_ref().map(NativeRateLimit::from)
    }

    /// `GET /agents`.
    #[napi(ts_return_type = "Promise<string | NativeError>")]
    pub fn list<'env>(
        &self,
        env: &'env Env,
        timeout: Option<f64>,
        max_retries: Option<f64>,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        self.call(env, timeout, max_retries, cancel, |c| async move {
            c.agents().list().await
        })
    }

    /// `GET /agents/:id`.
    #[napi(ts_return_type = "Promise<string | NativeError>")]
    pub fn get<'env>(
        &self,
        env: &'env Env,
        id: String,
        timeout: Option<f64>,
        max_retries: Option<f64>,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        self.call(env, timeout, max_retries, cancel, |c| async move {
            c.agents().get(&id).await
        })
    }

    /// `PUT /agents/:id`.
    #[napi(ts_return_type = "Promise<string | NativeError>")]
    pub fn update<'env>(
        &self,
        env: &'env Env,
        id: String,
        update: NativeAgentUpdate,
        timeout: Option<f64>,
        max_retries: Option<f64>,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        let update = match delegir::AgentUpdate::try_from(update) {
            Ok(update) => update,
            Err(e) => return runtime::fail(env, NativeError::from(e)),
        };
        self.call(env, timeout, max_retries, cancel, |c| async move {
            c.agents().update(&id, &update).await
        })
    }

    /// `DELETE /agents/:id`.
    #[napi(ts_return_type = "Promise<string | NativeError>")]
    pub fn delete<'env>(
        &self,
        env: &'env Env,
        id: String,
        timeout: Option<f64>,
        max_retries: Option<f64>,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        self.call(env, timeout, max_retries, cancel, |c| async move {
            c.agents().delete(&id).await
        })
    }

    /// `POST /agents/:id/chat`.
    #[napi(ts_return_type = "Promise<string | NativeError>")]
    pub fn chat<'env>(
        &self,
        env: &'env Env,
        id: String,
        message: String,
        timeout: Option<f64>,
        max_retries: Option<f64>,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        self.call(env, timeout, max_retries, cancel, |c| async move {
            c.agents().chat(&id, &message).await
        })
    }

    /// `GET /agents/:id/runs`; `limit` and `offset` are checked by the core. Resolves to the
    /// page's columns (`bindings-js/src/run_columns.rs`).
    #[napi(ts_return_type = "Promise<[string, Float64Array, string?] | NativeError>")]
    #[allow(clippy::too_many_arguments)]
    pub fn runs<'env>(
        &self,
        env: &'env Env,
        id: String,
        limit: Option<i64>,
        offset: Option<i64>,
        timeout: Option<f64>,
        max_retries: Option<f64>,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        let query = match delegir::validate::runs_query(limit, offset) {
            Ok(query) => query,
            Err(e) => return runtime::fail(env, NativeError::from(e)),
        };
        self.call(env, timeout, max_retries, cancel, |c| async move {
            c.agents().runs(&id, query).await
        })
    }

    /// A pager over every run of an agent (the core's `RunPager`), with the per-call options
    /// applied to every page. An invalid id or page size surfaces on the first page.
    #[napi]
    pub fn runs_pager(
        &self,
        id: String,
        page_size: Option<i64>,
        timeout: Option<f64>,
        max_retries: Option<f64>,
    ) -> Either<NativeRunPager, NativeError> {
        match self.with(timeout, max_retries) {
            Ok(client) => Either::A(NativeRunPager {
                pager: Arc::new(tokio::sync::Mutex::new(
                    client.agents().runs_pager(&id, page_size),
                )),
            }),
            Err(e) => Either::B(e),
        }
    }

    /// `GET /usage`.
    #[napi(ts_return_type = "Promise<string | NativeError>")]
    pub fn usage<'env>(
        &self,
        env: &'env Env,
        timeout: Option<f64>,
        max_retries: Option<f64>,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        self.call(env, timeout, max_retries, cancel, |c| async move {
            c.usage().get().await
        })
    }
}

/// Pages through every run of an agent: one boundary crossing per page.
#[napi]
pub struct NativeRunPager {
    pager: Arc<tokio::sync::Mutex<RunPager>>,
}

#[napi]
impl NativeRunPager {
    /// The next page's runs as columns (`bindings-js/src/run_columns.rs`), or `"null"` once every run has been
    /// yielded. Cancelling leaves the pager where it was: the same page is fetched next time.
    #[napi(ts_return_type = "Promise<[string, Float64Array, string?] | string | NativeError>")]
    pub fn next_page<'env>(
        &self,
        env: &'env Env,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        let pager = Arc::clone(&self.pager);
        runtime::run(env, cancel.map(CancelToken::watch), async move {
            let page = pager.lock().await.next_page().await;
            to_js(&page.map_err(NativeError::from)?)
        })
    }
}
