//! The rate-limit ledger: paces requests so that they do not meet 429s in the first place.
//!
//! One set of rules (see `memory.rs`): a request is sent only while `in_flight < remaining` in
//! the current window, others wait in FIFO order for the window to reset; with nothing known one
//! probe goes first; a 429 closes the window until its reset; cancelling releases the place.
//! Two stores keep the state those rules read:
//!
//! - [`MemoryLedger`]: in this process, shared by every client of one key and base URL (the
//!   default, and the only one on WebAssembly);
//! - `RedisLedger` (`redis.rs`, with the option `rate_limit_store`): in Redis, shared by every
//!   process and machine that uses the key. Its state changes atomically in one Lua script
//!   (`scripts/sync.lua`); when Redis is unreachable it hands calls to this process's
//!   [`MemoryLedger`] until Redis is back.
//!
//! [`Ledger`] is an enum rather than a trait object: the in-process path is a match away from
//! what it was before there were two stores, with no boxing or dynamic call per request.

use std::sync::Arc;
use std::time::Duration;

use crate::config::Config;
use crate::wire::headers::ResponseMeta;

pub(crate) mod memory;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod redis;
mod server_clock;
pub(crate) mod store;

pub(crate) use memory::{MemoryAdmission, MemoryLedger};
#[cfg(not(target_arch = "wasm32"))]
pub(crate) use redis::{RedisAdmission, RedisLedger};

/// What became of an admitted request.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Observed<'a> {
    /// A response came back with these headers and this status.
    Response { status: u16, meta: &'a ResponseMeta },
    /// No response (connection error, timeout): the request may or may not have counted.
    NoResponse,
}

/// The ledger of one key and base URL, in one of its stores.
#[derive(Debug, Clone)]
pub(crate) enum Ledger {
    /// In this process.
    Memory(Arc<MemoryLedger>),
    /// In Redis, shared by every process of the key.
    #[cfg(not(target_arch = "wasm32"))]
    Redis(Arc<RedisLedger>),
}

impl Ledger {
    /// The ledger the configuration asks for, shared with every client of this process that
    /// uses the same key, base URL (and store).
    pub(crate) fn for_config(config: &Config) -> Ledger {
        #[cfg(not(target_arch = "wasm32"))]
        if let Some(store) = &config.rate_limit_store {
            return Ledger::Redis(RedisLedger::shared(
                &config.api_key,
                config.base_url(),
                store,
            ));
        }
        Ledger::Memory(MemoryLedger::shared(&config.api_key, config.base_url()))
    }

    /// Waits (FIFO) until a request may be sent. When the wait would exceed `max_wait`, returns
    /// at once with `Err(wait)`: how long until the window resets.
    pub(crate) async fn admit(&self, max_wait: Duration) -> Result<Admission, Duration> {
        match self {
            Ledger::Memory(ledger) => ledger.admit(max_wait).await.map(Admission::Memory),
            // Boxed: the in-process path's future stays the size it was.
            #[cfg(not(target_arch = "wasm32"))]
            Ledger::Redis(ledger) => Box::pin(ledger.admit(max_wait)).await,
        }
    }
}

/// The place of one admitted request. Settle it with what came back; dropping it unsettled
/// (a cancelled call) releases the place.
#[derive(Debug)]
pub(crate) enum Admission {
    /// Admitted by the in-process ledger (also the Redis store's fallback).
    Memory(MemoryAdmission),
    /// A place in Redis.
    #[cfg(not(target_arch = "wasm32"))]
    Redis(RedisAdmission),
}

impl Admission {
    /// Records what the response said and releases the place.
    pub(crate) fn settle(self, observed: Observed<'_>) {
        match self {
            Admission::Memory(admission) => admission.settle(observed),
            #[cfg(not(target_arch = "wasm32"))]
            Admission::Redis(admission) => admission.settle(observed),
        }
    }
}
