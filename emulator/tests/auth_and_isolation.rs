//! Keys: 401 for missing, malformed and revoked keys; every key sees its own copy of the data.

mod common;

use common::*;
use reqwest::Method;

#[tokio::test]
async fn missing_key_is_401_without_rate_limit_headers() {
    let emulator = start_with(60, std::time::Duration::from_secs(60)).await;
    let response = send(&emulator, Method::GET, "/agents", None, None).await;
    assert!(!response.headers().contains_key("x-ratelimit-limit"));
    assert!(response.headers().contains_key("date"));
    let (status, body) = json(response).await;
    assert_eq!(status, 401);
    assert!(error_of(&body).contains("X-API-Key"));
}

#[tokio::test]
async fn malformed_keys_are_401_invalid_api_key() {
    let emulator = start().await;
    for key in [
        "secret",
        "dlg_test_",
        "dlg_prod_abc123",
        "dlg_test_abc-123",
        "Bearer dlg_test_abc",
    ] {
        let (status, body) =
            json(send(&emulator, Method::GET, "/agents", Some(key), None).await).await;
        assert_eq!((status, error_of(&body)), (401, "Invalid API key"), "{key}");
    }
}

#[tokio::test]
async fn live_and_test_keys_are_both_accepted() {
    let emulator = start().await;
    for key in ["dlg_live_abc123def456ghi789", "dlg_test_abc123"] {
        let response = send(&emulator, Method::GET, "/agents", Some(key), None).await;
        assert_eq!(response.status(), 200);
    }
}

#[tokio::test]
async fn api_key_and_new_api_key_are_distinct_well_formed_keys() {
    let emulator = start().await;
    let key = emulator.api_key();
    assert!(key.starts_with("dlg_test_") && key.len() == 33, "{key}");
    assert_eq!(key, emulator.api_key());
    assert_ne!(key, emulator.new_api_key());
    assert_ne!(emulator.new_api_key(), emulator.new_api_key());
}

#[tokio::test]
async fn keys_are_isolated_from_each_other() {
    let emulator = start().await;
    let (a, b) = (emulator.new_api_key(), emulator.new_api_key());
    let response = send(
        &emulator,
        Method::DELETE,
        "/agents/agt_abc123",
        Some(&a),
        None,
    )
    .await;
    assert_eq!(response.status(), 200);
    let response = send(
        &emulator,
        Method::POST,
        "/agents/agt_abc123/chat",
        Some(&b),
        Some(r#"{"message":"hi"}"#),
    )
    .await;
    assert_eq!(response.status(), 200, "b still has the agent a deleted");
    let (_, a_usage) = json(send(&emulator, Method::GET, "/usage", Some(&a), None).await).await;
    let (_, b_usage) = json(send(&emulator, Method::GET, "/usage", Some(&b), None).await).await;
    assert_eq!(a_usage["data"]["runs_used"], 4521);
    assert_eq!(b_usage["data"]["runs_used"], 4522);
}

#[tokio::test]
async fn revoked_key_gets_401_and_other_keys_do_not() {
    let emulator = start().await;
    let key = emulator.api_key();
    assert_eq!(get(&emulator, "/agents").await.status(), 200);
    emulator.revoke_key(&key);
    let (status, body) = get_json(&emulator, "/agents").await;
    assert_eq!((status, error_of(&body)), (401, "Invalid API key"));
    let other = emulator.new_api_key();
    assert_eq!(
        send(&emulator, Method::GET, "/agents", Some(&other), None)
            .await
            .status(),
        200
    );
    emulator.reset(Some(&key));
    assert_eq!(
        get(&emulator, "/agents").await.status(),
        200,
        "reset restores the key"
    );
}

#[tokio::test]
async fn reset_of_one_key_restores_its_seed_data_only() {
    let emulator = start().await;
    let (a, b) = (emulator.api_key(), emulator.new_api_key());
    for key in [&a, &b] {
        send(
            &emulator,
            Method::DELETE,
            "/agents/agt_def456",
            Some(key),
            None,
        )
        .await;
    }
    emulator.reset(Some(&a));
    let (_, a_list) = json(send(&emulator, Method::GET, "/agents", Some(&a), None).await).await;
    let (_, b_list) = json(send(&emulator, Method::GET, "/agents", Some(&b), None).await).await;
    assert_eq!(a_list["data"].as_array().unwrap().len(), 2);
    assert_eq!(b_list["data"].as_array().unwrap().len(), 1);
    emulator.reset(None);
    let (_, b_list) = json(send(&emulator, Method::GET, "/agents", Some(&b), None).await).await;
    assert_eq!(b_list["data"].as_array().unwrap().len(), 2);
}
