//! `NativeClient`: the core's [`delegir::Client`] for the Python layer.
//!
//! Each endpoint has two methods: `agents_get(...)` returns a `delegir._call.Call`, an
//! asyncio future of the model (the Rust future runs on the process's runtime and is
//! dropped, request and ledger place with it, when the call is cancelled), and
//! `agents_get_sync(...)` blocks with the GIL released and returns the model; both build the
//! Pydantic model from the core's struct the same way (see `models.rs`). The client keeps its
//! builder so that a forked child gets a fresh core client (own pool, own runtime) on its first call.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use delegir::validate::{self, DurationUnit};
use delegir::{AgentConfigUpdate, AgentStatus, AgentUpdate, Client, ClientBuilder, RequestOptions};
use futures::FutureExt;
use pyo3::exceptions::{PyOverflowError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::completion::{settled_on_panic, spawn};
use crate::error::{client_closed, to_pyerr};
use crate::models::{Reply, ToPython, rate_limit};
use crate::runtime::{pid, runtime};

/// How often a blocking call wakes up to let Python handle signals (Ctrl-C).
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// A client of the Delegir API (the core's `Client`, rebuilt per process).
#[pyclass(frozen, module = "delegir._native")]
pub struct NativeClient {
    builder: ClientBuilder,
    base_url: String,
    /// The core client of the process that made it; `None` once closed. Shared by the option
    /// views of the client (`with_options`), which share its pool and ledger.
    current: Arc<Mutex<Option<(u32, Client)>>>,
    /// This view's options (empty for the client itself).
    options: RequestOptions,
    /// Where a raw-response view leaves each call's response.
    capture: Option<delegir::ResponseCapture>,
}

#[pymethods]
impl NativeClient {
    #[new]
    #[pyo3(signature = (api_key=None, *, base_url=None, timeout=None, max_retries=None, max_rate_limit_wait=None, rate_limit=true, http2_prior_knowledge=false, on_attempt=None, log_level=30, total_timeout=None, default_headers=None, default_query=None, rate_limit_store=None, allow_insecure_http=false, proxy=None, trust_env=true, extra_ca_certs=None, connect_timeout=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        api_key: Option<&str>,
        base_url: Option<String>,
        timeout: Option<f64>,
        #[pyo3(from_py_with = retries_arg)] max_retries: Option<u32>,
        max_rate_limit_wait: Option<f64>,
        rate_limit: bool,
        http2_prior_knowledge: bool,
        on_attempt: Option<Py<PyAny>>,
        log_level: u8,
        total_timeout: Option<f64>,
        default_headers: Option<Vec<(String, String)>>,
        default_query: Option<Vec<(String, String)>>,
        rate_limit_store: Option<String>,
        allow_insecure_http: bool,
        proxy: Option<String>,
        trust_env: bool,
        extra_ca_certs: Option<std::path::PathBuf>,
        connect_timeout: Option<f64>,
    ) -> PyResult<Self> {
        let mut builder = crate::user_agent::identify(py, Client::builder())
            .rate_limit(rate_limit)
            .http2_prior_knowledge(http2_prior_knowledge);
        if let Some(key) = api_key {
            builder = builder.api_key(key);
        }
        if let Some(url) = base_url {
            builder = builder.base_url(url);
        }
        if let Some(store) = rate_limit_store {
            builder = builder.rate_limit_store(store);
        }
        if let Some(t) = timeout {
            builder = builder.timeout(crate::options::timeout(t)?);
        }
        if let Some(t) = total_timeout {
            // `inf` (no limit) is the builder's default: no timer at all.
            let total = crate::options::total_timeout(t)?;
            if total != delegir::NO_TIMEOUT {
                builder = builder.total_timeout(total);
            }
        }
        for (name, value) in default_headers.unwrap_or_default() {
            builder = builder.default_header(name, value);
        }
        for (name, value) in default_query.unwrap_or_default() {
            builder = builder.default_query(name, value);
        }
        if let Some(r) = max_retries {
            builder = builder.max_retries(r);
        }
        if let Some(w) = max_rate_limit_wait {
            builder = builder.max_rate_limit_wait(seconds("max_rate_limit_wait", w, true)?);
        }
        if let Some(emit) = on_attempt {
            builder = builder.on_attempt(crate::logging::observer(emit, log_level));
        }
        builder = network(
            builder,
            allow_insecure_http,
            proxy,
            trust_env,
            extra_ca_certs,
        );
        if let Some(t) = connect_timeout {
            builder = builder.connect_timeout(seconds("connect_timeout", t, false)?);
        }
        let client = build(&builder).map_err(|e| Python::attach(|py| to_pyerr(py, e)))?;
        Ok(NativeClient {
            base_url: client.config().base_url().to_owned(),
            builder,
            current: Arc::new(Mutex::new(Some((pid(), client)))),
            options: RequestOptions::default(),
            capture: None,
        })
    }

    /// A view of this client with other options (the given ones over this view's), sharing
    /// its connection pool, rate-limit ledger and lifetime. `timeout=inf`: no per-attempt limit;
    /// `total_timeout=inf`: no overall limit (whatever the client's).
    #[pyo3(signature = (*, timeout=None, max_retries=None, total_timeout=None, headers=None, query=None, body=None))]
    fn with_options(
        &self,
        timeout: Option<f64>,
        #[pyo3(from_py_with = retries_arg)] max_retries: Option<u32>,
        total_timeout: Option<f64>,
        headers: Option<Vec<(String, String)>>,
        query: Option<Vec<(String, String)>>,
        body: Option<&str>,
    ) -> PyResult<NativeClient> {
        let extra = crate::options::extra_params(headers, query, body)?;
        let options = crate::options::view_options(
            &self.options,
            timeout,
            max_retries,
            total_timeout,
            extra,
        )?;
        Ok(self.view(options, self.capture.clone()))
    }

    /// A view whose calls leave their response in the returned capture (raw responses).
    fn capturing(&self) -> (NativeClient, crate::options::NativeCapture) {
        let capture = delegir::ResponseCapture::default();
        (
            self.view(self.options.clone(), Some(capture.clone())),
            crate::options::NativeCapture { capture },
        )
    }

    /// The base URL requests go to (no trailing slash).
    #[getter]
    fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `(limit, remaining, reset)` of the last response seen, or `None`.
    fn rate_limit(&self) -> Option<(u64, u64, i64)> {
        let current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        current
            .as_ref()
            .and_then(|(_, c)| rate_limit(c.rate_limit()))
    }

    /// Releases the connection pool; later calls raise `DelegirError`.
    fn close(&self) {
        self.current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_none()
    }

    #[pyo3(signature = (timeout=None, max_retries=None))]
    fn agents_list<'py>(
        &self,
        py: Python<'py>,
        timeout: Option<f64>,
        #[pyo3(from_py_with = retries_arg)] max_retries: Option<u32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let c = self.client(timeout, max_retries)?;
        spawn(py, None, async move { c.agents().list().await })
    }

    #[pyo3(signature = (timeout=None, max_retries=None))]
    fn agents_list_sync<'py>(
        &self,
        py: Python<'py>,
        timeout: Option<f64>,
        #[pyo3(from_py_with = retries_arg)] max_retries: Option<u32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let c = self.client(timeout, max_retries)?;
        wait(py, async move { c.agents().list().await })
    }

    #[pyo3(signature = (id, timeout=None, max_retries=None))]
    fn agents_get<'py>(
        &self,
        py: Python<'py>,
        id: String,
        timeout: Option<f64>,
        #[pyo3(from_py_with = retries_arg)] max_retries: Option<u32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let c = self.client(timeout, max_retries)?;
        spawn(py, None, async move { c.agents().get(&id).await })
    }

    #[pyo3(signature = (id, timeout=None, max_retries=None))]
    fn agents_get_sync<'py>(
        &self,
        py: Python<'py>,
        id: String,
        timeout: Option<f64>,
        #[pyo3(from_py_with = retries_arg)] max_retries: Option<u32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let c = self.client(timeout, max_retries)?;
        wait(py, async move { c.agents().get(&id).await })
    }

    #[pyo3(signature = (id, name=None, status=None, config=None, timeout=None, max_retries=None))]
    #[allow(clippy::too_many_arguments)]
    fn agents_update<'py>(
        &self,
        py: Python<'py>,
        id: String,
        name: Option<String>,
        status: Option<String>,
        config: Option<&Bound<'py, PyDict>>,
        timeout: Option<f64>,
        #[pyo3(from_py_with = retries_arg)] max_retries: Option<u32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let update = agent_update(name, status, config)?;
        let c = self.client(timeout, max_retries)?;
        spawn(
            py,
            None,
            async move { c.agents().update(&id, &update).await },
        )
    }

    #[pyo3(signature = (id, name=None, status=None, config=None, timeout=None, max_retries=None))]
    #[allow(clippy::too_many_arguments)]
    fn agents_update_sync<'py>(
        &self,
        py: Python<'py>,
        id: String,
        name: Option<String>,
        status: Option<String>,
        config: Option<&Bound<'py, PyDict>>,
        timeout: Option<f64>,
        #[pyo3(from_py_with = retries_arg)] max_retries: Option<u32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let update = agent_update(name, status, config)?;
        let c = self.client(timeout, max_retries)?;
        wait(py, async move { c.agents().update(&id, &update).await })
    }

    #[pyo3(signature = (id, timeout=None, max_retries=None))]
    fn agents_delete<'py>(
        &self,
        py: Python<'py>,
        id: String,
        timeout: Option<f64>,
        #[pyo3(from_py_with = retries_arg)] max_retries: Option<u32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let c = self.client(timeout, max_retries)?;
        spawn(py, None, async move { c.agents().delete(&id).await })
    }

    #[pyo3(signature = (id, timeout=None, max_retries=None))]
    fn agents_delete_sync<'py>(
        &self,
        py: Python<'py>,
        id: String,
        timeout: Option<f64>,
        #[pyo3(from_py_with = retries_arg)] max_retries: Option<u32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let c = self.client(timeout, max_retries)?;
        wait(py, async move { c.agents().delete(&id).await })
    }

    #[pyo3(signature = (id, message, timeout=None, max_retries=None))]
    fn agents_chat<'py>(
        &self,
        py: Python<'py>,
        id: String,
        message: String,
        timeout: Option<f64>,
        #[pyo3(from_py_with = retries_arg)] max_retries: Option<u32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let c = self.client(timeout, max_retries)?;
        spawn(
            py,
            None,
            async move { c.agents().chat(&id, &message).await },
        )
    }

    #[pyo3(signature = (id, message, timeout=None, max_retries=None))]
    fn agents_chat_sync<'py>(
        &self,
        py: Python<'py>,
        id: String,
        message: String,
        timeout: Option<f64>,
        #[pyo3(from_py_with = retries_arg)] max_retries: Option<u32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let c = self.client(timeout, max_retries)?;
        wait(py, async move { c.agents().chat(&id, &message).await })
    }

    #[pyo3(signature = (id, limit=None, offset=None, timeout=None, max_retries=None))]
    #[allow(clippy::too_many_arguments)]
    fn agents_runs<'py>(
        &self,
        py: Python<'py>,
        id: String,
        #[pyo3(from_py_with = limit_arg)] limit: Option<i64>,
        #[pyo3(from_py_with = offset_arg)] offset: Option<i64>,
        timeout: Option<f64>,
        #[pyo3(from_py_with = retries_arg)] max_retries: Option<u32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let c = self.client(timeout, max_retries)?;
        spawn(py, None, async move {
            let query = delegir::validate::runs_query(limit, offset)?;
            c.agents().runs(&id, query).await
        })
    }

    #[pyo3(signature = (id, limit=None, offset=None, timeout=None, max_retries=None))]
    fn agents_runs_sync<'py>(
        &self,
        py: Python<'py>,
        id: String,
        #[pyo3(from_py_with = limit_arg)] limit: Option<i64>,
        #[pyo3(from_py_with = offset_arg)] offset: Option<i64>,
        timeout: Option<f64>,
        #[pyo3(from_py_with = retries_arg)] max_retries: Option<u32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let c = self.client(timeout, max_retries)?;
        wait(py, async move {
            let query = delegir::validate::runs_query(limit, offset)?;
            c.agents().runs(&id, query).await
        })
    }

    /// A pager over every run of the agent (one boundary crossing per page).
    #[pyo3(signature = (id, page_size=None, timeout=None, max_retries=None))]
    fn runs_pager(
        &self,
        id: &str,
        #[pyo3(from_py_with = page_size_arg)] page_size: Option<i64>,
        timeout: Option<f64>,
        #[pyo3(from_py_with = retries_arg)] max_retries: Option<u32>,
    ) -> PyResult<NativeRunPager> {
        let c = self.client(timeout, max_retries)?;
        let pager = c.agents().runs_pager(id, page_size);
        Ok(NativeRunPager {
            client: Arc::clone(&self.current),
            pager: Arc::new(tokio::sync::Mutex::new(pager)),
        })
    }

    #[pyo3(signature = (timeout=None, max_retries=None))]
    fn usage_get<'py>(
        &self,
        py: Python<'py>,
        timeout: Option<f64>,
        #[pyo3(from_py_with = retries_arg)] max_retries: Option<u32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let c = self.client(timeout, max_retries)?;
        spawn(py, None, async move { c.usage().get().await })
    }

    #[pyo3(signature = (timeout=None, max_retries=None))]
    fn usage_get_sync<'py>(
        &self,
        py: Python<'py>,
        timeout: Option<f64>,
        #[pyo3(from_py_with = retries_arg)] max_retries: Option<u32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let c = self.client(timeout, max_retries)?;
        wait(py, async move { c.usage().get().await })
    }
}

