//! Escape hatches against the emulator: extra headers, query parameters and body fields (per
//! call and per client, checked in the journal), reserved headers refused before sending, the
//! overall deadline, errors that carry their response, and raw responses.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{ACTIVE, builder, client, emulator, emulator_with, fault, journal};
use delegir::{ErrorKind, ExtraParams, RequestOptions};
use delegir_emulator::{EmulatorOptions, Fault};
use futures::StreamExt;
use serde_json::{Value, json};

fn extra() -> ExtraParams {
    ExtraParams::new()
        .header("X-Trace-Id", "trace-1")
        .unwrap()
        .query("beta", "on")
        .body_field("priority", json!("high"))
}

#[tokio::test]
async fn an_update_whose_only_change_is_an_extra_body_field_is_sent() {
    // A field the API added that this SDK has no argument for: the escape hatch the errors
    // recommend. It was refused as "an update must set at least one of name, status or config".
    let emu = emulator().await;
    let client = client(&emu);
    let view = client.with_options(
        RequestOptions::default()
            .with_extra(ExtraParams::new().body_field("name", json!("Renamed"))),
    );
    let updated = view
        .agents()
        .update(ACTIVE, &delegir::AgentUpdate::default())
        .await
        .unwrap();
    assert_eq!(updated.name, "Renamed");
    assert_eq!(
        journal(&emu)[0].body.as_deref(),
        Some(r#"{"name":"Renamed"}"#)
    );
    // Without extras, an empty update is still refused before sending.
    let e = client
        .agents()
        .update(ACTIVE, &delegir::AgentUpdate::default())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert_eq!(journal(&emu).len(), 1);
}

#[tokio::test]
async fn a_views_zero_timeout_and_an_offset_beyond_i64_are_refused_before_sending() {
    // The builder, Python and Node refuse both; a view and a RunsQuery took them (the zero
    // total timeout was not even enforced).
    let emu = emulator().await;
    let client = client(&emu);
    for options in [
        RequestOptions {
            timeout: Some(Duration::ZERO),
            ..RequestOptions::default()
        },
        RequestOptions {
            total_timeout: Some(Duration::ZERO),
            ..RequestOptions::default()
        },
    ] {
        let e = client
            .with_options(options)
            .usage()
            .get()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
        assert!(
            e.is_out_of_range() && e.message().contains("must be greater than zero"),
            "{e}"
        );
    }
    let e = client
        .agents()
        .runs(
            ACTIVE,
            delegir::RunsQuery {
                offset: Some(u64::MAX),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    assert!(
        e.message()
            .contains("offset must be from 0 to 9223372036854775807"),
        "{e}"
    );
    assert!(journal(&emu).is_empty());
}

#[tokio::test]
async fn extra_headers_query_and_body_fields_reach_the_server() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let view = client.with_options(RequestOptions::default().with_extra(extra()));
    // The emulator knows no `priority` field and says so: proof that it arrived.
    let error = view.agents().chat(ACTIVE, "hello").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::BadRequest);
    assert!(error.message().contains("priority"), "{error}");
    let sent = journal(&emulator).pop().unwrap();
    assert_eq!(sent.headers["x-trace-id"], "trace-1");
    assert_eq!(sent.query.as_deref(), Some("beta=on"));
    let body: Value = serde_json::from_str(sent.body.as_deref().unwrap()).unwrap();
    assert_eq!(body, json!({"message": "hello", "priority": "high"}));
}

#[tokio::test]
async fn extras_cannot_replace_what_a_call_or_the_pager_sends_from_its_arguments() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let limit = client
        .with_options(RequestOptions::default().with_extra(ExtraParams::new().query("limit", "3")));
    let error = limit
        .agents()
        .runs(
            ACTIVE,
            delegir::RunsQuery {
                limit: Some(50),
                offset: Some(2),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{error}");
    assert!(error.to_string().contains("\"limit\""), "{error}");

    // The pager sets `offset` on every page: replaced, it would fetch one page over and over.
    let offset = client.with_options(
        RequestOptions::default().with_extra(ExtraParams::new().query("offset", "10")),
    );
    let mut runs = offset.agents().runs_stream(ACTIVE);
    let error = runs.next().await.expect("an item").unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{error}");
    assert!(runs.next().await.is_none(), "the stream ends at its error");

    let message = client.with_options(
        RequestOptions::default()
            .with_extra(ExtraParams::new().body_field("message", json!("   "))),
    );
    let error = message.agents().chat(ACTIVE, "hello").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{error}");
    assert!(journal(&emulator).is_empty(), "nothing was sent");

    // Where the call sends no such parameter, the extra one is added.
    let page = offset
        .agents()
        .runs(
            ACTIVE,
            delegir::RunsQuery {
                limit: Some(5),
                offset: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(page.runs.len(), 5);
    assert_eq!(page.offset, 10);
    let sent = journal(&emulator).pop().unwrap();
    assert_eq!(sent.query.as_deref(), Some("limit=5&offset=10"));
}

#[tokio::test]
async fn client_defaults_are_sent_on_every_call_and_a_call_overrides_them() {
    let emulator = emulator().await;
    let client = builder(&emulator)
        .default_header("X-Team", "support")
        .default_header("User-Agent", "my-app/2.0")
        .default_query("region", "eu")
        .build()
        .unwrap();
    client.usage().get().await.unwrap();
    client
        .with_options(
            RequestOptions::default()
                .with_extra(ExtraParams::new().header("x-team", "billing").unwrap()),
        )
        .usage()
        .get()
        .await
        .unwrap();
    let sent = journal(&emulator);
    assert_eq!(sent[0].headers["x-team"], "support");
    assert_eq!(sent[0].headers["user-agent"], "my-app/2.0");
    assert_eq!(sent[0].query.as_deref(), Some("region=eu"));
    assert_eq!(sent[1].headers["x-team"], "billing");
    assert_eq!(sent[1].query.as_deref(), Some("region=eu"));
}

#[tokio::test]
async fn reserved_or_malformed_default_headers_fail_the_build_and_nothing_is_sent() {
    let emulator = emulator().await;
    for (name, value) in [
        ("X-API-Key", "other"),
        ("Host", "evil.example"),
        ("X-Ok", "a\r\nX-Evil: 1"),
    ] {
        let error = builder(&emulator)
            .default_header(name, value)
            .build()
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{name}");
        assert_eq!(error.argument(), Some("default_headers"));
    }
    assert!(journal(&emulator).is_empty());
}

#[tokio::test]
async fn extra_body_fields_on_a_call_without_a_body_fail_before_sending() {
    let emulator = emulator().await;
    let client = client(&emulator);
    let view = client.with_options(
        RequestOptions::default().with_extra(ExtraParams::new().body_field("x", json!(1))),
    );
    let error = view.usage().get().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
    assert!(journal(&emulator).is_empty());
}

#[tokio::test]
async fn total_timeout_bounds_a_rate_limit_wait_and_releases_the_ledger_place() {
    // One request per 30 s window: the second call would wait ~30 s for the ledger.
    let emulator = emulator_with(EmulatorOptions {
        rate_limit: 1,
        rate_window: Duration::from_secs(30),
        ..EmulatorOptions::default()
    })
    .await;
    let client = builder(&emulator)
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    client.usage().get().await.unwrap();
    let bounded = client.with_options(RequestOptions {
        total_timeout: Some(Duration::from_millis(800)),
        ..RequestOptions::default()
    });
    let started = Instant::now();
    let error = bounded.usage().get().await.unwrap_err();
    let took = started.elapsed();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    assert!(error.message().contains("total_timeout"), "{error}");
    // It waited for the ledger and never left: safe to send again, and the error says so.
    assert!(!error.may_have_reached_server(), "{error:?}");
    assert!(error.message().contains("was not sent"), "{error}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    // The ledger knew the window resets after the total timeout ends: the call failed then and
    // there, saying why (it used to sleep out the total timeout first).
    assert!(
        error
            .message()
            .contains("cannot complete within total_timeout")
            && error.message().contains("the window resets in"),
        "{error}"
    );
    assert!(
        error
            .retry_after()
            .is_some_and(|wait| wait > Duration::from_secs(20)),
        "{error:?}"
    );
    // The same for a chat: no "the run may have been created".
    let error = bounded.agents().chat(ACTIVE, "hi").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    assert!(!error.may_have_reached_server());
    assert!(
        !error.message().contains("may have been created"),
        "{error}"
    );
    // Only the first call reached the server.
    assert_eq!(journal(&emulator).len(), 1);
    // The place was released: a call with a larger budget is refused by the window, not by a
    // leaked place (it fails by its own total timeout too, after the same wait).
    let error = bounded.usage().get().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout);
}

#[tokio::test]
async fn total_timeout_bounds_retries_and_their_backoff() {
    let emulator = emulator().await;
    fault(&emulator, "GET", "/usage", 100, Fault::Delay { ms: 400 });
    let client = builder(&emulator)
        .timeout(Duration::from_millis(200))
        .max_retries(50)
        .total_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let started = Instant::now();
    let error = client.usage().get().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert!(error.message().contains("total_timeout"), "{error}");
    assert!(error.may_have_reached_server());
    assert!(started.elapsed() < Duration::from_secs(8));
}

#[tokio::test]
async fn a_view_with_no_total_timeout_lifts_the_clients() {
    let emulator = emulator().await;
    fault(&emulator, "GET", "/usage", 1, Fault::Delay { ms: 400 });
    let client = builder(&emulator)
        .total_timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    let unbounded = client.with_options(RequestOptions {
        total_timeout: Some(delegir::NO_TIMEOUT),
        ..RequestOptions::default()
    });
    unbounded.usage().get().await.unwrap();
    fault(&emulator, "GET", "/usage", 1, Fault::Delay { ms: 400 });
    let error = client.usage().get().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
}

#[tokio::test]
async fn status_errors_carry_the_headers_body_and_request_id_of_their_response() {
    let emulator = emulator().await;
    fault(
        &emulator,
        "GET",
        &format!("/agents/{ACTIVE}"),
        1,
        Fault::Status {
            status: 409,
            body: Some(json!({"error": "Conflict", "detail": {"field": "name"}})),
            headers: BTreeMap::from([("X-Request-Id".to_owned(), Some("req_42".to_owned()))]),
            reset_in_secs: None,
        },
    );
    let error = client(&emulator).agents().get(ACTIVE).await.unwrap_err();
    assert_eq!(error.status(), Some(409));
    assert_eq!(error.request_id(), Some("req_42"));
    let headers = error.headers().unwrap();
    assert!(headers.iter().any(|(n, _)| n == "x-ratelimit-limit"));
    let body: Value = serde_json::from_slice(error.body().unwrap()).unwrap();
    assert_eq!(body["detail"]["field"], "name");
}

#[tokio::test]
async fn a_raw_response_has_this_calls_status_headers_rate_limit_and_attempts() {
    let emulator = emulator().await;
    fault(
        &emulator,
        "GET",
        "/usage",
        1,
        Fault::Status {
            status: 503,
            body: None,
            headers: BTreeMap::new(),
            reset_in_secs: None,
        },
    );
    let client = client(&emulator);
    let raw = client
        .with_response(|c| async move { c.usage().get().await })
        .await
        .unwrap();
    assert_eq!(raw.response.status, 200);
    assert_eq!(raw.response.attempts, 2);
    assert!(raw.response.header("Content-Type").is_some());
    let rate_limit = raw.response.rate_limit.unwrap();
    assert_eq!(rate_limit.limit, 60);
    assert_eq!(rate_limit.remaining, 58);
    let body: Value = serde_json::from_slice(&raw.response.body).unwrap();
    assert_eq!(body["data"]["plan"], json!(raw.data.plan));
}
