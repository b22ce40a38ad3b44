//! The connection pool: connections the server closed are never reused, and a request that
//! finds its pooled connection closed goes out on a new one, once.

mod common;

use common::{ACTIVE, builder, emulator, emulator_with, fault, requests};
use delegir::ErrorKind;
use delegir_emulator::{EmulatorOptions, Fault};
use futures::future::join_all;

/// A 404 whose response tells the client the server closes the connection after it.
fn closing_not_found() -> Fault {
    Fault::Status {
        status: 404,
        body: None,
        headers: [("Connection".to_owned(), Some("close".to_owned()))].into(),
        reset_in_secs: None,
    }
}

#[tokio::test]
async fn after_the_server_closes_a_connection_the_next_chat_goes_out_once_on_a_new_one() {
    let emu = emulator().await;
    let client = builder(&emu).rate_limit(false).build().unwrap();
    for round in 1..=5 {
        fault(&emu, "GET", "/agents/agt_abc123", 1, closing_not_found());
        let error = client.agents().get(ACTIVE).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::NotFound, "{error}");
        // The only connection is closing (or closed): the chat must not be lost on it, nor sent
        // twice.
        client.agents().chat(ACTIVE, "hello").await.unwrap();
        let chats = requests(&emu, "POST");
        assert_eq!(chats.len(), round, "round {round}: {chats:?}");
        assert!(chats.iter().all(|c| c.status == Some(200)));
    }
}

#[tokio::test]
async fn concurrent_calls_with_closing_responses_among_them_all_complete() {
    // 150 calls: more than the default 60 per minute.
    let emu = emulator_with(EmulatorOptions {
        rate_limit: 0,
        ..Default::default()
    })
    .await;
    let client = builder(&emu).rate_limit(false).build().unwrap();
    // Every fourth GET closes its connection; the others keep theirs for the next call.
    fault(&emu, "GET", "/agents/agt_abc123", 25, closing_not_found());
    let agents = client.agents();
    let results = join_all((0..100).map(|_| agents.get(ACTIVE))).await;
    let not_found = results
        .iter()
        .filter(|r| r.as_ref().is_err_and(|e| e.kind() == ErrorKind::NotFound))
        .count();
    assert_eq!(not_found, 25);
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 75);
    // Then sequential calls, reusing whatever connections are left.
    for _ in 0..50 {
        agents.get(ACTIVE).await.unwrap();
    }
    assert_eq!(requests(&emu, "GET").len(), 150);
}
