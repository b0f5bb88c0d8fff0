//! `spatialclaw bench kernel`: our zygote-forked sessions against a Jupyter kernel driven the
//! way the original drives it, measured in one run on the same machine.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::json;

use crate::pool::KernelPool;
use crate::provision::PythonEnv;
use crate::session::{
    InputFrame, KernelError, KernelSession, NoHost, SessionInputs, SessionOptions,
};

const JUPYTER_DRIVER: &str = include_str!("jupyter_driver.py");

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Kernel(#[from] KernelError),
    #[error("the Jupyter side of the benchmark failed: {0}")]
    Jupyter(String),
    #[error("benchmark I/O: {0}")]
    Io(#[from] std::io::Error),
}

/// Percentiles of a set of milliseconds.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Stats {
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub n: usize,
}

impl Stats {
    pub fn of(samples: &[f64]) -> Self {
        let mut v = samples.to_vec();
        v.sort_by(f64::total_cmp);
        let at = |q: f64| {
            if v.is_empty() {
                f64::NAN
            } else {
                v[((v.len() - 1) as f64 * q).round() as usize]
            }
        };
        Self {
            p50_ms: at(0.5),
            p90_ms: at(0.9),
            n: v.len(),
        }
    }
}

/// Figures of our kernel.
#[derive(Debug, Clone, Serialize)]
pub struct OursReport {
    pub ready: Stats,
    /// Round trip of a cell issued the way the agent issues them: after the previous cell's
    /// snapshot exists (it is forked while the host waits for the model).
    pub step: Stats,
    /// Cells issued back to back, so each also waits for the previous cell's snapshot fork.
    pub step_back_to_back: Stats,
    /// Time to start the zygote (imports), paid once per process.
    pub zygote_start_ms: f64,
    /// Median minor page faults of a trivial step (copy-on-write after the snapshot fork).
    pub step_page_faults_p50: f64,
    /// Median minor page faults of a session's start (copy-on-write after the zygote fork).
    pub ready_page_faults_p50: f64,
    /// Whether the sessions copied pages ahead of each cell (Ready::page_warming).
    pub page_warming: bool,
}

/// Ready time and step round trip of `sessions` sessions with one 640×480 input frame each.
/// Pause before each 'trivial step' cell, standing in for the model's reply time: far shorter
/// than any real model call.
pub const MODEL_THINK: Duration = Duration::from_millis(20);

pub async fn bench_ours(
    env: &PythonEnv,
    frame: &Path,
    sessions: usize,
    steps: usize,
    snapshots: bool,
) -> Result<OursReport, BenchError> {
    let options = SessionOptions {
        snapshots,
        ..Default::default()
    };
    let pool = KernelPool::new(env)?;
    let inputs = SessionInputs {
        frames: vec![InputFrame {
            path: frame.to_owned(),
            frame_index: 0,
        }],
        metadata: json!({"is_video": false, "fps": null, "total_frames": 1, "num_images": 1}),
        ..Default::default()
    };
    // The first session also starts the zygote; time that separately.
    let t = Instant::now();
    let warm = KernelSession::start_in(&pool, inputs.clone(), SessionOptions::default()).await?;
    let zygote_start_ms = t.elapsed().as_secs_f64() * 1000.0;
    warm.shutdown().await;
    let (mut ready, mut step, mut back_to_back) = (Vec::new(), Vec::new(), Vec::new());
    let (mut faults, mut start_faults, mut page_warming) = (Vec::new(), Vec::new(), false);
    let limit = Duration::from_secs(30);
    for _ in 0..sessions {
        let t = Instant::now();
        let mut s = KernelSession::start_in(&pool, inputs.clone(), options.clone()).await?;
        ready.push(t.elapsed().as_secs_f64() * 1000.0);
        page_warming |= s.ready().page_warming.as_ref().is_some_and(|w| w.active);
        start_faults.extend(
            s.ready()
                .start
                .as_ref()
                .and_then(|r| r.page_faults)
                .map(|f| f as f64),
        );
        for i in 0..steps {
            if snapshots {
                s.wait_for_snapshot(Duration::from_secs(5)).await;
                // The agent's model thinks between cells (hundreds of ms at the very least);
                // the session uses that time for its snapshot and to warm its memory.
                tokio::time::sleep(MODEL_THINK).await;
            }
            let t = Instant::now();
            let out = s.exec(&format!("x = {i}"), limit, &NoHost).await?;
            step.push(t.elapsed().as_secs_f64() * 1000.0);
            faults.extend(out.page_faults.map(|f| f as f64));
        }
        for i in 0..steps {
            let t = Instant::now();
            s.exec(&format!("y = {i}"), limit, &NoHost).await?;
            back_to_back.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        s.shutdown().await;
    }
    Ok(OursReport {
        ready: Stats::of(&ready),
        step: Stats::of(&step),
        step_back_to_back: Stats::of(&back_to_back),
        zygote_start_ms,
        // Counts, not milliseconds, through the same percentile.
        step_page_faults_p50: Stats::of(&faults).p50_ms,
        ready_page_faults_p50: Stats::of(&start_faults).p50_ms,
        page_warming,
    })
}

/// Figures of a Jupyter kernel (jupyter_client + ipykernel) started and driven as the
/// original does: one kernel per sample, imports, then per step the cell plus one
/// introspection cell.
pub fn bench_jupyter(
    bench_env: &PythonEnv,
    sessions: usize,
    steps: usize,
) -> Result<(Stats, Stats), BenchError> {
    let dir = tempfile::tempdir()?;
    let script = dir.path().join("jupyter_driver.py");
    std::fs::write(&script, JUPYTER_DRIVER)?;
    let out = Command::new(&bench_env.python)
        .arg(&script)
        .arg(sessions.to_string())
        .arg(steps.to_string())
        .env("OPENBLAS_NUM_THREADS", "1")
        .env("OMP_NUM_THREADS", "1")
        .env("MPLBACKEND", "Agg")
        .env("JUPYTER_RUNTIME_DIR", dir.path())
        .env("JUPYTER_PLATFORM_DIRS", "1")
        .current_dir(dir.path())
        .output()?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: String = err
            .chars()
            .rev()
            .take(2000)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        return Err(BenchError::Jupyter(tail));
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| BenchError::Jupyter(format!("unreadable driver output: {e}")))?;
    let list = |k: &str| -> Vec<f64> {
        v.get(k)
            .and_then(|a| a.as_array())
            .map(|a| a.iter().filter_map(|x| x.as_f64()).collect())
            .unwrap_or_default()
    };
    Ok((Stats::of(&list("ready_ms")), Stats::of(&list("step_ms"))))
}

