//! Choosing an endpoint for a call.
//!
//! vLLM's prefix cache only helps when a conversation's next step lands on the server that holds
//! its previous prompt, so each session id prefers one endpoint. The preference uses rendezvous
//! (highest-random-weight) hashing over a fixed FNV-1a hash: it is the same in every process and
//! every run (the original used Python's per-process randomised `hash()`), and when an endpoint
//! disappears only its own sessions move. A preferred endpoint much busier than the least loaded
//! one is passed over, and endpoints that recently failed are skipped unless all have.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

/// One OpenAI-compatible server, e.g. `http://10.0.0.5:8000/v1`.
#[derive(Debug)]
pub(crate) struct Endpoint {
    /// Base URL without a trailing slash.
    pub(crate) url: String,
    in_flight: AtomicUsize,
    unhealthy_until: Mutex<Option<Instant>>,
    pub(crate) context: Mutex<ContextInfo>,
}

/// What `GET /models` told us about an endpoint.
#[derive(Debug, Default, Clone)]
pub(crate) struct ContextInfo {
    pub(crate) max_model_len: Option<u64>,
    /// The first served model id (used when no model name is configured).
    pub(crate) served_model: Option<String>,
    /// When a probe last failed, to avoid hammering a server that does not answer `/models`.
    pub(crate) probe_failed_at: Option<Instant>,
}

impl Endpoint {
    pub(crate) fn new(url: &str) -> Self {
        Endpoint {
            url: url.trim_end_matches('/').to_owned(),
            in_flight: AtomicUsize::new(0),
            unhealthy_until: Mutex::new(None),
            context: Mutex::new(ContextInfo::default()),
        }
    }

    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    pub(crate) fn is_healthy(&self, now: Instant) -> bool {
        let until = *self
            .unhealthy_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        until.is_none_or(|t| now >= t)
    }

    pub(crate) fn mark_unhealthy(&self, for_: Duration) {
        let mut until = self
            .unhealthy_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *until = Some(Instant::now() + for_);
    }

    pub(crate) fn mark_healthy(&self) {
        *self
            .unhealthy_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
    }

