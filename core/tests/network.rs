//! The networks real users are on, with real components: nginx as a TLS reverse proxy in front
//! of the emulator (a test CA made here; HTTP/1.1 and h2; `keepalive_requests 50`,
//! `keepalive_timeout 2s`, `gzip on`) and tinyproxy as a forward proxy whose log proves the
//! traffic went through it.
//!
//! Ignored by a plain `cargo test`: `tests/network/run.sh` installs nginx and tinyproxy and runs
//! it with `--ignored`. The tests set process-wide environment variables (proxies, CA files),
//! so they run one at a time, holding [`ENV`].

// Each test has its own runtime; holding ENV across its awaits is what serialises them.
#![allow(clippy::await_holding_lock)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::ACTIVE;
use delegir::{Client, ClientBuilder, ErrorKind};
use delegir_emulator::{Emulator, EmulatorOptions};
use futures::StreamExt;
use parking_lot::Mutex;

/// Held by every test: they read or set the process's environment.
static ENV: Mutex<()> = Mutex::new(());

/// Sets `vars` (and removes every other network variable) for the rest of the test.
fn environment(vars: &[(&str, &str)]) {
    // SAFETY: every test of this binary holds `ENV`, and no client reads the environment
    // outside `build()`.
    unsafe { common::env::set_network_environment(vars) };
}

fn free_port() -> u16 {
    common::closed_port()
}

