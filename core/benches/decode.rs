//! Decoding the API's bodies into the models: a page of 100 runs (the largest response), the
//! agent list and an agent's detail, each against the frozen copy of the decoding this crate had
//! before (`old_models.rs`: serde's derive with `#[serde(flatten)]`).
//!
//! `cargo bench -p delegir --bench decode` (add `-- --quick` for a short run).
//!
//! On a loaded machine wall time is noise; instructions are not. With `DECODE_ITERATIONS=N` and
//! `DECODE_CASE=page|page-before|list|list-before|detail|detail-before` the binary decodes that
//! body N times and exits, for `perf stat -e instructions:u` (bench/README.md has figures).

use std::hint::black_box;

use criterion::{Criterion, criterion_group};
use serde::Deserialize;

mod old_models;

#[derive(Deserialize)]
struct Envelope<T> {
    data: T,
}

/// `{"data": page}` of `limit` runs as the emulator (and the API reference) writes it: compact,
/// the keys in the API's order, costs in ten-thousandths of a dollar.
fn runs_page(limit: u64) -> Vec<u8> {
    let runs: Vec<String> = (0..limit)
        .map(|i| {
            let tokens = 50 + (i * 7919) % 1950;
            format!(
                r#"{{"id":"run_{:06x}","status":"completed","tokens_used":{tokens},"cost":{},"duration_ms":{},"created_at":"2026-03-{:02}T{:02}:{:02}:00Z"}}"#,
                0xabc000 + i,
                (tokens / 5) as f64 / 10_000.0,
                400 + (i * 104_729) % 4600,
                15 - i / 96,
                (i / 4) % 24,
                (i % 4) * 15
            )
        })
        .collect();
    format!(
        r#"{{"data":{{"runs":[{}],"total":1284,"limit":{limit},"offset":0}}}}"#,
        runs.join(",")
    )
    .into_bytes()
}

fn agent(id: &str, with_detail: bool) -> serde_json::Value {
    let mut agent = serde_json::json!({
        "id": id,
        "name": "Customer Support Agent",
        "status": "active",
        "safety_mode": true,
        "template": "customer-support",
        "total_runs": 1284,
        "last_active": "2026-03-15T08:30:00Z",
        "created_at": "2026-01-10T14:00:00Z",
    });
    if with_detail {
        agent["config"] = serde_json::json!({
            "model": "claude-sonnet-4-5-20250514",
            "system_prompt": "You are a helpful customer support agent...",
            "temperature": 0.7,
            "max_tokens": 2048,
        });
        agent["channels"] = serde_json::json!(["webchat", "email"]);
    }
    agent
}

fn agent_list() -> Vec<u8> {
    let agents = vec![agent("agt_abc123", false), agent("agt_def456", false)];
    serde_json::to_vec(&serde_json::json!({ "data": agents })).unwrap()
}

fn agent_detail() -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "data": agent("agt_abc123", true) })).unwrap()
}

/// As the SDK decodes (`decode::data`: the runs page's direct reader, else one UTF-8 check of
/// the body and serde_json's `str` reader).
fn decode<T: serde::de::DeserializeOwned + 'static>(body: &[u8]) -> T {
    delegir::__decode_data(body).unwrap()
}

/// As the crate decoded before, and as a user of serde_json would: the `[u8]` reader.
fn decode_before<'a, T: Deserialize<'a>>(body: &'a [u8]) -> T {
    serde_json::from_slice::<Envelope<T>>(body).unwrap().data
}

fn benches(c: &mut Criterion) {
    let page = runs_page(100);
    let list = agent_list();
    let detail = agent_detail();

    let mut group = c.benchmark_group("runs page of 100");
    group.throughput(criterion::Throughput::Bytes(page.len() as u64));
    group.bench_function("delegir", |b| {
        b.iter(|| decode::<delegir::RunPage>(black_box(&page)))
    });
    group.bench_function("before (serde flatten)", |b| {
        b.iter(|| decode_before::<old_models::RunPage>(black_box(&page)))
    });
    group.finish();

    let mut group = c.benchmark_group("agent list");
    group.bench_function("delegir", |b| {
        b.iter(|| decode::<Vec<delegir::Agent>>(black_box(&list)))
    });
    group.bench_function("before (serde flatten)", |b| {
        b.iter(|| decode_before::<Vec<old_models::Agent>>(black_box(&list)))
    });
    group.finish();

    let mut group = c.benchmark_group("agent detail");
    group.bench_function("delegir", |b| {
        b.iter(|| decode::<delegir::AgentDetail>(black_box(&detail)))
    });
    group.bench_function("before (serde flatten)", |b| {
        b.iter(|| decode_before::<old_models::AgentDetail>(black_box(&detail)))
    });
    group.finish();
}

criterion_group!(decoding, benches);

/// Decodes one case `iterations` times (see the module's doc).
fn count(case: &str, iterations: u64) {
    let page = runs_page(100);
    let list = agent_list();
    let detail = agent_detail();
    for _ in 0..iterations {
        match case {
            "page" => drop(black_box(decode::<delegir::RunPage>(black_box(&page)))),
            "page-before" => drop(black_box(decode_before::<old_models::RunPage>(black_box(
                &page,
            )))),
            "list" => drop(black_box(decode::<Vec<delegir::Agent>>(black_box(&list)))),
            "list-before" => drop(black_box(decode_before::<Vec<old_models::Agent>>(
                black_box(&list),
            ))),
            "detail" => drop(black_box(decode::<delegir::AgentDetail>(black_box(
                &detail,
            )))),
            "detail-before" => drop(black_box(decode_before::<old_models::AgentDetail>(
                black_box(&detail),
            ))),
            other => panic!("unknown DECODE_CASE {other}"),
        }
    }
}

fn main() {
    if let Ok(n) = std::env::var("DECODE_ITERATIONS") {
        let case = std::env::var("DECODE_CASE").unwrap_or_else(|_| "page".to_owned());
        count(&case, n.parse().expect("DECODE_ITERATIONS is a number"));
        return;
    }
    decoding();
    Criterion::default().configure_from_args().final_summary();
}
