//! Fault injection with real processes: `spatialclaw run` (a child process with its own kernel
//! sessions) against model and perception servers on 127.0.0.1 that misbehave on purpose —
//! HTTP 500 and 429, garbage JSON, streams cut short, slow-loris trickles, hangs, a server that
//! dies mid-run; perception answers of the wrong shape, oversized, slow or dropped; kernel
//! sessions and the run itself killed at random.
//!
//! For every fault the run finishes, every sample is recorded exactly once, a failure names its
//! kind and reason, and the agent's budgets are charged only for the agent's own failures: runs
//! use `--max-steps 1`, so a sample that answers after a lost step proves the step was not
//! charged.
//!
//! The servers are raw TCP (one thread per connection, `Connection: close`) so that any byte
//! sequence, stall or hang-up can be produced. Scripts key on the sample (its question text or
//! its image) and count that sample's calls, so behaviour does not depend on scheduling.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use spatialclaw_perception::wire::{self, BackendId, Output as PerceptionOutput, Request};
use spatialclaw_perception::{Masks, SegmentPrompt};

// ---------------------------------------------------------------------------------------------
// A raw HTTP/1.1 server.

/// One parsed request.
struct HttpRequest {
    method: String,
    path: String,
    body: Vec<u8>,
}

/// What the handler does with the connection.
enum Reply {
    /// A complete response.
    Full {
        status: u16,
        content_type: &'static str,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    },
    /// `200 text/event-stream`, these frames, then either the end of the body or (`cut`) a
    /// hang-up in the middle of a frame.
    Sse { frames: Vec<String>, cut: bool },
    /// SSE headers and `first` frames, then a keep-alive comment every 100 ms for as long as
    /// the client listens (a slow-loris: bytes keep coming, progress never does).
    Trickle { first: Vec<String> },
    /// Headers claim `declared` body bytes; a few are sent, then the connection closes.
    Oversized { declared: u64 },
    /// Read the request, answer nothing, keep the connection open (up to 30 s).
    Hang,
    /// Close the connection without a response.
    Drop,
    /// Close this connection and stop listening: the port refuses connections from now on.
    Die,
}

type Handler = dyn Fn(&HttpRequest) -> Reply + Send + Sync;

/// A server on 127.0.0.1 that stops (closes its port) when dropped or told to die.
struct RawServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accept: Option<std::thread::JoinHandle<()>>,
}

