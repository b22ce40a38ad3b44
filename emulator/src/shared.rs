//! The state shared by the server, the admin API and the [`Emulator`](crate::Emulator) handle.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::error::InvalidArgument;
use crate::faults::{FaultQueue, FaultRule};
use crate::journal::{Journal, JournalEntry};
use crate::keys;
use crate::log::RequestLog;
use crate::options::{EmulatorOptions, normalize_prefix};
use crate::rate_limit::{RateConfig, check_rate_window};
use crate::state::Namespaces;

/// Everything one emulator instance knows.
pub(crate) struct Shared {
    /// Normalized API prefix (`""` or `/api/v1`).
    pub prefix: String,
    pub namespaces: Namespaces,
    pub journal: Journal,
    pub faults: FaultQueue,
    pub rate: RateConfig,
    pub log: Option<RequestLog>,
    /// Answer gzip to requests that accept it (`PUT /__emulator/config {"gzip": true}`).
    gzip: AtomicBool,
}

impl Shared {
    pub(crate) fn new(options: &EmulatorOptions) -> Self {
        Shared {
            prefix: normalize_prefix(&options.prefix),
            namespaces: Namespaces::default(),
            journal: Journal::new(options.journal_capacity),
            faults: FaultQueue::default(),
            rate: RateConfig::new(options.rate_limit, options.rate_window),
            log: options.log_requests.then(RequestLog::start),
            gzip: AtomicBool::new(false),
        }
    }

    /// The journal, all of it or one key's.
    pub(crate) fn journal(&self, key: Option<&str>) -> Vec<JournalEntry> {
        let fingerprint = key.map(keys::fingerprint);
        self.journal.entries(fingerprint.as_deref())
    }

    /// Clears the journal, all of it or one key's; returns how many entries went.
    pub(crate) fn clear_journal(&self, key: Option<&str>) -> usize {
        let fingerprint = key.map(keys::fingerprint);
        self.journal.clear(fingerprint.as_deref())
    }

    /// Validates a fault rule (method upper-cased, the API prefix added to a path below the
    /// base URL: `/usage` and `usage` are `/api/v1/usage`, which is what the SDKs' calls name;
    /// a rule for a path outside the prefix would never fire) and queues it; every way of adding
    /// a rule (library, admin API, bindings) goes through here. Returns the rule as queued.
    pub(crate) fn push_fault(&self, mut rule: FaultRule) -> Result<FaultRule, InvalidArgument> {
        rule.method = rule.method.to_ascii_uppercase();
        let prefix = self.prefix.as_str();
        if rule.path != "*" && !rule.path.starts_with(&format!("{prefix}/")) {
            rule.path = format!("{prefix}/{}", rule.path.trim_start_matches('/'));
        }
        rule.validate()?;
        self.faults.push(rule.clone());
        Ok(rule)
    }

    /// `None`: every key's data, windows and revocations, all faults and the journal.
    /// `Some(key)`: that key's data, window and revocation, its faults and its journal entries.
    /// The rate-limit configuration is kept either way.
    pub(crate) fn reset(&self, key: Option<&str>) {
        self.namespaces.reset(key);
        self.faults.clear(key);
        self.clear_journal(key);
    }

    pub(crate) fn gzip(&self) -> bool {
        self.gzip.load(Ordering::Relaxed)
    }

    pub(crate) fn set_gzip(&self, on: bool) {
        self.gzip.store(on, Ordering::Relaxed);
    }

    /// Sets the limit and window (checked by [`check_rate_window`]); every key starts a fresh
    /// window if either changed.
    pub(crate) fn set_rate_limit(
        &self,
        limit: u32,
        window: Duration,
    ) -> Result<(), InvalidArgument> {
        check_rate_window(window)?;
        self.rate.set(limit, window);
        Ok(())
    }
}
