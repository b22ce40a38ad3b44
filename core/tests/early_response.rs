//! Requests that the server answered before reading them, and requests that it provably did not
//! process, over raw sockets (issue 15, defects 2 and 5 for HTTP/1.1):
//!
//! - a server that answers a large chat with 413 (or 401, 429) and closes without reading the
//!   body makes the write fail; that answer is the outcome, the chat is sent once, and the pool
//!   does not try the request on each of its idle connections in turn;
//! - a server that answers early and then neither reads the rest nor closes (the socket buffers
//!   fill and the write can go no further): the answer is read while the body is written, the
//!   call ends with it at once instead of at the timeout, and the connection is not reused;
//!   interim 1xx answers do not stop the write;
//! - a reused keep-alive connection that the server closes as a request goes out: a GET goes once
//!   more on a fresh connection without using the retry budget; a chat, which the server may have
//!   read, is not resent.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use delegir::{Client, ErrorKind};
use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

const KEY: &str = "dlg_test_early0123456789abcdef";
const AGENTS: &str = r#"{"data": []}"#;

/// What the raw server does with a request after reading its head.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OnChat {
    /// Answers this status with an error envelope and closes without reading the body.
    AnswerEarly(u16),
    /// Answers this status with an error envelope and keeps the connection open without
    /// reading the body (nor closing it) until the test ends.
    AnswerEarlyAndHold(u16),
    /// Sends `100 Continue` at once, reads the whole body, then answers 413 saying how many
    /// bytes of body it read.
    ContinueThenRead,
}

/// What the raw server does with the requests of a connection.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OnGet {
    /// Answers every GET (keep-alive); a chat as `OnChat` says.
    Answer,
    /// Like `Answer`, but reads the second request of each connection (any method) and closes
    /// without a byte of response (a keep-alive close that crossed the request).
    CloseTheSecond,
}

/// A raw HTTP/1.1 server that records the request line of every request head it reads.
struct RawServer {
    base_url: String,
    requests: Arc<Mutex<Vec<String>>>,
    connections: Arc<AtomicUsize>,
    /// The PEM file of the test CA, for a TLS server.
    ca: Option<tempfile_path::Removed>,
}

impl RawServer {
    async fn start(on_get: OnGet, on_chat: OnChat) -> RawServer {
        RawServer::start_with(on_get, on_chat, None).await
    }

    /// The same server behind TLS (HTTP/1.1 by ALPN), with a certificate for `localhost` from
    /// a test CA.
    async fn start_tls(on_get: OnGet, on_chat: OnChat) -> RawServer {
        let pki = common::pki::localhost();
        let config = pki.server_config(&[b"http/1.1"]);
        let ca_file = tempfile_path::Removed::new("early-response-ca.pem");
        std::fs::write(&ca_file.0, &pki.ca_pem).unwrap();
        let mut server =
            RawServer::start_with(on_get, on_chat, Some(TlsAcceptor::from(Arc::new(config)))).await;
        server.ca = Some(ca_file);
        server
    }

