//! HTTP/2 requests the server provably did not process (issue 15, defect 5): a stream the server
//! refused (`REFUSED_STREAM`) or one above a `GOAWAY`'s last-stream-id is sent again on a fresh
//! connection, for every method, without using the caller's retry budget (`max_retries = 0`
//! here), and a chat the server did process is never sent twice.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use common::{ACTIVE, builder, emulator, fault, journal};
use delegir::Client;
use delegir_emulator::Fault;
use futures::future::join_all;
use tokio::net::{TcpListener, TcpStream};

const USAGE: &str = r#"{"data":{"plan":"PRO","runs_used":1,"runs_limit":10,"tokens_this_month":1,"cost_this_month":0.5,"billing_period_start":"2026-03-01T00:00:00Z","billing_period_end":"2026-03-31T23:59:59Z"}}"#;
const CHAT_REPLY: &str = r#"{"data": {"response": "ok", "runId": "run_1", "tokensUsed": 1}}"#;

/// An h2c server that, like nginx with `keepalive_requests`, processes `per_connection` streams
/// per connection, shuts it down (`GOAWAY`) and refuses the streams that arrive after those
/// (`REFUSED_STREAM`), and counts the requests it processed and the connections it accepted.
struct GoawayServer {
    base_url: String,
    processed: Arc<AtomicUsize>,
    connections: Arc<AtomicUsize>,
}

impl GoawayServer {
    async fn start(per_connection: usize) -> GoawayServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}/api/v1", listener.local_addr().unwrap());
        let processed = Arc::new(AtomicUsize::new(0));
        let connections = Arc::new(AtomicUsize::new(0));
        let (done, opened) = (Arc::clone(&processed), Arc::clone(&connections));
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                opened.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(socket, per_connection, Arc::clone(&done)));
            }
        });
        GoawayServer {
            base_url,
            processed,
            connections,
        }
    }

    fn client(&self) -> Client {
        Client::builder()
            .api_key("dlg_test_goaway0123456789abcdef")
            .base_url(&self.base_url)
            .http2_prior_knowledge(true)
            .max_retries(0)
            .rate_limit(false)
            .build()
            .unwrap()
    }
}

async fn serve(socket: TcpStream, per_connection: usize, processed: Arc<AtomicUsize>) {
    let Ok(mut connection) = h2::server::handshake(socket).await else {
        return;
    };
    let mut accepted = 0;
    while let Some(Ok((request, mut respond))) = connection.accept().await {
        accepted += 1;
        if accepted == per_connection {
            connection.graceful_shutdown();
        }
        if accepted > per_connection {
            respond.send_reset(h2::Reason::REFUSED_STREAM);
            continue;
        }
        let processed = Arc::clone(&processed);
        tokio::spawn(async move {
            let mut body = request.into_body();
            while let Some(Ok(chunk)) = body.data().await {
                let _ = body.flow_control().release_capacity(chunk.len());
            }
            // Long enough for more streams to arrive while this one is processed.
            tokio::time::sleep(Duration::from_millis(20)).await;
            processed.fetch_add(1, Ordering::SeqCst);
            let response = http::Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(())
                .unwrap();
            if let Ok(mut stream) = respond.send_response(response, false) {
                let _ = stream.send_data(Bytes::from_static(CHAT_REPLY.as_bytes()), true);
            }
        });
    }
}

#[tokio::test]
async fn chats_across_goaways_all_succeed_without_retries_and_none_is_processed_twice() {
    // nginx's `keepalive_requests 50` at concurrency 64.
    let server = GoawayServer::start(50).await;
    let client = server.client();
    for round in 0..4 {
        let before = server.processed.load(Ordering::SeqCst);
        let chats = (0..64).map(|i| {
            let client = client.clone();
            async move { client.agents().chat(ACTIVE, &format!("hello {i}")).await }
        });
        let results = join_all(chats).await;
        let failed: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
        assert!(failed.is_empty(), "round {round}: {failed:?}");
        // Every chat processed exactly once: a refused one was not processed, so its resend
        // is its only run.
        assert_eq!(
            server.processed.load(Ordering::SeqCst) - before,
            64,
            "round {round}"
        );
    }
    assert!(
        server.connections.load(Ordering::SeqCst) >= 5,
        "GOAWAYs happened: {} connections",
        server.connections.load(Ordering::SeqCst)
    );
}

