//! The Redis store of the rate-limit ledger: one quota for every process and machine that
//! shares a key.
//!
//! The rules are the in-process ledger's; what processes must agree on — the current window,
//! the smallest `Remaining` seen, the places taken, the order of waiters — lives in Redis under
//! keys derived from a SHA-256 of the API key and base URL (never the key), and changes only
//! inside one Lua script (`scripts/sync.lua`, called by SHA with `EVALSHA` and loaded again on
//! `NOSCRIPT`). Every key expires on its own once nobody uses it.
//!
//! **One round trip for many calls.** A driver task per ledger and process sends, in one script
//! call, every release (with what its response said), every cancelled ticket and every new
//! waiter that accumulated while the previous call was in flight, like a group commit: under
//! load a script call carries many requests, and an idle process pays one call to admit and one
//! to release.
//!
//! **Leases.** A process is an "owner" with a lease renewed by each script call (and by a
//! heartbeat while it holds places and is otherwise idle). When a process dies (SIGKILL) its
//! lease runs out within [`LEASE`] and the next script call of any process frees its places,
//! tickets and probe.
//!
//! **Fairness.** Every waiting call holds a ticket from one counter in Redis; a waiter is
//! admitted only while fewer tickets are ahead of it than places remain, so calls are served in
//! the order they asked, across processes. Waiters poll: at the window's end (Redis's clock, the
//! same for every process), or every [`POLL`] while another process's probe or turn is pending.
//!
//! **Redis trouble never breaks calls.** Every command has a short timeout ([`REDIS_TIMEOUT`]).
//! When one fails, one WARN line says so (with the store URL without its password), calls waiting
//! and coming go to this process's in-process ledger (which kept learning from every response),
//! and every [`RETRY_AFTER_OUTAGE`] a `PING` checks whether Redis is back; then the shared ledger
//! resumes (with a new owner id: places of the old one expire with its lease).

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, LazyLock, OnceLock, Weak};
use std::time::Duration;

use parking_lot::Mutex;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use sha2::{Digest, Sha256};
use tokio::sync::{Notify, oneshot};

use super::memory::{MemoryLedger, RECHECK_AFTER, WindowView};
use super::server_clock::ServerClock;
use super::store::StoreUrl;
use super::{Admission, Observed};
use crate::runtime::{Clock, Instant, SystemClock, process_id};
use crate::secret::ApiKey;
use crate::wire::headers::ResponseMeta;

/// Longest wait for any Redis command (and for connecting) before Redis counts as down.
pub(crate) const REDIS_TIMEOUT: Duration = Duration::from_millis(500);
/// How long a process's places and tickets outlive its last word to Redis.
pub(crate) const LEASE: Duration = Duration::from_secs(4);
/// A process with places in flight and nothing else to say renews its lease this often.
const HEARTBEAT: Duration = Duration::from_secs(1);
/// How often waiters ask again while another process's probe or turn is pending.
pub(crate) const POLL: Duration = Duration::from_millis(10);
/// After an outage, how often a `PING` checks whether Redis is back.
pub(crate) const RETRY_AFTER_OUTAGE: Duration = Duration::from_millis(500);
/// While Redis is down, how long other calls wait for one call's probe before probing too.
const PROBE_PATIENCE: Duration = Duration::from_secs(1);
/// Keys live this long after their last use (plus the rest of the current window).
const KEY_TTL: Duration = Duration::from_secs(600);
/// A wait within this much of `max_wait` is still waited (see memory.rs).
const DATE_RESOLUTION: Duration = Duration::from_secs(1);

static SYNC_SCRIPT: LazyLock<redis::Script> =
    LazyLock::new(|| redis::Script::new(include_str!("scripts/sync.lua")));

/// The Redis ledger of one (key, base URL, store) in this process.
pub(crate) struct RedisLedger {
    store: StoreUrl,
    client: redis::Client,
    keys: Keys,
    clock: Arc<dyn Clock>,
    /// This process's in-process ledger of the same key: used while Redis is unreachable.
    fallback: Arc<MemoryLedger>,
    inner: Mutex<Inner>,
    /// Wakes the driver: a new waiter, a release, a cancellation.
    wake: Notify,
    /// Wakes calls waiting in the fallback when Redis is back.
    recovered: Notify,
}

