//! A real OpenAI-compatible HTTP server on 127.0.0.1 that stands in for a VLM.
//!
//! The demo and the tests of every crate above this one run the whole agent loop without a GPU:
//! they start a `LocalServer` whose [`Responder`] decides the reply, and point the ordinary client
//! at `base_url()`. Because it is a real server speaking the real wire format (JSON and SSE,
//! usage chunks, `/v1/models` with `max_model_len`, context-overflow 400s, OpenAI error bodies),
//! the code under test is exactly the code that talks to vLLM in production.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::message::Message;

/// Decides the assistant's reply to one request.
pub trait Responder: Send + Sync + 'static {
    /// `request` is the JSON body as received (`model`, `messages`, sampling parameters, …).
    /// `Ok` is the assistant content (it may contain `<think>…</think>`); `Err` becomes an HTTP
    /// 500 with an OpenAI-style error body carrying the text.
    fn respond(&self, request: &Value) -> Result<String, String>;
}

impl<F> Responder for F
where
    F: Fn(&Value) -> Result<String, String> + Send + Sync + 'static,
{
    fn respond(&self, request: &Value) -> Result<String, String> {
        self(request)
    }
}

/// Replies from a fixed list, in order; an exhausted script answers with an error (HTTP 500) so a
/// test that makes more calls than planned fails loudly.
#[derive(Debug, Default)]
pub struct Scripted {
    replies: Mutex<VecDeque<Result<String, String>>>,
}

impl Scripted {
    pub fn new<S: Into<String>>(replies: impl IntoIterator<Item = S>) -> Self {
        Scripted {
            replies: Mutex::new(replies.into_iter().map(|r| Ok(r.into())).collect()),
        }
    }

    /// Queues one more reply (`Err` = an HTTP 500 with that message).
    pub fn push(&self, reply: Result<String, String>) {
        self.lock().push_back(reply);
    }

