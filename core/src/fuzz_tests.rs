//! Fuzzing of what the network controls: response bodies, status codes and the `Retry-After`,
//! `X-RateLimit-*` and `Date` headers, through envelope decoding, header parsing, the retry
//! module's rate-limit wait and the rate-limit ledger.
//!
//! Nightly `cargo fuzz` is not assumed: this is a proptest whose case count is bounded for
//! `cargo test` (`PROPTEST_CASES`, default 1,000). `scripts/fuzz.sh` runs it for minutes by setting
//! `DELEGIR_FUZZ_SECONDS` and prints the number of executions. Each execution checks that nothing
//! panics, that every error is the right kind with a bounded excerpt, and that no wait derived
//! from headers is longer than [`MAX_HEADER_WAIT`] (a `Duration` cannot be negative or NaN; the
//! conversions that would panic on such values are what is exercised).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::header::{HeaderMap, HeaderValue};
use parking_lot::Mutex;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

use crate::decode::{self, EXCERPT_CHARS};
use crate::error::ErrorKind;
use crate::models::{
    Agent, AgentDetail, ChatReply, DeletedAgent, Run, RunPage, UpdatedAgent, Usage,
};
use crate::policy::ledger::{MemoryLedger as Ledger, Observed};
use crate::policy::retry;
use crate::runtime::{BoxFuture, Clock};
use crate::wire::headers::{self, MAX_HEADER_WAIT, ResponseMeta};

// ------------------------------------------------------------------------------------------
// Inputs

const HEADER_NAMES: [&str; 5] = [
    "retry-after",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "date",
];

/// One header value: garbage, near-valid numbers and dates, extremes.
fn header_value() -> impl Strategy<Value = Option<String>> {
    let http_date = (0u64..=253_402_300_799)
        .prop_map(|secs| httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(secs)));
    let near_now = (-200_000i64..200_000).prop_map(|delta| {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        (now + delta).to_string()
    });
    proptest::option::weighted(
        0.8,
        prop_oneof![
            ".{0,40}",
            "[0-9 .eE+-]{0,24}",
            any::<i64>().prop_map(|v| v.to_string()),
            any::<u64>().prop_map(|v| v.to_string()),
            any::<f64>().prop_map(|v| v.to_string()),
            prop::sample::select(vec![
                "NaN",
                "inf",
                "-inf",
                "-0",
                "1e309",
                "-1e309",
                "0.0000001",
                "18446744073709551616",
                "99999999999999999999999",
                " 7 ",
                "",
                "Sun, 06 Nov 1994 08:49:37 GMT",
            ])
            .prop_map(str::to_owned),
            http_date,
            near_now,
        ],
    )
}

fn header_map() -> impl Strategy<Value = Vec<Option<String>>> {
    prop::collection::vec(header_value(), HEADER_NAMES.len())
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|v| json!(v)),
        any::<f64>().prop_map(|v| json!(v)),
        ".{0,20}".prop_map(Value::String),
        prop::sample::select(vec![
            "active",
            "paused",
            "2026-03-15T08:30:00Z",
            "agt_abc123"
        ])
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "id",
                    "name",
                    "status",
                    "data",
                    "error",
                    "runs",
                    "total",
                    "limit",
                    "offset",
                    "created_at",
                    "runId",
                    "tokensUsed",
                    "config",
                    "channels",
                    "x",
                ])
                .prop_map(str::to_owned),
                inner,
                0..8
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Valid bodies of every shape, to be mutated.
fn valid_bodies() -> Vec<Value> {
    let agent = json!({"id": "agt_abc123", "name": "Support", "status": "active",
        "safety_mode": true, "template": null, "total_runs": 3,
        "last_active": "2026-03-15T08:30:00Z", "created_at": "2026-01-10T14:00:00Z"});
    let mut detail = agent.clone();
    detail["config"] =
        json!({"model": "m", "system_prompt": "p", "temperature": 0.7, "max_tokens": 5});
    detail["channels"] = json!(["webchat"]);
    let run = json!({"id": "run_1", "status": "completed", "tokens_used": 1, "cost": 0.1,
        "duration_ms": 5, "created_at": "2026-03-15T08:30:00Z"});
    vec![
        json!({"data": [agent]}),
        json!({"data": detail}),
        json!({"data": {"id": "agt_abc123", "name": "n", "status": "paused", "updated_at": "2026-03-15T08:30:00Z"}}),
        json!({"data": {"deleted": true, "id": "agt_abc123"}}),
        json!({"data": {"response": "hi", "runId": "run_2", "tokensUsed": 4}}),
        json!({"data": {"runs": [run], "total": 1, "limit": 20, "offset": 0}}),
        json!({"data": {"plan": "PRO", "runs_used": 1, "runs_limit": 2, "tokens_this_month": 3,
            "cost_this_month": 0.5, "billing_period_start": "2026-03-01T00:00:00Z",
            "billing_period_end": "2026-03-31T23:59:59Z"}}),
        json!({"error": "Agent not found"}),
    ]
}