    async fn start_with(on_get: OnGet, on_chat: OnChat, tls: Option<TlsAcceptor>) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let base_url = match tls {
            None => format!("http://{address}/api/v1"),
            Some(_) => format!("https://localhost:{}/api/v1", address.port()),
        };
        let requests = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let (seen, opened) = (Arc::clone(&requests), Arc::clone(&connections));
        tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                opened.fetch_add(1, Ordering::SeqCst);
                let seen = Arc::clone(&seen);
                match tls.clone() {
                    None => tokio::spawn(serve(socket, seen, on_get, on_chat)),
                    Some(acceptor) => tokio::spawn(async move {
                        if let Ok(socket) = acceptor.accept(socket).await {
                            serve(socket, seen, on_get, on_chat).await;
                        }
                    }),
                };
            }
        });
        RawServer {
            base_url,
            requests,
            connections,
            ca: None,
        }
    }

    fn builder(&self) -> delegir::ClientBuilder {
        let builder = Client::builder()
            .api_key(KEY)
            .base_url(&self.base_url)
            .rate_limit(false);
        match &self.ca {
            Some(ca) => builder.extra_ca_certs(&ca.0),
            None => builder,
        }
    }

    fn client(&self, max_retries: u32) -> Client {
        self.builder().max_retries(max_retries).build().unwrap()
    }

    fn count(&self, method: &str) -> usize {
        let prefix = format!("{method} ");
        self.requests
            .lock()
            .iter()
            .filter(|line| line.starts_with(&prefix))
            .count()
    }
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut socket: S,
    seen: Arc<Mutex<Vec<String>>>,
    on_get: OnGet,
    on_chat: OnChat,
) {
    let mut buf = Vec::new();
    let mut served = 0;
    loop {
        // Read one request head.
        let end = loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
            let mut chunk = [0u8; 4096];
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        buf.drain(..end);
        let line = head.lines().next().unwrap_or_default().to_owned();
        seen.lock().push(line.clone());
        served += 1;
        if on_get == OnGet::CloseTheSecond && served == 2 {
            return;
        }
        if line.starts_with("POST ") {
            let (status, hold) = match on_chat {
                OnChat::AnswerEarly(status) => (status, false),
                OnChat::AnswerEarlyAndHold(status) => (status, true),
                OnChat::ContinueThenRead => {
                    let _ = socket.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await;
                    let read = read_body(&mut socket, &head, &buf).await;
                    let _ = socket
                        .write_all(envelope(413, &read.to_string()).as_bytes())
                        .await;
                    return;
                }
            };
            let _ = socket
                .write_all(envelope(status, "Request body too large").as_bytes())
                .await;
            if hold {
                // Neither reads nor closes: the client's write stalls on full buffers.
                tokio::time::sleep(Duration::from_secs(120)).await;
            }
            // Dropped with the body unread: the kernel answers the client's writes with RST.
            return;
        }
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{AGENTS}",
            AGENTS.len()
        );
        if socket.write_all(response.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// An error envelope with `status` and `message`, `Content-Length` framed.
fn envelope(status: u16, message: &str) -> String {
    let body = format!(r#"{{"error": "{message}"}}"#);
    format!(
        "HTTP/1.1 {status} Early\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Reads the body of the request whose head is `head` (`Content-Length` framed), `after_head`
/// the bytes already read after the head; how many bytes of body it read.
async fn read_body<S: AsyncRead + Unpin>(socket: &mut S, head: &str, after_head: &[u8]) -> usize {
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length: ")
                .map(str::to_owned)
        })
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut read = after_head.len();
    let mut chunk = vec![0u8; 64 * 1024];
    while read < length {
        match socket.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => read += n,
        }
    }
    read
}

/// A chat message of about 5 MB: far more than socket buffers hold, so the write is still
/// going when the server closes.
fn five_megabytes() -> String {
    "x".repeat(5 * 1024 * 1024)
}

#[tokio::test]
async fn an_early_413_to_a_large_chat_is_reported_and_the_chat_is_sent_once() {
    let server = RawServer::start(OnGet::Answer, OnChat::AnswerEarly(413)).await;
    let client = server.client(2);
    let e = client
        .agents()
        .chat("agt_abc123", &five_megabytes())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ApiStatus, "{e:?}");
    assert!(e.is_api_status());
    assert_eq!(e.status(), Some(413));
    assert_eq!(e.message(), "Request body too large");
    assert!(!e.to_string().contains("not sent"), "{e}");
    assert_eq!(server.count("POST"), 1, "{:?}", server.requests.lock());
}

#[tokio::test]
async fn an_early_answer_is_reported_with_fifty_idle_pooled_connections_and_sent_once() {
    let server = RawServer::start(OnGet::Answer, OnChat::AnswerEarly(413)).await;
    let client = server.client(2);
    // 50 connections in the pool, idle.
    let calls = (0..50).map(|_| {
        let client = client.clone();
        async move { client.agents().list().await }
    });
    for result in futures::future::join_all(calls).await {
        result.unwrap();
    }
    assert_eq!(server.connections.load(Ordering::SeqCst), 50);
    let e = client
        .agents()
        .chat("agt_abc123", &five_megabytes())
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(413), "{e:?}");
    assert_eq!(server.count("POST"), 1, "one chat in total");
    // The pool still serves calls.
    client.agents().list().await.unwrap();
}

#[tokio::test]
async fn an_early_401_is_an_authentication_error() {
    let server = RawServer::start(OnGet::Answer, OnChat::AnswerEarly(401)).await;
    let e = server
        .client(2)
        .agents()
        .chat("agt_abc123", &five_megabytes())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Authentication, "{e:?}");
    assert!(!e.may_have_reached_server());
    assert_eq!(server.count("POST"), 1);
}

