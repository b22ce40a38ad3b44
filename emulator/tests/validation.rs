//! Every validation error of the spec: 400 (413 for size) with a message naming the problem.

mod common;

use common::*;
use reqwest::Method;

async fn put_error(body: &str) -> (u16, String) {
    let emulator = start().await;
    let (status, json) = send_json(&emulator, Method::PUT, "/agents/agt_abc123", body).await;
    (status, error_of(&json).to_string())
}

async fn chat_error(body: &str) -> (u16, String) {
    let emulator = start().await;
    let (status, json) = send_json(&emulator, Method::POST, "/agents/agt_abc123/chat", body).await;
    (status, error_of(&json).to_string())
}

fn assert_400(result: (u16, String), fragment: &str) {
    assert_eq!(result.0, 400, "{}", result.1);
    assert!(
        result.1.contains(fragment),
        "{:?} should mention {fragment:?}",
        result.1
    );
}

#[tokio::test]
async fn body_that_is_not_json_is_400() {
    assert_400(put_error("{name: oops").await, "not valid JSON");
    assert_400(chat_error("message=hi").await, "not valid JSON");
}

#[tokio::test]
async fn empty_body_is_400() {
    assert_400(put_error("").await, "must be a JSON object");
    assert_400(chat_error("").await, "must be a JSON object");
}