/// Proportional set size of the given processes, in kB (shared pages split fairly).
pub fn pss_kb(pids: &[u32]) -> u64 {
    pids.iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok())
        .filter_map(|text| {
            text.lines()
                .find(|l| l.starts_with("Pss:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse::<u64>().ok())
        })
        .sum()
}

/// Memory of `count` concurrent sessions that each ran three cells (so each has its snapshot
/// and has copied pages ahead of the next cell): total PSS of the zygote, the sessions and
/// their snapshots.
pub async fn bench_memory(
    env: &PythonEnv,
    frame: &Path,
    count: usize,
) -> Result<(u64, usize), BenchError> {
    let pool = KernelPool::new(env)?;
    let inputs = SessionInputs {
        frames: vec![InputFrame {
            path: frame.to_owned(),
            frame_index: 0,
        }],
        metadata: json!({"is_video": false, "num_images": 1}),
        ..Default::default()
    };
    let mut sessions = Vec::with_capacity(count);
    for _ in 0..count {
        let mut s =
            KernelSession::start_in(&pool, inputs.clone(), SessionOptions::default()).await?;
        for cell in ["x = np.arange(10)", "y = x * 2", "z = y.sum()"] {
            s.exec(cell, Duration::from_secs(30), &NoHost).await?;
        }
        sessions.push(s);
    }
    tokio::time::sleep(Duration::from_millis(300)).await; // let the last snapshots settle
    let mut pids: Vec<u32> = sessions.iter().flat_map(|s| s.process_ids()).collect();
    if let Some(zygote) = pool.zygote_pid() {
        // The zygote and the spare session it keeps forked ahead of need count too.
        let spares: Vec<u32> = children_of(zygote)
            .into_iter()
            .filter(|p| !pids.contains(p))
            .collect();
        pids.push(zygote);
        pids.extend(spares);
    }
    let kb = pss_kb(&pids);
    let n = pids.len();
    for s in sessions {
        s.shutdown().await;
    }
    Ok((kb, n))
}

/// Children of `pid`, read from /proc.
fn children_of(pid: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let parent = pid.to_string();
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|child| {
            std::fs::read_to_string(format!("/proc/{child}/stat")).is_ok_and(|stat| {
                // "pid (comm) state ppid ...": comm may hold spaces; split after the last ')'.
                let after = &stat[stat.rfind(')').map_or(0, |i| i + 1)..];
                after.split_whitespace().nth(1) == Some(parent.as_str())
            })
        })
        .collect()
}
