//! Every endpoint and model against the emulator over a real socket.

mod common;

use common::{ACTIVE, PAUSED, client, emulator, fault, journal, requests};
use delegir::{AgentConfigUpdate, AgentStatus, AgentUpdate, RunsQuery};
use delegir_emulator::Fault;
use serde_json::json;

#[tokio::test]
async fn list_returns_the_reference_agents_with_typed_fields_and_a_null_template() {
    let emu = emulator().await;
    let client = client(&emu);
    let agents = client.agents().list().await.unwrap();
    assert_eq!(agents.len(), 2);
    let support = &agents[0];
    assert_eq!(support.id, ACTIVE);
    assert_eq!(support.name, "Customer Support Agent");
    assert_eq!(support.status, AgentStatus::Active);
    assert!(support.safety_mode);
    assert_eq!(support.template.as_deref(), Some("customer-support"));
    assert_eq!(support.total_runs, 1284);
    assert_eq!(support.created_at.unix_timestamp(), 1_768_053_600);
    assert!(support.last_active.is_some());
    let sales = &agents[1];
    assert_eq!(sales.status, AgentStatus::Paused);
    assert_eq!(sales.template, None);
    assert!(sales.extra.is_empty());
}

#[tokio::test]
async fn get_returns_the_agent_with_its_config_and_channels() {
    let emu = emulator().await;
    let detail = client(&emu).agents().get(ACTIVE).await.unwrap();
    assert_eq!(detail.agent.id, ACTIVE);
    assert_eq!(
        detail.config.model.as_deref(),
        Some("claude-sonnet-4-5-20250514")
    );
    assert_eq!(detail.config.temperature, Some(0.7));
    assert_eq!(detail.config.max_tokens, Some(2048));
    assert_eq!(detail.channels, ["webchat", "email"]);
    assert_eq!(journal(&emu)[0].path, "/api/v1/agents/agt_abc123");
}

#[tokio::test]
async fn update_sends_only_the_fields_that_are_set_and_returns_the_updated_agent() {
    let emu = emulator().await;
    let client = client(&emu);
    let update = AgentUpdate {
        name: Some("Updated Support Agent".into()),
        config: Some(AgentConfigUpdate {
            temperature: Some(0.5),
            ..Default::default()
        }),
        ..Default::default()
    };
    let updated = client.agents().update(ACTIVE, &update).await.unwrap();
    assert_eq!(updated.id, ACTIVE);
    assert_eq!(updated.name, "Updated Support Agent");
    assert_eq!(updated.status, AgentStatus::Active);
    let sent = &requests(&emu, "PUT")[0];
    let body: serde_json::Value = serde_json::from_str(sent.body.as_deref().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"name": "Updated Support Agent", "config": {"temperature": 0.5}})
    );
    let detail = client.agents().get(ACTIVE).await.unwrap();
    assert_eq!(detail.agent.name, "Updated Support Agent");
    assert_eq!(detail.config.temperature, Some(0.5));
    assert_eq!(detail.config.max_tokens, Some(2048));
}

#[tokio::test]
async fn update_can_pause_an_agent_so_that_chat_is_refused_with_bad_request() {
    let emu = emulator().await;
    let client = client(&emu);
    let pause = AgentUpdate {
        status: Some(AgentStatus::Paused),
        ..Default::default()
    };
    let updated = client.agents().update(ACTIVE, &pause).await.unwrap();
    assert_eq!(updated.status, AgentStatus::Paused);
    let e = client.agents().chat(ACTIVE, "hello").await.unwrap_err();
    assert_eq!(e.kind(), delegir::ErrorKind::BadRequest);
}

#[tokio::test]
async fn delete_removes_the_agent_and_later_gets_are_not_found() {
    let emu = emulator().await;
    let client = client(&emu);
    let deleted = client.agents().delete(ACTIVE).await.unwrap();
    assert!(deleted.deleted);
    assert_eq!(deleted.id, ACTIVE);
    let e = client.agents().get(ACTIVE).await.unwrap_err();
    assert_eq!(e.kind(), delegir::ErrorKind::NotFound);
    assert_eq!(client.agents().list().await.unwrap().len(), 1);
}