#[tokio::test]
async fn a_refused_stream_on_a_live_connection_is_sent_again_without_using_the_retry_budget() {
    let emu = emulator().await;
    let client = builder(&emu)
        .http2_prior_knowledge(true)
        .rate_limit(false)
        .max_retries(0)
        .build()
        .unwrap();
    client.usage().get().await.unwrap();
    for (method, path) in [("POST", "/agents/agt_abc123/chat"), ("GET", "/usage")] {
        fault(&emu, method, path, 1, Fault::RefuseStream);
    }
    let reply = client.agents().chat(ACTIVE, "hello").await.unwrap();
    assert!(reply.run_id.starts_with("run_"));
    client.usage().get().await.unwrap();
    let outcomes: Vec<_> = journal(&emu)
        .into_iter()
        .map(|e| format!("{} {}", e.method, e.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            "GET ok",
            "POST fault:refuse_stream",
            "POST ok",
            "GET fault:refuse_stream",
            "GET ok"
        ]
    );
    let detail = client.agents().get(ACTIVE).await.unwrap();
    assert_eq!(detail.agent.total_runs, 1285, "exactly one run was created");
}

/// An h2c server whose every response states `content-length: 100` and sends 2 bytes: h2 resets
/// the stream with `PROTOCOL_ERROR` on the client's side. Counts the requests it received.
async fn lying_length_server() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}/api/v1", listener.local_addr().unwrap());
    let received = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&received);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let count = Arc::clone(&count);
            tokio::spawn(async move {
                let Ok(mut connection) = h2::server::handshake(socket).await else {
                    return;
                };
                while let Some(Ok((_request, mut respond))) = connection.accept().await {
                    count.fetch_add(1, Ordering::SeqCst);
                    let response = http::Response::builder()
                        .header("content-type", "application/json")
                        .header("content-length", "100")
                        .body(())
                        .unwrap();
                    if let Ok(mut stream) = respond.send_response(response, false) {
                        let _ = stream.send_data(Bytes::from_static(b"{}"), true);
                    }
                }
            });
        }
    });
    (base_url, received)
}

#[tokio::test]
async fn a_malformed_http2_response_is_called_malformed_and_a_chat_is_not_resent() {
    let (base_url, received) = lying_length_server().await;
    let client = Client::builder()
        .api_key("dlg_test_goaway0123456789abcdef")
        .base_url(&base_url)
        .http2_prior_knowledge(true)
        .max_retries(1)
        .rate_limit(false)
        .build()
        .unwrap();
    // As over HTTP/1.1: "malformed ... a protocol error", not "the connection was lost".
    let error = client.usage().get().await.unwrap_err();
    assert_eq!(error.kind(), delegir::ErrorKind::Connection, "{error}");
    assert!(
        error.message().contains("is malformed") && error.message().contains("a protocol error"),
        "{error}"
    );
    assert_eq!(received.load(Ordering::SeqCst), 2, "a GET is retried once");
    let error = client.agents().chat(ACTIVE, "hi").await.unwrap_err();
    assert!(error.message().contains("is malformed"), "{error}");
    assert!(error.may_have_reached_server());
    assert_eq!(received.load(Ordering::SeqCst), 3, "a chat is sent once");
}

/// An h2c server that allows 2 concurrent streams and answers `GET /usage`; on its first
/// connection it takes 2 chats, answers neither, and closes the connection 300 ms later; on the
/// next ones it answers every chat. Counts the chats it held and the ones it answered.
async fn two_streams_then_close_server() -> (String, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}/api/v1", listener.local_addr().unwrap());
    let held_chats = Arc::new(AtomicUsize::new(0));
    let answered_chats = Arc::new(AtomicUsize::new(0));
    let (held_count, answered_count) = (Arc::clone(&held_chats), Arc::clone(&answered_chats));
    tokio::spawn(async move {
        let mut first = true;
        while let Ok((socket, _)) = listener.accept().await {
            let (held_count, answered_count) =
                (Arc::clone(&held_count), Arc::clone(&answered_count));
            let holds = std::mem::replace(&mut first, false);
            tokio::spawn(async move {
                let Ok(mut connection) = h2::server::Builder::new()
                    .max_concurrent_streams(2)
                    .handshake::<_, Bytes>(socket)
                    .await
                else {
                    return;
                };
                let mut held = Vec::new();
                while let Some(Ok((request, mut respond))) = connection.accept().await {
                    let chat = request.method() == http::Method::POST;
                    if chat && holds {
                        held_count.fetch_add(1, Ordering::SeqCst);
                        held.push((request, respond));
                        if held.len() == 2 {
                            break;
                        }
                        continue;
                    }
                    if chat {
                        answered_count.fetch_add(1, Ordering::SeqCst);
                    }
                    let response = http::Response::builder()
                        .header("content-type", "application/json")
                        .body(())
                        .unwrap();
                    let body = if chat { CHAT_REPLY } else { USAGE };
                    if let Ok(mut stream) = respond.send_response(response, false) {
                        let _ = stream.send_data(Bytes::from_static(body.as_bytes()), true);
                    }
                }
                // Keep the connection served (SETTINGS acks) a little, then drop it all.
                let _ = tokio::time::timeout(Duration::from_millis(300), async {
                    while connection.accept().await.is_some() {}
                })
                .await;
            });
        }
    });
    (base_url, held_chats, answered_chats)
}

