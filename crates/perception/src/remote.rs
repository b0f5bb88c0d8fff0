//! `RemoteBackend`: the client of `spatialclaw perception serve`, usable wherever a backend is.
//!
//! It takes a list of servers and spreads calls over them; a server that is down, overloaded
//! or misbehaving is skipped (failover) and the call retried with backoff. Answers the agent
//! can act on (bad input, a request too large) and deterministic backend failures are
//! returned at once. Responses are size-capped before they are read and schema-checked
//! (wire.rs) before they are trusted, and every response names the backend that produced it,
//! so a server that changed its model is noticed rather than mixed into cached results.

use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde::Deserialize;

use crate::backend::{Backend, PerceptionError};
use crate::server::CALL_PATH;
use crate::types::{Masks, Reconstruction, RgbFrame, SegmentPrompt};
use crate::wire::{self, BackendId, Output};

/// One server: its base URL (`http://127.0.0.1:7878`) and bearer token.
#[derive(Clone, PartialEq, Eq)]
pub struct RemoteServer {
    pub url: String,
    pub token: String,
}

/// Never prints the token: configurations end up in logs.
impl std::fmt::Debug for RemoteServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteServer")
            .field("url", &self.url)
            .field("token", &"<redacted>")
            .finish()
    }
}

impl RemoteServer {
    pub fn new(url: impl Into<String>, token: impl Into<String>) -> Self {
        Self {
            url: url.into().trim_end_matches('/').to_owned(),
            token: token.into(),
        }
    }
}

/// Retry, timeout and size policy of the client.
#[derive(Debug, Clone)]
pub struct RemoteConfig {
    /// Attempts per call, across all servers (at least 1).
    pub attempts: usize,
    /// Sleep before the second attempt; doubles after each further failure.
    pub backoff: Duration,
    /// Per-request timeout (the original uses 450 s, below the 600 s cell timeout).
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Responses larger than this are refused without being read.
    pub max_response_bytes: u64,
}

impl Default for RemoteConfig {
    fn default() -> Self {
        Self {
            attempts: 3,
            backoff: Duration::from_millis(500),
            timeout: Duration::from_secs(450),
            connect_timeout: Duration::from_secs(5),
            max_response_bytes: 2 << 30,
        }
    }
}

/// Why one attempt failed, and whether another attempt could help.
#[derive(Debug)]
enum Attempt {
    /// Try another server / try again later.
    Retry(String),
    /// Final: the same request would fail the same way anywhere.
    Final(PerceptionError),
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    kind: String,
    message: String,
}

#[derive(Deserialize)]
struct Health {
    status: String,
    protocol_version: u32,
    backend: BackendId,
}

/// A backend served by one or more `spatialclaw perception serve` processes.
pub struct RemoteBackend {
    servers: Vec<RemoteServer>,
    cfg: RemoteConfig,
    client: Client,
    id: BackendId,
    next: AtomicUsize,
}

/// An error with its whole cause chain: reqwest's own text ("error sending request for url")
/// hides the part that says what happened ("Connection refused", "operation timed out").
pub(crate) fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

/// Read at most `limit` bytes of a response body; more is an error, not a truncation.
pub(crate) fn read_limited(
    resp: reqwest::blocking::Response,
    limit: u64,
) -> Result<Vec<u8>, String> {
    if let Some(n) = resp.content_length()
        && n > limit
    {
        return Err(format!(
            "response of {n} bytes exceeds the limit of {limit} bytes"
        ));
    }
    let mut buf = Vec::new();
    resp.take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("reading the response: {e}"))?;
    if buf.len() as u64 > limit {
        return Err(format!(
            "response exceeds the limit of {limit} bytes (no length declared)"
        ));
    }
    Ok(buf)
}

impl std::fmt::Debug for RemoteBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteBackend")
            .field("servers", &self.servers)
            .field("backend", &self.id)
            .finish_non_exhaustive()
    }
}

fn http_client(cfg: &RemoteConfig) -> Result<Client, PerceptionError> {
    Client::builder()
        .timeout(cfg.timeout)
        .connect_timeout(cfg.connect_timeout)
        .build()
        .map_err(|e| PerceptionError::Failed(format!("cannot create an HTTP client: {e}")))
}

