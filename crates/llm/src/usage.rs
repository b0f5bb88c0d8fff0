//! Token accounting per session.
//!
//! Every call made on behalf of a sample (main loop, planner, kernel-side VLM questions) is booked
//! under that sample's session id in the one host process, so reports see all of a sample's
//! traffic — the original lost the kernel-side part across its process boundary.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// Token counts of one response, as reported by the server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// `completion_tokens_details.reasoning_tokens` when the server reports it (part of
    /// `completion_tokens`).
    pub reasoning_tokens: u64,
}

impl Usage {
    pub(crate) fn from_json(v: &serde_json::Value) -> Option<Usage> {
        let obj = v.as_object()?;
        let n = |key: &str| obj.get(key).and_then(|x| x.as_u64()).unwrap_or(0);
        Some(Usage {
            prompt_tokens: n("prompt_tokens"),
            completion_tokens: n("completion_tokens"),
            reasoning_tokens: obj
                .get("completion_tokens_details")
                .and_then(|d| d.get("reasoning_tokens"))
                .and_then(|x| x.as_u64())
                .unwrap_or(0),
        })
    }
}

/// Accumulated usage of a session (or of the whole client).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageStats {
    /// Successful calls.
    pub calls: u64,
    /// Calls that ended in an error (after retries).
    pub failed_calls: u64,
    /// Extra attempts spent on retries, over all calls.
    pub retries: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub reasoning_tokens: u64,
    /// Largest prompt seen: roughly the peak context the session reached.
    pub max_prompt_tokens: u64,
    pub max_completion_tokens: u64,
    /// Prompt size of the latest successful call: how full the context is now.
    pub last_prompt_tokens: u64,
}

impl UsageStats {
    fn add_success(&mut self, u: &Usage, retries: u64) {
        self.calls += 1;
        self.retries += retries;
        self.prompt_tokens += u.prompt_tokens;
        self.completion_tokens += u.completion_tokens;
        self.reasoning_tokens += u.reasoning_tokens;
        self.max_prompt_tokens = self.max_prompt_tokens.max(u.prompt_tokens);
        self.max_completion_tokens = self.max_completion_tokens.max(u.completion_tokens);
        self.last_prompt_tokens = u.prompt_tokens;
    }

    fn add_failure(&mut self, retries: u64) {
        self.failed_calls += 1;
        self.retries += retries;
    }

    pub fn total_tokens(&self) -> u64 {
        self.prompt_tokens + self.completion_tokens
    }
}

/// Thread-safe ledger: per session plus a running total that `take` does not reduce.
#[derive(Debug, Default)]
pub(crate) struct UsageLedger {
    inner: Mutex<Ledger>,
}

#[derive(Debug, Default)]
struct Ledger {
    sessions: HashMap<String, UsageStats>,
    total: UsageStats,
}

impl UsageLedger {
    fn with<R>(&self, f: impl FnOnce(&mut Ledger) -> R) -> R {
        // A panic elsewhere while holding the lock leaves plain counters behind; keep using them.
        let mut guard = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }

    pub(crate) fn record_success(&self, session: &str, usage: &Usage, retries: u64) {
        self.with(|l| {
            l.sessions
                .entry(session.to_owned())
                .or_default()
                .add_success(usage, retries);
            l.total.add_success(usage, retries);
        });
    }

    pub(crate) fn record_failure(&self, session: &str, retries: u64) {
        self.with(|l| {
            l.sessions
                .entry(session.to_owned())
                .or_default()
                .add_failure(retries);
            l.total.add_failure(retries);
        });
    }

    pub(crate) fn get(&self, session: &str) -> Option<UsageStats> {
        self.with(|l| l.sessions.get(session).copied())
    }

    pub(crate) fn take(&self, session: &str) -> Option<UsageStats> {
        self.with(|l| l.sessions.remove(session))
    }

    pub(crate) fn total(&self) -> UsageStats {
        self.with(|l| l.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ledger_accumulates_and_pops() {
        let l = UsageLedger::default();
        let u = |p, c| Usage {
            prompt_tokens: p,
            completion_tokens: c,
            reasoning_tokens: 1,
        };
        l.record_success("a", &u(10, 5), 0);
        l.record_success("a", &u(30, 2), 2);
        l.record_success("b", &u(7, 7), 0);
        l.record_failure("b", 4);
        let a = l.get("a").unwrap();
        assert_eq!((a.calls, a.prompt_tokens, a.completion_tokens), (2, 40, 7));
        assert_eq!(
            (a.max_prompt_tokens, a.last_prompt_tokens, a.retries),
            (30, 30, 2)
        );
        assert_eq!(a.reasoning_tokens, 2);
        assert_eq!(l.take("a"), Some(a));
        assert_eq!(l.get("a"), None);
        let t = l.total();
        assert_eq!(
            (t.calls, t.failed_calls, t.retries, t.prompt_tokens),
            (3, 1, 6, 47)
        );
    }

    #[test]
    fn usage_parses_reasoning_details() {
        let v = serde_json::json!({"prompt_tokens": 3, "completion_tokens": 9,
            "completion_tokens_details": {"reasoning_tokens": 4}});
        assert_eq!(
            Usage::from_json(&v),
            Some(Usage {
                prompt_tokens: 3,
                completion_tokens: 9,
                reasoning_tokens: 4
            })
        );
        assert_eq!(Usage::from_json(&serde_json::Value::Null), None);
    }
}
