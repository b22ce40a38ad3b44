//! HTTP/2 with prior knowledge (h2c): every call of a client multiplexed on one connection, with
//! the same retry rules as over HTTP/1.1.

mod common;

use common::{ACTIVE, builder, client, emulator, fault, journal};
use delegir::{Client, ErrorKind};
use delegir_emulator::{Emulator, Fault};
use futures::future::join_all;

fn http2_client(emu: &Emulator) -> Client {
    builder(emu)
        .http2_prior_knowledge(true)
        .rate_limit(false)
        .build()
        .expect("the client builds")
}

/// Makes the next chat on the active agent get `f`.
fn fault_next_chat(emu: &Emulator, f: Fault) {
    fault(emu, "POST", "/agents/agt_abc123/chat", 1, f);
}

/// The journal's outcomes of the requests with `method`, oldest first.
fn outcomes(emu: &Emulator, method: &str) -> Vec<String> {
    journal(emu)
        .into_iter()
        .filter(|e| e.method == method)
        .map(|e| e.outcome)
        .collect()
}

#[tokio::test]
async fn concurrent_calls_arrive_as_http2_and_all_succeed() {
    let emu = emulator().await;
    let client = http2_client(&emu);
    assert!(client.config().http2_prior_knowledge());
    // Held in flight together by the delay: 50 streams on the connection at once.
    fault(
        &emu,
        "GET",
        "/agents/agt_abc123",
        50,
        Fault::Delay { ms: 200 },
    );
    let agents = client.agents();
    let replies = join_all((0..50).map(|_| agents.get(ACTIVE))).await;
    for reply in replies {
        assert_eq!(reply.unwrap().agent.id, ACTIVE);
    }
    let entries = journal(&emu);
    assert_eq!(entries.len(), 50);
    assert!(entries.iter().all(|e| e.http_version == "HTTP/2.0"));
}

#[tokio::test]
async fn without_the_option_calls_arrive_as_http1() {
    let emu = emulator().await;
    client(&emu).usage().get().await.unwrap();
    assert_eq!(journal(&emu)[0].http_version, "HTTP/1.1");
}

#[tokio::test]
async fn a_get_is_retried_on_a_new_connection_after_the_connection_is_reset() {
    let emu = emulator().await;
    let client = http2_client(&emu);
    client.usage().get().await.unwrap();
    fault(&emu, "GET", "/usage", 1, Fault::ResetBefore);
    client.usage().get().await.unwrap();
    assert_eq!(outcomes(&emu, "GET"), ["ok", "fault:reset_before", "ok"]);
}

#[tokio::test]
async fn a_chat_is_not_resent_after_the_connection_is_reset() {
    let emu = emulator().await;
    let client = http2_client(&emu);
    fault_next_chat(&emu, Fault::ResetBefore);
    let e = client.agents().chat(ACTIVE, "hello").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connection);
    assert!(e.may_have_reached_server());
    assert_eq!(
        outcomes(&emu, "POST"),
        ["fault:reset_before"],
        "exactly one POST"
    );
}

#[tokio::test]
async fn a_chat_whose_stream_the_server_refused_is_sent_again_once() {
    // REFUSED_STREAM means the server did not process the request: sending the chat again
    // cannot create a second run.
    let emu = emulator().await;
    let client = http2_client(&emu);
    fault_next_chat(&emu, Fault::RefuseStream);
    let reply = client.agents().chat(ACTIVE, "hello").await.unwrap();
    assert!(reply.run_id.starts_with("run_"));
    assert_eq!(outcomes(&emu, "POST"), ["fault:refuse_stream", "ok"]);
    let detail = client.agents().get(ACTIVE).await.unwrap();
    assert_eq!(detail.agent.total_runs, 1285, "exactly one run was created");
}

#[tokio::test]
async fn over_http1_the_same_refusal_is_a_closed_connection_and_a_chat_is_not_resent() {
    // Without HTTP/2's explicit refusal the client cannot tell whether the server acted.
    let emu = emulator().await;
    let client = client(&emu);
    fault_next_chat(&emu, Fault::RefuseStream);
    let e = client.agents().chat(ACTIVE, "hello").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connection);
    assert!(e.may_have_reached_server());
    fault(&emu, "GET", "/usage", 1, Fault::RefuseStream);
    client.usage().get().await.unwrap();
    assert_eq!(
        outcomes(&emu, "POST"),
        ["fault:refuse_stream"],
        "the chat once"
    );
    assert_eq!(
        outcomes(&emu, "GET"),
        ["fault:refuse_stream", "ok"],
        "the GET retried"
    );
}
