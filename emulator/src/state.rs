//! In-memory state, namespaced by API key.
//!
//! Each well-formed key gets a [`Namespace`] on first use, holding its own copy of the seed data
//! (created lazily on the first data access), its rate-limit window and its revocation flag. The map
//! of namespaces is read-mostly (a read lock per request); each namespace has its own locks, so
//! keys never contend with each other.

use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::chat;
use crate::keys;
use crate::models::{
    AgentConfig, AgentDetail, AgentStatus, AgentSummary, ChatReply, Run, RunPage, UpdatedAgent,
    UsageView, cost_of, dollars,
};
use crate::rate_limit::Window;
use crate::seed::{self, SeedRuns};
use crate::time_format;
use crate::validation::AgentUpdate;

/// Everything that belongs to one API key.
pub(crate) struct Namespace {
    /// The key's fingerprint, computed once.
    pub fingerprint: Arc<str>,
    /// Set by revocation: the key then gets 401.
    pub revoked: AtomicBool,
    /// The key's rate-limit window.
    pub window: Mutex<Window>,
    data: Mutex<Option<KeyData>>,
}

impl Namespace {
    fn new(key: &str) -> Self {
        Namespace {
            fingerprint: Arc::from(keys::fingerprint(key)),
            revoked: AtomicBool::new(false),
            window: Mutex::new(Window::default()),
            data: Mutex::new(None),
        }
    }

    /// Runs `f` on the key's data, seeding it on first use.
    pub(crate) fn with_data<R>(&self, f: impl FnOnce(&mut KeyData) -> R) -> R {
        let mut data = self.data.lock();
        f(data.get_or_insert_with(seed::key_data))
    }

    pub(crate) fn is_revoked(&self) -> bool {
        self.revoked.load(Ordering::SeqCst)
    }
}

/// All namespaces, by key.
#[derive(Default)]
pub(crate) struct Namespaces {
    map: RwLock<HashMap<String, Arc<Namespace>>>,
}

impl Namespaces {
    /// The key's namespace, created on first use. The key must be well-formed.
    pub(crate) fn get(&self, key: &str) -> Arc<Namespace> {
        if let Some(ns) = self.map.read().get(key) {
            return ns.clone();
        }
        self.map
            .write()
            .entry(key.to_string())
            .or_insert_with(|| Arc::new(Namespace::new(key)))
            .clone()
    }

    /// Forgets one key (its data, window and revocation) or all keys.
    pub(crate) fn reset(&self, key: Option<&str>) {
        match key {
            None => self.map.write().clear(),
            Some(k) => {
                self.map.write().remove(k);
            }
        }
    }

    pub(crate) fn revoke(&self, key: &str) {
        self.get(key).revoked.store(true, Ordering::SeqCst);
    }
}

/// A key's copy of the account: agents, runs and usage.
pub(crate) struct KeyData {
    pub agents: Vec<AgentRecord>,
    pub usage: Usage,
    /// Chats so far, numbering new runs.
    pub chats: u64,
}

/// The account's usage for the billing period.
pub(crate) struct Usage {
    pub plan: &'static str,
    pub runs_used: u64,
    pub runs_limit: u64,
    pub tokens_this_month: u64,
    pub cost_ten_thousandths: u64,
    pub billing_period_start: &'static str,
    pub billing_period_end: &'static str,
}

impl Usage {
    pub(crate) fn view(&self) -> UsageView<'_> {
        UsageView {
            plan: self.plan,
            runs_used: self.runs_used,
            runs_limit: self.runs_limit,
            tokens_this_month: self.tokens_this_month,
            cost_this_month: dollars(self.cost_ten_thousandths),
            billing_period_start: self.billing_period_start,
            billing_period_end: self.billing_period_end,
        }
    }
}

/// One agent and its runs (seeded runs computed, newer ones stored).
pub(crate) struct AgentRecord {
    pub id: String,
    pub name: String,
    pub status: AgentStatus,
    pub safety_mode: bool,
    pub template: Option<String>,
    pub last_active: String,
    pub created_at: String,
    pub config: AgentConfig,
    pub channels: Vec<String>,
    pub seed: SeedRuns,
    /// Runs created by chat, oldest first.
    pub new_runs: Vec<Run>,
}

impl AgentRecord {
    pub(crate) fn total_runs(&self) -> u64 {
        self.seed.count + self.new_runs.len() as u64
    }