/// A body: random bytes, random JSON, or a valid body truncated, with a byte changed, or with
/// one field replaced by random JSON.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let bodies = valid_bodies();
    let mutated = (
        prop::sample::select(bodies.clone()),
        any::<prop::sample::Index>(),
        any::<u8>(),
        0u8..3,
    )
        .prop_map(|(value, at, byte, how)| {
            let mut bytes = serde_json::to_vec(&value).unwrap();
            let i = at.index(bytes.len());
            match how {
                0 => bytes.truncate(i),
                1 => bytes[i] = byte,
                _ => bytes.insert(i, byte),
            }
            bytes
        });
    let replaced = (
        prop::sample::select(bodies),
        json_value(),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(mut value, replacement, at)| {
            if let Some(data) = value.get_mut("data").and_then(Value::as_object_mut)
                && !data.is_empty()
            {
                let key = data.keys().nth(at.index(data.len())).unwrap().clone();
                data.insert(key, replacement);
            } else {
                value["data"] = replacement;
            }
            serde_json::to_vec(&value).unwrap()
        });
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..400),
        json_value().prop_map(|v| serde_json::to_vec(&json!({"data": v})).unwrap()),
        json_value().prop_map(|v| serde_json::to_vec(&json!({"error": v})).unwrap()),
        json_value().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        mutated,
        replaced,
    ]
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        prop::sample::select(vec![
            200u16, 201, 204, 301, 302, 400, 401, 404, 408, 418, 429, 500, 502, 503, 504
        ]),
        100u16..=599,
        any::<u16>(),
    ]
}

// ------------------------------------------------------------------------------------------
// One execution

/// A clock whose sleeps return at once and advance it, so the ledger's waits cost nothing and
/// can be measured; a wait that never ends trips the step limit.
struct VirtualClock {
    start: Instant,
    wall_start: SystemTime,
    advanced: Mutex<(Duration, u32)>,
}

impl VirtualClock {
    fn waited(&self) -> Duration {
        self.advanced.lock().0
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> Instant {
        self.start + self.advanced.lock().0
    }
    fn wall(&self) -> SystemTime {
        self.wall_start + self.advanced.lock().0
    }
    fn sleep(&self, duration: Duration) -> BoxFuture {
        let mut advanced = self.advanced.lock();
        advanced.0 += duration;
        advanced.1 += 1;
        assert!(advanced.1 < 10_000, "the ledger waits without end");
        Box::pin(std::future::ready(()))
    }
}

/// Polls a future whose waits are all virtual to completion; one that stays pending would wait
/// for a wake-up that never comes.
fn block_on<F: std::future::Future>(future: F) -> Result<F::Output, TestCaseError> {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    for _ in 0..10_000 {
        if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return Ok(out);
        }
    }
    Err(TestCaseError::fail("the ledger never admits"))
}

/// The longest a derived wait may be (plus the ledger's margins).
const BOUND: Duration = MAX_HEADER_WAIT.saturating_add(Duration::from_secs(2));

fn check_error(e: &crate::Error, status: u16) -> Result<(), TestCaseError> {
    prop_assert!(
        e.kind() == ErrorKind::ResponseValidation || e.kind() == ErrorKind::from_status(status),
        "kind {:?} for status {status}",
        e.kind()
    );
    prop_assert!(
        e.body_excerpt()
            .is_none_or(|x| x.chars().count() <= EXCERPT_CHARS)
    );
    prop_assert!(e.retry_after().is_none_or(|w| w <= BOUND));
    let _ = (e.to_string(), format!("{e:?}"));
    Ok(())
}