#[tokio::test]
async fn chat_returns_the_reply_with_run_id_and_tokens_and_counts_a_new_run() {
    let emu = emulator().await;
    let client = client(&emu);
    let reply = client
        .agents()
        .chat(ACTIVE, "How do I reset my password?")
        .await
        .unwrap();
    assert!(!reply.response.is_empty());
    assert!(reply.run_id.starts_with("run_"));
    assert!(reply.tokens_used > 0);
    let sent = &requests(&emu, "POST")[0];
    assert_eq!(sent.path, "/api/v1/agents/agt_abc123/chat");
    assert_eq!(
        sent.body.as_deref(),
        Some(r#"{"message":"How do I reset my password?"}"#)
    );
    let page = client
        .agents()
        .runs(
            ACTIVE,
            RunsQuery {
                limit: Some(1),
                offset: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(page.total, 1285);
    assert_eq!(page.runs[0].id, reply.run_id);
}

#[tokio::test]
async fn chat_to_a_paused_agent_is_a_bad_request_with_the_servers_message() {
    let emu = emulator().await;
    let e = client(&emu).agents().chat(PAUSED, "hi").await.unwrap_err();
    assert_eq!(e.kind(), delegir::ErrorKind::BadRequest);
    assert_eq!(e.status(), Some(400));
    assert!(e.message().contains("not active"), "{}", e.message());
    assert!(!e.may_have_reached_server());
}

#[tokio::test]
async fn runs_returns_one_page_with_the_query_sent_as_given() {
    let emu = emulator().await;
    let page = client(&emu)
        .agents()
        .runs(
            ACTIVE,
            RunsQuery {
                limit: Some(10),
                offset: Some(0),
            },
        )
        .await
        .unwrap();
    assert_eq!(page.runs.len(), 10);
    assert_eq!(page.total, 1284);
    assert_eq!((page.limit, page.offset), (10, 0));
    let newest = &page.runs[0];
    assert_eq!(newest.id, "run_xyz789");
    assert_eq!(newest.status, "completed");
    assert_eq!(newest.tokens_used, 142);
    assert_eq!(newest.cost, 0.0028);
    assert_eq!(newest.duration_ms, 1340);
    assert_eq!(page.runs[1].id, "run_xyz788");
    assert_eq!(journal(&emu)[0].query.as_deref(), Some("limit=10&offset=0"));
}

#[tokio::test]
async fn runs_without_a_query_uses_the_servers_default_page() {
    let emu = emulator().await;
    let page = client(&emu)
        .agents()
        .runs(ACTIVE, RunsQuery::default())
        .await
        .unwrap();
    assert_eq!(page.runs.len(), 20);
    assert_eq!(journal(&emu)[0].query, None);
}

#[tokio::test]
async fn usage_returns_the_billing_period() {
    let emu = emulator().await;
    let usage = client(&emu).usage().get().await.unwrap();
    assert_eq!(usage.plan, "PRO");
    assert_eq!(usage.runs_used, 4521);
    assert_eq!(usage.runs_limit, 10_000);
    assert_eq!(usage.tokens_this_month, 1_284_350);
    assert_eq!(usage.cost_this_month, 25.68);
    assert_eq!(usage.billing_period_start.unix_timestamp(), 1_772_323_200);
    assert!(usage.billing_period_end > usage.billing_period_start);
}

#[tokio::test]
async fn rate_limit_reports_the_headers_of_the_last_response() {
    let emu = emulator().await;
    let client = client(&emu);
    assert_eq!(client.rate_limit(), None);
    client.usage().get().await.unwrap();
    let first = client.rate_limit().unwrap();
    assert_eq!((first.limit, first.remaining), (60, 59));
    client.agents().list().await.unwrap();
    let second = client.clone().rate_limit().unwrap();
    assert_eq!(second.remaining, 58);
    assert!(second.reset > 1_700_000_000);
}

#[tokio::test]
async fn unknown_fields_from_the_server_are_kept_in_extra_at_every_level() {
    let emu = emulator().await;
    let agent = json!({
        "id": "agt_new", "name": "New", "status": "archived", "safety_mode": false,
        "template": null, "total_runs": 0, "last_active": null,
        "created_at": "2026-01-10T14:00:00+02:00", "mood": "cheerful",
        "config": {"model": "m", "system_prompt": "p", "temperature": 1.0, "max_tokens": 5,
                   "top_p": 0.9},
        "channels": []
    });
    fault(
        &emu,
        "GET",
        "/agents/agt_new",
        1,
        Fault::Status {
            status: 200,
            body: Some(json!({"data": agent, "meta": {"v": 2}})),
            headers: Default::default(),
            reset_in_secs: None,
        },
    );
    let detail = client(&emu).agents().get("agt_new").await.unwrap();
    assert_eq!(detail.agent.extra["mood"], "cheerful");
    assert_eq!(detail.config.extra["top_p"], 0.9);
    assert_eq!(detail.agent.status, AgentStatus::Other("archived".into()));
    assert_eq!(detail.agent.last_active, None);
    assert_eq!(detail.agent.template, None);
    assert_eq!(detail.agent.created_at.unix_timestamp(), 1_768_046_400);
}