    pub(crate) fn context_info(&self) -> ContextInfo {
        self.context
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn update_context(&self, f: impl FnOnce(&mut ContextInfo)) {
        f(&mut self.context.lock().unwrap_or_else(PoisonError::into_inner));
    }

    /// Counts this call as in flight until the guard drops (also on cancellation).
    pub(crate) fn begin(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(Arc::clone(self))
    }
}

/// Keeps an endpoint's in-flight count raised for the lifetime of one attempt.
pub(crate) struct InFlight(Arc<Endpoint>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The current endpoint list; replaced wholesale when a registry is re-read.
#[derive(Debug, Default)]
pub(crate) struct EndpointPool {
    endpoints: RwLock<Arc<Vec<Arc<Endpoint>>>>,
}

impl EndpointPool {
    pub(crate) fn snapshot(&self) -> Arc<Vec<Arc<Endpoint>>> {
        Arc::clone(
            &self
                .endpoints
                .read()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    /// Installs a new URL list, keeping the state (load, health, context length) of endpoints
    /// that stay. Returns whether the list changed.
    pub(crate) fn replace(&self, urls: &[String]) -> bool {
        let mut guard = self
            .endpoints
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let old = Arc::clone(&guard);
        let next: Vec<Arc<Endpoint>> = urls
            .iter()
            .map(|u| {
                let u = u.trim_end_matches('/');
                old.iter()
                    .find(|e| e.url == u)
                    .cloned()
                    .unwrap_or_else(|| Arc::new(Endpoint::new(u)))
            })
            .collect();
        let changed =
            next.len() != old.len() || next.iter().zip(old.iter()).any(|(a, b)| a.url != b.url);
        *guard = Arc::new(next);
        changed
    }
}

/// FNV-1a, 64 bit: fixed constants, so the same input hashes the same everywhere.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in *part {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        // Separator so ("ab","c") and ("a","bc") differ.
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    // splitmix64 finaliser: FNV's low bits are weak for short, similar keys.
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// Rendezvous weight of `url` for `session`: the highest weight wins.
pub(crate) fn affinity(session: &str, url: &str) -> u64 {
    fnv1a(&[session.as_bytes(), url.as_bytes()])
}

/// Picks the endpoint for one attempt; `None` only when the list is empty.
pub(crate) fn pick(
    endpoints: &[Arc<Endpoint>],
    session: &str,
    now: Instant,
) -> Option<Arc<Endpoint>> {
    let healthy: Vec<&Arc<Endpoint>> = endpoints.iter().filter(|e| e.is_healthy(now)).collect();
    let mut candidates = if healthy.is_empty() {
        // Everything failed recently: trying is better than refusing.
        endpoints.iter().collect()
    } else {
        healthy
    };
    if candidates.len() <= 1 {
        return candidates.first().map(|e| Arc::clone(e));
    }
    candidates.sort_by_key(|e| std::cmp::Reverse(affinity(session, &e.url)));
    let loads: Vec<usize> = candidates.iter().map(|e| e.in_flight()).collect();
    let min_load = loads.iter().copied().min().unwrap_or(0);
    let tolerated = (2 * min_load).max(min_load + 2);
    if loads[0] <= tolerated {
        return Some(Arc::clone(candidates[0]));
    }
    // Least loaded; ties broken by this session's affinity order, so it is deterministic too.
    candidates
        .iter()
        .zip(loads)
        .find(|(_, load)| *load == min_load)
        .map(|(e, _)| Arc::clone(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(n: usize) -> Vec<Arc<Endpoint>> {
        (0..n)
            .map(|i| Arc::new(Endpoint::new(&format!("http://h{i}:8000/v1"))))
            .collect()
    }

    const FROZEN: u64 = 10_026_157_838_748_392_601;

    #[test]
    fn hash_is_fixed() {
        // A frozen value: changing the hash would remap every running session's endpoint.
        assert_eq!(
            affinity("sample-1", "http://a/v1"),
            affinity("sample-1", "http://a/v1")
        );
        assert_eq!(fnv1a(&[b""]), fnv1a(&[b""]));
        assert_ne!(fnv1a(&[b"ab", b"c"]), fnv1a(&[b"a", b"bc"]));
        assert_eq!(affinity("sample-1", "http://a/v1"), FROZEN);
    }

    #[test]
    fn sticky_and_spread() {
        let eps = pool(4);
        let now = Instant::now();
        let mut hits = [0usize; 4];
        for s in 0..400 {
            let id = format!("session-{s}");
            let a = pick(&eps, &id, now).unwrap();
            let b = pick(&eps, &id, now).unwrap();
            assert_eq!(a.url, b.url);
            let i = eps.iter().position(|e| e.url == a.url).unwrap();
            hits[i] += 1;
        }
        assert!(hits.iter().all(|&h| h > 50), "uneven spread {hits:?}");
    }

    #[test]
    fn removing_an_endpoint_moves_only_its_sessions() {
        let eps = pool(4);
        let fewer: Vec<_> = eps[..3].to_vec();
        let now = Instant::now();
        for s in 0..200 {
            let id = format!("s{s}");
            let before = pick(&eps, &id, now).unwrap();
            if before.url != eps[3].url {
                assert_eq!(pick(&fewer, &id, now).unwrap().url, before.url);
            }
        }
    }

    #[test]
    fn unhealthy_skipped_unless_all() {
        let eps = pool(2);
        let now = Instant::now();
        let first = pick(&eps, "x", now).unwrap();
        first.mark_unhealthy(Duration::from_secs(60));
        let second = pick(&eps, "x", Instant::now()).unwrap();
        assert_ne!(first.url, second.url);
        second.mark_unhealthy(Duration::from_secs(60));
        assert!(pick(&eps, "x", Instant::now()).is_some());
        first.mark_healthy();
        assert_eq!(pick(&eps, "x", Instant::now()).unwrap().url, first.url);
    }

    #[test]
    fn overloaded_preference_yields() {
        let eps = pool(2);
        let now = Instant::now();
        let pref = pick(&eps, "y", now).unwrap();
        let guards: Vec<_> = (0..3).map(|_| pref.begin()).collect();
        let other = pick(&eps, "y", now).unwrap();
        assert_ne!(other.url, pref.url);
        drop(guards);
        assert_eq!(pref.in_flight(), 0);
        assert_eq!(pick(&eps, "y", now).unwrap().url, pref.url);
    }

    #[test]
    fn replace_keeps_state() {
        let p = EndpointPool::default();
        assert!(p.replace(&["http://a/v1/".into(), "http://b/v1".into()]));
        let a = Arc::clone(&p.snapshot()[0]);
        a.update_context(|c| c.max_model_len = Some(5));
        assert!(!p.replace(&["http://a/v1".into(), "http://b/v1".into()]));
        assert!(p.replace(&["http://a/v1".into()]));
        assert_eq!(p.snapshot()[0].context_info().max_model_len, Some(5));
    }
}
