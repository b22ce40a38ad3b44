//! The HTTP side under the transport: the headers every request carries, the target of each
//! request, and the choice of protocol for it (HTTP/1.1 on a pooled connection of its own, or
//! HTTP/2 on the shared one). Connections live in [`Pool`].
//!
//! HTTP/1.1 is the SDK's own codec (`h1.rs`, which says why); HTTP/2 is the `h2` crate's
//! (`h2.rs`). Neither is reqwest: the SDK uses none of its extras (it follows no redirects,
//! keeps no cookies, has its own retry policy, timeouts and body cap), and those layers cost as
//! much CPU per call as the HTTP itself. Measured on the bench's small GET at concurrency 64: raw reqwest 23-28 µs of
//! client CPU per call; hyper's client on the pool before `h1.rs` 10.4-11.7 µs (bench/README.md
//! has the figures of this codec).
//!
//! It follows no redirects (a 3xx is an error: following one would hand `X-API-Key` to whatever
//! host `Location` names). TLS is rustls with the `ring` provider (half the cold build time of
//! aws-lc-rs) and the platform's certificate verifier.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Method, Request, Uri};
use url::{Position, Url};

use crate::config::Config;
use crate::error::{Error, ErrorKind, Result};
use crate::extra::ExtraParams;
use crate::wire::native::connect::Connector;
use crate::wire::native::encoding;
use crate::wire::native::h1;
use crate::wire::native::h2;
use crate::wire::native::pool::{Http2Shared, Opened, Pool};
use crate::wire::native::proxy;
use crate::wire::request::{ApiRequest, Idempotency};
use crate::wire::response::{Response, SendError};

/// Longest time spent opening a connection (DNS, TCP over every address, a proxy's tunnel,
/// TLS) unless the client sets its own; capped by the client's timeout. Running out is a timeout error, and since nothing was
/// sent the attempt is retried for every method.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How many times one attempt sends a request again after the server provably did not process
/// it. An HTTP/1.1 connection the server closed as the request went out costs one resend (the
/// fresh connection it goes to has not been kept idle). HTTP/2 refusals come in a row: a server
/// that ends each connection after a number of streams (nginx's `keepalive_requests 50`) refuses
/// every stream in flight above it, and at a concurrency above that number about one request in
/// five is refused on each connection it meets (measured through nginx at concurrency 64: with
/// 3 resends, 4 of 2,000 calls were refused 4 times in a row). Each resend goes to a connection
/// opened after the refusing one was retired, so the bound only keeps a server that refuses
/// everything from looping a call.
const UNPROCESSED_RESENDS: u8 = 10;

const X_API_KEY: HeaderName = HeaderName::from_static("x-api-key");
const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");
/// Responses may be gzip (see `encoding.rs`).
const GZIP: HeaderValue = HeaderValue::from_static("gzip");
/// What `ClientBuilder::gzip(false)` asks for instead.
const IDENTITY: HeaderValue = HeaderValue::from_static("identity");

/// The connection pool and what every request carries. Deliberately not `Debug`: it holds the
/// API key.
pub(crate) struct Http {
    pool: Pool,
    /// The base URL's path without a trailing slash (`/api/v1`, or empty); a request's path and
    /// query are appended to it.
    base_path: String,
    /// `http://host:port` when requests go to a forwarding proxy (absolute-form targets), else
    /// empty.
    absolute_prefix: String,
    /// The header lines every HTTP/1.1 request carries (`host`, `x-api-key`, `accept`,
    /// `accept-encoding`, `user-agent`, and `proxy-authorization` for a forwarding proxy with
    /// credentials), serialized once.
    http1_headers: Vec<u8>,
    /// What HTTP/2 requests carry instead.
    http2: Http2Parts,
}

