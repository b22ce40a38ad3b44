//! One Rust process of the multi-process rate-limit run (tests/redis/multiprocess.py): `TASKS`
//! tasks call `usage().get()` on one key until `SECONDS` have passed, then one JSON line with
//! the calls that succeeded, failed with `RateLimited`, or failed otherwise. The store comes from
//! `DELEGIR_RATE_LIMIT_STORE` when the run sets it (the builder reads it).
//!
//! `cargo run -p delegir --example redis_worker` (with DELEGIR_API_KEY, DELEGIR_BASE_URL).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> delegir::Result<()> {
    let tasks: usize = std::env::var("TASKS").map_or(10, |v| v.parse().expect("TASKS"));
    let seconds: f64 = std::env::var("SECONDS")
        .expect("SECONDS")
        .parse()
        .expect("SECONDS");
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let client = delegir::Client::from_env()?;
    let counts = Arc::new([AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)]);
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let (client, counts) = (client.clone(), counts.clone());
        handles.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let slot = match client.usage().get().await {
                    Ok(_) => 0,
                    Err(e) if e.kind() == delegir::ErrorKind::RateLimited => 1,
                    Err(e) => {
                        eprintln!("redis_worker: {e}");
                        2
                    }
                };
                counts[slot].fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for handle in handles {
        handle.await.expect("a task panicked");
    }
    let [ok, limited, other] = &*counts;
    println!(
        "{{\"lang\": \"rust\", \"pid\": {}, \"ok\": {}, \"rate_limited\": {}, \"other\": {}, \"errors\": []}}",
        std::process::id(),
        ok.load(Ordering::Relaxed),
        limited.load(Ordering::Relaxed),
        other.load(Ordering::Relaxed)
    );
    Ok(())
}
