//! The HTTP/1.1 codec against a scripted server on a real socket: every way RFC 9112 lets a
//! server frame a response, responses cut off or malformed, and which connections are reused.
//! (The emulator, built on hyper, always answers the same well-formed way; these are the
//! answers a proxy or another server may give.)

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use delegir::{Client, ErrorKind};
use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const USAGE: &str = r#"{"data":{"plan":"PRO","runs_used":4521,"runs_limit":10000,"tokens_this_month":1284350,"cost_this_month":25.68,"billing_period_start":"2026-03-01T00:00:00Z","billing_period_end":"2026-03-31T23:59:59Z"}}"#;
const CHAT: &str = r#"{"data":{"response":"Thanks!","runId":"run_i5a88z","tokensUsed":22}}"#;

/// What the server does with one request.
#[derive(Clone)]
enum Reply {
    /// Writes these bytes (in pieces, with pauses between them, to split reads).
    Send(Vec<&'static [u8]>),
    /// Writes these bytes, then closes the connection.
    SendAndClose(Vec<u8>),
    /// Writes these bytes, then this byte over and over (up to [`FLOOD_BYTES`]) for as long as
    /// the client reads: a hostile server.
    Flood(&'static [u8], u8),
}

/// The most a flooding server writes: far beyond any cap, so a client that does not stop
/// reading is caught by its memory or its timeout.
const FLOOD_BYTES: usize = 256 * 1024 * 1024;

fn ok(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn leak(bytes: Vec<u8>) -> &'static [u8] {
    Box::leak(bytes.into_boxed_slice())
}

/// A server that answers the n-th request it reads (over all connections) with `replies[n]`,
/// the last reply for any after; it counts connections and records each request.
struct Server {
    url: String,
    connections: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<String>>>,
}

async fn server(replies: Vec<Reply>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/v1", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let replies = Arc::new(replies);
    let (c, r) = (connections.clone(), requests.clone());
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            c.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve(socket, replies.clone(), r.clone()));
        }
    });
    Server {
        url,
        connections,
        requests,
    }
}

async fn serve(mut socket: TcpStream, replies: Arc<Vec<Reply>>, requests: Arc<Mutex<Vec<String>>>) {
    let mut pending = Vec::new();
    loop {
        // Read one request: the head, then a Content-Length body.
        let request = loop {
            if let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&pending[..end]).to_string();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length: "))
                    .map_or(0, |v| v.parse::<usize>().unwrap());
                if pending.len() >= end + 4 + length {
                    let whole = String::from_utf8_lossy(&pending[..end + 4 + length]).to_string();
                    pending.drain(..end + 4 + length);
                    break whole;
                }
            }
            let mut chunk = [0u8; 4096];
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => pending.extend_from_slice(&chunk[..n]),
            }
        };
        let index = {
            let mut requests = requests.lock();
            requests.push(request);
            requests.len() - 1
        };
        match replies[index.min(replies.len() - 1)].clone() {
            Reply::Send(pieces) => {
                for piece in pieces {
                    if socket.write_all(piece).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
            Reply::SendAndClose(bytes) => {
                let _ = socket.write_all(&bytes).await;
                return;
            }
            Reply::Flood(prefix, byte) => {
                if socket.write_all(prefix).await.is_err() {
                    return;
                }
                let block = vec![byte; 64 * 1024];
                let mut written = 0;
                while written < FLOOD_BYTES {
                    if socket.write_all(&block).await.is_err() {
                        return;
                    }
                    written += block.len();
                }
                return;
            }
        }
    }
}

