//! The proxy variables of the environment: which one is read, and CGI. In its own test binary
//! (its own process): it sets environment variables, which would race with tests running in
//! parallel threads. The proxies are dead ports, so a call that used one fails naming it, and a
//! call that went direct does not.

mod common;

use std::net::TcpListener;

use delegir::{Client, ErrorKind};

/// Sets exactly `vars` among the network variables.
fn environment(vars: &[(&str, &str)]) {
    // SAFETY: this is the only test in this binary, so no other thread reads the environment.
    unsafe { common::env::set_network_environment(vars) };
}

/// `http://127.0.0.1:PORT` of a port nothing listens on.
fn dead_proxy() -> String {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}")
}

#[tokio::test]
async fn proxy_variables_are_read_lowercase_first_and_cgi_ignores_only_the_uppercase_http_proxy() {
    let emu = common::emulator().await;
    let https = || {
        Client::builder()
            .api_key(emu.api_key())
            .base_url("https://api.delegir.invalid/api/v1")
            .max_retries(0)
            .build()
            .unwrap()
    };
    let plain = || {
        common::builder(&emu)
            .max_retries(0)
            .rate_limit(false)
            .build()
            .unwrap()
    };
    let through = |error: delegir::Error, proxy: &str| {
        assert_eq!(error.kind(), ErrorKind::Connection, "{error}");
        assert!(
            error.to_string().contains(proxy),
            "not through {proxy}: {error}"
        );
    };

    // Under CGI (REQUEST_METHOD set), HTTPS_PROXY and ALL_PROXY still apply: hyper-util's
    // `Matcher::from_env` dropped every variable there, and the call went direct.
    for name in ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"] {
        let proxy = dead_proxy();
        environment(&[("REQUEST_METHOD", "GET"), (name, &proxy)]);
        through(https().usage().get().await.unwrap_err(), &proxy);
    }
    // ... but not HTTP_PROXY, which a CGI program's client sets with a `Proxy:` header
    // ("httpoxy"): the call goes direct to the emulator. `http_proxy` is the user's.
    let proxy = dead_proxy();
    environment(&[("REQUEST_METHOD", "GET"), ("HTTP_PROXY", &proxy)]);
    plain().usage().get().await.unwrap();
    environment(&[("REQUEST_METHOD", "GET"), ("http_proxy", &proxy)]);
    through(plain().usage().get().await.unwrap_err(), &proxy);
    // Without CGI, HTTP_PROXY applies.
    environment(&[("HTTP_PROXY", &proxy)]);
    through(plain().usage().get().await.unwrap_err(), &proxy);

    // Both cases set: the lowercase one, as curl, requests and httpx read them; an empty value
    // is unset (hyper-util took an empty HTTPS_PROXY and went direct past https_proxy).
    let (lower, upper) = (dead_proxy(), dead_proxy());
    environment(&[("https_proxy", &lower), ("HTTPS_PROXY", &upper)]);
    through(https().usage().get().await.unwrap_err(), &lower);
    environment(&[("HTTPS_PROXY", ""), ("https_proxy", &lower)]);
    through(https().usage().get().await.unwrap_err(), &lower);
    environment(&[
        ("no_proxy", "api.delegir.invalid"),
        ("NO_PROXY", ""),
        ("https_proxy", &lower),
    ]);
    let direct = https().usage().get().await.unwrap_err();
    assert!(
        !direct.to_string().contains(&lower),
        "NO_PROXY's lowercase name applies: {direct}"
    );
    environment(&[]);
}
