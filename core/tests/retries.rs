//! Each emulator fault with the retry outcome the design demands, timeouts, redirects, the size
//! cap and rate-limit waits.

mod common;

use std::time::{Duration, Instant};

use common::{
    ACTIVE, Attempts, SHORT_TIMEOUT, builder, client, closed_port, emulator, emulator_with, fault,
    journal, requests,
};
use delegir::{AgentUpdate, ErrorKind, RequestOptions};
use delegir_emulator::{EmulatorOptions, Fault};
use serde_json::json;

fn status(status: u16) -> Fault {
    Fault::Status {
        status,
        body: None,
        headers: Default::default(),
        reset_in_secs: None,
    }
}

fn chat_may_exist(e: &delegir::Error) {
    assert!(e.may_have_reached_server(), "{e:?}");
    assert!(
        e.message().contains("the run may have been created"),
        "{}",
        e.message()
    );
}

#[tokio::test]
async fn get_is_retried_and_succeeds_after_one_500() {
    let emu = emulator().await;
    let attempts = Attempts::default();
    let client = attempts.attach(builder(&emu)).build().unwrap();
    fault(&emu, "GET", "/agents", 1, status(500));
    let agents = client.agents().list().await.unwrap();
    assert_eq!(agents.len(), 2);
    let statuses: Vec<_> = journal(&emu).iter().map(|e| e.status).collect();
    assert_eq!(statuses, [Some(500), Some(200)]);
    let log = attempts.all();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].error, Some(ErrorKind::InternalServer));
    assert!(log[0].will_retry);
    assert_eq!(
        (log[1].attempt, log[1].error, log[1].status),
        (2, None, Some(200))
    );
}

#[tokio::test]
async fn get_is_retried_on_408_502_503_and_504() {
    let emu = emulator().await;
    let client = client(&emu);
    for code in [408, 502, 503, 504] {
        emu.clear_journal();
        fault(&emu, "GET", "/usage", 1, status(code));
        client.usage().get().await.unwrap();
        assert_eq!(journal(&emu).len(), 2, "{code}");
    }
}

#[tokio::test]
async fn get_gives_up_after_max_retries_with_the_last_error() {
    let emu = emulator().await;
    let client = builder(&emu).max_retries(1).build().unwrap();
    fault(&emu, "GET", "/usage", 5, status(503));
    let e = client.usage().get().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InternalServer);
    assert_eq!(e.status(), Some(503));
    assert_eq!(journal(&emu).len(), 2);
    // Per call, through a view of the client.
    emu.clear_journal();
    let e = client
        .with_options(RequestOptions {
            max_retries: Some(0),
            timeout: None,
            ..RequestOptions::default()
        })
        .usage()
        .get()
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(503));
    assert_eq!(journal(&emu).len(), 1);
}

#[tokio::test]
async fn put_and_delete_are_retried_after_a_500_and_a_reset() {
    let emu = emulator().await;
    let client = client(&emu);
    let update = AgentUpdate {
        name: Some("Renamed".into()),
        ..Default::default()
    };
    fault(&emu, "PUT", "/agents/agt_abc123", 1, status(500));
    assert_eq!(
        client.agents().update(ACTIVE, &update).await.unwrap().name,
        "Renamed"
    );
    assert_eq!(requests(&emu, "PUT").len(), 2);
    fault(&emu, "DELETE", "/agents/agt_abc123", 1, Fault::ResetBefore);
    assert!(client.agents().delete(ACTIVE).await.unwrap().deleted);
    assert_eq!(requests(&emu, "DELETE").len(), 2);
}

#[tokio::test]
async fn get_is_retried_after_a_reset_before_the_response_and_after_a_reset_mid_body() {
    let emu = emulator().await;
    let client = client(&emu);
    fault(&emu, "GET", "/usage", 1, Fault::ResetBefore);
    client.usage().get().await.unwrap();
    fault(&emu, "GET", "/agents", 1, Fault::ResetMidBody);
    client.agents().list().await.unwrap();
    let outcomes: Vec<_> = journal(&emu).into_iter().map(|e| e.outcome).collect();
    assert_eq!(
        outcomes,
        ["fault:reset_before", "ok", "fault:reset_mid_body", "ok"]
    );
}

