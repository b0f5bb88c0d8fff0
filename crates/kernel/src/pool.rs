//! The zygote and the socket sessions connect to.
//!
//! One Python process per pool imports the heavy libraries once; every session is a fork of
//! it (a few milliseconds instead of seconds). Sessions, and snapshots resuming after a crash,
//! connect to the pool's Unix socket and name themselves with a token.
//!
//! The pool runs on plain threads, not on an async runtime, so one pool serves sessions
//! driven from any runtime (each test has its own).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::protocol::{Message, decode_header};
use crate::provision::PythonEnv;
use crate::session::KernelError;

/// How long the zygote may take to import everything.
const ZYGOTE_START: Duration = Duration::from_secs(180);
/// How long a forked session (or a resumed snapshot) may take to connect.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(60);
const STDERR_TAIL: usize = 8000;

/// How a process the zygote reaped ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Code(i32),
    Signal(i32),
}

type Waiter = oneshot::Sender<(UnixStream, u32)>;

struct Zygote {
    child: Child,
    stdin: ChildStdin,
}

#[derive(Default)]
struct Shared {
    /// Token → whoever waits for that session to connect.
    waiters: Mutex<HashMap<String, Waiter>>,
    exits: Mutex<HashMap<u32, ExitStatus>>,
    ready: Mutex<Option<Result<Value, String>>>,
    stderr_tail: Mutex<String>,
}

struct Inner {
    env: PythonEnv,
    _dir: tempfile::TempDir,
    socket_path: PathBuf,
    zygote: Mutex<Option<Zygote>>,
    shared: Arc<Shared>,
    next_token: AtomicU64,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Ok(mut z) = self.zygote.lock()
            && let Some(z) = z.as_mut()
        {
            let _ = z.child.kill();
            let _ = z.child.wait();
        }
    }
}

/// A zygote plus the socket its sessions connect to. Cheap to clone.
#[derive(Clone)]
pub struct KernelPool {
    inner: Arc<Inner>,
}

fn read_frame_blocking(r: &mut impl Read) -> std::io::Result<Message> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len)?;
    let n = u32::from_le_bytes(len) as usize;
    if n > crate::protocol::MAX_HEADER {
        return Err(std::io::Error::other("oversized control header"));
    }
    let mut raw = vec![0u8; n];
    r.read_exact(&mut raw)?;
    let (header, descs) = decode_header(&raw).map_err(std::io::Error::other)?;
    if !descs.is_empty() {
        return Err(std::io::Error::other("control messages carry no arrays"));
    }
    Ok(Message {
        header,
        arrays: Vec::new(),
    })
}

