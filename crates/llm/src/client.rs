//! The chat client: one call = pick an endpoint, send, read (streamed or not), retry what can be
//! retried, separate thinking, book usage.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt as _;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::config::{ApiKey, EndpointSource, ModelConfig};
use crate::error::LlmError;
use crate::message::{Message, WireMessages};
use crate::options::ClientOptions;
use crate::params::RoleParams;
use crate::registry::read_registry;
use crate::routing::{Endpoint, EndpointPool, pick};
use crate::stream::{SseParser, StreamAccumulator};
use crate::thinking::split_thinking;
use crate::usage::{Usage, UsageLedger, UsageStats};
use crate::wire::{RawCompletion, classify_status, error_message, parse_completion, retry_after};

/// Everything needed to build a client.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Model name sent in requests; empty means "the first model the server lists".
    pub model: String,
    pub endpoints: EndpointSource,
    pub api_key: Option<ApiKey>,
    pub options: ClientOptions,
}

impl ClientConfig {
    pub fn new(model: impl Into<String>, endpoints: EndpointSource) -> Self {
        ClientConfig {
            model: model.into(),
            endpoints,
            api_key: None,
            options: ClientOptions::default(),
        }
    }

    /// One or more fixed base URLs.
    pub fn for_urls<S: Into<String>>(
        model: impl Into<String>,
        urls: impl IntoIterator<Item = S>,
    ) -> Self {
        Self::new(
            model,
            EndpointSource::Urls(urls.into_iter().map(Into::into).collect()),
        )
    }

    /// The connection part of a model config (roles stay with the caller).
    pub fn from_model(config: &ModelConfig, options: ClientOptions) -> Self {
        ClientConfig {
            model: config.model.clone(),
            endpoints: config.endpoints.clone(),
            api_key: config.api_key.clone(),
            options,
        }
    }

    pub fn with_api_key(mut self, key: ApiKey) -> Self {
        self.api_key = Some(key);
        self
    }

    pub fn with_options(mut self, options: ClientOptions) -> Self {
        self.options = options;
        self
    }
}

/// Why generation stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FinishReason {
    /// Natural end or a stop sequence.
    Stop,
    /// `max_tokens` ran out: the answer (or the thinking) is truncated.
    Length,
    ContentFilter,
    Other(String),
}

impl FinishReason {
    fn parse(s: &str) -> FinishReason {
        match s {
            "stop" | "eos" | "end_turn" => FinishReason::Stop,
            "length" | "max_tokens" => FinishReason::Length,
            "content_filter" => FinishReason::ContentFilter,
            other => FinishReason::Other(other.to_owned()),
        }
    }
}

/// One finished completion.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatResponse {
    /// The answer, thinking removed.
    pub content: String,
    /// The thinking, for traces; never put it back into the history.
    pub reasoning: Option<String>,
    /// `content` was blank and has been filled with the reasoning (see [`crate::Thought`]).
    pub content_from_reasoning: bool,
    pub usage: Usage,
    /// `None` when the server did not say.
    pub finish_reason: Option<FinishReason>,
    /// Base URL of the endpoint that answered.
    pub endpoint: String,
    /// Attempts used, 1 when the first succeeded.
    pub attempts: u32,
    /// Set when the server refused the requested `max_tokens` as too large for the context and
    /// the call was repeated with this smaller budget.
    pub max_tokens_clamped_to: Option<u32>,
}

impl ChatResponse {
    /// The output budget ran out.
    pub fn is_truncated(&self) -> bool {
        self.finish_reason == Some(FinishReason::Length)
    }
}

/// What a `GET /models` probe found at one endpoint (for `doctor` output).
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointReport {
    pub url: String,
    /// `Err` holds the failure text.
    pub reachable: Result<(), String>,
    pub models: Vec<String>,
    pub max_model_len: Option<u64>,
    pub healthy: bool,
    pub in_flight: usize,
}

/// An OpenAI-compatible chat client shared by the whole process. Cloning is cheap (one `Arc`);
/// all clones share connections, routing state and usage ledgers.
#[derive(Clone)]
pub struct LlmClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for LlmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmClient")
            .field("model", &self.inner.model)
            .field("endpoints", &self.inner.source)
            .field("api_key", &self.inner.api_key)
            .finish()
    }
}