impl NativeClient {
    /// The core client of this process, with the call's options applied.
    fn client(&self, timeout: Option<f64>, max_retries: Option<u32>) -> PyResult<Client> {
        let options = RequestOptions {
            timeout: timeout.map(crate::options::timeout).transpose()?,
            max_retries,
            ..RequestOptions::default()
        };
        let client = {
            let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
            let Some((owner, client)) = current.as_mut() else {
                return Err(Python::attach(client_closed));
            };
            let pid = pid();
            if *owner != pid {
                // A forked child: the parent's pool belongs to a runtime whose threads did not
                // survive the fork. Forget it (dropping could touch that runtime) and rebuild.
                let fresh =
                    build(&self.builder).map_err(|e| Python::attach(|py| to_pyerr(py, e)))?;
                std::mem::forget(std::mem::replace(client, fresh));
                *owner = pid;
            }
            client.clone()
        };
        let client = match &self.capture {
            Some(capture) => client.with_capture(capture),
            None => client,
        };
        Ok(
            if options == RequestOptions::default() && self.options == RequestOptions::default() {
                client
            } else {
                client.with_options(self.options.merged(&options))
            },
        )
    }

    /// A view sharing this client's core client (and so its pool, ledger and `close`).
    fn view(
        &self,
        options: RequestOptions,
        capture: Option<delegir::ResponseCapture>,
    ) -> NativeClient {
        NativeClient {
            builder: self.builder.clone(),
            base_url: self.base_url.clone(),
            current: Arc::clone(&self.current),
            options,
            capture,
        }
    }
}

