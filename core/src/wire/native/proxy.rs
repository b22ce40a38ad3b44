//! HTTP proxies: which one (if any) a client uses, and the `CONNECT` tunnel through it.
//!
//! A client talks to one origin, so the choice is made once, when it is built: an explicit
//! proxy URL, none, or the environment as curl reads it (`https_proxy`, `http_proxy`,
//! `all_proxy`, `no_proxy`, the lowercase name before the uppercase one, with CIDR blocks;
//! under CGI not `HTTP_PROXY`: [`env_proxies`]). The matching rules are hyper-util's `Matcher`
//! (the ones reqwest follows), not a parser of our own; an explicit URL goes through the same
//! matcher, so credentials are decoded the same way.
//!
//! `NO_PROXY` entries that name a port (`api.example.com:8443`, `127.0.0.1:9000`,
//! `[::1]:8080`) bypass the proxy for that port only; hyper-util's matcher has no port entries
//! (it takes them for domain names that never match), so [`port_entries`] splits them off and
//! each host part is matched by a hyper-util matcher of its own, the port compared here. A bare
//! host, a CIDR block, `*` or a `.suffix` bypasses it for every port, as before; `*` also for
//! a base URL whose host is an address (hyper-util applies it to names only, curl to all).
//!
//! Deliberate difference from curl: curl has no port entries either (lib/noproxy.c compares
//! the whole entry with the host name; checked with curl 7.88: `NO_PROXY=127.0.0.1:PORT` still
//! goes through the proxy, for that port too). An entry with a port is only ever written to
//! exempt that port, so it is honoured as Go's `net/http`, Python's `urllib`/requests and
//! httpx do, rather than silently ignored. A port that is not a number up to 65535 leaves the
//! entry a (never matching) name, as in those clients. An IPv6 address with a port must be in
//! brackets: `::1:8080` is the address `::1:8080`, for every port (as hyper-util reads it).
//!
//! `https` goes through a `CONNECT` tunnel (TLS inside it, checked against the API's host);
//! plain `http` is sent to the proxy in absolute form (`GET http://host/path HTTP/1.1`, see
//! `http.rs`), except with HTTP/2 prior knowledge, which also tunnels. The proxy's credentials
//! become a `Proxy-Authorization: Basic` header; what errors and logs show of a proxy is its
//! scheme, host and port only.

use http::HeaderValue;
use hyper_util::client::proxy::matcher::Matcher;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use url::{Host, Url};

use crate::config::{ProxySetting, redact_userinfo};

/// Longest proxy answer to `CONNECT` read (its head; a body is never read).
const MAX_CONNECT_HEAD: usize = 16 * 1024;

/// The proxy a client's connections go through.
pub(crate) struct Proxy {
    /// `http://host:port`, without credentials: what errors show.
    pub(crate) shown: String,
    pub(crate) host: Host<String>,
    pub(crate) port: u16,
    /// `Basic …` from the URL's `user:password@`, marked sensitive.
    pub(crate) authorization: Option<HeaderValue>,
}