struct Inner {
    http: reqwest::Client,
    model: String,
    resolved_model: tokio::sync::OnceCell<String>,
    api_key: Option<ApiKey>,
    source: EndpointSource,
    pool: EndpointPool,
    registry_read: tokio::sync::Mutex<Option<Instant>>,
    options: ClientOptions,
    usage: UsageLedger,
    ever_succeeded: AtomicBool,
}

/// How long a failed `/models` probe is not repeated.
const PROBE_BACKOFF: Duration = Duration::from_secs(60);
/// Most bytes of an error body kept.
const MAX_ERROR_BODY: usize = 64 * 1024;

impl LlmClient {
    /// Builds the client. Never blocks and does no I/O: a registry is read on the first call,
    /// inside the async runtime (the original slept synchronously for up to hours here).
    pub fn new(config: ClientConfig) -> Result<Self, LlmError> {
        let o = &config.options;
        let http = reqwest::Client::builder()
            .connect_timeout(o.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            .user_agent(concat!("spatialclaw/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| LlmError::Setup(e.to_string()))?;
        if let Some(key) = &config.api_key
            && HeaderValue::from_str(&format!("Bearer {}", key.expose())).is_err()
        {
            return Err(LlmError::Setup(
                "the API key contains characters not allowed in an HTTP header".into(),
            ));
        }
        let pool = EndpointPool::default();
        if let EndpointSource::Urls(urls) = &config.endpoints {
            if urls.is_empty() {
                return Err(LlmError::NoEndpoints("the URL list is empty".into()));
            }
            pool.replace(urls);
        }
        Ok(LlmClient {
            inner: Arc::new(Inner {
                http,
                model: config.model,
                resolved_model: tokio::sync::OnceCell::new(),
                api_key: config.api_key,
                source: config.endpoints,
                pool,
                registry_read: tokio::sync::Mutex::new(None),
                options: config.options,
                usage: UsageLedger::default(),
                ever_succeeded: AtomicBool::new(false),
            }),
        })
    }

    /// One chat completion. `session_id` keys both endpoint affinity (a sample's main loop,
    /// planner and kernel-side VLM questions share one server's prefix cache) and usage booking.
    pub async fn chat(
        &self,
        messages: &[Message],
        params: &RoleParams,
        session_id: &str,
    ) -> Result<ChatResponse, LlmError> {
        let mut retries: u64 = 0;
        let call = self.chat_inner(messages, params, session_id, &mut retries);
        let result = match self.inner.options.call_deadline {
            Some(limit) => tokio::time::timeout(limit, call)
                .await
                .unwrap_or(Err(LlmError::DeadlineExceeded(limit))),
            None => call.await,
        };
        match &result {
            Ok(r) => self
                .inner
                .usage
                .record_success(session_id, &r.usage, retries),
            Err(e) => {
                tracing::warn!(session = session_id, error = %e, "LLM call failed");
                self.inner.usage.record_failure(session_id, retries);
            }
        }
        result
    }

    async fn chat_inner(
        &self,
        messages: &[Message],
        params: &RoleParams,
        session_id: &str,
        retries: &mut u64,
    ) -> Result<ChatResponse, LlmError> {
        let o = &self.inner.options;
        let model = self.model_name(session_id).await?;
        let wire = WireMessages::new(messages, o.merge_consecutive_messages);
        let mut fields = params.to_body_fields();
        let mut max_tokens = params.max_tokens;
        let mut clamped_to: Option<u32> = None;
        let mut body = self.encode_body(&model, &wire, &fields)?;
        let max_attempts = o.retry.max_attempts.max(1);
        let mut round_attempt: u32 = 0;
        let mut attempts: u32 = 0;
        let mut outage_since: Option<Instant> = None;
        loop {
            let endpoint = match self.select(session_id).await {
                Ok(ep) => ep,
                Err(e) => {
                    if self.may_wait_out(&mut outage_since) {
                        tracing::warn!(error = %e, "no LLM endpoint yet; waiting");
                        tokio::time::sleep(o.outage_poll).await;
                        continue;
                    }
                    return Err(e);
                }
            };
            attempts += 1;
            let result = {
                let _in_flight = endpoint.begin();
                self.attempt(&endpoint, body.clone()).await
            };
            let err = match result {
                Ok(raw) => {
                    endpoint.mark_healthy();
                    self.inner.ever_succeeded.store(true, Ordering::Relaxed);
                    let thought = split_thinking(&raw.content, raw.reasoning.as_deref());
                    let usage = raw.usage.unwrap_or_default();
                    tracing::debug!(
                        session = session_id,
                        endpoint = %endpoint.url,
                        attempts,
                        prompt_tokens = usage.prompt_tokens,
                        completion_tokens = usage.completion_tokens,
                        "LLM call done"
                    );
                    return Ok(ChatResponse {
                        content: thought.content,
                        reasoning: thought.reasoning,
                        content_from_reasoning: thought.content_from_reasoning,
                        usage,
                        finish_reason: raw.finish_reason.as_deref().map(FinishReason::parse),
                        endpoint: endpoint.url.clone(),
                        attempts,
                        max_tokens_clamped_to: clamped_to,
                    });
                }
                Err(e) => e,
            };
            if let LlmError::ContextTooLong {
                prompt_tokens,
                max_context,
                ..
            } = &err
            {
                if let Some(limit) = max_context {
                    endpoint.update_context(|c| c.max_model_len = Some(*limit));
                }
                if let (true, None, Some(p), Some(limit)) =
                    (o.clamp_max_tokens, clamped_to, prompt_tokens, max_context)
                    && p < limit
                    && let Ok(fit) = u32::try_from(limit - p)
                    && fit < max_tokens
                {
                    tracing::info!(
                        session = session_id,
                        from = max_tokens,
                        to = fit,
                        "max_tokens does not fit the context window; retrying with the room left"
                    );
                    max_tokens = fit;
                    clamped_to = Some(fit);
                    fields.insert("max_tokens".into(), fit.into());
                    body = self.encode_body(&model, &wire, &fields)?;
                    continue;
                }
                return Err(err);
            }
            if !err.is_retryable() {
                return Err(err);
            }
            if err.marks_unhealthy() {
                endpoint.mark_unhealthy(o.unhealthy_for);
            }
            round_attempt += 1;
            *retries += 1;
            if round_attempt >= max_attempts {
                // Only "the server is not there" is waited out; a 500 that this request keeps
                // triggering is not an outage.
                let connection_like = matches!(
                    err,
                    LlmError::Connect { .. }
                        | LlmError::Timeout { .. }
                        | LlmError::Http {
                            status: 502..=504,
                            ..
                        }
                );
                if connection_like && self.may_wait_out(&mut outage_since) {
                    tracing::warn!(error = %err, "LLM servers unreachable; waiting for them to return");
                    tokio::time::sleep(o.outage_poll).await;
                    let _ = self.refresh_endpoints(true).await;
                    round_attempt = 0;
                    continue;
                }
                *retries -= 1; // The final failure is not followed by a retry.
                return Err(LlmError::RetriesExhausted {
                    attempts,
                    last: Box::new(err),
                });
            }
            let failover = err.marks_unhealthy() && self.has_healthy_endpoint();
            let retry_hint = match &err {
                LlmError::RateLimited { retry_after, .. } => *retry_after,
                _ => None,
            };
            if failover {
                tracing::info!(endpoint = %endpoint.url, error = %err, "failing over to another endpoint");
            } else {
                let delay = o.retry.delay(round_attempt - 1, retry_hint);
                tracing::warn!(endpoint = %endpoint.url, error = %err, ?delay, "retrying LLM call");
                tokio::time::sleep(delay).await;
            }
        }
    }

    /// Outage waiting applies once the servers have been seen working (or in registry mode, where
    /// servers come and go by design), and only for `outage_wait` in total.
    fn may_wait_out(&self, since: &mut Option<Instant>) -> bool {
        let o = &self.inner.options;
        if o.outage_wait.is_zero() {
            return false;
        }
        let eligible = self.inner.ever_succeeded.load(Ordering::Relaxed)
            || matches!(self.inner.source, EndpointSource::Registry(_));
        eligible && since.get_or_insert_with(Instant::now).elapsed() < o.outage_wait
    }

    fn has_healthy_endpoint(&self) -> bool {
        let now = Instant::now();
        self.inner.pool.snapshot().iter().any(|e| e.is_healthy(now))
    }

    fn encode_body(
        &self,
        model: &str,
        wire: &WireMessages<'_>,
        fields: &Map<String, Value>,
    ) -> Result<Bytes, LlmError> {
        #[derive(Serialize)]
        struct Body<'a> {
            model: &'a str,
            messages: &'a WireMessages<'a>,
            #[serde(flatten)]
            fields: &'a Map<String, Value>,
        }
        let mut fields = fields.clone();
        fields.remove("model");
        fields.remove("messages");
        if self.inner.options.stream {
            fields.insert("stream".into(), true.into());
            fields.insert(
                "stream_options".into(),
                serde_json::json!({"include_usage": true}),
            );
        } else {
            fields.insert("stream".into(), false.into());
        }
        let bytes = serde_json::to_vec(&Body {
            model,
            messages: wire,
            fields: &fields,
        })
        .map_err(|e| LlmError::Setup(format!("cannot encode the request: {e}")))?;
        // Encoded once per call; `Bytes` clones share the buffer across attempts.
        Ok(Bytes::from(bytes))
    }

    /// Refreshes the registry if due, then picks an endpoint for this session.
    async fn select(&self, session_id: &str) -> Result<Arc<Endpoint>, LlmError> {
        self.refresh_endpoints(false).await?;
        let endpoints = self.inner.pool.snapshot();
        pick(&endpoints, session_id, Instant::now())
            .ok_or_else(|| LlmError::NoEndpoints("the endpoint list is empty".into()))
    }

    /// Re-reads the registry when it is older than `registry_refresh` (or `force`). A failed or
    /// empty read keeps the previous list; it is an error only while there is no list at all.
    async fn refresh_endpoints(&self, force: bool) -> Result<(), LlmError> {
        let EndpointSource::Registry(path) = &self.inner.source else {
            return Ok(());
        };
        let have_any = !self.inner.pool.snapshot().is_empty();
        let mut last = self.inner.registry_read.lock().await;
        let due = force
            || !have_any
            || last.is_none_or(|t| t.elapsed() >= self.inner.options.registry_refresh);
        if !due {
            return Ok(());
        }
        *last = Some(Instant::now());
        match read_registry(path, &self.inner.model).await {
            Ok(urls) => {
                if self.inner.pool.replace(&urls) {
                    tracing::info!(registry = %path.display(), endpoints = ?urls, "LLM endpoints updated");
                }
                Ok(())
            }
            Err(e) if have_any => {
                tracing::warn!(error = %e, "keeping the previous LLM endpoints");
                Ok(())
            }
            Err(e) => Err(LlmError::NoEndpoints(e.to_string())),
        }
    }

    /// The registry path, when endpoints come from one.
    pub fn registry_path(&self) -> Option<PathBuf> {
        match &self.inner.source {
            EndpointSource::Registry(p) => Some(p.clone()),
            EndpointSource::Urls(_) => None,
        }
    }

    /// The configured model, or the first one an endpoint lists when none was configured.
    async fn model_name(&self, session_id: &str) -> Result<String, LlmError> {
        if !self.inner.model.is_empty() {
            return Ok(self.inner.model.clone());
        }
        self.inner
            .resolved_model
            .get_or_try_init(|| async {
                let ep = self.select(session_id).await?;
                let found = self.probe(&ep).await?;
                found.models.into_iter().next().ok_or_else(|| {
                    LlmError::Setup(format!(
                        "llm_model is empty and {}/models lists no model; set llm_model",
                        ep.url
                    ))
                })
            })
            .await
            .cloned()
    }

    /// The context window (vLLM `max_model_len`) of the endpoint this session routes to, from
    /// `GET /models` (cached per endpoint) or from a context-overflow message seen earlier.
    /// `None` when the server does not say.
    pub async fn context_length(&self, session_id: &str) -> Option<u64> {
        let ep = self.select(session_id).await.ok()?;
        let info = ep.context_info();
        if info.max_model_len.is_some() {
            return info.max_model_len;
        }
        if info
            .probe_failed_at
            .is_some_and(|t| t.elapsed() < PROBE_BACKOFF)
        {
            return None;
        }
        self.probe(&ep).await.ok()?.max_model_len
    }

    /// Probes every endpoint's `/models` (for `spatialclaw doctor`).
    pub async fn check_endpoints(&self) -> Result<Vec<EndpointReport>, LlmError> {
        self.refresh_endpoints(true).await?;
        let now = Instant::now();
        let mut out = Vec::new();
        for ep in self.inner.pool.snapshot().iter() {
            let probed = self.probe(ep).await;
            out.push(EndpointReport {
                url: ep.url.clone(),
                healthy: ep.is_healthy(now),
                in_flight: ep.in_flight(),
                max_model_len: probed.as_ref().ok().and_then(|p| p.max_model_len),
                models: probed
                    .as_ref()
                    .map(|p| p.models.clone())
                    .unwrap_or_default(),
                reachable: probed.map(|_| ()).map_err(|e| e.to_string()),
            });
        }
        Ok(out)
    }

    async fn probe(&self, ep: &Endpoint) -> Result<Probe, LlmError> {
        let result = self.probe_uncached(ep).await;
        ep.update_context(|c| match &result {
            Ok(p) => {
                if p.max_model_len.is_some() {
                    c.max_model_len = p.max_model_len;
                }
                c.served_model = p.models.first().cloned();
                c.probe_failed_at = None;
            }
            Err(_) => c.probe_failed_at = Some(Instant::now()),
        });
        result
    }

    async fn probe_uncached(&self, ep: &Endpoint) -> Result<Probe, LlmError> {
        let mut req = self
            .inner
            .http
            .get(format!("{}/models", ep.url))
            .timeout(self.inner.options.probe_timeout);
        if let Some(key) = &self.inner.api_key {
            req = req.bearer_auth(key.expose());
        }
        let resp = req.send().await.map_err(|e| transport_error(&ep.url, &e))?;
        let status = resp.status();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| transport_error(&ep.url, &e))?;
        if !status.is_success() {
            return Err(classify_status(
                &ep.url,
                status.as_u16(),
                error_message(&bytes),
                None,
            ));
        }
        let v: Value = serde_json::from_slice(&bytes).map_err(|e| LlmError::Protocol {
            endpoint: ep.url.clone(),
            message: format!("/models is not JSON ({e})"),
        })?;
        let data = v
            .get("data")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let models: Vec<String> = data
            .iter()
            .filter_map(|m| m.get("id").and_then(Value::as_str).map(str::to_owned))
            .collect();
        let wanted = &self.inner.model;
        let entry = data
            .iter()
            .find(|m| !wanted.is_empty() && m.get("id").and_then(Value::as_str) == Some(wanted))
            .or_else(|| data.first());
        let max_model_len = entry.and_then(|m| {
            ["max_model_len", "context_length", "context_window"]
                .iter()
                .find_map(|k| m.get(*k).and_then(Value::as_u64))
        });
        Ok(Probe {
            models,
            max_model_len,
        })
    }

    /// One HTTP exchange with one endpoint.
    async fn attempt(&self, ep: &Endpoint, body: Bytes) -> Result<RawCompletion, LlmError> {
        let o = &self.inner.options;
        let started = Instant::now();
        let mut req = self
            .inner
            .http
            .post(format!("{}/chat/completions", ep.url))
            .header(CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(key) = &self.inner.api_key {
            req = req.bearer_auth(key.expose());
        }
        if !o.stream {
            let resp = req
                .timeout(o.request_timeout)
                .send()
                .await
                .map_err(|e| transport_error(&ep.url, &e))?;
            let status = resp.status();
            let headers = resp.headers().clone();
            let bytes = resp
                .bytes()
                .await
                .map_err(|e| transport_error(&ep.url, &e))?;
            if !status.is_success() {
                return Err(classify_status(
                    &ep.url,
                    status.as_u16(),
                    error_message(&bytes),
                    retry_after(&headers),
                ));
            }
            return parse_json_body(&bytes, &ep.url);
        }

        let req = req.header(ACCEPT, "text/event-stream");
        let first_deadline = started + o.first_byte_timeout;
        let resp = match tokio::time::timeout(o.first_byte_timeout, req.send()).await {
            Err(_) => {
                return Err(LlmError::Timeout {
                    endpoint: ep.url.clone(),
                    message: format!("no response headers within {:?}", o.first_byte_timeout),
                });
            }
            Ok(r) => r.map_err(|e| transport_error(&ep.url, &e))?,
        };
        let status = resp.status();
        let headers = resp.headers().clone();
        let is_sse = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_ascii_lowercase)
            .and_then(|ct| {
                if ct.contains("event-stream") {
                    Some(true)
                } else if ct.contains("json") {
                    Some(false)
                } else {
                    None
                }
            });
        let mut chunks = resp.bytes_stream();
        // Silence is measured from the last *progress* (a complete SSE event, or body bytes of a
        // plain JSON answer), not from the last byte: a server that trickles keep-alive comments
        // or blank lines (slow-loris) must not hold a call open forever.
        let mut deadline = first_deadline;
        let mut got_bytes = false;
        let mut parser = SseParser::default();
        let mut acc = StreamAccumulator::default();
        let mut raw: Vec<u8> = Vec::new();
        // Decided from the content type, or sniffed from the first bytes when it is missing.
        let mut sse = if status.is_success() {
            is_sse
        } else {
            Some(false)
        };
        loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            let next = match tokio::time::timeout(wait, chunks.next()).await {
                Err(_) => {
                    return Err(LlmError::Timeout {
                        endpoint: ep.url.clone(),
                        message: if got_bytes {
                            format!(
                                "the stream made no progress for {:?} (no complete event)",
                                o.idle_timeout
                            )
                        } else {
                            format!("no data within {:?}", o.first_byte_timeout)
                        },
                    });
                }
                Ok(n) => n,
            };
            let Some(chunk) = next else { break };
            let chunk = chunk.map_err(|e| transport_error(&ep.url, &e))?;
            let mut progressed = false;
            if sse.is_none() {
                // No content type: sniff the first non-blank byte ('{' = a JSON document).
                raw.extend_from_slice(&chunk);
                match raw.iter().find(|b| !b.is_ascii_whitespace()) {
                    None => continue,
                    Some(b) => sse = Some(!matches!(b, b'{' | b'[')),
                }
                if sse == Some(true) {
                    for event in parser.push(&std::mem::take(&mut raw)) {
                        progressed = true;
                        acc.on_event(&event, &ep.url)?;
                    }
                    if acc.is_done() {
                        break;
                    }
                } else {
                    progressed = true;
                }
            } else if sse == Some(true) {
                for event in parser.push(&chunk) {
                    progressed = true;
                    acc.on_event(&event, &ep.url)?;
                }
                if acc.is_done() {
                    break;
                }
            } else {
                progressed = chunk.iter().any(|b| !b.is_ascii_whitespace());
                raw.extend_from_slice(&chunk);
                if !status.is_success() && raw.len() >= MAX_ERROR_BODY {
                    break;
                }
            }
            if progressed {
                got_bytes = true;
                deadline = Instant::now() + o.idle_timeout;
            }
        }
        if !status.is_success() {
            return Err(classify_status(
                &ep.url,
                status.as_u16(),
                error_message(&raw),
                retry_after(&headers),
            ));
        }
        if sse == Some(true) {
            if let Some(event) = parser.finish() {
                acc.on_event(&event, &ep.url)?;
            }
            acc.finish(&ep.url)
        } else {
            // The server ignored `stream` and answered one JSON document.
            parse_json_body(&raw, &ep.url)
        }
    }

