//! One persistent Python session per sample, forked from the pool's zygote.
//!
//! A dedicated reader task turns the socket into a channel, so waiting for a message can be
//! raced against the time limit without ever cancelling a half-read frame.

use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};
use tokio::net::unix::OwnedWriteHalf;
use tokio::sync::mpsc;

use crate::outcome::{
    CellError, ExecOutcome, Interruption, ShowImage, SubmittedAnswer, VariableSummary,
};
use crate::pool::{ExitStatus, KernelPool};
use crate::protocol::{Array, Message, WireError, read_message, write_message};
use crate::provision::PythonEnv;

/// How long a new session may take to build its namespace.
const START_TIMEOUT: Duration = Duration::from_secs(120);
/// How long `shutdown` waits for a session's processes to be gone (the zygote reaps them).
const SHUTDOWN_WAIT: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum KernelError {
    #[error("could not start the Python session ({python}): {source}")]
    Spawn {
        python: PathBuf,
        source: std::io::Error,
    },
    #[error("the Python session failed to start: {detail}")]
    Start { detail: String },
    #[error("kernel protocol error: {0}")]
    Protocol(String),
    #[error(transparent)]
    Wire(#[from] WireError),
}

/// An input frame the session exposes through `InputImages`.
#[derive(Debug, Clone, Serialize)]
pub struct InputFrame {
    pub path: PathBuf,
    pub frame_index: i64,
}

/// Everything the agent's namespace is built from.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SessionInputs {
    pub frames: Vec<InputFrame>,
    /// Multi-video samples: one frame list per video (`InputImages_1..N`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub videos: Option<Vec<VideoInput>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ref_frames: Vec<InputFrame>,
    /// The `Metadata` attributes (is_video, fps, total_frames, ...).
    pub metadata: Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct VideoInput {
    pub name: String,
    pub frames: Vec<InputFrame>,
}

/// Knobs of a session.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// Time a cell gets after SIGINT before the process is killed.
    pub interrupt_grace: Duration,
    /// Options passed to the runtime's tools (reconstruct_max_frames, ...).
    pub tool_options: Value,
    /// Keep a fork snapshot after every finished cell so a crash does not lose the agent's
    /// variables. Costs one fork (a few milliseconds) between cells.
    pub snapshots: bool,
    /// Sandbox layers and limits of the session (crate::sandbox); all layers on by default.
    pub sandbox: crate::sandbox::SandboxPolicy,
}

impl Default for SessionOptions {
    fn default() -> Self {
        Self {
            interrupt_grace: Duration::from_secs(3),
            tool_options: json!({}),
            snapshots: true,
            sandbox: crate::sandbox::SandboxPolicy::default(),
        }
    }
}

/// The exception a host request raises in the agent's cell.
#[derive(Debug, Clone, PartialEq)]
pub struct HostError {
    /// RuntimeError, ValueError, TypeError or KeyError.
    pub python_type: &'static str,
    pub message: String,
    /// Set (to the service's name, e.g. "perception" or "llm") when the request failed because
    /// a service behind the host was unavailable, not because of the cell: the agent does not
    /// charge such a call to its budgets.
    pub unavailable: Option<&'static str>,
}

impl HostError {
    pub fn runtime(message: impl Into<String>) -> Self {
        Self {
            python_type: "RuntimeError",
            message: message.into(),
            unavailable: None,
        }
    }
    pub fn value(message: impl Into<String>) -> Self {
        Self {
            python_type: "ValueError",
            message: message.into(),
            unavailable: None,
        }
    }
    /// A RuntimeError caused by `service` being down or misbehaving.
    pub fn unavailable(service: &'static str, message: impl Into<String>) -> Self {
        Self {
            python_type: "RuntimeError",
            message: message.into(),
            unavailable: Some(service),
        }
    }
}

/// Answers the runtime's requests (perception, vlm). Implemented by the agent, which owns the
/// perception client and the LLM client.
pub trait HostHandler: Send + Sync {
    fn handle(
        &self,
        method: &str,
        params: &Value,
        arrays: Vec<Array>,
    ) -> impl Future<Output = Result<(Value, Vec<Array>), HostError>> + Send;
}

/// A handler that serves nothing: every request fails with a clear message.
pub struct NoHost;

impl HostHandler for NoHost {
    async fn handle(
        &self,
        method: &str,
        _: &Value,
        _: Vec<Array>,
    ) -> Result<(Value, Vec<Array>), HostError> {
        Err(HostError::runtime(format!(
            "`{method}` is not available in this session"
        )))
    }
}

