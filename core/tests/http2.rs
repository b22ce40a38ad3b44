//! HTTP/2 with prior knowledge (h2c): every call of a client multiplexed on one connection, with
//! the same retry rules as over HTTP/1.1.

mod common;

use common::{ACTIVE, builder, client, emulator, fault, journal};
use delegir::{Client, ErrorKind, ExtraParams, RequestOptions};
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

#[tokio::test]
async fn a_request_states_its_body_length_and_sends_its_extra_headers() {
    // HTTP/2 forbids connection-specific fields (RFC 9113, 8.2.2); those are refused as extra
    // headers before anything is sent (extra.rs), so every extra header goes out.
    for name in ["te", "upgrade", "keep-alive", "proxy-connection"] {
        assert!(ExtraParams::new().header(name, "x").is_err(), "{name}");
    }
    let emu = emulator().await;
    let extra = ExtraParams::new().header("x-trace-id", "abc").unwrap();
    let client = http2_client(&emu).with_options(RequestOptions::default().with_extra(extra));
    client.agents().chat(ACTIVE, "hello").await.unwrap();
    client.usage().get().await.unwrap();
    let entries = journal(&emu);
    let (chat, get) = (&entries[0].headers, &entries[1].headers);
    let body = entries[0].body.as_deref().unwrap();
    assert_eq!(chat["content-length"], body.len().to_string());
    assert_eq!(chat["content-type"], "application/json");
    assert!(!get.contains_key("content-length"), "{get:?}");
    for sent in [chat, get] {
        assert_eq!(sent["x-trace-id"], "abc");
    }
}

#[tokio::test]
async fn the_connection_closes_once_the_client_is_dropped_and_its_calls_ended() {
    // The connection's task must notice that its last handle went away while it waits for the
    // socket; else every dropped client would leave a connection open until the server
    // closed it.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}/api/v1", listener.local_addr().unwrap());
    let (closed, closed_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let mut connection = h2::server::handshake(socket).await.unwrap();
        while let Some(Ok((_request, mut respond))) = connection.accept().await {
            let response = http::Response::builder()
                .header("content-type", "application/json")
                .body(())
                .unwrap();
            let mut body = respond.send_response(response, false).unwrap();
            let usage =
                r#"{"data": {"period": "2026-12", "requests": 1, "tokens": 2, "cost": 0.1}}"#;
            body.send_data(bytes::Bytes::from_static(usage.as_bytes()), true)
                .unwrap();
        }
        // `accept` ends when the client closed the connection (GOAWAY, then EOF).
        let _ = closed.send(());
    });
    let client = Client::builder()
        .api_key("dlg_test_close0123456789abcdef")
        .base_url(&base_url)
        .http2_prior_knowledge(true)
        .rate_limit(false)
        .build()
        .unwrap();
    let _ = client.usage().get().await;
    drop(client);
    tokio::time::timeout(std::time::Duration::from_secs(10), closed_rx)
        .await
        .expect("the connection closed within 10 s of the client's drop")
        .unwrap();
}