fn client(server: &Server) -> Client {
    Client::builder()
        .api_key("sk_test_0123456789abcdef")
        .base_url(&server.url)
        .rate_limit(false)
        .max_retries(2)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

#[tokio::test]
async fn sequential_calls_reuse_one_connection() {
    let server = server(vec![Reply::Send(vec![leak(ok(USAGE))])]).await;
    let client = client(&server);
    for _ in 0..5 {
        assert_eq!(client.usage().get().await.unwrap().runs_used, 4521);
    }
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
    let requests = server.requests.lock();
    assert_eq!(requests.len(), 5);
    assert!(
        requests[0].starts_with("GET /api/v1/usage HTTP/1.1\r\n"),
        "{}",
        requests[0]
    );
    assert!(requests[0].contains("\r\nx-api-key: sk_test_0123456789abcdef\r\n"));
}

#[tokio::test]
async fn a_chunked_body_split_across_reads_with_extensions_and_trailers_is_decoded() {
    let (a, b) = USAGE.split_at(50);
    let chunked = [
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
            .to_vec(),
        format!("{:x};ext=1\r\n{a}\r\n", a.len()).into_bytes(),
        format!("{:X}\r\n{b}\r\n", b.len()).into_bytes(),
        b"0\r\nx-checksum: 1\r\n\r\n".to_vec(),
    ];
    let server = server(vec![Reply::Send(chunked.into_iter().map(leak).collect())]).await;
    let client = client(&server);
    for _ in 0..3 {
        assert_eq!(client.usage().get().await.unwrap().plan, "PRO");
    }
    // The trailers were consumed: the connection stayed in step and was reused.
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn interim_responses_are_skipped_and_a_head_split_byte_by_byte_is_read() {
    let whole = [
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </x>\r\n\r\n".to_vec(),
        ok(USAGE),
    ]
    .concat();
    let head_end = whole.windows(4).rposition(|w| w == b"\r\n\r\n").unwrap() + 4;
    let mut pieces: Vec<&'static [u8]> = whole[..head_end]
        .chunks(7)
        .map(|c| leak(c.to_vec()))
        .collect();
    pieces.push(leak(whole[head_end..].to_vec()));
    let server = server(vec![Reply::Send(pieces)]).await;
    assert_eq!(
        client(&server).usage().get().await.unwrap().runs_limit,
        10000
    );
}

#[tokio::test]
async fn a_body_delimited_by_closing_the_connection_is_read_and_the_connection_not_reused() {
    let close_delimited =
        format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{USAGE}").into_bytes();
    let server = server(vec![Reply::SendAndClose(close_delimited)]).await;
    let client = client(&server);
    for _ in 0..3 {
        assert_eq!(client.usage().get().await.unwrap().runs_used, 4521);
    }
    assert_eq!(server.connections.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn connection_close_and_http_1_0_responses_are_not_reused() {
    let close = format!(
        "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{USAGE}",
        USAGE.len()
    );
    let http10 = format!(
        "HTTP/1.0 200 OK\r\ncontent-length: {}\r\n\r\n{USAGE}",
        USAGE.len()
    );
    for reply in [close, http10] {
        // The server keeps the connection open: only the client's own rule closes it.
        let server = server(vec![Reply::Send(vec![leak(reply.into_bytes())])]).await;
        let client = client(&server);
        for _ in 0..3 {
            client.usage().get().await.unwrap();
        }
        assert_eq!(server.connections.load(Ordering::SeqCst), 3);
    }
}

#[tokio::test]
async fn a_body_cut_off_is_a_connection_error_with_the_status_and_a_get_is_retried() {
    let cut = format!(
        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{}",
        USAGE.len(),
        &USAGE[..40]
    );
    let server = server(vec![
        Reply::SendAndClose(cut.clone().into_bytes()),
        Reply::Send(vec![leak(ok(USAGE))]),
    ])
    .await;
    assert_eq!(client(&server).usage().get().await.unwrap().runs_used, 4521);
    assert_eq!(server.requests.lock().len(), 2);

    let server = server_always(Reply::SendAndClose(cut.into_bytes())).await;
    let error = client(&server).usage().get().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connection, "{error}");
    assert_eq!(error.status(), Some(200));
    let expected = format!("after 40 of {} body bytes", USAGE.len());
    assert!(error.to_string().contains(&expected), "{error}");
    assert_eq!(
        server.requests.lock().len(),
        3,
        "first attempt and two retries"
    );
}

async fn server_always(reply: Reply) -> Server {
    server(vec![reply]).await
}

#[tokio::test]
async fn a_chat_whose_connection_closes_before_the_response_is_sent_once_and_reported_lost() {
    let server = server_always(Reply::SendAndClose(Vec::new())).await;
    let error = client(&server)
        .agents()
        .chat("agt_abc123", "hello")
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connection, "{error}");
    assert!(error.may_have_reached_server());
    assert_eq!(
        server.requests.lock().len(),
        1,
        "a chat is never sent twice"
    );
    let request = &server.requests.lock()[0];
    assert!(request.starts_with("POST /api/v1/agents/agt_abc123/chat HTTP/1.1\r\n"));
    assert!(request.contains("\r\ncontent-type: application/json\r\n"));
    assert!(
        request.ends_with("\r\n\r\n{\"message\":\"hello\"}"),
        "{request}"
    );
}

#[tokio::test]
async fn after_an_idle_connection_is_closed_by_the_server_a_chat_goes_out_once_on_a_new_one() {
    // The first response closes the connection right after it, without saying so.
    let server = server(vec![
        Reply::SendAndClose(ok(USAGE)),
        Reply::Send(vec![leak(ok(CHAT))]),
    ])
    .await;
    let client = client(&server);
    client.usage().get().await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let reply = client.agents().chat("agt_abc123", "hello").await.unwrap();
    assert_eq!(reply.run_id, "run_i5a88z");
    assert_eq!(server.requests.lock().len(), 2);
    assert_eq!(server.connections.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn malformed_and_oversized_responses_are_errors_that_say_what_was_wrong() {
    let huge_header = format!(
        "HTTP/1.1 200 OK\r\nx-padding: {}\r\ncontent-length: 2\r\n\r\n{{}}",
        "a".repeat(70 * 1024)
    );
    let cases: [(Vec<u8>, &str); 5] = [
        (
            b"SSH-2.0-OpenSSH_9.6\r\n\r\n".to_vec(),
            "not valid HTTP/1.1",
        ),
        (
            b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\ncontent-length: 4\r\n\r\n{}}".to_vec(),
            "conflicting Content-Length",
        ),
        (huge_header.into_bytes(), "larger than 65536 bytes"),
        (
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n".to_vec(),
            "invalid chunk size",
        ),
        (
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n".to_vec(),
            "does not end with CRLF",
        ),
    ];
    for (reply, expected) in cases {
        let server = server_always(Reply::SendAndClose(reply)).await;
        let error = client(&server).usage().get().await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Connection, "{error}");
        assert!(
            error.to_string().contains(expected),
            "{expected:?}: {error}"
        );
    }
}

#[tokio::test]
async fn a_chunked_body_over_the_cap_is_refused_with_its_first_bytes() {
    let big = format!("{{\"data\":\"{}\"}}", "x".repeat(5000));
    let (a, b) = big.split_at(3000);
    let chunked = format!(
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n",
        a.len(),
        b.len()
    );
    let server = server_always(Reply::Send(vec![leak(chunked.into_bytes())])).await;
    let client = Client::builder()
        .api_key("sk_test_0123456789abcdef")
        .base_url(&server.url)
        .rate_limit(false)
        .max_response_bytes(4096)
        .build()
        .unwrap();
    let error = client.usage().get().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ResponseValidation, "{error}");
    assert!(error.to_string().contains("exceeds 4096 bytes"), "{error}");
    assert_eq!(
        server.requests.lock().len(),
        1,
        "a full response is not retried"
    );
}

// ------------------------------------------------------------------------------------------
// Hostile and malformed responses (issue 15, defects 1 and 6)

const CHUNKED_HEAD: &[u8] =
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";

fn chunked_then(rest: &str) -> Vec<u8> {
    [CHUNKED_HEAD, rest.as_bytes()].concat()
}

#[tokio::test]
async fn a_chunk_size_of_2_to_the_64_minus_1_is_refused_by_the_cap_without_overflow() {
    // The second chunk's size plus the first chunk's length overflows 64 bits.
    let server = server_always(Reply::Flood(
        leak(chunked_then("5\r\n{\"a\":\r\nFFFFFFFFFFFFFFFF\r\n")),
        b'x',
    ))
    .await;
    let error = client(&server).usage().get().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ResponseValidation, "{error}");
    assert!(
        error.to_string().contains("exceeds 16777216 bytes"),
        "{error}"
    );
    assert_eq!(
        server.requests.lock().len(),
        1,
        "a response over the cap is final"
    );
}

