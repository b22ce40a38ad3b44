//! Secrets check: with a recognisable fake key, every error path of the client is exercised with
//! `tracing` at debug (every target, hyper and rustls included) and a panic hook recording panic
//! messages, and the key must appear nowhere: not in logs, error messages, `Display` or `Debug`
//! output, error sources, or panics (see tests/README.md).
//!
//! In its own test binary with a single test, because it installs the global subscriber and the
//! panic hook.

mod common;

use common::captured::Captured;
use std::time::Duration;

use common::{ACTIVE, PAUSED, closed_port};
use delegir::{AgentConfigUpdate, AgentUpdate, Client, ClientBuilder, RunsQuery};
use delegir_emulator::{Emulator, EmulatorOptions, Fault, FaultRule};
use futures::TryStreamExt;
use serde_json::json;

const CANARY: &str = "dlg_test_SECRETcanary0123456789";
/// The distinctive part alone, to catch a key that is cut or re-encoded around it.
const FRAGMENT: &str = "SECRETcanary";

fn status_fault(status: u16) -> Fault {
    Fault::Status {
        status,
        body: None,
        headers: Default::default(),
        reset_in_secs: (status == 429).then_some(3600),
    }
}

/// Every fault the emulator can play, each once.
fn faults(other: &str) -> Vec<Fault> {
    let mut all: Vec<Fault> = [400, 401, 403, 404, 408, 418, 429, 500, 502, 503, 504]
        .into_iter()
        .map(status_fault)
        .collect();
    all.extend([
        Fault::Html {
            status: 502,
            body: None,
        },
        Fault::ResetBefore,
        Fault::ResetMidBody,
        Fault::Truncated,
        Fault::Malformed,
        Fault::NotEnvelope { body: None },
        Fault::Redirect {
            status: 302,
            location: format!("{other}/agents"),
        },
        Fault::Large {
            megabytes: 17,
            status: 200,
        },
        Fault::Delay { ms: 1500 },
    ]);
    all
}

/// Records an error's every rendering, and a panic that carries it.
fn record(captured: &Captured, e: &delegir::Error) {
    captured.push(&e.to_string());
    captured.push(&format!("{e:?}"));
    captured.push(&format!("{e:#?}"));
    captured.push(e.message());
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        captured.push(&format!("{s} / {s:?}"));
        source = s.source();
    }
    // What `.unwrap()` on this error would print.
    let owned = format!("PROBE called `Result::unwrap()` on an `Err` value: {e:?}");
    let _ = std::panic::catch_unwind(move || panic!("{owned}"));
}

