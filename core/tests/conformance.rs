//! The Rust runner of the cross-language conformance suite: every scenario of
//! `tests/conformance/*.json` (format in `tests/README.md`) against a fresh emulator. All
//! scenarios run (a few at a time), and every failure is reported by the scenario's name; a
//! scenario this runner cannot run fails too.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use delegir::{
    AgentConfigUpdate, AgentStatus, AgentUpdate, Client, Error, ErrorKind, ExtraParams,
    RequestOptions,
};
use delegir_emulator::{Emulator, EmulatorOptions, FaultRule};
use futures::StreamExt;
use serde_json::{Map, Value, json};

const PREFIX: &str = "/api/v1";
/// Scenarios run at once (each has its own emulator; waits dominate, not CPU).
const PARALLEL: usize = 4;

fn scenario_dir() -> PathBuf {
    std::env::var_os("DELEGIR_CONFORMANCE_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance"),
        PathBuf::from,
    )
}

fn load_scenarios() -> Vec<Value> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(scenario_dir())
        .expect("the scenario directory exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut scenarios = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let doc: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", file.display()));
        scenarios.extend(doc["scenarios"].as_array().cloned().unwrap_or_default());
    }
    scenarios
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_conformance_scenario_passes() {
    let scenarios = load_scenarios();
    assert!(scenarios.len() >= 50, "only {} scenarios", scenarios.len());
    let results: Vec<(String, Result<(), String>)> = futures::stream::iter(scenarios)
        .map(|s| async move {
            let name = s["name"].as_str().unwrap_or("<unnamed>").to_owned();
            let outcome = tokio::time::timeout(Duration::from_secs(120), run(&s))
                .await
                .unwrap_or_else(|_| Err("did not finish within 120 s".into()));
            (name, outcome)
        })
        .buffer_unordered(PARALLEL)
        .collect()
        .await;
    let failures: Vec<String> = results
        .iter()
        .filter_map(|(name, r)| r.as_ref().err().map(|e| format!("  {name}: {e}")))
        .collect();
    println!(
        "conformance (rust): {} of {} scenarios pass",
        results.len() - failures.len(),
        results.len()
    );
    assert!(
        failures.is_empty(),
        "{} scenario(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ------------------------------------------------------------------------------------------
// One scenario

struct Ctx {
    emulator: Emulator,
    second: Option<Emulator>,
    client: Client,
}

const KNOWN_SETUP: [&str; 6] = [
    "rate_limit",
    "client",
    "before",
    "revoke_key",
    "second_emulator",
    "faults",
];

async fn run(s: &Value) -> Result<(), String> {
    let setup = s.get("setup").cloned().unwrap_or(json!({}));
    for key in obj(&setup).keys() {
        if !KNOWN_SETUP.contains(&key.as_str()) {
            return Err(format!("unknown setup key {key:?}"));
        }
    }
    let (limit, window_ms) = match setup.get("rate_limit") {
        Some(rl) => (
            rl["limit"].as_u64().unwrap_or(0) as u32,
            rl.get("window_ms")
                .and_then(Value::as_u64)
                .unwrap_or(60_000),
        ),
        None => (0, 60_000),
    };
    let emulator = Emulator::start(EmulatorOptions {
        rate_limit: limit,
        rate_window: Duration::from_millis(window_ms),
        ..EmulatorOptions::default()
    })
    .await
    .map_err(|e| e.to_string())?;
    let second = if setup["second_emulator"].as_bool().unwrap_or(false) {
        Some(
            Emulator::start(EmulatorOptions::default())
                .await
                .map_err(|e| e.to_string())?,
        )
    } else {
        None
    };
    let mut builder = Client::builder()
        .api_key(emulator.api_key())
        .base_url(emulator.base_url());
    for (key, value) in &obj(setup.get("client").unwrap_or(&json!({}))) {
        builder = match key.as_str() {
            "max_retries" => builder.max_retries(value.as_u64().ok_or("max_retries")? as u32),
            "timeout" => builder.timeout(secs(value)?),
            "max_rate_limit_wait" => builder.max_rate_limit_wait(secs(value)?),
            "rate_limit" => builder.rate_limit(value.as_bool().ok_or("rate_limit")?),
            "total_timeout" => builder.total_timeout(secs(value)?),
            "default_headers" => {
                for (name, v) in &obj(value) {
                    builder = builder.default_header(name, v.as_str().ok_or("header value")?);
                }
                builder
            }
            "default_query" => {
                for (name, v) in &obj(value) {
                    builder = builder.default_query(name, v.as_str().ok_or("query value")?);
                }
                builder
            }
            other => return Err(format!("unknown client option {other:?}")),
        };
    }
    let client = builder.build().map_err(|e| format!("client: {e:?}"))?;
    let ctx = Ctx {
        emulator,
        second,
        client,
    };

    for before in setup["before"].as_array().cloned().unwrap_or_default() {
        let call = before["call"].as_str().ok_or("before without call")?;
        call_api(&ctx.client, call, &before["args"])
            .await
            .map_err(|e| format!("before {call}: {e}"))?;
    }
    if setup["revoke_key"].as_bool().unwrap_or(false) {
        ctx.emulator.revoke_key(&ctx.emulator.api_key());
    }
    ctx.emulator.clear_journal();
    for rule in setup["faults"].as_array().cloned().unwrap_or_default() {
        ctx.emulator.push_fault(fault_rule(&ctx, rule)?);
    }

    let options = s.get("options").cloned().unwrap_or(json!({}));
    let mut request = RequestOptions::default();
    // Extra headers are checked when added: a refused one is the call's outcome.
    let mut extra: Result<ExtraParams, Error> = Ok(ExtraParams::new());
    for (key, value) in &obj(&options) {
        match key.as_str() {
            "timeout" => request.timeout = Some(secs(value)?),
            "max_retries" => {
                request.max_retries = Some(value.as_u64().ok_or("max_retries")? as u32)
            }
            "total_timeout" => request.total_timeout = Some(secs(value)?),
            "extra_headers" => {
                for (name, v) in &obj(value) {
                    let v = v.as_str().ok_or("header value")?.to_owned();
                    extra = extra.and_then(|x| x.header(name, &v));
                }
            }
            "extra_query" => {
                for (name, v) in &obj(value) {
                    let v = v.as_str().ok_or("query value")?.to_owned();
                    extra = extra.map(|x| x.query(name, v));
                }
            }
            "extra_body" => {
                for (name, v) in &obj(value) {
                    extra = extra.map(|x| x.body_field(name, v.clone()));
                }
            }
            other => return Err(format!("unknown call option {other:?}")),
        }
    }
    let call = s["call"].as_str().ok_or("no call")?;
    let started = Instant::now();
    let outcome = match extra {
        Ok(extra) => {
            let client = ctx.client.with_options(request.with_extra(extra));
            call_api(&client, call, &s["args"]).await
        }
        Err(e) => Err(Failure::Api(e)),
    };
    let elapsed = started.elapsed().as_secs_f64();
    check(&ctx, &s["expect"], outcome, elapsed).await
}

fn fault_rule(ctx: &Ctx, mut rule: Value) -> Result<FaultRule, String> {
    if let Some(second) = &ctx.second {
        let text = rule
            .to_string()
            .replace("{{second_base_url}}", &second.base_url());
        rule = serde_json::from_str(&text).unwrap();
    }
    let path = rule["path"].as_str().ok_or("fault without path")?;
    if path != "*" {
        rule["path"] = Value::String(format!("{PREFIX}{path}"));
    }
    serde_json::from_value(rule).map_err(|e| format!("fault rule: {e}"))
}

// ------------------------------------------------------------------------------------------
// Calls

/// What a call produced: the result as snake_case JSON, or the error.
enum Failure {
    Api(Error),
    Runner(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Api(e) => write!(f, "{e:?}"),
            Failure::Runner(m) => f.write_str(m),
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Api(e)
    }
}

type Outcome = Result<Value, Failure>;

fn to_json<T: serde::Serialize>(value: T) -> Value {
    snake_keys(serde_json::to_value(value).unwrap())
}

fn str_arg<'a>(args: &'a Value, name: &str) -> Result<&'a str, Failure> {
    args[name]
        .as_str()
        .ok_or_else(|| Failure::Runner(format!("argument {name:?} missing or not a string")))
}