/// Pages of runs for `agents.runs.iter`: a list of `Run` models per page, `None` at the end.
#[pyclass(frozen, module = "delegir._native")]
pub struct NativeRunPager {
    /// Its client's core client, `None` once the client is closed: the pager holds a clone of
    /// the core client, which would otherwise go on sending after `close()`.
    client: Arc<Mutex<Option<(u32, Client)>>>,
    pager: Arc<tokio::sync::Mutex<delegir::RunPager>>,
}

impl NativeRunPager {
    /// Refuses a page once the client is closed, as every call of a closed client is refused.
    fn check_open(&self) -> PyResult<()> {
        match *self.client.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(_) => Ok(()),
            None => Err(Python::attach(client_closed)),
        }
    }
}

#[pymethods]
impl NativeRunPager {
    /// An awaitable of the next page.
    fn next_page<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.check_open()?;
        let pager = Arc::clone(&self.pager);
        spawn(
            py,
            None,
            async move { pager.lock().await.next_page().await },
        )
    }

    /// The next page, blocking with the GIL released.
    fn next_page_sync<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.check_open()?;
        let pager = Arc::clone(&self.pager);
        wait(py, async move { pager.lock().await.next_page().await })
    }
}

/// The network options: plain http to a remote host, the proxy (`proxy=None` means the
/// environment's, unless `trust_env=False`), extra certificate authorities.
fn network(
    mut builder: ClientBuilder,
    allow_insecure_http: bool,
    proxy: Option<String>,
    trust_env: bool,
    extra_ca_certs: Option<std::path::PathBuf>,
) -> ClientBuilder {
    builder = builder.allow_insecure_http(allow_insecure_http);
    builder = match proxy {
        Some(url) => builder.proxy(url),
        None if !trust_env => builder.no_proxy(),
        None => builder,
    };
    if let Some(path) = extra_ca_certs {
        builder = builder.extra_ca_certs(path);
    }
    builder
}

