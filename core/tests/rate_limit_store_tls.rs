//! `rate_limit_store` over TLS with a password (`rediss://:password@localhost:PORT/0`) against a
//! real redis-server serving TLS only, its certificate signed by a test CA that `SSL_CERT_FILE`
//! names: calls are paced through Redis (the ledger's keys appear there) and nothing is logged.
//!
//! In its own test binary: it sets `SSL_CERT_FILE` for the process, and `tracing` caches
//! per-callsite interest process-wide.

mod common;

use common::captured::Captured;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{builder, emulator};

struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn rediss_with_a_password_shares_the_ledger_through_redis() {
    let dir = std::env::temp_dir().join(format!("delegir-rediss-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pki = common::pki::localhost();
    let (ca_file, cert_file, key_file) = (
        dir.join("ca.pem"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
    );
    std::fs::write(&ca_file, &pki.ca_pem).unwrap();
    std::fs::write(&cert_file, &pki.server_pem).unwrap();
    std::fs::write(&key_file, &pki.key_pem).unwrap();
    // SAFETY: this test binary has one test, and nothing else reads the environment meanwhile.
    unsafe {
        std::env::set_var("SSL_CERT_FILE", &ca_file);
        std::env::remove_var("SSL_CERT_DIR");
    }

    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let binary = ["/usr/bin/redis-server", "/usr/sbin/redis-server"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .unwrap_or("redis-server");
    let _redis = Killed(
        Command::new(binary)
            .args([
                "--port",
                "0",
                "--tls-port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .arg("--tls-cert-file")
            .arg(&cert_file)
            .arg("--tls-key-file")
            .arg(&key_file)
            .arg("--tls-ca-cert-file")
            .arg(&ca_file)
            .args([
                "--tls-auth-clients",
                "no",
                "--requirepass",
                "s3cret-pw",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server (bash scripts/ensure-debs.sh redis-server:redis-server)"),
    );
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }

    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let emu = emulator().await;
    emu.set_rate_limit(100, Duration::from_secs(60));
    let url = format!("rediss://:s3cret-pw@localhost:{port}/0");
    let client = builder(&emu).rate_limit_store(&url).build().unwrap();
    for _ in 0..10 {
        client.usage().get().await.unwrap();
    }
    let text = captured.text();
    assert!(!text.contains("WARN"), "the store was not used: {text}");

    let mut redis = redis::Client::open(url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("delegir:ratelimit:*")
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!(keys.iter().any(|k| k.ends_with(":state")), "{keys:?}");
    let state: Vec<String> = redis::cmd("HGETALL")
        .arg(keys.iter().find(|k| k.ends_with(":state")).unwrap())
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!(
        state.contains(&"w".to_owned()),
        "the window is known in Redis: {state:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