impl RemoteBackend {
    /// Connect to `servers`: asks each for `/health` and adopts the backend identity they
    /// report, so cache entries are keyed on the real model. At least one must answer, and all
    /// that answer must run the same backend and version. Blocking (like every backend call).
    pub fn connect(servers: Vec<RemoteServer>, cfg: RemoteConfig) -> Result<Self, PerceptionError> {
        if servers.is_empty() {
            return Err(PerceptionError::Failed(
                "no perception servers given".into(),
            ));
        }
        let client = http_client(&cfg)?;
        let mut id: Option<(BackendId, String)> = None;
        let mut problems = Vec::new();
        for s in &servers {
            match health(&client, s, &cfg) {
                Ok(h) => match &id {
                    None => id = Some((h, s.url.clone())),
                    Some((first, url)) if *first != h => {
                        return Err(PerceptionError::Failed(format!(
                            "perception servers disagree: {url} runs {}/{}, {} runs {}/{}",
                            first.name, first.version, s.url, h.name, h.version
                        )));
                    }
                    Some(_) => {}
                },
                Err(e) => problems.push(format!("{}: {e}", s.url)),
            }
        }
        let Some((id, _)) = id else {
            return Err(PerceptionError::Failed(format!(
                "no perception server answered: {}",
                problems.join("; ")
            )));
        };
        for p in &problems {
            tracing::warn!("perception server unavailable at start: {p}");
        }
        Ok(Self {
            servers,
            cfg,
            client,
            id,
            next: AtomicUsize::new(0),
        })
    }

    /// Use `servers` as running `id` without asking them (when they may still be starting).
    pub fn with_identity(
        servers: Vec<RemoteServer>,
        cfg: RemoteConfig,
        id: BackendId,
    ) -> Result<Self, PerceptionError> {
        if servers.is_empty() {
            return Err(PerceptionError::Failed(
                "no perception servers given".into(),
            ));
        }
        Ok(Self {
            client: http_client(&cfg)?,
            servers,
            cfg,
            id,
            next: AtomicUsize::new(0),
        })
    }

    pub fn servers(&self) -> &[RemoteServer] {
        &self.servers
    }

    fn attempt(&self, server: &RemoteServer, body: &[u8]) -> Result<Output, Attempt> {
        let resp = self
            .client
            .post(format!("{}{CALL_PATH}", server.url))
            .bearer_auth(&server.token)
            .header(reqwest::header::CONTENT_TYPE, wire::CONTENT_TYPE)
            .body(body.to_vec())
            .send()
            .map_err(|e| Attempt::Retry(format!("{}: {}", server.url, with_causes(&e))))?;
        let status = resp.status();
        let limit = self.cfg.max_response_bytes;
        if status == StatusCode::OK {
            let bytes = read_limited(resp, limit).map_err(|e| {
                Attempt::Final(PerceptionError::Unavailable(format!(
                    "perception server {}: {e}",
                    server.url
                )))
            })?;
            let (id, out) = wire::decode_output(&bytes)
                .map_err(|e| Attempt::Retry(format!("{}: {e}", server.url)))?;
            if id != self.id {
                return Err(Attempt::Retry(format!(
                    "{} now runs {}/{}, expected {}/{}",
                    server.url, id.name, id.version, self.id.name, self.id.version
                )));
            }
            return Ok(out);
        }
        let text = read_limited(resp, 1 << 20).unwrap_or_default();
        let detail = serde_json::from_slice::<ErrorBody>(&text)
            .map(|b| (b.error.kind, b.error.message))
            .unwrap_or_else(|_| {
                (
                    "unknown".into(),
                    String::from_utf8_lossy(&text).into_owned(),
                )
            });
        let msg = format!("{} (HTTP {}): {}", server.url, status.as_u16(), detail.1);
        Err(match (status, detail.0.as_str()) {
            (StatusCode::BAD_REQUEST, "bad_input") => {
                Attempt::Final(PerceptionError::BadInput(detail.1))
            }
            (StatusCode::PAYLOAD_TOO_LARGE, _) => {
                Attempt::Final(PerceptionError::BadInput(detail.1))
            }
            (StatusCode::BAD_REQUEST | StatusCode::UNSUPPORTED_MEDIA_TYPE, _) => {
                Attempt::Final(PerceptionError::Failed(format!(
                    "perception server refused our request (client/server version mismatch?): {msg}"
                )))
            }
            (StatusCode::INTERNAL_SERVER_ERROR, "failed") => {
                Attempt::Final(PerceptionError::Failed(detail.1))
            }
            (StatusCode::UNAUTHORIZED, _) => {
                Attempt::Retry(format!("{msg} (check the token for this server)"))
            }
            _ => Attempt::Retry(msg),
        })
    }