/// The proxy for requests to `base` under `setting`, or `None` to connect directly.
pub(crate) fn choose(setting: &ProxySetting, base: &Url) -> Result<Option<Proxy>, String> {
    let origin = origin_uri(base)?;
    let (matcher, source) = match setting {
        ProxySetting::Off => return Ok(None),
        ProxySetting::FromEnv => (
            {
                let env = env_proxies();
                check_env(&env, base.scheme())?;
                let value = |var: &Option<(&str, String)>| {
                    var.as_ref().map(|(_, v)| v.clone()).unwrap_or_default()
                };
                Matcher::builder()
                    .all(value(&env.all))
                    .http(value(&env.http))
                    .https(value(&env.https))
                    .no(env.no)
                    .build()
            },
            if base.scheme() == "https" {
                "HTTPS_PROXY or ALL_PROXY"
            } else {
                "HTTP_PROXY or ALL_PROXY"
            },
        ),
        ProxySetting::Url(raw) => {
            check_explicit(raw)?;
            (
                Matcher::builder().all(raw.clone()).build(),
                "the proxy option",
            )
        }
    };
    let Some(intercept) = matcher.intercept(&origin) else {
        if matches!(setting, ProxySetting::Url(_)) {
            return Err(format!(
                "the proxy URL {} cannot be used",
                redact_userinfo(proxy_url(setting))
            ));
        }
        return Ok(None);
    };
    // What the matcher read in `NO_PROXY` but does not match: port entries, and `*`
    // for an address.
    if matches!(setting, ProxySetting::FromEnv)
        && bypassed_beyond_matcher(&env_proxies().no, &origin)
    {
        return Ok(None);
    }
    let uri = intercept.uri();
    let scheme = uri.scheme_str().unwrap_or("http");
    let host = uri.host().unwrap_or_default();
    if scheme != "http" {
        return Err(format!(
            "the proxy {scheme}://{host} (from {source}) uses {scheme}, which is not supported; \
             use an http:// proxy URL"
        ));
    }
    let port = uri.port_u16().unwrap_or(80);
    Ok(Some(Proxy {
        shown: format!("http://{host}:{port}"),
        host: Host::parse(host).map_err(|e| format!("the proxy host {host} is not valid: {e}"))?,
        port,
        authorization: intercept.basic_auth().cloned(),
    }))
}