/// A scratch directory for one test's components.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("delegir-network-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A child process killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until `port` accepts connections.
async fn wait_for(port: u16, what: &str, log: &Path) {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "{what} did not start on port {port}: {}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

/// The test CA (`ca.pem`) and a certificate it signed for `localhost` (`server.pem`,
/// `server.key`) in `dir`.
fn pki(dir: &Path) -> PathBuf {
    let pki = common::pki::localhost();
    std::fs::write(dir.join("ca.pem"), &pki.ca_pem).unwrap();
    std::fs::write(dir.join("server.pem"), &pki.chain_pem).unwrap();
    std::fs::write(dir.join("server.key"), &pki.key_pem).unwrap();
    dir.join("ca.pem")
}

/// nginx terminating TLS in front of `upstream`: one port speaking HTTP/1.1 only, one offering
/// h2. Returns the ports, the access log (protocol and gzip ratio per request) and the process.
struct Nginx {
    h1: u16,
    h2: u16,
    access_log: PathBuf,
    _process: Running,
}

async fn nginx(dir: &Path, upstream: u16) -> Nginx {
    let (h1, h2) = (free_port(), free_port());
    for sub in ["tmp", "logs"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    let d = dir.display();
    let config = format!(
        r#"
master_process off;
daemon off;
pid {d}/nginx.pid;
error_log {d}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    log_format network '$server_port $server_protocol $request_method $status gzip=$gzip_ratio';
    access_log {d}/logs/access.log network;
    upstream emulator {{ server 127.0.0.1:{upstream}; keepalive 32; }}
    server {{
        listen 127.0.0.1:{h1} ssl;
        listen 127.0.0.1:{h2} ssl http2;
        server_name localhost;
        ssl_certificate {d}/server.pem;
        ssl_certificate_key {d}/server.key;
        keepalive_requests 50;
        keepalive_timeout 2s;
        gzip on;
        gzip_types application/json;
        gzip_min_length 1;
        gzip_proxied any;
        location / {{
            proxy_pass http://emulator;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}
}}
"#
    );
    std::fs::write(dir.join("nginx.conf"), config).unwrap();
    let process = Command::new(which("nginx"))
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nginx runs (tests/network/run.sh installs it)");
    let process = Running(process);
    let error_log = dir.join("logs/error.log");
    wait_for(h1, "nginx", &error_log).await;
    wait_for(h2, "nginx", &error_log).await;
    Nginx {
        h1,
        h2,
        access_log: dir.join("logs/access.log"),
        _process: process,
    }
}

/// tinyproxy on a free port, logging each request; with `auth`, it asks for those
/// credentials (407 otherwise).
struct Tinyproxy {
    port: u16,
    log: PathBuf,
    _process: Running,
}

async fn tinyproxy(dir: &Path, auth: Option<(&str, &str)>) -> Tinyproxy {
    let port = free_port();
    let log = dir.join(format!("tinyproxy-{port}.log"));
    let mut config = format!(
        "Port {port}\nListen 127.0.0.1\nTimeout 60\nMaxClients 200\nLogLevel Info\n\
         LogFile \"{}\"\nAllow 127.0.0.1\n",
        log.display()
    );
    if let Some((user, password)) = auth {
        config.push_str(&format!("BasicAuth {user} {password}\n"));
    }
    let config_file = dir.join(format!("tinyproxy-{port}.conf"));
    std::fs::write(&config_file, config).unwrap();
    let process = Command::new(which("tinyproxy"))
        .arg("-d")
        .arg("-c")
        .arg(&config_file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("tinyproxy runs (tests/network/run.sh installs it)");
    let process = Running(process);
    wait_for(port, "tinyproxy", &log).await;
    Tinyproxy {
        port,
        log,
        _process: process,
    }
}

impl Tinyproxy {
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The requests it forwarded or tunnelled, from its log.
    fn requests(&self) -> Vec<String> {
        self.log()
            .lines()
            .filter_map(|line| {
                line.split_once("): ")
                    .map(|(_, request)| request.to_owned())
            })
            .filter(|request| request.contains(" HTTP/1."))
            .collect()
    }
}

/// A command found in the PATH or /usr/sbin (where Debian puts nginx).
fn which(name: &str) -> PathBuf {
    for dir in ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"] {
        let path = Path::new(dir).join(name);
        if path.exists() {
            return path;
        }
    }
    PathBuf::from(name)
}

async fn emulator() -> Emulator {
    common::emulator_with(EmulatorOptions {
        rate_limit: 0,
        ..EmulatorOptions::default()
    })
    .await
}

fn https_builder(emu: &Emulator, port: u16) -> ClientBuilder {
    Client::builder()
        .api_key(emu.api_key())
        .base_url(format!("https://localhost:{port}/api/v1"))
        .rate_limit(false)
}

/// `calls` GETs, `concurrency` at a time; the errors.
async fn load(client: &Client, calls: usize, concurrency: usize) -> Vec<delegir::Error> {
    futures::stream::iter(0..calls)
        .map(|_| async move { client.agents().get(ACTIVE).await })
        .buffer_unordered(concurrency)
        .filter_map(|result| async move { result.err() })
        .collect()
        .await
}

/// A proxy variable that does not parse fails `build()` and names the variable, without its
/// password: hyper-util's matcher skips such a value, so the calls would go direct.
#[test]
fn an_unparseable_proxy_variable_fails_the_build_instead_of_going_direct() {
    let _env = ENV.lock();
    for (variable, value, base) in [
        (
            "HTTP_PROXY",
            "http://u:hunter2@proxy.internal:99999",
            "http://127.0.0.1:1/api/v1",
        ),
        (
            "http_proxy",
            "http://u:hunter2@[bad",
            "http://127.0.0.1:1/api/v1",
        ),
        (
            "ALL_PROXY",
            "proxy.internal:31 28",
            "http://127.0.0.1:1/api/v1",
        ),
        (
            "HTTPS_PROXY",
            "http://u:hunter2@proxy internal:3128",
            "https://delegir.com/api/v1",
        ),
    ] {
        environment(&[(variable, value)]);
        let error = Client::builder()
            .api_key("sk_test_0123456789abcdef")
            .base_url(base)
            .build()
            .err()
            .unwrap_or_else(|| panic!("{variable}={value} accepted"));
        let text = format!("{error} {error:?}");
        assert!(text.contains(variable), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }
    // A variable for the other scheme does not matter, and a host without a scheme is http.
    environment(&[
        ("HTTPS_PROXY", "http://[bad"),
        ("HTTP_PROXY", "127.0.0.1:9"),
    ]);
    Client::builder()
        .api_key("sk_test_0123456789abcdef")
        .base_url("http://127.0.0.1:1/api/v1")
        .build()
        .unwrap();
    environment(&[]);
}

/// A CA file that cannot be read fails `build()` with a plain-http base URL too, where no TLS
/// is needed: a wrong path must not pass against a local server and fail in production.
#[test]
fn a_bad_ca_file_fails_the_build_of_a_plain_http_client_too() {
    let _env = ENV.lock();
    environment(&[]);
    let dir = scratch("bad-ca");
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "no certificate here").unwrap();
    for path in [dir.join("missing.pem"), empty] {
        let error = Client::builder()
            .api_key("sk_test_0123456789abcdef")
            .base_url("http://127.0.0.1:1/api/v1")
            .extra_ca_certs(&path)
            .build()
            .err()
            .unwrap_or_else(|| panic!("{} accepted", path.display()));
        assert_eq!(error.kind(), ErrorKind::Configuration, "{error}");
        assert!(error.to_string().contains("CA file"), "{error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nginx: run by tests/network/run.sh"]
async fn through_nginx_2000_calls_at_concurrency_64_over_h1_and_h2_without_an_error() {
    let _env = ENV.lock();
    let dir = scratch("load");
    let ca = pki(&dir);
    let emu = emulator().await;
    let nginx = nginx(&dir, port_of(&emu)).await;
    environment(&[]);
    for (port, protocol) in [(nginx.h1, "HTTP/1.1"), (nginx.h2, "HTTP/2.0")] {
        let client = https_builder(&emu, port)
            .extra_ca_certs(&ca)
            .max_retries(0)
            .build()
            .unwrap();
        let errors = load(&client, 2000, 64).await;
        let first: Vec<String> = errors.iter().take(3).map(ToString::to_string).collect();
        assert!(
            errors.is_empty(),
            "{} errors over {protocol}: {first:?}",
            errors.len()
        );
        let log = std::fs::read_to_string(&nginx.access_log).unwrap();
        let served = log
            .lines()
            .filter(|l| l.starts_with(&format!("{port} {protocol} GET 200")))
            .count();
        assert_eq!(served, 2000, "nginx served them over {protocol}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nginx: run by tests/network/run.sh"]
async fn two_hundred_chats_across_goaways_and_keep_alive_closes_are_each_sent_once() {
    let _env = ENV.lock();
    let dir = scratch("chats");
    let ca = pki(&dir);
    let emu = emulator().await;
    let nginx = nginx(&dir, port_of(&emu)).await;
    environment(&[]);
    for port in [nginx.h1, nginx.h2] {
        emu.clear_journal();
        let client = https_builder(&emu, port)
            .extra_ca_certs(&ca)
            .max_retries(0)
            .build()
            .unwrap();
        // 200 chats on connections nginx closes after 50 requests (GOAWAY over h2,
        // `Connection: close` over HTTP/1.1).
        let results: Vec<_> = futures::stream::iter(0..200)
            .map(|i| {
                let client = client.clone();
                async move { client.agents().chat(ACTIVE, &format!("chat {i}")).await }
            })
            .buffer_unordered(16)
            .collect()
            .await;
        let failed: Vec<String> = results
            .iter()
            .filter_map(|r| r.as_ref().err().map(ToString::to_string))
            .collect();
        let chats: Vec<String> = common::requests(&emu, "POST")
            .into_iter()
            .filter_map(|e| e.body)
            .collect();
        let mut unique = chats.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            chats.len(),
            "a chat was sent twice (port {port})"
        );
        assert!(failed.is_empty(), "port {port}: {failed:?}");
        assert_eq!(chats.len(), 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nginx: run by tests/network/run.sh"]
async fn gzip_from_nginx_is_decoded() {
    let _env = ENV.lock();
    let dir = scratch("gzip");
    let ca = pki(&dir);
    let emu = emulator().await;
    let nginx = nginx(&dir, port_of(&emu)).await;
    environment(&[]);
    for port in [nginx.h1, nginx.h2] {
        let client = https_builder(&emu, port)
            .extra_ca_certs(&ca)
            .build()
            .unwrap();
        let page = client
            .agents()
            .runs(
                ACTIVE,
                delegir::RunsQuery {
                    limit: Some(100),
                    offset: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(page.runs.len(), 100);
    }
    let log = std::fs::read_to_string(&nginx.access_log).unwrap();
    let compressed = log.lines().filter(|l| !l.ends_with("gzip=-")).count();
    assert_eq!(compressed, 2, "nginx compressed both pages: {log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nginx: run by tests/network/run.sh"]
async fn extra_certificate_authorities_come_from_the_option_or_ssl_cert_file() {
    let _env = ENV.lock();
    let dir = scratch("ca");
    let ca = pki(&dir);
    let emu = emulator().await;
    let nginx = nginx(&dir, port_of(&emu)).await;
    let system = "/etc/ssl/certs/ca-certificates.crt";

    // The platform's roots alone do not know the test CA.
    environment(&[]);
    let error = https_builder(&emu, nginx.h2)
        .max_retries(0)
        .build()
        .unwrap()
        .usage()
        .get()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connection, "{error}");

    // Added by the option, to the platform's roots (the system bundle stays trusted too).
    if Path::new(system).exists() {
        environment(&[("SSL_CERT_FILE", system)]);
    }
    let client = https_builder(&emu, nginx.h2)
        .extra_ca_certs(&ca)
        .build()
        .unwrap();
    client.usage().get().await.unwrap();

    // SSL_CERT_FILE replaces the platform's roots, as in OpenSSL.
    environment(&[("SSL_CERT_FILE", ca.to_str().unwrap())]);
    let client = https_builder(&emu, nginx.h2).build().unwrap();
    client.usage().get().await.unwrap();

    // A missing file, or one without a certificate, fails the build and names the file and
    // where it came from.
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let missing = dir.join("missing.pem");
    environment(&[]);
    for (file, by_variable) in [(&missing, false), (&empty, false), (&missing, true)] {
        let builder = if by_variable {
            environment(&[("SSL_CERT_FILE", file.to_str().unwrap())]);
            https_builder(&emu, nginx.h2)
        } else {
            https_builder(&emu, nginx.h2).extra_ca_certs(file)
        };
        let error = builder.build().expect_err("refused at build");
        assert_eq!(error.kind(), ErrorKind::Configuration, "{error}");
        let origin = if by_variable {
            "SSL_CERT_FILE"
        } else {
            "extra_ca_certs"
        };
        assert!(
            error.message().contains(&file.display().to_string())
                && error.message().contains(origin),
            "{error}"
        );
    }
    environment(&[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nginx and tinyproxy: run by tests/network/run.sh"]
async fn proxies_come_from_each_variable_and_the_option_and_no_proxy_bypasses_them() {
    let _env = ENV.lock();
    let dir = scratch("proxy");
    let ca = pki(&dir);
    let emu = emulator().await;
    let nginx = nginx(&dir, port_of(&emu)).await;
    let proxy = tinyproxy(&dir, None).await;
    let dead = format!("http://127.0.0.1:{}", free_port());
    let tunnel_to = format!("CONNECT localhost:{} HTTP/1.1", nginx.h2);
    let plain_to = format!(
        "GET http://127.0.0.1:{}/api/v1/usage HTTP/1.1",
        port_of(&emu)
    );

    // https through a CONNECT tunnel, from each variable (either case).
    for variable in ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"] {
        environment(&[(variable, &proxy.url())]);
        let before = proxy.requests().len();
        let client = https_builder(&emu, nginx.h2)
            .extra_ca_certs(&ca)
            .build()
            .unwrap();
        client
            .usage()
            .get()
            .await
            .unwrap_or_else(|e| panic!("{variable}: {e}"));
        let requests = proxy.requests();
        assert_eq!(requests.len(), before + 1, "{variable}: {requests:?}");
        assert!(
            requests[before].starts_with(&tunnel_to),
            "{variable}: {requests:?}"
        );
    }

    // Plain http in absolute form, from HTTP_PROXY (either case) and ALL_PROXY.
    for variable in ["HTTP_PROXY", "http_proxy", "ALL_PROXY"] {
        environment(&[(variable, &proxy.url())]);
        let before = proxy.requests().len();
        let client = common::builder(&emu).rate_limit(false).build().unwrap();
        client
            .usage()
            .get()
            .await
            .unwrap_or_else(|e| panic!("{variable}: {e}"));
        let requests = proxy.requests();
        assert_eq!(requests.len(), before + 1, "{variable}: {requests:?}");
        assert!(
            requests[before].starts_with(&plain_to),
            "{variable}: {requests:?}"
        );
    }

    // HTTP/2 with prior knowledge to a plain-http server goes through a tunnel too.
    environment(&[("HTTP_PROXY", &proxy.url())]);
    let before = proxy.requests().len();
    let client = common::builder(&emu)
        .rate_limit(false)
        .http2_prior_knowledge(true)
        .build()
        .unwrap();
    client.usage().get().await.unwrap();
    let requests = proxy.requests();
    let tunnel_to_emulator = format!("CONNECT 127.0.0.1:{} HTTP/1.1", port_of(&emu));
    assert!(
        requests[before].starts_with(&tunnel_to_emulator),
        "{requests:?}"
    );
    let versions: Vec<String> = common::journal(&emu)
        .into_iter()
        .map(|e| e.http_version)
        .collect();
    assert_eq!(versions.last().map(String::as_str), Some("HTTP/2.0"));

    // NO_PROXY: by name, by address, by CIDR block, `*`; either case. Direct, not through the
    // (dead) proxy.
    for (variable, value, base) in [
        ("NO_PROXY", "localhost", "https"),
        ("no_proxy", "example.com,.localhost,localhost", "https"),
        ("NO_PROXY", "127.0.0.1", "http"),
        ("NO_PROXY", "127.0.0.0/8", "http"),
        ("NO_PROXY", "*", "https"),
    ] {
        environment(&[
            ("HTTPS_PROXY", &dead),
            ("HTTP_PROXY", &dead),
            (variable, value),
        ]);
        let builder = if base == "https" {
            https_builder(&emu, nginx.h2).extra_ca_certs(&ca)
        } else {
            common::builder(&emu).rate_limit(false)
        };
        let client = builder.max_retries(0).build().unwrap();
        client
            .usage()
            .get()
            .await
            .unwrap_or_else(|e| panic!("{variable}={value}: {e}"));
    }

    // The option overrides the environment; `no_proxy()` ignores it.
    environment(&[("HTTPS_PROXY", &dead)]);
    let before = proxy.requests().len();
    let client = https_builder(&emu, nginx.h2)
        .extra_ca_certs(&ca)
        .proxy(proxy.url())
        .build()
        .unwrap();
    client.usage().get().await.unwrap();
    assert_eq!(proxy.requests().len(), before + 1);
    let client = https_builder(&emu, nginx.h2)
        .extra_ca_certs(&ca)
        .no_proxy()
        .build()
        .unwrap();
    client.usage().get().await.unwrap();
    assert_eq!(proxy.requests().len(), before + 1, "no_proxy() went direct");

    // Many calls through the tunnel, over HTTP/1.1 and h2 (fewer than nginx's
    // `keepalive_requests`: GOAWAY is the load test's subject): ALPN still picks the protocol
    // inside the tunnel, as nginx's log shows.
    for (port, calls, protocol) in [(nginx.h1, 200, "HTTP/1.1"), (nginx.h2, 40, "HTTP/2.0")] {
        let served = |log: &str| {
            log.lines()
                .filter(|l| l.starts_with(&format!("{port} {protocol} GET 200")))
                .count()
        };
        let before = served(&std::fs::read_to_string(&nginx.access_log).unwrap());
        let client = https_builder(&emu, port)
            .extra_ca_certs(&ca)
            .proxy(proxy.url())
            .max_retries(0)
            .build()
            .unwrap();
        let errors = load(&client, calls, 16).await;
        assert!(
            errors.is_empty(),
            "{:?}",
            errors.first().map(ToString::to_string)
        );
        let after = served(&std::fs::read_to_string(&nginx.access_log).unwrap());
        assert_eq!(
            after - before,
            calls,
            "{calls} calls over {protocol} through the tunnel"
        );
    }
    environment(&[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs tinyproxy: run by tests/network/run.sh"]
async fn a_no_proxy_entry_with_a_port_bypasses_the_proxy_for_that_port_only() {
    let _env = ENV.lock();
    let dir = scratch("no-proxy-port");
    let emu = emulator().await;
    let proxy = tinyproxy(&dir, None).await;
    let port = port_of(&emu);
    let other = free_port();
    let through = format!("GET http://127.0.0.1:{port}/api/v1/usage HTTP/1.1");
    // A live proxy: a request that should have gone direct would succeed through it too, so
    // its log (or the lack of a line in it) is the proof.
    for (no_proxy, direct) in [
        (format!("127.0.0.1:{port}"), true),
        (
            format!("example.com, 127.0.0.1:{other},127.0.0.1:{port}"),
            true,
        ),
        (format!("127.0.0.0/8:{port}"), true),
        (format!("*:{port}"), true),
        // `*` is every host, an address too.
        ("*".to_owned(), true),
        (format!("127.0.0.1:{other}"), false),
        (format!("127.0.0.2:{port}"), false),
        (format!("localhost:{port}"), false),
        (format!("[::1]:{port}"), false),
    ] {
        environment(&[("HTTP_PROXY", &proxy.url()), ("NO_PROXY", &no_proxy)]);
        let before = proxy.requests().len();
        let calls = common::journal(&emu).len();
        let client = common::builder(&emu)
            .rate_limit(false)
            .max_retries(0)
            .build()
            .unwrap();
        client
            .usage()
            .get()
            .await
            .unwrap_or_else(|e| panic!("NO_PROXY={no_proxy}: {e}"));
        assert_eq!(
            common::journal(&emu).len(),
            calls + 1,
            "NO_PROXY={no_proxy}"
        );
        let requests = proxy.requests();
        if direct {
            assert_eq!(requests.len(), before, "NO_PROXY={no_proxy}: {requests:?}");
        } else {
            assert_eq!(
                requests.len(),
                before + 1,
                "NO_PROXY={no_proxy}: {requests:?}"
            );
            assert!(
                requests[before].starts_with(&through),
                "NO_PROXY={no_proxy}: {requests:?}"
            );
        }
    }
    environment(&[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs tinyproxy: run by tests/network/run.sh"]
async fn a_proxy_that_refuses_or_is_dead_fails_clearly_and_never_shows_its_password() {
    let _env = ENV.lock();
    let dir = scratch("refusing");
    let ca = pki(&dir);
    let emu = emulator().await;
    let nginx = nginx(&dir, port_of(&emu)).await;
    let password = "pr0xy-s3cret";
    let proxy = tinyproxy(&dir, Some(("alice", password))).await;
    let logs = Arc::new(Mutex::new(Vec::<String>::new()));
    environment(&[]);
    let with_proxy = |url: String| {
        let logs = Arc::clone(&logs);
        https_builder(&emu, nginx.h2)
            .extra_ca_certs(&ca)
            .max_retries(1)
            .proxy(url)
            .on_attempt(Arc::new(move |attempt: &delegir::AttemptLog| {
                logs.lock().push(format!("{attempt:?}"))
            }))
    };
    let authority = format!("127.0.0.1:{}", proxy.port);

    // Right credentials: through.
    let good = with_proxy(format!("http://alice:{password}@{authority}"))
        .build()
        .unwrap();
    good.usage().get().await.unwrap();
    assert!(!format!("{good:?}").contains(password));

    // None, or wrong ones: a connection error naming the proxy and its refusal (tinyproxy
    // answers 407 without credentials, 401 for wrong ones).
    for url in [
        format!("http://{authority}"),
        format!("http://alice:wrong-{password}@{authority}"),
    ] {
        let client = with_proxy(url).build().unwrap();
        let error = client.usage().get().await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Connection, "{error}");
        let shown = format!("{error} {error:?} {client:?}");
        assert!(shown.contains(&format!("http://{authority}")), "{shown}");
        assert!(
            shown.contains("HTTP 407") || shown.contains("HTTP 401"),
            "{shown}"
        );
        assert!(!shown.contains(password), "{shown}");
    }

    // Plain http through the same proxy: the credentials go in Proxy-Authorization.
    let plain = common::builder(&emu)
        .rate_limit(false)
        .proxy(format!("http://alice:{password}@{authority}"))
        .build()
        .unwrap();
    plain.usage().get().await.unwrap();
    let denied = common::builder(&emu)
        .rate_limit(false)
        .max_retries(0)
        .proxy(format!("http://{authority}"))
        .build()
        .unwrap();
    let error = denied.usage().get().await.unwrap_err();
    // Only a proxy answers 407: a connection error naming the proxy, like a refused tunnel.
    assert_eq!(error.kind(), ErrorKind::Connection, "{error}");
    assert!(
        error.message().contains(&format!(
            "the proxy http://{authority} refused to forward the request: HTTP 407"
        )),
        "{error}"
    );

    // Proxies that refuse a tunnel the usual ways.
    for status in [
        "407 Proxy Authentication Required",
        "403 Forbidden",
        "502 Bad Gateway",
    ] {
        let refusing = refusing_proxy(status).await;
        let client = with_proxy(format!("http://alice:{password}@{refusing}"))
            .build()
            .unwrap();
        let error = client.usage().get().await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Connection, "{error}");
        let shown = format!("{error} {error:?}");
        assert!(
            shown.contains(&format!("the proxy http://{refusing} refused"))
                && shown.contains(status),
            "{shown}"
        );
        assert!(!shown.contains(password), "{shown}");
    }

    // A dead proxy fails; the request never goes direct.
    emu.clear_journal();
    let dead = format!("http://alice:{password}@127.0.0.1:{}", free_port());
    let error = with_proxy(dead)
        .build()
        .unwrap()
        .usage()
        .get()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connection, "{error}");
    assert!(error.message().contains("proxy"), "{error}");
    assert!(!format!("{error} {error:?}").contains(password));
    assert!(emu.journal(None).is_empty(), "went direct");
    for line in logs.lock().iter() {
        assert!(!line.contains(password), "{line}");
    }
}

/// A proxy that answers every CONNECT with `status` (`407 Proxy Authentication Required`, ...).
/// Returns its `host:port`.
async fn refusing_proxy(status: &'static str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && socket.read(&mut byte).await.unwrap_or(0) == 1
                {
                    head.push(byte[0]);
                }
                let answer = format!(
                    "HTTP/1.1 {status}\r\nProxy-Authenticate: Basic realm=\"test\"\r\n\
                     Content-Length: 0\r\n\r\n"
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    address
}

fn port_of(emu: &Emulator) -> u16 {
    emu.base_url().parse::<url::Url>().unwrap().port().unwrap()
}
