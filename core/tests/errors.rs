//! Every error status mapped to its kind, bodies that are not the envelope, and the argument
//! checks that stop a request before anything is sent.

mod common;

use common::{ACTIVE, builder, client, emulator, fault, journal};
use delegir::{AgentConfigUpdate, AgentUpdate, ErrorKind, RunsQuery, validate};
use delegir_emulator::Fault;
use futures::StreamExt;
use serde_json::json;

fn status_fault(status: u16, message: &str) -> Fault {
    Fault::Status {
        status,
        body: Some(json!({ "error": message })),
        headers: Default::default(),
        reset_in_secs: None,
    }
}

#[tokio::test]
async fn every_error_status_maps_to_its_kind_with_the_envelopes_message() {
    let emu = emulator().await;
    let client = builder(&emu).max_retries(0).build().unwrap();
    for (status, kind) in [
        (400, ErrorKind::BadRequest),
        (401, ErrorKind::Authentication),
        (403, ErrorKind::ApiStatus),
        (404, ErrorKind::NotFound),
        (409, ErrorKind::ApiStatus),
        (418, ErrorKind::ApiStatus),
        (500, ErrorKind::InternalServer),
        (502, ErrorKind::InternalServer),
        (503, ErrorKind::InternalServer),
        (504, ErrorKind::InternalServer),
    ] {
        fault(&emu, "GET", "/usage", 1, status_fault(status, "Injected"));
        let e = client.usage().get().await.unwrap_err();
        assert_eq!(e.kind(), kind, "{status}");
        assert_eq!(e.status(), Some(status));
        assert_eq!(e.message(), "Injected");
        assert!(e.is_api_status());
        assert!(
            e.rate_limit().is_some(),
            "{status} keeps the rate-limit snapshot"
        );
    }
}

#[tokio::test]
async fn a_429_maps_to_rate_limited_with_retry_after() {
    let emu = emulator().await;
    let client = builder(&emu)
        .max_retries(0)
        .rate_limit(false)
        .build()
        .unwrap();
    fault(
        &emu,
        "GET",
        "/usage",
        1,
        Fault::Status {
            status: 429,
            body: Some(json!({"error": "Slow down"})),
            headers: Default::default(),
            reset_in_secs: Some(30),
        },
    );
    let e = client.usage().get().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert_eq!(e.status(), Some(429));
    let wait = e.retry_after().unwrap().as_secs_f64();
    assert!((28.0..=31.0).contains(&wait), "{wait}");
    assert_eq!(e.rate_limit().unwrap().remaining, 0);
    assert!(!e.may_have_reached_server());
}

#[tokio::test]
async fn an_unknown_agent_is_not_found() {
    let emu = emulator().await;
    let e = client(&emu).agents().get("agt_missing").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(e.message(), "Agent not found");
}

#[tokio::test]
async fn an_invalid_or_revoked_key_is_an_authentication_error() {
    let emu = emulator().await;
    let stranger = delegir::Client::builder()
        .api_key("not_a_delegir_key")
        .base_url(emu.base_url())
        .build()
        .unwrap();
    let e = stranger.agents().list().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Authentication);
    assert_eq!(e.status(), Some(401));

    let client = client(&emu);
    client.agents().list().await.unwrap();
    emu.revoke_key(&emu.api_key());
    let e = client.agents().list().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Authentication);
}

#[tokio::test]
async fn bodies_that_are_not_the_envelope_are_response_validation_errors_and_not_retried() {
    let emu = emulator().await;
    let client = client(&emu);
    for injected in [
        Fault::Truncated,
        Fault::Malformed,
        Fault::NotEnvelope { body: None },
        Fault::NotEnvelope {
            body: Some(json!({"data": {"plan": 5}})),
        },
        Fault::Html {
            status: 200,
            body: None,
        },
    ] {
        emu.clear_journal();
        let kind = format!("{injected:?}");
        fault(&emu, "GET", "/usage", 1, injected);
        let e = client.usage().get().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ResponseValidation, "{kind}");
        assert_eq!(e.status(), Some(200), "{kind}");
        let excerpt = e.body_excerpt().expect("an excerpt");
        assert!(excerpt.chars().count() <= 200, "{kind}");
        assert_eq!(journal(&emu).len(), 1, "{kind} is not retried");
    }
}