/// The proxy variables of the environment, each as (its name, its value).
struct EnvProxies {
    all: Option<(&'static str, String)>,
    http: Option<(&'static str, String)>,
    https: Option<(&'static str, String)>,
    /// `NO_PROXY`'s value, or empty.
    no: String,
}

/// The proxy variables, read as curl, requests and httpx read them: the lowercase name first,
/// then the uppercase one, a variable set to nothing being unset. Under CGI (`REQUEST_METHOD`
/// set), the uppercase `HTTP_PROXY` is not read: a client of a CGI program sets it with a
/// `Proxy:` header ("httpoxy"); curl and Go ignore it too. hyper-util's `Matcher::from_env`
/// reads the uppercase name first and, under CGI, drops every variable, so calls went direct
/// past `HTTPS_PROXY`; the matcher is built from these values instead.
fn env_proxies() -> EnvProxies {
    let first = |names: &[&'static str]| {
        names.iter().find_map(|&name| {
            let value = std::env::var(name).ok()?;
            (!value.trim().is_empty()).then_some((name, value))
        })
    };
    let cgi = std::env::var_os("REQUEST_METHOD").is_some();
    EnvProxies {
        all: first(&["all_proxy", "ALL_PROXY"]),
        http: first(if cgi {
            &["http_proxy"]
        } else {
            &["http_proxy", "HTTP_PROXY"]
        }),
        https: first(&["https_proxy", "HTTPS_PROXY"]),
        no: first(&["no_proxy", "NO_PROXY"])
            .map(|(_, value)| value)
            .unwrap_or_default(),
    }
}

/// Whether `no_proxy` exempts `origin` by a rule hyper-util's matcher lacks: an entry that
/// names a port (see [`port_entries`]) naming `origin`'s host and port, or an entry `*` when
/// the host is an address (hyper-util applies `*` to names only; for curl it means every host).
fn bypassed_beyond_matcher(no_proxy: &str, origin: &http::Uri) -> bool {
    let Some(port) = origin.port_u16() else {
        return false;
    };
    let everything = |host: &str| host == "*";
    no_proxy.split(',').map(str::trim).any(everything)
        || port_entries(no_proxy)
            .filter(|&(_, entry_port)| entry_port == port)
            .any(|(host, _)| {
                // hyper-util's rules for the host part (name and subdomains, address, CIDR):
                // a matcher whose `NO_PROXY` is this host alone, asked whether it would proxy.
                let alone = Matcher::builder()
                    .all("http://no-proxy.invalid")
                    .no(host)
                    .build();
                everything(host) || alone.intercept(origin).is_none()
            })
}

/// The entries of a `NO_PROXY` list that name a port, as (host, port): `host:port`,
/// `[ipv6]:port`. Entries without one are left to hyper-util's matcher.
fn port_entries(no_proxy: &str) -> impl Iterator<Item = (&str, u16)> {
    no_proxy.split(',').map(str::trim).filter_map(|entry| {
        let (host, port) = match entry.strip_prefix('[') {
            Some(bracketed) => bracketed.split_once("]:")?,
            None => entry.rsplit_once(':')?,
        };
        // More colons: an IPv6 address without brackets (`::1:8080`), not a port.
        if host.is_empty() || (!entry.starts_with('[') && host.contains(':')) {
            return None;
        }
        if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some((host, port.parse().ok()?))
    })
}

fn proxy_url(setting: &ProxySetting) -> &str {
    match setting {
        ProxySetting::Url(raw) => raw,
        _ => "",
    }
}

/// The proxy variable that applies to a base URL of `scheme` (`https_proxy` for https,
/// `http_proxy` for http, else `all_proxy`; see [`env_proxies`]) must parse: hyper-util's
/// matcher skips a value it cannot parse, and the call would then go direct, past the proxy the
/// environment asked for. A value without a scheme means `http://`, as there.
fn check_env(env: &EnvProxies, scheme: &str) -> Result<(), String> {
    let specific = if scheme == "https" {
        &env.https
    } else {
        &env.http
    };
    let Some((name, raw)) = specific.as_ref().or(env.all.as_ref()) else {
        return Ok(());
    };
    let url = if raw.contains("://") {
        raw.clone()
    } else {
        format!("http://{raw}")
    };
    let shown = redact_userinfo(raw);
    let valid = Url::parse(&url).map_err(|e| e.to_string()).and_then(|url| {
        if url.host().is_some() {
            Ok(())
        } else {
            Err("no host".to_owned())
        }
    });
    valid.map_err(|e| {
        format!(
            "the proxy in {name} ({shown}) is not a valid URL ({e}); fix or unset it (a call \
             never goes direct when the environment names a proxy)"
        )
    })
}

/// An explicit proxy URL must be `http://host[:port]`, with optional credentials.
fn check_explicit(raw: &str) -> Result<(), String> {
    let shown = redact_userinfo(raw);
    let url = Url::parse(raw).map_err(|e| format!("the proxy URL {shown} is not valid ({e})"))?;
    if url.scheme() != "http" {
        return Err(format!(
            "the proxy URL {shown} has scheme {:?}; only http:// proxies are supported (https \
             requests still go through them encrypted, in a CONNECT tunnel)",
            url.scheme()
        ));
    }
    if url.host().is_none() {
        return Err(format!("the proxy URL {shown} has no host"));
    }
    if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "the proxy URL {shown} must be http://[user:password@]host[:port], without a path"
        ));
    }
    Ok(())
}

/// `scheme://host:port/` of the base URL, which the matcher compares with `NO_PROXY`.
fn origin_uri(base: &Url) -> Result<http::Uri, String> {
    let host = base.host_str().ok_or("the base URL has no host")?;
    let port = base.port_or_known_default().unwrap_or(443);
    format!("{}://{host}:{port}/", base.scheme())
        .parse()
        .map_err(|e| format!("the base URL's host cannot be used: {e}"))
}

