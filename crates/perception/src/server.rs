//! `spatialclaw perception serve`: any backend behind an authenticated HTTP endpoint.
//!
//! Keeps the security properties of the original's fixed GPU server (tools-perception.md §8):
//! no deserialisation of code (our schema-checked binary format, wire.rs), a bearer token
//! compared in constant time, a body size cap enforced before reading, a fixed set of methods,
//! loopback by default. A semaphore bounds concurrent backend calls, so a GPU model is not
//! asked for more parallel work than it can hold. See `PROTOCOL.md`.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde_json::json;
use tokio::sync::Semaphore;

use crate::backend::{Backend, PerceptionError};
use crate::wire::{self, BackendId, Output, Request as WireRequest};

/// Default request body cap: 64 frames of 768x576 RGB fit with room to spare.
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 256 << 20;
/// Default number of backend calls running at once.
pub const DEFAULT_CONCURRENCY: usize = 2;
/// Path of the single RPC endpoint.
pub const CALL_PATH: &str = "/v1/call";

/// How the service is protected and throttled.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Bearer token every `/v1/call` must carry.
    pub token: String,
    /// Largest accepted request body; larger ones get 413 without being read.
    pub max_request_bytes: usize,
    /// Backend calls allowed to run concurrently; further requests queue.
    pub max_concurrency: usize,
}

impl ServerConfig {
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            token: token.into(),
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            max_concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

struct AppState {
    backend: Arc<dyn Backend>,
    id: BackendId,
    token: Vec<u8>,
    max_request_bytes: usize,
    permits: Semaphore,
}

/// A random bearer token: 32 bytes from the OS, URL-safe base64 (like the original's
/// `secrets.token_urlsafe(32)`).
pub fn generate_token() -> io::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| io::Error::other(e.to_string()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// Write `token` to `path`, readable by the owner only (0600 from creation, never wider).
pub fn write_token_file(path: &Path, token: &str) -> io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    #[cfg(unix)]
    {
        // An existing file keeps its old mode on open; tighten it.
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    io::Write::write_all(&mut f, format!("{token}\n").as_bytes())
}

/// Read a token file (surrounding whitespace ignored); an empty file is an error.
pub fn read_token_file(path: &Path) -> io::Result<String> {
    let t = std::fs::read_to_string(path)?.trim().to_owned();
    if t.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("token file {} is empty", path.display()),
        ));
    }
    Ok(t)
}

/// Constant-time equality, so response timing does not reveal how much of a guess was right.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn error(status: StatusCode, kind: &str, message: impl Into<String>) -> Response {
    let body = json!({"error": {"kind": kind, "message": message.into()}}).to_string();
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    r
}

fn authorised(headers: &HeaderMap, token: &[u8]) -> bool {
    let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some((scheme, cred)) = v.split_once(' ') else {
        return false;
    };
    scheme.eq_ignore_ascii_case("bearer") && same_secret(cred.trim().as_bytes(), token)
}

/// Build the service's router around `backend`.
pub fn router(backend: Arc<dyn Backend>, cfg: ServerConfig) -> Router {
    let id = BackendId {
        name: backend.name().to_owned(),
        version: backend.version().to_owned(),
    };
    let state = Arc::new(AppState {
        backend,
        id,
        token: cfg.token.into_bytes(),
        max_request_bytes: cfg.max_request_bytes,
        permits: Semaphore::new(cfg.max_concurrency.max(1)),
    });
    Router::new()
        .route("/health", get(health))
        .route(CALL_PATH, post(call))
        .with_state(state)
}

async fn health(State(s): State<Arc<AppState>>) -> Response {
    let body = json!({
        "status": "ok",
        "protocol_version": wire::WIRE_VERSION,
        "backend": {"name": s.id.name, "version": s.id.version},
    });
    let mut r = body.to_string().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

async fn call(State(s): State<Arc<AppState>>, req: Request) -> Response {
    // Authenticate and size-check before reading a single body byte.
    if !authorised(req.headers(), &s.token) {
        return error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or wrong bearer token",
        );
    }
    let ctype = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    if ctype.as_deref() != Some(wire::CONTENT_TYPE) {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("Content-Type must be {}", wire::CONTENT_TYPE),
        );
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let too_large = || {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!(
                "request body exceeds this server's limit of {} bytes; send fewer or smaller frames",
                s.max_request_bytes
            ),
        )
    };
    if declared.is_some_and(|n| n > s.max_request_bytes as u64) {
        return too_large();
    }
    let body = match axum::body::to_bytes(req.into_body(), s.max_request_bytes).await {
        Ok(b) => b,
        Err(_) => return too_large(),
    };
    let request = match wire::decode_request(&body) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, "bad_request", e.to_string()),
    };
    drop(body);
    let Ok(permit) = s.permits.acquire().await else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "server is shutting down",
        );
    };
    let backend = s.backend.clone();
    let id = s.id.clone();
    let joined = tokio::task::spawn_blocking(move || {
        let out = match request {
            WireRequest::Reconstruct(frames) => {
                backend.reconstruct(&frames).map(Output::Reconstruction)
            }
            WireRequest::Segment(frame, prompt) => {
                backend.segment(&frame, &prompt).map(Output::Masks)
            }
        };
        out.map(|o| wire::encode_output(&o, &id))
    })
    .await;
    drop(permit);
    match joined {
        Ok(Ok(Ok(bytes))) => {
            let mut r = Response::new(Body::from(bytes));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(wire::CONTENT_TYPE),
            );
            r
        }
        Ok(Ok(Err(e))) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("backend produced an unencodable result: {e}"),
        ),
        Ok(Err(PerceptionError::BadInput(m))) => error(StatusCode::BAD_REQUEST, "bad_input", m),
        Ok(Err(PerceptionError::Failed(m))) => {
            error(StatusCode::INTERNAL_SERVER_ERROR, "failed", m)
        }
        // A server fronting another service that is down: the caller may retry elsewhere.
        Ok(Err(PerceptionError::Unavailable(m))) => {
            error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", m)
        }
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("backend call did not complete: {e}"),
        ),
    }
}

/// Serve until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    backend: Arc<dyn Backend>,
    cfg: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    axum::serve(listener, router(backend, cfg))
        .with_graceful_shutdown(shutdown)
        .await
}

/// A server running on its own thread and runtime (tests, benchmarks, embedding in
/// synchronous code). Dropping it stops the server.
pub struct ServerHandle {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ServerHandle {
    /// Bind `addr` (port 0 picks a free one) and serve `backend` in the background.
    pub fn spawn(
        addr: SocketAddr,
        backend: Arc<dyn Backend>,
        cfg: ServerConfig,
    ) -> io::Result<Self> {
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("perception-serve-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            tracing::error!("perception server cannot listen: {e}");
                            return;
                        }
                    };
                    let shutdown = async move {
                        let _ = stopped.await;
                    };
                    if let Err(e) = serve(listener, backend, cfg, shutdown).await {
                        tracing::error!("perception server stopped: {e}");
                    }
                });
            })?;
        Ok(Self {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`, the base URL clients use.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM, for a graceful stop of `serve`.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    {
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}
