//! The HTTP side under the transport: the connection pool ([`Pool`]), the headers every request
//! carries, the URL of each request.
//!
//! Built on hyper rather than on reqwest: the SDK uses none of reqwest's extras (it follows no
//! redirects, keeps no cookies, has its own retry policy, timeouts and body cap), and those layers
//! cost as much CPU per call as hyper itself. Measured on the bench's small GET at concurrency 64:
//! raw reqwest 23-28 µs of client CPU per call, hyper-util's client 12.6-13.8 µs (and this
//! crate's own pool less again, see `pool.rs`).
//!
//! It follows no redirects (a 3xx is an error: following one would hand `X-API-Key` to whatever
//! host `Location` names). TLS is rustls with the `ring` provider (half the cold build time of
//! aws-lc-rs) and the platform's certificate verifier.

use std::sync::Once;
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Request, Response, Uri};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::client::legacy::connect::HttpConnector;

use crate::config::Config;
use crate::error::{Error, ErrorKind, Result};
use crate::pool::{Body, Connector, Lease, Origin, Pool, SendError};
use crate::request::ApiRequest;

/// Longest time spent opening a TCP connection before the attempt counts as "never sent" and is
/// retried for every method; capped by the client's timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// TCP keep-alive probes on pooled connections.
const TCP_KEEPALIVE: Duration = Duration::from_secs(60);

const X_API_KEY: HeaderName = HeaderName::from_static("x-api-key");
const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");

/// The connection pool and what every request carries.
pub(crate) struct Http {
    pool: Pool,
    /// The base URL's path without a trailing slash (`/api/v1`, or empty); a request's path and
    /// query are appended to it.
    base_path: String,
    /// `X-API-Key`, marked sensitive (hyper's HTTP/2 encoder then never indexes it).
    api_key: HeaderValue,
    user_agent: HeaderValue,
}

impl Http {
    pub(crate) fn new(config: &Config) -> Result<Http> {
        let mut api_key = HeaderValue::from_str(config.api_key.expose()).map_err(|_| {
            Error::new(
                ErrorKind::Configuration,
                "the API key cannot be sent as an HTTP header value",
            )
        })?;
        api_key.set_sensitive(true);
        let user_agent = HeaderValue::from_str(&config.user_agent).map_err(|_| {
            Error::new(
                ErrorKind::Configuration,
                "the user agent suffix must be visible ASCII text",
            )
        })?;

        let mut tcp = HttpConnector::new();
        // The HTTPS wrapper below decides the scheme; the TCP connector serves both.
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_keepalive(Some(TCP_KEEPALIVE));
        tcp.set_connect_timeout(Some(config.timeout.min(CONNECT_TIMEOUT)));
        let connector = tls_connector(config.http2_prior_knowledge, tcp)?;
        let origin = Origin::of(&config.base_url).map_err(|e| {
            Error::new(
                ErrorKind::Configuration,
                format!("the base URL's host cannot be used in a request: {e}"),
            )
            .with_source(e)
        })?;
        let pool = Pool::new(connector, origin, config.http2_prior_knowledge);
        Ok(Http {
            pool,
            base_path: config.base_url.path().trim_end_matches('/').to_owned(),
            api_key,
            user_agent,
        })
    }

    /// The HTTP request of one attempt, its URI in origin form (`/api/v1/agents/agt_1`). Built
    /// per attempt (a retry builds it again) rather than cloned: the body is a shared `Bytes`
    /// and the rest is a few small copies.
    pub(crate) fn build(&self, request: &ApiRequest) -> Result<Request<Body>> {
        let query_len = request.query.as_ref().map_or(0, |q| q.len() + 1);
        let mut url = String::with_capacity(self.base_path.len() + request.path.len() + query_len);
        url.push_str(&self.base_path);
        url.push_str(&request.path);
        if let Some(query) = &request.query {
            url.push('?');
            url.push_str(query);
        }
        // Paths hold validated ids and queries are encoded by the endpoints, so this only
        // fails on a bug; it fails before anything is sent.
        let uri = Uri::from_maybe_shared(Bytes::from(url)).map_err(|e| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "could not build the request for {} {}: {e}",
                    request.method, request.route
                ),
            )
        })?;
        let mut headers = HeaderMap::with_capacity(5);
        headers.insert(X_API_KEY, self.api_key.clone());
        headers.insert(header::ACCEPT, APPLICATION_JSON);
        headers.insert(header::USER_AGENT, self.user_agent.clone());
        let body = match &request.body {
            Some(body) => {
                headers.insert(header::CONTENT_TYPE, APPLICATION_JSON);
                Full::new(body.clone())
            }
            None => Full::default(),
        };
        let mut built = Request::new(body);
        *built.method_mut() = request.method.clone();
        *built.uri_mut() = uri;
        *built.headers_mut() = headers;
        Ok(built)
    }

    /// Sends a built request; resolves with the response head (the body streams after, on the
    /// lent connection).
    pub(crate) async fn send(
        &self,
        request: Request<Body>,
    ) -> std::result::Result<(Response<Incoming>, Lease<'_>), SendError> {
        self.pool.send(request).await
    }
}