/// Asks the proxy for a tunnel to `authority` (`host:port`) on `tcp`, a connection to it.
/// Afterwards the stream speaks to the origin.
pub(crate) async fn tunnel(
    tcp: &mut TcpStream,
    proxy: &Proxy,
    authority: &str,
) -> Result<(), String> {
    let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n").into_bytes();
    if let Some(authorization) = &proxy.authorization {
        request.extend_from_slice(b"Proxy-Authorization: ");
        request.extend_from_slice(authorization.as_bytes());
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"\r\n");
    let lost = |e: std::io::Error| {
        format!(
            "the proxy {} closed the connection while opening a tunnel to {authority}: {e}",
            proxy.shown
        )
    };
    tcp.write_all(&request).await.map_err(lost)?;
    // Byte by byte: what follows the head belongs to the origin (an HTTP/2 server may speak
    // first) and must stay in the socket. Once per connection, and a head is ~100 bytes.
    let mut head = Vec::with_capacity(256);
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= MAX_CONNECT_HEAD {
            return Err(format!(
                "the proxy {} answered CONNECT with a head larger than {MAX_CONNECT_HEAD} bytes",
                proxy.shown
            ));
        }
        match tcp.read_u8().await {
            Ok(byte) => head.push(byte),
            Err(e) => return Err(lost(e)),
        }
    }
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(&head) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => {
            return Err(format!(
                "the proxy {} answered CONNECT with a malformed response",
                proxy.shown
            ));
        }
    }
    let status = response.code.unwrap_or_default();
    if (200..300).contains(&status) {
        return Ok(());
    }
    Err(refusal(
        proxy,
        &format!("to open a tunnel to {authority}"),
        status,
        response.reason.unwrap_or_default(),
    ))
}