#[tokio::test]
async fn a_delete_retried_after_a_lost_response_that_meets_a_404_says_the_first_may_have_deleted_it()
 {
    // The first DELETE deletes the agent, and its response is cut off; the retry gets 404. The
    // error used to be a plain "Agent not found" that never reached the server.
    let emu = emulator().await;
    let client = client(&emu);
    fault(&emu, "DELETE", "/agents/agt_abc123", 1, Fault::ResetMidBody);
    let e = client.agents().delete(ACTIVE).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(e.may_have_reached_server(), "{e:?}");
    assert!(
        e.message()
            .contains("an earlier attempt of this request reached the server"),
        "{e}"
    );
    let outcomes: Vec<_> = journal(&emu).into_iter().map(|e| e.status).collect();
    assert_eq!(outcomes, [Some(200), Some(404)]);
    // A 404 on the first attempt is only the server's "Agent not found".
    let e = client.agents().delete("agt_nope").await.unwrap_err();
    assert_eq!(e.message(), "Agent not found");
    assert!(!e.may_have_reached_server());
}

#[tokio::test]
async fn chat_is_not_retried_after_a_reset_mid_body_and_says_the_run_may_exist() {
    let emu = emulator().await;
    let client = client(&emu);
    fault(
        &emu,
        "POST",
        "/agents/agt_abc123/chat",
        1,
        Fault::ResetMidBody,
    );
    let e = client.agents().chat(ACTIVE, "hello").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connection);
    chat_may_exist(&e);
    assert_eq!(requests(&emu, "POST").len(), 1, "exactly one POST");
    // The server did process it: the run exists, which is why it was not resent.
    let detail = client.agents().get(ACTIVE).await.unwrap();
    assert_eq!(detail.agent.total_runs, 1285);
}

#[tokio::test]
async fn chat_is_not_resent_after_a_reset_before_the_response() {
    // The request bytes were written before the reset: the client cannot prove the server did
    // not act on them, so the chat is not resent.
    let emu = emulator().await;
    let client = client(&emu);
    fault(
        &emu,
        "POST",
        "/agents/agt_abc123/chat",
        1,
        Fault::ResetBefore,
    );
    let e = client.agents().chat(ACTIVE, "hello").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connection);
    chat_may_exist(&e);
    assert_eq!(requests(&emu, "POST").len(), 1);
}

#[tokio::test]
async fn chat_is_not_retried_after_a_500() {
    let emu = emulator().await;
    let client = client(&emu);
    fault(&emu, "POST", "/agents/agt_abc123/chat", 1, status(500));
    let e = client.agents().chat(ACTIVE, "hello").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InternalServer);
    assert!(e.message().starts_with("Injected fault"), "{}", e.message());
    chat_may_exist(&e);
    assert_eq!(requests(&emu, "POST").len(), 1);
}

#[tokio::test]
async fn chat_that_never_left_the_client_is_retried_and_says_it_was_not_sent() {
    let attempts = Attempts::default();
    let client = attempts
        .attach(
            delegir::Client::builder()
                .api_key("dlg_test_refused")
                .base_url(format!("http://127.0.0.1:{}/api/v1", closed_port())),
        )
        .build()
        .unwrap();
    let e = client.agents().chat(ACTIVE, "hello").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connection);
    assert!(!e.may_have_reached_server());
    assert!(e.message().contains("not sent"), "{}", e.message());
    let log = attempts.all();
    assert_eq!(log.len(), 3, "the first attempt and two retries");
    assert!(log[..2].iter().all(|a| a.will_retry && a.status.is_none()));
}

#[tokio::test]
async fn a_delay_longer_than_the_timeout_times_out_and_get_is_retried() {
    let emu = emulator().await;
    let client = builder(&emu).timeout(SHORT_TIMEOUT).build().unwrap();
    fault(&emu, "GET", "/usage", 1, Fault::Delay { ms: 2_000 });
    client.usage().get().await.unwrap();
    assert_eq!(journal(&emu).len(), 2);
    fault(&emu, "GET", "/usage", 3, Fault::Delay { ms: 2_000 });
    let e = client.usage().get().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert!(e.may_have_reached_server());
}

#[tokio::test]
async fn chat_that_times_out_is_not_retried_and_says_the_run_may_exist() {
    let emu = emulator().await;
    let client = client(&emu);
    fault(
        &emu,
        "POST",
        "/agents/agt_abc123/chat",
        1,
        Fault::Delay { ms: 2_000 },
    );
    let started = Instant::now();
    let e = client
        .with_options(RequestOptions {
            timeout: Some(SHORT_TIMEOUT),
            max_retries: None,
            ..RequestOptions::default()
        })
        .agents()
        .chat(ACTIVE, "hello")
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(1_500));
    assert_eq!(e.kind(), ErrorKind::Timeout);
    chat_may_exist(&e);
    // The delayed request is journaled when the server gives up on it.
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    assert_eq!(requests(&emu, "POST").len(), 1);
}