fn builder(base_url: &str) -> ClientBuilder {
    Client::builder()
        .api_key(CANARY)
        .base_url(base_url)
        .max_retries(0)
        .timeout(Duration::from_millis(400))
        // The fault loop meets a 429 whose window resets in an hour; with the ledger on, every
        // later call would be refused before sending. The ledger's own refusal is checked apart.
        .rate_limit(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_never_appears_in_logs_errors_debug_output_or_panics() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();
    let hook_sink = captured.clone();
    std::panic::set_hook(Box::new(move |info| {
        let text = info.to_string();
        if !text.contains("PROBE") {
            eprintln!("{text}");
        }
        hook_sink.push(&text);
    }));

    let emu = Emulator::start(EmulatorOptions {
        rate_limit: 0,
        ..EmulatorOptions::default()
    })
    .await
    .unwrap();
    let other = Emulator::start(EmulatorOptions::default()).await.unwrap();
    let client = builder(&emu.base_url()).build().unwrap();
    captured.push(&format!("{client:?}"));
    captured.push(&format!("{:?}", client.config()));
    captured.push(&format!("{:?}", builder(&emu.base_url())));

    // Successes first (debug-level events), then every fault on a GET and on a chat.
    client.agents().list().await.unwrap();
    client.agents().chat(ACTIVE, "hello").await.unwrap();
    let mut errors = 0;
    for fault in faults(&other.base_url()) {
        for (method, path) in [
            ("GET", format!("/api/v1/agents/{ACTIVE}")),
            ("POST", format!("/api/v1/agents/{ACTIVE}/chat")),
        ] {
            emu.push_fault(FaultRule {
                method: method.into(),
                path,
                // A GET reset before its response on a kept-alive connection is sent again on a
                // fresh one (a keep-alive close): the reset meets that one too.
                count: if method == "GET" && matches!(fault, Fault::ResetBefore) {
                    2
                } else {
                    1
                },
                api_key: None,
                fault: fault.clone(),
            });
            let result = if method == "GET" {
                client.agents().get(ACTIVE).await.map(|_| ())
            } else {
                client.agents().chat(ACTIVE, "hello").await.map(|_| ())
            };
            let e = result.expect_err("every fault fails the call");
            record(&captured, &e);
            errors += 1;
        }
    }

    // The server's own errors, argument errors, the pager, and a refused connection.
    let server_errors = [
        client.agents().get("agt_missing").await.map(|_| ()),
        client.agents().chat(PAUSED, "hi").await.map(|_| ()),
        client.agents().get("").await.map(|_| ()),
        client.agents().get("../usage").await.map(|_| ()),
        client.agents().chat(ACTIVE, " ").await.map(|_| ()),
        client
            .agents()
            .runs(
                ACTIVE,
                RunsQuery {
                    limit: Some(0),
                    offset: None,
                },
            )
            .await
            .map(|_| ()),
        client
            .agents()
            .update(
                ACTIVE,
                &AgentUpdate {
                    config: Some(AgentConfigUpdate {
                        temperature: Some(3.0),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            )
            .await
            .map(|_| ()),
        client
            .agents()
            .runs_stream("a/b?x")
            .try_collect::<Vec<_>>()
            .await
            .map(|_| ()),
    ];
    for result in server_errors {
        record(&captured, &result.expect_err("fails"));
        errors += 1;
    }
    let refused = builder(&format!("http://127.0.0.1:{}/api/v1", closed_port()))
        .build()
        .unwrap();
    record(&captured, &refused.usage().get().await.unwrap_err());
    emu.revoke_key(CANARY);
    record(&captured, &client.usage().get().await.unwrap_err());
    errors += 2;

    // The ledger's refusal (a 429 seen, the window an hour away): refused before sending.
    let paced = builder(&emu.base_url()).rate_limit(true).build().unwrap();
    emu.reset(Some(CANARY));
    emu.push_fault(FaultRule {
        method: "GET".into(),
        path: "/api/v1/usage".into(),
        count: 1,
        api_key: None,
        fault: status_fault(429),
    });
    record(&captured, &paced.usage().get().await.unwrap_err());
    record(&captured, &paced.usage().get().await.unwrap_err());
    errors += 2;

    // Configuration errors must not echo a key either, even a malformed one.
    for bad in [
        format!("{CANARY} and more"),
        format!("{CANARY}\n"),
        format!("{CANARY}\u{e9}"),
    ] {
        let e = Client::builder()
            .api_key(&bad)
            .base_url(emu.base_url())
            .build()
            .expect_err("a malformed key is refused");
        record(&captured, &e);
        errors += 1;
    }
    let e = builder("http://example.com/api/v1").build().unwrap_err();
    record(&captured, &e);
    errors += 1;

    // Let the emulator finish journaling the delayed request, then look.
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The default hook again, so that the assertions below report normally.
    drop(std::panic::take_hook());
    let text = captured.text();
    if let Some(path) = std::env::var_os("DELEGIR_SECRETS_DUMP") {
        std::fs::write(path, &text).unwrap();
    }
    assert!(errors >= 50, "only {errors} error paths exercised");
    assert!(
        text.contains("/agents/:id"),
        "the debug log captured nothing:\n{text}"
    );
    assert!(text.contains("panicked"), "the panic hook captured nothing");
    for secret in [CANARY, FRAGMENT] {
        if let Some(at) = text.find(secret) {
            let start = text[..at]
                .char_indices()
                .rev()
                .nth(200)
                .map_or(0, |(i, _)| i);
            panic!(
                "the key leaked ({errors} error paths, {} bytes captured), around: {}",
                text.len(),
                &text[start..at]
            );
        }
    }
    let emulator_journal = json!(emu.journal(None)).to_string();
    assert!(
        !emulator_journal.contains(FRAGMENT),
        "the emulator's journal holds the key"
    );
    println!(
        "secrets (rust): {errors} error paths, {} bytes of logs, messages, Debug output and panics \
         checked; the key appears nowhere",
        text.len()
    );
}
