//! The Rust contenders of `bench/run.sh`: the `delegir` crate and the baseline a user would write
//! by hand (raw `reqwest` + `serde_json` into the same structs, as they were before issue 20:
//! `core/benches/old_models.rs`). One process per measurement, so
//! the CPU time and peak RSS read from `getrusage(RUSAGE_SELF)` are this client's alone.
//!
//! ```text
//! delegir-bench throughput CLIENT WORKLOAD CONCURRENCY SECONDS BASE_URL KEY
//! delegir-bench ratelimit SECONDS TASKS BASE_URL KEY
//! ```
//! `CLIENT` is `delegir` or `reqwest`, `WORKLOAD` `small`, `large` or `chat`. Prints one JSON
//! line (the format every contender of the suite prints; see bench/README.md).

use std::sync::Arc;
use std::time::{Duration, Instant};

use delegir::RunsQuery;
use serde::Deserialize;

/// The baseline decodes into a frozen copy of the structs as they were before the SDK's own
/// decoding changed (serde's derive with `#[serde(flatten)] extra`), so that improving the
/// SDK's structs does not move the baseline.
#[path = "../../../core/benches/old_models.rs"]
mod old_models;
use old_models::{AgentDetail, ChatReply, RunPage};

const AGENT: &str = "agt_abc123";
const MESSAGE: &str = "How do I reset my password?";
const WARMUP: Duration = Duration::from_millis(300);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Workload {
    Small,
    Large,
    Chat,
}

#[derive(Deserialize)]
struct Envelope<T> {
    data: T,
}

/// One contender, ready to make calls of one workload.
#[derive(Clone)]
enum Contender {
    Sdk(delegir::Client),
    Raw {
        http: reqwest::Client,
        key: Arc<str>,
        base: Arc<str>,
    },
}

impl Contender {
    async fn call(&self, workload: Workload) -> Result<(), String> {
        match self {
            Contender::Sdk(client) => {
                let agents = client.agents();
                let result = match workload {
                    Workload::Small => agents.get(AGENT).await.map(drop),
                    Workload::Large => agents
                        .runs(
                            AGENT,
                            RunsQuery {
                                limit: Some(100),
                                offset: None,
                            },
                        )
                        .await
                        .map(drop),
                    Workload::Chat => agents.chat(AGENT, MESSAGE).await.map(drop),
                };
                result.map_err(|e| e.to_string())
            }
            Contender::Raw { http, key, base } => {
                let request = match workload {
                    Workload::Small => http.get(format!("{base}/agents/{AGENT}")),
                    Workload::Large => http.get(format!("{base}/agents/{AGENT}/runs?limit=100")),
                    Workload::Chat => http
                        .post(format!("{base}/agents/{AGENT}/chat"))
                        .header("content-type", "application/json")
                        .body(
                            serde_json::to_vec(&serde_json::json!({ "message": MESSAGE })).unwrap(),
                        ),
                };
                let response = request
                    .header("x-api-key", &**key)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let status = response.status();
                let body = response.bytes().await.map_err(|e| e.to_string())?;
                if !status.is_success() {
                    return Err(format!("HTTP {status}"));
                }
                let parsed =
                    match workload {
                        Workload::Small => serde_json::from_slice::<Envelope<AgentDetail>>(&body)
                            .map(|e| drop(e.data)),
                        Workload::Large => {
                            serde_json::from_slice::<Envelope<RunPage>>(&body).map(|e| drop(e.data))
                        }
                        Workload::Chat => serde_json::from_slice::<Envelope<ChatReply>>(&body)
                            .map(|e| drop(e.data)),
                    };
                parsed.map_err(|e| e.to_string())
            }
        }
    }
}

/// User + system CPU seconds and peak RSS (KiB) of this process so far.
fn rusage() -> (f64, i64) {
    // SAFETY: getrusage writes into the zeroed struct we own.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (
        secs(usage.ru_utime) + secs(usage.ru_stime),
        usage.ru_maxrss as i64,
    )
}

fn percentile(sorted: &[u32], q: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i]
}

