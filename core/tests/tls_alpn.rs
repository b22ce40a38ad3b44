//! HTTPS end to end: a TLS server whose certificate comes from a test CA, trusted through
//! `SSL_CERT_FILE` (which the platform verifier reads on Linux). ALPN decides the protocol: the
//! client offers `h2` and `http/1.1` and speaks whichever the server picks; a burst of first
//! calls to an HTTP/2 server shares one connection; a certificate for another name is refused
//! before anything is sent.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::pki::TestPki;
use delegir::{Client, ErrorKind};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use parking_lot::Mutex;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

const USAGE: &str = r#"{"data":{"plan":"PRO","runs_used":4521,"runs_limit":10000,"tokens_this_month":1284350,"cost_this_month":25.68,"billing_period_start":"2026-03-01T00:00:00Z","billing_period_end":"2026-03-31T23:59:59Z"}}"#;

/// What a test server saw: each request's HTTP version, and the TLS connections it accepted.
struct Seen {
    versions: Arc<Mutex<Vec<Version>>>,
    connections: Arc<AtomicUsize>,
}

/// An HTTPS server offering `alpn`, answering every request with the usage envelope. Returns its
/// port and what it saw.
async fn server(pki: &TestPki, alpn: &[&[u8]]) -> (u16, Seen) {
    let config = pki.server_config(alpn);
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let versions = Arc::new(Mutex::new(Vec::new()));
    let connections = Arc::new(AtomicUsize::new(0));
    let (seen, accepted) = (versions.clone(), connections.clone());
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let (acceptor, seen, accepted) = (acceptor.clone(), seen.clone(), accepted.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                accepted.fetch_add(1, Ordering::SeqCst);
                let service = service_fn(move |request: Request<Incoming>| {
                    seen.lock().push(request.version());
                    async move {
                        Ok::<_, hyper::Error>(
                            Response::builder()
                                .header("content-type", "application/json")
                                .body(Full::new(Bytes::from_static(USAGE.as_bytes())))
                                .unwrap(),
                        )
                    }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (
        port,
        Seen {
            versions,
            connections,
        },
    )
}

fn client(host: &str, port: u16) -> Client {
    Client::builder()
        .api_key("sk_test_0123456789abcdef")
        .base_url(format!("https://{host}:{port}/api/v1"))
        .rate_limit(false)
        .max_retries(0)
        .build()
        .unwrap()
}

// One test function: it sets a process-wide environment variable before any client exists.
#[tokio::test]
async fn https_speaks_the_protocol_alpn_picks_and_refuses_a_certificate_for_another_name() {
    let pki = common::pki::localhost();
    let ca_file = std::env::temp_dir().join(format!("delegir-test-ca-{}.pem", std::process::id()));
    std::fs::write(&ca_file, &pki.ca_pem).unwrap();
    // SAFETY: set before this test binary starts any other thread that reads the environment
    // (its only test), and before the verifier loads the roots.
    unsafe { std::env::set_var("SSL_CERT_FILE", &ca_file) };

    for (alpn, expected) in [
        (&[b"h2".as_slice(), b"http/1.1"][..], Version::HTTP_2),
        (&[b"http/1.1".as_slice()][..], Version::HTTP_11),
    ] {
        let (port, seen) = server(&pki, alpn).await;
        let versions = seen.versions;
        // `localhost` resolves to ::1 too, where nothing listens: the next address is tried.
        let client = client("localhost", port);
        for _ in 0..3 {
            assert_eq!(client.usage().get().await.unwrap().runs_used, 4521);
        }
        let chat = client.agents().get("agt_abc123").await.unwrap_err();
        // The usage envelope is not an agent: the response arrived (over TLS) and was checked.
        assert_eq!(chat.kind(), ErrorKind::ResponseValidation, "{chat}");
        assert_eq!(*versions.lock(), vec![expected; 4]);
        assert_eq!(seen.connections.load(Ordering::SeqCst), 1);
    }

    // Eight first calls at once: one handshake and one shared connection when the server picks
    // HTTP/2; when it picks HTTP/1.1, the others then open their own, concurrently.
    for (alpn, expected, connections) in [
        (&[b"h2".as_slice(), b"http/1.1"][..], Version::HTTP_2, 1..=1),
        (&[b"http/1.1".as_slice()][..], Version::HTTP_11, 2..=8),
    ] {
        let (port, seen) = server(&pki, alpn).await;
        let client = client("localhost", port);
        let usages =
            futures::future::join_all((0..8).map(|_| async { client.usage().get().await })).await;
        assert!(usages.iter().all(|u| u.as_ref().unwrap().runs_used == 4521));
        assert_eq!(*seen.versions.lock(), vec![expected; 8]);
        let opened = seen.connections.load(Ordering::SeqCst);
        assert!(
            connections.contains(&opened),
            "{opened} connections for {expected:?}"
        );
    }

    // The certificate names `localhost`, not 127.0.0.1.
    let (port, seen) = server(&pki, &[b"h2", b"http/1.1"]).await;
    let versions = seen.versions;
    let error = client("127.0.0.1", port).usage().get().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connection, "{error}");
    assert!(!error.may_have_reached_server(), "{error}");
    assert!(versions.lock().is_empty());

    // A self-signed certificate marked CA:TRUE (`openssl req -x509`'s default), trusted as an
    // extra CA: rustls refuses it as the server's own; the error says so and what to do, not
    // rustls's `Other(OtherError(CaUsedAsEndEntity))` alone.
    let own = common::pki::self_signed_ca_localhost();
    let own_file =
        std::env::temp_dir().join(format!("delegir-test-own-{}.pem", std::process::id()));
    std::fs::write(&own_file, &own.ca_pem).unwrap();
    let (port, _) = server(&own, &[b"http/1.1"]).await;
    let error = Client::builder()
        .api_key("sk_test_0123456789abcdef")
        .base_url(format!("https://localhost:{port}/api/v1"))
        .extra_ca_certs(&own_file)
        .max_retries(0)
        .build()
        .unwrap()
        .usage()
        .get()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connection, "{error}");
    assert!(
        error
            .message()
            .contains("is a CA certificate (basicConstraints CA:TRUE) used as the server's own"),
        "{error}"
    );
    let _ = std::fs::remove_file(own_file);
    let _ = std::fs::remove_file(ca_file);
}