/// A sleeping fork of the session holding its state after cell `exec_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Snapshot {
    pid: u32,
    exec_id: u64,
}

/// The live connection to the session process.
struct Connection {
    pid: u32,
    writer: OwnedWriteHalf,
    messages: mpsc::Receiver<Result<Message, WireError>>,
}

/// A live Python session. Variables persist between `exec` calls, and survive the process
/// dying: the session is resumed from the snapshot taken after the last finished cell.
pub struct KernelSession {
    pool: KernelPool,
    token: String,
    init: serde_json::Map<String, Value>,
    options: SessionOptions,
    scratch: tempfile::TempDir,
    conn: Connection,
    /// Process group of the session: the forked process, every snapshot of it, and a snapshot
    /// resumed in its place all stay in the group the first process created.
    group: u32,
    /// The latest snapshot, kept current by the reader task.
    snapshot: Arc<Mutex<Option<Snapshot>>>,
    next_id: u64,
    ready: Ready,
}

/// What the session reported when its namespace was built.
#[derive(Debug, Clone, Default)]
pub struct Ready {
    /// Names defined in the agent's namespace.
    pub names: Vec<String>,
    /// The tool reference generated from the runtime's docstrings (for the system prompt).
    pub tool_docs: String,
    /// Which sandbox layers the session installed (None from a runtime that predates them).
    pub sandbox: Option<crate::sandbox::SandboxReport>,
    /// Whether the session copies, after each snapshot fork, the pages the next cell is
    /// expected to write, and why not when it does not (None from an older runtime).
    pub page_warming: Option<crate::sandbox::LayerStatus>,
    /// How the process was made (None from an older runtime).
    pub start: Option<StartReport>,
}

/// How a session's process came to be, from its `ready` message.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct StartReport {
    /// Taken from the zygote's spare (forked ahead of need) rather than forked on request.
    #[serde(default)]
    pub from_spare: bool,
    /// Pages the spare copied while it waited: what the previous session wrote starting.
    #[serde(default)]
    pub pages_copied_ahead: u64,
    /// Minor page faults from the process's first instruction for this sample to `ready`.
    pub page_faults: Option<u64>,
}

impl KernelSession {
    /// Fork a session from the process-wide pool of `env` and build the agent's namespace.
    pub async fn start(
        env: &PythonEnv,
        inputs: SessionInputs,
        options: SessionOptions,
    ) -> Result<Self, KernelError> {
        Self::start_in(&KernelPool::shared(env)?, inputs, options).await
    }

    /// Fork a session from `pool`.
    pub async fn start_in(
        pool: &KernelPool,
        inputs: SessionInputs,
        options: SessionOptions,
    ) -> Result<Self, KernelError> {
        let scratch = tempfile::Builder::new()
            .prefix("spatialclaw-session-")
            .tempdir()
            .map_err(|e| KernelError::Start {
                detail: format!("cannot create a scratch directory: {e}"),
            })?;
        let mut init = serde_json::Map::new();
        init.insert(
            "inputs".into(),
            serde_json::to_value(&inputs).expect("inputs serialise"),
        );
        init.insert("options".into(), options.tool_options.clone());
        init.insert(
            "scratch".into(),
            scratch.path().to_string_lossy().into_owned().into(),
        );
        init.insert("snapshots".into(), options.snapshots.into());
        // Sandbox policy with this session's paths (crate::sandbox; applied by sandbox.py).
        init.insert(
            "sandbox".into(),
            crate::sandbox::session_policy(
                &options.sandbox,
                &inputs,
                scratch.path(),
                &pool.sandbox_roots(),
                &pool.socket_path(),
            ),
        );
        let (token, stream, pid) = pool.fork_session(init.clone()).await?;
        let group = pid;
        let snapshot = Arc::new(Mutex::new(None));
        let mut conn = connect(stream, pid, snapshot.clone());
        let ready = await_ready(&mut conn, pool, "the session").await?;
        Ok(Self {
            pool: pool.clone(),
            token,
            init,
            options,
            scratch,
            conn,
            group,
            snapshot,
            next_id: 0,
            ready,
        })
    }

    /// What the session reported at start: names and the generated tool reference.
    pub fn ready(&self) -> &Ready {
        &self.ready
    }

    /// Pid of the process currently serving this session.
    pub fn pid(&self) -> Option<u32> {
        Some(self.conn.pid)
    }

    /// Processes holding this session's memory: the live process and its snapshot.
    pub fn process_ids(&self) -> Vec<u32> {
        let mut pids = vec![self.conn.pid];
        pids.extend(self.snapshot.lock().unwrap().map(|s| s.pid));
        pids
    }

