//! Client configuration: what a built client runs with, the defaults and per-call overrides.
//! The builder that makes it is in `builder.rs`.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

// On wasm32 the host's URL parser (no IDNA tables in the module: see wire/fetch/url.rs).
#[cfg(target_arch = "wasm32")]
use crate::wire::fetch::url::Url;
#[cfg(not(target_arch = "wasm32"))]
use url::Url;

use crate::extra::ExtraParams;

use crate::policy::logging::AttemptObserver;
use crate::secret::ApiKey;

/// The production API.
pub const DEFAULT_BASE_URL: &str = "https://delegir.com/api/v1";
/// Environment variable read when no key is given.
pub const API_KEY_ENV: &str = "DELEGIR_API_KEY";
/// Environment variable read when no base URL is given.
pub const BASE_URL_ENV: &str = "DELEGIR_BASE_URL";
/// Per-attempt timeout when none is given.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Retries after the first attempt when none is given.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// Longest wait for a rate-limit window before failing with `RateLimited`.
pub const DEFAULT_MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);
/// Largest response body accepted.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// The settings every request of a client uses. Built by [`ClientBuilder`].
#[derive(Clone)]
pub struct Config {
    pub(crate) api_key: ApiKey,
    /// Parsed and checked once, by the builder; the transport takes its origin and path from it.
    pub(crate) base_url: Url,
    pub(crate) timeout: Duration,
    /// Bound on everything one call does (attempts, backoff, rate-limit waits); `None`: none.
    pub(crate) total_timeout: Option<Duration>,
    /// Default extra headers and query parameters of every call.
    pub(crate) defaults: Option<Arc<ExtraParams>>,
    pub(crate) max_retries: u32,
    pub(crate) max_rate_limit_wait: Duration,
    pub(crate) rate_limit: bool,
    /// Where the ledger is shared between processes (`None`: in this process only).
    pub(crate) rate_limit_store: Option<crate::policy::ledger::store::StoreUrl>,
    pub(crate) user_agent: String,
    pub(crate) max_response_bytes: usize,
    pub(crate) http2_prior_knowledge: bool,
    /// Plain http may leave this machine (`ClientBuilder::allow_insecure_http`): to a remote
    /// base URL (checked when the URL is) or through a remote proxy (checked by the native
    /// wire's connector, which picks the proxy).
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))] // the fetch wire has no proxy
    pub(crate) allow_insecure_http: bool,
    /// Requests carry `Accept-Encoding: gzip` (default) or `identity` (`ClientBuilder::gzip`;
    /// the fetch wire leaves compression to the host).
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(crate) gzip: bool,
    pub(crate) on_attempt: Option<AttemptObserver>,
    /// The `fetch` function requests go through instead of the host's global one (wasm32).
    #[cfg(target_arch = "wasm32")]
    pub(crate) fetch: Option<crate::wire::fetch::FetchFunction>,
    /// Bound on opening a connection; `None`: the default (10 s), capped by `timeout`.
    pub(crate) connect_timeout: Option<Duration>,
    /// Where connections go: straight to the API, or through a proxy.
    pub(crate) proxy: ProxySetting,
    /// PEM files of certificate authorities trusted in addition to the platform's.
    pub(crate) extra_ca_certs: Vec<CaFile>,
    /// Addresses used instead of DNS for a host name (tests).
    pub(crate) resolve: Vec<(String, Vec<IpAddr>)>,
}

/// How a client picks its proxy.
#[derive(Clone, Default)]
pub(crate) enum ProxySetting {
    /// `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` (either case), as curl reads them.
    #[default]
    FromEnv,
    /// This proxy URL for every request (it may carry `user:password@`: never shown).
    Url(String),
    /// No proxy, whatever the environment says.
    Off,
}

impl std::fmt::Debug for ProxySetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProxySetting::FromEnv => f.write_str("FromEnv"),
            ProxySetting::Url(url) => write!(f, "Url({:?})", redact_userinfo(url)),
            ProxySetting::Off => f.write_str("Off"),
        }
    }
}

