//! The admin API under /__emulator/: the library's controls over HTTP.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

async fn admin(
    emulator: &delegir_emulator::Emulator,
    method: Method,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = client().request(method, format!("{}{path}", emulator.admin_url()));
    if let Some(key) = key {
        request = request.header("X-API-Key", key);
    }
    if let Some(body) = body {
        request = request.body(body.to_string());
    }
    json(request.send().await.unwrap()).await
}

#[tokio::test]
async fn health_needs_no_key() {
    let emulator = start().await;
    assert!(emulator.admin_url().ends_with("/__emulator"));
    let (status, body) = admin(&emulator, Method::GET, "/health", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["status"], "ok");
}

#[tokio::test]
async fn journal_endpoint_lists_and_clears_and_admin_requests_are_not_journaled() {
    let emulator = start().await;
    let key = emulator.api_key();
    get(&emulator, "/agents").await;
    send(
        &emulator,
        Method::GET,
        "/usage",
        Some(&emulator.new_api_key()),
        None,
    )
    .await;
    let (status, body) = admin(&emulator, Method::GET, "/journal", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    let (_, mine) = admin(&emulator, Method::GET, "/journal", Some(&key), None).await;
    assert_eq!(mine["data"].as_array().unwrap().len(), 1);
    assert_eq!(mine["data"][0]["path"], "/api/v1/agents");
    let (_, cleared) = admin(&emulator, Method::DELETE, "/journal", Some(&key), None).await;
    assert_eq!(cleared["data"]["cleared"], 1);
    let (_, rest) = admin(&emulator, Method::GET, "/journal", None, None).await;
    assert_eq!(rest["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn faults_endpoint_queues_lists_and_clears_rules() {
    let emulator = start().await;
    let rule = json!({"method": "GET", "path": "/api/v1/usage", "count": 2,
                      "fault": {"kind": "status", "status": 503}});
    let (status, body) = admin(&emulator, Method::POST, "/faults", None, Some(rule)).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["fault"]["kind"], "status");
    let (_, list) = admin(&emulator, Method::GET, "/faults", None, None).await;
    assert_eq!(list["data"][0]["count"], 2);
    assert_eq!(get(&emulator, "/usage").await.status(), 503);
    let (_, cleared) = admin(&emulator, Method::DELETE, "/faults", None, None).await;
    assert_eq!(cleared["data"]["cleared"], 1);
    assert_eq!(get(&emulator, "/usage").await.status(), 200);
}

#[tokio::test]
async fn a_fault_posted_with_a_key_header_applies_to_that_key_only() {
    let emulator = start().await;
    let other = emulator.new_api_key();
    let rule = json!({"method": "*", "path": "*", "fault": {"kind": "html", "status": 502}});
    admin(&emulator, Method::POST, "/faults", Some(&other), Some(rule)).await;
    assert_eq!(get(&emulator, "/usage").await.status(), 200);
    assert_eq!(
        send(&emulator, Method::GET, "/usage", Some(&other), None)
            .await
            .status(),
        502
    );
}

#[tokio::test]
async fn invalid_fault_rules_are_400() {
    let emulator = start().await;
    for rule in [
        json!({"method": "GET", "path": "*", "fault": {"kind": "explode"}}),
        json!({"method": "GET", "path": "*", "fault": {"kind": "redirect", "status": 200, "location": "x"}}),
        json!({"method": "GET", "path": "*", "count": 0, "fault": {"kind": "malformed"}}),
        json!({"method": "GET", "fault": {"kind": "malformed"}}),
    ] {
        let (status, body) =
            admin(&emulator, Method::POST, "/faults", None, Some(rule.clone())).await;
        assert_eq!(status, 400, "{rule}");
        assert!(body["error"].is_string());
    }
}

#[tokio::test]
async fn reset_endpoint_resets_one_key_or_everything() {
    let emulator = start().await;
    let key = emulator.api_key();
    send(
        &emulator,
        Method::DELETE,
        "/agents/agt_abc123",
        Some(&key),
        None,
    )
    .await;
    let (status, _) = admin(&emulator, Method::POST, "/reset", Some(&key), None).await;
    assert_eq!(status, 200);
    assert_eq!(get(&emulator, "/agents/agt_abc123").await.status(), 200);
    send(
        &emulator,
        Method::DELETE,
        "/agents/agt_abc123",
        Some(&key),
        None,
    )
    .await;
    admin(&emulator, Method::POST, "/reset", None, None).await;
    assert_eq!(get(&emulator, "/agents/agt_abc123").await.status(), 200);
}

#[tokio::test]
async fn keys_endpoints_issue_and_revoke_keys() {
    let emulator = start().await;
    let (status, body) = admin(&emulator, Method::POST, "/keys", None, None).await;
    assert_eq!(status, 200);
    let key = body["data"]["api_key"].as_str().unwrap().to_string();
    assert_eq!(
        send(&emulator, Method::GET, "/usage", Some(&key), None)
            .await
            .status(),
        200
    );
    let (status, _) = admin(
        &emulator,
        Method::POST,
        "/keys/revoke",
        None,
        Some(json!({"api_key": key})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = json(send(&emulator, Method::GET, "/usage", Some(&key), None).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("Invalid API key"))
    );
    let (status, _) = admin(
        &emulator,
        Method::POST,
        "/keys/revoke",
        None,
        Some(json!({"api_key": "nope"})),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn config_endpoint_reads_and_changes_the_rate_limit() {
    let emulator = start().await;
    let (_, body) = admin(&emulator, Method::GET, "/config", None, None).await;
    assert_eq!(
        body["data"],
        json!({"rate_limit": 0, "rate_window_ms": 60000, "gzip": false})
    );
    let (status, body) = admin(
        &emulator,
        Method::PUT,
        "/config",
        None,
        Some(json!({"rate_limit": 1, "rate_window_ms": 2000})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["data"],
        json!({"rate_limit": 1, "rate_window_ms": 2000, "gzip": false})
    );
    assert_eq!(get(&emulator, "/usage").await.status(), 200);
    assert_eq!(get(&emulator, "/usage").await.status(), 429);
    let (status, _) = admin(
        &emulator,
        Method::PUT,
        "/config",
        None,
        Some(json!({"rate_limit": "x"})),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn gzip_when_switched_on_and_only_to_requests_that_accept_it() {
    let emulator = start().await;
    let url = format!("{}/agents/agt_abc123", emulator.base_url());
    let fetch = |encoding: &'static str| {
        client()
            .get(&url)
            .header("X-API-Key", emulator.api_key())
            .header("Accept-Encoding", encoding)
            .send()
    };
    let plain = fetch("gzip").await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let (status, body) = admin(
        &emulator,
        Method::PUT,
        "/config",
        None,
        Some(json!({"gzip": true})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["gzip"], true);
    let gzipped = fetch("gzip").await.unwrap();
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    let bytes = gzipped.bytes().await.unwrap();
    assert_eq!(&bytes[..2], b"\x1f\x8b", "a gzip member");
    let identity = fetch("identity").await.unwrap();
    assert!(identity.headers().get("content-encoding").is_none());
    let agent: Value = identity.json().await.unwrap();
    assert_eq!(agent["data"]["id"], "agt_abc123");
}

#[tokio::test]
async fn unknown_admin_routes_are_404_in_the_envelope() {
    let emulator = start().await;
    let (status, body) = admin(&emulator, Method::GET, "/nope", None, None).await;
    assert_eq!(status, 404);
    assert!(body["error"].is_string());
    let (status, _) = admin(&emulator, Method::POST, "/health", None, None).await;
    assert_eq!(status, 405);
}