fn decode_all(status: u16, body: &[u8], meta: &ResponseMeta) -> Result<(), TestCaseError> {
    macro_rules! each {
        ($($t:ty),*) => {$(
            if let Err(e) = decode::data::<$t>(status, body, meta, retry::CHAT_MAY_EXIST_NOTE) {
                prop_assert_eq!(e.kind(), ErrorKind::ResponseValidation);
                prop_assert_eq!(e.status(), Some(status));
                check_error(&e, status)?;
            }
        )*};
    }
    each!(
        Vec<Agent>,
        AgentDetail,
        UpdatedAgent,
        DeletedAgent,
        ChatReply,
        RunPage,
        Usage,
        Option<Vec<Run>>
    );
    Ok(())
}

fn execute(
    (status, body, values, local, settle): (u16, Vec<u8>, Vec<Option<String>>, u64, bool),
) -> Result<(), TestCaseError> {
    let mut map = HeaderMap::new();
    for (name, value) in HEADER_NAMES.iter().zip(&values) {
        if let Some(v) = value.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
            map.insert(*name, v);
        }
    }
    let local_now = UNIX_EPOCH + Duration::from_secs(local);

    // Header parsing and the waits derived from it.
    let meta = headers::parse_at(&map, local_now);
    for wait in [
        meta.retry_after,
        meta.reset_in,
        headers::rate_limit_wait(&meta),
        retry::rate_limit_wait(&meta),
    ]
    .into_iter()
    .flatten()
    {
        prop_assert!(wait <= MAX_HEADER_WAIT, "wait {wait:?}");
        prop_assert!(
            (wait + retry::rate_limit_jitter())
                .as_secs_f64()
                .is_finite()
        );
    }
    if let Some(rl) = meta.rate_limit {
        prop_assert!((1_000_000_000..=9_999_999_999).contains(&rl.reset));
    }
    let _ = headers::parse(&map);

    // Decoding, as a success and as an error.
    decode_all(status, &body, &meta)?;
    let e = decode::api_error(status, &body, &meta, retry::rate_limit_wait(&meta), "");
    check_error(&e, status)?;
    // Whatever the body, an error status is the status error of its status.
    prop_assert_eq!(e.kind(), ErrorKind::from_status(status));
    prop_assert!(e.retry_after().is_none() || status == 429);
    let _ = decode::excerpt(&body);

    // The ledger fed this response: the next admission waits a bounded time, or says how long.
    let clock = Arc::new(VirtualClock {
        start: Instant::now(),
        wall_start: local_now,
        advanced: Mutex::new((Duration::ZERO, 0)),
    });
    let ledger = Arc::new(Ledger::new(clock.clone()));
    let first = block_on(ledger.admit(Duration::ZERO))?
        .map_err(|w| TestCaseError::fail(format!("an empty ledger refused ({w:?})")))?;
    if settle {
        first.settle(Observed::Response {
            status,
            meta: &meta,
        });
    } else {
        first.settle(Observed::NoResponse);
    }
    match block_on(ledger.admit(Duration::ZERO))? {
        Ok(_) => prop_assert!(clock.waited() <= BOUND, "waited {:?}", clock.waited()),
        Err(wait) => prop_assert!(wait <= BOUND, "refused with {wait:?}"),
    }
    let patient = block_on(ledger.admit(BOUND))?;
    prop_assert!(patient.is_ok(), "refused within the longest wait");
    prop_assert!(clock.waited() <= BOUND * 2, "waited {:?}", clock.waited());
    Ok(())
}

/// Runs the fuzz target: `PROPTEST_CASES` cases (default 1,000), or, with
/// `DELEGIR_FUZZ_SECONDS`, batches until that many seconds have passed. Prints the executions.
#[test]
fn responses_and_headers_from_the_network_never_panic_or_mean_an_unbounded_wait() {
    let seconds: Option<u64> = std::env::var("DELEGIR_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok());
    let cases: u32 = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000);
    let executions = AtomicU64::new(0);
    let started = Instant::now();
    let strategy = (
        status(),
        body(),
        header_map(),
        0u64..=253_402_300_799,
        any::<bool>(),
    );
    loop {
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        });
        let result = runner.run(&strategy, |input| {
            executions.fetch_add(1, Ordering::Relaxed);
            execute(input)
        });
        if let Err(e) = result {
            panic!("fuzz failure after {executions:?} executions: {e}");
        }
        if seconds.is_none_or(|s| started.elapsed() >= Duration::from_secs(s)) {
            break;
        }
    }
    println!(
        "fuzz: {} executions in {:.1} s, no panic, every wait bounded",
        executions.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
}