    /// Usage booked under a session so far.
    pub fn usage(&self, session_id: &str) -> Option<UsageStats> {
        self.inner.usage.get(session_id)
    }

    /// Removes and returns a session's usage (at the end of a sample).
    pub fn take_usage(&self, session_id: &str) -> Option<UsageStats> {
        self.inner.usage.take(session_id)
    }

    /// Usage of every call this client made (not reduced by `take_usage`).
    pub fn total_usage(&self) -> UsageStats {
        self.inner.usage.total()
    }

    /// The configured model name (empty when it is discovered from the server).
    pub fn model(&self) -> &str {
        &self.inner.model
    }

    /// Base URLs currently in rotation.
    pub fn endpoint_urls(&self) -> Vec<String> {
        self.inner
            .pool
            .snapshot()
            .iter()
            .map(|e| e.url.clone())
            .collect()
    }

    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }
}

struct Probe {
    models: Vec<String>,
    max_model_len: Option<u64>,
}

fn parse_json_body(bytes: &[u8], endpoint: &str) -> Result<RawCompletion, LlmError> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| LlmError::Protocol {
        endpoint: endpoint.to_owned(),
        message: format!("response is not JSON ({e})"),
    })?;
    parse_completion(&v, endpoint)
}

/// A reqwest failure as a typed error, with the whole cause chain (reqwest's own text is terse).
fn transport_error(endpoint: &str, e: &reqwest::Error) -> LlmError {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    let endpoint = endpoint.to_owned();
    if e.is_timeout() {
        LlmError::Timeout { endpoint, message }
    } else if e.is_decode() {
        LlmError::Protocol { endpoint, message }
    } else {
        LlmError::Connect { endpoint, message }
    }
}