#[tokio::test]
async fn a_chunk_size_that_wraps_to_a_small_total_does_not_bypass_the_cap() {
    // 5 + 0xFFFFFFFFFFFFFFFB wraps to 0: unchecked, the cap would pass and the flood after it
    // would be read without end.
    let server = server_always(Reply::Flood(
        leak(chunked_then("5\r\n{\"a\":\r\nFFFFFFFFFFFFFFFB\r\n")),
        b'x',
    ))
    .await;
    let started = std::time::Instant::now();
    let error = client(&server).usage().get().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ResponseValidation, "{error}");
    assert!(
        error.to_string().contains("exceeds 16777216 bytes"),
        "{error}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "refused at the size line, not after reading"
    );
}

#[tokio::test]
async fn many_small_chunks_count_against_the_cap_with_every_decoded_byte() {
    let mut body = String::new();
    for _ in 0..3000 {
        body.push_str("2\r\nxx\r\n");
    }
    body.push_str("0\r\n\r\n");
    let server = server_always(Reply::SendAndClose(chunked_then(&body))).await;
    let client = Client::builder()
        .api_key("sk_test_0123456789abcdef")
        .base_url(&server.url)
        .rate_limit(false)
        .max_response_bytes(4096)
        .build()
        .unwrap();
    let error = client.usage().get().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ResponseValidation, "{error}");
    assert!(error.to_string().contains("exceeds 4096 bytes"), "{error}");
}

