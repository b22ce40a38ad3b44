//! The seed data every key starts from: the reference's two agents, their run histories and the
//! account's usage. Seeded runs are not stored; run `n` of an agent is computed from `n` (ids,
//! tokens, durations and times are deterministic), so a fresh key costs a few hundred bytes and
//! paging through 1,284 runs is still real.

use crate::models::{AgentConfig, AgentStatus, Run, cost_of, dollars};
use crate::state::{AgentRecord, KeyData, Usage};
use crate::time_format::rfc3339_secs;

/// 2026-03-15T08:30:00Z, the newest run of `agt_abc123`.
const ABC123_NEWEST: i64 = 1_773_563_400;
/// 2026-03-14T19:45:00Z, the newest run of `agt_def456`.
const DEF456_NEWEST: i64 = ABC123_NEWEST - (12 * 3600 + 45 * 60);

/// How an agent's seeded runs are laid out in time.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SeedRuns {
    /// Distinguishes agents in generated ids.
    pub agent_no: u64,
    /// How many seeded runs remain (all of them: runs are only deleted with their agent).
    pub count: u64,
    /// Unix time of the newest run.
    pub newest: i64,
    /// Seconds between consecutive runs.
    pub spacing: i64,
}

/// A fresh copy of the seed data for one key.
pub(crate) fn key_data() -> KeyData {
    KeyData {
        agents: vec![customer_support(), sales_outreach()],
        usage: Usage {
            plan: "PRO",
            runs_used: 4521,
            runs_limit: 10_000,
            tokens_this_month: 1_284_350,
            cost_ten_thousandths: 256_800,
            billing_period_start: "2026-03-01T00:00:00Z",
            billing_period_end: "2026-03-31T23:59:59Z",
        },
        chats: 0,
    }
}

fn customer_support() -> AgentRecord {
    AgentRecord {
        id: "agt_abc123".into(),
        name: "Customer Support Agent".into(),
        status: AgentStatus::Active,
        safety_mode: true,
        template: Some("customer-support".into()),
        last_active: "2026-03-15T08:30:00Z".into(),
        created_at: "2026-01-10T14:00:00Z".into(),
        config: AgentConfig {
            model: "claude-sonnet-4-5-20250514".into(),
            system_prompt: "You are a helpful customer support agent...".into(),
            temperature: 0.7,
            max_tokens: 2048,
        },
        channels: vec!["webchat".into(), "email".into()],
        seed: SeedRuns {
            agent_no: 0,
            count: 1284,
            newest: ABC123_NEWEST,
            spacing: 15 * 60,
        },
        new_runs: Vec::new(),
    }
}

fn sales_outreach() -> AgentRecord {
    AgentRecord {
        id: "agt_def456".into(),
        name: "Sales Outreach Agent".into(),
        status: AgentStatus::Paused,
        safety_mode: false,
        template: None,
        last_active: "2026-03-14T19:45:00Z".into(),
        created_at: "2026-02-05T09:00:00Z".into(),
        config: AgentConfig {
            model: "claude-sonnet-4-5-20250514".into(),
            system_prompt: "You are a friendly sales development representative...".into(),
            temperature: 0.9,
            max_tokens: 1024,
        },
        channels: vec!["email".into()],
        seed: SeedRuns {
            agent_no: 1,
            count: 320,
            newest: DEF456_NEWEST,
            spacing: 60 * 60,
        },
        new_runs: Vec::new(),
    }
}

/// The seeded run `age` places from the newest (0 = newest). The two newest runs of `agt_abc123`
/// are the reference's `run_xyz789` and `run_xyz788`.
pub(crate) fn seeded_run(seed: &SeedRuns, age: u64) -> Run {
    let created_at = rfc3339_secs(seed.newest - age as i64 * seed.spacing);
    match (seed.agent_no, age) {
        (0, 0) => return reference_run("run_xyz789", 142, 1340, created_at),
        (0, 1) => return reference_run("run_xyz788", 256, 2100, created_at),
        _ => {}
    }
    let h = splitmix64(seed.agent_no << 32 | age);
    let tokens = 50 + h % 1950;
    Run {
        id: run_id(seed.agent_no * 1_000_000 + age),
        status: "completed",
        tokens_used: tokens,
        cost: dollars(cost_of(tokens)),
        duration_ms: 400 + (h >> 24) % 4600,
        created_at,
    }
}

fn reference_run(id: &str, tokens: u64, duration_ms: u64, created_at: String) -> Run {
    Run {
        id: id.into(),
        status: "completed",
        tokens_used: tokens,
        cost: dollars(cost_of(tokens)),
        duration_ms,
        created_at,
    }
}

/// The id of the `n`-th run created by chat in a key's namespace; never equal to a seeded id.
pub(crate) fn chat_run_id(n: u64) -> String {
    run_id(100_000_000 + n)
}

/// `run_` + six base-36 characters. Multiplying by a constant coprime to 36^6 is a bijection on
/// 0..36^6, so distinct numbers give distinct ids that still look random.
fn run_id(n: u64) -> String {
    const SPACE: u64 = 36u64.pow(6);
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut x = (n % SPACE) * 1_000_003 % SPACE;
    let mut id = [b'0'; 6];
    for slot in id.iter_mut().rev() {
        *slot = DIGITS[(x % 36) as usize];
        x /= 36;
    }
    format!("run_{}", std::str::from_utf8(&id).unwrap_or("000000"))
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn newest_runs_of_agt_abc123_are_the_reference_runs() {
        let data = key_data();
        let seed = &data.agents[0].seed;
        let newest = seeded_run(seed, 0);
        assert_eq!(newest.id, "run_xyz789");
        assert_eq!(newest.cost, 0.0028);
        assert_eq!(newest.created_at, "2026-03-15T08:30:00Z");
        let second = seeded_run(seed, 1);
        assert_eq!(
            (
                second.id.as_str(),
                second.tokens_used,
                second.cost,
                second.duration_ms
            ),
            ("run_xyz788", 256, 0.0051, 2100)
        );
        assert_eq!(second.created_at, "2026-03-15T08:15:00Z");
    }

    #[test]
    fn newest_run_of_agt_def456_is_its_last_active_time() {
        let data = key_data();
        let run = seeded_run(&data.agents[1].seed, 0);
        assert_eq!(run.created_at, data.agents[1].last_active);
    }

    #[test]
    fn all_run_ids_are_unique_and_runs_follow_agent_creation() {
        let data = key_data();
        let mut ids = HashSet::new();
        for agent in &data.agents {
            for age in 0..agent.seed.count {
                let run = seeded_run(&agent.seed, age);
                assert!(ids.insert(run.id), "duplicate id");
                assert!(run.created_at > agent.created_at);
            }
        }
        for n in 0..10_000 {
            assert!(ids.insert(chat_run_id(n)));
        }
    }

    #[test]
    fn runs_are_deterministic() {
        let seed = key_data().agents[0].seed;
        assert_eq!(seeded_run(&seed, 500), seeded_run(&seed, 500));
    }
}
