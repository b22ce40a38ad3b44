//! `Client::from_env()`. In its own test binary (its own process): it sets environment
//! variables, which would race with tests running in parallel threads.

mod common;

use delegir::{Client, ErrorKind};

#[tokio::test]
async fn from_env_reads_the_key_and_base_url_and_names_the_variable_when_the_key_is_missing() {
    let emu = common::emulator().await;
    // SAFETY: this is the only test in this binary, so no other thread reads the environment.
    unsafe {
        std::env::remove_var("DELEGIR_API_KEY");
        std::env::remove_var("DELEGIR_BASE_URL");
    }
    let e = Client::from_env().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Configuration);
    assert!(e.message().contains("DELEGIR_API_KEY"), "{}", e.message());

    unsafe { std::env::set_var("DELEGIR_API_KEY", "dlg_live with space") };
    let e = Client::from_env().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Configuration);
    assert!(e.message().contains("DELEGIR_API_KEY"));
    assert!(!e.message().contains("with space"), "the key is not echoed");

    unsafe {
        std::env::set_var("DELEGIR_API_KEY", emu.api_key());
        std::env::set_var("DELEGIR_BASE_URL", emu.base_url());
    }
    let client = Client::from_env().unwrap();
    assert_eq!(client.config().base_url(), emu.base_url());
    assert_eq!(client.agents().list().await.unwrap().len(), 2);
    assert_eq!(common::journal(&emu).len(), 1);

    unsafe { std::env::remove_var("DELEGIR_BASE_URL") };
    let client = Client::from_env().unwrap();
    assert_eq!(client.config().base_url(), delegir::DEFAULT_BASE_URL);
}