/// Each hostile framing: what the server sends after the chunked head, and what the error says.
#[tokio::test]
async fn hostile_chunk_lines_extensions_and_trailers_are_bounded_protocol_errors() {
    let cases: [(Reply, &str); 5] = [
        // 17 hex digits: does not fit in 64 bits.
        (
            Reply::SendAndClose(chunked_then("10000000000000000\r\n")),
            "does not fit in 64 bits",
        ),
        // A chunk-size line that never ends.
        (
            Reply::Flood(leak(chunked_then("1;ext=")), b'a'),
            "longer than 4096 bytes",
        ),
        // Extensions within the line limit, over the body's limit together.
        (
            Reply::SendAndClose(chunked_then(
                &format!("1;{}\r\nx\r\n", "e".repeat(4000)).repeat(5),
            )),
            "chunk extensions of the body exceed 16384 bytes",
        ),
        // A trailer section that never ends.
        (
            Reply::Flood(leak(chunked_then("2\r\n{}\r\n0\r\nx-pad: ")), b'a'),
            "trailer section reaches 16384 bytes",
        ),
        // An endless list of short trailer fields.
        (
            Reply::Flood(leak(chunked_then("2\r\n{}\r\n0\r\n")), b'\n'),
            "trailer section reaches 16384 bytes",
        ),
    ];
    for (reply, expected) in cases {
        let server = server_always(reply).await;
        let started = std::time::Instant::now();
        let error = client(&server).usage().get().await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Connection, "{expected}: {error}");
        assert!(
            error.to_string().contains(expected),
            "{expected:?}: {error}"
        );
        assert!(error.to_string().contains("malformed"), "{error}");
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{expected}: bounded, not timed out"
        );
    }
}