/// The connector for `https` (and plain `http` to loopback or when allowed). With HTTP/2 prior
/// knowledge TLS offers only `h2`; otherwise it offers both and the server chooses.
fn tls_connector(http2_only: bool, tcp: HttpConnector) -> Result<Connector> {
    install_crypto_provider();
    let tls = hyper_rustls::HttpsConnectorBuilder::new()
        .try_with_platform_verifier()
        .map_err(|e| {
            Error::new(
                ErrorKind::Configuration,
                format!("could not set up TLS certificate verification: {e}"),
            )
            .with_source(e)
        })?
        .https_or_http();
    Ok(if http2_only {
        tls.enable_http2().wrap_connector(tcp)
    } else {
        tls.enable_http1().enable_http2().wrap_connector(tcp)
    })
}

/// Installs rustls' `ring` provider as the process default, once. rustls is built without
/// aws-lc-rs, so the TLS config uses whatever provider is installed; when the application
/// installed one first, that one is kept.
fn install_crypto_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // Err means another provider is already installed, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

#[cfg(test)]
mod tests {
    use crate::client::Client;
    use crate::request::ApiRequest;

    /// The URL a request goes to, for a client with `base_url`.
    fn url_for(base_url: &str, path: &str, query: Option<&str>) -> String {
        let client = Client::builder()
            .api_key("sk_test_0123456789abcdef")
            .base_url(base_url)
            .build()
            .unwrap();
        let mut request = ApiRequest::get("/test", path.to_owned());
        request.query = query.map(str::to_owned);
        let http = &client.shared.transport.http;
        let origin = http.pool.origin();
        format!("{origin}{}", http.build(&request).unwrap().uri())
    }

    #[test]
    fn request_urls_join_the_base_path_the_route_and_the_query() {
        let cases = [
            (
                "https://delegir.com/api/v1",
                "/agents/agt_1",
                None,
                "https://delegir.com/api/v1/agents/agt_1",
            ),
            (
                "https://delegir.com/api/v1/",
                "/usage",
                None,
                "https://delegir.com/api/v1/usage",
            ),
            (
                "https://delegir.com",
                "/usage",
                None,
                "https://delegir.com/usage",
            ),
            (
                "http://127.0.0.1:4010/x/y",
                "/agents/agt_1/runs",
                Some("limit=100&offset=5"),
                "http://127.0.0.1:4010/x/y/agents/agt_1/runs?limit=100&offset=5",
            ),
            (
                "https://DELEGIR.com:443/api/v1",
                "/agents",
                None,
                "https://delegir.com/api/v1/agents",
            ),
        ];
        for (base, path, query, expected) in cases {
            assert_eq!(url_for(base, path, query), expected, "base {base:?}");
        }
    }

    #[test]
    fn every_request_carries_the_key_accept_and_user_agent_and_a_body_its_type() {
        let client = Client::builder()
            .api_key("sk_test_0123456789abcdef")
            .base_url("http://127.0.0.1:4010/api/v1")
            .build()
            .unwrap();
        let mut request = ApiRequest::get("/agents/:id/chat", "/agents/agt_1/chat".to_owned());
        request.method = http::Method::POST;
        request.body = Some(bytes::Bytes::from_static(b"{\"message\":\"hi\"}"));
        let built = client.shared.transport.http.build(&request).unwrap();
        let headers = built.headers();
        assert_eq!(headers["x-api-key"], "sk_test_0123456789abcdef");
        assert!(headers["x-api-key"].is_sensitive());
        assert_eq!(headers["accept"], "application/json");
        assert_eq!(headers["content-type"], "application/json");
        assert!(
            headers["user-agent"]
                .to_str()
                .unwrap()
                .starts_with("delegir-rust/")
        );
        assert_eq!(built.method(), http::Method::POST);
    }
}