impl fmt::Debug for RedisLedger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.inner.lock();
        f.debug_struct("RedisLedger")
            .field("store", &self.store)
            .field("up", &matches!(inner.health, Health::Up))
            .field("waiting", &inner.waiters.len())
            .field("held", &inner.held)
            .finish()
    }
}

/// The Redis keys of one ledger (one hash tag, so they live on one cluster slot).
#[derive(Debug, Clone)]
pub(crate) struct Keys([String; 5]);

impl Keys {
    /// Keys for this API key and base URL: a SHA-256 of both, never the key.
    pub(crate) fn new(api_key: &ApiKey, base_url: &str) -> Keys {
        let mut hasher = Sha256::new();
        hasher.update(api_key.expose().as_bytes());
        hasher.update([0]);
        hasher.update(base_url.as_bytes());
        let digest = hasher.finalize();
        let id: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        Keys::with_id(&id)
    }

    pub(crate) fn with_id(id: &str) -> Keys {
        let key = |name: &str| format!("delegir:ratelimit:{{{id}}}:{name}");
        Keys([
            key("state"),
            key("places"),
            key("tickets"),
            key("owners"),
            key("seq"),
        ])
    }

    pub(crate) fn all(&self) -> &[String; 5] {
        &self.0
    }
}

struct Inner {
    health: Health,
    /// Bumped at each outage: admissions of an older generation are forgotten (their places
    /// expire with the old owner's lease).
    generation: u64,
    owner: String,
    next_place: u64,
    next_waiter: u64,
    /// This process's waiters, first come first served.
    waiters: VecDeque<Waiter>,
    releases: Vec<Release>,
    cancelled: Vec<u64>,
    /// Places this process holds in Redis.
    held: usize,
    driver: bool,
    server_clock: ServerClock,
    connection: Option<ConnectionManager>,
    /// Processes sharing the key at the last script call, and the key's limit: while Redis is
    /// down, this process takes only its share of each window (`fallback_admit`).
    peers: u64,
    limit: u64,
    share: Share,
}

/// This process's use of the current window while Redis is down.
#[derive(Debug, Default)]
struct Share {
    reset: i64,
    used: u64,
    /// When a call went to the fallback to probe an unknown window (others wait for its answer).
    probing: Option<Instant>,
}

enum Health {
    Up,
    /// Unreachable: a `PING` every [`RETRY_AFTER_OUTAGE`] waits for it (`recover`).
    Down,
    /// The Redis client could not be made from the URL (the builder checks it, so never in
    /// practice): the fallback for good.
    Broken,
}

struct Waiter {
    id: u64,
    /// Its ticket in Redis, 0 before it has one.
    ticket: u64,
    deadline: Instant,
    reply: oneshot::Sender<Grant>,
}

enum Grant {
    Place(RedisAdmission),
    /// The window resets later than the caller may wait.
    TooLong(Duration),
    /// Redis is unreachable: use the in-process ledger.
    Fallback,
}

/// A released place and what its response said, as the script reads it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Release {
    pub(crate) place: u64,
    pub(crate) probe: bool,
    pub(crate) kind: ReleaseKind,
    pub(crate) is_429: bool,
    /// A 2xx response: if this place was a recheck (see `memory::RECHECK_AFTER`), the window
    /// was not used up after all.
    pub(crate) success: bool,
    pub(crate) reset: i64,
    pub(crate) remaining: u64,
    pub(crate) until_ms: u64,
    pub(crate) retry_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReleaseKind {
    /// A response with rate-limit headers.
    Headers,
    /// A response without them.
    NoHeaders,
    /// No response: taken as spent.
    NoResponse,
    /// Granted but never sent (the caller was gone).
    Unused,
}

impl ReleaseKind {
    fn code(self) -> &'static str {
        match self {
            ReleaseKind::Headers => "r",
            ReleaseKind::NoHeaders => "n",
            ReleaseKind::NoResponse => "x",
            ReleaseKind::Unused => "u",
        }
    }
}

/// What the driver does next.
enum Step {
    Call(SyncRequest, ConnectionManager, Vec<u64>),
    Sleep(Instant),
}

