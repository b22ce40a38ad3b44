//! Helpers shared by the integration tests: start an emulator, send requests over real sockets.

#![allow(dead_code)]

use delegir_emulator::{Emulator, EmulatorOptions, Fault, FaultRule};
use reqwest::{Client, Method, Response};
use serde_json::Value;
use std::sync::Once;
use std::time::Duration;

/// The test's reqwest client: one per test thread (libtest runs each test on its own thread,
/// with its own runtime), because building one costs tens of milliseconds, enough to make
/// short rate-limit windows expire mid-test on a loaded machine.
pub fn client() -> Client {
    static PROVIDER: Once = Once::new();
    PROVIDER.call_once(|| {
        // reqwest is built with `rustls-no-provider`.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    thread_local! {
        static CLIENT: Client = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
    }
    CLIENT.with(Client::clone)
}

/// An emulator with rate limiting off.
pub async fn start() -> Emulator {
    start_with(0, Duration::from_secs(60)).await
}

/// An emulator with the given rate limit.
pub async fn start_with(rate_limit: u32, rate_window: Duration) -> Emulator {
    Emulator::start(EmulatorOptions {
        rate_limit,
        rate_window,
        ..EmulatorOptions::default()
    })
    .await
    .expect("emulator starts")
}

/// Sends `method path` (relative to the base URL) with the key and an optional raw body.
pub async fn send(
    emulator: &Emulator,
    method: Method,
    path: &str,
    key: Option<&str>,
    body: Option<&str>,
) -> Response {
    let mut request = client().request(method, format!("{}{path}", emulator.base_url()));
    if let Some(key) = key {
        request = request.header("X-API-Key", key);
    }
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/json")
            .body(body.to_string());
    }
    request.send().await.expect("request succeeds")
}

/// `GET path` with the emulator's key.
pub async fn get(emulator: &Emulator, path: &str) -> Response {
    send(emulator, Method::GET, path, Some(&emulator.api_key()), None).await
}

/// Status and JSON body of a response.
pub async fn json(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = response.json::<Value>().await.expect("JSON body");
    (status, body)
}

/// `GET path` with the emulator's key, as status and JSON.
pub async fn get_json(emulator: &Emulator, path: &str) -> (u16, Value) {
    json(get(emulator, path).await).await
}

/// Sends with the emulator's key and a body, as status and JSON.
pub async fn send_json(
    emulator: &Emulator,
    method: Method,
    path: &str,
    body: &str,
) -> (u16, Value) {
    json(
        send(
            emulator,
            method,
            path,
            Some(&emulator.api_key()),
            Some(body),
        )
        .await,
    )
    .await
}

/// The `error` message of an error response.
pub fn error_of(body: &Value) -> &str {
    body["error"].as_str().expect("an error envelope")
}

/// A fault rule for one request to `method path` (path relative to the base URL, or `*`).
pub fn rule(method: &str, path: &str, fault: Fault) -> FaultRule {
    FaultRule {
        method: method.into(),
        path: if path == "*" {
            path.into()
        } else {
            format!("/api/v1{path}")
        },
        count: 1,
        api_key: None,
        fault,
    }
}
