//! Every fault kind: what the client sees and whether the request was processed.

mod common;

use common::*;
use delegir_emulator::{Fault, FaultRule};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

fn status_fault(status: u16) -> Fault {
    Fault::Status {
        status,
        body: None,
        headers: BTreeMap::new(),
        reset_in_secs: None,
    }
}

async fn rename(
    emulator: &delegir_emulator::Emulator,
    name: &str,
) -> Result<reqwest::Response, reqwest::Error> {
    client()
        .put(format!("{}/agents/agt_abc123", emulator.base_url()))
        .header("X-API-Key", emulator.api_key())
        .body(format!(r#"{{"name": "{name}"}}"#))
        .send()
        .await
}

async fn current_name(emulator: &delegir_emulator::Emulator) -> String {
    let (_, body) = get_json(emulator, "/agents/agt_abc123").await;
    body["data"]["name"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn status_fault_answers_json_error_with_rate_limit_headers_and_is_not_processed() {
    let emulator = start_with(60, Duration::from_secs(60)).await;
    emulator.push_fault(rule("PUT", "/agents/agt_abc123", status_fault(500)));
    let response = rename(&emulator, "Changed").await.unwrap();
    assert_eq!(response.status(), 500);
    for name in [
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "date",
    ] {
        assert!(response.headers().contains_key(name), "{name}");
    }
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"error": "Injected fault"})
    );
    assert_eq!(current_name(&emulator).await, "Customer Support Agent");
}

#[tokio::test]
async fn status_fault_can_set_body_headers_and_reset() {
    let emulator = start_with(60, Duration::from_secs(60)).await;
    let mut headers = BTreeMap::new();
    headers.insert("Retry-After".to_string(), Some("7".to_string()));
    headers.insert("Date".to_string(), None);
    emulator.push_fault(rule(
        "GET",
        "/usage",
        Fault::Status {
            status: 429,
            body: Some(json!({"error": "Slow down"})),
            headers,
            reset_in_secs: Some(30),
        },
    ));
    let response = get(&emulator, "/usage").await;
    assert_eq!(response.status(), 429);
    let h = response.headers();
    assert_eq!(h["retry-after"], "7");
    assert!(!h.contains_key("date"), "a null header value removes it");
    assert_eq!(h["x-ratelimit-remaining"], "0");
    let reset: u64 = h["x-ratelimit-reset"].to_str().unwrap().parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!((now + 29..=now + 31).contains(&reset));
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"error": "Slow down"})
    );
}

#[tokio::test]
async fn html_fault_answers_a_proxy_page() {
    let emulator = start().await;
    emulator.push_fault(rule(
        "GET",
        "/agents",
        Fault::Html {
            status: 502,
            body: None,
        },
    ));
    let response = get(&emulator, "/agents").await;
    assert_eq!(response.status(), 502);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(response.text().await.unwrap().contains("502 Bad Gateway"));

    emulator.push_fault(rule(
        "GET",
        "/agents",
        Fault::Html {
            status: 503,
            body: Some("<p>down</p>".into()),
        },
    ));
    let response = get(&emulator, "/agents").await;
    assert_eq!(
        (response.status().as_u16(), response.text().await.unwrap()),
        (503, "<p>down</p>".into())
    );
}

#[tokio::test]
async fn delay_fault_waits_then_answers_normally() {
    let emulator = start().await;
    emulator.push_fault(rule("GET", "/usage", Fault::Delay { ms: 300 }));
    let started = Instant::now();
    let (status, body) = get_json(&emulator, "/usage").await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(status, 200);
    assert_eq!(body["data"]["plan"], "PRO");
    assert_eq!(emulator.journal(None)[0].outcome, "fault:delay");
}

