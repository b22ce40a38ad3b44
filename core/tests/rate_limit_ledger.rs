//! The rate-limit ledger against a real server: many tasks sharing one key meet no 429s.

mod common;

use std::time::{Duration, Instant};

use common::{builder, emulator_with, journal};
use delegir_emulator::EmulatorOptions;

const LIMIT: u32 = 20;
const WINDOW: Duration = Duration::from_secs(2);
const TASKS: usize = 50;
const CALLS: usize = 100;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_tasks_sharing_one_key_finish_100_calls_at_20_per_2_s_with_zero_429s() {
    let emu = emulator_with(EmulatorOptions {
        rate_limit: LIMIT,
        rate_window: WINDOW,
        ..Default::default()
    })
    .await;
    // Separate clients (not clones) of one key and base URL share one ledger too.
    let clients: Vec<delegir::Client> = (0..5).map(|_| builder(&emu).build().unwrap()).collect();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let client = clients[task % clients.len()].clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..CALLS / TASKS {
                client.usage().get().await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = started.elapsed();

    let entries = journal(&emu);
    let limited = entries.iter().filter(|e| e.status == Some(429)).count();
    assert_eq!(limited, 0, "no 429s: {entries:#?}");
    assert_eq!(entries.len(), CALLS);

    // When each burst of requests began, relative to the first: shows where time goes.
    let times: Vec<f64> = entries
        .iter()
        .map(|e| {
            let t = time::OffsetDateTime::parse(
                &e.time,
                &time::format_description::well_known::Rfc3339,
            )
            .unwrap();
            (t.unix_timestamp_nanos() / 1_000_000) as f64 / 1000.0
        })
        .collect();
    let bursts: Vec<String> = times
        .iter()
        .enumerate()
        .filter(|(i, t)| *i == 0 || **t - times[i - 1] > 0.3)
        .map(|(_, t)| format!("{:.2}", t - times[0]))
        .collect();
    println!("ledger: bursts began at {bursts:?} s");

    // Quota use: the emulator opens a window at the start of the second of the first request,
    // and the ledger sends the next probe as the window resets, so the windows follow each other
    // from there; each allows LIMIT. A ledger that wastes no window fills every one of them.
    let first_window_start = times[0].floor();
    let windows_used =
        ((times[times.len() - 1] - first_window_start) / WINDOW.as_secs_f64()).floor() as i64 + 1;
    let quota_use = CALLS as f64 / (windows_used as f64 * f64::from(LIMIT));
    println!(
        "ledger: {CALLS} calls by {TASKS} tasks at {LIMIT} per {WINDOW:?} in {elapsed:.2?} over \
         {windows_used} windows: quota use {:.1}% (requests / (windows spanned × limit)), \
         429s: {limited}",
        quota_use * 100.0,
    );
}