#[tokio::test]
async fn an_error_body_whose_error_is_not_a_string_is_still_the_status_error_of_its_status() {
    let emu = emulator().await;
    let client = builder(&emu).max_retries(0).build().unwrap();
    fault(
        &emu,
        "GET",
        "/usage",
        1,
        Fault::Status {
            status: 404,
            body: Some(json!({"error": {"code": 404}})),
            headers: Default::default(),
            reset_in_secs: None,
        },
    );
    let e = client.usage().get().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(e.status(), Some(404));
    assert!(e.is_api_status());
    assert!(e.body_excerpt().unwrap().contains("code"));
    assert!(e.message().contains("code"), "{}", e.message());
}

#[tokio::test]
async fn an_html_502_from_a_proxy_is_retried_for_get_and_finally_an_internal_server_error() {
    let emu = emulator().await;
    let client = client(&emu);
    fault(
        &emu,
        "GET",
        "/usage",
        3,
        Fault::Html {
            status: 502,
            body: None,
        },
    );
    let e = client.usage().get().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InternalServer);
    assert!(e.is_api_status());
    assert_eq!(e.status(), Some(502));
    assert!(e.body_excerpt().unwrap().contains("502 Bad Gateway"));
    // The page is quoted in the message, on one line.
    assert!(
        e.message()
            .contains("<center><h1>502 Bad Gateway</h1></center> <hr><center>nginx</center>"),
        "{}",
        e.message()
    );
    assert_eq!(journal(&emu).len(), 3, "the first attempt and two retries");
}

#[tokio::test]
async fn gateway_pages_of_every_status_are_the_status_error_of_their_status() {
    let emu = emulator().await;
    // Without the ledger, which would hold the calls after the 429 until the window resets.
    let client = builder(&emu)
        .max_retries(0)
        .rate_limit(false)
        .build()
        .unwrap();
    for (status, kind) in [
        (400, ErrorKind::BadRequest),
        (401, ErrorKind::Authentication),
        (403, ErrorKind::ApiStatus),
        (404, ErrorKind::NotFound),
        (413, ErrorKind::ApiStatus),
        (429, ErrorKind::RateLimited),
        (503, ErrorKind::InternalServer),
        (504, ErrorKind::InternalServer),
    ] {
        let page = format!("<html><body><h1>{status} from the gateway</h1></body></html>");
        fault(
            &emu,
            "POST",
            "/agents/agt_abc123/chat",
            1,
            Fault::Html {
                status,
                body: Some(page.clone()),
            },
        );
        let e = client.agents().chat(ACTIVE, "hi").await.unwrap_err();
        assert_eq!(e.kind(), kind, "{status}");
        assert_eq!(e.status(), Some(status));
        assert_eq!(e.body_excerpt(), Some(page.as_str()));
        assert!(e.message().contains(&page), "{}", e.message());
    }
}

#[tokio::test]
async fn an_error_status_with_a_body_over_the_cap_is_still_the_status_error() {
    let emu = emulator().await;
    let client = builder(&emu)
        .max_retries(0)
        .max_response_bytes(1024)
        .build()
        .unwrap();
    fault(
        &emu,
        "GET",
        "/usage",
        1,
        Fault::Large {
            megabytes: 1,
            status: 503,
        },
    );
    let e = client.usage().get().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InternalServer);
    assert_eq!(e.status(), Some(503));
    assert!(
        e.message().contains("exceeds 1024 bytes"),
        "{}",
        e.message()
    );
}

