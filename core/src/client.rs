//! The client and its resource handles (`agents()`, `usage()`).

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use http::Method;

use crate::builder::ClientBuilder;
use crate::config::{Config, RequestOptions};
use crate::error::{Error, ErrorKind, Result};
use crate::models::{
    Agent, AgentDetail, AgentUpdate, ChatReply, DeletedAgent, RateLimit, Run, RunPage, RunsQuery,
    UpdatedAgent, Usage,
};
use crate::pagination::RunPager;
use crate::policy::transport::Transport;
use crate::response::{ApiResponse, ResponseCapture};
use crate::validate;
use crate::wire::request::{ApiRequest, Idempotency};

/// A client of the Delegir API. Cheap to clone (clones share one connection pool and one
/// rate-limit ledger), `Send + Sync`.
///
/// ```no_run
/// # async fn demo() -> delegir::Result<()> {
/// let client = delegir::Client::from_env()?;
/// for agent in client.agents().list().await? {
///     println!("{} ({:?})", agent.name, agent.status);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    /// Shared by every clone and option view: configuration, pool, ledger.
    pub(crate) transport: Arc<Transport>,
    pub(crate) options: RequestOptions,
    /// Where this view leaves each call's response (raw responses); `None` for ordinary views.
    pub(crate) capture: Option<ResponseCapture>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.transport.config.base_url())
            .field("api_key", &self.transport.config.api_key)
            .field("options", &self.options)
            .finish()
    }
}

impl Client {
    /// Starts building a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from `DELEGIR_API_KEY` and `DELEGIR_BASE_URL`.
    pub fn from_env() -> Result<Client> {
        ClientBuilder::default().build()
    }

    pub(crate) fn from_config(config: Config) -> Result<Client> {
        Ok(Client {
            options: RequestOptions {
                extra: config.defaults.clone(),
                ..RequestOptions::default()
            },
            transport: Arc::new(Transport::new(config)?),
            capture: None,
        })
    }

    /// A view of this client whose calls use `options` (timeout, retries, total timeout, extra
    /// headers, query and body fields) laid over this view's; shares the pool and the ledger.
    ///
    /// ```no_run
    /// # async fn demo(client: delegir::Client) -> delegir::Result<()> {
    /// use std::time::Duration;
    /// let patient = client.with_options(delegir::RequestOptions {
    ///     timeout: Some(Duration::from_secs(120)),
    ///     max_retries: Some(5),
    ///     ..Default::default()
    /// });
    /// patient.usage().get().await?;
    /// # Ok(()) }
    /// ```
    pub fn with_options(&self, options: RequestOptions) -> Client {
        Client {
            transport: Arc::clone(&self.transport),
            options: self.options.merged(&options),
            capture: self.capture.clone(),
        }
    }

    /// A view of this client that leaves the response of each call it makes (status, headers,
    /// rate limit, attempts, elapsed time, body) in the returned [`ResponseCapture`]. What the
    /// bindings' raw responses are made of; Rust code reads [`Client::with_response`].
    pub fn capturing(&self) -> (Client, ResponseCapture) {
        let capture = ResponseCapture::default();
        let view = Client {
            transport: Arc::clone(&self.transport),
            options: self.options.clone(),
            capture: Some(capture.clone()),
        };
        (view, capture)
    }

    /// A view of this client that leaves each call's response in `capture` (see
    /// [`Client::capturing`]).
    pub fn with_capture(&self, capture: &ResponseCapture) -> Client {
        Client {
            transport: Arc::clone(&self.transport),
            options: self.options.clone(),
            capture: Some(capture.clone()),
        }
    }

    /// Makes one call through a capturing view and returns its result with the response it
    /// came from (that call's own status, headers and rate limit, even under concurrency).
    ///
    /// ```no_run
    /// # async fn demo(client: delegir::Client) -> delegir::Result<()> {
    /// let got = client.with_response(|c| async move { c.usage().get().await }).await?;
    /// println!("{} {:?} {:?}", got.response.status, got.response.header("x-request-id"), got.data);
    /// # Ok(()) }
    /// ```
    pub async fn with_response<T, F, Fut>(&self, call: F) -> Result<ApiResponse<T>>
    where
        F: FnOnce(Client) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let (view, capture) = self.capturing();
        let data = call(view).await?;
        let response = capture.take().ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidArgument,
                "with_response: the closure made no call through the client it was given",
            )
        })?;
        Ok(ApiResponse { data, response })
    }

    /// The client's configuration.
    pub fn config(&self) -> &Config {
        &self.transport.config
    }

    /// Agents: list, get, update, delete, chat, runs.
    pub fn agents(&self) -> Agents<'_> {
        Agents { client: self }
    }

    /// Usage of the current billing period.
    pub fn usage(&self) -> UsageApi<'_> {
        UsageApi { client: self }
    }

    /// The rate-limit headers of the last response any clone of this client received.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.transport.rate_limit()
    }
}

/// `client.agents()`.
#[derive(Debug, Clone, Copy)]
pub struct Agents<'a> {
    client: &'a Client,
}

