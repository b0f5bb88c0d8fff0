//! Purpose-built HTTP servers for fault injection, plus test defaults.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::StreamExt as _;
use serde_json::{Value, json};
use spatialclaw_llm::{ClientConfig, ClientOptions, LlmClient, RetryPolicy};

/// What a fault server answers to one request.
pub enum Reply {
    Json {
        status: u16,
        body: Value,
        headers: Vec<(&'static str, String)>,
    },
    /// SSE frames (already `data: …\n\n`-formatted), one every `interval`; then either the end or
    /// an endless silence with the connection open.
    Sse {
        frames: Vec<String>,
        interval: Duration,
        stall: bool,
    },
    /// A 200 with this body and content type (none when `None`).
    Raw {
        content_type: Option<&'static str>,
        body: String,
    },
}

pub fn json_reply(status: u16, body: Value) -> Reply {
    Reply::Json {
        status,
        body,
        headers: Vec::new(),
    }
}

/// A valid non-streaming completion.
pub fn completion(content: &str) -> Value {
    json!({"id": "x", "object": "chat.completion", "model": "m",
           "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop"}],
           "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14}})
}

/// SSE frames for `pieces` as content deltas, a finish chunk, a usage chunk and [DONE].
pub fn sse_frames(pieces: &[&str]) -> Vec<String> {
    let mut frames: Vec<String> = pieces
        .iter()
        .map(|p| {
            format!(
                "data: {}\n\n",
                json!({"choices": [{"index": 0, "delta": {"content": p}, "finish_reason": null}]})
            )
        })
        .collect();
    frames.push(format!(
        "data: {}\n\n",
        json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    ));
    frames.push(format!(
        "data: {}\n\n",
        json!({"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": pieces.len()}})
    ));
    frames.push("data: [DONE]\n\n".into());
    frames
}

type Handler = dyn Fn(usize, &Value, &HeaderMap) -> Reply + Send + Sync;

struct St {
    hits: Arc<AtomicUsize>,
    handler: Box<Handler>,
}

/// An axum server on 127.0.0.1 in the test's runtime; aborted on drop.
pub struct FaultServer {
    pub base_url: String,
    hits: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultServer {
    pub async fn start(
        handler: impl Fn(usize, &Value, &HeaderMap) -> Reply + Send + Sync + 'static,
    ) -> FaultServer {
        Self::start_on("127.0.0.1:0", handler).await
    }

    /// On a given address (to bring a "restarted" server back on a dead server's port).
    pub async fn start_on(
        addr: &str,
        handler: impl Fn(usize, &Value, &HeaderMap) -> Reply + Send + Sync + 'static,
    ) -> FaultServer {
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let st = Arc::new(St {
            hits: Arc::clone(&hits),
            handler: Box::new(handler),
        });
        let app = Router::new()
            .route("/v1/chat/completions", post(handle))
            .route(
                "/v1/models",
                get(|| async { axum::Json(json!({"object": "list", "data": [{"id": "fault-model", "max_model_len": 4096}]})) }),
            )
            .with_state(st);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FaultServer {
            base_url: format!("http://{addr}/v1"),
            hits,
            task,
        }
    }

    /// Chat requests received.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(State(st): State<Arc<St>>, headers: HeaderMap, body: Bytes) -> Response {
    let n = st.hits.fetch_add(1, Ordering::SeqCst);
    let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    match (st.handler)(n, &req, &headers) {
        Reply::Json {
            status,
            body,
            headers,
        } => {
            let mut resp =
                (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response();
            for (k, v) in headers {
                resp.headers_mut().insert(k, v.parse().unwrap());
            }
            resp
        }
        Reply::Raw { content_type, body } => {
            let mut builder = Response::builder();
            if let Some(ct) = content_type {
                builder = builder.header(header::CONTENT_TYPE, ct);
            }
            builder.body(Body::from(body)).unwrap()
        }
        Reply::Sse {
            frames,
            interval,
            stall,
        } => {
            let timed =
                futures_util::stream::unfold(frames.into_iter(), move |mut it| async move {
                    let frame = it.next()?;
                    tokio::time::sleep(interval).await;
                    Some((Ok::<_, std::convert::Infallible>(frame), it))
                });
            let body = if stall {
                Body::from_stream(timed.chain(futures_util::stream::pending()))
            } else {
                Body::from_stream(timed)
            };
            Response::builder()
                .header(header::CONTENT_TYPE, "text/event-stream")
                .body(body)
                .unwrap()
        }
    }
}

/// Millisecond backoffs and short timeouts so the suite runs in seconds.
pub fn fast_options() -> ClientOptions {
    ClientOptions {
        stream: true,
        connect_timeout: Duration::from_secs(2),
        first_byte_timeout: Duration::from_secs(10),
        idle_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(10),
        retry: RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(4),
            max_retry_after: Duration::from_millis(10),
        },
        unhealthy_for: Duration::from_secs(60),
        registry_refresh: Duration::from_secs(60),
        outage_wait: Duration::ZERO,
        outage_poll: Duration::from_millis(10),
        call_deadline: None,
        clamp_max_tokens: true,
        merge_consecutive_messages: false,
        probe_timeout: Duration::from_secs(2),
    }
}

pub fn client_for(urls: &[&str], options: ClientOptions) -> LlmClient {
    LlmClient::new(ClientConfig::for_urls("test-model", urls.iter().copied()).with_options(options))
        .unwrap()
}

/// A port on 127.0.0.1 where nothing listens.
pub fn dead_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}/v1")
}
