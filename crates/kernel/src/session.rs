//! One persistent Python session per sample, driven over the kernel pipe.
//!
//! A dedicated reader task turns the pipe into a channel, so waiting for a message can be
//! raced against the time limit without ever cancelling a half-read frame.

use std::future::Future;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;

use crate::outcome::{
    CellError, ExecOutcome, Interruption, ShowImage, SubmittedAnswer, VariableSummary,
};
use crate::protocol::{Array, Message, WireError, read_message, write_message};
use crate::provision::PythonEnv;

/// How long a session may take to import its libraries and build the namespace.
const START_TIMEOUT: Duration = Duration::from_secs(120);
/// Diagnostics kept from the session's raw stderr (startup tracebacks, C-library chatter).
const STDERR_TAIL: usize = 8000;

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
}

impl Default for SessionOptions {
    fn default() -> Self {
        Self {
            interrupt_grace: Duration::from_secs(3),
            tool_options: json!({}),
        }
    }
}

/// The exception a host request raises in the agent's cell.
#[derive(Debug, Clone, PartialEq)]
pub struct HostError {
    /// RuntimeError, ValueError, TypeError or KeyError.
    pub python_type: &'static str,
    pub message: String,
}

impl HostError {
    pub fn runtime(message: impl Into<String>) -> Self {
        Self {
            python_type: "RuntimeError",
            message: message.into(),
        }
    }
    pub fn value(message: impl Into<String>) -> Self {
        Self {
            python_type: "ValueError",
            message: message.into(),
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

struct Process {
    child: Child,
    stdin: ChildStdin,
    messages: mpsc::Receiver<Result<Message, WireError>>,
    stderr_tail: Arc<Mutex<String>>,
}

/// A live Python session. Variables persist between `exec` calls.
pub struct KernelSession {
    env: PythonEnv,
    inputs: SessionInputs,
    options: SessionOptions,
    scratch: tempfile::TempDir,
    process: Process,
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
}

impl KernelSession {
    /// Spawn a session and build the agent's namespace from `inputs`.
    pub async fn start(
        env: &PythonEnv,
        inputs: SessionInputs,
        options: SessionOptions,
    ) -> Result<Self, KernelError> {
        let scratch = tempfile::Builder::new()
            .prefix("spatialclaw-session-")
            .tempdir()
            .map_err(|e| KernelError::Start {
                detail: format!("cannot create a scratch directory: {e}"),
            })?;
        let (process, ready) = spawn(env, &inputs, &options, scratch.path()).await?;
        Ok(Self {
            env: env.clone(),
            inputs,
            options,
            scratch,
            process,
            next_id: 0,
            ready,
        })
    }

    /// What the session reported at start: names and the generated tool reference.
    pub fn ready(&self) -> &Ready {
        &self.ready
    }

    pub fn pid(&self) -> Option<u32> {
        self.process.child.id()
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
        if let Err(e) = write_message(&mut self.process.stdin, &msg).await {
            return self
                .recover_from_death(
                    outcome,
                    started,
                    format!("the session was gone before the cell ran ({e})"),
                )
                .await;
        }
        let mut deadline = tokio::time::Instant::from_std(started + limit);
        let mut interrupted = false;
        loop {
            let next = tokio::select! {
                m = self.process.messages.recv() => m,
                _ = tokio::time::sleep_until(deadline) => {
                    if interrupted {
                        // The cell ignored SIGINT (stuck in C code): kill and start over.
                        let _ = self.process.child.start_kill();
                        let _ = self.process.child.wait().await;
                        outcome.interruption = Some(Interruption::KilledAfterTimeout { limit });
                        return self.restart(outcome, started).await;
                    }
                    self.interrupt();
                    interrupted = true;
                    deadline = tokio::time::Instant::now() + self.options.interrupt_grace;
                    continue;
                }
            };
            let msg = match next {
                Some(Ok(m)) => m,
                Some(Err(e)) => return Err(KernelError::Wire(e)),
                None => {
                    let status = self.process.child.wait().await.ok();
                    let detail = describe_exit(status, &self.stderr_tail());
                    return self.recover_from_death(outcome, started, detail).await;
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
                            self.interrupt();
                            error_reply(
                                rid,
                                "RuntimeError",
                                &format!("time limit reached while `{method}` was running"),
                            )
                        }
                    };
                    if write_message(&mut self.process.stdin, &reply)
                        .await
                        .is_err()
                    {
                        continue; // the reader will report the death
                    }
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

    fn interrupt(&self) {
        if let Some(pid) = self.process.child.id() {
            // SAFETY: plain kill(2) on our own child's pid.
            unsafe {
                libc::kill(pid as i32, libc::SIGINT);
            }
        }
    }

    fn stderr_tail(&self) -> String {
        self.process
            .stderr_tail
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    async fn recover_from_death(
        &mut self,
        mut outcome: ExecOutcome,
        started: Instant,
        detail: String,
    ) -> Result<ExecOutcome, KernelError> {
        outcome.interruption = Some(Interruption::Died { detail });
        self.restart(outcome, started).await
    }

    /// Start a fresh process with the same inputs. Its variables are gone, and the outcome
    /// says so: state is never wiped silently.
    async fn restart(
        &mut self,
        mut outcome: ExecOutcome,
        started: Instant,
    ) -> Result<ExecOutcome, KernelError> {
        let _ = self.process.child.start_kill();
        let (process, ready) =
            spawn(&self.env, &self.inputs, &self.options, self.scratch.path()).await?;
        self.process = process;
        self.ready = ready;
        outcome.state_lost = true;
        outcome.elapsed = started.elapsed();
        Ok(outcome)
    }

    /// Kill the session from outside (tests, fault injection).
    pub fn kill(&mut self) {
        let _ = self.process.child.start_kill();
    }

    pub async fn shutdown(mut self) {
        let _ = write_message(
            &mut self.process.stdin,
            &Message::new(json!({"type": "shutdown"})),
        )
        .await;
        if tokio::time::timeout(Duration::from_secs(2), self.process.child.wait())
            .await
            .is_err()
        {
            let _ = self.process.child.start_kill();
        }
    }
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
    Ok(())
}

fn describe_exit(status: Option<std::process::ExitStatus>, stderr: &str) -> String {
    use std::os::unix::process::ExitStatusExt;
    let what = match status {
        Some(s) if s.signal() == Some(libc::SIGKILL) => {
            "was killed (SIGKILL: out of memory, or killed from outside)".to_owned()
        }
        Some(s) if s.signal() == Some(libc::SIGSEGV) => "crashed (segmentation fault)".to_owned(),
        Some(s) if s.signal().is_some() => {
            format!("was terminated by signal {}", s.signal().unwrap())
        }
        Some(s) => format!("exited with status {}", s.code().unwrap_or(-1)),
        None => "died".to_owned(),
    };
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    if last.is_empty() {
        format!("the Python session {what}")
    } else {
        format!("the Python session {what}; last message: {last}")
    }
}

async fn spawn(
    env: &PythonEnv,
    inputs: &SessionInputs,
    options: &SessionOptions,
    scratch: &std::path::Path,
) -> Result<(Process, Ready), KernelError> {
    let mpl = scratch.join(".matplotlib");
    let _ = std::fs::create_dir_all(&mpl);
    let mut cmd = Command::new(&env.python);
    cmd.args([
        "-X",
        "frozen_modules=off",
        "-m",
        "spatialclaw_kernel.session",
    ])
    // A clean environment: no host variables or API keys reach agent code.
    .env_clear()
    .env("PYTHONPATH", &env.runtime_root)
    .env("PATH", "/usr/bin:/bin")
    .env("HOME", scratch)
    .env("TMPDIR", scratch)
    .env("MPLBACKEND", "Agg")
    .env("MPLCONFIGDIR", &mpl)
    .env("PYTHONDONTWRITEBYTECODE", "1")
    .env("PYTHONUNBUFFERED", "1")
    .env("OMP_NUM_THREADS", "1")
    .env("OPENBLAS_NUM_THREADS", "1")
    .env("MKL_NUM_THREADS", "1")
    .current_dir(scratch)
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .kill_on_drop(true);
    let mut child = cmd.spawn().map_err(|source| KernelError::Spawn {
        python: env.python.clone(),
        source,
    })?;
    let stdin = child.stdin.take().expect("piped stdin");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let stderr_tail = Arc::new(Mutex::new(String::new()));
    let tail = stderr_tail.clone();
    tokio::spawn(async move {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stderr.read(&mut buf).await {
            if n == 0 {
                break;
            }
            let mut t = tail.lock().unwrap();
            t.push_str(&String::from_utf8_lossy(&buf[..n]));
            if t.len() > STDERR_TAIL {
                let cut = t.len() - STDERR_TAIL;
                let cut = (cut..t.len())
                    .find(|&i| t.is_char_boundary(i))
                    .unwrap_or(t.len());
                t.drain(..cut);
            }
        }
    });
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        loop {
            let m = read_message(&mut stdout).await;
            let done = m.is_err();
            if matches!(m, Err(WireError::Closed)) {
                break; // dropping tx tells the session the process is gone
            }
            if tx.send(m).await.is_err() || done {
                break;
            }
        }
    });
    let mut process = Process {
        child,
        stdin,
        messages: rx,
        stderr_tail,
    };
    let init =
        Message::new(json!({"type": "init", "inputs": inputs, "options": options.tool_options}));
    let started = async {
        write_message(&mut process.stdin, &init).await?;
        match process.messages.recv().await {
            Some(Ok(m)) if m.kind() == "ready" => Ok(m),
            Some(Ok(m)) => Err(KernelError::Protocol(format!(
                "expected `ready`, got `{}`",
                m.kind()
            ))),
            Some(Err(e)) => Err(KernelError::Wire(e)),
            None => Err(KernelError::Start {
                detail: String::new(),
            }),
        }
    };
    let ready = match tokio::time::timeout(START_TIMEOUT, started).await {
        Ok(Ok(m)) => m,
        Ok(Err(e)) => {
            let _ = process.child.start_kill();
            let status = process.child.wait().await.ok();
            tokio::time::sleep(Duration::from_millis(50)).await; // let the stderr reader drain
            let tail = process
                .stderr_tail
                .lock()
                .map(|s| s.clone())
                .unwrap_or_default();
            let detail = match e {
                KernelError::Start { .. } => {
                    format!("{}\n{}", describe_exit(status, ""), tail.trim())
                }
                other => format!("{other}\n{}", tail.trim()),
            };
            return Err(KernelError::Start { detail });
        }
        Err(_) => {
            let _ = process.child.start_kill();
            return Err(KernelError::Start {
                detail: format!("no `ready` within {}s", START_TIMEOUT.as_secs()),
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
    Ok((process, Ready { names, tool_docs }))
}