impl RawServer {
    /// On `addr` (port 0 picks one; a fixed one brings a "restarted" server back on a dead
    /// server's port).
    fn start_on(addr: &str, handler: Arc<Handler>) -> RawServer {
        let listener = TcpListener::bind(addr).unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let accept = std::thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((sock, _)) => {
                        let (h, f) = (handler.clone(), flag.clone());
                        std::thread::spawn(move || serve_one(sock, &*h, &f));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
            // The listener is dropped here: the port now refuses connections.
        });
        RawServer {
            addr,
            stop,
            accept: Some(accept),
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Waits until the port is closed.
    fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn read_request(sock: &TcpStream) -> Option<HttpRequest> {
    let mut reader = BufReader::new(sock);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(HttpRequest { method, path, body })
}

fn status_text(status: u16) -> &'static str {
    match status {
        200 => "OK",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Other",
    }
}

fn serve_one(mut sock: TcpStream, handler: &Handler, stop: &AtomicBool) {
    let _ = sock.set_nonblocking(false);
    let _ = sock.set_read_timeout(Some(Duration::from_secs(10)));
    let Some(req) = read_request(&sock) else {
        return;
    };
    if stop.load(Ordering::SeqCst) {
        return; // A dead server answers nothing.
    }
    let sse_head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n";
    match handler(&req) {
        Reply::Full {
            status,
            content_type,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
                status_text(status),
                body.len()
            );
            for (k, v) in headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            let _ = sock.write_all(head.as_bytes());
            let _ = sock.write_all(&body);
        }
        Reply::Sse { frames, cut } => {
            let _ = sock.write_all(sse_head.as_bytes());
            for f in &frames {
                let _ = sock.write_all(f.as_bytes());
            }
            if cut {
                let _ = sock.write_all(b"data: {\"choices\": [{\"delta\": {\"cont");
            }
        }
        Reply::Trickle { first } => {
            let _ = sock.write_all(sse_head.as_bytes());
            for f in &first {
                let _ = sock.write_all(f.as_bytes());
            }
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(60) && !stop.load(Ordering::SeqCst) {
                if sock.write_all(b": keep-alive\n\n").is_err() {
                    break; // The client gave up.
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Reply::Oversized { declared } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {declared}\r\nConnection: close\r\n\r\n",
                wire::CONTENT_TYPE
            );
            let _ = sock.write_all(head.as_bytes());
            let _ = sock.write_all(&[0u8; 1024]);
        }
        Reply::Hang => {
            let started = Instant::now();
            let mut probe = [0u8; 1];
            let _ = sock.set_read_timeout(Some(Duration::from_millis(100)));
            while started.elapsed() < Duration::from_secs(30) && !stop.load(Ordering::SeqCst) {
                // Returns Ok(0) once the client hung up.
                if matches!(sock.read(&mut probe), Ok(0)) {
                    break;
                }
            }
        }
        Reply::Drop => {}
        Reply::Die => stop.store(true, Ordering::SeqCst),
    }
    let _ = sock.flush();
    let _ = sock.shutdown(std::net::Shutdown::Both);
}

fn json_reply(status: u16, body: Value, headers: Vec<(&'static str, String)>) -> Reply {
    Reply::Full {
        status,
        content_type: "application/json",
        headers,
        body: body.to_string().into_bytes(),
    }
}

// ---------------------------------------------------------------------------------------------
// A fault-injecting model server.

const ANSWER: &str = "**Purpose**: answer\n**Reasoning**: r\n**Next Goal**: done\n**Code**:\n```python\nReturnAnswer('A')\n```";

fn cell(code: &str) -> String {
    format!(
        "**Purpose**: work\n**Reasoning**: r\n**Next Goal**: more\n**Code**:\n```python\n{code}\n```"
    )
}

/// A completion streamed the way vLLM streams it.
fn sse_answer(content: &str) -> Vec<String> {
    let chunk = |delta: Value, finish: Value| {
        format!(
            "data: {}\n\n",
            json!({"id": "c", "object": "chat.completion.chunk", "model": "fault",
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
        )
    };
    let mut frames = vec![chunk(
        json!({"role": "assistant", "content": ""}),
        Value::Null,
    )];
    for piece in content.as_bytes().chunks(40) {
        frames.push(chunk(
            json!({"content": String::from_utf8_lossy(piece)}),
            Value::Null,
        ));
    }
    frames.push(chunk(json!({}), json!("stop")));
    frames.push(format!(
        "data: {}\n\n",
        json!({"choices": [], "usage": {"prompt_tokens": 100, "completion_tokens": 20}})
    ));
    frames.push("data: [DONE]\n\n".into());
    frames
}

/// What the model server does with one chat call.
enum Act {
    Answer(String),
    Status(u16),
    RateLimited,
    GarbageJson,
    Truncated,
    SlowLoris,
    Hang,
    Die,
}

/// The sample a chat request belongs to: the `k` of "Question k:" in its messages.
fn sample_of(req: &Value) -> usize {
    let text = req["messages"].to_string();
    text.split("Question ")
        .skip(1)
        .find_map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let after = rest[digits.len()..].chars().next();
            (!digits.is_empty() && after == Some(':'))
                .then(|| digits.parse().ok())
                .flatten()
        })
        .unwrap_or(usize::MAX)
}

/// A model server whose script sees (sample, that sample's call number, messages in the
/// request) and decides the reply.
struct FaultModel {
    server: RawServer,
    calls: Arc<AtomicUsize>,
}

type Script = dyn Fn(usize, usize, usize) -> Act + Send + Sync;

fn model_handler(script: Arc<Script>, calls: Arc<AtomicUsize>) -> Arc<Handler> {
    let per_sample: Arc<Mutex<HashMap<usize, usize>>> = Arc::default();
    Arc::new(move |req: &HttpRequest| {
        if req.method == "GET" && req.path.ends_with("/models") {
            return json_reply(
                200,
                json!({"object": "list", "data": [{"id": "fault", "max_model_len": 262144}]}),
                vec![],
            );
        }
        if !req.path.ends_with("/chat/completions") {
            return json_reply(404, json!({"error": {"message": "no such route"}}), vec![]);
        }
        calls.fetch_add(1, Ordering::SeqCst);
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let sample = sample_of(&body);
        let n = {
            let mut m = per_sample.lock().unwrap();
            let e = m.entry(sample).or_default();
            *e += 1;
            *e - 1
        };
        let messages = body["messages"].as_array().map_or(0, Vec::len);
        match script(sample, n, messages) {
            Act::Answer(content) => Reply::Sse {
                frames: sse_answer(&content),
                cut: false,
            },
            Act::Status(status) => json_reply(
                status,
                json!({"error": {"message": format!("injected HTTP {status}"), "type": "InternalServerError", "code": status}}),
                vec![],
            ),
            Act::RateLimited => json_reply(
                429,
                json!({"error": {"message": "injected rate limit", "type": "RateLimitError", "code": 429}}),
                vec![("Retry-After", "0".into())],
            ),
            Act::GarbageJson => Reply::Full {
                status: 200,
                content_type: "application/json",
                headers: vec![],
                body: b"{\"choices\": [{\"message\": oops".to_vec(),
            },
            Act::Truncated => {
                let mut frames = sse_answer(ANSWER);
                frames.truncate(3);
                Reply::Sse { frames, cut: true }
            }
            Act::SlowLoris => {
                let mut first = sse_answer(ANSWER);
                first.truncate(2);
                Reply::Trickle { first }
            }
            Act::Hang => Reply::Hang,
            Act::Die => Reply::Die,
        }
    })
}

impl FaultModel {
    fn start(script: impl Fn(usize, usize, usize) -> Act + Send + Sync + 'static) -> FaultModel {
        Self::start_on("127.0.0.1:0", script)
    }

    fn start_on(
        addr: &str,
        script: impl Fn(usize, usize, usize) -> Act + Send + Sync + 'static,
    ) -> FaultModel {
        let calls = Arc::new(AtomicUsize::new(0));
        let server = RawServer::start_on(addr, model_handler(Arc::new(script), calls.clone()));
        FaultModel { server, calls }
    }

    fn base_url(&self) -> String {
        format!("{}/v1", self.server.url())
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

// ---------------------------------------------------------------------------------------------
// Fixtures and the command line.

/// An OmniSpatial fixture with `n` samples; sample i's image has every byte equal to i, so a
/// perception server can tell samples apart by their frames.
fn fixture(root: &Path, n: usize) {
    let dir = root.join("OmniSpatial/OmniSpatial-test");
    std::fs::create_dir_all(dir.join("Dynamic_Reasoning")).unwrap();
    let mut items = Vec::new();
    for i in 0..n {
        let mut png = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut png, 16, 12);
            enc.set_color(png::ColorType::Rgb);
            enc.write_header()
                .unwrap()
                .write_image_data(&[i as u8; 16 * 12 * 3])
                .unwrap();
        }
        std::fs::write(dir.join(format!("Dynamic_Reasoning/{i}.png")), &png).unwrap();
        items.push(json!({"id": i.to_string(), "task_type": "Dynamic_Reasoning", "sub_task_type": "Motion",
            "question": format!("Question {i}: which way?"), "options": ["left", "right"], "answer": 0}));
    }
    std::fs::write(dir.join("data.json"), serde_json::to_vec(&items).unwrap()).unwrap();
}

fn sample_id(i: usize) -> String {
    format!("Dynamic_Reasoning_Motion_{i}")
}

/// A model JSON pointing at `base_url`, with test-sized timeouts and retries.
fn model_config(root: &Path, base_url: &str, max_attempts: u32) -> PathBuf {
    let cfg = root.join("model.json");
    std::fs::write(
        &cfg,
        json!({"llm_model": "fault", "llm_base_url": base_url, "llm_api_key": "",
               "client": {"max_attempts": max_attempts, "retry_base_delay_s": 0.01,
                          "retry_max_delay_s": 0.05, "connect_timeout_s": 2,
                          "first_byte_timeout_s": 1.5, "idle_timeout_s": 1,
                          "request_timeout_s": 10, "outage_wait_s": 0}})
        .to_string(),
    )
    .unwrap();
    cfg
}

fn run_cmd(root: &Path, cfg: &Path, out: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_spatialclaw"));
    cmd.args([
        "run",
        "--benchmark",
        "omnispatial",
        "--no-planning",
        "--quiet",
        "--cell-timeout",
        "20",
        "--sample-timeout",
        "60",
        "--perception-cache-gb",
        "0",
    ])
    .arg("--data-root")
    .arg(root)
    .arg("--model")
    .arg(cfg)
    .arg("--out")
    .arg(out)
    .args(extra);
    if !extra.contains(&"--max-steps") {
        // One step: a sample that answers after a lost step proves it was not charged.
        cmd.args(["--max-steps", "1"]);
    }
    cmd.env_remove("SPATIALCLAW_LLM_BASE_URL")
        .env_remove("SPATIALCLAW_LLM_MODEL");
    cmd
}

fn ok_or_panic(o: &Output) {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Every line of predictions.jsonl, in order.
fn lines(out: &Path) -> Vec<Value> {
    std::fs::read_to_string(out.join("predictions.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The records by sample id, asserting each of the `n` samples has exactly one line.
fn exactly_once(out: &Path, n: usize) -> HashMap<String, Value> {
    let all = lines(out);
    let mut by_id: HashMap<String, Value> = HashMap::new();
    for r in all {
        let id = r["sample_id"].as_str().unwrap().to_owned();
        assert!(by_id.insert(id.clone(), r).is_none(), "{id} recorded twice");
    }
    let mut ids: Vec<&String> = by_id.keys().collect();
    ids.sort();
    assert_eq!(by_id.len(), n, "every sample recorded: {ids:?}");
    by_id
}

fn assert_answered(r: &Value, steps: u64) {
    assert_eq!(r["status"], "ok", "{r}");
    assert_eq!(r["content"], "A", "{r}");
    assert_eq!(r["termination"], "completed", "{r}");
    assert_eq!(r["steps"], steps, "{r}");
}

fn assert_failed(r: &Value, kind: &str, reason_parts: &[&str]) {
    assert_eq!(r["status"], "failed", "{r}");
    assert_eq!(r["failure"]["kind"], kind, "{r}");
    let reason = r["failure"]["reason"].as_str().unwrap();
    for part in reason_parts {
        assert!(reason.contains(part), "reason lacks {part:?}: {reason}");
    }
}

fn trajectory(out: &Path, i: usize) -> Value {
    let p = out
        .join("sessions")
        .join(sample_id(i))
        .join("trajectory.json");
    serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap()
}

// ---------------------------------------------------------------------------------------------
// The model server misbehaves.

/// Every kind of transient model fault, each absorbed by the client's retries: the agent sees
/// one clean reply per sample and spends one step.
#[test]
fn llm_500_429_garbage_json_and_truncated_streams_are_retried() {
    let root = tempfile::tempdir().unwrap();
    fixture(root.path(), 3);
    // Per sample: 500, 429, a body that is not JSON, a stream cut mid-event, then the answer.
    let model = FaultModel::start(|_, n, _| match n {
        0 => Act::Status(500),
        1 => Act::RateLimited,
        2 => Act::GarbageJson,
        3 => Act::Truncated,
        _ => Act::Answer(ANSWER.into()),
    });
    let cfg = model_config(root.path(), &model.base_url(), 5);
    let out = root.path().join("out");
    let o = run_cmd(root.path(), &cfg, &out, &["--concurrency", "3"])
        .output()
        .unwrap();
    ok_or_panic(&o);
    let recs = exactly_once(&out, 3);
    for r in recs.values() {
        assert_answered(r, 1);
    }
    assert_eq!(model.calls(), 3 * 5);
}

/// A model call that fails even after the client's retries costs the sample a step, but not
/// the agent's step budget: with --max-steps 1 the agent still gets its one real step.
#[test]
fn a_model_outage_step_is_not_charged_to_the_step_budget() {
    let root = tempfile::tempdir().unwrap();
    fixture(root.path(), 2);
    // Two attempts per call: the first call of each sample fails on both (HTTP 500, then 503).
    let model = FaultModel::start(|_, n, _| match n {
        0 => Act::Status(500),
        1 => Act::Status(503),
        _ => Act::Answer(ANSWER.into()),
    });
    let cfg = model_config(root.path(), &model.base_url(), 2);
    let out = root.path().join("out");
    let o = run_cmd(root.path(), &cfg, &out, &["--concurrency", "2"])
        .output()
        .unwrap();
    ok_or_panic(&o);
    let recs = exactly_once(&out, 2);
    for i in 0..2 {
        let r = &recs[&sample_id(i)];
        assert_answered(r, 2);
        let t = trajectory(&out, i);
        let skipped = t["steps"][0]["skipped"].as_str().unwrap();
        assert!(
            skipped.contains("could not be reached") && skipped.contains("HTTP 503"),
            "{skipped}"
        );
    }
}

/// A server that trickles keep-alive bytes without progress (slow-loris) and one that never
/// answers (hang) are both abandoned by the client's timeouts and retried.
#[test]
fn slow_loris_and_hanging_model_servers_time_out_and_are_retried() {
    let root = tempfile::tempdir().unwrap();
    fixture(root.path(), 2);
    let model = FaultModel::start(|_, n, _| match n {
        0 => Act::SlowLoris,
        1 => Act::Hang,
        _ => Act::Answer(ANSWER.into()),
    });
    let cfg = model_config(root.path(), &model.base_url(), 3);
    let out = root.path().join("out");
    let o = run_cmd(root.path(), &cfg, &out, &["--concurrency", "2"])
        .output()
        .unwrap();
    ok_or_panic(&o);
    for r in exactly_once(&out, 2).values() {
        assert_answered(r, 1);
    }
}

/// The model server dies mid-run: finished samples keep their answers, the rest are recorded
/// as `llm` failures that say what happened, the run exits normally, and `--retry-failed`
/// against the restarted server completes them.
#[test]
fn a_model_server_dying_mid_run_fails_samples_as_llm_then_retry_failed_recovers() {
    let root = tempfile::tempdir().unwrap();
    fixture(root.path(), 4);
    // Samples 0 and 1 answer; the first call of sample 2 kills the server.
    let model = FaultModel::start(|sample, _, _| {
        if sample >= 2 {
            Act::Die
        } else {
            Act::Answer(ANSWER.into())
        }
    });
    let addr = model.server.addr.to_string();
    let cfg = model_config(root.path(), &model.base_url(), 2);
    let out = root.path().join("out");
    let o = run_cmd(root.path(), &cfg, &out, &["--concurrency", "1"])
        .output()
        .unwrap();
    ok_or_panic(&o);
    let recs = exactly_once(&out, 4);
    assert_answered(&recs[&sample_id(0)], 1);
    assert_answered(&recs[&sample_id(1)], 1);
    for i in 2..4 {
        assert_failed(
            &recs[&sample_id(i)],
            "llm",
            &["unavailable for 3 consecutive steps", "could not reach"],
        );
    }
    assert!(String::from_utf8_lossy(&o.stdout).contains("2 failed"));
    drop(model);

    // The server comes back on the same port; the failures are retried once each.
    let back = FaultModel::start_on(&addr, |_, _, _| Act::Answer(ANSWER.into()));
    let o = run_cmd(
        root.path(),
        &cfg,
        &out,
        &["--concurrency", "2", "--resume", "--retry-failed"],
    )
    .output()
    .unwrap();
    ok_or_panic(&o);
    assert!(String::from_utf8_lossy(&o.stdout).contains("2 run now"));
    assert_eq!(back.calls(), 2);
    let all = lines(&out);
    assert_eq!(all.len(), 6, "4 first records + 2 retries");
    let mut last: HashMap<String, Value> = HashMap::new();
    for r in all {
        last.insert(r["sample_id"].as_str().unwrap().to_owned(), r);
    }
    for r in last.values() {
        assert_answered(r, 1);
    }
}

/// A model server that restarts within the client's outage window (a vLLM job coming back) is
/// waited for: the run loses nothing and the agent is charged nothing.
#[test]
fn a_model_server_restarting_within_the_outage_window_is_waited_for() {
    let root = tempfile::tempdir().unwrap();
    fixture(root.path(), 3);
    let died = Arc::new(AtomicBool::new(false));
    let flag = died.clone();
    // Sample 0 answers (the client has seen the server work); sample 1's first call kills it.
    let model = FaultModel::start(move |sample, n, _| {
        if sample == 1 && n == 0 {
            flag.store(true, Ordering::SeqCst);
            Act::Die
        } else {
            Act::Answer(ANSWER.into())
        }
    });
    let addr = model.server.addr.to_string();
    let cfg = root.path().join("model.json");
    std::fs::write(
        &cfg,
        json!({"llm_model": "fault", "llm_base_url": model.base_url(), "llm_api_key": "",
               "client": {"max_attempts": 2, "retry_base_delay_s": 0.01, "retry_max_delay_s": 0.05,
                          "first_byte_timeout_s": 5, "idle_timeout_s": 5,
                          "outage_wait_s": 30, "outage_poll_s": 0.2}})
        .to_string(),
    )
    .unwrap();
    let out = root.path().join("out");
    let child = run_cmd(root.path(), &cfg, &out, &["--concurrency", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Bring the server back on its port once it has died.
    let started = Instant::now();
    while !died.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(died.load(Ordering::SeqCst), "the server was never killed");
    drop(model);
    std::thread::sleep(Duration::from_millis(500)); // Let the client meet the closed port.
    let back = FaultModel::start_on(&addr, |_, _, _| Act::Answer(ANSWER.into()));
    let o = child.wait_with_output().unwrap();
    ok_or_panic(&o);
    for r in exactly_once(&out, 3).values() {
        assert_answered(r, 1);
    }
    assert_eq!(
        back.calls(),
        2,
        "samples 1 and 2 were answered by the restarted server"
    );
}

// ---------------------------------------------------------------------------------------------
// The perception server misbehaves.

/// Which fault the perception server injects for a sample (keyed by the sample's image byte).
#[derive(Clone, Copy)]
enum PerceptionFault {
    None,
    /// The first call gets masks of the wrong size; later calls are fine.
    WrongShapeOnce,
    /// Every call gets a response whose declared size is over the client's limit.
    Oversized,
    /// The first call is answered after the client's timeout; later calls are fine.
    SlowOnce,
    /// Every connection is closed without an answer (a crashed server).
    Dropped,
}

const PERCEPTION_TOKEN: &str = "fault-token-0123456789";

fn perception_server(faults: Vec<PerceptionFault>) -> (RawServer, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let handler = perception_handler(faults, calls.clone());
    (RawServer::start_on("127.0.0.1:0", handler), calls)
}

fn perception_handler(faults: Vec<PerceptionFault>, calls: Arc<AtomicUsize>) -> Arc<Handler> {
    let id = BackendId {
        name: "fault".into(),
        version: "1".into(),
    };
    let counted = calls;
    let per_sample: Mutex<HashMap<usize, usize>> = Mutex::default();
    Arc::new(move |req: &HttpRequest| {
        if req.path == "/health" {
            return json_reply(
                200,
                json!({"status": "ok", "protocol_version": wire::WIRE_VERSION, "backend": id}),
                vec![],
            );
        }
        counted.fetch_add(1, Ordering::SeqCst);
        let Ok(Request::Segment(frame, SegmentPrompt::Text(_))) = wire::decode_request(&req.body)
        else {
            return json_reply(
                400,
                json!({"error": {"kind": "bad_input", "message": "text segmentation only"}}),
                vec![],
            );
        };
        let sample = frame.pixels[0] as usize;
        let n = {
            let mut m = per_sample.lock().unwrap();
            let e = m.entry(sample).or_default();
            *e += 1;
            *e - 1
        };
        let masks = |w: usize, h: usize| Masks {
            count: 1,
            height: h,
            width: w,
            data: vec![true; w * h],
            scores: vec![0.9],
        };
        let good = masks(frame.width, frame.height);
        let answer = |m: Masks| Reply::Full {
            status: 200,
            content_type: wire::CONTENT_TYPE,
            headers: vec![],
            body: wire::encode_output(&PerceptionOutput::Masks(m), &id).unwrap(),
        };
        match faults.get(sample).copied().unwrap_or(PerceptionFault::None) {
            PerceptionFault::None => answer(good),
            PerceptionFault::WrongShapeOnce if n == 0 => answer(masks(3, 2)),
            PerceptionFault::WrongShapeOnce => answer(good),
            PerceptionFault::Oversized => Reply::Oversized { declared: 5 << 30 },
            PerceptionFault::SlowOnce if n == 0 => {
                std::thread::sleep(Duration::from_millis(2500));
                answer(good)
            }
            PerceptionFault::SlowOnce => answer(good),
            PerceptionFault::Dropped => Reply::Drop,
        }
    })
}

/// Each sample's cell asks for a segmentation, then answers; a failed tool call stops the cell.
fn segmenting_model() -> FaultModel {
    FaultModel::start(|_, _, _| {
        Act::Answer(cell(
            "seg = tools.SAM3.segment_image_by_text(InputImages[0], 'chair')\nReturnAnswer('A')",
        ))
    })
}

#[test]
fn perception_faults_are_retried_or_recorded_and_never_charged_to_the_agent() {
    let root = tempfile::tempdir().unwrap();
    use PerceptionFault::*;
    let faults = vec![None, WrongShapeOnce, Oversized, SlowOnce, Dropped];
    fixture(root.path(), faults.len());
    let (perception, calls) = perception_server(faults);
    let model = segmenting_model();
    let cfg = model_config(root.path(), &model.base_url(), 2);
    let out = root.path().join("out");
    let backend = format!("remote={}", perception.url());
    let o = run_cmd(
        root.path(),
        &cfg,
        &out,
        &[
            "--concurrency",
            "3",
            "--perception",
            &backend,
            "--perception-timeout",
            "1",
        ],
    )
    .env("SPATIALCLAW_PERCEPTION_TOKEN", PERCEPTION_TOKEN)
    .output()
    .unwrap();
    ok_or_panic(&o);
    let recs = exactly_once(&out, 5);
    // Clean: one step, one tool call.
    assert_answered(&recs[&sample_id(0)], 1);
    assert_eq!(recs[&sample_id(0)]["tool_calls"], 1);
    // Wrong shape once: the lost step and its failed call are not charged (--max-steps 1).
    let r = &recs[&sample_id(1)];
    assert_answered(r, 2);
    assert_eq!(r["tool_calls"], 1, "{r}");
    let t = trajectory(&out, 1);
    let first = t["steps"][0]["feedback"].as_str().unwrap();
    assert!(first.contains("masks for a 16x12 frame"), "{first}");
    // Oversized every time: recorded as a perception failure saying why.
    assert_failed(
        &recs[&sample_id(2)],
        "perception",
        &[
            "perception service was unavailable for 3 consecutive steps",
            "exceeds the limit",
        ],
    );
    // Slow once: the client's timeout and retry absorb it.
    assert_answered(&recs[&sample_id(3)], 1);
    assert_eq!(recs[&sample_id(3)]["tool_calls"], 1);
    // Dropped connections: retried, then a perception failure.
    assert_failed(
        &recs[&sample_id(4)],
        "perception",
        &["temporarily unavailable after 3 attempts"],
    );
    assert!(calls.load(Ordering::SeqCst) >= 5);
}

/// The perception server dies once the run is under way (its port closes): each sample's
/// requests are retried, then the sample is recorded as a perception failure that says the
/// connection was refused; `--retry-failed` after a restart completes them.
#[test]
fn a_perception_server_dying_mid_run_fails_samples_as_perception_then_recovers() {
    let root = tempfile::tempdir().unwrap();
    fixture(root.path(), 2);
    let calls = Arc::new(AtomicUsize::new(0));
    let handler = perception_handler(vec![], calls.clone());
    let perception = Arc::new(Mutex::new(Some(RawServer::start_on(
        "127.0.0.1:0",
        handler.clone(),
    ))));
    let addr = perception
        .lock()
        .unwrap()
        .as_ref()
        .unwrap()
        .addr
        .to_string();
    // The first model call (after the run connected to perception) stops the server.
    let stopper = perception.clone();
    let model = FaultModel::start(move |_, _, _| {
        if let Some(mut p) = stopper.lock().unwrap().take() {
            p.stop();
        }
        Act::Answer(cell(
            "seg = tools.SAM3.segment_image_by_text(InputImages[0], 'chair')\nReturnAnswer('A')",
        ))
    });
    let cfg = model_config(root.path(), &model.base_url(), 2);
    let out = root.path().join("out");
    let backend = format!("remote=http://{addr}");
    let run = |extra: &[&str]| {
        let mut args = vec!["--concurrency", "2", "--perception", &backend];
        args.extend_from_slice(extra);
        run_cmd(root.path(), &cfg, &out, &args)
            .env("SPATIALCLAW_PERCEPTION_TOKEN", PERCEPTION_TOKEN)
            .output()
            .unwrap()
    };
    let o = run(&[]);
    ok_or_panic(&o);
    for r in exactly_once(&out, 2).values() {
        assert_failed(
            r,
            "perception",
            &[
                "unavailable for 3 consecutive steps",
                "temporarily unavailable after 3 attempts",
                "Connection refused",
            ],
        );
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "no call reached the dead server"
    );

    let _back = RawServer::start_on(&addr, handler);
    let o = run(&["--resume", "--retry-failed"]);
    ok_or_panic(&o);
    assert!(String::from_utf8_lossy(&o.stdout).contains("2 run now"));
    let all = lines(&out);
    assert_eq!(all.len(), 4, "2 failures + 2 retries");
    for r in &all[2..] {
        assert_answered(r, 1);
        assert_eq!(r["tool_calls"], 1, "{r}");
    }
}

/// A perception server that is down when the run starts is a configuration problem: the run
/// refuses to start, says which server, and records nothing.
#[test]
fn a_perception_server_down_at_start_is_refused_with_its_address() {
    let root = tempfile::tempdir().unwrap();
    fixture(root.path(), 1);
    let model = segmenting_model();
    let cfg = model_config(root.path(), &model.base_url(), 2);
    let dead = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let out = root.path().join("out");
    let backend = format!("remote={dead}");
    let o = run_cmd(root.path(), &cfg, &out, &["--perception", &backend])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no perception server answered") && err.contains(&dead),
        "{err}"
    );
    assert!(lines(&out).is_empty());
    assert_eq!(model.calls(), 0);
}

// ---------------------------------------------------------------------------------------------
// Processes killed.

/// Direct children of `pid`, from /proc.
fn children(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in dir.flatten() {
        let Ok(p) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|s| s.parse::<u32>().ok());
        if ppid == Some(pid) {
            out.push(p);
        }
    }
    out
}

fn cmdline(pid: u32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
        .unwrap_or_default()
}

/// A small deterministic generator (the seed is printed so a failure can be replayed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn seed() -> u64 {
    let s = std::env::var("FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos() as u64
                | 1
        });
    eprintln!("fault seed {s} (rerun with FAULT_SEED={s})");
    s
}

/// Kernel sessions (the zygote's children) are SIGKILLed at random moments while the run goes
/// on: every sample is still recorded once, either answered or as a `kernel` failure with a
/// reason.
#[test]
fn kernel_sessions_killed_at_random_are_recovered_or_recorded() {
    let root = tempfile::tempdir().unwrap();
    fixture(root.path(), 4);
    // First cell: a busy loop (a session to kill mid-cell); then the answer.
    let model = FaultModel::start(|_, n, _| {
        if n == 0 {
            Act::Answer(cell(
                "total = 0\nfor i in range(3000000):\n    total += i\nprint(total)",
            ))
        } else {
            Act::Answer(ANSWER.into())
        }
    });
    let cfg = model_config(root.path(), &model.base_url(), 2);
    let out = root.path().join("out");
    let mut child = run_cmd(
        root.path(),
        &cfg,
        &out,
        &["--concurrency", "2", "--max-steps", "3"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut rng = Rng(seed());
    let mut kills = 0;
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(50 + rng.below(250)));
        let zygotes: Vec<u32> = children(child.id())
            .into_iter()
            .filter(|p| cmdline(*p).contains("spatialclaw_kernel"))
            .collect();
        let sessions: Vec<u32> = zygotes.iter().flat_map(|z| children(*z)).collect();
        if kills < 3 && !sessions.is_empty() {
            let victim = sessions[rng.below(sessions.len() as u64) as usize];
            let killed = Command::new("kill")
                .args(["-9", &victim.to_string()])
                .status()
                .is_ok_and(|s| s.success());
            kills += usize::from(killed);
        }
    }
    let o = child.wait_with_output().unwrap();
    ok_or_panic(&o);
    assert!(kills > 0, "no session was ever seen to kill");
    let recs = exactly_once(&out, 4);
    let ok = recs.values().filter(|r| r["status"] == "ok").count();
    eprintln!("{kills} session(s) killed; {ok}/4 samples answered, the rest kernel failures");
    for r in recs.values().filter(|r| r["status"] != "ok") {
        eprintln!("  {}: {}", r["sample_id"], r["failure"]["reason"]);
    }
    for r in recs.values() {
        if r["status"] == "ok" {
            assert_eq!(r["content"], "A", "{r}");
        } else {
            assert_eq!(r["failure"]["kind"], "kernel", "{r}");
            assert!(!r["failure"]["reason"].as_str().unwrap().is_empty(), "{r}");
        }
    }
}

/// The run itself is SIGKILLed at random moments, against a model that fails one call in
/// three, then resumed until done: every sample is recorded exactly once.
#[test]
fn the_run_killed_at_random_then_resumed_records_every_sample_once() {
    let root = tempfile::tempdir().unwrap();
    fixture(root.path(), 5);
    let model = FaultModel::start(|_, n, _| {
        std::thread::sleep(Duration::from_millis(150));
        if n % 3 == 0 {
            Act::Status(500)
        } else {
            Act::Answer(ANSWER.into())
        }
    });
    let cfg = model_config(root.path(), &model.base_url(), 3);
    let out = root.path().join("out");
    let mut rng = Rng(seed());
    for attempt in 0..3 {
        let extra: &[&str] = if attempt == 0 {
            &["--concurrency", "2"]
        } else {
            &["--concurrency", "2", "--resume"]
        };
        let mut child = run_cmd(root.path(), &cfg, &out, extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300 + rng.below(1500)));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
    }
    let o = run_cmd(root.path(), &cfg, &out, &["--concurrency", "2", "--resume"])
        .output()
        .unwrap();
    ok_or_panic(&o);
    for r in exactly_once(&out, 5).values() {
        assert_answered(r, 1);
    }
}