    /// Wait until the snapshot of the latest cell exists (it is forked after the reply, while
    /// the host normally waits for the model). Returns false on timeout or when snapshots
    /// are off.
    pub async fn wait_for_snapshot(&self, timeout: Duration) -> bool {
        let until = Instant::now() + timeout;
        while Instant::now() < until {
            if self
                .snapshot
                .lock()
                .unwrap()
                .is_some_and(|s| s.exec_id == self.next_id)
            {
                return true;
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        false
    }

    /// The session's scratch directory (the only place agent code may write).
    pub fn scratch(&self) -> &std::path::Path {
        self.scratch.path()
    }

    /// Run one cell with a time limit. Host requests made by the cell are served by `handler`.
    pub async fn exec<H: HostHandler>(
        &mut self,
        code: &str,
        limit: Duration,
        handler: &H,
    ) -> Result<ExecOutcome, KernelError> {
        self.next_id += 1;
        let id = self.next_id;
        let started = Instant::now();
        let msg = Message::new(json!({"type": "exec", "id": id, "code": code}));
        let mut outcome = ExecOutcome::default();
        if let Err(e) = write_message(&mut self.conn.writer, &msg).await {
            let detail = format!("the session was gone before the cell ran ({e})");
            outcome.interruption = Some(Interruption::Died { detail });
            return self.recover(outcome, started).await;
        }
        let mut deadline = tokio::time::Instant::from_std(started + limit);
        let mut interrupted = false;
        loop {
            let next = tokio::select! {
                m = self.conn.messages.recv() => m,
                _ = tokio::time::sleep_until(deadline) => {
                    if interrupted {
                        // The cell ignored SIGINT (stuck in native code): kill it and resume.
                        self.signal(libc::SIGKILL);
                        let _ = self.pool.exit_status(self.conn.pid, Duration::from_secs(2)).await;
                        outcome.interruption = Some(Interruption::KilledAfterTimeout { limit });
                        return self.recover(outcome, started).await;
                    }
                    self.signal(libc::SIGINT);
                    interrupted = true;
                    deadline = tokio::time::Instant::now() + self.options.interrupt_grace;
                    continue;
                }
            };
            let msg = match next {
                Some(Ok(m)) => m,
                Some(Err(e @ (WireError::Malformed(_) | WireError::Closed))) => {
                    return Err(KernelError::Wire(e));
                }
                // A reset or broken connection is the process dying, not a protocol bug.
                Some(Err(WireError::Io(_))) | None => {
                    let status = self
                        .pool
                        .exit_status(self.conn.pid, Duration::from_millis(500))
                        .await;
                    outcome.interruption = Some(Interruption::Died {
                        detail: describe_exit(status, &self.pool.stderr_tail()),
                    });
                    return self.recover(outcome, started).await;
                }
            };
            match msg.kind() {
                "show" => {
                    let label = msg
                        .get("label")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned();
                    if let Some(png) = msg.arrays.into_iter().next() {
                        outcome.shows.push(ShowImage {
                            label,
                            png: png.data,
                        });
                    }
                }
                "answer" => {
                    let answer: SubmittedAnswer = serde_json::from_value(Value::Object(msg.header))
                        .map_err(|e| KernelError::Protocol(format!("bad answer message: {e}")))?;
                    outcome.answer = Some(answer);
                }
                "request" => {
                    let rid = msg.get("id").cloned().unwrap_or(Value::Null);
                    let method = msg
                        .get("method")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned();
                    let params = msg.get("params").cloned().unwrap_or(Value::Null);
                    let served = tokio::select! {
                        r = handler.handle(&method, &params, msg.arrays) => Some(r),
                        _ = tokio::time::sleep_until(deadline), if !interrupted => None,
                    };
                    let reply = match served {
                        Some(Ok((header, arrays))) => {
                            let mut m = Message::new(header).with_arrays(arrays);
                            m.header.insert("type".into(), "reply".into());
                            m.header.insert("id".into(), rid);
                            m.header.insert("ok".into(), true.into());
                            m
                        }
                        Some(Err(err)) => error_reply(rid, err.python_type, &err.message),
                        None => {
                            interrupted = true;
                            deadline = tokio::time::Instant::now() + self.options.interrupt_grace;
                            self.signal(libc::SIGINT);
                            error_reply(
                                rid,
                                "RuntimeError",
                                &format!("time limit reached while `{method}` was running"),
                            )
                        }
                    };
                    // A failed write means the session died; the reader reports it next.
                    let _ = write_message(&mut self.conn.writer, &reply).await;
                }
                "exec_result" if msg.get("id").and_then(Value::as_u64) == Some(id) => {
                    fill_result(&mut outcome, msg.header)?;
                    outcome.elapsed = started.elapsed();
                    if interrupted {
                        outcome.interruption = Some(Interruption::TimedOut { limit });
                    }
                    return Ok(outcome);
                }
                other => {
                    return Err(KernelError::Protocol(format!(
                        "unexpected `{other}` message while a cell ran"
                    )));
                }
            }
        }
    }

    fn signal(&self, sig: i32) {
        // SAFETY: kill(2) on the pid of our own session process.
        unsafe {
            libc::kill(self.conn.pid as i32, sig);
        }
    }

    /// The process serving this session is gone: resume the latest snapshot (every variable
    /// as of the last finished cell), or fork a fresh session when there is none. Either way
    /// the outcome says what happened; state is never lost silently.
    async fn recover(
        &mut self,
        mut outcome: ExecOutcome,
        started: Instant,
    ) -> Result<ExecOutcome, KernelError> {
        self.signal(libc::SIGKILL);
        let snapshot = self.snapshot.lock().unwrap().take();
        let resumed = match snapshot {
            Some(snap) => self
                .pool
                .resume_snapshot(&self.token, snap.pid)
                .await
                .ok()
                .map(|r| (r, snap)),
            None => None,
        };
        match resumed {
            Some(((stream, pid), snap)) => {
                self.conn = connect(stream, pid, self.snapshot.clone());
                outcome.restored_from_snapshot = true;
                outcome.cells_lost_before = self.next_id.saturating_sub(snap.exec_id + 1);
            }
            None => {
                // Whatever is left of the old group (nothing should be) goes with it.
                // SAFETY: kill(2) on the process group this session created.
                unsafe { libc::kill(-(self.group as i32), libc::SIGKILL) };
                let (token, stream, pid) = self.pool.fork_session(self.init.clone()).await?;
                self.token = token;
                self.group = pid;
                let mut conn = connect(stream, pid, self.snapshot.clone());
                self.ready = await_ready(&mut conn, &self.pool, "the restarted session").await?;
                self.conn = conn;
                outcome.state_lost = self.next_id > 1;
            }
        }
        outcome.elapsed = started.elapsed();
        Ok(outcome)
    }

    /// Kill the session's process from outside (tests, fault injection); the next `exec`
    /// notices and recovers.
    pub fn kill(&mut self) {
        self.signal(libc::SIGKILL);
    }

    /// End the session and wait (at most `SHUTDOWN_WAIT`) until its processes are gone.
    ///
    /// Waiting keeps the teardown of the session's address spaces (milliseconds of kernel
    /// work that the scheduler cannot interrupt on most kernels) from landing on the next
    /// session's start, and returns the memory before the caller starts another sample.
    pub async fn shutdown(mut self) {
        let _ = write_message(
            &mut self.conn.writer,
            &Message::new(json!({"type": "shutdown"})),
        )
        .await;
        // SAFETY: kill(2) on the group of our own session (itself and its snapshots); the
        // session would end its snapshot too, this only saves it the trouble.
        unsafe { libc::kill(-(self.group as i32), libc::SIGKILL) };
        let until = Instant::now() + SHUTDOWN_WAIT;
        // SAFETY: kill(2) with signal 0 only asks whether anyone in the group is left.
        while unsafe { libc::kill(-(self.group as i32), 0) } == 0 && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

impl Drop for KernelSession {
    fn drop(&mut self) {
        // The session and its snapshot share a process group of their own. Dropped without
        // `shutdown` (an error path): its teardown yields to the work that goes on.
        // SAFETY: setpriority(2) and kill(2) on that group; lowering a priority needs no
        // privilege, and both are harmless if the group already exited.
        unsafe { libc::setpriority(libc::PRIO_PGRP, self.group as libc::id_t, 19) };
        unsafe {
            libc::kill(-(self.group as i32), libc::SIGKILL);
            if let Some(snap) = self.snapshot.lock().map(|s| *s).unwrap_or(None) {
                libc::kill(snap.pid as i32, libc::SIGKILL);
            }
        }
    }
}

/// Split the stream: a reader task turns frames into a channel (so waiting can race a time
/// limit without cancelling a half-read frame) and records snapshot announcements.
fn connect(
    stream: tokio::net::UnixStream,
    pid: u32,
    snapshot: Arc<Mutex<Option<Snapshot>>>,
) -> Connection {
    let (mut reader, writer) = stream.into_split();
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        loop {
            match read_message(&mut reader).await {
                Ok(m) if m.kind() == "snapshot" => {
                    let pid = m.get("pid").and_then(Value::as_u64);
                    let exec_id = m.get("exec_id").and_then(Value::as_u64).unwrap_or(0);
                    *snapshot.lock().unwrap() = pid.map(|p| Snapshot {
                        pid: p as u32,
                        exec_id,
                    });
                }
                Ok(m) => {
                    if tx.send(Ok(m)).await.is_err() {
                        break;
                    }
                }
                Err(WireError::Closed) => break, // dropping tx tells the session it is gone
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    break;
                }
            }
        }
    });
    Connection {
        pid,
        writer,
        messages: rx,
    }
}

async fn await_ready(
    conn: &mut Connection,
    pool: &KernelPool,
    what: &str,
) -> Result<Ready, KernelError> {
    let ready = match tokio::time::timeout(START_TIMEOUT, conn.messages.recv()).await {
        Ok(Some(Ok(m))) if m.kind() == "ready" => m,
        Ok(Some(Ok(m))) => {
            return Err(KernelError::Protocol(format!(
                "expected `ready`, got `{}`",
                m.kind()
            )));
        }
        Ok(Some(Err(e))) => return Err(KernelError::Wire(e)),
        Ok(None) => {
            let status = pool.exit_status(conn.pid, Duration::from_millis(500)).await;
            return Err(KernelError::Start {
                detail: format!("{what}: {}", describe_exit(status, &pool.stderr_tail())),
            });
        }
        Err(_) => {
            return Err(KernelError::Start {
                detail: format!("{what} sent no `ready` within {}s", START_TIMEOUT.as_secs()),
            });
        }
    };
    let names = ready
        .get("names")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let tool_docs = ready
        .get("tool_docs")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let sandbox = crate::sandbox::SandboxReport::from_ready(&ready.header);
    let page_warming = ready
        .get("page_warming")
        .and_then(|v| serde_json::from_value(v.clone()).ok());
    let start = ready
        .get("start")
        .and_then(|v| serde_json::from_value(v.clone()).ok());
    Ok(Ready {
        names,
        tool_docs,
        sandbox,
        page_warming,
        start,
    })
}

fn error_reply(id: Value, python_type: &str, message: &str) -> Message {
    Message::new(json!({
        "type": "reply", "id": id, "ok": false,
        "error": {"type": python_type, "message": message},
    }))
}

fn fill_result(
    outcome: &mut ExecOutcome,
    mut h: serde_json::Map<String, Value>,
) -> Result<(), KernelError> {
    let text = |h: &mut serde_json::Map<String, Value>, k: &str| match h.remove(k) {
        Some(Value::String(s)) => s,
        _ => String::new(),
    };
    outcome.stdout = text(&mut h, "stdout");
    outcome.stderr = text(&mut h, "stderr");
    if let Some(e) = h.remove("error").filter(|v| !v.is_null()) {
        outcome.error = Some(
            serde_json::from_value::<CellError>(e)
                .map_err(|e| KernelError::Protocol(format!("bad error record: {e}")))?,
        );
    }
    if let Some(v) = h.remove("variables") {
        outcome.variables = serde_json::from_value::<Vec<VariableSummary>>(v)
            .map_err(|e| KernelError::Protocol(format!("bad variable summaries: {e}")))?;
    }
    if let Some(Value::Array(names)) = h.remove("removed") {
        outcome.removed = names
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
    }
    if let Some(Value::Array(w)) = h.remove("warnings") {
        outcome.warnings = w
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
    }
    outcome.last_expr = h
        .remove("last_expr")
        .and_then(|v| v.as_str().map(str::to_owned));
    outcome.page_faults = h.remove("page_faults").and_then(|v| v.as_u64());
    Ok(())
}

fn describe_exit(status: Option<ExitStatus>, stderr: &str) -> String {
    let what = match status {
        Some(ExitStatus::Signal(9)) => {
            "was killed (SIGKILL: out of memory, or killed from outside)".to_owned()
        }
        Some(ExitStatus::Signal(11)) => "crashed (segmentation fault)".to_owned(),
        Some(ExitStatus::Signal(6)) => "aborted (SIGABRT)".to_owned(),
        Some(ExitStatus::Signal(s)) => format!("was terminated by signal {s}"),
        Some(ExitStatus::Code(c)) => format!("exited with status {c}"),
        None => "stopped".to_owned(),
    };
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    if last.is_empty() || matches!(status, Some(ExitStatus::Signal(_))) {
        format!("the Python session {what}")
    } else {
        format!("the Python session {what}; last message: {last}")
    }
}