struct Http2Parts {
    scheme: Scheme,
    authority: Authority,
    /// `X-API-Key`, marked sensitive (h2's HPACK encoder then never indexes it).
    api_key: HeaderValue,
    user_agent: HeaderValue,
    /// `gzip`, or `identity` with `ClientBuilder::gzip(false)`.
    accept_encoding: HeaderValue,
}

/// One request, ready to be sent as many times as the attempt loop needs.
pub(crate) struct Outgoing {
    method: Method,
    /// The path and query (`/api/v1/agents/agt_1`), checked to hold only URI characters.
    target: PathAndQuery,
    body: Option<Bytes>,
    /// Extra headers, when the call has any.
    extra: Option<Arc<ExtraParams>>,
    /// Whether sending it twice does no harm (GET, PUT, DELETE; not a chat).
    idempotent: bool,
    /// Whether the current attempt has handed the request to a connection (see
    /// [`Outgoing::handed_over`]); reset when an attempt starts.
    handed: AtomicBool,
}

impl Outgoing {
    /// Whether the last attempt got as far as handing the request to a connection. If not
    /// (it was still connecting, or waiting for one of the server's concurrent HTTP/2 streams)
    /// when its timeout ran out, nothing of it was sent, and even a chat may go again.
    pub(crate) fn handed_over(&self) -> bool {
        self.handed.load(Ordering::Relaxed)
    }

    fn hand_over(&self, handed: bool) {
        self.handed.store(handed, Ordering::Relaxed);
    }
}

