//! The fixed window per key: headers on every keyed response, 429 with Retry-After over the
//! limit, no state changed by limited requests, fresh allowance after the window.

mod common;

use common::*;
use delegir_emulator::Fault;
use reqwest::Method;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn header(response: &reqwest::Response, name: &str) -> u64 {
    response.headers()[name].to_str().unwrap().parse().unwrap()
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn sixth_request_in_a_5_per_2s_window_is_429_then_passes_after_reset() {
    let emulator = start_with(5, Duration::from_secs(2)).await;
    let mut reset = 0;
    for expected_remaining in (0..5).rev() {
        let response = get(&emulator, "/agents").await;
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "x-ratelimit-limit"), 5);
        assert_eq!(
            header(&response, "x-ratelimit-remaining"),
            expected_remaining
        );
        reset = header(&response, "x-ratelimit-reset");
        assert!(response.headers().contains_key("date"));
    }
    let now = now_secs();
    assert!(
        reset > now && reset <= now + 3,
        "reset {reset} is the window's end (now {now})"
    );

    let response = get(&emulator, "/agents").await;
    assert_eq!(response.status(), 429);
    assert_eq!(header(&response, "x-ratelimit-limit"), 5);
    assert_eq!(header(&response, "x-ratelimit-remaining"), 0);
    assert_eq!(header(&response, "x-ratelimit-reset"), reset);
    let retry_after = header(&response, "retry-after");
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    assert!(response.headers().contains_key("date"));
    let (_, body) = json(response).await;
    assert!(error_of(&body).starts_with("Rate limit exceeded"));

    tokio::time::sleep(Duration::from_millis(2100)).await;
    let response = get(&emulator, "/agents").await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "x-ratelimit-remaining"), 4);
}

#[tokio::test]
async fn requests_over_the_limit_change_no_state_and_consume_no_fault() {
    let emulator = start_with(2, Duration::from_secs(2)).await;
    let key = emulator.api_key();
    get(&emulator, "/usage").await;
    get(&emulator, "/usage").await;
    emulator.push_fault(rule(
        "*",
        "*",
        Fault::Status {
            status: 503,
            body: None,
            headers: Default::default(),
            reset_in_secs: None,
        },
    ));
    let limited = [
        send(
            &emulator,
            Method::POST,
            "/agents/agt_abc123/chat",
            Some(&key),
            Some(r#"{"message":"hi"}"#),
        )
        .await,
        send(
            &emulator,
            Method::PUT,
            "/agents/agt_abc123",
            Some(&key),
            Some(r#"{"name":"Changed"}"#),
        )
        .await,
        send(
            &emulator,
            Method::DELETE,
            "/agents/agt_def456",
            Some(&key),
            None,
        )
        .await,
    ];
    assert!(limited.iter().all(|r| r.status() == 429));

    emulator.set_rate_limit(0, Duration::from_secs(60));
    let response = get(&emulator, "/agents").await;
    assert_eq!(response.status(), 503, "the fault is still queued");
    let (_, agents) = get_json(&emulator, "/agents").await;
    let agents = agents["data"].as_array().unwrap();
    assert_eq!(agents.len(), 2);
    assert_eq!(agents[0]["name"], "Customer Support Agent");
    assert_eq!(agents[0]["total_runs"], 1284);
    let (_, usage) = get_json(&emulator, "/usage").await;
    assert_eq!(usage["data"]["runs_used"], 4521);

    let outcomes: Vec<_> = emulator
        .journal(Some(&key))
        .into_iter()
        .map(|e| e.outcome)
        .collect();
    assert_eq!(
        &outcomes[2..6],
        [
            "rate_limited",
            "rate_limited",
            "rate_limited",
            "fault:status"
        ]
    );
}

#[tokio::test]
async fn two_hundred_concurrent_requests_at_limit_100_let_exactly_100_through() {
    let emulator = start_with(100, Duration::from_secs(60)).await;
    let url = format!("{}/agents/agt_abc123", emulator.base_url());
    let key = emulator.api_key();
    let client = client();
    let requests = (0..200).map(|_| {
        let request = client.get(&url).header("X-API-Key", &key);
        async move { request.send().await.unwrap().status().as_u16() }
    });
    let statuses = futures::future::join_all(requests).await;
    assert_eq!(statuses.iter().filter(|&&s| s == 200).count(), 100);
    assert_eq!(statuses.iter().filter(|&&s| s == 429).count(), 100);
}

#[tokio::test]
async fn each_key_has_its_own_window() {
    let emulator = start_with(1, Duration::from_secs(60)).await;
    let (a, b) = (emulator.api_key(), emulator.new_api_key());
    assert_eq!(
        send(&emulator, Method::GET, "/usage", Some(&a), None)
            .await
            .status(),
        200
    );
    assert_eq!(
        send(&emulator, Method::GET, "/usage", Some(&a), None)
            .await
            .status(),
        429
    );
    assert_eq!(
        send(&emulator, Method::GET, "/usage", Some(&b), None)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn every_keyed_response_carries_the_headers_errors_included() {
    let emulator = start_with(10, Duration::from_secs(60)).await;
    let key = emulator.api_key();
    let responses = [
        get(&emulator, "/agents/agt_missing").await,
        get(&emulator, "/agents/agt_abc123/runs?limit=0").await,
        send(&emulator, Method::POST, "/usage", Some(&key), None).await,
        get(&emulator, "/unknown").await,
    ];
    for response in responses {
        for name in [
            "x-ratelimit-limit",
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
            "date",
        ] {
            assert!(
                response.headers().contains_key(name),
                "{} lacks {name}",
                response.status()
            );
        }
    }
}

#[tokio::test]
async fn rate_limit_zero_turns_limiting_and_its_headers_off() {
    let emulator = start().await;
    for _ in 0..100 {
        let response = get(&emulator, "/usage").await;
        assert_eq!(response.status(), 200);
        assert!(!response.headers().contains_key("x-ratelimit-limit"));
    }
}

#[tokio::test]
async fn set_rate_limit_applies_at_once_with_fresh_windows() {
    let emulator = start_with(1, Duration::from_secs(60)).await;
    get(&emulator, "/usage").await;
    assert_eq!(get(&emulator, "/usage").await.status(), 429);
    emulator.set_rate_limit(3, Duration::from_secs(60));
    let response = get(&emulator, "/usage").await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "x-ratelimit-limit"), 3);
    assert_eq!(header(&response, "x-ratelimit-remaining"), 2);
}