/// Builds a core client inside the runtime's context (in case its transport spawns tasks).
fn build(builder: &ClientBuilder) -> delegir::Result<Client> {
    let _entered = runtime().enter();
    builder.clone().build()
}

/// Runs `call` to completion with the GIL released, waking every [`SIGNAL_CHECK`] so that
/// Ctrl-C raises `KeyboardInterrupt` (dropping the call, which abandons the request).
pub(crate) fn wait<'py, T, F>(py: Python<'py>, call: F) -> PyResult<Bound<'py, PyAny>>
where
    T: ToPython,
    F: Future<Output = delegir::Result<T>> + Send,
{
    let rt = runtime();
    // A panic inside the call is caught here and raised as `DelegirError` (never pyo3's
    // `PanicException`, a `BaseException` that `except Exception` misses).
    let mut call = std::pin::pin!(settled_on_panic(call.map(Reply::from_result)));
    loop {
        // The timer is made inside `block_on`: tokio timers need the runtime's context.
        let slice = py.detach(|| {
            rt.block_on(async { tokio::time::timeout(SIGNAL_CHECK, call.as_mut()).await })
        });
        match slice {
            Ok(reply) => return reply.into_pyobject(py),
            Err(_) => py.check_signals()?,
        }
    }
}

/// Seconds from Python as a `Duration`; the core checks them (negative, NaN, ...).
fn seconds(argument: &'static str, value: f64, zero_ok: bool) -> PyResult<Duration> {
    validate::duration(argument, value, DurationUnit::Seconds, zero_ok).map_err(core_error)
}