impl Http {
    pub(crate) fn new(config: &Config) -> Result<Http> {
        let key = config.api_key.expose();
        let mut api_key = HeaderValue::from_str(key).map_err(|_| {
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
        let (scheme, authority) = origin(&config.base_url).map_err(|e| {
            Error::new(
                ErrorKind::Configuration,
                format!("the base URL's host cannot be used in a request: {e}"),
            )
            .with_source(e)
        })?;
        let connector = Connector::new(
            config,
            config
                .connect_timeout
                .unwrap_or(CONNECT_TIMEOUT)
                .min(config.timeout),
        )
        .map_err(|e| {
            Error::new(
                ErrorKind::Configuration,
                format!("could not set up connections to the base URL: {e}"),
            )
        })?;
        let mut http1_headers = Vec::with_capacity(160 + key.len() + config.user_agent.len());
        // Through a forwarding proxy (plain http): absolute-form targets, and its credentials.
        let proxy = connector.forwarding_proxy();
        let absolute_prefix = match proxy {
            Some(_) => format!("http://{authority}"),
            None => String::new(),
        };
        let proxy_authorization = proxy
            .and_then(|p| p.authorization.as_ref())
            .and_then(|value| value.to_str().ok());
        for (name, value) in [
            ("host", Some(authority.as_str())),
            ("x-api-key", Some(key)),
            ("accept", Some("application/json")),
            (
                "accept-encoding",
                Some(if config.gzip { "gzip" } else { "identity" }),
            ),
            ("user-agent", Some(config.user_agent.as_str())),
            ("proxy-authorization", proxy_authorization),
        ] {
            let Some(value) = value else { continue };
            http1_headers.extend_from_slice(name.as_bytes());
            http1_headers.extend_from_slice(b": ");
            http1_headers.extend_from_slice(value.as_bytes());
            http1_headers.extend_from_slice(b"\r\n");
        }
        Ok(Http {
            pool: Pool::new(connector, config.http2_prior_knowledge),
            base_path: config.base_url.path().trim_end_matches('/').to_owned(),
            absolute_prefix,
            http1_headers,
            http2: Http2Parts {
                scheme,
                authority,
                api_key,
                user_agent,
                accept_encoding: if config.gzip { GZIP } else { IDENTITY },
            },
        })
    }

    /// The request of an [`ApiRequest`], built once for all its attempts (the body is a shared
    /// `Bytes`, never copied).
    pub(crate) fn build(
        &self,
        request: &ApiRequest,
        extra: Option<&Arc<ExtraParams>>,
    ) -> Result<Outgoing> {
        // Extra query parameters and body fields are merged in here, once for all attempts.
        let (query, body) = match extra {
            None => (None, request.body.clone()),
            Some(extra) => {
                let route = format!("{} {}", request.method, request.route);
                (
                    extra.apply_query(request.query.as_deref(), &route)?,
                    extra.apply_body(request.body.as_ref(), &route)?,
                )
            }
        };
        let query = if extra.is_some() {
            query.as_ref()
        } else {
            request.query.as_ref()
        };
        let query_len = query.map_or(0, |q| q.len() + 1);
        let mut target =
            String::with_capacity(self.base_path.len() + request.path.len() + query_len);
        target.push_str(&self.base_path);
        target.push_str(&request.path);
        if let Some(query) = query {
            target.push('?');
            target.push_str(query);
        }
        // Paths hold validated ids and queries are encoded by the endpoints, so this only
        // fails on a bug; it fails before anything is sent. It also guarantees that the
        // HTTP/1.1 request line cannot be broken by a space or a line break.
        let target = PathAndQuery::from_maybe_shared(Bytes::from(target)).map_err(|e| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "could not build the request for {} {}: {e}",
                    request.method, request.route
                ),
            )
        })?;
        Ok(Outgoing {
            method: request.method.clone(),
            target,
            body,
            extra: extra.filter(|e| !e.header_list().is_empty()).cloned(),
            idempotent: request.idempotency == Idempotency::Idempotent,
            handed: AtomicBool::new(false),
        })
    }

    /// Sends a request and reads its response whole, the body up to `max_bytes`.
    pub(crate) async fn send(
        &self,
        request: &Outgoing,
        max_bytes: usize,
    ) -> std::result::Result<Response, SendError> {
        // A request the server provably did not process is sent again on a fresh connection
        // (not on the next idle one: a server that closed one has likely closed them all),
        // without using the caller's retries, at most `UNPROCESSED_RESENDS` times; then the
        // attempt loop's rules apply.
        let mut resends: u8 = 0;
        request.hand_over(false);
        if let Some(shared) = self.pool.live_http2() {
            match self.send_http2(shared, request, max_bytes).await {
                // Refused unprocessed (a stream above a GOAWAY's last-stream-id, a
                // REFUSED_STREAM); the connection was retired.
                Err(SendError::Unsent(_)) => resends = 1,
                result => return result,
            }
        } else if let Some(mut connection) = self.pool.checkout() {
            // The request is serialized for each connection it is written to (rarely more
            // than one) and dropped once written, so that a call waiting for its response
            // holds none.
            request.hand_over(true);
            match connection
                .exchange(self.http1_request(request), max_bytes)
                .await
            {
                // The write failed without an answer: the server closed the idle connection
                // and never had the whole request (any method).
                Err(SendError::Unsent(_)) => {
                    request.hand_over(false);
                    resends = UNPROCESSED_RESENDS;
                }
                // Written whole, then closed without a byte of response: usually a keep-alive
                // close that crossed the request, but the server may have read it, so only a
                // request that may be repeated goes again (a chat reports the error).
                Err(SendError::Closed(_)) if request.idempotent => resends = UNPROCESSED_RESENDS,
                result => return self.settle(connection, result, max_bytes),
            }
        }
        loop {
            // Boxed: see `pool.rs`. With prior knowledge there are no idle HTTP/1.1
            // connections, and this opens (or waits for) the shared HTTP/2 one.
            match Box::pin(self.pool.connect()).await? {
                // On a fresh HTTP/1.1 connection a failed write is the attempt loop's "not
                // sent" (the connection was not one the server had been keeping).
                Opened::Http1(mut connection) => {
                    request.hand_over(true);
                    let result = connection
                        .exchange(self.http1_request(request), max_bytes)
                        .await;
                    return self.settle(connection, result, max_bytes);
                }
                Opened::Http2(shared) => match self.send_http2(shared, request, max_bytes).await {
                    // Refused by a connection this call found or opened: again on the
                    // connection opened after that one was retired.
                    Err(SendError::Unsent(_)) if resends < UNPROCESSED_RESENDS => resends += 1,
                    result => return result,
                },
            }
        }
    }

    /// Not boxed: the response's future (384 bytes) is smaller than the HTTP/1.1 exchange's,
    /// which sizes every call's future (`-Zprint-type-sizes`), so inline it costs no call
    /// anything and saves an HTTP/2 call an allocation. A connection that refused the request
    /// unprocessed is retired from the pool, so that the next request opens a fresh one.
    async fn send_http2(
        &self,
        shared: Http2Shared,
        request: &Outgoing,
        max_bytes: usize,
    ) -> std::result::Result<Response, SendError> {
        let id = shared.id;
        // A place among the server's concurrent streams first: a call waiting for one has sent
        // nothing (see `h2::Slot`). Held until the response is read.
        let slot = shared
            .slot()
            .await
            .inspect_err(|_| self.pool.retire_http2(id))?;
        let started = h2::ready(&shared).await.and_then(|sender| {
            request.hand_over(true);
            h2::start(sender, self.http2_request(request), request.body.clone())
        });
        // While the call waits for the response it keeps neither the connection's `Arc` nor
        // the request; h2's stream keeps the connection open.
        drop(shared);
        let result = match started {
            Ok(response) => h2::receive(response, max_bytes).await,
            Err(unsent) => Err(unsent),
        };
        drop(slot);
        if matches!(result, Err(SendError::Unsent(_))) {
            request.hand_over(false);
            self.pool.retire_http2(id);
        }
        result.and_then(|response| encoding::decode(response, max_bytes))
    }

    /// Gives a connection back to the pool if its exchange left it ready for another request,
    /// and decodes a compressed body.
    fn settle(
        &self,
        connection: h1::Connection,
        result: std::result::Result<(Response, bool), SendError>,
        max_bytes: usize,
    ) -> std::result::Result<Response, SendError> {
        let (response, reusable) = result?;
        if reusable {
            self.pool.checkin(connection);
        }
        // Only a proxy answers 407: it refused to forward the request, as it would refuse a
        // tunnel, and the API never saw it.
        if response.status == 407
            && let Some(proxy) = self.pool.forwarding_proxy()
        {
            let refused = proxy::refusal(
                proxy,
                "to forward the request",
                407,
                "Proxy Authentication Required",
            );
            return Err(SendError::Connect(refused.into()));
        }
        encoding::decode(response, max_bytes)
    }

    /// The HTTP/1.1 request: request line, the fixed headers, the body's headers, the body.
    fn http1_request(&self, request: &Outgoing) -> Vec<u8> {
        let method = request.method.as_str();
        let target = request.target.as_str();
        let body = request.body.as_deref().unwrap_or_default();
        let mut bytes = Vec::with_capacity(
            method.len()
                + self.absolute_prefix.len()
                + target.len()
                + self.http1_headers.len()
                + body.len()
                + 80,
        );
        bytes.extend_from_slice(method.as_bytes());
        bytes.push(b' ');
        bytes.extend_from_slice(self.absolute_prefix.as_bytes());
        bytes.extend_from_slice(target.as_bytes());
        bytes.extend_from_slice(b" HTTP/1.1\r\n");
        match &request.extra {
            None => bytes.extend_from_slice(&self.http1_headers),
            Some(extra) => self.http1_headers_with(extra, &mut bytes),
        }
        let own_type = request
            .extra
            .as_ref()
            .is_some_and(|e| e.has_header("content-type"));
        if request.body.is_some() && !own_type {
            bytes.extend_from_slice(b"content-type: application/json\r\n");
        }
        if request.body.is_some() || request.method != Method::GET {
            bytes.extend_from_slice(b"content-length: ");
            bytes.extend_from_slice(body.len().to_string().as_bytes());
            bytes.extend_from_slice(b"\r\n");
        }
        bytes.extend_from_slice(b"\r\n");
        bytes.extend_from_slice(body);
        bytes
    }

    /// The fixed header lines with the extra headers: an extra `accept` or `user-agent`
    /// replaces the SDK's (the fixed block is then written line by line, skipping it).
    fn http1_headers_with(&self, extra: &ExtraParams, bytes: &mut Vec<u8>) {
        for fixed in self.http1_headers.split_inclusive(|&b| b == b'\n') {
            let name = fixed.split(|&b| b == b':').next().unwrap_or_default();
            if !std::str::from_utf8(name).is_ok_and(|n| extra.has_header(n)) {
                bytes.extend_from_slice(fixed);
            }
        }
        for (name, value) in extra.header_list() {
            bytes.extend_from_slice(name.as_str().as_bytes());
            bytes.extend_from_slice(b": ");
            bytes.extend_from_slice(value.as_bytes());
            bytes.extend_from_slice(b"\r\n");
        }
    }

    /// The HTTP/2 request: HTTP/2 carries the scheme and authority as pseudo-headers, taken
    /// from the URI.
    fn http2_request(&self, request: &Outgoing) -> Request<()> {
        let parts = &self.http2;
        let mut uri = http::uri::Parts::default();
        uri.scheme = Some(parts.scheme.clone());
        uri.authority = Some(parts.authority.clone());
        uri.path_and_query = Some(request.target.clone());
        let mut headers = HeaderMap::with_capacity(5);
        headers.insert(X_API_KEY, parts.api_key.clone());
        headers.insert(header::ACCEPT, APPLICATION_JSON);
        headers.insert(header::ACCEPT_ENCODING, parts.accept_encoding.clone());
        headers.insert(header::USER_AGENT, parts.user_agent.clone());
        if let Some(extra) = &request.extra {
            // Connection-specific headers, which HTTP/2 forbids, are refused as extras
            // (extra::RESERVED_HEADERS), so every extra header can go as it is.
            for (name, value) in extra.header_list() {
                headers.insert(name.clone(), value.clone());
            }
        }
        match &request.body {
            Some(body) => {
                if !headers.contains_key(header::CONTENT_TYPE) {
                    headers.insert(header::CONTENT_TYPE, APPLICATION_JSON);
                }
                headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
            }
            None if h2::empty_body_has_length(&request.method) => {
                headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
            }
            None => {}
        }
        let mut built = Request::new(());
        *built.method_mut() = request.method.clone();
        // Scheme, authority and path were each checked already.
        *built.uri_mut() = Uri::from_parts(uri).expect("a URI from checked parts");
        *built.headers_mut() = headers;
        built
    }
}