#[tokio::test]
async fn a_get_on_a_keep_alive_connection_closed_as_it_went_out_is_sent_again_without_retries() {
    let server = RawServer::start(OnGet::CloseTheSecond, OnChat::AnswerEarly(413)).await;
    let client = server.client(0);
    for _ in 0..5 {
        client.agents().list().await.unwrap();
        // Long enough for the pool to see nothing wrong with the idle connection.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Each call after the first met its connection closing (the server closes every
    // connection's second request) and went again on a fresh one, whose first it answered.
    assert_eq!(server.count("GET"), 1 + 4 * 2);
    assert_eq!(server.connections.load(Ordering::SeqCst), 5);
}

#[tokio::test]
async fn a_chat_on_a_keep_alive_connection_closed_without_an_answer_is_not_resent() {
    let server = RawServer::start(OnGet::CloseTheSecond, OnChat::AnswerEarly(413)).await;
    let client = server.client(2);
    client.agents().list().await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    // The server reads the chat's head and closes: it may have acted on it.
    let e = client.agents().chat("agt_abc123", "hi").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connection, "{e:?}");
    assert!(e.may_have_reached_server());
    assert!(e.message().contains("the run may have been created"), "{e}");
}

/// A chat message of 32 MB: more than the loopback's socket buffers hold even fully grown
/// (`tcp_wmem` 4 MiB, `tcp_rmem` up to 32 MiB but not grown for a reader that reads nothing).
fn thirty_two_megabytes() -> String {
    "x".repeat(32 * 1024 * 1024)
}

/// A client with a 30 s timeout: an early answer must end the call long before it.
fn patient_client(server: &RawServer) -> Client {
    server
        .builder()
        .max_retries(2)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// A file in the temporary directory, removed when dropped.
mod tempfile_path {
    pub struct Removed(pub std::path::PathBuf);

    impl Removed {
        pub fn new(name: &str) -> Removed {
            Removed(std::env::temp_dir().join(format!("delegir-{}-{name}", std::process::id())))
        }
    }

    impl Drop for Removed {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_early_413_from_a_server_that_neither_reads_nor_closes_ends_the_call_at_once() {
    let server = RawServer::start(OnGet::Answer, OnChat::AnswerEarlyAndHold(413)).await;
    early_413_ends_the_call_at_once(server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_too_an_early_413_from_a_server_that_neither_reads_nor_closes_ends_the_call() {
    let server = RawServer::start_tls(OnGet::Answer, OnChat::AnswerEarlyAndHold(413)).await;
    early_413_ends_the_call_at_once(server).await;
}

async fn early_413_ends_the_call_at_once(server: RawServer) {
    let client = patient_client(&server);
    let started = std::time::Instant::now();
    let e = client
        .agents()
        .chat("agt_abc123", &thirty_two_megabytes())
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(e.kind(), ErrorKind::ApiStatus, "{e:?}");
    assert_eq!(e.status(), Some(413));
    assert_eq!(e.message(), "Request body too large");
    // Wide slack for a loaded machine; waiting for the write would take the whole 30 s.
    assert!(elapsed < Duration::from_secs(15), "{elapsed:?}");
    assert_eq!(server.count("POST"), 1, "{:?}", server.requests.lock());
    // The connection (its request unfinished) is not reused: the next call opens another.
    client.agents().list().await.unwrap();
    assert_eq!(server.connections.load(Ordering::SeqCst), 2);
    assert_eq!(server.count("POST"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_early_401_from_a_server_that_neither_reads_nor_closes_is_an_authentication_error() {
    let server = RawServer::start(OnGet::Answer, OnChat::AnswerEarlyAndHold(401)).await;
    let client = patient_client(&server);
    // A pooled keep-alive connection first: the chat goes on it.
    client.agents().list().await.unwrap();
    let started = std::time::Instant::now();
    let e = client
        .agents()
        .chat("agt_abc123", &thirty_two_megabytes())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Authentication, "{e:?}");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.count("POST"), 1);
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interim_100_continue_does_not_stop_the_body_from_being_written_whole() {
    let server = RawServer::start(OnGet::Answer, OnChat::ContinueThenRead).await;
    let message = thirty_two_megabytes();
    let e = patient_client(&server)
        .agents()
        .chat("agt_abc123", &message)
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(413), "{e:?}");
    // The server read every byte of the body (the JSON around the message adds a few).
    let read: usize = e.message().parse().unwrap();
    assert!(read > message.len(), "{read} of {}", message.len());
    assert_eq!(server.count("POST"), 1);
}
