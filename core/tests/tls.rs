//! HTTPS: the TLS side of the connection pool. The emulator speaks plain HTTP, so a client that
//! insists on TLS to it must fail the handshake, say so, and send nothing (not even a chat).

mod common;

use common::{ACTIVE, emulator, journal};
use delegir::{Client, ErrorKind};

#[tokio::test]
async fn a_failed_tls_handshake_is_a_connection_error_and_nothing_reaches_the_server() {
    let emu = emulator().await;
    let plain = emu.base_url();
    let https = plain.replacen("http://", "https://", 1);
    let client = Client::builder()
        .api_key(emu.api_key())
        .base_url(&https)
        .max_retries(1)
        .build()
        .expect("the client builds");

    let error = client
        .agents()
        .chat(ACTIVE, "hello")
        .await
        .expect_err("a plain-HTTP server cannot complete a TLS handshake");
    assert_eq!(error.kind(), ErrorKind::Connection, "{error}");
    assert!(!error.may_have_reached_server(), "{error:?}");
    assert!(
        error.message().contains("could not connect") && error.message().contains("not sent"),
        "{error}"
    );
    // The handshake failed before any HTTP was written: the emulator saw no request at all.
    assert!(journal(&emu).is_empty());
    // The key is never part of what the error says.
    assert!(!format!("{error} {error:?}").contains(&emu.api_key()));
}