/// The scheme and authority of a base URL the client builder checked (`http` or `https`, with a
/// host).
fn origin(base: &Url) -> std::result::Result<(Scheme, Authority), http::Error> {
    let scheme = if base.scheme() == "https" {
        Scheme::HTTPS
    } else {
        Scheme::HTTP
    };
    let authority = Authority::try_from(&base[Position::BeforeHost..Position::AfterPort])?;
    Ok((scheme, authority))
}

#[cfg(test)]
mod tests {
    use crate::client::Client;
    use crate::wire::request::ApiRequest;

    /// The URL a request goes to, for a client with `base_url`.
    fn url_for(base_url: &str, path: &str, query: Option<&str>) -> String {
        let client = Client::builder()
            .api_key("sk_test_0123456789abcdef")
            .base_url(base_url)
            .build()
            .unwrap();
        let mut request = ApiRequest::get("/test", path.to_owned());
        request.query = query.map(str::to_owned);
        let http = &client.transport.http;
        http.http2_request(&http.build(&request, None).unwrap())
            .uri()
            .to_string()
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

    fn chat_request() -> ApiRequest {
        let mut request = ApiRequest::get("/agents/:id/chat", "/agents/agt_1/chat".to_owned());
        request.method = http::Method::POST;
        request.body = Some(bytes::Bytes::from_static(b"{\"message\":\"hi\"}"));
        request
    }

    fn client() -> Client {
        Client::builder()
            .api_key("sk_test_0123456789abcdef")
            .base_url("http://127.0.0.1:4010/api/v1")
            .user_agent_suffix("app/1.0")
            .build()
            .unwrap()
    }

    #[test]
    fn an_http1_request_is_the_request_line_the_fixed_headers_and_the_body() {
        let client = client();
        let http = &client.transport.http;
        let chat = http.http1_request(&http.build(&chat_request(), None).unwrap());
        let text = String::from_utf8(chat).unwrap();
        let user_agent = &client.transport.config.user_agent;
        assert_eq!(
            text,
            format!(
                "POST /api/v1/agents/agt_1/chat HTTP/1.1\r\nhost: 127.0.0.1:4010\r\n\
                 x-api-key: sk_test_0123456789abcdef\r\naccept: application/json\r\n\
                 accept-encoding: gzip\r\nuser-agent: {user_agent}\r\ncontent-type: application/json\r\n\
                 content-length: 16\r\n\r\n{{\"message\":\"hi\"}}"
            )
        );
        assert!(user_agent.starts_with("delegir-rust/") && user_agent.ends_with(" app/1.0"));

        let get = ApiRequest::get("/usage", "/usage".to_owned());
        let text = String::from_utf8(http.http1_request(&http.build(&get, None).unwrap())).unwrap();
        assert!(text.starts_with("GET /api/v1/usage HTTP/1.1\r\n"), "{text}");
        assert!(
            text.ends_with("\r\n\r\n") && !text.contains("content-"),
            "{text}"
        );
    }

    #[test]
    fn gzip_false_asks_for_identity_over_http1_and_http2() {
        let client = Client::builder()
            .api_key("sk_test_0123456789abcdef")
            .base_url("http://127.0.0.1:4010/api/v1")
            .gzip(false)
            .build()
            .unwrap();
        let http = &client.transport.http;
        let get = http.build(&ApiRequest::get("/usage", "/usage".to_owned()), None);
        let get = get.unwrap();
        let text = String::from_utf8(http.http1_request(&get)).unwrap();
        assert!(text.contains("\r\naccept-encoding: identity\r\n"), "{text}");
        assert!(!text.contains("gzip"), "{text}");
        assert_eq!(
            http.http2_request(&get).headers()["accept-encoding"],
            "identity"
        );
        let default = self::client();
        let http = &default.transport.http;
        let get = http.build(&ApiRequest::get("/usage", "/usage".to_owned()), None);
        assert_eq!(
            http.http2_request(&get.unwrap()).headers()["accept-encoding"],
            "gzip"
        );
    }

    #[test]
    fn an_http2_request_carries_the_key_marked_sensitive_accept_user_agent_and_body_type() {
        let client = client();
        let http = &client.transport.http;
        let built = http.http2_request(&http.build(&chat_request(), None).unwrap());
        let headers = built.headers();
        assert_eq!(headers["x-api-key"], "sk_test_0123456789abcdef");
        assert!(headers["x-api-key"].is_sensitive());
        assert_eq!(headers["accept"], "application/json");
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(
            headers["user-agent"],
            client.transport.config.user_agent.as_str()
        );
        assert_eq!(built.method(), http::Method::POST);
    }

    #[test]
    fn a_target_that_could_break_the_request_line_is_refused_before_sending() {
        let client = client();
        let http = &client.transport.http;
        for path in ["/agents/a b", "/agents/a\r\nx-evil: 1"] {
            let request = ApiRequest::get("/agents/:id", path.to_owned());
            let error = http.build(&request, None).err().expect(path);
            assert_eq!(error.kind(), crate::error::ErrorKind::InvalidArgument);
        }
    }
}
