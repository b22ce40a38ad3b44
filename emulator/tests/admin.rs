//! The admin API under /__emulator/: the library's controls over HTTP.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

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
async fn a_fault_path_below_the_base_url_gets_the_prefix_as_in_the_library() {
    // `/usage` (as the SDKs name the call) used to be queued as is and never fire.
    let emulator = start().await;
    for path in ["/usage", "usage"] {
        let rule =
            json!({"method": "GET", "path": path, "fault": {"kind": "status", "status": 503}});
        let (status, body) = admin(&emulator, Method::POST, "/faults", None, Some(rule)).await;
        assert_eq!(status, 200);
        assert_eq!(body["data"]["path"], "/api/v1/usage");
        assert_eq!(get(&emulator, "/usage").await.status(), 503, "{path}");
        assert_eq!(get(&emulator, "/usage").await.status(), 200, "{path}");
    }
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
        json!({"method": "GET", "path": "*", "fault": {"kind": "status", "status": 503, "header": {"A": "b"}}}),
        json!({"method": "GET", "path": "*", "fault": {"kind": "status", "status": 503, "resetInSecs": 5}}),
        json!({"method": "GET", "path": "*", "fault": {"kind": "reset_before", "count": 2}}),
        json!({"method": "GET", "path": "*", "fault": {"kind": "status", "status": 103}}),
        json!({"method": "GET", "path": "*", "fault": {"kind": "large", "megabytes": 1, "status": 204}}),
        json!({"method": "NOT A METHOD", "path": "*", "fault": {"kind": "malformed"}}),
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
async fn a_rate_window_over_one_day_is_400_and_changes_nothing() {
    let emulator = start_with(1, Duration::from_secs(60)).await;
    for window in [
        json!(18_446_744_073_709_551_615_u64),
        json!(86_400_001),
        json!(0),
    ] {
        let (status, body) = admin(
            &emulator,
            Method::PUT,
            "/config",
            None,
            Some(json!({"rate_window_ms": window})),
        )
        .await;
        assert_eq!(status, 400, "{window}");
        let message = body["error"].as_str().unwrap();
        assert!(message.contains("'rate_window_ms'"), "{message}");
    }
    let (_, body) = admin(&emulator, Method::GET, "/config", None, None).await;
    assert_eq!(body["data"]["rate_window_ms"], 60000);
    let (status, _) = admin(
        &emulator,
        Method::PUT,
        "/config",
        None,
        Some(json!({"rate_window_ms": 86_400_000})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(get(&emulator, "/usage").await.status(), 200);
    assert_eq!(get(&emulator, "/usage").await.status(), 429);
}

#[tokio::test]
async fn switching_gzip_keeps_the_rate_limit_windows() {
    let emulator = start_with(1, Duration::from_secs(60)).await;
    assert_eq!(get(&emulator, "/usage").await.status(), 200);
    let (status, _) = admin(
        &emulator,
        Method::PUT,
        "/config",
        None,
        Some(json!({"gzip": false})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        get(&emulator, "/usage").await.status(),
        429,
        "the window was not reset"
    );
    let (status, _) = admin(
        &emulator,
        Method::PUT,
        "/config",
        None,
        Some(json!({"rate_limit": 2})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        get(&emulator, "/usage").await.status(),
        200,
        "a new limit opens fresh windows"
    );
}

#[tokio::test]
async fn an_admin_key_header_that_is_not_text_is_400_and_clears_nothing() {
    let emulator = start().await;
    get(&emulator, "/usage").await;
    let bad = reqwest::header::HeaderValue::from_bytes(b"dlg_test_\xff\xfe").unwrap();
    for method in [Method::GET, Method::DELETE] {
        for path in ["/journal", "/faults"] {
            let response = client()
                .request(method.clone(), format!("{}{path}", emulator.admin_url()))
                .header("X-API-Key", bad.clone())
                .send()
                .await
                .unwrap();
            let (status, body) = json(response).await;
            assert_eq!(status, 400, "{method} {path}");
            assert!(body["error"].as_str().unwrap().contains("X-API-Key"));
        }
    }
    let response = client()
        .post(format!("{}/reset", emulator.admin_url()))
        .header("X-API-Key", bad.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let response = client()
        .post(format!("{}/faults", emulator.admin_url()))
        .header("X-API-Key", bad)
        .body(r#"{"method":"*","path":"*","fault":{"kind":"malformed"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(emulator.journal(None).len(), 1, "nothing was cleared");
    assert_eq!(
        get(&emulator, "/usage").await.status(),
        200,
        "no fault was queued"
    );
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