/// One script call's arguments.
#[derive(Debug, Clone, Default)]
pub(crate) struct SyncRequest {
    pub(crate) owner: String,
    /// How long the owner's places and tickets outlive this call ([`LEASE`]).
    pub(crate) lease: Duration,
    /// How often a window that only successful responses said is used up lets one request
    /// through to check it (`memory::RECHECK_AFTER`; shorter in tests).
    pub(crate) recheck_after: Duration,
    pub(crate) next_place: u64,
    /// Ticket of each waiter (0: none yet), in this process's order.
    pub(crate) waiters: Vec<u64>,
    pub(crate) cancelled: Vec<u64>,
    pub(crate) releases: Vec<Release>,
}

/// What the script answered.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SyncReply {
    pub(crate) code: SyncCode,
    /// Until the window's end (code `Window`).
    pub(crate) wait: Duration,
    /// Places left in the window after this call's admissions.
    pub(crate) available: u64,
    /// The (single) admission is the probe.
    pub(crate) probe: bool,
    pub(crate) granted: u64,
    /// Processes with a live lease, this one included (the fallback's share of the quota).
    pub(crate) peers: u64,
    /// Per waiter: `None` if admitted (places `next_place..` in order), else its ticket.
    pub(crate) waiters: Vec<Option<u64>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SyncCode {
    Unlimited,
    Window,
    ProbeOut,
    OthersTurn,
}

/// Runs the script once.
pub(crate) async fn sync(
    connection: &mut ConnectionManager,
    keys: &Keys,
    request: &SyncRequest,
) -> redis::RedisResult<SyncReply> {
    let mut call = SYNC_SCRIPT.prepare_invoke();
    for key in keys.all() {
        call.key(key);
    }
    call.arg(&request.owner)
        .arg(request.lease.as_millis() as u64)
        .arg(KEY_TTL.as_millis() as u64)
        .arg(request.next_place)
        .arg(request.recheck_after.as_millis() as u64)
        .arg(request.waiters.len());
    for ticket in &request.waiters {
        call.arg(*ticket);
    }
    call.arg(request.cancelled.len());
    for ticket in &request.cancelled {
        call.arg(*ticket);
    }
    call.arg(request.releases.len());
    for r in &request.releases {
        call.arg(r.place)
            .arg(u8::from(r.probe))
            .arg(r.kind.code())
            .arg(u8::from(r.is_429))
            .arg(r.reset)
            .arg(r.remaining)
            .arg(r.until_ms)
            .arg(r.retry_ms)
            .arg(u8::from(r.success));
    }
    let raw: Vec<i64> = call.invoke_async(connection).await?;
    parse_reply(&raw, request.waiters.len()).ok_or_else(|| {
        redis::RedisError::from((
            redis::ErrorKind::Parse,
            "unexpected reply from the ledger script",
        ))
    })
}

fn parse_reply(raw: &[i64], waiters: usize) -> Option<SyncReply> {
    let (head, rest) = raw.split_at_checked(6)?;
    if rest.len() != waiters {
        return None;
    }
    let code = match head[0] {
        0 => SyncCode::Unlimited,
        1 => SyncCode::Window,
        2 => SyncCode::ProbeOut,
        3 => SyncCode::OthersTurn,
        _ => return None,
    };
    Some(SyncReply {
        code,
        wait: Duration::from_millis(u64::try_from(head[1]).unwrap_or(0)),
        available: u64::try_from(head[2]).unwrap_or(0),
        probe: head[3] == 1,
        granted: u64::try_from(head[4]).ok()?,
        peers: u64::try_from(head[5]).unwrap_or(1),
        waiters: rest
            .iter()
            .map(|&t| u64::try_from(t).ok().filter(|t| *t > 0))
            .collect(),
    })
}

/// A fresh owner id: random, fixed length (no owner's id is a prefix of another's).
fn new_owner() -> String {
    format!("{:016x}", rand::random::<u64>())
}

type Registry = Mutex<(u32, HashMap<[u8; 32], Weak<RedisLedger>>)>;

impl RedisLedger {
    pub(crate) fn new(
        api_key: &ApiKey,
        base_url: &str,
        store: &StoreUrl,
        clock: Arc<dyn Clock>,
        fallback: Arc<MemoryLedger>,
    ) -> RedisLedger {
        RedisLedger::with_keys(Keys::new(api_key, base_url), store, clock, fallback)
    }