/// A URL as it may be shown: any `user:password@` replaced by `***@` (also in a URL without a
/// scheme, or one that does not parse).
pub(crate) fn redact_userinfo(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), url),
    };
    // The last `@` anywhere: a password with an unencoded `/` must not leak either.
    match rest.rfind('@') {
        Some(at) => format!("{scheme}***@{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

/// A file of PEM certificates to trust, and the option or environment variable that named it
/// (errors say which).
#[derive(Clone, Debug)]
// Read by the native TLS setup only; WebAssembly refuses the option when the client is built.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(crate) struct CaFile {
    pub(crate) path: PathBuf,
    pub(crate) origin: String,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("api_key", &self.api_key)
            .field("base_url", &self.base_url())
            .field("timeout", &self.timeout)
            .field("total_timeout", &self.total_timeout)
            .field("max_retries", &self.max_retries)
            .field("max_rate_limit_wait", &self.max_rate_limit_wait)
            .field("rate_limit", &self.rate_limit)
            .field("rate_limit_store", &self.rate_limit_store)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("http2_prior_knowledge", &self.http2_prior_knowledge)
            .field("proxy", &self.proxy)
            .field("extra_ca_certs", &self.extra_ca_certs)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.base_url.as_str().trim_end_matches('/')
    }
    /// The per-attempt timeout ([`NO_TIMEOUT`] when there is none).
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
    /// The bound on everything one call does, if any.
    pub fn total_timeout(&self) -> Option<Duration> {
        self.total_timeout
    }
    /// Retries after the first attempt.
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }
    /// Whether the shared rate-limit ledger paces requests.
    pub fn rate_limit(&self) -> bool {
        self.rate_limit
    }
    /// Whether calls speak HTTP/2 from the first byte.
    pub fn http2_prior_knowledge(&self) -> bool {
        self.http2_prior_knowledge
    }
}

/// A per-attempt timeout that never runs out: what `timeout=None` means in the bindings.
pub const NO_TIMEOUT: Duration = Duration::MAX;

/// Overrides for one call (or for a [`crate::Client::with_options`] view of a client). `None`
/// fields keep the client's setting.
///
/// Not `Copy` since it holds extras, which sit behind an `Arc` so that a call without them (the
/// usual case) carries one null pointer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestOptions {
    /// Timeout of each attempt of this call ([`NO_TIMEOUT`] for none).
    pub timeout: Option<Duration>,
    /// Retries after the first attempt of this call.
    pub max_retries: Option<u32>,
    /// Bound on everything this call does: attempts, backoff and rate-limit waits. When it runs
    /// out the call fails with [`crate::ErrorKind::Timeout`] and its ledger place is released.
    /// [`NO_TIMEOUT`] for none, over a client that has one.
    pub total_timeout: Option<Duration>,
    /// Extra headers, query parameters and body fields (merged over the client's defaults).
    pub extra: Option<Arc<ExtraParams>>,
}

impl RequestOptions {
    /// These options with `extra` added (merged over any extras already set).
    pub fn with_extra(mut self, extra: ExtraParams) -> RequestOptions {
        self.extra = merge_extra(self.extra.as_ref(), Some(&Arc::new(extra)));
        self
    }

    /// `self` with `later`'s settings laid over it (its extras merged over these).
    pub fn merged(&self, later: &RequestOptions) -> RequestOptions {
        RequestOptions {
            timeout: later.timeout.or(self.timeout),
            max_retries: later.max_retries.or(self.max_retries),
            total_timeout: later.total_timeout.or(self.total_timeout),
            extra: merge_extra(self.extra.as_ref(), later.extra.as_ref()),
        }
    }
}

/// `later` over `earlier`; shares either one when the other is absent or empty.
fn merge_extra(
    earlier: Option<&Arc<ExtraParams>>,
    later: Option<&Arc<ExtraParams>>,
) -> Option<Arc<ExtraParams>> {
    match (earlier, later) {
        (None, None) => None,
        (Some(e), None) => Some(Arc::clone(e)),
        (None, Some(l)) => (!l.is_empty()).then(|| Arc::clone(l)),
        (Some(e), Some(l)) if l.is_empty() => Some(Arc::clone(e)),
        (Some(e), Some(l)) => Some(Arc::new(e.merged(l))),
    }
}