fn int_arg(args: &Value, name: &str) -> Result<Option<i64>, Failure> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| Failure::Runner(format!("argument {name:?} is not an integer"))),
    }
}

fn only_args(args: &Value, allowed: &[&str]) -> Result<(), Failure> {
    for key in obj(args).keys() {
        if !allowed.contains(&key.as_str()) {
            return Err(Failure::Runner(format!("unknown argument {key:?}")));
        }
    }
    Ok(())
}

fn update_arg(args: &Value) -> Result<AgentUpdate, Failure> {
    let mut update = AgentUpdate {
        name: args["name"].as_str().map(str::to_owned),
        status: args["status"].as_str().map(|s| match s {
            "active" => AgentStatus::Active,
            "paused" => AgentStatus::Paused,
            other => AgentStatus::Other(other.to_owned()),
        }),
        config: None,
    };
    if let Some(config) = args.get("config") {
        let mut c = AgentConfigUpdate::default();
        for (key, value) in &obj(config) {
            match key.as_str() {
                "model" => c.model = value.as_str().map(str::to_owned),
                "system_prompt" => c.system_prompt = value.as_str().map(str::to_owned),
                "temperature" => c.temperature = value.as_f64(),
                "max_tokens" => c.max_tokens = value.as_u64(),
                other => return Err(Failure::Runner(format!("unknown config field {other:?}"))),
            }
        }
        update.config = Some(c);
    }
    Ok(update)
}