#[tokio::test]
async fn with_the_ledger_off_a_429_waits_for_the_window_to_reset_and_then_succeeds() {
    let emu = emulator_with(EmulatorOptions {
        rate_limit: 2,
        rate_window: Duration::from_secs(2),
        ..Default::default()
    })
    .await;
    let client = builder(&emu).rate_limit(false).build().unwrap();
    client.usage().get().await.unwrap();
    client.usage().get().await.unwrap();
    let started = Instant::now();
    client.usage().get().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(4));
    let outcomes: Vec<_> = journal(&emu).into_iter().map(|e| e.outcome).collect();
    assert_eq!(outcomes, ["ok", "ok", "rate_limited", "ok"]);
}

#[tokio::test]
async fn chat_is_resent_after_a_429_because_the_server_rejected_it() {
    let emu = emulator().await;
    let client = builder(&emu).rate_limit(false).build().unwrap();
    fault(
        &emu,
        "POST",
        "/agents/agt_abc123/chat",
        1,
        Fault::Status {
            status: 429,
            body: Some(json!({"error": "Rate limit exceeded"})),
            headers: [("Retry-After".to_owned(), Some("1".to_owned()))].into(),
            reset_in_secs: Some(1),
        },
    );
    client.agents().chat(ACTIVE, "hello").await.unwrap();
    let statuses: Vec<_> = requests(&emu, "POST").iter().map(|e| e.status).collect();
    assert_eq!(statuses, [Some(429), Some(200)]);
}

#[tokio::test]
async fn a_429_beyond_max_rate_limit_wait_fails_at_once_with_retry_after() {
    let emu = emulator_with(EmulatorOptions {
        rate_limit: 1,
        rate_window: Duration::from_secs(60),
        ..Default::default()
    })
    .await;
    for ledger in [false, true] {
        emu.reset(None);
        emu.clear_journal();
        let client = builder(&emu)
            .rate_limit(ledger)
            .max_rate_limit_wait(Duration::from_secs(5))
            .build()
            .unwrap();
        client.usage().get().await.unwrap();
        let started = Instant::now();
        let e = client.usage().get().await.unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "ledger {ledger}"
        );
        assert_eq!(e.kind(), ErrorKind::RateLimited, "ledger {ledger}");
        let wait = e.retry_after().unwrap();
        // Windows are aligned to the minute: whatever is left of it exceeds the 5 s allowed.
        assert!(
            wait > Duration::from_secs(5) && wait <= Duration::from_secs(61),
            "ledger {ledger}: {wait:?}"
        );
        assert!(!e.may_have_reached_server());
        // Without a ledger the server said 429; with one, the call was not even sent.
        let sent = journal(&emu).len();
        assert_eq!(sent, if ledger { 1 } else { 2 }, "ledger {ledger}");
        if !ledger {
            assert_eq!(e.status(), Some(429));
        }
    }
}

#[tokio::test]
async fn a_redirect_is_not_followed_and_the_other_host_never_sees_the_key() {
    let emu = emulator().await;
    let other = emulator().await;
    fault(
        &emu,
        "GET",
        "/usage",
        1,
        Fault::Redirect {
            status: 302,
            location: format!("{}/usage", other.base_url()),
        },
    );
    let e = client(&emu).usage().get().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ApiStatus);
    assert_eq!(e.status(), Some(302));
    assert!(e.message().contains("redirect"), "{}", e.message());
    assert!(other.journal(None).is_empty(), "the other port saw nothing");
    assert_eq!(journal(&emu).len(), 1, "not retried");
    for code in [301, 307, 308] {
        fault(
            &emu,
            "GET",
            "/usage",
            1,
            Fault::Redirect {
                status: code,
                location: format!("{}/usage", other.base_url()),
            },
        );
        let e = client(&emu).usage().get().await.unwrap_err();
        assert_eq!(e.status(), Some(code));
    }
    assert!(other.journal(None).is_empty());
}

#[tokio::test]
async fn a_20_mib_body_is_rejected() {
    let emu = emulator().await;
    fault(
        &emu,
        "GET",
        "/usage",
        1,
        Fault::Large {
            megabytes: 20,
            status: 200,
        },
    );
    let e = client(&emu).usage().get().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ResponseValidation);
    assert_eq!(e.status(), Some(200));
    assert!(
        e.message().contains("exceeds 16777216 bytes"),
        "{}",
        e.message()
    );
    assert_eq!(journal(&emu).len(), 1, "not retried");
}

#[tokio::test]
async fn the_size_cap_is_configurable() {
    let emu = emulator().await;
    let client = builder(&emu).max_response_bytes(1024).build().unwrap();
    let e = client
        .agents()
        .runs(
            ACTIVE,
            delegir::RunsQuery {
                limit: Some(100),
                offset: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ResponseValidation);
    assert!(e.message().contains("exceeds 1024 bytes"));
    fault(
        &emu,
        "GET",
        "/usage",
        1,
        Fault::Large {
            megabytes: 1,
            status: 200,
        },
    );
    let e = client.usage().get().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ResponseValidation);
    client.agents().list().await.unwrap();
}

