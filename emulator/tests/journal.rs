//! The journal: what was received, in order, never the key itself.

mod common;

use common::*;
use delegir_emulator::{Emulator, EmulatorOptions};
use reqwest::Method;

#[tokio::test]
async fn journal_records_method_path_query_body_status_and_outcome_in_order() {
    let emulator = start().await;
    let key = emulator.api_key();
    get(&emulator, "/agents/agt_abc123/runs?limit=5&offset=10").await;
    send(
        &emulator,
        Method::POST,
        "/agents/agt_abc123/chat",
        Some(&key),
        Some(r#"{"message":"hi"}"#),
    )
    .await;
    send(&emulator, Method::GET, "/usage", None, None).await;

    let journal = emulator.journal(None);
    assert_eq!(journal.len(), 3);
    let first = &journal[0];
    assert_eq!(first.method, "GET");
    assert_eq!(first.path, "/api/v1/agents/agt_abc123/runs");
    assert_eq!(first.query.as_deref(), Some("limit=5&offset=10"));
    assert_eq!(first.body, None);
    assert_eq!((first.status, first.outcome.as_str()), (Some(200), "ok"));
    assert!(first.elapsed_ms >= 0.0);
    assert!(
        first.time.ends_with('Z') && first.time.len() == 24,
        "{}",
        first.time
    );
    assert_eq!(journal[1].body.as_deref(), Some(r#"{"message":"hi"}"#));
    assert_eq!(journal[1].query, None);
    assert_eq!(
        (journal[2].status, journal[2].outcome.as_str()),
        (Some(401), "unauthorized")
    );
    assert_eq!(journal[2].key_fingerprint, None);
    assert!(journal[0].seq < journal[1].seq && journal[1].seq < journal[2].seq);
}

#[tokio::test]
async fn journal_never_contains_the_key_only_its_fingerprint() {
    let emulator = start().await;
    let key = emulator.api_key();
    get(&emulator, "/agents").await;
    send(
        &emulator,
        Method::GET,
        "/agents",
        Some("dlg_test_bad-key"),
        None,
    )
    .await;
    let journal = emulator.journal(None);
    let text = serde_json::to_string(&journal).unwrap();
    assert!(!text.contains(&key));
    assert!(!text.contains("dlg_test_bad-key"));
    let fingerprint = journal[0].key_fingerprint.clone().unwrap();
    assert_eq!(fingerprint.len(), 12);
    assert!(fingerprint.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(journal[1].key_fingerprint.is_some());
}

#[tokio::test]
async fn journal_can_be_filtered_by_key_and_cleared() {
    let emulator = start().await;
    let other = emulator.new_api_key();
    get(&emulator, "/agents").await;
    send(&emulator, Method::GET, "/usage", Some(&other), None).await;
    let mine = emulator.journal(Some(&emulator.api_key()));
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].path, "/api/v1/agents");
    assert_eq!(emulator.journal(Some(&other))[0].path, "/api/v1/usage");
    emulator.clear_journal();
    assert!(emulator.journal(None).is_empty());
}

#[tokio::test]
async fn journal_is_a_ring_that_keeps_the_newest_entries() {
    let emulator = Emulator::start(EmulatorOptions {
        journal_capacity: 3,
        rate_limit: 0,
        ..Default::default()
    })
    .await
    .unwrap();
    for offset in 0..5 {
        get(
            &emulator,
            &format!("/agents/agt_abc123/runs?offset={offset}"),
        )
        .await;
    }
    let queries: Vec<_> = emulator
        .journal(None)
        .into_iter()
        .map(|e| e.query.unwrap())
        .collect();
    assert_eq!(queries, ["offset=2", "offset=3", "offset=4"]);
}

#[tokio::test]
async fn reset_of_everything_clears_journal_and_faults() {
    let emulator = start().await;
    get(&emulator, "/agents").await;
    emulator.push_fault(rule("*", "*", delegir_emulator::Fault::Malformed));
    emulator.reset(None);
    assert!(emulator.journal(None).is_empty());
    let (status, _) = get_json(&emulator, "/agents").await;
    assert_eq!(status, 200, "the fault is gone");
}

#[tokio::test]
async fn requests_outside_the_prefix_and_keys_that_are_not_text_are_fingerprinted() {
    let emulator = start().await;
    let key = emulator.api_key();
    let root = emulator.base_url().replace("/api/v1", "");
    let response = client()
        .get(format!("{root}/v1/usage"))
        .header("X-API-Key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let bad = reqwest::header::HeaderValue::from_bytes(b"dlg_test_\xff").unwrap();
    let response = client()
        .get(format!("{}/usage", emulator.base_url()))
        .header("X-API-Key", bad)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let mine = emulator.journal(Some(&key));
    assert_eq!(
        mine.len(),
        1,
        "the wrong-base-URL request shows in the key's journal"
    );
    assert_eq!(mine[0].path, "/v1/usage");
    let all = emulator.journal(None);
    let fingerprint = all[1].key_fingerprint.as_deref().expect("a fingerprint");
    assert_eq!(fingerprint.len(), 12);
}