#[tokio::test]
async fn client_hanging_up_during_a_delay_is_journaled_as_client_disconnected_and_not_processed() {
    let emulator = start().await;
    emulator.push_fault(rule("PUT", "/agents/agt_abc123", Fault::Delay { ms: 1000 }));
    let result = client()
        .put(format!("{}/agents/agt_abc123", emulator.base_url()))
        .header("X-API-Key", emulator.api_key())
        .body(r#"{"name": "Too late"}"#)
        .timeout(Duration::from_millis(150))
        .send()
        .await;
    assert!(result.unwrap_err().is_timeout());
    let deadline = Instant::now() + Duration::from_secs(3);
    let entry = loop {
        if let Some(entry) = emulator.journal(None).into_iter().next() {
            break entry;
        }
        assert!(Instant::now() < deadline, "nothing journaled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(
        (entry.status, entry.outcome.as_str()),
        (None, "client_disconnected")
    );
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(current_name(&emulator).await, "Customer Support Agent");
}

#[tokio::test]
async fn reset_before_is_a_connection_error_and_not_processed() {
    let emulator = start().await;
    emulator.push_fault(rule("PUT", "/agents/agt_abc123", Fault::ResetBefore));
    let error = rename(&emulator, "Changed").await.unwrap_err();
    assert!(error.is_request() || error.is_connect(), "{error:?}");
    assert_eq!(current_name(&emulator).await, "Customer Support Agent");
    let entry = &emulator.journal(None)[0];
    assert_eq!(
        (entry.status, entry.outcome.as_str()),
        (None, "fault:reset_before")
    );
}

#[tokio::test]
async fn reset_mid_body_is_a_connection_error_after_the_request_was_processed() {
    let emulator = start().await;
    emulator.push_fault(rule("PUT", "/agents/agt_abc123", Fault::ResetMidBody));
    match rename(&emulator, "Changed").await {
        Err(error) => assert!(error.is_request() || error.is_body(), "{error:?}"),
        Ok(response) => {
            assert_eq!(response.status(), 200);
            assert!(
                response.bytes().await.is_err(),
                "the body must not complete"
            );
        }
    }
    assert_eq!(current_name(&emulator).await, "Changed");
    assert_eq!(emulator.journal(None)[0].outcome, "fault:reset_mid_body");
}

#[tokio::test]
async fn truncated_fault_sends_a_complete_200_with_half_the_json_after_processing() {
    let emulator = start().await;
    emulator.push_fault(rule("PUT", "/agents/agt_abc123", Fault::Truncated));
    let response = rename(&emulator, "Changed").await.unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(
        text.starts_with("{\"data\":{\"id\":\"agt_abc123\""),
        "{text}"
    );
    assert!(serde_json::from_str::<Value>(&text).is_err());
    assert_eq!(current_name(&emulator).await, "Changed");
}

#[tokio::test]
async fn malformed_fault_sends_invalid_json_after_processing() {
    let emulator = start().await;
    emulator.push_fault(rule("PUT", "/agents/agt_abc123", Fault::Malformed));
    let response = rename(&emulator, "Changed").await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert!(serde_json::from_str::<Value>(&response.text().await.unwrap()).is_err());
    assert_eq!(current_name(&emulator).await, "Changed");
}

#[tokio::test]
async fn not_envelope_fault_sends_json_without_data_after_processing() {
    let emulator = start().await;
    emulator.push_fault(rule(
        "PUT",
        "/agents/agt_abc123",
        Fault::NotEnvelope { body: None },
    ));
    let response = rename(&emulator, "Changed").await.unwrap();
    let body: Value = response.json().await.unwrap();
    assert!(body.get("data").is_none());
    assert_eq!(body["result"]["name"], "Changed");
    assert_eq!(current_name(&emulator).await, "Changed");

    emulator.push_fault(rule(
        "GET",
        "/usage",
        Fault::NotEnvelope {
            body: Some(json!({"ok": true})),
        },
    ));
    assert_eq!(
        get_json(&emulator, "/usage").await,
        (200, json!({"ok": true}))
    );
}

#[tokio::test]
async fn redirect_fault_sends_3xx_with_location_and_is_not_processed() {
    let emulator = start().await;
    emulator.push_fault(rule(
        "PUT",
        "/agents/agt_abc123",
        Fault::Redirect {
            status: 307,
            location: "http://elsewhere.example/steal".into(),
        },
    ));
    let response = rename(&emulator, "Changed").await.unwrap();
    assert_eq!(response.status(), 307);
    assert_eq!(
        response.headers()["location"],
        "http://elsewhere.example/steal"
    );
    assert_eq!(current_name(&emulator).await, "Customer Support Agent");
}

#[tokio::test]
async fn large_fault_streams_a_valid_envelope_of_the_given_size() {
    let emulator = start().await;
    emulator.push_fault(rule(
        "GET",
        "/usage",
        Fault::Large {
            megabytes: 3,
            status: 200,
        },
    ));
    let response = get(&emulator, "/usage").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.content_length(), Some(3 * 1024 * 1024));
    let bytes = response.bytes().await.unwrap();
    assert_eq!(bytes.len(), 3 * 1024 * 1024);
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert!(
        body["data"]["padding"]
            .as_str()
            .unwrap()
            .bytes()
            .all(|b| b == b'x')
    );
}

#[tokio::test]
async fn a_rule_applies_to_exactly_count_matching_requests() {
    let emulator = start().await;
    emulator.push_fault(FaultRule {
        count: 2,
        ..rule("get", "/usage", status_fault(503))
    });
    assert_eq!(
        get(&emulator, "/agents").await.status(),
        200,
        "other paths are untouched"
    );
    assert_eq!(get(&emulator, "/usage").await.status(), 503);
    assert_eq!(get(&emulator, "/usage").await.status(), 503);
    assert_eq!(get(&emulator, "/usage").await.status(), 200);
}

#[tokio::test]
async fn wildcard_rules_match_any_method_and_path_and_the_first_rule_wins() {
    let emulator = start().await;
    emulator.push_fault(rule("*", "*", status_fault(502)));
    emulator.push_fault(rule("*", "*", status_fault(504)));
    let key = emulator.api_key();
    assert_eq!(
        send(&emulator, Method::DELETE, "/agents/agt_x", Some(&key), None)
            .await
            .status(),
        502
    );
    assert_eq!(get(&emulator, "/usage").await.status(), 504);
}

#[tokio::test]
async fn a_rule_scoped_to_a_key_leaves_other_keys_alone() {
    let emulator = start().await;
    let other = emulator.new_api_key();
    emulator.push_fault(FaultRule {
        api_key: Some(other.clone()),
        ..rule("*", "*", status_fault(500))
    });
    assert_eq!(get(&emulator, "/usage").await.status(), 200);
    assert_eq!(
        send(&emulator, Method::GET, "/usage", Some(&other), None)
            .await
            .status(),
        500
    );
}

#[tokio::test]
async fn unauthorized_requests_do_not_consume_faults() {
    let emulator = start().await;
    emulator.push_fault(rule("*", "*", status_fault(500)));
    assert_eq!(
        send(&emulator, Method::GET, "/usage", None, None)
            .await
            .status(),
        401
    );
    assert_eq!(get(&emulator, "/usage").await.status(), 500);
}

#[tokio::test]
async fn a_large_fault_of_zero_megabytes_sends_a_body_as_long_as_its_content_length() {
    let emulator = start().await;
    emulator.push_fault(rule(
        "GET",
        "/usage",
        Fault::Large {
            megabytes: 0,
            status: 200,
        },
    ));
    let response = get(&emulator, "/usage").await;
    let length = response.content_length().unwrap();
    let bytes = response.bytes().await.unwrap();
    assert_eq!(bytes.len() as u64, length);
    assert_eq!(&bytes[..], br#"{"data":{"padding":""}}"#);
}

#[tokio::test]
async fn the_library_refuses_the_rules_the_admin_api_refuses() {
    let emulator = start().await;
    let refused = [
        (
            FaultRule {
                count: 0,
                ..rule("GET", "/usage", Fault::Malformed)
            },
            "count",
        ),
        (rule("NOT A METHOD", "/usage", Fault::Malformed), "method"),
        (rule("GET", "/usage", status_fault(1000)), "fault.status"),
        (rule("GET", "/usage", status_fault(42)), "fault.status"),
        (rule("GET", "/usage", status_fault(100)), "fault.status"),
        (rule("GET", "/usage", status_fault(103)), "fault.status"),
        (rule("GET", "/usage", status_fault(101)), "fault.status"),
        (
            rule(
                "GET",
                "/usage",
                Fault::Redirect {
                    status: 200,
                    location: "/x".into(),
                },
            ),
            "fault.status",
        ),
        (
            rule(
                "GET",
                "/usage",
                Fault::Large {
                    megabytes: 1,
                    status: 204,
                },
            ),
            "fault.status",
        ),
        (
            rule(
                "GET",
                "/usage",
                Fault::Large {
                    megabytes: 1,
                    status: 304,
                },
            ),
            "fault.status",
        ),
    ];
    for (bad, field) in refused {
        let error = emulator.try_push_fault(bad.clone()).unwrap_err();
        assert_eq!(error.field(), field, "{bad:?}");
        let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            emulator.push_fault(bad.clone())
        }));
        assert!(panic.is_err(), "push_fault accepted {bad:?}");
    }
    assert!(emulator.journal(None).is_empty());
    assert_eq!(
        get(&emulator, "/usage").await.status(),
        200,
        "nothing was queued"
    );
    emulator
        .try_push_fault(rule("get", "/usage", status_fault(200)))
        .unwrap();
}

/// The library (and through it both helpers) takes a rule's path below the base URL too, as the
/// SDKs' calls name it: `/agents/…` and `agents/…` mean `/api/v1/agents/…`.
#[tokio::test]
async fn a_library_rule_path_below_the_base_url_gets_the_prefix() {
    let emulator = start_with(60, Duration::from_secs(60)).await;
    for path in ["/agents/agt_abc123", "agents/agt_abc123"] {
        emulator.push_fault(FaultRule {
            path: path.into(),
            ..rule("PUT", "*", status_fault(500))
        });
        let response = rename(&emulator, "Changed").await.unwrap();
        assert_eq!(response.status(), 500, "{path}");
    }
    assert_eq!(current_name(&emulator).await, "Customer Support Agent");
}