    /// Send `body` to the servers in turn until one answers or the attempts are spent.
    fn call(&self, body: Vec<u8>) -> Result<Output, PerceptionError> {
        let attempts = self.cfg.attempts.max(1);
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let mut failures = Vec::new();
        let mut backoff = self.cfg.backoff;
        for i in 0..attempts {
            let server = &self.servers[(start + i) % self.servers.len()];
            match self.attempt(server, &body) {
                Ok(out) => return Ok(out),
                Err(Attempt::Final(e)) => return Err(e),
                Err(Attempt::Retry(why)) => {
                    tracing::warn!(
                        "perception call failed, attempt {}/{attempts}: {why}",
                        i + 1
                    );
                    failures.push(why);
                }
            }
            // Moving to a server not yet tried needs no pause; coming back round does.
            if i + 1 < attempts && (i + 1) % self.servers.len() == 0 {
                std::thread::sleep(backoff);
                backoff = backoff.saturating_mul(2);
            }
        }
        Err(PerceptionError::Unavailable(format!(
            "perception service temporarily unavailable after {attempts} attempts; please try again ({})",
            failures.join("; ")
        )))
    }
}

fn health(client: &Client, s: &RemoteServer, cfg: &RemoteConfig) -> Result<BackendId, String> {
    let resp = client
        .get(format!("{}/health", s.url))
        .timeout(cfg.connect_timeout.max(Duration::from_secs(1)) * 2)
        .send()
        .map_err(|e| with_causes(&e))?;
    if !resp.status().is_success() {
        return Err(format!("/health answered HTTP {}", resp.status().as_u16()));
    }
    let body = read_limited(resp, 1 << 16)?;
    let h: Health = serde_json::from_slice(&body).map_err(|e| format!("/health: {e}"))?;
    if h.status != "ok" || h.protocol_version != wire::WIRE_VERSION {
        return Err(format!(
            "/health reports status {:?}, protocol {} (we speak {})",
            h.status,
            h.protocol_version,
            wire::WIRE_VERSION
        ));
    }
    Ok(h.backend)
}

fn encode_err(e: wire::WireError) -> PerceptionError {
    PerceptionError::BadInput(e.to_string())
}

impl Backend for RemoteBackend {
    fn name(&self) -> &str {
        &self.id.name
    }

    fn version(&self) -> &str {
        &self.id.version
    }

    fn reconstruct(&self, frames: &[RgbFrame]) -> Result<Reconstruction, PerceptionError> {
        let body = wire::encode_reconstruct_request(frames).map_err(encode_err)?;
        match self.call(body)? {
            Output::Reconstruction(r)
                if r.frames == frames.len()
                    && frames
                        .first()
                        .is_some_and(|f| (f.height, f.width) == (r.height, r.width)) =>
            {
                Ok(r)
            }
            Output::Reconstruction(r) => Err(PerceptionError::Unavailable(format!(
                "perception server returned {} frames of {}x{} for {} frames of the input size",
                r.frames,
                r.width,
                r.height,
                frames.len()
            ))),
            Output::Masks(_) => Err(PerceptionError::Unavailable(
                "perception server returned masks for a reconstruction request".into(),
            )),
        }
    }

    fn segment(&self, frame: &RgbFrame, prompt: &SegmentPrompt) -> Result<Masks, PerceptionError> {
        let body = wire::encode_segment_request(frame, prompt).map_err(encode_err)?;
        match self.call(body)? {
            Output::Masks(m) if (m.height, m.width) == (frame.height, frame.width) => Ok(m),
            Output::Masks(m) => Err(PerceptionError::Unavailable(format!(
                "perception server returned {}x{} masks for a {}x{} frame",
                m.width, m.height, frame.width, frame.height
            ))),
            Output::Reconstruction(_) => Err(PerceptionError::Unavailable(
                "perception server returned a reconstruction for a segmentation request".into(),
            )),
        }
    }
}