    pub fn remaining(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Result<String, String>>> {
        self.replies.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Responder for Scripted {
    fn respond(&self, _request: &Value) -> Result<String, String> {
        self.lock()
            .pop_front()
            .unwrap_or_else(|| Err("scripted responder has no replies left".into()))
    }
}

/// The request's messages as typed messages (images decoded), for responders that inspect them.
pub fn parse_messages(request: &Value) -> Result<Vec<Message>, String> {
    let list = request
        .get("messages")
        .and_then(Value::as_array)
        .ok_or("request has no \"messages\" array")?;
    list.iter()
        .enumerate()
        .map(|(i, m)| Message::from_wire(m).map_err(|e| format!("messages[{i}]: {e}")))
        .collect()
}

/// How the server behaves.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalServerOptions {
    /// The id `/v1/models` lists. Requests may name any model; it is echoed back.
    pub model: String,
    /// Context window: prompt + `max_tokens` beyond it is answered with a 400, as vLLM does.
    pub max_model_len: u64,
    /// Characters per streamed content chunk.
    pub chunk_chars: usize,
    /// Act like vLLM with a reasoning parser: `<think>…</think>` in the reply goes to
    /// `reasoning_content` instead of `content`.
    pub reasoning_parser: bool,
    /// Prompt tokens counted per image.
    pub tokens_per_image: u64,
}

impl Default for LocalServerOptions {
    fn default() -> Self {
        LocalServerOptions {
            model: "local-vlm".into(),
            max_model_len: 262_144,
            chunk_chars: 24,
            reasoning_parser: false,
            tokens_per_image: 256,
        }
    }
}

/// A running server; stops when dropped.
#[derive(Debug)]
pub struct LocalServer {
    addr: SocketAddr,
    model: String,
    requests: Arc<AtomicU64>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct ServerState {
    responder: Arc<dyn Responder>,
    options: LocalServerOptions,
    requests: Arc<AtomicU64>,
}

impl LocalServer {
    /// Starts on an ephemeral port with default options. Works from sync and async code alike:
    /// the server runs on its own thread and runtime.
    pub fn start(responder: impl Responder) -> std::io::Result<LocalServer> {
        Self::start_with(responder, LocalServerOptions::default())
    }

    pub fn start_with(
        responder: impl Responder,
        options: LocalServerOptions,
    ) -> std::io::Result<LocalServer> {
        let listener = StdListener::bind(("127.0.0.1", 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let requests = Arc::new(AtomicU64::new(0));
        let model = options.model.clone();
        let state = Arc::new(ServerState {
            responder: Arc::new(responder),
            options,
            requests: Arc::clone(&requests),
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("local-vlm-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            tracing::error!(error = %e, "local server cannot listen");
                            return;
                        }
                    };
                    let app = Router::new()
                        .route("/v1/chat/completions", post(chat_completions))
                        .route("/v1/models", get(list_models))
                        .with_state(state);
                    let served = axum::serve(listener, app).with_graceful_shutdown(async {
                        let _ = rx.await;
                    });
                    if let Err(e) = served.await {
                        tracing::error!(error = %e, "local server stopped");
                    }
                });
            })?;
        Ok(LocalServer {
            addr,
            model,
            requests,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// Stops the server and waits until its port is closed (dropping only signals the stop).
    /// Tests that simulate a dying server use this so the next request deterministically fails.
    pub fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// `http://127.0.0.1:PORT/v1`, ready for `llm_base_url`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The model id the server lists.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Chat-completion requests received so far.
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn error_response(status: StatusCode, kind: &str, message: &str) -> Response {
    let body = json!({"error": {"message": message, "type": kind, "param": null,
                                "code": status.as_u16()}});
    (status, axum::Json(body)).into_response()
}

async fn list_models(State(st): State<Arc<ServerState>>) -> Response {
    axum::Json(json!({
        "object": "list",
        "data": [{
            "id": st.options.model,
            "object": "model",
            "created": now_secs(),
            "owned_by": "spatialclaw",
            "max_model_len": st.options.max_model_len,
        }]
    }))
    .into_response()
}

/// Rough token count: a quarter of the characters, rounded up.
fn text_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}

fn prompt_tokens(messages: &[Value], per_image: u64) -> u64 {
    let mut total = 0;
    for m in messages {
        total += 4;
        match m.get("content") {
            Some(Value::String(s)) => total += text_tokens(s),
            Some(Value::Array(parts)) => {
                for p in parts {
                    match p.get("type").and_then(Value::as_str) {
                        Some("text") => {
                            total +=
                                text_tokens(p.get("text").and_then(Value::as_str).unwrap_or(""));
                        }
                        Some("image_url") => total += per_image,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    total
}

/// Splits `<think>…</think>` off the reply like a server-side reasoning parser.
fn parse_reasoning(reply: &str) -> (String, Option<String>) {
    let Some(close) = reply.find("</think>") else {
        return (reply.to_owned(), None);
    };
    let head = &reply[..close];
    let thought = head.strip_prefix("<think>").unwrap_or(head).trim();
    let rest = reply[close + "</think>".len()..].trim_start();
    (rest.to_owned(), Some(thought.to_owned()))
}

fn take_chars(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(i, _)| &s[..i])
}

fn chunks_of(s: &str, n: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        let piece = take_chars(rest, n.max(1));
        out.push(piece);
        rest = &rest[piece.len()..];
    }
    out
}

async fn chat_completions(State(st): State<Arc<ServerState>>, body: Bytes) -> Response {
    let id = st.requests.fetch_add(1, Ordering::Relaxed) + 1;
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "BadRequestError",
                &format!("request body is not valid JSON: {e}"),
            );
        }
    };
    let Some(messages) = request.get("messages").and_then(Value::as_array) else {
        return error_response(
            StatusCode::BAD_REQUEST,
            "BadRequestError",
            "\"messages\" must be an array of chat messages",
        );
    };
    let prompt = prompt_tokens(messages, st.options.tokens_per_image);
    let limit = st.options.max_model_len;
    let max_tokens = request
        .get("max_tokens")
        .or_else(|| request.get("max_completion_tokens"))
        .and_then(Value::as_u64)
        .unwrap_or_else(|| limit.saturating_sub(prompt));
    if prompt.saturating_add(max_tokens) > limit {
        return error_response(
            StatusCode::BAD_REQUEST,
            "BadRequestError",
            &format!(
                "This model's maximum context length is {limit} tokens, but {} tokens were \
                 requested ({prompt} in the messages, {max_tokens} in the completion). Shorten \
                 the messages or lower max_tokens.",
                prompt + max_tokens
            ),
        );
    }
    let responder = Arc::clone(&st.responder);
    let req_for_responder = request.clone();
    let reply =
        match tokio::task::spawn_blocking(move || responder.respond(&req_for_responder)).await {
            Ok(Ok(text)) => text,
            Ok(Err(message)) => {
                return error_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalServerError",
                    &message,
                );
            }
            Err(join) => {
                return error_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalServerError",
                    &format!("responder panicked: {join}"),
                );
            }
        };
    let (mut content, reasoning) = if st.options.reasoning_parser {
        parse_reasoning(&reply)
    } else {
        (reply.clone(), None)
    };
    let mut completion = text_tokens(&reply);
    let mut finish = "stop";
    if completion > max_tokens {
        // Cut the answer at the budget, as a real server would.
        let keep = usize::try_from(max_tokens.saturating_mul(4)).unwrap_or(usize::MAX);
        content = take_chars(&content, keep).to_owned();
        completion = max_tokens;
        finish = "length";
    }
    let reasoning_tokens = reasoning.as_deref().map_or(0, text_tokens).min(completion);
    let usage = json!({
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "completion_tokens_details": {"reasoning_tokens": reasoning_tokens},
    });
    let model = request
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or(&st.options.model)
        .to_owned();
    let created = now_secs();
    let cid = format!("chatcmpl-local-{id}");
    if request.get("stream").and_then(Value::as_bool) == Some(true) {
        let include_usage = request
            .pointer("/stream_options/include_usage")
            .and_then(Value::as_bool)
            == Some(true);
        let chunk = |delta: Value, finish: Option<&str>| {
            json!({"id": cid, "object": "chat.completion.chunk", "created": created,
                   "model": model, "choices": [{"index": 0, "delta": delta,
                   "logprobs": null, "finish_reason": finish}]})
        };
        let mut events: Vec<Value> = vec![chunk(json!({"role": "assistant", "content": ""}), None)];
        if let Some(r) = &reasoning {
            for piece in chunks_of(r, st.options.chunk_chars) {
                events.push(chunk(json!({"reasoning_content": piece}), None));
            }
        }
        for piece in chunks_of(&content, st.options.chunk_chars) {
            events.push(chunk(json!({"content": piece}), None));
        }
        events.push(chunk(json!({}), Some(finish)));
        if include_usage {
            events.push(
                json!({"id": cid, "object": "chat.completion.chunk", "created": created,
                               "model": model, "choices": [], "usage": usage}),
            );
        }
        let mut frames: Vec<Result<String, Infallible>> = events
            .into_iter()
            .map(|e| Ok(format!("data: {e}\n\n")))
            .collect();
        frames.push(Ok("data: [DONE]\n\n".to_owned()));
        return Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "text/event-stream")
            .header(header::CACHE_CONTROL, "no-cache")
            .body(Body::from_stream(futures_util::stream::iter(frames)))
            .unwrap_or_else(|e| {
                error_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalServerError",
                    &e.to_string(),
                )
            });
    }
    let mut message = json!({"role": "assistant", "content": content});
    if let Some(r) = reasoning {
        message["reasoning_content"] = Value::String(r);
    }
    axum::Json(json!({
        "id": cid,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish}],
        "usage": usage,
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(chunks_of("abcdé", 2), vec!["ab", "cd", "é"]);
        assert_eq!(
            parse_reasoning("<think>x</think>\n ans"),
            ("ans".into(), Some("x".into()))
        );
        assert_eq!(parse_reasoning("plain"), ("plain".into(), None));
        let msgs = vec![
            json!({"role": "user", "content": [{"type": "text", "text": "abcd"},
                              {"type": "image_url", "image_url": {"url": "data:"}}]}),
        ];
        assert_eq!(prompt_tokens(&msgs, 10), 4 + 1 + 10);
    }

    #[test]
    fn scripted_runs_out_loudly() {
        let s = Scripted::new(["a"]);
        assert_eq!(s.respond(&Value::Null), Ok("a".into()));
        assert!(s.respond(&Value::Null).is_err());
        s.push(Err("boom".into()));
        assert_eq!(s.remaining(), 1);
    }
}