    pub(crate) fn with_keys(
        keys: Keys,
        store: &StoreUrl,
        clock: Arc<dyn Clock>,
        fallback: Arc<MemoryLedger>,
    ) -> RedisLedger {
        // Checked by the builder (StoreUrl::parse); an error here would be a bug, and the
        // ledger then simply stays on its fallback.
        let client = redis::Client::open(store.expose());
        let health = match client {
            Ok(_) => Health::Up,
            Err(_) => Health::Broken,
        };
        let client = client.unwrap_or_else(|_| {
            redis::Client::open("redis://127.0.0.1:1/").expect("a constant URL parses")
        });
        RedisLedger {
            store: store.clone(),
            client,
            keys,
            clock,
            fallback,
            inner: Mutex::new(Inner {
                health,
                generation: 0,
                owner: new_owner(),
                next_place: 0,
                next_waiter: 0,
                waiters: VecDeque::new(),
                releases: Vec::new(),
                cancelled: Vec::new(),
                held: 0,
                driver: false,
                server_clock: ServerClock::default(),
                connection: None,
                peers: 1,
                limit: 0,
                share: Share::default(),
            }),
            wake: Notify::new(),
            recovered: Notify::new(),
        }
    }

    /// The process-wide Redis ledger for this key, base URL and store. After `fork()` the
    /// child starts afresh (the parent's connection belongs to the parent's runtime).
    pub(crate) fn shared(api_key: &ApiKey, base_url: &str, store: &StoreUrl) -> Arc<RedisLedger> {
        static REGISTRY: OnceLock<Registry> = OnceLock::new();
        let mut hasher = Sha256::new();
        hasher.update(api_key.expose().as_bytes());
        hasher.update([0]);
        hasher.update(base_url.as_bytes());
        hasher.update([0]);
        hasher.update(store.expose().as_bytes());
        let id: [u8; 32] = hasher.finalize().into();

        let registry = REGISTRY.get_or_init(|| Mutex::new((process_id(), HashMap::new())));
        let mut guard = registry.lock();
        let (pid, ledgers) = &mut *guard;
        if *pid != process_id() {
            *pid = process_id();
            ledgers.clear();
        }
        if let Some(ledger) = ledgers.get(&id).and_then(Weak::upgrade) {
            return ledger;
        }
        ledgers.retain(|_, weak| weak.strong_count() > 0);
        let ledger = Arc::new(RedisLedger::new(
            api_key,
            base_url,
            store,
            Arc::new(SystemClock),
            MemoryLedger::shared(api_key, base_url),
        ));
        ledgers.insert(id, Arc::downgrade(&ledger));
        ledger
    }

    /// Waits (FIFO across processes) until a request may be sent; `Err(wait)` when the window
    /// resets later than `max_wait`.
    pub(crate) async fn admit(self: &Arc<Self>, max_wait: Duration) -> Result<Admission, Duration> {
        let started = self.clock.now();
        loop {
            // Armed before health is read, so that a recovery in between is not missed.
            let recovered = self.recovered.notified();
            tokio::pin!(recovered);
            recovered.as_mut().enable();
            let queued = {
                let mut inner = self.inner.lock();
                if self.usable(&mut inner) {
                    let (sender, receiver) = oneshot::channel();
                    let id = inner.next_waiter;
                    inner.next_waiter += 1;
                    inner.waiters.push_back(Waiter {
                        id,
                        ticket: 0,
                        deadline: started + max_wait,
                        reply: sender,
                    });
                    self.ensure_driver(&mut inner);
                    Some((id, receiver))
                } else {
                    None
                }
            };
            let Some((id, receiver)) = queued else {
                // Redis is down: this process's ledger, until Redis is back (then the wait
                // moves to the shared ledger, which the fallback would otherwise overrun).
                tokio::select! {
                    admitted = self.fallback_admit(started, max_wait) => return admitted,
                    _ = recovered => continue,
                }
            };
            self.wake.notify_one();
            let mut guard = WaiterGuard {
                ledger: self,
                id,
                armed: true,
            };
            let grant = receiver.await;
            guard.armed = false;
            match grant {
                Ok(Grant::Place(mut admission)) => {
                    admission.used = true;
                    return Ok(Admission::Redis(admission));
                }
                Ok(Grant::TooLong(wait)) => return Err(wait),
                Ok(Grant::Fallback) | Err(_) => continue,
            }
        }
    }

