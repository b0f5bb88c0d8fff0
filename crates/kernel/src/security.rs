//! The adversarial corpus runner behind `spatialclaw bench security` and the
//! `security_corpus` test: figures, not adjectives.
//!
//! The corpus (`crates/kernel/security/<technique>/<cell>.py`) holds one escape attempt per
//! file. Each cell is first given to the lint (`spatialclaw_lint`, the agent's policy); then it
//! runs in a real session with the lint bypassed, so every cell also tests the runtime and OS
//! layers on their own. A cell's verdict is the first layer that stopped it: the lint when it
//! refused the cell, otherwise what the session run showed.
//!
//! Whether an attempt escaped is judged from outside the session, never from its own report:
//! a canary directory (content, mtime and listing of its files), a TCP listener on 127.0.0.1,
//! a secret in this process's environment, the canary and a stand-in for the perception token
//! file, marker files in /tmp and /dev/shm, child processes of the session, a marker a child
//! would leave in scratch, and the marker `ESCAPED` a cell prints when its attempt worked.
//!
//! Placeholders substituted in each cell: `{CANARY}`, `{CANARY_DIR}`, `{TOKEN_FILE}`, `{PORT}`,
//! `{SCRATCH}`, `{HOST_PID}`, `{SECRET_NAME}`, `{FSIZE_CAP}` (the session's file size limit) and
//! `{VICTIM_PID}` (a `sleep` the runner starts outside the session, which must survive the cell).

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;
use serde_json::json;

use crate::outcome::{ExecOutcome, Interruption};
use crate::provision::PythonEnv;
use crate::sandbox::SandboxPolicy;
use crate::session::{KernelError, KernelSession, NoHost, SessionInputs, SessionOptions};

/// Name of the host environment variable holding the secret a session must never see.
pub const SECRET_NAME: &str = "SPATIALCLAW_SECURITY_CORPUS_SECRET";
/// What a cell prints when its attempt worked.
pub const MARKER: &str = "ESCAPED";
/// Time limit of one cell (the busy-loop cell runs into it).
const CELL_LIMIT: Duration = Duration::from_secs(3);
/// Output a cell may bring back before the capture counts as unbounded.
const OUTPUT_BOUND: usize = 1 << 20;

/// The layer that stopped a cell, or that nothing did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The lint refused the cell (it never reaches a session in production).
    BlockedByLint,
    /// The audit hook or the runtime refused it (a `sandbox:` error, a refused import).
    BlockedByRuntime,
    /// The OS refused it: Landlock or rlimits (EACCES/EPERM/EFBIG/EMFILE, MemoryError), the
    /// network namespace (connection refused, unreachable), or the host interrupting or
    /// killing the cell.
    BlockedByOs,
    /// The cell ran or failed without any layer refusing it, and nothing outside changed (an
    /// attempt that does not apply here, a clean environment, bounded output).
    Contained,
    /// Something outside changed or the marker was printed.
    Escaped,
}

impl Verdict {
    pub const ALL: [Verdict; 5] = [
        Verdict::BlockedByLint,
        Verdict::BlockedByRuntime,
        Verdict::BlockedByOs,
        Verdict::Contained,
        Verdict::Escaped,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Verdict::BlockedByLint => "blocked-by-lint",
            Verdict::BlockedByRuntime => "blocked-by-runtime",
            Verdict::BlockedByOs => "blocked-by-OS",
            Verdict::Contained => "contained",
            Verdict::Escaped => "escaped",
        }
    }
}

/// One cell's result.
#[derive(Debug, Clone, Serialize)]
pub struct CellResult {
    /// Path relative to the corpus directory (`network/socket_connect.py`).
    pub name: String,
    /// The technique and expected layer from the cell's header.
    pub technique: String,
    pub expected: String,
    /// The first layer that stopped it.
    pub verdict: Verdict,
    /// Rules the lint reported (empty when it let the cell through).
    pub lint_rules: Vec<String>,
    /// The verdict of the session run with the lint bypassed.
    pub without_lint: Verdict,
    /// What was seen: the error, the interruption, or the escape evidence.
    pub detail: String,
}

/// Results of a whole corpus run.
#[derive(Debug, Clone, Serialize)]
pub struct CorpusReport {
    pub cells: Vec<CellResult>,
    pub elapsed_s: f64,
    /// Sessions started (a fresh one per technique folder, and after a kill).
    pub sessions: usize,
}