#[tokio::test]
async fn body_that_is_not_an_object_is_400() {
    assert_400(put_error(r#"["name"]"#).await, "must be a JSON object");
    assert_400(chat_error(r#""hello""#).await, "must be a JSON object");
}

#[tokio::test]
async fn unknown_fields_are_400_and_list_the_allowed_ones() {
    assert_400(
        put_error(r#"{"nmae": "x"}"#).await,
        "Unknown field 'nmae'; allowed fields: name, status, config",
    );
    assert_400(
        put_error(r#"{"config": {"temp": 1}}"#).await,
        "Unknown field 'config.temp'",
    );
    assert_400(
        chat_error(r#"{"message": "hi", "stream": true}"#).await,
        "Unknown field 'stream'",
    );
}

#[tokio::test]
async fn wrongly_typed_fields_are_400() {
    assert_400(
        put_error(r#"{"name": 42}"#).await,
        "'name' must be a string",
    );
    assert_400(
        put_error(r#"{"config": "hot"}"#).await,
        "'config' must be an object",
    );
    assert_400(
        put_error(r#"{"config": {"temperature": "0.5"}}"#).await,
        "'config.temperature'",
    );
    assert_400(
        put_error(r#"{"config": {"max_tokens": 10.5}}"#).await,
        "'config.max_tokens'",
    );
    assert_400(
        put_error(r#"{"config": {"model": 1}}"#).await,
        "'config.model'",
    );
    assert_400(
        put_error(r#"{"config": {"system_prompt": null}}"#).await,
        "'config.system_prompt'",
    );
}

#[tokio::test]
async fn status_other_than_active_or_paused_is_400() {
    assert_400(
        put_error(r#"{"status": "archived"}"#).await,
        "'status' must be one of: active, paused",
    );
    assert_400(put_error(r#"{"status": null}"#).await, "'status'");
}

#[tokio::test]
async fn empty_name_is_400() {
    assert_400(
        put_error(r#"{"name": ""}"#).await,
        "'name' must not be empty",
    );
    assert_400(
        put_error(r#"{"name": "   "}"#).await,
        "'name' must not be empty",
    );
}

#[tokio::test]
async fn temperature_outside_0_to_2_is_400() {
    assert_400(
        put_error(r#"{"config": {"temperature": 2.01}}"#).await,
        "between 0 and 2",
    );
    assert_400(
        put_error(r#"{"config": {"temperature": -0.1}}"#).await,
        "between 0 and 2",
    );
    let emulator = start().await;
    for ok in ["0", "2", "1.5"] {
        let body = format!(r#"{{"config": {{"temperature": {ok}}}}}"#);
        let (status, _) = send_json(&emulator, Method::PUT, "/agents/agt_abc123", &body).await;
        assert_eq!(status, 200, "{ok}");
    }
}

#[tokio::test]
async fn max_tokens_below_1_is_400() {
    assert_400(
        put_error(r#"{"config": {"max_tokens": 0}}"#).await,
        "greater than or equal to 1",
    );
    assert_400(
        put_error(r#"{"config": {"max_tokens": -5}}"#).await,
        "greater than or equal to 1",
    );
}

#[tokio::test]
async fn invalid_update_changes_nothing() {
    let emulator = start().await;
    let (status, _) = send_json(
        &emulator,
        Method::PUT,
        "/agents/agt_abc123",
        r#"{"name": "Renamed", "status": "gone"}"#,
    )
    .await;
    assert_eq!(status, 400);
    let (_, agent) = get_json(&emulator, "/agents/agt_abc123").await;
    assert_eq!(agent["data"]["name"], "Customer Support Agent");
}

#[tokio::test]
async fn chat_without_a_non_empty_string_message_is_400() {
    for body in [
        r#"{}"#,
        r#"{"message": ""}"#,
        r#"{"message": "  "}"#,
        r#"{"message": 7}"#,
        r#"{"message": null}"#,
    ] {
        assert_400(
            chat_error(body).await,
            "'message' is required and must be a non-empty string",
        );
    }
}

#[tokio::test]
async fn limit_outside_1_to_100_or_not_an_integer_is_400() {
    let emulator = start().await;
    for limit in ["0", "101", "-1", "ten", "2.5", ""] {
        let (status, body) =
            get_json(&emulator, &format!("/agents/agt_abc123/runs?limit={limit}")).await;
        assert_eq!(status, 400, "limit={limit}");
        assert_eq!(
            error_of(&body),
            "'limit' must be an integer between 1 and 100"
        );
    }
    for limit in ["1", "100"] {
        let (status, _) =
            get_json(&emulator, &format!("/agents/agt_abc123/runs?limit={limit}")).await;
        assert_eq!(status, 200);
    }
}

#[tokio::test]
async fn negative_or_non_integer_offset_is_400() {
    let emulator = start().await;
    for offset in ["-1", "1.0", "abc"] {
        let (status, body) = get_json(
            &emulator,
            &format!("/agents/agt_abc123/runs?offset={offset}"),
        )
        .await;
        assert_eq!(status, 400, "offset={offset}");
        assert_eq!(
            error_of(&body),
            "'offset' must be an integer greater than or equal to 0"
        );
    }
}

#[tokio::test]
async fn body_over_1_mib_is_413_in_the_envelope() {
    let emulator = start().await;
    let message = "a".repeat(1024 * 1024 + 1);
    let body = format!(r#"{{"message": "{message}"}}"#);
    let (status, json) = send_json(&emulator, Method::POST, "/agents/agt_abc123/chat", &body).await;
    assert_eq!(status, 413);
    assert!(error_of(&json).contains("1 MiB"));
    let (_, agent) = get_json(&emulator, "/agents/agt_abc123").await;
    assert_eq!(agent["data"]["total_runs"], 1284, "nothing was processed");
    let journal = emulator.journal(None);
    let entry = journal.iter().find(|e| e.status == Some(413)).unwrap();
    assert_eq!(
        entry.body.as_ref().unwrap().len(),
        64 * 1024,
        "journal keeps 64 KiB"
    );
}

#[tokio::test]
async fn body_of_exactly_1_mib_is_accepted() {
    let emulator = start().await;
    let padding = 1024 * 1024 - r#"{"message": ""}"#.len();
    let body = format!(r#"{{"message": "{}"}}"#, "b".repeat(padding));
    assert_eq!(body.len(), 1024 * 1024);
    let (status, _) = send_json(&emulator, Method::POST, "/agents/agt_abc123/chat", &body).await;
    assert_eq!(status, 200);
}
