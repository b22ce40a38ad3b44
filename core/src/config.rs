//! Client configuration: what a built client runs with, the defaults and per-call overrides.
//! The builder that makes it is in `builder.rs`.

use std::time::Duration;

use url::Url;

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
    pub(crate) max_retries: u32,
    pub(crate) max_rate_limit_wait: Duration,
    pub(crate) rate_limit: bool,
    pub(crate) user_agent: String,
    pub(crate) max_response_bytes: usize,
    pub(crate) http2_prior_knowledge: bool,
    pub(crate) on_attempt: Option<AttemptObserver>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("api_key", &self.api_key)
            .field("base_url", &self.base_url())
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("max_rate_limit_wait", &self.max_rate_limit_wait)
            .field("rate_limit", &self.rate_limit)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("http2_prior_knowledge", &self.http2_prior_knowledge)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.base_url.as_str().trim_end_matches('/')
    }
    /// The per-attempt timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
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

/// Overrides for one call (or for a [`Client::with_options`] view of a client).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestOptions {
    /// Timeout of each attempt of this call.
    pub timeout: Option<Duration>,
    /// Retries after the first attempt of this call.
    pub max_retries: Option<u32>,
}
