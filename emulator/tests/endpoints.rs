//! Every endpoint of the reference, with its exact shape and its effect on state.

mod common;

use common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn list_agents_returns_the_reference_agents_exactly() {
    let emulator = start().await;
    let (status, body) = get_json(&emulator, "/agents").await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"data": [
            {"id": "agt_abc123", "name": "Customer Support Agent", "status": "active",
             "safety_mode": true, "template": "customer-support", "total_runs": 1284,
             "last_active": "2026-03-15T08:30:00Z", "created_at": "2026-01-10T14:00:00Z"},
            {"id": "agt_def456", "name": "Sales Outreach Agent", "status": "paused",
             "safety_mode": false, "template": null, "total_runs": 320,
             "last_active": "2026-03-14T19:45:00Z", "created_at": "2026-02-05T09:00:00Z"}
        ]})
    );
}

#[tokio::test]
async fn get_agent_returns_config_and_channels() {
    let emulator = start().await;
    let (status, body) = get_json(&emulator, "/agents/agt_abc123").await;
    assert_eq!(status, 200);
    assert_eq!(
        body["data"],
        json!({"id": "agt_abc123", "name": "Customer Support Agent", "status": "active",
               "safety_mode": true, "template": "customer-support", "total_runs": 1284,
               "last_active": "2026-03-15T08:30:00Z", "created_at": "2026-01-10T14:00:00Z",
               "config": {"model": "claude-sonnet-4-5-20250514",
                          "system_prompt": "You are a helpful customer support agent...",
                          "temperature": 0.7, "max_tokens": 2048},
               "channels": ["webchat", "email"]})
    );
}

#[tokio::test]
async fn responses_are_json_with_a_date_header() {
    let emulator = start().await;
    let response = get(&emulator, "/agents/agt_abc123").await;
    assert_eq!(response.headers()["content-type"], "application/json");
    assert!(response.headers().contains_key("date"));
}

#[tokio::test]
async fn unknown_agent_is_404_agent_not_found() {
    let emulator = start().await;
    for path in ["/agents/agt_nope", "/agents/agt_nope/runs"] {
        let (status, body) = get_json(&emulator, path).await;
        assert_eq!((status, error_of(&body)), (404, "Agent not found"));
    }
}

#[tokio::test]
async fn put_changes_only_the_given_fields_and_merges_config() {
    let emulator = start().await;
    let (status, body) = send_json(
        &emulator,
        Method::PUT,
        "/agents/agt_abc123",
        r#"{"name": "Updated Support Agent", "config": {"temperature": 0.5}}"#,
    )
    .await;
    assert_eq!(status, 200);
    let data = &body["data"];
    assert_eq!(data["id"], "agt_abc123");
    assert_eq!(data["name"], "Updated Support Agent");
    assert_eq!(data["status"], "active");
    let updated_at = data["updated_at"].as_str().unwrap();
    assert!(
        updated_at.ends_with('Z') && updated_at.len() == 20,
        "{updated_at}"
    );
    assert_eq!(data.as_object().unwrap().len(), 4);

    let (_, agent) = get_json(&emulator, "/agents/agt_abc123").await;
    let agent = &agent["data"];
    assert_eq!(agent["name"], "Updated Support Agent");
    assert_eq!(agent["safety_mode"], true);
    assert_eq!(agent["config"]["temperature"], 0.5);
    assert_eq!(agent["config"]["max_tokens"], 2048);
    assert_eq!(agent["config"]["model"], "claude-sonnet-4-5-20250514");
}