/// An int from Python as the `i64` the core's checks take (`None` for `None`). pyo3's own
/// conversion raises `OverflowError` for an int beyond `i64`, before the core's check could
/// run; this raises the documented `ValueError` instead, naming the argument and `range` (its
/// allowed values). The Python layer has already refused other types, `bool` included.
pub(crate) fn int_arg(
    value: &Bound<'_, PyAny>,
    argument: &str,
    range: &str,
) -> PyResult<Option<i64>> {
    if value.is_none() {
        return Ok(None);
    }
    value.extract::<i64>().map(Some).map_err(|e| {
        if !e.is_instance_of::<PyOverflowError>(value.py()) {
            return e;
        }
        // `str()` refuses ints of more than 4,300 digits (CPython's int_max_str_digits).
        let shown = match value.str() {
            Ok(text) => text.to_string(),
            Err(_) => "an int too large to print".to_owned(),
        };
        PyValueError::new_err(format!("{argument} must be {range}, got {shown}"))
    })
}

// The int arguments, for `#[pyo3(from_py_with = ...)]`, each with its allowed range: the
// core's bounds, or for `offset` and `max_tokens` (unbounded above in the core) the `i64` the
// core's checks take.

fn limit_arg(value: &Bound<'_, PyAny>) -> PyResult<Option<i64>> {
    int_arg(value, "limit", &page_range())
}

fn page_size_arg(value: &Bound<'_, PyAny>) -> PyResult<Option<i64>> {
    int_arg(value, "page_size", &page_range())
}

fn offset_arg(value: &Bound<'_, PyAny>) -> PyResult<Option<i64>> {
    int_arg(value, "offset", &format!("from 0 to {}", i64::MAX))
}

/// A retry count, checked by the core.
fn retries_arg(value: &Bound<'_, PyAny>) -> PyResult<Option<u32>> {
    let range = format!("a whole number from 0 to {}", u32::MAX);
    int_arg(value, "max_retries", &range)?
        .map(|r| validate::retries("max_retries", r as f64).map_err(core_error))
        .transpose()
}

fn page_range() -> String {
    format!("between 1 and {}", validate::MAX_PAGE_SIZE)
}

fn core_error(e: delegir::Error) -> PyErr {
    Python::attach(|py| to_pyerr(py, e))
}

/// The core's update from the Python layer's keywords; the core validates it.
fn agent_update<'py>(
    name: Option<String>,
    status: Option<String>,
    config: Option<&Bound<'py, PyDict>>,
) -> PyResult<AgentUpdate> {
    let status = status.map(|s| match s.as_str() {
        "active" => AgentStatus::Active,
        "paused" => AgentStatus::Paused,
        _ => AgentStatus::Other(s),
    });
    let config = match config {
        None => None,
        Some(d) => Some(AgentConfigUpdate {
            model: field(d, "model")?,
            system_prompt: field(d, "system_prompt")?,
            temperature: field(d, "temperature")?,
            max_tokens: match d.get_item("max_tokens")? {
                Some(v) => int_arg(&v, "max_tokens", &format!("from 1 to {}", i64::MAX))?,
                None => None,
            }
            .map(delegir::validate::max_tokens)
            .transpose()
            .map_err(core_error)?,
        }),
    };
    Ok(AgentUpdate {
        name,
        status,
        config,
    })
}

/// `d[key]` converted, with a missing key or `None` as `None`.
fn field<'py, T: FromPyObjectOwned<'py>>(d: &Bound<'py, PyDict>, key: &str) -> PyResult<Option<T>> {
    match d.get_item(key)? {
        Some(v) if !v.is_none() => Ok(Some(v.extract().map_err(Into::into)?)),
        _ => Ok(None),
    }
}
