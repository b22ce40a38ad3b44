//! Starting and stopping: in-process on the caller's runtime, detached on its own thread, and the
//! binary.

mod common;

use common::*;
use delegir_emulator::{Emulator, EmulatorOptions};
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::Duration;

#[tokio::test]
async fn start_binds_a_free_port_on_loopback_with_the_api_prefix() {
    let emulator = Emulator::start(EmulatorOptions::default()).await.unwrap();
    let addr = emulator.addr();
    assert!(addr.ip().is_loopback());
    assert_ne!(addr.port(), 0);
    assert_eq!(
        emulator.base_url(),
        format!("http://127.0.0.1:{}/api/v1", addr.port())
    );
    assert_eq!(
        emulator.admin_url(),
        format!("http://127.0.0.1:{}/__emulator", addr.port())
    );
}

#[tokio::test]
async fn stop_releases_the_port() {
    let emulator = start().await;
    let url = format!("{}/usage", emulator.base_url());
    emulator.stop().await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let result = client()
        .get(url)
        .header("X-API-Key", "dlg_test_x")
        .send()
        .await;
    assert!(result.unwrap_err().is_connect());
}

#[test]
fn start_detached_works_without_an_async_runtime_and_stops_on_drop() {
    let emulator = Emulator::start_detached(EmulatorOptions::default()).unwrap();
    let addr = emulator.addr();
    let response = raw_get(addr, "/api/v1/agents/agt_abc123", &emulator.api_key());
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert!(response.contains("\"agt_abc123\""));
    drop(emulator);
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "stopped when dropped"
    );
}

#[test]
fn detached_emulator_shutdown_waits_for_the_server() {
    let emulator = Emulator::start_detached(EmulatorOptions::default()).unwrap();
    let addr = emulator.addr();
    emulator.shutdown();
    assert!(std::net::TcpStream::connect(addr).is_err());
}

/// A minimal blocking HTTP/1.1 GET, to test without any async runtime in the test.
fn raw_get(addr: std::net::SocketAddr, path: &str, key: &str) -> String {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nX-API-Key: {key}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn binary_prints_its_url_first_logs_requests_without_the_key_and_stops_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_delegir-emulator"))
        .args([
            "--port",
            "0",
            "--rate-limit",
            "5",
            "--rate-window",
            "2000ms",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("Delegir emulator listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/api/v1"),
        "{url}"
    );

    let addr: std::net::SocketAddr = url
        .trim_start_matches("http://")
        .trim_end_matches("/api/v1")
        .parse()
        .unwrap();
    let key = "dlg_test_binarytest123";
    let response = raw_get(addr, "/api/v1/usage", key);
    assert!(response.starts_with("HTTP/1.1 200 OK"));
    assert!(
        response
            .to_ascii_lowercase()
            .contains("x-ratelimit-limit: 5")
    );

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().unwrap();
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(log.contains("GET /api/v1/usage 200"), "{log}");
    assert!(!log.contains(key));
}

#[test]
fn binary_quiet_logs_nothing() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_delegir-emulator"))
        .args(["--port", "0", "--quiet", "--prefix", "/v1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert!(line.trim().ends_with("/v1"), "{line}");
    let addr: std::net::SocketAddr = line
        .trim()
        .trim_start_matches("Delegir emulator listening on http://")
        .trim_end_matches("/v1")
        .parse()
        .unwrap();
    assert!(raw_get(addr, "/v1/usage", "dlg_test_quiet").starts_with("HTTP/1.1 200"));
    let pid = child.id().to_string();
    Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(child.wait().unwrap().success());
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert_eq!(log, "");
}
