//! Typed failures of one chat call.
//!
//! The agent decides what to do from the variant, not from message text: a context overflow means
//! "trim the history", an exhausted retry budget means "the server is gone", a 4xx means "the
//! configuration is wrong". Every variant names the endpoint that produced it so logs and traces
//! point at the right server.

use std::time::Duration;

/// Why a chat call failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum LlmError {
    /// The TCP/TLS connection could not be made or broke mid-request. Retried, and the endpoint is
    /// marked unhealthy for a while so other endpoints take over.
    #[error("could not reach {endpoint}: {message}")]
    Connect { endpoint: String, message: String },

    /// The server stopped sending (no byte within the inactivity window of a stream, or the whole
    /// non-streaming request took too long). Retried; the endpoint is marked unhealthy.
    #[error("{endpoint} timed out: {message}")]
    Timeout { endpoint: String, message: String },

    /// HTTP 429. Retried after the server's `Retry-After` (capped) or the usual backoff.
    #[error("{endpoint} is rate limiting (HTTP 429): {message}")]
    RateLimited {
        endpoint: String,
        message: String,
        retry_after: Option<Duration>,
    },

    /// Any other non-success HTTP status. 5xx and 408 are retried; other 4xx surface at once with
    /// the server's own message because repeating the same request cannot help.
    #[error("{endpoint} answered HTTP {status}: {message}{}", hint_for_status(*status))]
    Http {
        endpoint: String,
        status: u16,
        message: String,
    },

    /// The prompt (or prompt + `max_tokens`) does not fit the model's context window. Not retried:
    /// the caller has to shorten the history. `prompt_tokens` / `max_context` are parsed from the
    /// server's message when it states them.
    #[error(
        "the request does not fit the model's context window at {endpoint}: {message} \
         (shorten the history or lower max_tokens)"
    )]
    ContextTooLong {
        endpoint: String,
        message: String,
        prompt_tokens: Option<u64>,
        max_context: Option<u64>,
    },

    /// HTTP 200 but no `choices` at all. Seen with overloaded proxies; retried.
    #[error("{endpoint} returned a response without choices")]
    EmptyResponse { endpoint: String },

    /// HTTP 200 with a body that is not a chat completion (bad JSON, a stream cut off before its
    /// end, an error event inside a stream). Retried: it is usually a transient proxy problem.
    #[error("{endpoint} sent a malformed response: {message}")]
    Protocol { endpoint: String, message: String },

    /// Every attempt failed with a retryable error; `last` is the final one.
    #[error("gave up after {attempts} attempts: {last}")]
    RetriesExhausted { attempts: u32, last: Box<LlmError> },

    /// No endpoint is configured or the registry lists none for the model.
    #[error("no LLM endpoint available: {0}")]
    NoEndpoints(String),

    /// The whole call, retries included, ran past `ClientOptions::call_deadline`.
    #[error("the LLM call did not finish within its deadline of {0:?}")]
    DeadlineExceeded(Duration),

    /// The client could not be built (bad URL, TLS initialisation).
    #[error("invalid LLM client setup: {0}")]
    Setup(String),
}

fn hint_for_status(status: u16) -> &'static str {
    match status {
        401 | 403 => " (check llm_api_key or SPATIALCLAW_LLM_API_KEY)",
        404 => " (check that llm_model is the served model name and the base URL ends in /v1)",
        _ => "",
    }
}

impl LlmError {
    /// Whether another attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            LlmError::Connect { .. }
            | LlmError::Timeout { .. }
            | LlmError::RateLimited { .. }
            | LlmError::EmptyResponse { .. }
            | LlmError::Protocol { .. } => true,
            LlmError::Http { status, .. } => *status >= 500 || *status == 408,
            _ => false,
        }
    }

    /// Whether the failure says the endpoint itself is down (so routing should avoid it for a while).
    pub fn marks_unhealthy(&self) -> bool {
        match self {
            LlmError::Connect { .. } | LlmError::Timeout { .. } => true,
            LlmError::Http { status, .. } => *status >= 500,
            _ => false,
        }
    }

    /// The innermost error: unwraps `RetriesExhausted` so callers can match on the real cause.
    pub fn root(&self) -> &LlmError {
        match self {
            LlmError::RetriesExhausted { last, .. } => last.root(),
            other => other,
        }
    }

    /// True when the caller should shrink the prompt instead of trying again.
    pub fn is_context_too_long(&self) -> bool {
        matches!(self.root(), LlmError::ContextTooLong { .. })
    }
}