#[tokio::test]
async fn put_can_pause_an_agent_and_chat_then_refuses() {
    let emulator = start().await;
    let (status, _) = send_json(
        &emulator,
        Method::PUT,
        "/agents/agt_abc123",
        r#"{"status":"paused"}"#,
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = send_json(
        &emulator,
        Method::POST,
        "/agents/agt_abc123/chat",
        r#"{"message":"hi"}"#,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        error_of(&body),
        "Agent agt_abc123 is not active (status: paused)"
    );
}

#[tokio::test]
async fn put_on_unknown_agent_is_404() {
    let emulator = start().await;
    let (status, _) = send_json(
        &emulator,
        Method::PUT,
        "/agents/agt_nope",
        r#"{"name":"x"}"#,
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn delete_removes_the_agent_and_a_second_delete_is_404() {
    let emulator = start().await;
    let key = emulator.api_key();
    let response = send(
        &emulator,
        Method::DELETE,
        "/agents/agt_abc123",
        Some(&key),
        None,
    )
    .await;
    let (status, body) = json(response).await;
    assert_eq!(
        (status, body),
        (200, json!({"data": {"deleted": true, "id": "agt_abc123"}}))
    );

    let (status, body) = get_json(&emulator, "/agents/agt_abc123").await;
    assert_eq!((status, error_of(&body)), (404, "Agent not found"));
    let (status, _) = get_json(&emulator, "/agents/agt_abc123/runs").await;
    assert_eq!(status, 404);
    let response = send(
        &emulator,
        Method::DELETE,
        "/agents/agt_abc123",
        Some(&key),
        None,
    )
    .await;
    assert_eq!(response.status(), 404);
    let (_, list) = get_json(&emulator, "/agents").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn chat_replies_deterministically_in_camel_case() {
    let emulator = start().await;
    let (status, body) = send_json(
        &emulator,
        Method::POST,
        "/agents/agt_abc123/chat",
        r#"{"message": "How do I reset my password?"}"#,
    )
    .await;
    assert_eq!(status, 200);
    let data = &body["data"];
    assert_eq!(
        data["response"],
        "To reset your password, go to Settings > Security and click \"Reset Password\". You will receive a confirmation email within a few minutes."
    );
    assert!(data["runId"].as_str().unwrap().starts_with("run_"));
    assert!(data["tokensUsed"].as_u64().unwrap() > 0);

    let other = emulator.new_api_key();
    let response = send(
        &emulator,
        Method::POST,
        "/agents/agt_abc123/chat",
        Some(&other),
        Some(r#"{"message": "How do I reset my password?"}"#),
    )
    .await;
    let (_, again) = json(response).await;
    assert_eq!(
        again["data"], body["data"],
        "same message, same key history, same reply"
    );
}

#[tokio::test]
async fn chat_creates_a_completed_run_at_the_head_and_updates_counters() {
    let emulator = start().await;
    let (_, usage_before) = get_json(&emulator, "/usage").await;
    let (_, reply) = send_json(
        &emulator,
        Method::POST,
        "/agents/agt_abc123/chat",
        r#"{"message":"Hello there"}"#,
    )
    .await;
    let reply = &reply["data"];
    let tokens = reply["tokensUsed"].as_u64().unwrap();

    let (_, page) = get_json(&emulator, "/agents/agt_abc123/runs?limit=2").await;
    let page = &page["data"];
    assert_eq!(page["total"], 1285);
    let run = &page["runs"][0];
    assert_eq!(run["id"], reply["runId"]);
    assert_eq!(run["status"], "completed");
    assert_eq!(run["tokens_used"], tokens);
    assert!(run["duration_ms"].as_u64().unwrap() >= 1);
    assert_eq!(page["runs"][1]["id"], "run_xyz789");

    let (_, agent) = get_json(&emulator, "/agents/agt_abc123").await;
    assert_eq!(agent["data"]["total_runs"], 1285);
    assert_eq!(agent["data"]["last_active"], run["created_at"]);

    let (_, usage) = get_json(&emulator, "/usage").await;
    let (before, after) = (&usage_before["data"], &usage["data"]);
    assert_eq!(
        after["runs_used"],
        before["runs_used"].as_u64().unwrap() + 1
    );
    assert_eq!(
        after["tokens_this_month"],
        before["tokens_this_month"].as_u64().unwrap() + tokens
    );
    let cost = run["cost"].as_f64().unwrap();
    let expected = before["cost_this_month"].as_f64().unwrap() + cost;
    assert!((after["cost_this_month"].as_f64().unwrap() - expected).abs() < 1e-9);
}

#[tokio::test]
async fn chat_on_a_paused_agent_is_400_not_active() {
    let emulator = start().await;
    let (status, body) = send_json(
        &emulator,
        Method::POST,
        "/agents/agt_def456/chat",
        r#"{"message":"hi"}"#,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        error_of(&body),
        "Agent agt_def456 is not active (status: paused)"
    );
    let (_, agent) = get_json(&emulator, "/agents/agt_def456").await;
    assert_eq!(agent["data"]["total_runs"], 320);
}

#[tokio::test]
async fn runs_default_page_is_the_20_newest_starting_with_the_reference_runs() {
    let emulator = start().await;
    let (status, body) = get_json(&emulator, "/agents/agt_abc123/runs").await;
    assert_eq!(status, 200);
    let data = &body["data"];
    assert_eq!(
        (
            data["total"].as_u64(),
            data["limit"].as_u64(),
            data["offset"].as_u64()
        ),
        (Some(1284), Some(20), Some(0))
    );
    let runs = data["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 20);
    assert_eq!(
        runs[0],
        json!({"id": "run_xyz789", "status": "completed", "tokens_used": 142, "cost": 0.0028,
               "duration_ms": 1340, "created_at": "2026-03-15T08:30:00Z"})
    );
    assert_eq!(
        runs[1],
        json!({"id": "run_xyz788", "status": "completed", "tokens_used": 256, "cost": 0.0051,
               "duration_ms": 2100, "created_at": "2026-03-15T08:15:00Z"})
    );
}

#[tokio::test]
async fn paging_through_all_runs_yields_every_run_once_newest_first() {
    let emulator = start().await;
    let mut ids = std::collections::HashSet::new();
    let mut last_created = String::from("9999");
    let mut offset = 0;
    loop {
        let (status, body) = get_json(
            &emulator,
            &format!("/agents/agt_abc123/runs?limit=100&offset={offset}"),
        )
        .await;
        assert_eq!(status, 200);
        let runs = body["data"]["runs"].as_array().unwrap().clone();
        if runs.is_empty() {
            break;
        }
        for run in &runs {
            let created = run["created_at"].as_str().unwrap().to_string();
            assert!(created < last_created, "newest first");
            last_created = created;
            assert!(ids.insert(run["id"].as_str().unwrap().to_string()));
        }
        offset += runs.len();
    }
    assert_eq!(ids.len(), 1284);
    let (_, body) = get_json(&emulator, "/agents/agt_def456/runs?limit=100&offset=300").await;
    assert_eq!(body["data"]["runs"].as_array().unwrap().len(), 20);
    assert_eq!(body["data"]["total"], 320);
}

#[tokio::test]
async fn runs_are_the_same_for_every_key() {
    let emulator = start().await;
    let (_, a) = get_json(&emulator, "/agents/agt_abc123/runs?limit=50&offset=600").await;
    let other = emulator.new_api_key();
    let response = send(
        &emulator,
        Method::GET,
        "/agents/agt_abc123/runs?limit=50&offset=600",
        Some(&other),
        None,
    )
    .await;
    let (_, b) = json(response).await;
    assert_eq!(a, b);
}

#[tokio::test]
async fn usage_starts_at_the_reference_figures() {
    let emulator = start().await;
    let (status, body) = get_json(&emulator, "/usage").await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"data": {"plan": "PRO", "runs_used": 4521, "runs_limit": 10000,
                        "tokens_this_month": 1284350, "cost_this_month": 25.68,
                        "billing_period_start": "2026-03-01T00:00:00Z",
                        "billing_period_end": "2026-03-31T23:59:59Z"}})
    );
}

#[tokio::test]
async fn unknown_route_is_404_and_wrong_method_is_405_in_the_envelope() {
    let emulator = start().await;
    let key = emulator.api_key();
    let response = send(&emulator, Method::GET, "/nothing/here", Some(&key), None).await;
    assert_eq!(response.headers()["content-type"], "application/json");
    let (status, body) = json(response).await;
    assert_eq!(status, 404);
    assert!(error_of(&body).contains("/api/v1/nothing/here"));

    for (method, path) in [
        (Method::POST, "/agents"),
        (Method::PATCH, "/agents/agt_abc123"),
        (Method::GET, "/agents/agt_abc123/chat"),
        (Method::DELETE, "/usage"),
    ] {
        let response = send(&emulator, method.clone(), path, Some(&key), None).await;
        assert_eq!(response.headers()["content-type"], "application/json");
        let (status, body) = json(response).await;
        assert_eq!(status, 405, "{method} {path}");
        assert!(error_of(&body).contains(method.as_str()));
    }
}

#[tokio::test]
async fn paths_outside_the_prefix_are_404_without_a_key() {
    let emulator = start().await;
    let url = format!("http://{}/v2/agents", emulator.addr());
    let (status, body) = json(client().get(url).send().await.unwrap()).await;
    assert_eq!(status, 404);
    assert!(error_of(&body).starts_with("Not found"));
}

#[tokio::test]
async fn a_custom_prefix_moves_the_api() {
    let emulator = delegir_emulator::Emulator::start(delegir_emulator::EmulatorOptions {
        prefix: "/v9/".into(),
        rate_limit: 0,
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(emulator.base_url().ends_with("/v9"));
    let (status, _) = get_json(&emulator, "/usage").await;
    assert_eq!(status, 200);
}