    /// Admission by this process's ledger while Redis is down, within this process's share of
    /// each window (the key's limit divided by the processes that shared it at the last script
    /// call), so that the processes that all fell back do not overrun the quota together.
    async fn fallback_admit(
        &self,
        started: Instant,
        max_wait: Duration,
    ) -> Result<Admission, Duration> {
        loop {
            let now = self.clock.now();
            let left = max_wait.saturating_sub(now - started);
            // The window this call was counted in, if any (see below).
            let mut counted_in = None;
            let wait_until = {
                let mut inner = self.inner.lock();
                // Each process may also send a probe per window: leave room for those.
                let share = (inner.peers > 1 && inner.limit > 0)
                    .then(|| (inner.limit.saturating_sub(inner.peers) / inner.peers).max(1));
                match (share, self.fallback.window()) {
                    (None, _) | (_, WindowView::Unlimited) => None,
                    (Some(share), WindowView::Open { reset, ends_at }) => {
                        if inner.share.reset != reset {
                            inner.share = Share {
                                reset,
                                ..Share::default()
                            };
                        }
                        if inner.share.used < share {
                            inner.share.used += 1;
                            counted_in = Some(reset);
                            None
                        } else {
                            Some(ends_at)
                        }
                    }
                    // One call probes; the others wait for its answer (or a second, if none).
                    (Some(_), WindowView::Unknown) => match inner.share.probing {
                        Some(since) if now < since + PROBE_PATIENCE => Some(now + POLL),
                        _ => {
                            inner.share.probing = Some(now);
                            None
                        }
                    },
                }
            };
            match wait_until {
                None => {
                    let admitted = self.fallback.admit(left).await;
                    // Admitted in a later window than the one it was counted in (it waited in
                    // the fallback past that window's end): its place there is not in this
                    // window's share, so give it back and be counted again. Kept, every call
                    // that waited so would come on top of the new window's share.
                    if let (Ok(_), Some(counted), WindowView::Open { reset, .. }) =
                        (&admitted, counted_in, self.fallback.window())
                        && reset != counted
                    {
                        drop(admitted);
                        continue;
                    }
                    return admitted.map(Admission::Memory);
                }
                Some(at) => {
                    let wait = at.saturating_duration_since(now);
                    if wait > left + DATE_RESOLUTION {
                        return Err(wait);
                    }
                    self.clock.sleep(wait).await;
                }
            }
        }
    }

    /// Whether calls go to Redis now (else to the fallback, while a `PING` loop waits for it).
    fn usable(&self, inner: &mut Inner) -> bool {
        matches!(inner.health, Health::Up)
    }

