//! `rate_limit_store` with Redis unreachable: calls go on under the in-process ledger, one WARN
//! line says so with the store URL but never its password, and nothing hangs. (The store itself
//! is tested against a real redis-server in policy/ledger/redis_tests.rs and tests/redis/.)
//!
//! In its own test binary with a single test: `tracing` caches per-callsite interest process-wide,
//! so a scoped subscriber can miss events whose callsites other tests' threads registered first.

mod common;

use common::captured::Captured;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::{builder, emulator};

#[tokio::test]
async fn an_unreachable_store_is_one_warn_line_without_its_password_and_calls_go_on() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let emu = emulator().await;
    // A port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let store = format!("rediss://:pa55w0rd-x@127.0.0.1:{port}/0");
    let client = builder(&emu).rate_limit_store(&store).build().unwrap();
    assert!(!format!("{client:?}").contains("pa55w0rd"));
    let started = Instant::now();
    for _ in 0..30 {
        client.usage().get().await.unwrap();
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // The recovery loop keeps trying (and failing) in the background: still one line.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    for _ in 0..5 {
        client.usage().get().await.unwrap();
    }
    let text = captured.text();
    assert!(!text.contains("pa55w0rd"), "{text}");
    let warns: Vec<&str> = text.lines().filter(|l| l.contains("WARN")).collect();
    assert_eq!(warns.len(), 1, "{text}");
    assert!(
        warns[0].contains(&format!("rediss://:***@127.0.0.1:{port}/0"))
            && warns[0].contains("unreachable"),
        "{}",
        warns[0]
    );

    // A bad URL is refused when the client is built, without echoing it.
    let e = builder(&emu)
        .rate_limit_store("http://:pa55w0rd-x@cache:6379")
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), delegir::ErrorKind::Configuration);
    assert!(!e.to_string().contains("pa55w0rd"), "{e}");
}