/// A 429 whose reset is 2 s away (by its `Date`), no `Retry-After`.
fn rate_limited_for_two_seconds() -> Fault {
    Fault::Status {
        status: 429,
        body: Some(json!({"error": "Rate limit exceeded"})),
        headers: [("Retry-After".to_owned(), None)].into(),
        reset_in_secs: Some(2),
    }
}

#[tokio::test]
async fn a_429_is_never_retried_before_its_own_reset_whatever_the_ledger_believed() {
    // Defect 3 of issue 15: the ledger learned a window from the first response, dropped the
    // 429's (different) reset, and the transport retried after a few milliseconds of jitter.
    let emu = emulator().await;
    for ledger in [true, false] {
        emu.clear_journal();
        let attempts = Attempts::default();
        let client = attempts
            .attach(builder(&emu).rate_limit(ledger))
            .build()
            .unwrap();
        client.usage().get().await.unwrap();
        fault(&emu, "GET", "/usage", 1, rate_limited_for_two_seconds());
        let started = Instant::now();
        client.usage().get().await.unwrap();
        let elapsed = started.elapsed();
        assert!(
            elapsed >= Duration::from_millis(1_900),
            "ledger {ledger}: retried after {elapsed:?}"
        );
        let log = attempts.all();
        let retry = log.last().unwrap();
        assert_eq!(retry.attempt, 2, "ledger {ledger}");
        assert!(
            retry.wait >= Duration::from_millis(1_900),
            "ledger {ledger}: waited {:?}",
            retry.wait
        );
        let statuses: Vec<_> = journal(&emu).iter().map(|e| e.status).collect();
        assert_eq!(
            statuses,
            [Some(200), Some(429), Some(200)],
            "ledger {ledger}"
        );
    }
}

#[tokio::test]
async fn a_chat_meeting_a_429_waits_for_its_reset_and_is_sent_once_more() {
    let emu = emulator().await;
    let client = client(&emu);
    client.agents().list().await.unwrap();
    fault(
        &emu,
        "POST",
        "/agents/agt_abc123/chat",
        1,
        rate_limited_for_two_seconds(),
    );
    let started = Instant::now();
    client.agents().chat(ACTIVE, "hello").await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(1_900));
    let statuses: Vec<_> = requests(&emu, "POST").iter().map(|e| e.status).collect();
    assert_eq!(statuses, [Some(429), Some(200)]);
}

#[tokio::test]
async fn max_rate_limit_wait_bounds_a_call_not_each_of_its_attempts() {
    // A server that answers everything with a bare 429 (no rate-limit headers, no Retry-After):
    // the ledger lets one request a second through for the whole key. Each call may wait 3 s
    // for the rate limit in all (per attempt, the 12 calls took ~11 s here; the audit's 100
    // calls with 60 s each, up to 183 s).
    let emu = emulator_with(EmulatorOptions {
        rate_limit: 0,
        ..Default::default()
    })
    .await;
    fault(&emu, "GET", "/usage", 1000, status(429));
    let client = builder(&emu)
        .max_retries(2)
        .max_rate_limit_wait(Duration::from_secs(3))
        .build()
        .unwrap();
    let usage = client.usage();
    let started = Instant::now();
    let outcomes = futures::future::join_all((0..12).map(|_| usage.get())).await;
    let took = started.elapsed();
    for outcome in &outcomes {
        let e = outcome.as_ref().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RateLimited, "{e}");
    }
    // 3 s of waiting each, plus the requests and a second of the ledger's resolution; wide
    // slack for a loaded machine. The message tells the per-call bound from the old one.
    assert!(took < Duration::from_secs(12), "took {took:?}");
    assert!(
        outcomes.iter().any(|o| o
            .as_ref()
            .unwrap_err()
            .message()
            .contains("after this call waited")),
        "{outcomes:#?}"
    );
}

#[tokio::test]
async fn a_503_that_says_when_to_come_back_is_retried_then_not_sooner() {
    let emu = emulator().await;
    fault(
        &emu,
        "GET",
        "/usage",
        1,
        Fault::Status {
            status: 503,
            body: None,
            headers: [("retry-after".to_owned(), Some("2".to_owned()))].into(),
            reset_in_secs: None,
        },
    );
    let client = builder(&emu).max_retries(1).build().unwrap();
    let started = Instant::now();
    client.usage().get().await.unwrap();
    // The backoff alone would have been at most 0.5 s.
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(journal(&emu).len(), 2);
}
