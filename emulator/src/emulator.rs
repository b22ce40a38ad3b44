//! The [`Emulator`] handle: starts a server, exposes its controls, stops it on drop.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::error::InvalidArgument;
use crate::faults::FaultRule;
use crate::journal::JournalEntry;
use crate::keys;
use crate::options::EmulatorOptions;
use crate::pipeline::App;
use crate::rate_limit::check_rate_window;
use crate::routes::admin::ADMIN_PREFIX;
use crate::server;
use crate::shared::Shared;

/// A running emulator. It stops when dropped or on [`shutdown`](Emulator::shutdown).
///
/// ```no_run
/// # async fn example() -> std::io::Result<()> {
/// use delegir_emulator::{Emulator, EmulatorOptions};
///
/// let emulator = Emulator::start(EmulatorOptions::default()).await?;
/// let url = format!("{}/agents", emulator.base_url()); // http://127.0.0.1:PORT/api/v1/agents
/// let key = emulator.api_key(); // send as X-API-Key
/// # Ok(()) }
/// ```
pub struct Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    api_key: String,
    shutdown: watch::Sender<bool>,
    runner: Option<Runner>,
}

enum Runner {
    /// Serving on the caller's runtime.
    Task(tokio::task::JoinHandle<()>),
    /// Serving on its own thread and runtime.
    Thread(std::thread::JoinHandle<()>),
}