/// The command that starts a Python process of the runtime with a clean environment: no host
/// variables or API keys reach agent code.
pub(crate) fn python_command(env: &PythonEnv, module: &str, home: &std::path::Path) -> Command {
    let mut cmd = Command::new(&env.python);
    cmd.args(["-X", "frozen_modules=off", "-m", module])
        .env_clear()
        .env("PYTHONPATH", &env.runtime_root)
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", home)
        .env("TMPDIR", home)
        .env("MPLBACKEND", "Agg")
        .env("MPLCONFIGDIR", home.join(".matplotlib"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUNBUFFERED", "1")
        // One BLAS thread: fork safety, and many sessions share few cores.
        .env("OMP_NUM_THREADS", "1")
        .env("OPENBLAS_NUM_THREADS", "1")
        .env("MKL_NUM_THREADS", "1")
        .current_dir(home);
    cmd
}

impl KernelPool {
    /// Start a pool: a socket in a private directory and (lazily) its zygote.
    pub fn new(env: &PythonEnv) -> Result<Self, KernelError> {
        let start_err = |e: std::io::Error| KernelError::Start {
            detail: format!("kernel pool: {e}"),
        };
        let dir = tempfile::Builder::new()
            .prefix("spatialclaw-kernel-")
            .tempdir()
            .map_err(start_err)?;
        let socket_path = dir.path().join("sessions.sock");
        let listener = UnixListener::bind(&socket_path).map_err(start_err)?;
        let _ = std::fs::create_dir_all(dir.path().join(".matplotlib"));
        let shared = Arc::new(Shared::default());
        let accept_shared = shared.clone();
        std::thread::Builder::new()
            .name("kernel-accept".into())
            .spawn(move || accept_loop(listener, accept_shared))
            .map_err(start_err)?;
        Ok(Self {
            inner: Arc::new(Inner {
                env: env.clone(),
                _dir: dir,
                socket_path,
                zygote: Mutex::new(None),
                shared,
                next_token: AtomicU64::new(1),
            }),
        })
    }

    /// The process-wide pool for `env`, created on first use.
    pub fn shared(env: &PythonEnv) -> Result<Self, KernelError> {
        static POOLS: OnceLock<Mutex<HashMap<PathBuf, KernelPool>>> = OnceLock::new();
        let mut pools = POOLS
            .get_or_init(Default::default)
            .lock()
            .expect("pool registry");
        if let Some(p) = pools.get(&env.python) {
            return Ok(p.clone());
        }
        let pool = Self::new(env)?;
        pools.insert(env.python.clone(), pool.clone());
        Ok(pool)
    }

    pub fn env(&self) -> &PythonEnv {
        &self.inner.env
    }

    /// Read-only roots every session of this pool needs: the runtime and the environment
    /// (the session adds what its interpreter reports, see sandbox.py).
    pub(crate) fn sandbox_roots(&self) -> Vec<PathBuf> {
        let env = &self.inner.env;
        let venv = env.python.parent().and_then(|bin| bin.parent());
        std::iter::once(env.runtime_root.clone())
            .chain(venv.map(|v| v.to_path_buf()))
            .collect()
    }

    fn zygote_home(&self) -> PathBuf {
        self.inner
            .socket_path
            .parent()
            .expect("socket has a directory")
            .to_owned()
    }

    /// Make sure a live zygote exists; start one (and wait for its imports) if not.
    fn ensure_zygote(&self) -> Result<(), KernelError> {
        let mut guard = self.inner.zygote.lock().expect("zygote lock");
        if let Some(z) = guard.as_mut() {
            if matches!(z.child.try_wait(), Ok(None)) {
                return Ok(());
            }
            *guard = None;
        }
        let shared = &self.inner.shared;
        *shared.ready.lock().unwrap() = None;
        let mut cmd = python_command(
            &self.inner.env,
            "spatialclaw_kernel.zygote",
            &self.zygote_home(),
        );
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // Its own process group: a terminal's Ctrl-C reaches the host, not the sessions.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        // Sandbox: sessions forked from the zygote inherit a network namespace of their own.
        crate::sandbox::isolate_network(&mut cmd);
        let mut child = cmd.spawn().map_err(|source| KernelError::Spawn {
            python: self.inner.env.python.clone(),
            source,
        })?;
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut stderr = child.stderr.take().expect("piped stderr");
        let tail_shared = shared.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                tracing::debug!(target: "kernel", "{}", text.trim_end());
                let mut t = tail_shared.stderr_tail.lock().unwrap();
                t.push_str(&text);
                if t.len() > STDERR_TAIL {
                    let cut = t.len() - STDERR_TAIL;
                    let cut = (cut..t.len())
                        .find(|&i| t.is_char_boundary(i))
                        .unwrap_or(t.len());
                    t.drain(..cut);
                }
            }
        });
        let control_shared = shared.clone();
        std::thread::spawn(move || control_loop(stdout, control_shared));
        let started = Instant::now();
        loop {
            if let Some(r) = shared.ready.lock().unwrap().take() {
                match r {
                    Ok(_) => break,
                    Err(e) => {
                        let _ = child.kill();
                        return Err(KernelError::Start {
                            detail: format!("{e}\n{}", self.stderr_tail()),
                        });
                    }
                }
            }
            if let Ok(Some(status)) = child.try_wait() {
                std::thread::sleep(Duration::from_millis(50));
                return Err(KernelError::Start {
                    detail: format!(
                        "the kernel's zygote exited ({status}):\n{}",
                        self.stderr_tail()
                    ),
                });
            }
            if started.elapsed() > ZYGOTE_START {
                let _ = child.kill();
                return Err(KernelError::Start {
                    detail: "the kernel's zygote did not finish its imports".into(),
                });
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        *guard = Some(Zygote { child, stdin });
        Ok(())
    }

    pub(crate) fn stderr_tail(&self) -> String {
        self.inner
            .shared
            .stderr_tail
            .lock()
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    }

    /// An unguessable token: whoever connects with it becomes that session, so agent code
    /// that reached the socket must not be able to predict another session's token.
    fn new_token(&self) -> String {
        let mut bytes = [0u8; 16];
        // SAFETY: getrandom(2) writes at most `bytes.len()` bytes into our buffer.
        let n = unsafe { libc::getrandom(bytes.as_mut_ptr().cast(), bytes.len(), 0) };
        let counter = self.inner.next_token.fetch_add(1, Ordering::Relaxed);
        if n != bytes.len() as isize {
            // No kernel randomness (very old kernels): fall back to a hash of time and counter.
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            bytes[..8].copy_from_slice(&(t.as_nanos() as u64).to_le_bytes());
            bytes[8..].copy_from_slice(&counter.to_le_bytes());
        }
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        format!("s{counter}-{hex}")
    }

    fn expect_connection(&self, token: &str) -> oneshot::Receiver<(UnixStream, u32)> {
        let (tx, rx) = oneshot::channel();
        self.inner
            .shared
            .waiters
            .lock()
            .unwrap()
            .insert(token.to_owned(), tx);
        rx
    }

    async fn await_connection(
        &self,
        token: &str,
        rx: oneshot::Receiver<(UnixStream, u32)>,
        what: &str,
    ) -> Result<(tokio::net::UnixStream, u32), KernelError> {
        let got = tokio::time::timeout(CONNECT_TIMEOUT, rx).await;
        self.inner.shared.waiters.lock().unwrap().remove(token);
        let (stream, pid) = match got {
            Ok(Ok(v)) => v,
            _ => {
                return Err(KernelError::Start {
                    detail: format!(
                        "{what} did not connect within {}s\n{}",
                        CONNECT_TIMEOUT.as_secs(),
                        self.stderr_tail()
                    ),
                });
            }
        };
        stream
            .set_nonblocking(true)
            .map_err(|e| KernelError::Start {
                detail: e.to_string(),
            })?;
        let stream = tokio::net::UnixStream::from_std(stream).map_err(|e| KernelError::Start {
            detail: e.to_string(),
        })?;
        Ok((stream, pid))
    }

    /// Fork a new session from the zygote; `init` carries its inputs and options.
    pub(crate) async fn fork_session(
        &self,
        mut init: serde_json::Map<String, Value>,
    ) -> Result<(String, tokio::net::UnixStream, u32), KernelError> {
        let pool = self.clone();
        tokio::task::spawn_blocking(move || pool.ensure_zygote())
            .await
            .map_err(|e| KernelError::Start {
                detail: e.to_string(),
            })??;
        let token = self.new_token();
        let rx = self.expect_connection(&token);
        init.insert("type".into(), "fork".into());
        init.insert("token".into(), token.clone().into());
        init.insert(
            "socket".into(),
            self.inner.socket_path.to_string_lossy().into_owned().into(),
        );
        let bytes = Message::new(Value::Object(init)).encode();
        {
            let mut guard = self.inner.zygote.lock().expect("zygote lock");
            let z = guard.as_mut().ok_or_else(|| KernelError::Start {
                detail: "the zygote is gone".into(),
            })?;
            z.stdin
                .write_all(&bytes)
                .and_then(|_| z.stdin.flush())
                .map_err(|e| KernelError::Start {
                    detail: format!("cannot reach the zygote: {e}"),
                })?;
        }
        let (stream, pid) = self.await_connection(&token, rx, "the new session").await?;
        Ok((token, stream, pid))
    }

    /// Wake a snapshot (SIGUSR1) so it takes over as session `token`.
    pub(crate) async fn resume_snapshot(
        &self,
        token: &str,
        snapshot_pid: u32,
    ) -> Result<(tokio::net::UnixStream, u32), KernelError> {
        let rx = self.expect_connection(token);
        // SAFETY: kill(2) on a pid the session reported as its snapshot.
        if unsafe { libc::kill(snapshot_pid as i32, libc::SIGUSR1) } != 0 {
            self.inner.shared.waiters.lock().unwrap().remove(token);
            return Err(KernelError::Start {
                detail: format!("snapshot {snapshot_pid} is gone"),
            });
        }
        self.await_connection(token, rx, "the snapshot").await
    }

    /// How `pid` ended, if the zygote has reaped it within `wait`.
    pub(crate) async fn exit_status(&self, pid: u32, wait: Duration) -> Option<ExitStatus> {
        let until = Instant::now() + wait;
        loop {
            if let Some(s) = self.inner.shared.exits.lock().unwrap().remove(&pid) {
                return Some(s);
            }
            if Instant::now() >= until {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Pid of the zygote (diagnostics and tests).
    pub fn zygote_pid(&self) -> Option<u32> {
        self.inner
            .zygote
            .lock()
            .ok()?
            .as_ref()
            .map(|z| z.child.id())
    }

    /// Send the fork request described by `json` fields (for tests of protocol errors).
    #[doc(hidden)]
    pub fn socket_path(&self) -> PathBuf {
        self.inner.socket_path.clone()
    }
}

fn accept_loop(listener: UnixListener, shared: Arc<Shared>) {
    for conn in listener.incoming() {
        let Ok(mut stream) = conn else { continue };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let hello = match read_frame_blocking(&mut stream) {
            Ok(m) if m.kind() == "hello" => m,
            _ => continue, // not one of ours: drop it
        };
        let _ = stream.set_read_timeout(None);
        let token = hello
            .get("token")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let pid = hello.get("pid").and_then(Value::as_u64).unwrap_or(0) as u32;
        if let Some(tx) = shared.waiters.lock().unwrap().remove(&token) {
            let _ = tx.send((stream, pid));
        }
    }
}

fn control_loop(mut stdout: std::process::ChildStdout, shared: Arc<Shared>) {
    loop {
        let msg = match read_frame_blocking(&mut stdout) {
            Ok(m) => m,
            Err(e) => {
                let mut ready = shared.ready.lock().unwrap();
                if ready.is_none() {
                    *ready = Some(Err(format!("the kernel's zygote stopped: {e}")));
                }
                return;
            }
        };
        match msg.kind() {
            "zygote_ready" => *shared.ready.lock().unwrap() = Some(Ok(Value::Object(msg.header))),
            "exited" => {
                let pid = msg.get("pid").and_then(Value::as_u64).unwrap_or(0) as u32;
                let status = msg.get("status").cloned().unwrap_or(json!({}));
                let s = match (
                    status.get("signal").and_then(Value::as_i64),
                    status.get("code").and_then(Value::as_i64),
                ) {
                    (Some(sig), _) => ExitStatus::Signal(sig as i32),
                    (None, Some(code)) => ExitStatus::Code(code as i32),
                    _ => ExitStatus::Code(-1),
                };
                let mut exits = shared.exits.lock().unwrap();
                if exits.len() > 10_000 {
                    exits.clear(); // nobody asked about those; keep memory bounded
                }
                exits.insert(pid, s);
            }
            _ => {}
        }
    }
}