/// What a proxy's refusal says: the proxy (without credentials), what it refused, its answer,
/// and for 401/407 what to do about the credentials.
pub(crate) fn refusal(proxy: &Proxy, what: &str, status: u16, reason: &str) -> String {
    let hint = match status {
        // 401: what some proxies (tinyproxy) answer instead of 407.
        401 | 407 if proxy.authorization.is_some() => {
            " (it did not accept the user and password of the proxy URL)"
        }
        401 | 407 => {
            " (it asks for credentials: give them in the proxy URL, \
             http://user:password@host:port)"
        }
        _ => "",
    };
    format!(
        "the proxy {} refused {what}: HTTP {status} {reason}{hint}",
        proxy.shown
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(url: &str) -> Url {
        Url::parse(url).unwrap()
    }

    #[test]
    fn an_explicit_proxy_carries_its_credentials_as_basic_auth_and_never_shows_them() {
        let setting = ProxySetting::Url("http://alice:s3cr%40t@proxy.example:3128".into());
        let proxy = choose(&setting, &base("https://delegir.com/api/v1"))
            .unwrap()
            .unwrap();
        assert_eq!(proxy.shown, "http://proxy.example:3128");
        assert_eq!(proxy.host, Host::Domain("proxy.example".to_owned()));
        assert_eq!(proxy.port, 3128);
        let authorization = proxy.authorization.unwrap();
        // base64("alice:s3cr@t")
        assert_eq!(authorization, "Basic YWxpY2U6czNjckB0");
        assert!(authorization.is_sensitive());
        assert!(!format!("{setting:?}").contains("s3cr"), "{setting:?}");
    }

    #[test]
    fn a_bad_explicit_proxy_is_refused_without_showing_its_password() {
        for raw in [
            "socks5://u:hunter2@proxy:1080",
            "https://u:hunter2@proxy:3128",
            "http://u:hunter2@proxy:3128/path",
            "u:hunter2@proxy:3128",
            "http://u:hunter2@[bad/",
        ] {
            let error = choose(&ProxySetting::Url(raw.into()), &base("https://delegir.com"))
                .err()
                .unwrap_or_else(|| panic!("{raw} accepted"));
            assert!(!error.contains("hunter2"), "{error}");
        }
    }

    fn uri(origin: &str) -> http::Uri {
        origin_uri(&base(origin)).unwrap()
    }

    #[test]
    fn port_entries_are_host_colon_port_or_bracketed_ipv6_colon_port() {
        let entries: Vec<(&str, u16)> = port_entries(
            " api.example.com:8443, 127.0.0.1:9000,[::1]:8080 ,localhost,::1,::1:8080,\
             10.0.0.0/8:80,*:443,host:abc,host:99999,host:,:80,[::1],[::1]:x,,.svc:1",
        )
        .collect();
        assert_eq!(
            entries,
            [
                ("api.example.com", 8443),
                ("127.0.0.1", 9000),
                ("::1", 8080),
                ("10.0.0.0/8", 80),
                ("*", 443),
                (".svc", 1),
            ]
        );
    }

    #[test]
    fn a_port_entry_bypasses_the_proxy_for_its_host_and_that_port_only() {
        for (no_proxy, origin, bypassed) in [
            ("api.example.com:8443", "https://api.example.com:8443", true),
            ("api.example.com:8443", "https://api.example.com", false),
            (
                "api.example.com:8443",
                "https://eu.api.example.com:8443",
                true,
            ),
            (
                "api.example.com:8443",
                "https://notapi.example.com:8443",
                false,
            ),
            (".example.com:8443", "https://api.example.com:8443", true),
            ("API.example.com:8443", "https://api.example.com:8443", true),
            // The default port of the scheme counts.
            (
                "api.example.com:443",
                "https://api.example.com/api/v1",
                true,
            ),
            ("api.example.com:80", "http://api.example.com/api/v1", true),
            (
                "api.example.com:443",
                "http://api.example.com/api/v1",
                false,
            ),
            ("127.0.0.1:9000", "http://127.0.0.1:9000", true),
            ("127.0.0.1:9000", "http://127.0.0.1:9001", false),
            ("127.0.0.1:9000", "http://127.0.0.2:9000", false),
            ("[::1]:8080", "http://[::1]:8080", true),
            ("[::1]:8080", "http://[::1]:8081", false),
            ("10.0.0.0/8:80", "http://10.1.2.3", true),
            ("10.0.0.0/8:80", "http://11.1.2.3", false),
            ("*:8443", "https://api.example.com:8443", true),
            ("*:8443", "https://api.example.com:8444", false),
            ("*:9000", "http://127.0.0.1:9000", true),
            ("*:9000", "http://127.0.0.1:9001", false),
            // `*` alone is every host, names (hyper-util) and addresses (here).
            ("*", "http://127.0.0.1:9000", true),
            ("localhost, *", "http://[::1]:9000", true),
            (
                "other.com, api.example.com:1 ,api.example.com:8443",
                "https://api.example.com:8443",
                true,
            ),
            // Entries without a port are hyper-util's, not this function's.
            ("api.example.com", "https://api.example.com:8443", false),
            ("::1:8080", "http://[::1]:8080", false),
            ("", "https://api.example.com", false),
        ] {
            assert_eq!(
                bypassed_beyond_matcher(no_proxy, &uri(origin)),
                bypassed,
                "NO_PROXY={no_proxy:?} for {origin}"
            );
        }
    }

    #[test]
    fn hyper_util_never_matches_a_port_entry_so_it_can_stay_in_the_list_it_reads() {
        // `Matcher::from_env` reads the whole of NO_PROXY; its port entries must not bypass the
        // proxy for other ports (they would if hyper-util matched the host part alone).
        let matcher = Matcher::builder()
            .all("http://proxy.example:3128")
            .no("api.example.com:8443,127.0.0.1:9000,[::1]:8080,10.0.0.0/8:80")
            .build();
        for origin in [
            "https://api.example.com:8443",
            "https://api.example.com",
            "http://127.0.0.1:9000",
            "http://127.0.0.1",
            "http://[::1]:8080",
            "http://10.1.2.3",
        ] {
            assert!(matcher.intercept(&uri(origin)).is_some(), "{origin}");
        }
    }

    #[test]
    fn hyper_util_applies_a_star_to_names_only() {
        let matcher = Matcher::builder()
            .all("http://proxy.example:3128")
            .no("*")
            .build();
        assert!(matcher.intercept(&uri("https://api.example.com")).is_none());
        assert!(matcher.intercept(&uri("http://127.0.0.1:9000")).is_some());
    }

    #[test]
    fn no_proxy_means_direct() {
        assert!(
            choose(&ProxySetting::Off, &base("https://delegir.com"))
                .unwrap()
                .is_none()
        );
    }
}