    /// Starts the driver unless it runs. Outside a runtime (an admission dropped on a foreign
    /// thread) it is left to the next call, which flushes what accumulated.
    fn ensure_driver(self: &Arc<Self>, inner: &mut Inner) {
        if !inner.driver
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            inner.driver = true;
            runtime.spawn(Arc::clone(self).drive());
        }
    }

    /// The connection (made on first use, inside the runtime).
    fn connection(&self, inner: &mut Inner) -> Option<ConnectionManager> {
        if inner.connection.is_none() {
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(REDIS_TIMEOUT))
                .set_response_timeout(Some(REDIS_TIMEOUT))
                .set_number_of_retries(1);
            // rediss:// uses rustls; make sure its provider is the one this crate uses.
            let _ = rustls::crypto::ring::default_provider().install_default();
            inner.connection =
                ConnectionManager::new_lazy_with_config(self.client.clone(), config).ok();
        }
        inner.connection.clone()
    }

    /// The driver: one script call at a time, each carrying everything that accumulated.
    async fn drive(self: Arc<Self>) {
        let mut next_poll: Option<Instant> = None;
        let mut last_call = self.clock.now();
        loop {
            let now = self.clock.now();
            let step = {
                let mut inner = self.inner.lock();
                if !matches!(inner.health, Health::Up) {
                    inner.driver = false;
                    return;
                }
                let fresh = inner.waiters.iter().any(|w| w.ticket == 0);
                let flush = !inner.releases.is_empty() || !inner.cancelled.is_empty();
                let poll = !inner.waiters.is_empty() && next_poll.is_none_or(|at| now >= at);
                // Places and tickets live as long as the owner's lease: renew it while holding any.
                let heartbeat =
                    (inner.held > 0 || !inner.waiters.is_empty()) && now >= last_call + HEARTBEAT;
                if !(fresh || flush || poll || heartbeat) {
                    if inner.waiters.is_empty() && inner.held == 0 {
                        inner.driver = false;
                        return;
                    }
                    let mut until = last_call + HEARTBEAT;
                    if !inner.waiters.is_empty()
                        && let Some(at) = next_poll
                    {
                        until = until.min(at);
                    }
                    Step::Sleep(until)
                } else {
                    match self.connection(&mut inner) {
                        Some(connection) => {
                            let request = SyncRequest {
                                owner: inner.owner.clone(),
                                lease: LEASE,
                                recheck_after: RECHECK_AFTER,
                                next_place: inner.next_place,
                                waiters: inner.waiters.iter().map(|w| w.ticket).collect(),
                                cancelled: std::mem::take(&mut inner.cancelled),
                                releases: std::mem::take(&mut inner.releases),
                            };
                            let batch: Vec<u64> = inner.waiters.iter().map(|w| w.id).collect();
                            Step::Call(request, connection, batch)
                        }
                        None => {
                            self.go_down(&mut inner, "the Redis client could not be made".into());
                            return;
                        }
                    }
                }
            };
            let (request, connection, batch) = match step {
                Step::Call(request, connection, batch) => (request, connection, batch),
                Step::Sleep(until) => {
                    let sleep = self.clock.sleep(until.saturating_duration_since(now));
                    tokio::select! {
                        _ = self.wake.notified() => {}
                        _ = sleep => {}
                    }
                    continue;
                }
            };
            let mut connection = connection;
            let result =
                tokio::time::timeout(REDIS_TIMEOUT, sync(&mut connection, &self.keys, &request))
                    .await;
            last_call = self.clock.now();
            let reply = match result {
                Ok(Ok(reply)) => reply,
                Ok(Err(e)) => {
                    let cause = self.store.scrub(&e.to_string());
                    if refuses_the_ledger(&e) {
                        self.give_up(&mut self.inner.lock(), cause);
                    } else {
                        self.go_down(&mut self.inner.lock(), cause);
                    }
                    return;
                }
                Err(_) => {
                    let cause = format!("no answer within {} ms", REDIS_TIMEOUT.as_millis());
                    self.go_down(&mut self.inner.lock(), cause);
                    return;
                }
            };
            next_poll = self.apply(&request, &batch, &reply);
        }
    }

    /// Hands out what the script granted; returns when waiters left should ask again.
    fn apply(
        self: &Arc<Self>,
        request: &SyncRequest,
        batch: &[u64],
        reply: &SyncReply,
    ) -> Option<Instant> {
        let now = self.clock.now();
        let mut inner = self.inner.lock();
        let generation = inner.generation;
        let mut place = request.next_place;
        inner.next_place = request.next_place + reply.granted;
        inner.peers = reply.peers.max(1);
        inner.held += reply.granted as usize;
        // The window's end, by our clock: waiters whose deadline comes first fail now.
        let window_end =
            (reply.code == SyncCode::Window && reply.available == 0).then_some(reply.wait);
        let mut too_long = Vec::new();
        for (id, outcome) in batch.iter().zip(&reply.waiters) {
            let position = inner.waiters.iter().position(|w| w.id == *id);
            match (*outcome, position) {
                (None, Some(i)) => {
                    let waiter = inner.waiters.remove(i).expect("position is valid");
                    let admission = RedisAdmission {
                        ledger: Arc::clone(self),
                        place,
                        probe: reply.probe,
                        generation,
                        used: false,
                        settled: false,
                    };
                    // A caller that is gone drops the admission, which frees the place.
                    let _ = waiter.reply.send(Grant::Place(admission));
                    place += 1;
                }
                (None, None) => {
                    // Granted to a caller that left meanwhile: free the place.
                    inner.releases.push(Release::unused(place, reply.probe));
                    inner.held = inner.held.saturating_sub(1);
                    place += 1;
                }
                (Some(ticket), Some(i)) => {
                    let waiter = &mut inner.waiters[i];
                    waiter.ticket = ticket;
                    if let Some(wait) = window_end
                        && now + wait > waiter.deadline + DATE_RESOLUTION
                    {
                        too_long.push((i, wait));
                    }
                }
                (Some(ticket), None) => inner.cancelled.push(ticket),
            }
        }
        for (i, wait) in too_long.into_iter().rev() {
            if let Some(waiter) = inner.waiters.remove(i) {
                inner.cancelled.push(waiter.ticket);
                let _ = waiter.reply.send(Grant::TooLong(wait));
            }
        }
        match reply.code {
            SyncCode::Window if reply.available == 0 => Some(now + reply.wait),
            SyncCode::Unlimited => None,
            _ => Some(now + POLL),
        }
    }

    /// Redis answers but refuses the ledger's commands (see [`refuses_the_ledger`]): one WARN
    /// line that says what to change, and the in-process ledger for good. Not an outage: a
    /// `PING` would succeed and the next script call fail again, every half second.
    fn give_up(self: &Arc<Self>, inner: &mut Inner, cause: String) {
        if matches!(inner.health, Health::Up) {
            tracing::warn!(
                target: "delegir",
                store = %self.store,
                "the rate-limit store {} refuses the ledger's commands ({cause}); pacing with \
                 this process's ledger only, for the life of this client (its Redis user needs \
                 EVALSHA, EVAL and SCRIPT)",
                self.store
            );
            inner.health = Health::Broken;
        }
        self.reset(inner);
    }

    /// Redis failed: one WARN line, waiters go to the in-process ledger, a `PING` will tell
    /// when it is back.
    fn go_down(self: &Arc<Self>, inner: &mut Inner, cause: String) {
        if matches!(inner.health, Health::Up) {
            tracing::warn!(
                target: "delegir",
                store = %self.store,
                "the rate-limit store {} is unreachable ({cause}); pacing with this process's \
                 ledger only until it is back",
                self.store
            );
            inner.health = Health::Down;
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(RedisLedger::recover(Arc::downgrade(self)));
            }
        }
        self.reset(inner);
    }

    /// Forgets this process's places in Redis and sends every waiter to the fallback ledger.
    fn reset(&self, inner: &mut Inner) {
        // A fresh connection when Redis is back, made in the runtime that is alive then (the old
        // one may belong to a runtime that has shut down, e.g. another test's).
        inner.connection = None;
        inner.generation += 1;
        inner.owner = new_owner();
        inner.next_place = 0;
        inner.held = 0;
        inner.releases.clear();
        inner.cancelled.clear();
        inner.driver = false;
        for waiter in inner.waiters.drain(..) {
            let _ = waiter.reply.send(Grant::Fallback);
        }
    }

    /// While down: a `PING` every [`RETRY_AFTER_OUTAGE`] until Redis answers (or the ledger is
    /// dropped), then the shared ledger resumes. It does not wait for calls to come by: calls
    /// waiting in the fallback do not ask.
    async fn recover(ledger: Weak<RedisLedger>) {
        loop {
            tokio::time::sleep(RETRY_AFTER_OUTAGE).await;
            let Some(ledger) = ledger.upgrade() else {
                return;
            };
            let Some(mut connection) = ledger.connection(&mut ledger.inner.lock()) else {
                return;
            };
            // After a restart the first command may only find the old connection dead (and start
            // a new one): ask twice.
            let mut ok = false;
            for _ in 0..2 {
                let ping = redis::cmd("PING");
                let answer = ping.query_async::<String>(&mut connection);
                if let Ok(Ok(_)) = tokio::time::timeout(REDIS_TIMEOUT, answer).await {
                    ok = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            if ok {
                tracing::info!(
                    target: "delegir",
                    store = %ledger.store,
                    "the rate-limit store {} is reachable again; the shared ledger resumes",
                    ledger.store
                );
                ledger.inner.lock().health = Health::Up;
                ledger.recovered.notify_waiters();
                return;
            }
        }
    }

    /// Turns what came back into a release (and tells the fallback ledger too).
    fn release_of(&self, place: u64, probe: bool, observed: Observed<'_>) -> Release {
        match observed {
            Observed::Response { status, meta } => {
                self.fallback.learn(status, meta);
                let mut inner = self.inner.lock();
                if let Some(date) = meta.server_date {
                    inner.server_clock.learn(date, self.clock.as_ref());
                }
                if let Some(rl) = meta.rate_limit {
                    inner.limit = rl.limit;
                    // What this process used of the window, should Redis go away within it.
                    if inner.share.reset != rl.reset {
                        inner.share = Share {
                            reset: rl.reset,
                            ..Share::default()
                        };
                    }
                    inner.share.used += 1;
                }
                Release::of_response(
                    place,
                    probe,
                    status,
                    meta,
                    &inner.server_clock,
                    &*self.clock,
                )
            }
            Observed::NoResponse => Release {
                kind: ReleaseKind::NoResponse,
                ..Release::unused(place, probe)
            },
        }
    }
}

impl Release {
    fn unused(place: u64, probe: bool) -> Release {
        Release {
            place,
            probe,
            kind: ReleaseKind::Unused,
            is_429: false,
            success: false,
            reset: 0,
            remaining: 0,
            until_ms: 0,
            retry_ms: -1,
        }
    }

    pub(crate) fn of_response(
        place: u64,
        probe: bool,
        status: u16,
        meta: &ResponseMeta,
        server_clock: &ServerClock,
        clock: &dyn Clock,
    ) -> Release {
        let retry_ms = meta
            .retry_after
            .map_or(-1, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        match meta.rate_limit {
            Some(rl) => Release {
                place,
                probe,
                kind: ReleaseKind::Headers,
                is_429: status == 429,
                success: (200..300).contains(&status),
                reset: rl.reset,
                remaining: rl.remaining,
                until_ms: server_clock.until_reset(rl.reset, clock).as_millis() as u64,
                retry_ms,
            },
            None => Release {
                place,
                probe,
                kind: ReleaseKind::NoHeaders,
                is_429: status == 429,
                success: (200..300).contains(&status),
                reset: 0,
                remaining: 0,
                until_ms: 0,
                retry_ms,
            },
        }
    }
}

/// Removes a waiter that is dropped while it waits (a cancelled call), and its ticket.
struct WaiterGuard<'a> {
    ledger: &'a Arc<RedisLedger>,
    id: u64,
    armed: bool,
}

impl Drop for WaiterGuard<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let mut inner = self.ledger.inner.lock();
        if let Some(i) = inner.waiters.iter().position(|w| w.id == self.id)
            && let Some(waiter) = inner.waiters.remove(i)
            && waiter.ticket != 0
        {
            inner.cancelled.push(waiter.ticket);
            drop(inner);
            self.ledger.wake.notify_one();
        }
    }
}

