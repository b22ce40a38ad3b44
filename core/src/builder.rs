//! [`ClientBuilder`]: options, environment variables and their checks, turned into a [`Config`].

use std::time::Duration;

use url::Url;

use crate::client::Client;
use crate::config::{
    API_KEY_ENV, BASE_URL_ENV, Config, DEFAULT_BASE_URL, DEFAULT_MAX_RATE_LIMIT_WAIT,
    DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT,
};
use crate::error::{Error, ErrorKind, Result};
use crate::policy::logging::AttemptObserver;
use crate::secret::ApiKey;

/// Builds a [`Client`].
///
/// ```no_run
/// # fn main() -> delegir::Result<()> {
/// use std::time::Duration;
/// let client = delegir::Client::builder()
///     .api_key("dlg_live_abc123def456ghi789")
///     .timeout(Duration::from_secs(30))
///     .max_retries(3)
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct ClientBuilder {
    api_key: Option<ApiKey>,
    api_key_error: Option<String>,
    base_url: Option<String>,
    timeout: Option<Duration>,
    max_retries: Option<u32>,
    max_rate_limit_wait: Option<Duration>,
    rate_limit: Option<bool>,
    user_agent_suffix: Option<String>,
    max_response_bytes: Option<usize>,
    allow_insecure_http: bool,
    http2_prior_knowledge: bool,
    on_attempt: Option<AttemptObserver>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The API key; when not called, `DELEGIR_API_KEY` is read.
    pub fn api_key(mut self, key: impl AsRef<str>) -> Self {
        match ApiKey::parse(key.as_ref(), "the api_key argument") {
            Ok(k) => {
                self.api_key = Some(k);
                self.api_key_error = None;
            }
            Err(e) => self.api_key_error = Some(e.message().to_owned()),
        }
        self
    }

    /// The base URL (default `https://delegir.com/api/v1`, or `DELEGIR_BASE_URL`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Timeout of each attempt (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Retries after the first attempt (default 2).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = Some(retries);
        self
    }

    /// Longest wait for a rate-limit window before failing with `RateLimited` (default 60 s).
    pub fn max_rate_limit_wait(mut self, wait: Duration) -> Self {
        self.max_rate_limit_wait = Some(wait);
        self
    }

    /// Whether requests are paced by the shared rate-limit ledger (default `true`).
    pub fn rate_limit(mut self, enabled: bool) -> Self {
        self.rate_limit = Some(enabled);
        self
    }

    /// Appended to the `User-Agent` header, e.g. `delegir-python/0.1.0`.
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Largest response body accepted (default 16 MiB).
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = Some(bytes);
        self
    }

    /// Allows plain `http://` to hosts other than loopback. Off by default: the key would
    /// travel in clear text.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Speaks HTTP/2 from the first byte instead of HTTP/1.1 (default `false`).
    ///
    /// Over `https` HTTP/2 is negotiated anyway when the server offers it; this is for a plain
    /// `http` server known to speak HTTP/2 (h2c), such as the emulator. All calls then share one
    /// connection instead of one connection per call in flight, which is what makes thousands of
    /// concurrent calls cheap: each costs a stream (about 1 KiB) instead of a socket and two
    /// 8 KiB buffers. A server that speaks only HTTP/1.1 fails every call with a network error.
    pub fn http2_prior_knowledge(mut self, enabled: bool) -> Self {
        self.http2_prior_knowledge = enabled;
        self
    }

    /// Calls `observer` with one [`crate::AttemptLog`] per attempt (in addition to the
    /// `tracing` event), for bindings that forward records to their own logging.
    pub fn on_attempt(mut self, observer: AttemptObserver) -> Self {
        self.on_attempt = Some(observer);
        self
    }

    /// Checks the settings, fills the gaps from the environment and defaults, and builds the
    /// client.
    pub fn build(self) -> Result<Client> {
        Client::from_config(self.into_config()?)
    }

    /// The checked configuration, without building a client.
    pub fn into_config(self) -> Result<Config> {
        if let Some(message) = self.api_key_error {
            return Err(Error::new(ErrorKind::Configuration, message));
        }
        let api_key = match self.api_key {
            Some(key) => key,
            None => match std::env::var(API_KEY_ENV) {
                Ok(value) => ApiKey::parse(&value, API_KEY_ENV)?,
                Err(_) => {
                    return Err(Error::new(
                        ErrorKind::Configuration,
                        format!(
                            "no API key: pass one to the client or set the {API_KEY_ENV} \
                             environment variable (keys are made in Dashboard Settings > \
                             Developers)"
                        ),
                    ));
                }
            },
        };
        let base_url = match self.base_url {
            Some(url) => url,
            None => std::env::var(BASE_URL_ENV).unwrap_or_else(|_| DEFAULT_BASE_URL.to_owned()),
        };
        let base_url = check_base_url(&base_url, self.allow_insecure_http)?;
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        if timeout.is_zero() {
            return Err(Error::out_of_range(
                "timeout",
                "timeout must be greater than zero",
            ));
        }
        let mut user_agent = format!("delegir-rust/{}", env!("CARGO_PKG_VERSION"));
        if let Some(suffix) = self.user_agent_suffix {
            user_agent.push(' ');
            user_agent.push_str(&suffix);
        }
        Ok(Config {
            api_key,
            base_url,
            timeout,
            max_retries: self.max_retries.unwrap_or(DEFAULT_MAX_RETRIES),
            max_rate_limit_wait: self
                .max_rate_limit_wait
                .unwrap_or(DEFAULT_MAX_RATE_LIMIT_WAIT),
            rate_limit: self.rate_limit.unwrap_or(true),
            user_agent,
            max_response_bytes: self
                .max_response_bytes
                .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
            http2_prior_knowledge: self.http2_prior_knowledge,
            on_attempt: self.on_attempt,
        })
    }
}

