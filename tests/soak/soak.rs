//! Soak driver for the Rust SDK (an example of the `delegir` crate, run by `scripts/soak.sh`):
//! N calls against a running emulator with a random fault queued before about 1% of them; prints
//! calls, errors by kind, RSS and open file descriptors (before any call, after a warm-up of 200
//! calls without faults, and at the end) as one JSON line.
//!
//! ```text
//! cargo run --release -p delegir --example soak -- BASE_URL ADMIN_URL CALLS FAULTS_JSON
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde_json::{Value, json};

const AGENT: &str = "agt_abc123";
const WORKERS: usize = 8;
const WARM_UP: u64 = 200;

fn rss_kib() -> i64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(-1)
}

fn fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

/// The design's class name for an error kind.
fn class(e: &delegir::Error) -> String {
    format!("{:?}", e.kind())
}

async fn call(client: &delegir::Client, i: u64) -> delegir::Result<()> {
    let agents = client.agents();
    match i % 10 {
        0 | 6 => agents.list().await.map(drop),
        1 | 4 | 8 => agents.get(AGENT).await.map(drop),
        2 | 5 => client.usage().get().await.map(drop),
        3 => agents
            .runs(
                AGENT,
                delegir::RunsQuery {
                    limit: Some(5),
                    offset: None,
                },
            )
            .await
            .map(drop),
        7 => agents
            .runs(
                AGENT,
                delegir::RunsQuery {
                    limit: None,
                    offset: Some(10),
                },
            )
            .await
            .map(drop),
        _ => agents.chat(AGENT, "soak").await.map(drop),
    }
}

fn route(i: u64) -> (&'static str, String) {
    match i % 10 {
        0 | 6 => ("GET", "/agents".into()),
        1 | 4 | 8 => ("GET", format!("/agents/{AGENT}")),
        2 | 5 => ("GET", "/usage".into()),
        3 | 7 => ("GET", format!("/agents/{AGENT}/runs")),
        _ => ("POST", format!("/agents/{AGENT}/chat")),
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (base_url, admin_url, calls) = (&args[1], &args[2], args[3].parse::<u64>().unwrap());
    let faults: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&args[4]).unwrap()).unwrap();
    // The admin client: one connection, kept, so it does not move the fd count. reqwest is built
    // without a TLS provider; the SDK installs ring's, and so does this driver.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let admin = reqwest::Client::new();
    let key: Value = admin
        .post(format!("{admin_url}/keys"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = key["data"]["api_key"].as_str().unwrap().to_owned();
    let client = delegir::Client::builder()
        .api_key(&key)
        .base_url(base_url)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let initial = json!({ "rss_kib": rss_kib(), "fds": fds() });
    let admin_url = admin_url.clone();
    let run = |limit: u64, fault_rate: u64| {
        let next = Arc::new(AtomicU64::new(0));
        let queued = Arc::new(AtomicU64::new(0));
        let errors = Arc::new(Mutex::new(BTreeMap::<String, u64>::new()));
        let workers: Vec<_> = (0..WORKERS)
            .map(|w| {
                let (client, admin, key, faults) =
                    (client.clone(), admin.clone(), key.clone(), faults.clone());
                let (next, queued, errors) = (next.clone(), queued.clone(), errors.clone());
                let admin_url = admin_url.clone();
                tokio::spawn(async move {
                    let mut seed: u64 = 7 + w as u64;
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= limit {
                            break;
                        }
                        seed = seed
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        // One call in `fault_rate` (0: none) gets a fault queued first.
                        if fault_rate > 0 && (seed >> 33).is_multiple_of(fault_rate) {
                            queued.fetch_add(1, Ordering::Relaxed);
                            let (method, path) = route(i);
                            let fault = &faults[((seed >> 40) % faults.len() as u64) as usize];
                            let rule = json!({ "method": method, "path": format!("/api/v1{path}"), "fault": fault });
                            admin
                                .post(format!("{admin_url}/faults"))
                                .header("x-api-key", &key)
                                .json(&rule)
                                .send()
                                .await
                                .unwrap();
                        }
                        if let Err(e) = call(&client, i).await {
                            *errors.lock().entry(class(&e)).or_default() += 1;
                        }
                    }
                })
            })
            .collect();
        async move {
            for w in workers {
                w.await.unwrap();
            }
            let errors = errors.lock().clone();
            (queued.load(Ordering::Relaxed), errors)
        }
    };
    // Warm-up without faults: the connection pool fills.
    run(WARM_UP, 0).await;
    let start = json!({ "rss_kib": rss_kib(), "fds": fds() });
    let started = Instant::now();
    let (queued, errors) = run(calls, 100).await;
    let seconds = (started.elapsed().as_secs_f64() * 10.0).round() / 10.0;
    let end = json!({ "rss_kib": rss_kib(), "fds": fds() });
    println!(
        "{}",
        json!({
            "sdk": "rust", "calls": calls, "faults_queued": queued, "seconds": seconds,
            "errors": errors, "initial": initial, "start": start, "end": end,
        })
    );
}