async fn drain_runs(
    client: &Client,
    id: &str,
    page_size: Option<i64>,
) -> Result<Vec<Value>, Error> {
    let mut pager = client.agents().runs_pager(id, page_size);
    let mut runs = Vec::new();
    while let Some(page) = pager.next_page().await? {
        runs.extend(page.into_iter().map(to_json));
    }
    Ok(runs)
}

fn call_api<'a>(
    client: &'a Client,
    call: &'a str,
    args: &'a Value,
) -> futures::future::BoxFuture<'a, Outcome> {
    Box::pin(async move {
        let agents = client.agents();
        let none = json!({});
        let args = if args.is_null() { &none } else { args };
        match call {
            "agents.list" => {
                only_args(args, &[])?;
                Ok(to_json(agents.list().await?))
            }
            "agents.get" => {
                only_args(args, &["id"])?;
                Ok(to_json(agents.get(str_arg(args, "id")?).await?))
            }
            "agents.update" => {
                only_args(args, &["id", "name", "status", "config"])?;
                let update = update_arg(args)?;
                Ok(to_json(agents.update(str_arg(args, "id")?, &update).await?))
            }
            "agents.delete" => {
                only_args(args, &["id"])?;
                Ok(to_json(agents.delete(str_arg(args, "id")?).await?))
            }
            "agents.chat" => {
                only_args(args, &["id", "message"])?;
                let reply = agents
                    .chat(str_arg(args, "id")?, str_arg(args, "message")?)
                    .await?;
                Ok(to_json(reply))
            }
            "agents.runs.list" => {
                only_args(args, &["id", "limit", "offset"])?;
                // Signed values, as a binding receives them: the public check turns them into
                // a RunsQuery (which cannot hold a negative offset).
                let query = delegir::validate::runs_query(
                    int_arg(args, "limit")?,
                    int_arg(args, "offset")?,
                )?;
                Ok(to_json(agents.runs(str_arg(args, "id")?, query).await?))
            }
            "agents.runs.iter" => {
                only_args(args, &["id", "page_size"])?;
                let runs =
                    drain_runs(client, str_arg(args, "id")?, int_arg(args, "page_size")?).await?;
                Ok(Value::Array(runs))
            }
            "usage.get" => {
                only_args(args, &[])?;
                Ok(to_json(client.usage().get().await?))
            }
            "compound.concurrent" => concurrent(client, args).await,
            "compound.paginate_while_chatting" => paginate_while_chatting(client, args).await,
            other => Err(Failure::Runner(format!("unknown call {other:?}"))),
        }
    })
}