/// Runs every call that must be refused before sending and checks the kind and argument name.
#[tokio::test]
async fn invalid_arguments_are_rejected_before_anything_is_sent() {
    let emu = emulator().await;
    let client = client(&emu);
    let agents = client.agents();
    let check = |result: delegir::Result<()>, argument: &str| {
        let e = result.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{argument}: {e}");
        assert_eq!(e.argument(), Some(argument), "{e}");
    };
    for id in ["", "../usage", "a/b?x", "agt 1", "agt%2F", "ägt", "agt\n"] {
        check(agents.get(id).await.map(drop), "id");
        check(agents.delete(id).await.map(drop), "id");
        check(agents.chat(id, "hi").await.map(drop), "id");
        check(agents.runs(id, RunsQuery::default()).await.map(drop), "id");
        let update = AgentUpdate {
            name: Some("n".into()),
            ..Default::default()
        };
        check(agents.update(id, &update).await.map(drop), "id");
        let first = std::pin::pin!(agents.runs_stream(id)).next().await.unwrap();
        check(first.map(drop), "id");
    }
    for limit in [0, 101, 1000] {
        let query = RunsQuery {
            limit: Some(limit),
            offset: None,
        };
        check(agents.runs(ACTIVE, query).await.map(drop), "limit");
    }
    check(validate::runs_query(None, Some(-1)).map(drop), "offset");
    check(validate::runs_query(Some(0), None).map(drop), "limit");
    let mut pager = agents.runs_pager(ACTIVE, Some(0));
    check(pager.next_page().await.map(drop), "page_size");
    for message in ["", "   ", "\n"] {
        check(agents.chat(ACTIVE, message).await.map(drop), "message");
    }
    let config = |c: AgentConfigUpdate| AgentUpdate {
        config: Some(c),
        ..Default::default()
    };
    for t in [-0.1, 2.01, f64::NAN] {
        let update = config(AgentConfigUpdate {
            temperature: Some(t),
            ..Default::default()
        });
        check(
            agents.update(ACTIVE, &update).await.map(drop),
            "temperature",
        );
    }
    let update = config(AgentConfigUpdate {
        max_tokens: Some(0),
        ..Default::default()
    });
    check(agents.update(ACTIVE, &update).await.map(drop), "max_tokens");
    check(validate::max_tokens(0).map(drop), "max_tokens");
    check(validate::max_tokens(-5).map(drop), "max_tokens");
    check(
        agents
            .update(ACTIVE, &AgentUpdate::default())
            .await
            .map(drop),
        "update",
    );
    check(
        agents
            .update(ACTIVE, &config(AgentConfigUpdate::default()))
            .await
            .map(drop),
        "update",
    );
    assert!(
        emu.journal(None).is_empty(),
        "nothing reached the server: {:?}",
        emu.journal(None)
    );
}

#[tokio::test]
async fn out_of_range_values_are_flagged_for_range_errors_in_bindings() {
    let e = validate::runs_query(Some(101), None).unwrap_err();
    assert!(e.is_out_of_range());
    let e = validate::agent_id("a/b").unwrap_err();
    assert!(!e.is_out_of_range());
}

#[tokio::test]
async fn a_base_url_with_any_userinfo_is_refused_without_showing_the_password() {
    for url in [
        "http://:hunter2@127.0.0.1:4010/api/v1",
        "http://user:hunter2@127.0.0.1:4010/api/v1",
        "https://user:hunter2@delegir.com/api/v1",
        "http://user@127.0.0.1:4010/api/v1",
        "https://:hunter2@delegir.com:99999/api/v1",
        "ftp://user:hunter2@example.com/",
    ] {
        let builder = delegir::Client::builder()
            .api_key("dlg_test_userinfo0123456789")
            .base_url(url);
        let debug = format!("{builder:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        let e = builder.build().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Configuration, "{url}");
        for shown in [e.to_string(), format!("{e:?}")] {
            assert!(!shown.contains("hunter2"), "{url}: {shown}");
        }
        if !url.contains("99999") && !url.starts_with("ftp") {
            assert!(e.message().contains("credentials"), "{url}: {e}");
        }
    }
}
