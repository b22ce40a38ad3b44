//! The in-process ledger driven by a fake clock (tokio's paused time) and a simulated fixed-window server.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::MemoryLedger as Ledger;
use super::*;
use crate::models::RateLimit;
use crate::runtime::BoxFuture;

/// Tokio's paused clock, with a wall clock that is `skew` away from the simulated server's.
struct FakeClock {
    start: Instant,
    wall_start: SystemTime,
}

impl FakeClock {
    fn new(wall_start_secs: u64) -> Arc<FakeClock> {
        Arc::new(FakeClock {
            start: tokio::time::Instant::now().into_std(),
            wall_start: UNIX_EPOCH + Duration::from_secs(wall_start_secs),
        })
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }
    fn wall(&self) -> SystemTime {
        self.wall_start + (self.now() - self.start)
    }
    fn sleep(&self, duration: Duration) -> BoxFuture {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A fixed-window server whose clock runs `offset_ms` ahead of the client's wall clock.
struct Server {
    limit: u64,
    window_ms: u64,
    offset_ms: i64,
    counts: parking_lot::Mutex<std::collections::HashMap<u64, u64>>,
    rejected: AtomicU64,
    accepted: AtomicU64,
}

impl Server {
    fn new(limit: u64, window_ms: u64, offset_ms: i64) -> Arc<Server> {
        Arc::new(Server {
            limit,
            window_ms,
            offset_ms,
            counts: Default::default(),
            rejected: AtomicU64::new(0),
            accepted: AtomicU64::new(0),
        })
    }

    /// Handles a request arriving when the client's wall clock reads `client_wall`.
    fn handle(&self, client_wall: SystemTime) -> (u16, ResponseMeta) {
        let local_ms = client_wall.duration_since(UNIX_EPOCH).unwrap().as_millis() as i64;
        let server_ms = (local_ms + self.offset_ms) as u64;
        let window = server_ms / self.window_ms;
        let reset = ((window + 1) * self.window_ms).div_ceil(1000) as i64;
        let date = server_ms / 1000;
        let mut counts = self.counts.lock();
        let used = counts.entry(window).or_insert(0);
        let status = if *used >= self.limit {
            self.rejected.fetch_add(1, Ordering::Relaxed);
            429
        } else {
            *used += 1;
            self.accepted.fetch_add(1, Ordering::Relaxed);
            200
        };
        let remaining = self.limit - (*used).min(self.limit);
        let meta = ResponseMeta {
            rate_limit: Some(RateLimit {
                limit: self.limit,
                remaining,
                reset,
            }),
            retry_after: (status == 429).then(|| Duration::from_secs((reset - date as i64) as u64)),
            server_date: Some(UNIX_EPOCH + Duration::from_secs(date)),
            reset_in: Some(Duration::from_secs((reset - date as i64).max(0) as u64)),
            content_encoding: Default::default(),
        };
        (status, meta)
    }
}

/// A small deterministic generator for latencies.
struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

const WALL_START: u64 = 1_773_563_400;

async fn simulate(
    tasks: u64,
    calls_per_task: u64,
    limit: u64,
    window_ms: u64,
    offset_ms: i64,
    max_latency_ms: u64,
) -> (Arc<Server>, Duration) {
    let clock = FakeClock::new(WALL_START);
    let ledger = Arc::new(Ledger::new(clock.clone()));
    let server = Server::new(limit, window_ms, offset_ms);
    let started = clock.now();
    let mut handles = Vec::new();
    for task in 0..tasks {
        let (ledger, server, clock) = (ledger.clone(), server.clone(), clock.clone());
        handles.push(tokio::spawn(async move {
            let mut rng = Lcg(task * 7919 + 17);
            for _ in 0..calls_per_task {
                let admission = ledger.admit(Duration::from_secs(600)).await.unwrap();
                let there = rng.below(max_latency_ms + 1);
                tokio::time::sleep(Duration::from_millis(there)).await;
                let (status, meta) = server.handle(clock.wall());
                let back = rng.below(max_latency_ms + 1);
                tokio::time::sleep(Duration::from_millis(back)).await;
                admission.settle(Observed::Response {
                    status,
                    meta: &meta,
                });
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    (server, clock.now() - started)
}

#[tokio::test(start_paused = true)]
async fn never_admits_more_than_the_server_allows_with_random_latencies() {
    for (offset_ms, latency) in [(0, 5), (3_600_437, 40), (-7_250, 120), (999, 1)] {
        let (server, elapsed) = simulate(50, 10, 20, 2000, offset_ms, latency).await;
        assert_eq!(
            server.rejected.load(Ordering::Relaxed),
            0,
            "429s with offset {offset_ms} ms, latency {latency} ms"
        );
        assert_eq!(server.accepted.load(Ordering::Relaxed), 500);
        // 500 calls at 20 per 2 s need 25 windows; the pacing must not waste many.
        let windows = elapsed.as_secs_f64() / 2.0;
        assert!(
            windows < 27.0,
            "took {windows:.1} windows (offset {offset_ms}, latency {latency})"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn the_first_request_probes_alone_and_its_headers_open_the_window() {
    let clock = FakeClock::new(WALL_START);
    let ledger = Arc::new(Ledger::new(clock.clone()));
    let server = Server::new(5, 2000, 0);
    let probe = ledger.admit(Duration::from_secs(10)).await.unwrap();
    let second = tokio::time::timeout(
        Duration::from_millis(50),
        ledger.admit(Duration::from_secs(10)),
    )
    .await;
    assert!(
        second.is_err(),
        "a second request went out before the probe came back"
    );
    let (status, meta) = server.handle(clock.wall());
    probe.settle(Observed::Response {
        status,
        meta: &meta,
    });
    // Four remain: four are admitted at once, the fifth waits for the reset.
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(
            tokio::time::timeout(
                Duration::from_millis(1),
                ledger.admit(Duration::from_secs(10)),
            )
            .await
            .expect("admitted at once")
            .unwrap(),
        );
    }
    let before = clock.now();
    let waiter = ledger.clone();
    let waited = tokio::spawn(async move {
        let _a = waiter.admit(Duration::from_secs(10)).await.unwrap();
    });
    drop(held);
    waited.await.unwrap();
    assert!(clock.now() - before >= Duration::from_millis(1000));
}

#[tokio::test(start_paused = true)]
async fn a_429_closes_the_window_until_the_reset() {
    let clock = FakeClock::new(WALL_START);
    let ledger = Arc::new(Ledger::new(clock.clone()));
    let reset = WALL_START as i64 + 30;
    let meta = ResponseMeta {
        rate_limit: Some(RateLimit {
            limit: 60,
            remaining: 40,
            reset,
        }),
        retry_after: Some(Duration::from_secs(30)),
        server_date: Some(UNIX_EPOCH + Duration::from_secs(WALL_START)),
        reset_in: Some(Duration::from_secs(30)),
        content_encoding: Default::default(),
    };
    ledger
        .admit(Duration::from_secs(1))
        .await
        .unwrap()
        .settle(Observed::Response {
            status: 429,
            meta: &meta,
        });
    // Waiting 30 s is more than the allowed 10 s: fail at once with the wait.
    let wait = ledger.admit(Duration::from_secs(10)).await.unwrap_err();
    assert!(
        wait > Duration::from_secs(29) && wait <= Duration::from_secs(31),
        "{wait:?}"
    );
    let started = clock.now();
    let _admitted = ledger.admit(Duration::from_secs(60)).await.unwrap();
    assert!(clock.now() - started >= Duration::from_secs(29));
}

#[tokio::test(start_paused = true)]
async fn a_429s_retry_after_says_when_to_come_back_even_before_its_reset() {
    let clock = FakeClock::new(WALL_START);
    let ledger = Arc::new(Ledger::new(clock.clone()));
    let meta = ResponseMeta {
        rate_limit: Some(RateLimit {
            limit: 60,
            remaining: 0,
            reset: WALL_START as i64 + 120,
        }),
        retry_after: Some(Duration::from_secs(2)),
        server_date: Some(UNIX_EPOCH + Duration::from_secs(WALL_START)),
        reset_in: Some(Duration::from_secs(120)),
        content_encoding: Default::default(),
    };
    ledger
        .admit(Duration::from_secs(1))
        .await
        .unwrap()
        .settle(Observed::Response {
            status: 429,
            meta: &meta,
        });
    // Within max_rate_limit_wait (10 s): admitted after Retry-After, not refused for the reset.
    let started = clock.now();
    let _admitted = ledger.admit(Duration::from_secs(10)).await.unwrap();
    let waited = clock.now() - started;
    assert!(
        waited >= Duration::from_secs(2) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn cancelled_waiters_and_dropped_admissions_release_their_places() {
    let clock = FakeClock::new(WALL_START);
    let ledger = Arc::new(Ledger::new(clock.clone()));
    let probe = ledger.admit(Duration::from_secs(10)).await.unwrap();
    // A waiter that gives up leaves the queue...
    let gave_up = tokio::time::timeout(
        Duration::from_millis(10),
        ledger.admit(Duration::from_secs(10)),
    )
    .await;
    assert!(gave_up.is_err());
    assert!(ledger.state.lock().queue.is_empty());
    // ...and a probe dropped without an answer lets the next request probe.
    drop(probe);
    let next = tokio::time::timeout(
        Duration::from_millis(1),
        ledger.admit(Duration::from_secs(10)),
    )
    .await;
    assert!(next.is_ok());
    assert_eq!(ledger.state.lock().in_flight, 1);
}

#[tokio::test(start_paused = true)]
async fn a_server_without_rate_limit_headers_is_not_paced() {
    let clock = FakeClock::new(WALL_START);
    let ledger = Arc::new(Ledger::new(clock.clone()));
    let meta = ResponseMeta::default();
    ledger
        .admit(Duration::from_secs(1))
        .await
        .unwrap()
        .settle(Observed::Response {
            status: 200,
            meta: &meta,
        });
    let mut held = Vec::new();
    for _ in 0..1000 {
        held.push(
            tokio::time::timeout(
                Duration::from_millis(1),
                ledger.admit(Duration::from_secs(1)),
            )
            .await
            .unwrap()
            .unwrap(),
        );
    }
}

#[tokio::test(start_paused = true)]
async fn stale_and_garbage_resets_never_cause_negative_or_endless_waits() {
    let clock = FakeClock::new(WALL_START);
    let ledger = Arc::new(Ledger::new(clock.clone()));
    let settle = |reset: i64, remaining: u64, date: Option<u64>| {
        let meta = ResponseMeta {
            rate_limit: Some(RateLimit {
                limit: 10,
                remaining,
                reset,
            }),
            retry_after: None,
            server_date: date.map(|d| UNIX_EPOCH + Duration::from_secs(d)),
            reset_in: None,
            content_encoding: Default::default(),
        };
        let ledger = ledger.clone();
        async move {
            ledger
                .admit(Duration::from_secs(100_000))
                .await
                .unwrap()
                .settle(Observed::Response {
                    status: 200,
                    meta: &meta,
                });
        }
    };
    // A reset in the past: the window is over at once, the next call probes without waiting.
    settle(WALL_START as i64 - 500, 0, Some(WALL_START)).await;
    let started = clock.now();
    settle(WALL_START as i64 + 2, 0, Some(WALL_START)).await;
    assert!(clock.now() - started < Duration::from_millis(10));
    // A reset far in the future is capped at a day, not forever.
    settle(i64::MAX / 2000, 0, None).await;
    let wait = ledger.admit(Duration::from_secs(1)).await.unwrap_err();
    assert!(wait <= MAX_HEADER_WAIT + Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn a_long_window_only_a_200_said_is_used_up_is_checked_now_and_then_a_429_is_not() {
    let clock = FakeClock::new(WALL_START);
    let ledger = Arc::new(Ledger::new(clock.clone()));
    let meta = |remaining: u64| ResponseMeta {
        rate_limit: Some(RateLimit {
            limit: 60,
            remaining,
            reset: WALL_START as i64 + 86_400,
        }),
        retry_after: None,
        server_date: Some(UNIX_EPOCH + Duration::from_secs(WALL_START)),
        reset_in: None,
        content_encoding: Default::default(),
    };
    // One 200 says the window is used up and resets in a day.
    let used_up = meta(0);
    let ok = Observed::Response {
        status: 200,
        meta: &used_up,
    };
    let max_wait = Duration::from_secs(60);
    ledger.admit(max_wait).await.unwrap().settle(ok);
    // Calls are refused at once, with the wait, for a while...
    assert!(ledger.admit(max_wait).await.unwrap_err() > Duration::from_secs(80_000));
    tokio::time::advance(RECHECK_AFTER - Duration::from_secs(1)).await;
    ledger.admit(max_wait).await.unwrap_err();
    // ... then one goes through to check (it used to be refused for the whole day), and only
    // one per RECHECK_AFTER.
    tokio::time::advance(Duration::from_secs(2)).await;
    let check = ledger.admit(max_wait).await.unwrap();
    ledger.admit(max_wait).await.unwrap_err();
    // The server had reset its window after all: the ledger believes it again.
    let fresh = meta(59);
    check.settle(Observed::Response {
        status: 200,
        meta: &fresh,
    });
    drop(ledger.admit(max_wait).await.unwrap());

    // A 429 saying the same is the server's word: no check before its reset.
    let ledger = Arc::new(Ledger::new(clock.clone()));
    ledger
        .admit(max_wait)
        .await
        .unwrap()
        .settle(Observed::Response {
            status: 429,
            meta: &used_up,
        });
    for _ in 0..5 {
        tokio::time::advance(RECHECK_AFTER).await;
        ledger.admit(max_wait).await.unwrap_err();
    }
}

#[test]
fn the_registry_shares_one_ledger_per_key_and_base_url() {
    let key = ApiKey::parse("dlg_test_registry1", "test").unwrap();
    let other = ApiKey::parse("dlg_test_registry2", "test").unwrap();
    let a = Ledger::shared(&key, "http://127.0.0.1:1/api/v1");
    let b = Ledger::shared(&key, "http://127.0.0.1:1/api/v1");
    let c = Ledger::shared(&other, "http://127.0.0.1:1/api/v1");
    let d = Ledger::shared(&key, "http://127.0.0.1:2/api/v1");
    assert!(Arc::ptr_eq(&a, &b));
    assert!(!Arc::ptr_eq(&a, &c));
    assert!(!Arc::ptr_eq(&a, &d));
}