async fn concurrent(client: &Client, args: &Value) -> Outcome {
    only_args(args, &["call", "args", "count"])?;
    let call = str_arg(args, "call")?;
    let count = int_arg(args, "count")?.unwrap_or(1);
    let inner = &args["args"];
    let outcomes =
        futures::future::join_all((0..count).map(|_| call_api(client, call, inner))).await;
    let mut errors = BTreeMap::<String, u64>::new();
    let mut succeeded = 0;
    for outcome in outcomes {
        match outcome {
            Ok(_) => succeeded += 1,
            Err(Failure::Api(e)) => *errors.entry(class_of(&e).to_owned()).or_default() += 1,
            Err(runner) => return Err(runner),
        }
    }
    let failed: u64 = errors.values().sum();
    Ok(json!({ "succeeded": succeeded, "failed": failed, "errors": errors }))
}

async fn paginate_while_chatting(client: &Client, args: &Value) -> Outcome {
    only_args(args, &["id", "page_size", "message"])?;
    let id = str_arg(args, "id")?;
    let message = str_arg(args, "message")?;
    let page_size = int_arg(args, "page_size")?.unwrap_or(100);
    let initial_total = client
        .agents()
        .runs(id, delegir::validate::runs_query(Some(1), None)?)
        .await?
        .total;
    let mut pager = client.agents().runs_pager(id, Some(page_size));
    let mut yielded: Vec<String> = Vec::new();
    let mut created: HashSet<String> = HashSet::new();
    while let Some(page) = pager.next_page().await? {
        for run in page {
            yielded.push(run.id);
            if yielded.len() as i64 % page_size == 0 {
                created.insert(client.agents().chat(id, message).await?.run_id);
            }
        }
    }
    let everything = drain_runs(client, id, None).await?;
    let seen: HashSet<&String> = yielded.iter().collect();
    let duplicates = yielded.len() - seen.len();
    let missing = everything
        .iter()
        .filter_map(|r| r["id"].as_str())
        .filter(|rid| !seen.contains(&rid.to_string()) && !created.contains(*rid))
        .count();
    let yielded_new = yielded.iter().filter(|r| created.contains(*r)).count();
    Ok(json!({
        "initial_total": initial_total,
        "yielded": yielded.len(),
        "duplicates": duplicates,
        "missing": missing,
        "chats": created.len(),
        "yielded_new": yielded_new,
    }))
}

// ------------------------------------------------------------------------------------------
// Expectations

/// The design's class name for an error of the Rust SDK.
fn class_of(e: &Error) -> &'static str {
    match e.kind() {
        ErrorKind::InvalidArgument => "ArgumentError",
        ErrorKind::BadRequest => "BadRequestError",
        ErrorKind::Authentication => "AuthenticationError",
        ErrorKind::NotFound => "NotFoundError",
        ErrorKind::RateLimited => "RateLimitError",
        ErrorKind::InternalServer => "InternalServerError",
        ErrorKind::ApiStatus => "APIStatusError",
        ErrorKind::Connection => "APIConnectionError",
        ErrorKind::Timeout => "APITimeoutError",
        ErrorKind::ResponseValidation => "APIResponseValidationError",
        ErrorKind::Configuration => "DelegirError",
        _ => "unknown ErrorKind",
    }
}

const KNOWN_EXPECT: [&str; 10] = [
    "last_request",
    "result",
    "length",
    "first",
    "error",
    "journal",
    "journal_total",
    "journal_outcomes",
    "second_journal_total",
    "elapsed",
];

