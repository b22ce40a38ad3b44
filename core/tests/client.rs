//! The client as a whole: building, sharing, secrecy of the key and logging.

mod common;

use std::time::Duration;

use common::{builder, client, emulator, fault};
use delegir::{Client, ErrorKind};
use delegir_emulator::Fault;

const SECRET: &str = "dlg_live_topsecret_42";

#[test]
fn the_client_is_send_sync_and_cheap_to_clone() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    fn assert_clone<T: Clone>() {}
    assert_send_sync::<Client>();
    assert_clone::<Client>();
    assert_send_sync::<delegir::Error>();
}

#[tokio::test]
async fn the_key_never_appears_in_debug_display_or_error_messages() {
    let emu = emulator().await;
    let client = Client::builder()
        .api_key(SECRET)
        .base_url(emu.base_url())
        .max_retries(0)
        .build()
        .unwrap();
    assert!(!format!("{client:?}").contains("topsecret"));
    assert!(!format!("{:?}", client.config()).contains("topsecret"));
    // 401 (the emulator does not know this key), a refused connection, a timeout.
    let mut errors = vec![client.agents().list().await.unwrap_err()];
    let refused = Client::builder()
        .api_key(SECRET)
        .base_url(format!("http://127.0.0.1:{}/api/v1", common::closed_port()))
        .max_retries(0)
        .build()
        .unwrap();
    errors.push(refused.usage().get().await.unwrap_err());
    let bad = Client::builder()
        .api_key("dlg_live top secret")
        .build()
        .unwrap_err();
    assert!(!bad.to_string().contains("top secret"));
    errors.push(bad);
    for e in &errors {
        for text in [format!("{e}"), format!("{e:?}"), format!("{e:#?}")] {
            assert!(!text.contains("topsecret"), "{text}");
        }
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            assert!(!s.to_string().contains("topsecret"));
            source = s.source();
        }
    }
    assert_eq!(errors[0].kind(), ErrorKind::Authentication);
    assert_eq!(errors[1].kind(), ErrorKind::Connection);
}

#[tokio::test]
async fn a_client_with_a_user_agent_suffix_sends_its_key_and_is_recognised() {
    let emu = emulator().await;
    let client = builder(&emu)
        .user_agent_suffix("delegir-python/0.1.0")
        .build()
        .unwrap();
    client.usage().get().await.unwrap();
    let entry = &common::journal(&emu)[0];
    assert!(
        entry.key_fingerprint.is_some(),
        "the key was sent and recognised"
    );
    assert_eq!(entry.outcome, "ok");
}

#[test]
fn plain_http_to_a_remote_host_is_refused_unless_opted_in() {
    let e = Client::builder()
        .api_key("dlg_live_x")
        .base_url("http://example.com/api/v1")
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Configuration);
    assert!(
        Client::builder()
            .api_key("dlg_live_x")
            .base_url("http://example.com/api/v1")
            .allow_insecure_http(true)
            .build()
            .is_ok()
    );
}

#[test]
fn plain_http_to_loopback_through_a_remote_proxy_is_refused_unless_opted_in() {
    // The key would cross the network in clear text to the proxy (which would also reach its
    // own loopback, not this machine's). 192.0.2.1 is TEST-NET: nothing is sent either way.
    let through = |proxy: &str, opt_in: bool| {
        Client::builder()
            .api_key(SECRET)
            .base_url("http://127.0.0.1:4010/api/v1")
            .proxy(proxy)
            .allow_insecure_http(opt_in)
            .build()
    };
    let e = through("http://user:pr0xy-pass@192.0.2.1:3128", false).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Configuration);
    let shown = format!("{e} {e:?}");
    assert!(shown.contains("http://192.0.2.1:3128"), "{shown}");
    assert!(shown.contains("clear text"), "{shown}");
    assert!(
        !shown.contains("pr0xy-pass") && !shown.contains(SECRET),
        "{shown}"
    );
    assert!(through("http://192.0.2.1:3128", true).is_ok());
    // A proxy on this machine keeps the key here.
    assert!(through("http://127.0.0.1:3128", false).is_ok());
    assert!(through("http://localhost:3128", false).is_ok());
}

#[tokio::test]
async fn a_connect_timeout_at_a_silent_proxy_names_the_proxy() {
    // A proxy that accepts the connection (the kernel does) and never answers the CONNECT.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy = format!("http://127.0.0.1:{}", silent.local_addr().unwrap().port());
    let client = Client::builder()
        .api_key(SECRET)
        .base_url("https://api.delegir.invalid/api/v1")
        .proxy(&proxy)
        .connect_timeout(Duration::from_millis(300))
        .max_retries(0)
        .build()
        .unwrap();
    let error = client.usage().get().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    assert!(
        error
            .to_string()
            .contains(&format!("connecting through the proxy {proxy} timed out")),
        "{error}"
    );
    assert!(!error.may_have_reached_server(), "{error:?}");
}

#[tokio::test]
async fn clones_share_the_connection_pool_and_the_last_rate_limit() {
    let emu = emulator().await;
    let client = client(&emu);
    let clone = client.clone();
    clone.usage().get().await.unwrap();
    assert_eq!(client.rate_limit(), clone.rate_limit());
    assert!(client.rate_limit().is_some());
}

#[tokio::test]
async fn cancelling_a_call_releases_its_place_and_later_calls_proceed() {
    let emu = emulator().await;
    let client = client(&emu);
    fault(&emu, "GET", "/usage", 1, Fault::Delay { ms: 5_000 });
    let slow = tokio::time::timeout(Duration::from_millis(200), client.usage().get()).await;
    assert!(slow.is_err(), "the call was cancelled");
    tokio::time::timeout(Duration::from_secs(5), client.agents().list())
        .await
        .expect("not blocked by the cancelled call")
        .unwrap();
}