impl Emulator {
    /// Starts an emulator on the caller's tokio runtime.
    ///
    /// Returns once the socket is bound, so requests can be sent immediately.
    /// An invalid option (a `rate_window` outside 1 ms – [`MAX_RATE_WINDOW`](crate::MAX_RATE_WINDOW))
    /// is an error of kind [`io::ErrorKind::InvalidInput`] wrapping an
    /// [`InvalidArgument`].
    pub async fn start(options: EmulatorOptions) -> io::Result<Emulator> {
        check_options(&options)?;
        let listener = TcpListener::from_std(server::bind(options.host, options.port)?)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(&options));
        let (shutdown, rx) = watch::channel(false);
        let task = tokio::spawn(server::serve(listener, App::new(shared.clone()), rx));
        Ok(Emulator::new(shared, addr, shutdown, Runner::Task(task)))
    }

    /// Starts an emulator on its own OS thread with its own two-worker tokio runtime, for callers
    /// without one (the Python and Node bindings, synchronous tests).
    ///
    /// Invalid options are refused as by [`start`](Emulator::start).
    pub fn start_detached(options: EmulatorOptions) -> io::Result<Emulator> {
        check_options(&options)?;
        let std_listener = server::bind(options.host, options.port)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("delegir-emulator-worker")
            .enable_all()
            .build()?;
        let listener = {
            let _guard = runtime.enter();
            TcpListener::from_std(std_listener)?
        };
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(&options));
        let app = App::new(shared.clone());
        let (shutdown, rx) = watch::channel(false);
        let thread = std::thread::Builder::new()
            .name("delegir-emulator".into())
            .spawn(move || {
                runtime.block_on(server::serve(listener, app, rx));
                runtime.shutdown_timeout(Duration::from_secs(1));
            })?;
        Ok(Emulator::new(
            shared,
            addr,
            shutdown,
            Runner::Thread(thread),
        ))
    }

    fn new(
        shared: Arc<Shared>,
        addr: SocketAddr,
        shutdown: watch::Sender<bool>,
        runner: Runner,
    ) -> Emulator {
        Emulator {
            shared,
            addr,
            api_key: keys::generate(),
            shutdown,
            runner: Some(runner),
        }
    }

    /// The API's base URL, e.g. `http://127.0.0.1:PORT/api/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}{}", self.addr, self.shared.prefix)
    }

    /// The admin API's base URL, e.g. `http://127.0.0.1:PORT/__emulator`.
    pub fn admin_url(&self) -> String {
        format!("http://{}{ADMIN_PREFIX}", self.addr)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A well-formed key made for this instance (`dlg_test_` + 24 letters and digits); the same on
    /// every call.
    pub fn api_key(&self) -> String {
        self.api_key.clone()
    }

    /// Another fresh, unique key: its own copy of the seed data, its own rate-limit window.
    pub fn new_api_key(&self) -> String {
        keys::generate()
    }

    /// Requests received, oldest first; `Some(key)` keeps only that key's.
    pub fn journal(&self, api_key: Option<&str>) -> Vec<JournalEntry> {
        self.shared.journal(api_key)
    }

    /// Empties the journal.
    pub fn clear_journal(&self) {
        self.shared.clear_journal(None);
    }

    /// Queues a fault: the next `rule.count` matching requests get `rule.fault`.
    ///
    /// # Panics
    ///
    /// If the rule is invalid (see [`FaultRule::validate`]), with the reason: a test that
    /// queues a rule that can never apply fails there. Use
    /// [`try_push_fault`](Emulator::try_push_fault) to get the error instead.
    #[track_caller]
    pub fn push_fault(&self, rule: FaultRule) {
        if let Err(e) = self.try_push_fault(rule) {
            panic!("invalid fault rule: {e}");
        }
    }

    /// Queues a fault like [`push_fault`](Emulator::push_fault), or says why the rule is invalid
    /// (the admin API's checks: [`FaultRule::validate`]); nothing is queued then.
    ///
    /// `rule.path` may be below the base URL, as the SDKs' calls name it (`/usage`, `usage`), or
    /// the full path (`/api/v1/usage`), or `"*"`: the prefix is added where it is missing (as
    /// the admin API does).
    pub fn try_push_fault(&self, rule: FaultRule) -> Result<(), InvalidArgument> {
        self.shared.push_fault(rule).map(drop)
    }

    /// Removes every queued fault.
    pub fn clear_faults(&self) {
        self.shared.faults.clear(None);
    }

    /// `None`: all keys' data, rate-limit windows and revocations, all faults and the journal.
    /// `Some(key)`: that key's data, window and revocation, the faults scoped to it and its journal
    /// entries. The rate-limit configuration is kept.
    pub fn reset(&self, api_key: Option<&str>) {
        self.shared.reset(api_key);
    }

    /// Revokes a key: its requests now get 401 "Invalid API key" (until a reset).
    pub fn revoke_key(&self, api_key: &str) {
        self.shared.namespaces.revoke(api_key);
    }

    /// Sets the rate limit (0 = off) and window; if either changed, every key starts a fresh
    /// window.
    ///
    /// # Panics
    ///
    /// If the window is under 1 ms or over [`MAX_RATE_WINDOW`](crate::MAX_RATE_WINDOW) (one
    /// day); [`try_set_rate_limit`](Emulator::try_set_rate_limit) returns the error instead.
    #[track_caller]
    pub fn set_rate_limit(&self, limit: u32, window: Duration) {
        if let Err(e) = self.try_set_rate_limit(limit, window) {
            panic!("invalid rate limit: {e}");
        }
    }

    /// Sets the rate limit like [`set_rate_limit`](Emulator::set_rate_limit), or says why the
    /// window is refused (nothing changes then).
    pub fn try_set_rate_limit(&self, limit: u32, window: Duration) -> Result<(), InvalidArgument> {
        self.shared.set_rate_limit(limit, window)
    }

    /// Stops the server and waits for it (for an emulator started with
    /// [`start`](Emulator::start), waiting needs `.await`: use [`stop`](Emulator::stop); this
    /// only signals it, and the port is released as soon as the runtime next polls the server).
    pub fn shutdown(mut self) {
        self.stop_sync();
    }

    /// Stops the server and waits until it has stopped listening.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        match self.runner.take() {
            Some(Runner::Task(task)) => {
                let _ = task.await;
            }
            Some(Runner::Thread(thread)) => {
                let _ = tokio::task::spawn_blocking(move || thread.join()).await;
            }
            None => {}
        }
    }

    fn stop_sync(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(Runner::Thread(thread)) = self.runner.take()
            && thread.thread().id() != std::thread::current().id()
        {
            let _ = thread.join();
        }
    }
}

fn check_options(options: &EmulatorOptions) -> io::Result<()> {
    check_rate_window(options.rate_window)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop_sync();
    }
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}
