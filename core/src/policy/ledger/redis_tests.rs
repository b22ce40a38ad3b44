//! The Redis store against a real `redis-server` (started here on a free port; installed by
//! `scripts/ensure-debs.sh redis-server:redis-server`, which scripts/test-rust.sh calls): the
//! script's decisions between several owners (processes), then whole ledgers sharing a quota,
//! falling back when Redis is gone and resuming when it is back.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::*;
use crate::models::RateLimit;

/// A `redis-server` of its own, stopped when dropped.
struct RedisServer {
    child: Child,
    port: u16,
}

fn redis_binary() -> String {
    for candidate in [
        "/usr/bin/redis-server",
        "/usr/sbin/redis-server",
        "/usr/local/bin/redis-server",
    ] {
        if std::path::Path::new(candidate).exists() {
            return candidate.to_owned();
        }
    }
    "redis-server".to_owned()
}

impl RedisServer {
    fn start() -> RedisServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        RedisServer::start_on(port, &[])
    }

    fn start_on(port: u16, extra: &[&str]) -> RedisServer {
        let child = Command::new(redis_binary())
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .args(extra)
            .args(["--appendonly", "no", "--daemonize", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "redis-server must be installed for these tests: \
                 bash scripts/ensure-debs.sh redis-server:redis-server",
            );
        let server = RedisServer { child, port };
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("redis-server did not listen on port {port}");
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn connect(server: &RedisServer) -> ConnectionManager {
    let client = redis::Client::open(server.url()).unwrap();
    ConnectionManager::new(client).await.unwrap()
}

fn keys(name: &str) -> Keys {
    Keys::with_id(name)
}

/// A response's release: `remaining` left in the window that resets in `until_ms`.
fn headers(place: u64, probe: bool, status: u16, remaining: u64, until_ms: u64) -> Release {
    Release {
        place,
        probe,
        kind: ReleaseKind::Headers,
        is_429: status == 429,
        success: (200..300).contains(&status),
        reset: 1_900_000_000,
        remaining,
        until_ms,
        retry_ms: -1,
    }
}

fn request(owner: &str, next_place: u64, waiters: Vec<u64>, releases: Vec<Release>) -> SyncRequest {
    SyncRequest {
        owner: owner.to_owned(),
        lease: LEASE,
        recheck_after: RECHECK_AFTER,
        next_place,
        waiters,
        cancelled: Vec::new(),
        releases,
    }
}

#[tokio::test]
async fn the_first_waiter_probes_alone_and_its_answer_opens_the_window_for_every_process() {
    let server = RedisServer::start();
    let mut c = connect(&server).await;
    let k = keys("probe");
    let a = sync(
        &mut c,
        &k,
        &request("aaaaaaaaaaaaaaaa", 0, vec![0, 0], vec![]),
    )
    .await
    .unwrap();
    assert_eq!((a.code, a.granted, a.probe), (SyncCode::ProbeOut, 1, true));
    assert_eq!(a.waiters[0], None, "the first waiter is the probe");
    let a_second = a.waiters[1].expect("the second waits with a ticket");
    // Another process asks while the probe is out: it waits too.
    let b = sync(
        &mut c,
        &k,
        &request("bbbbbbbbbbbbbbbb", 0, vec![0, 0, 0], vec![]),
    )
    .await
    .unwrap();
    assert_eq!((b.code, b.granted), (SyncCode::ProbeOut, 0));
    // The probe's answer: 3 remain. A's waiter came first, then two of B's.
    let a = sync(
        &mut c,
        &k,
        &request(
            "aaaaaaaaaaaaaaaa",
            1,
            vec![a_second],
            vec![headers(0, true, 200, 3, 2000)],
        ),
    )
    .await
    .unwrap();
    assert_eq!((a.code, a.granted), (SyncCode::Window, 1));
    let tickets: Vec<u64> = b.waiters.iter().map(|t| t.unwrap()).collect();
    let b = sync(&mut c, &k, &request("bbbbbbbbbbbbbbbb", 0, tickets, vec![]))
        .await
        .unwrap();
    assert_eq!((b.code, b.granted, b.available), (SyncCode::Window, 2, 0));
    assert!(
        b.waiters[2].is_some(),
        "the third of B waits for the next window"
    );
    assert!(b.wait > Duration::from_millis(1900) && b.wait <= Duration::from_millis(2005));
}

#[tokio::test]
async fn a_429_recorded_by_another_process_closes_the_window_until_its_reset() {
    let server = RedisServer::start();
    let mut c = connect(&server).await;
    let k = keys("429");
    sync(&mut c, &k, &request("aaaaaaaaaaaaaaaa", 0, vec![0], vec![]))
        .await
        .unwrap();
    let mut answer = headers(0, true, 429, 7, 1500);
    answer.retry_ms = 3000;
    sync(
        &mut c,
        &k,
        &request("aaaaaaaaaaaaaaaa", 1, vec![], vec![answer]),
    )
    .await
    .unwrap();
    let b = sync(&mut c, &k, &request("bbbbbbbbbbbbbbbb", 0, vec![0], vec![]))
        .await
        .unwrap();
    assert_eq!((b.code, b.granted, b.available), (SyncCode::Window, 0, 0));
    // Retry-After (3 s) is later than the reset: the later one holds.
    assert!(b.wait > Duration::from_millis(2900), "{:?}", b.wait);
}

#[tokio::test]
async fn a_429s_retry_after_before_its_reset_is_when_the_window_opens_again() {
    let server = RedisServer::start();
    let mut c = connect(&server).await;
    let k = keys("429-retry-after");
    sync(&mut c, &k, &request("aaaaaaaaaaaaaaaa", 0, vec![0], vec![]))
        .await
        .unwrap();
    let mut answer = headers(0, true, 429, 0, 120_000);
    answer.retry_ms = 2000;
    sync(
        &mut c,
        &k,
        &request("aaaaaaaaaaaaaaaa", 1, vec![], vec![answer]),
    )
    .await
    .unwrap();
    let b = sync(&mut c, &k, &request("bbbbbbbbbbbbbbbb", 0, vec![0], vec![]))
        .await
        .unwrap();
    assert_eq!((b.code, b.granted), (SyncCode::Window, 0));
    assert!(b.wait <= Duration::from_millis(2010), "{:?}", b.wait);
}

#[tokio::test]
async fn when_the_window_passes_one_probe_goes_first_and_it_is_the_head_of_the_line() {
    let server = RedisServer::start();
    let mut c = connect(&server).await;
    let k = keys("passing");
    sync(&mut c, &k, &request("aaaaaaaaaaaaaaaa", 0, vec![0], vec![]))
        .await
        .unwrap();
    let a = sync(
        &mut c,
        &k,
        &request(
            "aaaaaaaaaaaaaaaa",
            1,
            vec![0],
            vec![headers(0, true, 200, 0, 200)],
        ),
    )
    .await
    .unwrap();
    assert_eq!((a.code, a.granted), (SyncCode::Window, 0));
    let a_ticket = a.waiters[0].unwrap();
    let b = sync(&mut c, &k, &request("bbbbbbbbbbbbbbbb", 0, vec![0], vec![]))
        .await
        .unwrap();
    let b_ticket = b.waiters[0].unwrap();
    tokio::time::sleep(Duration::from_millis(260)).await;
    // The window has passed. B asks first, but A's waiter is first in line: A probes.
    let b = sync(
        &mut c,
        &k,
        &request("bbbbbbbbbbbbbbbb", 0, vec![b_ticket], vec![]),
    )
    .await
    .unwrap();
    assert_eq!((b.code, b.granted), (SyncCode::OthersTurn, 0));
    let a = sync(
        &mut c,
        &k,
        &request("aaaaaaaaaaaaaaaa", 1, vec![a_ticket], vec![]),
    )
    .await
    .unwrap();
    assert_eq!((a.code, a.granted, a.probe), (SyncCode::ProbeOut, 1, true));
    let b = sync(
        &mut c,
        &k,
        &request("bbbbbbbbbbbbbbbb", 0, vec![b_ticket], vec![]),
    )
    .await
    .unwrap();
    assert_eq!((b.code, b.granted), (SyncCode::ProbeOut, 0));
}

#[tokio::test]
async fn a_dead_process_frees_its_places_and_probe_when_its_lease_runs_out() {
    let server = RedisServer::start();
    let mut c = connect(&server).await;
    let k = keys("lease");
    let short = |owner: &str, next: u64, waiters: Vec<u64>, releases: Vec<Release>| SyncRequest {
        lease: Duration::from_millis(300),
        ..request(owner, next, waiters, releases)
    };
    sync(&mut c, &k, &short("aaaaaaaaaaaaaaaa", 0, vec![0], vec![]))
        .await
        .unwrap();
    sync(
        &mut c,
        &k,
        &short(
            "aaaaaaaaaaaaaaaa",
            1,
            vec![],
            vec![headers(0, true, 200, 4, 60_000)],
        ),
    )
    .await
    .unwrap();
    // A takes all four places and dies with them (and with a waiter in line).
    let a = sync(
        &mut c,
        &k,
        &short("aaaaaaaaaaaaaaaa", 1, vec![0; 5], vec![]),
    )
    .await
    .unwrap();
    assert_eq!(a.granted, 4);
    let b = sync(&mut c, &k, &short("bbbbbbbbbbbbbbbb", 0, vec![0], vec![]))
        .await
        .unwrap();
    assert_eq!(b.granted, 0);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let b = sync(
        &mut c,
        &k,
        &short("bbbbbbbbbbbbbbbb", 0, vec![b.waiters[0].unwrap()], vec![]),
    )
    .await
    .unwrap();
    assert_eq!((b.granted, b.available), (1, 3), "A's places came back");
}

#[tokio::test]
async fn a_server_without_rate_limit_headers_admits_everyone_and_no_response_counts_as_spent() {
    let server = RedisServer::start();
    let mut c = connect(&server).await;
    let k = keys("unlimited");
    sync(&mut c, &k, &request("aaaaaaaaaaaaaaaa", 0, vec![0], vec![]))
        .await
        .unwrap();
    let none = Release {
        kind: ReleaseKind::NoHeaders,
        ..headers(0, true, 200, 0, 0)
    };
    let a = sync(
        &mut c,
        &k,
        &request("aaaaaaaaaaaaaaaa", 1, vec![0; 50], vec![none]),
    )
    .await
    .unwrap();
    assert_eq!((a.code, a.granted), (SyncCode::Unlimited, 50));

    let k = keys("spent");
    sync(&mut c, &k, &request("aaaaaaaaaaaaaaaa", 0, vec![0], vec![]))
        .await
        .unwrap();
    let lost = Release {
        kind: ReleaseKind::NoResponse,
        ..headers(1, false, 0, 0, 0)
    };
    sync(
        &mut c,
        &k,
        &request(
            "aaaaaaaaaaaaaaaa",
            1,
            vec![0],
            vec![headers(0, true, 200, 3, 60_000)],
        ),
    )
    .await
    .unwrap();
    let a = sync(
        &mut c,
        &k,
        &request("aaaaaaaaaaaaaaaa", 2, vec![], vec![lost]),
    )
    .await
    .unwrap();
    assert_eq!(
        a.available, 2,
        "3 remained, one lost request is taken as spent"
    );
}

#[tokio::test]
async fn the_script_is_loaded_again_after_a_flush_and_keys_expire_and_hide_the_key() {
    let server = RedisServer::start();
    let mut c = connect(&server).await;
    let key = ApiKey::parse("dlg_test_secretkey123", "test").unwrap();
    let k = Keys::new(&key, "http://127.0.0.1:1/api/v1");
    for name in k.all() {
        assert!(!name.contains("secretkey123"), "{name}");
    }
    sync(&mut c, &k, &request("aaaaaaaaaaaaaaaa", 0, vec![0], vec![]))
        .await
        .unwrap();
    let _: () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query_async(&mut c)
        .await
        .unwrap();
    sync(
        &mut c,
        &k,
        &request(
            "aaaaaaaaaaaaaaaa",
            1,
            vec![],
            vec![headers(0, true, 200, 9, 2000)],
        ),
    )
    .await
    .unwrap();
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&k.all()[0])
        .query_async(&mut c)
        .await
        .unwrap();
    assert!(
        ttl > 0 && ttl <= (KEY_TTL + Duration::from_secs(3)).as_millis() as i64,
        "{ttl}"
    );
}

// ---- whole ledgers ---------------------------------------------------------------------

/// A fixed-window server on the real clock (windows aligned to `window_ms`).
struct Server {
    limit: u64,
    window_ms: u64,
    counts: parking_lot::Mutex<HashMap<u64, u64>>,
    accepted: AtomicU64,
    rejected: AtomicU64,
}

impl Server {
    fn new(limit: u64, window_ms: u64) -> Arc<Server> {
        Arc::new(Server {
            limit,
            window_ms,
            counts: Default::default(),
            accepted: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
        })
    }

    fn handle(&self) -> (u16, ResponseMeta) {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let window = now_ms / self.window_ms;
        let reset = ((window + 1) * self.window_ms).div_ceil(1000) as i64;
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
        let meta = ResponseMeta {
            rate_limit: Some(RateLimit {
                limit: self.limit,
                remaining: self.limit - (*used).min(self.limit),
                reset,
            }),
            retry_after: None,
            server_date: Some(UNIX_EPOCH + Duration::from_secs(now_ms / 1000)),
            reset_in: None,
            ..Default::default()
        };
        (status, meta)
    }
}

fn ledger(store: &str, id: &str) -> Arc<RedisLedger> {
    let store = StoreUrl::parse(store, "test").unwrap();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    Arc::new(RedisLedger::with_keys(
        keys(id),
        &store,
        clock.clone(),
        Arc::new(MemoryLedger::new(clock)),
    ))
}

async fn call(ledger: &Arc<RedisLedger>, server: &Server) -> Admitted {
    let admission = ledger.admit(Duration::from_secs(30)).await.unwrap();
    let kind = match &admission {
        Admission::Redis(_) => Admitted::Redis,
        Admission::Memory(_) => Admitted::Memory,
    };
    tokio::time::sleep(Duration::from_millis(2)).await;
    let (status, meta) = server.handle();
    admission.settle(Observed::Response {
        status,
        meta: &meta,
    });
    kind
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Admitted {
    Redis,
    Memory,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_one_quota_without_429s_and_in_turn() {
    let redis = RedisServer::start();
    // Two ledgers on one key are two processes: each has its own owner id and waiters.
    let (a, b) = (
        ledger(&redis.url(), "shared"),
        ledger(&redis.url(), "shared"),
    );
    let server = Server::new(10, 1000);
    let counts = Arc::new([AtomicU64::new(0), AtomicU64::new(0)]);
    let started = std::time::Instant::now();
    let mut tasks = Vec::new();
    for (p, l) in [(0usize, a.clone()), (1, b.clone())] {
        for _ in 0..5 {
            let (l, server, counts) = (l.clone(), server.clone(), counts.clone());
            tasks.push(tokio::spawn(async move {
                while started.elapsed() < Duration::from_millis(3500) {
                    assert_eq!(call(&l, &server).await, Admitted::Redis);
                    counts[p].fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(server.rejected.load(Ordering::Relaxed), 0, "429s");
    let (ca, cb) = (
        counts[0].load(Ordering::Relaxed),
        counts[1].load(Ordering::Relaxed),
    );
    // 3.5 s at 10 per second: at least 3 full windows.
    assert!(ca + cb >= 30, "{ca} + {cb}");
    assert!(ca * 3 >= cb && cb * 3 >= ca, "unfair shares: {ca} / {cb}");
}

#[tokio::test]
async fn redis_unreachable_falls_back_at_once_and_resumes_when_it_is_back() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let l = ledger(&format!("redis://:hunter2pw@127.0.0.1:{port}/0"), "outage");
    let server = Server::new(1000, 1000);
    let started = std::time::Instant::now();
    for _ in 0..20 {
        assert_eq!(call(&l, &server).await, Admitted::Memory);
    }
    assert!(
        started.elapsed() < REDIS_TIMEOUT * 2,
        "{:?}",
        started.elapsed()
    );
    assert!(!format!("{l:?}").contains("hunter2pw"));

    // Redis comes up: within a retry interval the ledger is shared again.
    let mut redis = RedisServer::start_on(port, &["--requirepass", "hunter2pw"]);
    let back = std::time::Instant::now();
    loop {
        if call(&l, &server).await == Admitted::Redis {
            break;
        }
        assert!(back.elapsed() < RETRY_AFTER_OUTAGE * 4, "never resumed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Lost mid-run: the next calls go on locally, without hanging.
    redis.stop();
    let lost = std::time::Instant::now();
    for _ in 0..10 {
        call(&l, &server).await;
    }
    assert!(lost.elapsed() < REDIS_TIMEOUT * 3, "{:?}", lost.elapsed());
    assert_eq!(call(&l, &server).await, Admitted::Memory);
}

/// A Redis that answers but refuses the ledger's script (a user without EVALSHA): the fallback
/// for good, not an outage that a `PING` ends every half second (which logged a WARN and an
/// INFO each time, and sent every waiter back and forth).
#[tokio::test]
async fn a_redis_that_refuses_the_script_is_given_up_not_retried() {
    let redis = RedisServer::start_on(
        TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port(),
        &[
            "--user",
            "default",
            "on",
            "nopass",
            "~*",
            "&*",
            "+@all",
            "--user",
            "noeval",
            "on",
            ">noevalpw",
            "~*",
            "&*",
            "+@all",
            "-eval",
            "-evalsha",
            "-script",
        ],
    );
    let l = ledger(
        &format!("redis://noeval:noevalpw@127.0.0.1:{}/0", redis.port),
        "noeval",
    );
    let server = Server::new(1000, 1000);
    for _ in 0..5 {
        assert_eq!(call(&l, &server).await, Admitted::Memory);
    }
    // Past the outage's retry interval a PING would have found Redis "back".
    tokio::time::sleep(RETRY_AFTER_OUTAGE * 3).await;
    let shown = format!("{l:?}");
    assert!(shown.contains("up: false"), "{shown}");
    assert!(!shown.contains("noevalpw"), "{shown}");
    assert_eq!(call(&l, &server).await, Admitted::Memory);
}

#[test]
fn refusals_are_told_from_outages() {
    let refusal =
        |kind, text: &'static str| redis::RedisError::from((kind, "refused", text.into()));
    assert!(!refuses_the_ledger(&redis::RedisError::from(
        std::io::Error::from(std::io::ErrorKind::ConnectionReset)
    )));
    assert!(!refuses_the_ledger(&refusal(
        redis::ErrorKind::Server(redis::ServerErrorKind::BusyLoading),
        "LOADING Redis is loading the dataset in memory"
    )));
    assert!(refuses_the_ledger(&refusal(
        redis::ErrorKind::Server(redis::ServerErrorKind::NoPerm),
        "this user has no permissions to run the 'evalsha' command"
    )));
}

#[tokio::test]
async fn a_cancelled_waiter_gives_its_ticket_back() {
    let redis = RedisServer::start();
    let l = ledger(&redis.url(), "cancel");
    let first = l.admit(Duration::from_secs(10)).await.unwrap(); // the probe, held
    let gave_up =
        tokio::time::timeout(Duration::from_millis(100), l.admit(Duration::from_secs(10))).await;
    assert!(gave_up.is_err());
    drop(first);
    let mut c = connect(&redis).await;
    let k = keys("cancel");
    for _ in 0..100 {
        let tickets: u64 = redis::cmd("ZCARD")
            .arg(&k.all()[2])
            .query_async(&mut c)
            .await
            .unwrap();
        let places: u64 = redis::cmd("ZCARD")
            .arg(&k.all()[1])
            .query_async(&mut c)
            .await
            .unwrap();
        if tickets == 0 && places == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the cancelled waiter's ticket or the dropped place stayed in Redis");
}

#[tokio::test]
async fn a_window_only_a_200_said_is_used_up_is_rechecked_once_per_interval_and_a_429s_is_not() {
    let server = RedisServer::start();
    let mut c = connect(&server).await;
    let recheck = Duration::from_millis(300);
    let with_recheck =
        |owner: &str, next: u64, waiters: Vec<u64>, releases: Vec<Release>| SyncRequest {
            recheck_after: recheck,
            ..request(owner, next, waiters, releases)
        };
    // The probe's 200 says nothing remains in a window ten minutes long.
    let k = keys("recheck");
    sync(
        &mut c,
        &k,
        &with_recheck("aaaaaaaaaaaaaaaa", 0, vec![0], vec![]),
    )
    .await
    .unwrap();
    let a = sync(
        &mut c,
        &k,
        &with_recheck(
            "aaaaaaaaaaaaaaaa",
            1,
            vec![0],
            vec![headers(0, true, 200, 0, 600_000)],
        ),
    )
    .await
    .unwrap();
    assert_eq!((a.code, a.granted), (SyncCode::Window, 0), "{a:?}");
    let ticket = a.waiters[0].expect("waits: the window is used up");
    // Once the interval has passed without a response, one request goes to check it, and
    // only one (another process asks too).
    tokio::time::sleep(recheck + Duration::from_millis(50)).await;
    let a = sync(
        &mut c,
        &k,
        &with_recheck("aaaaaaaaaaaaaaaa", 1, vec![ticket], vec![]),
    )
    .await
    .unwrap();
    assert_eq!(a.granted, 1, "the recheck: {a:?}");
    let b = sync(
        &mut c,
        &k,
        &with_recheck("bbbbbbbbbbbbbbbb", 0, vec![0], vec![]),
    )
    .await
    .unwrap();
    assert_eq!(b.granted, 0, "one recheck per interval: {b:?}");
    // The server took it and says 5 remain: the window is open again (not min(5, 0)).
    let a = sync(
        &mut c,
        &k,
        &with_recheck(
            "aaaaaaaaaaaaaaaa",
            2,
            vec![0, 0],
            vec![headers(1, false, 200, 5, 600_000)],
        ),
    )
    .await
    .unwrap();
    assert_eq!((a.code, a.granted), (SyncCode::Window, 2), "{a:?}");

    // A 429's word is never checked so.
    let k = keys("recheck-429");
    sync(
        &mut c,
        &k,
        &with_recheck("aaaaaaaaaaaaaaaa", 0, vec![0], vec![]),
    )
    .await
    .unwrap();
    let a = sync(
        &mut c,
        &k,
        &with_recheck(
            "aaaaaaaaaaaaaaaa",
            1,
            vec![0],
            vec![headers(0, true, 429, 0, 600_000)],
        ),
    )
    .await
    .unwrap();
    let ticket = a.waiters[0].expect("waits after the 429");
    tokio::time::sleep(recheck + Duration::from_millis(50)).await;
    let a = sync(
        &mut c,
        &k,
        &with_recheck("aaaaaaaaaaaaaaaa", 1, vec![ticket], vec![]),
    )
    .await
    .unwrap();
    assert_eq!((a.code, a.granted), (SyncCode::Window, 0), "{a:?}");
}
