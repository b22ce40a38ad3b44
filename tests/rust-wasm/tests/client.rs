//! The Rust `delegir::Client`, built for wasm32-unknown-unknown, under Node against the emulator:
//! the same API as on native, its wire the host's `fetch` (core/src/wire/fetch), its clock and
//! timers the host's. The npm package's WebAssembly build reaches this core through
//! bindings-wasm; these tests are what a workers-rs or browser app written in Rust gets.
//!
//! Run by run.sh (wasm-bindgen-test-runner, which runs Node), never by `cargo test` on native.
#![cfg(target_arch = "wasm32")]

use std::collections::HashSet;
use std::time::Duration;

use delegir::ErrorKind;
use delegir_rust_wasm_tests::{admin, base_url, client, inject, requests};
use futures::TryStreamExt;
use serde_json::json;
use wasm_bindgen_test::wasm_bindgen_test;

const AGENT: &str = "agt_abc123";
const AGENT_PATH: &str = "/api/v1/agents/agt_abc123";

#[wasm_bindgen_test]
async fn the_quickstart_works() {
    let client = client("dlg_test_rustwasmquickstart01").build().unwrap();

    let agents = client.agents().list().await.unwrap();
    assert!(agents.iter().any(|a| a.id == AGENT), "{agents:?}");

    let detail = client.agents().get(AGENT).await.unwrap();
    assert_eq!(detail.agent.id, AGENT);

    let reply = client
        .agents()
        .chat(AGENT, "How do I reset my password?")
        .await
        .unwrap();
    assert!(!reply.response.is_empty());
    assert!(reply.run_id.starts_with("run_"), "{}", reply.run_id);

    // Every run, page after page (100 at a time), each once.
    let runs: Vec<delegir::Run> = client
        .agents()
        .runs_stream(AGENT)
        .try_collect()
        .await
        .unwrap();
    let ids: HashSet<&str> = runs.iter().map(|r| r.id.as_str()).collect();
    assert!(runs.len() >= 1284, "{} runs", runs.len());
    assert_eq!(ids.len(), runs.len(), "a run was yielded twice");

    let limit = client
        .rate_limit()
        .expect("the emulator sends X-RateLimit-*");
    assert_eq!(limit.limit, 20);
}

#[wasm_bindgen_test]
async fn the_ledger_paces_a_burst_under_the_limit() {
    // 30 calls at once on one key against 20 per 2 s (run.sh): the ledger holds back what the
    // window has no room for, so the server never answers 429.
    let key = "dlg_test_rustwasmledger00001";
    let client = client(key).build().unwrap();
    let agents = client.agents();
    let results = futures::future::join_all((0..30).map(|_| agents.get(AGENT))).await;
    for result in &results {
        assert!(result.is_ok(), "{result:?}");
    }
    let journal = admin(key, "GET", "/journal", None).await;
    let statuses: Vec<Option<u64>> = journal
        .as_array()
        .expect("the journal is a list")
        .iter()
        .map(|e| e["status"].as_u64())
        .collect();
    assert_eq!(statuses.len(), 30, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == Some(200)), "{statuses:?}");
}

#[wasm_bindgen_test]
async fn errors_are_typed() {
    let client = client("dlg_test_rustwasmerrors00001").build().unwrap();

    let missing = client.agents().get("agt_missing0").await.unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound, "{missing}");
    assert_eq!(missing.status(), Some(404));

    // Refused before anything is sent.
    let empty = client.agents().get("").await.unwrap_err();
    assert_eq!(empty.kind(), ErrorKind::InvalidArgument, "{empty}");

    // The native wire's connection options are refused on this target, never ignored.
    let proxied = delegir::Client::builder()
        .api_key("dlg_test_rustwasmerrors00001")
        .base_url(base_url())
        .proxy("http://127.0.0.1:3128")
        .build()
        .unwrap_err();
    assert_eq!(proxied.kind(), ErrorKind::Configuration);
    assert!(proxied.to_string().contains("proxy"), "{proxied}");
}

#[wasm_bindgen_test]
async fn a_server_error_is_retried_with_backoff() {
    let key = "dlg_test_rustwasmretries0001";
    let client = client(key).build().unwrap();
    inject(
        key,
        "GET",
        AGENT_PATH,
        2,
        json!({"kind": "status", "status": 503}),
    )
    .await;

    let detail = client.agents().get(AGENT).await.unwrap();
    assert_eq!(detail.agent.id, AGENT);
    assert_eq!(requests(key, "GET", AGENT_PATH).await, 3);
}

#[wasm_bindgen_test]
async fn a_chat_that_may_have_been_processed_is_not_sent_again() {
    let key = "dlg_test_rustwasmchatonce001";
    let client = client(key).build().unwrap();
    let path = "/api/v1/agents/agt_abc123/chat";
    // Processed, then the connection is reset: fetch cannot tell whether the server got it.
    inject(key, "POST", path, 1, json!({"kind": "reset_mid_body"})).await;

    let error = client.agents().chat(AGENT, "Hello?").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connection, "{error}");
    assert_eq!(
        requests(key, "POST", path).await,
        1,
        "the chat was sent again"
    );
}

#[wasm_bindgen_test]
async fn a_slow_attempt_times_out_on_the_host_timer() {
    let key = "dlg_test_rustwasmtimeout0001";
    let client = client(key)
        .timeout(Duration::from_millis(200))
        .max_retries(0)
        .build()
        .unwrap();
    inject(
        key,
        "GET",
        AGENT_PATH,
        1,
        json!({"kind": "delay", "ms": 3000}),
    )
    .await;

    let started = js_sys::Date::now();
    let error = client.agents().get(AGENT).await.unwrap_err();
    let waited = js_sys::Date::now() - started;
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    assert!(
        waited < 2500.0,
        "gave up after {waited} ms, not at the 200 ms timeout"
    );

    // The next call is not held up by the aborted one.
    let detail = client.agents().get(AGENT).await.unwrap();
    assert_eq!(detail.agent.id, AGENT);
}