    pub(crate) fn summary(&self) -> AgentSummary<'_> {
        AgentSummary {
            id: &self.id,
            name: &self.name,
            status: self.status,
            safety_mode: self.safety_mode,
            template: self.template.as_deref(),
            total_runs: self.total_runs(),
            last_active: &self.last_active,
            created_at: &self.created_at,
        }
    }

    pub(crate) fn detail(&self) -> AgentDetail<'_> {
        AgentDetail {
            id: &self.id,
            name: &self.name,
            status: self.status,
            safety_mode: self.safety_mode,
            template: self.template.as_deref(),
            total_runs: self.total_runs(),
            last_active: &self.last_active,
            created_at: &self.created_at,
            config: &self.config,
            channels: &self.channels,
        }
    }

    /// Applies the given fields only; `config` is merged field by field.
    pub(crate) fn update(&mut self, update: AgentUpdate) -> UpdatedAgent<'_> {
        if let Some(name) = update.name {
            self.name = name;
        }
        if let Some(status) = update.status {
            self.status = status;
        }
        let config = update.config;
        if let Some(model) = config.model {
            self.config.model = model;
        }
        if let Some(prompt) = config.system_prompt {
            self.config.system_prompt = prompt;
        }
        if let Some(temperature) = config.temperature {
            self.config.temperature = temperature;
        }
        if let Some(max_tokens) = config.max_tokens {
            self.config.max_tokens = max_tokens;
        }
        UpdatedAgent {
            id: &self.id,
            name: &self.name,
            status: self.status,
            updated_at: time_format::now_rfc3339(),
        }
    }

    /// Runs newest first, `limit` of them after skipping `offset`.
    pub(crate) fn runs_page(&self, limit: u32, offset: u64) -> RunPage {
        let total = self.total_runs();
        let new = self.new_runs.len() as u64;
        let end = offset.saturating_add(u64::from(limit)).min(total);
        let runs = (offset.min(total)..end)
            .map(|k| {
                if k < new {
                    self.new_runs[(new - 1 - k) as usize].clone()
                } else {
                    seed::seeded_run(&self.seed, k - new)
                }
            })
            .collect();
        RunPage {
            runs,
            total,
            limit,
            offset,
        }
    }
}

impl KeyData {
    pub(crate) fn agent(&self, id: &str) -> Option<&AgentRecord> {
        self.agents.iter().find(|a| a.id == id)
    }

    pub(crate) fn agent_mut(&mut self, id: &str) -> Option<&mut AgentRecord> {
        self.agents.iter_mut().find(|a| a.id == id)
    }

    /// Removes an agent and its runs; `false` if there was none.
    pub(crate) fn delete(&mut self, id: &str) -> bool {
        let before = self.agents.len();
        self.agents.retain(|a| a.id != id);
        self.agents.len() != before
    }

    /// Chats with agent `index` (which must be active): a new completed run at the head of its
    /// history, and the agent's and the account's counters updated.
    pub(crate) fn chat(&mut self, index: usize, message: &str, started: Instant) -> ChatReply {
        self.chats += 1;
        let run_id = seed::chat_run_id(self.chats);
        let agent = &mut self.agents[index];
        let response = chat::reply(&agent.name, message);
        let tokens = chat::tokens_used(message, &response);
        let cost = cost_of(tokens);
        let now = time_format::now_rfc3339();
        let duration_ms = (started.elapsed().as_micros() as u64).div_ceil(1000).max(1);
        agent.new_runs.push(Run {
            id: run_id.clone(),
            status: "completed",
            tokens_used: tokens,
            cost: dollars(cost),
            duration_ms,
            created_at: now.clone(),
        });
        agent.last_active = now;
        self.usage.runs_used += 1;
        self.usage.tokens_this_month += tokens;
        self.usage.cost_ten_thousandths += cost;
        ChatReply {
            response,
            run_id,
            tokens_used: tokens,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_page_puts_chat_runs_before_seeded_runs() {
        let mut data = seed::key_data();
        let reply = data.chat(0, "hello", Instant::now());
        let agent = &data.agents[0];
        assert_eq!(agent.total_runs(), 1285);
        let page = agent.runs_page(2, 0);
        assert_eq!(page.runs[0].id, reply.run_id);
        assert_eq!(page.runs[1].id, "run_xyz789");
        let last = agent.runs_page(100, 1280);
        assert_eq!(last.runs.len(), 5);
        assert!(agent.runs_page(10, 5000).runs.is_empty());
    }

    #[test]
    fn chat_updates_usage_by_the_run_figures() {
        let mut data = seed::key_data();
        let reply = data.chat(0, "hello", Instant::now());
        assert_eq!(data.usage.runs_used, 4522);
        assert_eq!(data.usage.tokens_this_month, 1_284_350 + reply.tokens_used);
    }

    #[test]
    fn namespaces_are_per_key_and_reset_forgets_revocation() {
        let namespaces = Namespaces::default();
        let a = namespaces.get("dlg_test_a");
        assert!(Arc::ptr_eq(&a, &namespaces.get("dlg_test_a")));
        namespaces.revoke("dlg_test_a");
        assert!(namespaces.get("dlg_test_a").is_revoked());
        namespaces.reset(Some("dlg_test_a"));
        assert!(!namespaces.get("dlg_test_a").is_revoked());
    }
}
