//! [`ClientBuilder`]: options, environment variables and their checks, turned into a [`Config`].

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[cfg(target_arch = "wasm32")]
use crate::wire::fetch::url::{Host, Url};
#[cfg(not(target_arch = "wasm32"))]
use url::{Host, Url};

use crate::client::Client;
use crate::config::{
    API_KEY_ENV, BASE_URL_ENV, CaFile, Config, DEFAULT_BASE_URL, DEFAULT_MAX_RATE_LIMIT_WAIT,
    DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, ProxySetting,
};
use crate::error::{Error, ErrorKind, Result};
use crate::extra::ExtraParams;
use crate::policy::ledger::store::{RATE_LIMIT_STORE_ENV, StoreUrl};
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
    total_timeout: Option<Duration>,
    default_headers: Vec<(String, String)>,
    default_query: Vec<(String, String)>,
    max_retries: Option<u32>,
    max_rate_limit_wait: Option<Duration>,
    rate_limit: Option<bool>,
    rate_limit_store: Option<String>,
    user_agent_suffix: Option<String>,
    binding: Option<crate::user_agent::Binding>,
    max_response_bytes: Option<usize>,
    allow_insecure_http: bool,
    http2_prior_knowledge: bool,
    gzip: Option<bool>,
    on_attempt: Option<AttemptObserver>,
    #[cfg(target_arch = "wasm32")]
    fetch: Option<crate::wire::fetch::FetchFunction>,
    #[cfg(target_arch = "wasm32")]
    environment: Vec<(String, String)>,
    connect_timeout: Option<Duration>,
    proxy: ProxySetting,
    extra_ca_certs: Vec<CaFile>,
    resolve: Vec<(String, Vec<IpAddr>)>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key)
            .field(
                "base_url",
                &self.base_url.as_deref().map(crate::config::redact_userinfo),
            )
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
    ///
    /// Opening a connection has its own, shorter bound: see
    /// [`connect_timeout`](Self::connect_timeout).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Bounds everything one call does: its attempts, the backoff between them and rate-limit
    /// waits (default: no bound beyond those of each part). When it runs out the call fails
    /// with `ErrorKind::Timeout` and its place in the rate-limit ledger is released.
    pub fn total_timeout(mut self, total: Duration) -> Self {
        self.total_timeout = Some(total);
        self
    }

    /// A header every call sends (checked by `build`: reserved names such as `X-API-Key`, and
    /// names or values that could break the request, are refused). A call's own extra headers
    /// replace it.
    pub fn default_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.default_headers.push((name.into(), value.into()));
        self
    }

    /// A query parameter every call sends; a call's own parameters of that name replace it.
    pub fn default_query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.default_query.push((name.into(), value.into()));
        self
    }

    /// Longest time spent opening a connection (default 10 s, and never more than
    /// [`timeout`](Self::timeout)): DNS, TCP over every address of the host (tried 250 ms
    /// apart, Happy Eyeballs), a proxy's `CONNECT`, TLS. A connect that runs out of time fails
    /// with [`ErrorKind::Timeout`](crate::ErrorKind::Timeout); nothing was sent, so it is
    /// retried for every method, chats included.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
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

    /// Shares the rate-limit ledger through Redis (or Valkey), so that every process and
    /// machine using this key keeps to one quota: `redis://host:6379/0`, or `rediss://` for TLS,
    /// with an optional password (`redis://:password@host:6379/0`) that is never logged or
    /// shown. When not called, `DELEGIR_RATE_LIMIT_STORE` is read; without either the ledger is
    /// this process's. While Redis is unreachable calls go on under this process's ledger
    /// (one WARN log line says so) and the shared ledger resumes when it is back. Not available
    /// on WebAssembly.
    pub fn rate_limit_store(mut self, url: impl Into<String>) -> Self {
        self.rate_limit_store = Some(url.into());
        self
    }

    /// Appended to the `User-Agent` header, e.g. `my-app/1.0`.
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// For the Python and Node SDKs: the `User-Agent` starts with their product token and
    /// runtime (`delegir-python/0.1.0`, `CPython 3.11.7`) instead of the Rust SDK's.
    #[doc(hidden)]
    pub fn binding_user_agent(
        mut self,
        product: impl Into<String>,
        runtime: impl Into<String>,
    ) -> Self {
        self.binding = Some(crate::user_agent::Binding {
            product: product.into(),
            runtime: runtime.into(),
        });
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

    /// Whether responses may come gzip-compressed (default `true`: requests carry
    /// `Accept-Encoding: gzip` and a gzip body is decoded, the size cap applying to the decoded
    /// bytes). `false` sends `Accept-Encoding: identity`. Native builds only: on WebAssembly the
    /// host's `fetch` negotiates compression itself, and `gzip(false)` is refused there.
    pub fn gzip(mut self, enabled: bool) -> Self {
        self.gzip = Some(enabled);
        self
    }

    /// Sends every request through this HTTP proxy, whatever the environment says:
    /// `http://proxy.example:3128`, or `http://user:password@proxy.example:3128` to send
    /// `Proxy-Authorization: Basic` (the credentials never appear in logs, errors or `Debug`).
    /// `https` requests go through a `CONNECT` tunnel (TLS inside it, the certificate checked
    /// against the API's host); plain `http` requests are sent to the proxy in absolute form.
    ///
    /// Without this (and without [`no_proxy`](Self::no_proxy)) the proxy comes from the
    /// environment, as curl reads it: `HTTPS_PROXY` for `https`, `HTTP_PROXY` for `http`,
    /// `ALL_PROXY` for both, `NO_PROXY` for hosts that bypass them (names and their subdomains,
    /// IP addresses, CIDR blocks, `*`); either case.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = ProxySetting::Url(url.into());
        self
    }

    /// Connects straight to the API, ignoring `HTTPS_PROXY`, `HTTP_PROXY` and `ALL_PROXY`.
    pub fn no_proxy(mut self) -> Self {
        self.proxy = ProxySetting::Off;
        self
    }

    /// Trusts the certificate authorities in this PEM file in addition to the platform's (a
    /// corporate TLS-inspecting proxy, a private gateway). May be called more than once. A file
    /// that is missing or holds no certificate fails `build()` with a configuration error.
    /// (`SSL_CERT_FILE` and `SSL_CERT_DIR`, when set, replace the platform's roots, as in
    /// OpenSSL.)
    pub fn extra_ca_certs(self, path: impl Into<PathBuf>) -> Self {
        self.extra_ca_certs_from(path, "extra_ca_certs")
    }

    /// [`extra_ca_certs`](Self::extra_ca_certs) with the name of the option or environment
    /// variable that gave the file, for the bindings' errors (`extraCaCerts`,
    /// `NODE_EXTRA_CA_CERTS`).
    #[doc(hidden)]
    pub fn extra_ca_certs_from(mut self, path: impl Into<PathBuf>, origin: &str) -> Self {
        self.extra_ca_certs.push(CaFile {
            path: path.into(),
            origin: origin.to_owned(),
        });
        self
    }

    /// Connects to `addresses` instead of resolving `host` (tests: a host name with an address
    /// that never answers).
    #[doc(hidden)]
    pub fn resolve(mut self, host: &str, addresses: Vec<IpAddr>) -> Self {
        self.resolve.push((host.to_ascii_lowercase(), addresses));
        self
    }

    /// Calls `observer` with one [`crate::AttemptLog`] per attempt (in addition to the
    /// `tracing` event), for bindings that forward records to their own logging.
    pub fn on_attempt(mut self, observer: AttemptObserver) -> Self {
        self.on_attempt = Some(observer);
        self
    }

    /// Sends requests through this JavaScript function (same signature as the global `fetch`)
    /// instead of the host's `fetch`: how a user plugs in a mock (msw) or an undici dispatcher
    /// with a proxy. WebAssembly only: the native wire has no `fetch`.
    #[cfg(target_arch = "wasm32")]
    pub fn fetch(mut self, fetch: js_sys::Function) -> Self {
        self.fetch = Some(crate::wire::fetch::FetchFunction::new(fetch));
        self
    }

    /// The environment variables `build` reads (`DELEGIR_API_KEY`, `DELEGIR_BASE_URL`) as
    /// `(name, value)` pairs. WebAssembly only: wasm32 has no process environment, so the host's
    /// JavaScript reads it (`process.env`, `Deno.env`) and hands the values in.
    #[cfg(target_arch = "wasm32")]
    pub fn environment(mut self, vars: Vec<(String, String)>) -> Self {
        self.environment = vars;
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
        // wasm32 has no process environment: there the JavaScript layer reads it (`process.env`,
        // `Deno.env`) and hands the values in with `environment`.
        #[cfg(not(target_arch = "wasm32"))]
        let env_var = |name: &str| std::env::var(name).ok();
        #[cfg(target_arch = "wasm32")]
        let env_var = |name: &str| {
            self.environment
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let api_key = match self.api_key {
            Some(key) => key,
            None => match env_var(API_KEY_ENV).ok_or(()) {
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
            None => env_var(BASE_URL_ENV).unwrap_or_else(|| DEFAULT_BASE_URL.to_owned()),
        };
        let base_url = check_base_url(&base_url, self.allow_insecure_http)?;
        // The host's fetch has its own proxy and certificate settings: refused, not ignored.
        #[cfg(target_arch = "wasm32")]
        if matches!(self.proxy, ProxySetting::Url(_)) || !self.extra_ca_certs.is_empty() {
            return Err(Error::new(
                ErrorKind::Configuration,
                "proxy and extra_ca_certs are not supported on WebAssembly, where requests go \
                 through the host's fetch (configure the runtime's proxy and certificates instead)",
            ));
        }
        #[cfg(target_arch = "wasm32")]
        if self.gzip == Some(false) {
            return Err(Error::new(
                ErrorKind::Configuration,
                "gzip(false) is not supported on WebAssembly, where the host's fetch negotiates \
                 compression itself",
            ));
        }
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        if timeout.is_zero() {
            return Err(Error::out_of_range(
                "timeout",
                "timeout must be greater than zero",
            ));
        }
        if self.connect_timeout.is_some_and(|t| t.is_zero()) {
            return Err(Error::out_of_range(
                "connect_timeout",
                "connect_timeout must be greater than zero",
            ));
        }
        if self.total_timeout.is_some_and(|t| t.is_zero()) {
            return Err(Error::out_of_range(
                "total_timeout",
                "total_timeout must be greater than zero",
            ));
        }
        let mut defaults = ExtraParams::new();
        for (name, value) in &self.default_headers {
            defaults = defaults
                .header(name, value)
                .map_err(|e| Error::invalid_argument("default_headers", e.message().to_owned()))?;
        }
        for (name, value) in self.default_query {
            defaults = defaults.query(name, value);
        }
        let user_agent =
            crate::user_agent::user_agent(self.binding.as_ref(), self.user_agent_suffix.as_deref());
        let rate_limit = self.rate_limit.unwrap_or(true);
        let rate_limit_store = rate_limit_store(self.rate_limit_store, rate_limit)?;
        Ok(Config {
            api_key,
            base_url,
            timeout,
            total_timeout: self.total_timeout,
            defaults: (!defaults.is_empty()).then(|| Arc::new(defaults)),
            max_retries: self.max_retries.unwrap_or(DEFAULT_MAX_RETRIES),
            max_rate_limit_wait: self
                .max_rate_limit_wait
                .unwrap_or(DEFAULT_MAX_RATE_LIMIT_WAIT),
            rate_limit,
            rate_limit_store,
            user_agent,
            max_response_bytes: self
                .max_response_bytes
                .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
            http2_prior_knowledge: self.http2_prior_knowledge,
            allow_insecure_http: self.allow_insecure_http,
            gzip: self.gzip.unwrap_or(true),
            on_attempt: self.on_attempt,
            #[cfg(target_arch = "wasm32")]
            fetch: self.fetch,
            connect_timeout: self.connect_timeout,
            proxy: self.proxy,
            extra_ca_certs: self.extra_ca_certs,
            resolve: self.resolve,
        })
    }
}

/// The store of the rate-limit ledger: the option, else `DELEGIR_RATE_LIMIT_STORE` (read here,
/// once per client). A store given together with `rate_limit(false)` is refused (it would be
/// ignored); the environment variable is then not read.
fn rate_limit_store(option: Option<String>, rate_limit: bool) -> Result<Option<StoreUrl>> {
    match option {
        Some(_) if !rate_limit => Err(Error::new(
            ErrorKind::Configuration,
            "rate_limit_store was given with rate_limit turned off; the store would not be used: \
             drop one of the two",
        )),
        Some(url) => StoreUrl::parse(&url, "the rate_limit_store argument").map(Some),
        None if !rate_limit => Ok(None),
        None => match std::env::var(RATE_LIMIT_STORE_ENV) {
            Ok(url) if !url.trim().is_empty() => {
                StoreUrl::parse(&url, RATE_LIMIT_STORE_ENV).map(Some)
            }
            _ => Ok(None),
        },
    }
}

/// Parses the base URL and refuses plain HTTP to non-loopback hosts unless allowed.
fn check_base_url(raw: &str, allow_insecure_http: bool) -> Result<Url> {
    // Messages show the URL without any `user:password@`: a refused URL may hold a password.
    let shown = crate::config::redact_userinfo(raw);
    let url = Url::parse(raw).map_err(|e| {
        Error::new(
            ErrorKind::Configuration,
            format!("base URL {shown:?} is not a valid URL ({e}); use e.g. {DEFAULT_BASE_URL}"),
        )
    })?;
    let raw = shown.as_str();
    // Any userinfo: a user name, or only a password (`http://:secret@host`).
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::new(
            ErrorKind::Configuration,
            format!(
                "base URL {raw:?} must not carry credentials (a user name or password before \
                 `@`); the API key is the only credential, given as the api key option"
            ),
        ));
    }
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
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::new(
            ErrorKind::Configuration,
            format!("base URL {raw:?} must not carry a query or fragment"),
        ));
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
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