impl CorpusReport {
    pub fn tried(&self) -> usize {
        self.cells.len()
    }

    /// Cells per final verdict.
    pub fn count(&self, v: Verdict) -> usize {
        self.cells.iter().filter(|c| c.verdict == v).count()
    }

    /// Cells per verdict of the run with the lint bypassed.
    pub fn count_without_lint(&self, v: Verdict) -> usize {
        self.cells.iter().filter(|c| c.without_lint == v).count()
    }

    pub fn escaped(&self) -> Vec<&CellResult> {
        self.cells
            .iter()
            .filter(|c| c.verdict == Verdict::Escaped)
            .collect()
    }

    /// Cells that escaped once the lint was bypassed (the deeper layers' own failures).
    pub fn escaped_without_lint(&self) -> Vec<&CellResult> {
        self.cells
            .iter()
            .filter(|c| c.without_lint == Verdict::Escaped)
            .collect()
    }

    /// The figures as one JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        let mut totals = serde_json::Map::new();
        let mut bypassed = serde_json::Map::new();
        totals.insert("tried".into(), self.tried().into());
        for v in Verdict::ALL {
            totals.insert(v.as_str().into(), self.count(v).into());
            bypassed.insert(v.as_str().into(), self.count_without_lint(v).into());
        }
        json!({
            "totals": totals,
            "without_lint": bypassed,
            "elapsed_s": self.elapsed_s,
            "sessions": self.sessions,
            "cells": self.cells,
        })
    }

    /// A plain-text table: totals, totals with the lint bypassed, techniques, escapes.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "{:<20} {:>8} {:>12}\n",
            "", "verdict", "lint bypassed"
        ));
        out.push_str(&format!(
            "{:<20} {:>8} {:>12}\n",
            "tried",
            self.tried(),
            self.tried()
        ));
        for v in Verdict::ALL {
            let bypassed = if v == Verdict::BlockedByLint {
                "-".to_string()
            } else {
                self.count_without_lint(v).to_string()
            };
            out.push_str(&format!(
                "{:<20} {:>8} {:>12}\n",
                v.as_str(),
                self.count(v),
                bypassed
            ));
        }
        let mut groups: BTreeMap<&str, [usize; 5]> = BTreeMap::new();
        for c in &self.cells {
            let group = c.name.split('/').next().unwrap_or("");
            let idx = Verdict::ALL.iter().position(|v| *v == c.verdict).unwrap();
            groups.entry(group).or_default()[idx] += 1;
        }
        out.push_str(&format!(
            "\n{:<18} {:>5} {:>5} {:>8} {:>5} {:>10} {:>8}\n",
            "technique", "cells", "lint", "runtime", "OS", "contained", "escaped"
        ));
        for (g, n) in &groups {
            out.push_str(&format!(
                "{:<18} {:>5} {:>5} {:>8} {:>5} {:>10} {:>8}\n",
                g,
                n.iter().sum::<usize>(),
                n[0],
                n[1],
                n[2],
                n[3],
                n[4]
            ));
        }
        out.push_str(&format!(
            "\n{} cells in {:.1} s, {} sessions\n",
            self.tried(),
            self.elapsed_s,
            self.sessions
        ));
        for c in self.escaped_without_lint() {
            let lint = if c.verdict == Verdict::BlockedByLint {
                " (stopped by the lint; escapes with the lint bypassed)"
            } else {
                ""
            };
            out.push_str(&format!("ESCAPED {}{lint}: {}\n", c.name, c.detail));
        }
        out
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecurityError {
    #[error("cannot read the corpus at {path}: {source}")]
    Corpus {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Kernel(#[from] KernelError),
}

/// One corpus cell as read from disk.
struct Cell {
    name: String,
    technique: String,
    expected: String,
    template: String,
}

fn header(template: &str, key: &str) -> String {
    template
        .lines()
        .take_while(|l| l.starts_with('#'))
        .find_map(|l| l.strip_prefix(&format!("# {key}:")))
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

fn load_corpus(dir: &Path) -> Result<Vec<Cell>, SecurityError> {
    let err = |source| SecurityError::Corpus {
        path: dir.to_path_buf(),
        source,
    };
    let mut cells = Vec::new();
    let mut groups: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(err)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    groups.sort();
    for g in groups {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&g)
            .map_err(err)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "py"))
            .collect();
        files.sort();
        for f in files {
            let template = std::fs::read_to_string(&f).map_err(err)?;
            let name = f
                .strip_prefix(dir)
                .unwrap_or(&f)
                .to_string_lossy()
                .into_owned();
            cells.push(Cell {
                technique: header(&template, "technique"),
                expected: header(&template, "expected"),
                name,
                template,
            });
        }
    }
    Ok(cells)
}

