//! The User-Agent the Rust SDK sends, as the emulator's journal recorded it: the SDK and its
//! version (the workspace's one version), the runtime and the OS, then the application's suffix.

mod common;

use common::{builder, client, emulator, journal};

fn expected() -> String {
    format!(
        "delegir-rust/{} (Rust; {}; {})",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

#[tokio::test]
async fn every_request_names_the_sdk_version_runtime_and_os() {
    let emulator = emulator().await;
    client(&emulator).agents().list().await.unwrap();
    let entries = journal(&emulator);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].headers["user-agent"], expected());
    assert!(!entries[0].headers.contains_key("x-api-key"));
}

#[tokio::test]
async fn the_application_suffix_comes_last() {
    let emulator = emulator().await;
    let client = builder(&emulator)
        .user_agent_suffix("my-app/2.1")
        .build()
        .unwrap();
    client.usage().get().await.unwrap();
    assert_eq!(
        journal(&emulator)[0].headers["user-agent"],
        format!("{} my-app/2.1", expected())
    );
}