#[tokio::test]
async fn chats_held_back_by_the_servers_stream_limit_are_not_sent_and_say_so_when_it_closes() {
    let (base_url, held, answered) = two_streams_then_close_server().await;
    let client = Client::builder()
        .api_key("dlg_test_goaway0123456789abcdef")
        .base_url(&base_url)
        .http2_prior_knowledge(true)
        .max_retries(0)
        .timeout(Duration::from_secs(10))
        .rate_limit(false)
        .build()
        .unwrap();
    // One answered call first, so that the server's SETTINGS (2 streams) have arrived: before
    // them h2 assumes 100, as hyper does.
    client.usage().get().await.unwrap();
    let agents = client.agents();
    let outcomes = join_all((0..10).map(|_| agents.chat(ACTIVE, "hi"))).await;
    // The 2 chats the server took fail as possibly created; the 8 that waited for a stream
    // were never sent, so they went on a new connection and were answered. (h2 used to hold
    // those 8 unsent and fail them as possibly created, never sending them.)
    let errors: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    assert_eq!(held.load(Ordering::SeqCst), 2);
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(
        errors.iter().all(|e| e.may_have_reached_server()),
        "{errors:#?}"
    );
    assert_eq!(answered.load(Ordering::SeqCst), 8);
}

/// An h2c server that allows one stream at a time and never answers a chat: the first chat
/// holds the only stream.
async fn one_stream_never_answering_server() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}/api/v1", listener.local_addr().unwrap());
    let chats = Arc::new(AtomicUsize::new(0));
    let received = Arc::clone(&chats);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let received = Arc::clone(&received);
            tokio::spawn(async move {
                let Ok(mut connection) = h2::server::Builder::new()
                    .max_concurrent_streams(1)
                    .handshake::<_, Bytes>(socket)
                    .await
                else {
                    return;
                };
                let mut held = Vec::new();
                while let Some(Ok((request, mut respond))) = connection.accept().await {
                    if request.method() == http::Method::POST {
                        received.fetch_add(1, Ordering::SeqCst);
                        held.push((request, respond));
                        continue;
                    }
                    let response = http::Response::builder().body(()).unwrap();
                    if let Ok(mut stream) = respond.send_response(response, false) {
                        let _ = stream.send_data(Bytes::from_static(USAGE.as_bytes()), true);
                    }
                }
            });
        }
    });
    (base_url, chats)
}

#[tokio::test]
async fn a_chat_that_times_out_waiting_for_a_stream_says_it_was_not_sent() {
    let (base_url, chats) = one_stream_never_answering_server().await;
    let client = Client::builder()
        .api_key("dlg_test_goaway0123456789abcdef")
        .base_url(&base_url)
        .http2_prior_knowledge(true)
        .max_retries(0)
        .timeout(Duration::from_millis(1500))
        .rate_limit(false)
        .build()
        .unwrap();
    // The second chat's attempts run out while the first still holds the stream.
    let impatient = client.with_options(delegir::RequestOptions {
        timeout: Some(Duration::from_millis(400)),
        ..Default::default()
    });
    // The server's SETTINGS (1 stream) arrive with the first answer.
    client.usage().get().await.unwrap();
    let (agents, impatient_agents) = (client.agents(), impatient.agents());
    let (first, second) = tokio::join!(agents.chat(ACTIVE, "one"), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        impatient_agents.chat(ACTIVE, "two").await
    });
    // The first was sent and never answered: it may exist.
    let first = first.unwrap_err();
    assert!(first.may_have_reached_server(), "{first:?}");
    // The second waited for the only stream until its timeout: it never left.
    let second = second.unwrap_err();
    assert_eq!(second.kind(), delegir::ErrorKind::Timeout, "{second}");
    assert!(!second.may_have_reached_server(), "{second:?}");
    assert!(
        second.message().contains("before the request was sent"),
        "{second}"
    );
    assert_eq!(chats.load(Ordering::SeqCst), 1);
}