impl Agents<'_> {
    /// `GET /agents`: every agent of the key's owner.
    pub async fn list(&self) -> Result<Vec<Agent>> {
        self.client
            .send(ApiRequest::get("/agents", "/agents".to_owned()))
            .await
    }

    /// `GET /agents/:id`: one agent with its configuration and channels.
    pub async fn get(&self, id: &str) -> Result<AgentDetail> {
        let id = validate::agent_id(id)?;
        self.client
            .send(ApiRequest::get("/agents/:id", format!("/agents/{id}")))
            .await
    }

    /// `PUT /agents/:id`: changes the fields that are set in `update`.
    pub async fn update(&self, id: &str, update: &AgentUpdate) -> Result<UpdatedAgent> {
        let id = validate::agent_id(id)?;
        // Extra body fields (`extra_body`, `options.body`) may be all the update sets.
        let extra_body = self
            .client
            .options
            .extra
            .as_ref()
            .is_some_and(|extra| extra.has_body_fields());
        let update = if extra_body {
            validate::update_fields(update)?
        } else {
            validate::update(update)?
        };
        self.client
            .send(ApiRequest {
                method: Method::PUT,
                path: format!("/agents/{id}"),
                route: "/agents/:id",
                query: None,
                body: Some(to_json(update)?),
                idempotency: Idempotency::Idempotent,
            })
            .await
    }

    /// `DELETE /agents/:id`: deletes the agent with its runs and channels.
    pub async fn delete(&self, id: &str) -> Result<DeletedAgent> {
        let id = validate::agent_id(id)?;
        self.client
            .send(ApiRequest {
                method: Method::DELETE,
                path: format!("/agents/{id}"),
                route: "/agents/:id",
                query: None,
                body: None,
                idempotency: Idempotency::Idempotent,
            })
            .await
    }

    /// `POST /agents/:id/chat`: sends `message` and returns the reply. Each call is a billed
    /// run, so it is never resent once it may have reached the server: after a timeout or a
    /// dropped connection the error's `may_have_reached_server()` is `true`.
    pub async fn chat(&self, id: &str, message: &str) -> Result<ChatReply> {
        let id = validate::agent_id(id)?;
        let message = validate::message(message)?;
        let body = to_json(&serde_json::json!({ "message": message }))?;
        self.client
            .send(ApiRequest {
                method: Method::POST,
                path: format!("/agents/{id}/chat"),
                route: "/agents/:id/chat",
                query: None,
                body: Some(body),
                idempotency: Idempotency::NotIdempotent,
            })
            .await
    }

    /// `GET /agents/:id/runs`: one page of runs, newest first.
    pub async fn runs(&self, id: &str, query: RunsQuery) -> Result<RunPage> {
        let id = validate::agent_id(id)?;
        let query = validate::checked_runs_query(query)?;
        self.client.runs_page(id, query).await
    }

    /// Every run of the agent, newest first, fetched lazily in pages of 100 (the largest page,
    /// so paging spends as little of the rate limit as possible). See [`RunPager`] for how new
    /// runs arriving while paging are handled.
    pub fn runs_stream(&self, id: &str) -> BoxStream<'static, Result<Run>> {
        let pager = self.runs_pager(id, None);
        crate::pagination::into_stream(pager).boxed()
    }

    /// A pager over every run of the agent that yields one page per call; what
    /// [`Agents::runs_stream`] and the bindings' iterators are built on. `page_size` defaults
    /// to 100. An invalid id or page size surfaces as the first item's error.
    pub fn runs_pager(&self, id: &str, page_size: Option<i64>) -> RunPager {
        RunPager::new(self.client.clone(), id, page_size)
    }
}

/// `client.usage()`.
#[derive(Debug, Clone, Copy)]
pub struct UsageApi<'a> {
    client: &'a Client,
}

impl UsageApi<'_> {
    /// `GET /usage`: usage and limits of the current billing period.
    pub async fn get(&self) -> Result<Usage> {
        self.client
            .send(ApiRequest::get("/usage", "/usage".to_owned()))
            .await
    }
}

impl Client {
    /// Fetches one page; `id` and `query` are already checked.
    pub(crate) async fn runs_page(&self, id: &str, query: RunsQuery) -> Result<RunPage> {
        let mut params = Vec::new();
        if let Some(limit) = query.limit {
            params.push(format!("limit={limit}"));
        }
        if let Some(offset) = query.offset {
            params.push(format!("offset={offset}"));
        }
        let mut request = ApiRequest::get("/agents/:id/runs", format!("/agents/{id}/runs"));
        request.query = (!params.is_empty()).then(|| params.join("&"));
        self.send(request).await
    }
}

impl Client {
    /// Sends `request` with this view's options through the shared transport.
    pub(crate) fn send<T: serde::de::DeserializeOwned + 'static>(
        &self,
        request: ApiRequest,
    ) -> impl std::future::Future<Output = Result<T>> + '_ {
        self.transport
            .send(&self.options, self.capture.as_ref(), request)
    }
}

fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<Bytes> {
    serde_json::to_vec(value).map(Bytes::from).map_err(|e| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("could not encode the request body as JSON: {e}"),
        )
    })
}
