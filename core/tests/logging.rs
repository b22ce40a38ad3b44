//! Logging: one `tracing` event and one observer call per attempt, never a secret.
//!
//! In its own test binary with a single test: `tracing` caches per-callsite interest process-wide,
//! so a scoped subscriber can miss events whose callsites other tests' threads registered first.

mod common;

use common::captured::Captured;
use std::time::Duration;

use common::{ACTIVE, Attempts, builder, emulator, fault};
use delegir::ErrorKind;
use delegir_emulator::Fault;

#[tokio::test]
async fn each_attempt_is_logged_once_with_the_route_template_but_never_the_key_ids_query_or_body() {
    let emu = emulator().await;
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let attempts = Attempts::default();
    let client = attempts.attach(builder(&emu)).build().unwrap();
    fault(
        &emu,
        "GET",
        "/agents/agt_abc123",
        1,
        Fault::Status {
            status: 503,
            body: None,
            headers: Default::default(),
            reset_in_secs: None,
        },
    );
    client.agents().get(ACTIVE).await.unwrap();
    client
        .agents()
        .runs(
            ACTIVE,
            delegir::RunsQuery {
                limit: Some(3),
                offset: Some(7),
            },
        )
        .await
        .unwrap();
    client
        .agents()
        .chat(ACTIVE, "my private message")
        .await
        .unwrap();

    let log = captured.text();
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("delegir")).collect();
    assert_eq!(lines.len(), 4, "one event per attempt:\n{log}");
    assert!(
        // A retried failure is INFO (AttemptLog::level, the same in every language).
        lines[0].contains("INFO") && lines[0].contains("will_retry=true"),
        "{log}"
    );
    assert!(lines[0].contains("route=\"/agents/:id\"") || lines[0].contains("route=/agents/:id"));
    assert!(lines[0].contains("status=503") && lines[0].contains("attempt=1"));
    assert!(lines[1].contains("DEBUG") && lines[1].contains("attempt=2"));
    assert!(lines[3].contains("POST") && lines[3].contains("/agents/:id/chat"));
    let key = emu.api_key();
    for secret in [key.as_str(), "agt_abc123", "offset=7", "private message"] {
        assert!(!log.contains(secret), "{secret:?} leaked into:\n{log}");
    }

    let records = attempts.all();
    assert_eq!(records.len(), 4);
    assert_eq!(records[0].route, "/agents/:id");
    assert_eq!(records[0].status, Some(503));
    assert_eq!(records[0].error, Some(ErrorKind::InternalServer));
    assert!(records[0].will_retry);
    assert_eq!(records[1].attempt, 2);
    assert!(
        records[1].wait <= Duration::from_millis(600),
        "backoff ≤ 0.5 s"
    );
    assert_eq!(records[3].method, "POST");
}