/// Parses the base URL and refuses plain HTTP to non-loopback hosts unless allowed.
fn check_base_url(raw: &str, allow_insecure_http: bool) -> Result<Url> {
    let url = Url::parse(raw).map_err(|e| {
        Error::new(
            ErrorKind::Configuration,
            format!("base URL {raw:?} is not a valid URL ({e}); use e.g. {DEFAULT_BASE_URL}"),
        )
    })?;
    match url.scheme() {
        "https" => {}
        "http" if allow_insecure_http || is_loopback(&url) => {}
        "http" => {
            return Err(Error::new(
                ErrorKind::Configuration,
                format!(
                    "base URL {raw:?} uses plain http to a non-loopback host, which would send \
                     the API key in clear text; use https, or opt in with allow_insecure_http"
                ),
            ));
        }
        other => {
            return Err(Error::new(
                ErrorKind::Configuration,
                format!(
                    "base URL {raw:?} has scheme {other:?}; only https (and http to loopback) are supported"
                ),
            ));
        }
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(Error::new(
            ErrorKind::Configuration,
            format!("base URL {raw:?} must not carry a query, fragment or credentials"),
        ));
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_refused_for_remote_hosts_but_allowed_for_loopback() {
        assert!(check_base_url("http://127.0.0.1:4010/api/v1", false).is_ok());
        assert!(check_base_url("http://localhost:4010/api/v1/", false).is_ok());
        assert!(check_base_url("http://[::1]:4010/api/v1", false).is_ok());
        let e = check_base_url("http://example.com/api/v1", false).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Configuration);
        assert!(check_base_url("http://example.com/api/v1", true).is_ok());
        assert!(check_base_url("ftp://example.com", true).is_err());
    }

    #[test]
    fn trailing_slash_is_stripped() {
        let config = Client::builder()
            .api_key("dlg_live_x")
            .base_url("https://delegir.com/api/v1/")
            .into_config()
            .unwrap();
        assert_eq!(config.base_url(), "https://delegir.com/api/v1");
    }
}
