//! Transport knobs of the client: timeouts, retries, health, outage waiting.
//!
//! The defaults bound a call by *silence*, not by length: a streamed generation may think for an
//! hour as long as tokens keep arriving, while a server that stops sending is abandoned after
//! `idle_timeout`. The original's fixed 600 s per attempt made long thinking unsatisfiable.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// How failed attempts are retried.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts per call, the first included (at least 1).
    pub max_attempts: u32,
    /// Delay before the second attempt; doubles each time.
    pub base_delay: Duration,
    /// Upper bound of one backoff delay.
    pub max_delay: Duration,
    /// Upper bound applied to a server's `Retry-After`.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// Delay after failed attempt number `attempt` (0-based): `Retry-After` when the server gave
    /// one (capped), else `base · 2^attempt` capped at `max_delay`, scaled by a random factor in
    /// [0.5, 1) so many sessions hitting one outage do not retry in lockstep.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(ra) = retry_after {
            return ra.min(self.max_retry_after);
        }
        let exp = self
            .base_delay
            .saturating_mul(1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX));
        let capped = exp.min(self.max_delay);
        capped.mul_f64(0.5 + 0.5 * unit_random())
    }
}

/// A uniform number in [0, 1) without a random-number dependency: std's `RandomState` is seeded
/// randomly per instance.
fn unit_random() -> f64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0x5eed);
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// Client behaviour. `Default` suits real servers; tests shrink every duration.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientOptions {
    /// Stream responses (SSE). Needed for `idle_timeout` to bound generations by silence; servers
    /// that ignore `stream` and answer plain JSON are handled either way.
    pub stream: bool,
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// Streaming: the wait for the response headers and first bytes (covers queueing and prefill
    /// of a long prompt).
    pub first_byte_timeout: Duration,
    /// Streaming: the longest silence tolerated once bytes flow.
    pub idle_timeout: Duration,
    /// Non-streaming: the whole request.
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
    /// How long an endpoint that failed with a connection error, timeout or 5xx is avoided.
    pub unhealthy_for: Duration,
    /// How often a `vllm` registry file is re-read.
    pub registry_refresh: Duration,
    /// After all attempts failed on connection errors, keep polling this long for the servers to
    /// come back (restarting vLLM jobs). Applies only once this client has had a success, or in
    /// registry mode, so a mistyped URL fails fast. Zero disables.
    pub outage_wait: Duration,
    /// Poll interval during an outage wait.
    pub outage_poll: Duration,
    /// Bound on one whole `chat` call, retries and outage waits included. `None`: unbounded.
    pub call_deadline: Option<Duration>,
    /// When the server says prompt + `max_tokens` exceeds the context window but the prompt
    /// alone fits, retry once at once with `max_tokens` lowered to what fits.
    pub clamp_max_tokens: bool,
    /// Merge runs of same-role messages into one message (for chat templates that insist on
    /// strict user/assistant alternation).
    pub merge_consecutive_messages: bool,
    /// Timeout of a `GET /models` probe.
    pub probe_timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            stream: true,
            connect_timeout: Duration::from_secs(10),
            first_byte_timeout: Duration::from_secs(600),
            idle_timeout: Duration::from_secs(120),
            request_timeout: Duration::from_secs(600),
            retry: RetryPolicy::default(),
            unhealthy_for: Duration::from_secs(60),
            registry_refresh: Duration::from_secs(60),
            outage_wait: Duration::from_secs(15 * 60),
            outage_poll: Duration::from_secs(15),
            call_deadline: None,
            clamp_max_tokens: true,
            merge_consecutive_messages: false,
            probe_timeout: Duration::from_secs(5),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        let p = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(2),
        };
        for attempt in 0..40 {
            let d = p.delay(attempt, None);
            let full = Duration::from_millis(100 * (1u64 << attempt.min(10))).min(p.max_delay);
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
        }
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(1))),
            Duration::from_secs(1)
        );
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(60))),
            Duration::from_secs(2)
        );
    }
}