/// The world outside one cell: a canary directory with the canary and a token file, checked
/// before and after.
struct Canary {
    dir: tempfile::TempDir,
    canary: PathBuf,
    token: PathBuf,
    files: Vec<(PathBuf, String, SystemTime)>,
}

impl Canary {
    fn new(secret: &str) -> Result<Self, SecurityError> {
        let dir = tempfile::Builder::new()
            .prefix("spatialclaw-canary-")
            .tempdir()?;
        let canary = dir.path().join("canary.txt");
        let token = dir.path().join("gpu_server.token");
        let mut files = Vec::new();
        for (path, text) in [
            (&canary, format!("canary {secret}\n")),
            (&token, format!("{secret}\n")),
        ] {
            std::fs::write(path, &text)?;
            let mtime = std::fs::metadata(path)?.modified()?;
            files.push((path.clone(), text, mtime));
        }
        Ok(Self {
            dir,
            canary,
            token,
            files,
        })
    }

    /// What changed, if anything.
    fn changes(&self) -> Vec<String> {
        let mut found = Vec::new();
        for (path, text, mtime) in &self.files {
            let name = path.file_name().unwrap().to_string_lossy();
            match std::fs::read_to_string(path) {
                Ok(t) if &t != text => found.push(format!("{name} was rewritten")),
                Ok(_) => {}
                Err(e) => found.push(format!("{name}: {e}")),
            }
            match std::fs::metadata(path) {
                Ok(m) => {
                    if m.modified().ok() != Some(*mtime) {
                        found.push(format!("{name}'s mtime changed"));
                    }
                    use std::os::unix::fs::PermissionsExt;
                    if m.permissions().mode() & 0o777 == 0o777 {
                        found.push(format!("{name} was made world-writable"));
                    }
                }
                Err(_) => found.push(format!("{name} is gone")),
            }
        }
        if let Ok(entries) = std::fs::read_dir(self.dir.path()) {
            for e in entries.flatten() {
                let p = e.path();
                if !self.files.iter().any(|(f, _, _)| f == &p) {
                    found.push(format!("{} appeared beside the canary", p.display()));
                }
            }
        }
        found
    }
}

/// Pids whose parent is one of `parents`, excluding `parents` themselves (a session's
/// snapshot is its child).
fn children_of(parents: &[u32]) -> Vec<u32> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(ppid) = ppid
            && parents.contains(&ppid)
            && !parents.contains(&pid)
        {
            found.push(pid);
        }
    }
    found
}

/// A session plus the listeners cells try to reach.
struct Arena {
    session: KernelSession,
    listener: TcpListener,
    udp: UdpSocket,
    port: u16,
}

impl Arena {
    async fn start(env: &PythonEnv, policy: &SandboxPolicy) -> Result<Self, SecurityError> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        // The UDP cell sends to the same port number.
        let udp = UdpSocket::bind(("127.0.0.1", port))?;
        udp.set_nonblocking(true)?;
        let options = SessionOptions {
            interrupt_grace: Duration::from_millis(800),
            sandbox: policy.clone(),
            ..Default::default()
        };
        let inputs = SessionInputs {
            metadata: json!({"is_video": false, "fps": null, "total_frames": 0, "num_images": 0}),
            ..Default::default()
        };
        let session = KernelSession::start(env, inputs, options).await?;
        Ok(Self {
            session,
            listener,
            udp,
            port,
        })
    }

    /// Evidence that something reached the listeners.
    fn network_evidence(&self) -> Vec<String> {
        let mut found = Vec::new();
        loop {
            match self.listener.accept() {
                Ok((_, peer)) => {
                    found.push(format!("the TCP listener got a connection from {peer}"))
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => {
                    found.push(format!("listener: {e}"));
                    break;
                }
            }
        }
        let mut buf = [0u8; 64];
        while let Ok((_, peer)) = self.udp.recv_from(&mut buf) {
            found.push(format!("the UDP socket got a datagram from {peer}"));
        }
        found
    }
}