async fn check(ctx: &Ctx, expect: &Value, outcome: Outcome, elapsed: f64) -> Result<(), String> {
    for key in obj(expect).keys() {
        if !KNOWN_EXPECT.contains(&key.as_str()) {
            return Err(format!("unknown expect key {key:?}"));
        }
    }
    if let Some(want) = expect.get("error") {
        let e = match outcome {
            Ok(v) => return Err(format!("expected an error, got a result: {}", brief(&v))),
            Err(Failure::Runner(m)) => return Err(m),
            Err(Failure::Api(e)) => e,
        };
        check_error(want, &e)?;
    } else {
        let value = outcome.map_err(|e| format!("expected a result, got {e}"))?;
        if let Some(want) = expect.get("result") {
            matches(want, &value, "result")?;
        }
        if let Some(n) = expect.get("length") {
            let len = value.as_array().map(Vec::len);
            if len.map(|l| l as u64) != n.as_u64() {
                return Err(format!("length: expected {n}, got {len:?}"));
            }
        }
        if let Some(want) = expect.get("first") {
            let first = value
                .get(0)
                .ok_or("first: the result is not a non-empty list")?;
            matches(want, first, "first")?;
        }
    }
    check_journal(ctx, expect).await?;
    if let Some(want) = expect.get("last_request") {
        // Polled like the journal: the emulator records a request when it finishes.
        let deadline = Instant::now() + Duration::from_secs(5);
        while let Err(message) = check_last_request(ctx, want) {
            if Instant::now() >= deadline {
                return Err(message);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    if let Some(bounds) = expect.get("elapsed") {
        within(bounds, elapsed, "elapsed")?;
    }
    Ok(())
}

fn check_error(want: &Value, e: &Error) -> Result<(), String> {
    for (key, value) in &obj(want) {
        match key.as_str() {
            "class" => {
                if value.as_str() != Some(class_of(e)) {
                    return Err(format!(
                        "class: expected {value}, got {} ({e:?})",
                        class_of(e)
                    ));
                }
            }
            "status" => {
                if value.as_u64().map(|s| s as u16) != e.status() {
                    return Err(format!("status: expected {value}, got {:?}", e.status()));
                }
            }
            "retry_after" => {
                let got = e
                    .retry_after()
                    .ok_or_else(|| format!("retry_after: expected {value}, got none ({e:?})"))?;
                within(value, got.as_secs_f64(), "retry_after")?;
            }
            "may_have_reached_server" => {
                if value.as_bool() != Some(e.may_have_reached_server()) {
                    return Err(format!(
                        "may_have_reached_server: expected {value}, got {} ({e:?})",
                        e.may_have_reached_server()
                    ));
                }
            }
            "message_contains" => {
                let part = value.as_str().unwrap_or_default();
                if !e.message().contains(part) {
                    return Err(format!("message {:?} lacks {part:?}", e.message()));
                }
            }
            other => return Err(format!("unknown error expectation {other:?}")),
        }
    }
    Ok(())
}

/// `last_request`: the headers (subset, lowercase names), query parameters (as a map) and
/// JSON body (subset) of the last request the key sent.
fn check_last_request(ctx: &Ctx, want: &Value) -> Result<(), String> {
    let entries = ctx.emulator.journal(Some(&ctx.emulator.api_key()));
    let last = entries.last().ok_or("last_request: nothing was sent")?;
    for (key, value) in &obj(want) {
        match key.as_str() {
            "headers" => {
                let got: Map<String, Value> = last
                    .headers
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect();
                matches(value, &Value::Object(got), "last_request.headers")?;
            }
            "query" => {
                let got: Map<String, Value> =
                    url::form_urlencoded::parse(last.query.as_deref().unwrap_or("").as_bytes())
                        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                        .collect();
                if &Value::Object(got.clone()) != value {
                    return Err(format!("last_request.query: expected {value}, got {got:?}"));
                }
            }
            "body" => {
                let got: Value = serde_json::from_str(last.body.as_deref().unwrap_or("null"))
                    .map_err(|e| format!("last_request.body is not JSON: {e}"))?;
                matches(value, &got, "last_request.body")?;
            }
            other => return Err(format!("unknown last_request expectation {other:?}")),
        }
    }
    Ok(())
}

/// Compares the journal to the expectations, polling for up to 5 s (the emulator journals a
/// request when it finishes).
async fn check_journal(ctx: &Ctx, expect: &Value) -> Result<(), String> {
    let key = ctx.emulator.api_key();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let result = journal_mismatch(ctx, &key, expect);
        match result {
            Some(message) if Instant::now() < deadline => {
                let _ = message;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Some(message) => return Err(message),
            None => return Ok(()),
        }
    }
}

fn journal_mismatch(ctx: &Ctx, key: &str, expect: &Value) -> Option<String> {
    let entries = ctx.emulator.journal(Some(key));
    if let Some(want) = expect.get("journal") {
        for (route, n) in &obj(want) {
            let count = entries
                .iter()
                .filter(|e| {
                    let path = e.path.strip_prefix(PREFIX).unwrap_or(&e.path);
                    format!("{} {path}", e.method) == *route
                })
                .count();
            if Some(count as u64) != n.as_u64() {
                return Some(format!(
                    "journal {route}: expected {n}, got {count} ({})",
                    summary(&entries)
                ));
            }
        }
    }
    if let Some(n) = expect.get("journal_total")
        && Some(entries.len() as u64) != n.as_u64()
    {
        return Some(format!(
            "journal_total: expected {n}, got {} ({})",
            entries.len(),
            summary(&entries)
        ));
    }
    if let Some(want) = expect.get("journal_outcomes") {
        for (outcome, n) in &obj(want) {
            let count = entries.iter().filter(|e| e.outcome == *outcome).count();
            if Some(count as u64) != n.as_u64() {
                return Some(format!(
                    "journal outcome {outcome}: expected {n}, got {count}"
                ));
            }
        }
    }
    if let Some(n) = expect.get("second_journal_total") {
        let got = ctx.second.as_ref().map_or(0, |s| s.journal(None).len());
        if Some(got as u64) != n.as_u64() {
            return Some(format!("second_journal_total: expected {n}, got {got}"));
        }
    }
    None
}

fn summary(entries: &[delegir_emulator::JournalEntry]) -> String {
    entries
        .iter()
        .map(|e| format!("{} {} {:?} {}", e.method, e.path, e.status, e.outcome))
        .collect::<Vec<_>>()
        .join("; ")
}

fn within(bounds: &Value, got: f64, what: &str) -> Result<(), String> {
    let min = bounds.get("min").and_then(Value::as_f64);
    let max = bounds.get("max").and_then(Value::as_f64);
    if min.is_some_and(|m| got < m) || max.is_some_and(|m| got > m) {
        return Err(format!("{what}: {got:.3} s not within {bounds}"));
    }
    Ok(())
}

/// Subset match (see tests/README.md).
fn matches(want: &Value, got: &Value, path: &str) -> Result<(), String> {
    let fail = || Err(format!("{path}: expected {want}, got {}", brief(got)));
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (key, value) in w {
                let inner = g
                    .get(key)
                    .ok_or_else(|| format!("{path}.{key}: missing in {}", brief(got)))?;
                matches(value, inner, &format!("{path}.{key}"))?;
            }
            Ok(())
        }
        (Value::Array(w), Value::Array(g)) => {
            if w.len() != g.len() {
                return fail();
            }
            for (i, (a, b)) in w.iter().zip(g).enumerate() {
                matches(a, b, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => Ok(()),
        (Value::String(a), Value::String(b)) if a == b || same_instant(a, b) => Ok(()),
        (a, b) if a == b => Ok(()),
        _ => fail(),
    }
}

fn same_instant(a: &str, b: &str) -> bool {
    use time::format_description::well_known::Rfc3339;
    match (
        time::OffsetDateTime::parse(a, &Rfc3339),
        time::OffsetDateTime::parse(b, &Rfc3339),
    ) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

// ------------------------------------------------------------------------------------------
// Small helpers

fn obj(value: &Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

fn secs(value: &Value) -> Result<Duration, String> {
    value
        .as_f64()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{value} is not a number of seconds"))
}

fn brief(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 300 {
        format!("{}…", text.chars().take(300).collect::<String>())
    } else {
        text
    }
}

/// `runId` → `run_id`, recursively (the Rust models serialize the wire's camelCase names).
fn snake_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (snake(&k), snake_keys(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(snake_keys).collect()),
        other => other,
    }
}

fn snake(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