#[tokio::test]
async fn obs_fold_header_lines_are_unfolded_and_read() {
    let folded = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-note: first\r\n  second\r\n\tthird\r\nx-ratelimit-limit:\r\n 60\r\nx-ratelimit-remaining: 59\r\nx-ratelimit-reset: 4102444800\r\ncontent-length: {}\r\n\r\n{USAGE}",
        USAGE.len()
    );
    let server = server_always(Reply::Send(vec![leak(folded.into_bytes())])).await;
    let client = Client::builder()
        .api_key("sk_test_0123456789abcdef")
        .base_url(&server.url)
        .build()
        .unwrap();
    assert_eq!(client.usage().get().await.unwrap().runs_used, 4521);
    let rate_limit = client
        .rate_limit()
        .expect("the folded rate-limit header was read");
    assert_eq!(rate_limit.limit, 60);
    assert_eq!(rate_limit.remaining, 59);
}

#[tokio::test]
async fn an_http_1_2_status_line_is_read_as_http_1_1() {
    let reply = format!(
        "HTTP/1.2 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{USAGE}",
        USAGE.len()
    );
    let server = server_always(Reply::Send(vec![leak(reply.into_bytes())])).await;
    let client = client(&server);
    for _ in 0..2 {
        assert_eq!(client.usage().get().await.unwrap().runs_limit, 10000);
    }
    assert_eq!(
        server.connections.load(Ordering::SeqCst),
        1,
        "kept alive as 1.1"
    );
}

#[tokio::test]
async fn a_content_length_with_a_sign_or_conflicting_values_is_a_protocol_error() {
    for (header, expected) in [
        ("content-length: +2", "Content-Length is not a number"),
        ("content-length: -2", "Content-Length is not a number"),
        ("content-length: 2 2", "Content-Length is not a number"),
        ("content-length: 0x2", "Content-Length is not a number"),
        ("content-length: 2, 3", "conflicting Content-Length"),
        (
            "content-length: 2\r\ncontent-length: 02, 3",
            "conflicting Content-Length",
        ),
        (
            "content-length: 99999999999999999999",
            "does not fit in 64 bits",
        ),
    ] {
        let reply = format!("HTTP/1.1 200 OK\r\n{header}\r\n\r\n{{}}");
        let server = server_always(Reply::SendAndClose(reply.into_bytes())).await;
        let error = client(&server).usage().get().await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Connection, "{header}: {error}");
        assert!(error.to_string().contains(expected), "{header}: {error}");
    }
    // The same value repeated is one length (RFC 9110 §8.6).
    let reply = format!(
        "HTTP/1.1 200 OK\r\ncontent-length: {0}, {0}\r\ncontent-length: {0}\r\n\r\n{USAGE}",
        USAGE.len()
    );
    let server = server_always(Reply::Send(vec![leak(reply.into_bytes())])).await;
    assert_eq!(client(&server).usage().get().await.unwrap().runs_used, 4521);
}

#[tokio::test]
async fn a_malformed_response_says_what_was_wrong_and_is_retried_like_a_5xx_at_most() {
    let too_many_headers = format!(
        "HTTP/1.1 200 OK\r\n{}content-length: 2\r\n\r\n{{}}",
        "x-h: 1\r\n".repeat(101)
    );
    let cases: [(Vec<u8>, &str); 4] = [
        (
            b"HTTP/1.1 2000 OK\r\n\r\n".to_vec(),
            "invalid response status",
        ),
        (too_many_headers.into_bytes(), "too many headers"),
        (
            b"HTTP/1.1 200 OK\r\ncontent-length: +2\r\n\r\n{}".to_vec(),
            "not a number",
        ),
        (chunked_then("2\r\n{}XX"), "does not end with CRLF"),
    ];
    for (reply, expected) in cases {
        let server = server_always(Reply::SendAndClose(reply)).await;
        let error = client(&server).usage().get().await.unwrap_err();
        let message = error.to_string();
        assert_eq!(error.kind(), ErrorKind::Connection, "{message}");
        assert!(
            message.contains("malformed") && message.contains(expected),
            "{expected:?}: {message}"
        );
        assert!(!message.contains("connection was lost"), "{message}");
        assert!(error.may_have_reached_server());
        assert_eq!(
            server.requests.lock().len(),
            3,
            "a GET: first attempt and two retries"
        );

        let error = client(&server)
            .agents()
            .chat("agt_abc123", "hello")
            .await
            .unwrap_err();
        assert!(error.to_string().contains(expected), "{error}");
        assert!(error.may_have_reached_server());
        assert_eq!(
            server.requests.lock().len(),
            4,
            "a chat is never sent twice"
        );
    }
}