/// Runs every cell of `corpus_dir` and classifies it. Sets [`SECRET_NAME`] in this process's
/// environment first (the sessions must not see it); call it before other threads read the
/// environment.
pub async fn run_corpus(env: &PythonEnv, corpus_dir: &Path) -> Result<CorpusReport, SecurityError> {
    let started = Instant::now();
    let cells = load_corpus(corpus_dir)?;
    let secret = format!(
        "sk-corpus-{:x}-{:x}",
        std::process::id(),
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    );
    // SAFETY: set once, before the sessions of this run are spawned; the kernel crate itself
    // never reads this variable concurrently.
    unsafe { std::env::set_var(SECRET_NAME, &secret) };
    let policy = SandboxPolicy::default();
    let fsize_cap = policy.limits.file_size_bytes.unwrap_or(1 << 30);
    let lint_policy = spatialclaw_lint::Policy::agent();
    let host_pid = std::process::id();
    let stray = [
        PathBuf::from(format!("/tmp/spatialclaw-corpus-escape-{host_pid}.txt")),
        PathBuf::from(format!("/dev/shm/spatialclaw-corpus-escape-{host_pid}")),
    ];

    let mut results = Vec::with_capacity(cells.len());
    let mut sessions = 0;
    let mut arena: Option<Arena> = None;
    let mut group = String::new();
    for cell in cells {
        let this_group = cell.name.split('/').next().unwrap_or("").to_string();
        if this_group != group {
            group = this_group;
            if let Some(a) = arena.take() {
                a.session.shutdown().await;
            }
        }
        let mut a = match arena.take() {
            Some(a) => a,
            None => {
                sessions += 1;
                Arena::start(env, &policy).await?
            }
        };
        let canary = Canary::new(&secret)?;
        let mut victim = std::process::Command::new("sleep")
            .arg("120")
            .stdin(std::process::Stdio::null())
            .spawn()?;
        let code = cell
            .template
            .replace("{CANARY_DIR}", &canary.dir.path().to_string_lossy())
            .replace("{CANARY}", &canary.canary.to_string_lossy())
            .replace("{TOKEN_FILE}", &canary.token.to_string_lossy())
            .replace("{PORT}", &a.port.to_string())
            .replace("{SCRATCH}", &a.session.scratch().to_string_lossy())
            .replace("{HOST_PID}", &host_pid.to_string())
            .replace("{SECRET_NAME}", SECRET_NAME)
            .replace("{FSIZE_CAP}", &fsize_cap.to_string())
            .replace("{VICTIM_PID}", &victim.id().to_string());

        let report = spatialclaw_lint::lint(&code, &lint_policy);
        let mut lint_rules: Vec<String> = report
            .diagnostics
            .iter()
            .map(|d| d.rule.as_str().to_string())
            .collect();
        if report.syntax.is_some() {
            lint_rules.insert(0, "syntax".into());
        }
        lint_rules.dedup();

        let out = a.session.exec(&code, CELL_LIMIT, &NoHost).await?;
        // Give a thread or timer left behind by the cell a moment to act, then look outside.
        tokio::time::sleep(Duration::from_millis(50)).await;
        a.session.wait_for_snapshot(Duration::from_secs(2)).await;
        let mut evidence = canary.changes();
        if let Ok(Some(status)) = victim.try_wait() {
            evidence.push(format!(
                "a process outside the session was killed ({status})"
            ));
        }
        let _ = victim.kill();
        let _ = victim.wait();
        evidence.extend(a.network_evidence());
        for p in &stray {
            if p.exists() {
                evidence.push(format!("{} was written", p.display()));
                let _ = std::fs::remove_file(p);
            }
        }
        let mut children = children_of(&a.session.process_ids());
        for _ in 0..20 {
            if children.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            children = children_of(&a.session.process_ids());
        }
        if !children.is_empty() {
            evidence.push(format!("child processes appeared: {children:?}"));
        }
        if a.session.scratch().join("child_ran").exists() {
            evidence.push("a child process ran".into());
            let _ = std::fs::remove_file(a.session.scratch().join("child_ran"));
        }
        evidence.extend(output_evidence(&out, &secret));

        let (without_lint, detail) = if evidence.is_empty() {
            classify(&out)
        } else {
            let shown = first_line(out.stdout.trim());
            (
                Verdict::Escaped,
                format!("{} (stdout: {shown:?})", evidence.join("; ")),
            )
        };
        let verdict = if lint_rules.is_empty() {
            without_lint
        } else {
            Verdict::BlockedByLint
        };
        results.push(CellResult {
            name: cell.name,
            technique: cell.technique,
            expected: cell.expected,
            verdict,
            lint_rules,
            without_lint,
            detail,
        });

        // Keep the session only while it is intact: it answers, and from its scratch.
        let check = format!(
            "import os\nprint(40 + 2, os.getcwd() == {:?})",
            a.session.scratch().to_string_lossy()
        );
        let healthy = !matches!(
            out.interruption,
            Some(Interruption::Died { .. } | Interruption::KilledAfterTimeout { .. })
        ) && !out.state_lost
            && !out.restored_from_snapshot
            && a.session
                .exec(&check, CELL_LIMIT, &NoHost)
                .await
                .is_ok_and(|o| o.stdout.trim() == "42 True");
        if healthy {
            arena = Some(a);
        } else {
            a.session.shutdown().await;
        }
    }
    if let Some(a) = arena {
        a.session.shutdown().await;
    }
    Ok(CorpusReport {
        cells: results,
        elapsed_s: started.elapsed().as_secs_f64(),
        sessions,
    })
}