/// A place in Redis. Settle it with what came back; dropping it unsettled releases it (as
/// spent, unless it was never handed to the caller).
pub(crate) struct RedisAdmission {
    ledger: Arc<RedisLedger>,
    place: u64,
    probe: bool,
    generation: u64,
    /// Handed to the caller (who may have sent the request).
    used: bool,
    settled: bool,
}

impl fmt::Debug for RedisAdmission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisAdmission")
            .field("place", &self.place)
            .field("probe", &self.probe)
            .finish()
    }
}

impl RedisAdmission {
    /// Records what the response said and releases the place.
    pub(crate) fn settle(mut self, observed: Observed<'_>) {
        self.settled = true;
        let release = self.ledger.release_of(self.place, self.probe, observed);
        self.finish(release);
    }

    fn finish(&self, release: Release) {
        let ledger = &self.ledger;
        let mut inner = ledger.inner.lock();
        if inner.generation != self.generation || !matches!(inner.health, Health::Up) {
            return; // an outage came between: that owner's places expire with its lease
        }
        inner.held = inner.held.saturating_sub(1);
        inner.releases.push(release);
        ledger.ensure_driver(&mut inner);
        drop(inner);
        ledger.wake.notify_one();
    }
}

impl Drop for RedisAdmission {
    fn drop(&mut self) {
        if !self.settled {
            let release = if self.used {
                Release {
                    kind: ReleaseKind::NoResponse,
                    ..Release::unused(self.place, self.probe)
                }
            } else {
                Release::unused(self.place, self.probe)
            };
            self.finish(release);
        }
    }
}

/// Whether Redis refused the ledger's commands rather than failed to answer them: a user
/// without the right to run scripts (`NOPERM`), or `EVALSHA` renamed away (`unknown command`).
/// Neither heals by itself.
fn refuses_the_ledger(e: &redis::RedisError) -> bool {
    match e.kind() {
        redis::ErrorKind::Server(redis::ServerErrorKind::NoPerm) => true,
        redis::ErrorKind::Server(redis::ServerErrorKind::ResponseError) => {
            let text = e.to_string().to_ascii_lowercase();
            text.contains("unknown command") || text.contains("unknown subcommand")
        }
        _ => false,
    }
}

#[cfg(test)]
#[path = "redis_tests.rs"]
mod tests;