#[tokio::test]
async fn a_304_is_not_called_a_redirect() {
    let server = server_always(Reply::SendAndClose(
        b"HTTP/1.1 304 Not Modified\r\n\r\n".to_vec(),
    ))
    .await;
    let error = client(&server).usage().get().await.unwrap_err();
    assert_eq!(error.status(), Some(304));
    assert!(error.to_string().contains("304 Not Modified"), "{error}");
    assert!(!error.to_string().contains("redirect"), "{error}");
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn encoded(encoding: &str, body: &[u8]) -> Vec<u8> {
    let mut response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: {encoding}\r\n\
         content-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(body);
    response
}

#[tokio::test]
async fn a_gzip_body_of_several_members_is_read_whole() {
    let (head, tail) = USAGE.split_at(USAGE.len() / 2);
    let members = [gzip(head.as_bytes()), gzip(tail.as_bytes())].concat();
    let server = server_always(Reply::Send(vec![leak(encoded("gzip", &members))])).await;
    assert_eq!(client(&server).usage().get().await.unwrap().runs_used, 4521);
}

/// A whole response whose body cannot be decoded is not a lost connection: sending again
/// would fetch the same bytes, so it is not retried, and the error says what was wrong.
#[tokio::test]
async fn an_undecodable_body_is_a_response_error_that_says_why_and_is_not_retried() {
    let trailing = [gzip(USAGE.as_bytes()), b"JUNKJUNK".to_vec()].concat();
    for (encoding, body, expected) in [
        (
            "br",
            USAGE.as_bytes().to_vec(),
            "Content-Encoding the SDK did not ask for",
        ),
        (
            "gzip, gzip",
            gzip(&gzip(USAGE.as_bytes())),
            "did not ask for",
        ),
        ("gzip", b"\x1f\x8b not gzip".to_vec(), "not valid gzip"),
        ("gzip", trailing, "not valid gzip"),
    ] {
        let server = server_always(Reply::Send(vec![leak(encoded(encoding, &body))])).await;
        let error = client(&server).usage().get().await.unwrap_err();
        assert_eq!(
            error.kind(),
            ErrorKind::ResponseValidation,
            "{encoding}: {error}"
        );
        assert_eq!(error.status(), Some(200));
        assert!(error.to_string().contains(expected), "{encoding}: {error}");
        assert!(
            !error.to_string().contains("connection"),
            "{encoding}: {error}"
        );
        assert_eq!(server.requests.lock().len(), 1, "{encoding}: not retried");
    }
    // An unsuccessful status is still the server's answer, and a 503 is retried as one.
    let server = server_always(Reply::Send(vec![leak(
        b"HTTP/1.1 503 Service Unavailable\r\ncontent-encoding: br\r\ncontent-length: 4\r\n\r\nxxxx"
            .to_vec(),
    )]))
    .await;
    let error = client(&server).usage().get().await.unwrap_err();
    assert_eq!(error.status(), Some(503), "{error}");
    assert!(error.to_string().contains("cannot be read"), "{error}");
    assert_eq!(
        server.requests.lock().len(),
        3,
        "first attempt and two retries"
    );
}