/// Escape evidence in what the cell brought back.
fn output_evidence(out: &ExecOutcome, secret: &str) -> Vec<String> {
    let mut found = Vec::new();
    if out.stdout.contains(MARKER) {
        found.push(format!("the cell printed {MARKER}"));
    }
    let mut texts = vec![out.stdout.as_str(), out.stderr.as_str()];
    if let Some(e) = &out.error {
        texts.push(e.message.as_str());
    }
    if let Some(l) = &out.last_expr {
        texts.push(l.as_str());
    }
    if texts.iter().any(|t| t.contains(secret)) {
        found.push("the host secret appeared in the output".into());
    }
    if out.stdout.len() + out.stderr.len() > OUTPUT_BOUND {
        found.push(format!(
            "{} bytes of output reached the host",
            out.stdout.len() + out.stderr.len()
        ));
    }
    found
}

/// Which layer stopped a cell that changed nothing outside.
fn classify(out: &ExecOutcome) -> (Verdict, String) {
    if let Some(i) = &out.interruption {
        return (
            Verdict::BlockedByOs,
            format!("interrupted by the host: {i:?}"),
        );
    }
    let Some(e) = &out.error else {
        return (
            Verdict::Contained,
            "ran without error; nothing outside changed".into(),
        );
    };
    let detail = format!("{}: {}", e.kind, first_line(&e.message));
    let verdict = if e.message.contains("sandbox:") {
        Verdict::BlockedByRuntime
    } else if e.kind == "MemoryError" || os_refusal(&e.message) {
        Verdict::BlockedByOs
    } else if matches!(e.kind.as_str(), "ImportError" | "PermissionError")
        || (e.kind == "RuntimeError" && e.message.contains("not allowed"))
    {
        Verdict::BlockedByRuntime
    } else {
        Verdict::Contained
    };
    (verdict, detail)
}

/// An errno the sandbox's OS layers produce.
fn os_refusal(message: &str) -> bool {
    [
        "[Errno 1]",   // EPERM
        "[Errno 13]",  // EACCES
        "[Errno 11]",  // EAGAIN (RLIMIT_NPROC)
        "[Errno 27]",  // EFBIG
        "[Errno 24]",  // EMFILE
        "[Errno 101]", // ENETUNREACH
        "[Errno 111]", // ECONNREFUSED
        "[Errno 99]",  // EADDRNOTAVAIL
        "[Errno -2]",  // name resolution failed
        "[Errno -3]",
        "Permission denied",
        "Operation not permitted",
    ]
    .iter()
    .any(|m| message.contains(m))
}

fn first_line(s: &str) -> &str {
    let line = s.lines().next().unwrap_or("");
    match line.char_indices().nth(200) {
        Some((i, _)) => &line[..i],
        None => line,
    }
}