async fn throughput(
    contender: Contender,
    workload: Workload,
    concurrency: usize,
    seconds: f64,
) -> serde_json::Value {
    // Warm-up: open the connections and touch every code path once.
    let warm_until = Instant::now() + WARMUP;
    let mut warm = Vec::new();
    for _ in 0..concurrency {
        let c = contender.clone();
        warm.push(tokio::spawn(async move {
            while Instant::now() < warm_until {
                let _ = c.call(workload).await;
            }
        }));
    }
    for w in warm {
        w.await.unwrap();
    }

    let (cpu0, _) = rusage();
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(seconds);
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let c = contender.clone();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(65_536);
            let mut errors = 0u64;
            let mut last_error = None;
            loop {
                let t0 = Instant::now();
                if t0 >= deadline {
                    break;
                }
                match c.call(workload).await {
                    Ok(()) => latencies.push(t0.elapsed().as_micros() as u32),
                    Err(e) => {
                        errors += 1;
                        last_error = Some(e);
                    }
                }
            }
            (latencies, errors, last_error)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut last_error = None;
    for w in workers {
        let (l, e, le) = w.await.unwrap();
        latencies.extend(l);
        errors += e;
        last_error = last_error.or(le);
    }
    let elapsed = start.elapsed().as_secs_f64();
    let (cpu1, maxrss) = rusage();
    latencies.sort_unstable();
    serde_json::json!({
        "calls": latencies.len(),
        "errors": errors,
        "last_error": last_error,
        "seconds": elapsed,
        "p50_us": percentile(&latencies, 0.50),
        "p99_us": percentile(&latencies, 0.99),
        "cpu_s": cpu1 - cpu0,
        "maxrss_kib": maxrss,
    })
}

/// 50 tasks calling `agents().get` on one key with the SDK's ledger on, for `seconds`.
async fn ratelimit(client: delegir::Client, tasks: usize, seconds: f64) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let mut workers = Vec::new();
    for _ in 0..tasks {
        let c = client.clone();
        workers.push(tokio::spawn(async move {
            let (mut ok, mut limited, mut other) = (0u64, 0u64, 0u64);
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                // Calls still queued in the ledger at the deadline are dropped (cancelled).
                match tokio::time::timeout(left, c.agents().get(AGENT)).await {
                    Err(_) => break,
                    Ok(Ok(_)) => ok += 1,
                    Ok(Err(e)) if e.status() == Some(429) => limited += 1,
                    Ok(Err(_)) => other += 1,
                }
            }
            (ok, limited, other)
        }));
    }
    let (mut ok, mut limited, mut other) = (0, 0, 0);
    for w in workers {
        let (a, b, c) = w.await.unwrap();
        ok += a;
        limited += b;
        other += c;
    }
    serde_json::json!({ "ok": ok, "client_429": limited, "errors": other })
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let _ = rustls::crypto::ring::default_provider().install_default();
    // BENCH_RUST_RUNTIME=current-thread runs the client on one thread (the server has the other
    // core); the default is tokio's multi-threaded runtime, as most applications use it.
    let runtime = match std::env::var("BENCH_RUST_RUNTIME").as_deref() {
        Ok("current-thread") => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    }
    .enable_all()
    .build()
    .expect("tokio runtime");
    let output = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [
            "throughput",
            client,
            workload,
            concurrency,
            seconds,
            base,
            key,
        ] => {
            let workload = match workload {
                "small" => Workload::Small,
                "large" => Workload::Large,
                "chat" => Workload::Chat,
                other => panic!("unknown workload {other}"),
            };
            let contender = match client {
                "delegir" => Contender::Sdk(
                    delegir::Client::builder()
                        .api_key(key)
                        .base_url(base)
                        .rate_limit(false)
                        // BENCH_GZIP=0: Accept-Encoding: identity (the bench's gzip section).
                        .gzip(std::env::var("BENCH_GZIP").as_deref() != Ok("0"))
                        .build()
                        .expect("client"),
                ),
                "reqwest" => Contender::Raw {
                    // reqwest is built without a default TLS provider in this workspace. The
                    // request carries the SDK's headers (a User-Agent, Accept) so that both
                    // contenders send the same bytes and the server does the same work for each;
                    // without them the emulator parses two headers fewer per request, which
                    // measured 2-5% more calls/s for the baseline.
                    http: reqwest::Client::builder()
                        .tcp_nodelay(true)
                        .user_agent(concat!("delegir-rust/", env!("CARGO_PKG_VERSION")))
                        .default_headers(reqwest::header::HeaderMap::from_iter([(
                            reqwest::header::ACCEPT,
                            reqwest::header::HeaderValue::from_static("application/json"),
                        )]))
                        .build()
                        .expect("client"),
                    key: key.into(),
                    base: base.into(),
                },
                other => panic!("unknown client {other}"),
            };
            runtime.block_on(throughput(
                contender,
                workload,
                concurrency.parse().expect("concurrency"),
                seconds.parse().expect("seconds"),
            ))
        }
        ["ratelimit", seconds, tasks, base, key] => {
            let client = delegir::Client::builder()
                .api_key(key)
                .base_url(base)
                .build()
                .expect("client");
            runtime.block_on(ratelimit(
                client,
                tasks.parse().expect("tasks"),
                seconds.parse().expect("seconds"),
            ))
        }
        _ => {
            eprintln!(
                "usage: delegir-bench throughput delegir|reqwest small|large|chat CONCURRENCY SECONDS BASE_URL KEY\n       delegir-bench ratelimit SECONDS TASKS BASE_URL KEY"
            );
            std::process::exit(2);
        }
    };
    println!("{output}");
}
