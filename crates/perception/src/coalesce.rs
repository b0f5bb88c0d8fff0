//! Coalescing of identical in-flight requests.
//!
//! Many questions are asked about one video, and the agents working on them often reconstruct
//! the same frames at the same moment. The first caller for a key runs the work; callers that
//! arrive while it runs wait for its result instead of starting a second backend call.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

enum State<V> {
    Pending,
    Done(V),
    /// The leader unwound (panicked) without a result; waiters take over the work.
    Abandoned,
}

struct Slot<V> {
    state: Mutex<State<V>>,
    ready: Condvar,
}

/// Runs at most one computation per key at a time and shares its result with concurrent callers.
pub struct Coalescer<K, V> {
    inflight: Mutex<HashMap<K, Arc<Slot<V>>>>,
}

impl<K, V> Default for Coalescer<K, V> {
    fn default() -> Self {
        Self {
            inflight: Mutex::new(HashMap::new()),
        }
    }
}

/// A poisoned lock only means another caller panicked; the map and slots stay consistent
/// because every critical section here is a single insert, remove or assignment.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Removes the leader's slot and wakes the waiters even if the leader's work panics.
struct LeaderGuard<'a, K: Eq + Hash, V> {
    owner: &'a Coalescer<K, V>,
    key: Option<K>,
    slot: Arc<Slot<V>>,
    result: Option<V>,
}

impl<K: Eq + Hash, V> Drop for LeaderGuard<'_, K, V> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            lock(&self.owner.inflight).remove(&key);
        }
        *lock(&self.slot.state) = match self.result.take() {
            Some(v) => State::Done(v),
            None => State::Abandoned,
        };
        self.slot.ready.notify_all();
    }
}

impl<K: Eq + Hash + Clone, V: Clone> Coalescer<K, V> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Run `work` for `key`, or wait for the identical call already running. Returns the
    /// result and whether it came from another caller's run (`true` = coalesced).
    pub fn run(&self, key: K, work: impl FnOnce() -> V) -> (V, bool) {
        let mut work = Some(work);
        loop {
            let (slot, leader) = {
                let mut map = lock(&self.inflight);
                match map.get(&key) {
                    Some(s) => (s.clone(), false),
                    None => {
                        let s = Arc::new(Slot {
                            state: Mutex::new(State::Pending),
                            ready: Condvar::new(),
                        });
                        map.insert(key.clone(), s.clone());
                        (s, true)
                    }
                }
            };
            if leader {
                let mut guard = LeaderGuard {
                    owner: self,
                    key: Some(key.clone()),
                    slot,
                    result: None,
                };
                // `work` is taken exactly once: a caller becomes leader at most once, since a
                // leader always returns below.
                let Some(f) = work.take() else {
                    unreachable!("a caller leads at most once")
                };
                let v = f();
                guard.result = Some(v.clone());
                drop(guard);
                return (v, false);
            }
            let mut state = lock(&slot.state);
            loop {
                match &*state {
                    State::Pending => {
                        state = slot
                            .ready
                            .wait(state)
                            .unwrap_or_else(PoisonError::into_inner)
                    }
                    State::Done(v) => return (v.clone(), true),
                    State::Abandoned => break,
                }
            }
            // The leader died; try again (possibly becoming the leader ourselves).
        }
    }

    /// Number of keys with a computation running (for tests and diagnostics).
    pub fn in_flight(&self) -> usize {
        lock(&self.inflight).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Barrier;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn concurrent_identical_keys_run_once() {
        let c: Arc<Coalescer<u32, u32>> = Arc::new(Coalescer::new());
        let calls = Arc::new(AtomicUsize::new(0));
        let barrier = Arc::new(Barrier::new(8));
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (c, calls, barrier) = (c.clone(), calls.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    c.run(1, || {
                        calls.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(100));
                        42
                    })
                })
            })
            .collect();
        let results: Vec<(u32, bool)> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(results.iter().all(|(v, _)| *v == 42));
        assert_eq!(results.iter().filter(|(_, c)| *c).count(), 7);
        assert_eq!(c.in_flight(), 0);
    }

    #[test]
    fn a_panicking_leader_hands_over_to_a_waiter() {
        let c: Arc<Coalescer<u32, u32>> = Arc::new(Coalescer::new());
        let started = Arc::new(Barrier::new(2));
        let leader = {
            let (c, started) = (c.clone(), started.clone());
            std::thread::spawn(move || {
                c.run(7, || {
                    started.wait();
                    std::thread::sleep(Duration::from_millis(50));
                    panic!("backend blew up")
                })
            })
        };
        started.wait();
        let (v, _) = c.run(7, || 5);
        assert_eq!(v, 5);
        assert!(leader.join().is_err());
        assert_eq!(c.in_flight(), 0);
    }
}
