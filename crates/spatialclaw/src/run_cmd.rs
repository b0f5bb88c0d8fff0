//! `spatialclaw run`: a benchmark through the agent, concurrently, resumable, shardable.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use spatialclaw_agent::Interface;
use spatialclaw_kernel::ensure_python_env;
use spatialclaw_perception::{
    Backend, CachedBackend, GpuBackend, GpuConfig, Masks, PerceptionError, Reconstruction,
    RemoteBackend, RemoteConfig, RemoteServer, RgbFrame, SegmentPrompt, SyntheticBackend,
    default_cache_dir,
};
use spatialclaw_runner::{Model, ModelSpec, ProgressLine, RunConfig, RunContext, Selection};

#[derive(Args)]
pub struct RunArgs {
    /// Benchmark name (see `spatialclaw data check --help` for the list).
    #[arg(long)]
    benchmark: String,
    /// Folder holding the benchmarks in the original's layout.
    #[arg(long, default_value = "data")]
    data_root: PathBuf,
    /// Model config JSON (the original's shape), or `scripted` for the SynthSpatial policy.
    #[arg(long)]
    model: String,
    #[arg(long, default_value = "code")]
    interface: Interface,
    /// Samples run at once (one kernel session each).
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Only the first N selected samples.
    #[arg(long, conflicts_with = "subsample")]
    limit: Option<usize>,
    /// The original's subset: seed-42 shuffle, first N (identical sample ids).
    #[arg(long)]
    subsample: Option<usize>,
    /// Only these sample ids (comma-separated).
    #[arg(long, value_delimiter = ',')]
    sample_ids: Vec<String>,
    /// Run shard I of N (I/N, 0-based); combine the outputs with `spatialclaw merge`.
    #[arg(long)]
    shard: Option<String>,
    /// Continue a run in --out: finished samples are kept, the rest run.
    #[arg(long)]
    resume: bool,
    /// With --resume: run failed samples again.
    #[arg(long, requires = "resume")]
    retry_failed: bool,
    /// Output directory (config.json, predictions.jsonl, results_summary.json, sessions/).
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 30)]
    max_steps: usize,
    /// Key frames shown in the first message (0 = blind mode).
    #[arg(long, default_value_t = 32)]
    key_frames: usize,
    /// Frame extraction rate cap for videos (default: the benchmark's setting).
    #[arg(long)]
    video_max_fps: Option<f64>,
    /// Time limit of one cell, in seconds.
    #[arg(long, default_value_t = 600.0)]
    cell_timeout: f64,
    /// Wall-clock limit of one sample, in seconds.
    #[arg(long, default_value_t = 3600.0)]
    sample_timeout: f64,
    /// Perception backend: `auto` (synthetic ground truth for synth, else none), `synthetic`,
    /// `remote=URL[,URL...]` (servers of `spatialclaw perception serve`; token from
    /// SPATIALCLAW_PERCEPTION_TOKEN), `spatialclaw-gpu` (the original's GPU server, found through
    /// SPATIALCLAW_GPU_REGISTRY or SPATIALCLAW_GPU_URL), `onnx[=MANIFEST]` (ONNX models in this
    /// process; manifest from SPATIALCLAW_ONNX_MANIFEST when not given; docs/onnx.md), or `none`.
    #[arg(long, default_value = "auto")]
    perception: String,
    /// Per-request timeout of `remote=` perception servers, in seconds (a call is tried up to
    /// three times before the cell sees "perception service unavailable").
    #[arg(long, default_value_t = 450.0)]
    perception_timeout: f64,
    /// Size cap of the shared on-disk perception cache, in GB (0 = no cache).
    #[arg(long, default_value_t = 20.0)]
    perception_cache_gb: f64,
    /// Skip the planner.
    #[arg(long)]
    no_planning: bool,
    /// No progress output.
    #[arg(long)]
    quiet: bool,
}

/// The backend used when none is configured: every request explains what to do.
struct Unconfigured;

impl Backend for Unconfigured {
    fn name(&self) -> &str {
        "none"
    }
    fn version(&self) -> &str {
        "0"
    }
    fn reconstruct(&self, _: &[RgbFrame]) -> Result<Reconstruction, PerceptionError> {
        Err(PerceptionError::Failed(
            "no perception backend is configured for this run; start one and pass --perception"
                .into(),
        ))
    }
    fn segment(&self, _: &RgbFrame, _: &SegmentPrompt) -> Result<Masks, PerceptionError> {
        Err(PerceptionError::Failed(
            "no perception backend is configured for this run; start one and pass --perception"
                .into(),
        ))
    }
}

type Backends = (Arc<dyn Backend>, Option<Arc<SyntheticBackend>>);

/// A model backend, wrapped in the shared content-addressed cache (many questions share one
/// video, and reruns and shards share results).
fn cached(inner: Arc<dyn Backend>, cache_gb: f64) -> anyhow::Result<Arc<dyn Backend>> {
    if cache_gb <= 0.0 {
        return Ok(inner);
    }
    let bytes = (cache_gb * 1e9) as u64;
    Ok(Arc::new(CachedBackend::new(
        inner,
        default_cache_dir(),
        bytes,
    )?))
}

fn backend(
    name: &str,
    benchmark: &str,
    cache_gb: f64,
    timeout: std::time::Duration,
) -> anyhow::Result<Backends> {
    let name = match name {
        "auto" if benchmark == "synth" => "synthetic",
        "auto" => "none",
        other => other,
    };
    match name {
        "none" => Ok((Arc::new(Unconfigured), None)),
        "synthetic" => {
            let s = Arc::new(SyntheticBackend::new());
            Ok((s.clone(), Some(s)))
        }
        "spatialclaw-gpu" => {
            let cfg = GpuConfig::from_env()?.ok_or_else(|| {
                anyhow::anyhow!("set SPATIALCLAW_GPU_REGISTRY (the GPU server registry file) or SPATIALCLAW_GPU_URL")
            })?;
            Ok((cached(Arc::new(GpuBackend::new(cfg)?), cache_gb)?, None))
        }
        "onnx" => {
            let onnx = crate::perception_cmd::open_onnx(None)?;
            Ok((cached(Arc::new(onnx), cache_gb)?, None))
        }
        other if other.starts_with("onnx=") => {
            let path = PathBuf::from(&other["onnx=".len()..]);
            let onnx = crate::perception_cmd::open_onnx(Some(path))?;
            Ok((cached(Arc::new(onnx), cache_gb)?, None))
        }
        other if other.starts_with("remote=") => {
            let token = std::env::var("SPATIALCLAW_PERCEPTION_TOKEN").unwrap_or_default();
            let servers: Vec<RemoteServer> = other["remote=".len()..]
                .split(',')
                .filter(|u| !u.is_empty())
                .map(|u| RemoteServer::new(u, &token))
                .collect();
            if servers.is_empty() {
                anyhow::bail!("--perception remote= needs at least one URL");
            }
            let cfg = RemoteConfig {
                timeout,
                ..RemoteConfig::default()
            };
            let remote = RemoteBackend::connect(servers, cfg)?;
            Ok((cached(Arc::new(remote), cache_gb)?, None))
        }
        other => anyhow::bail!(
            "unknown perception backend `{other}`; use auto, synthetic, remote=URL[,URL], spatialclaw-gpu, onnx[=MANIFEST] or none"
        ),
    }
}

pub async fn run(a: RunArgs) -> anyhow::Result<ExitCode> {
    let spec = ModelSpec::parse(&a.model);
    let config = RunConfig {
        benchmark: a.benchmark.clone(),
        data_root: a.data_root.clone(),
        model: spec.label(),
        interface: a.interface,
        selection: Selection {
            sample_ids: a.sample_ids.clone(),
            subsample: a.subsample,
            limit: a.limit,
        },
        max_steps: a.max_steps,
        num_key_frames: a.key_frames,
        video_max_fps: a.video_max_fps,
        cell_timeout_sec: a.cell_timeout,
        sample_timeout_sec: a.sample_timeout,
        perception: a.perception.clone(),
        planning: !a.no_planning,
        shard: a.shard.clone(),
        concurrency: a.concurrency,
    };
    let (name, bench, gb) = (
        a.perception.clone(),
        a.benchmark.clone(),
        a.perception_cache_gb,
    );
    if !(a.perception_timeout.is_finite() && a.perception_timeout > 0.0) {
        anyhow::bail!("--perception-timeout must be a positive number of seconds");
    }
    let timeout = std::time::Duration::from_secs_f64(a.perception_timeout);
    // The remote clients connect with blocking I/O: keep that off the async executor.
    let (backend, synthetic) =
        tokio::task::spawn_blocking(move || backend(&name, &bench, gb, timeout)).await??;
    let model = Model::open(&spec).map_err(anyhow::Error::msg)?;
    for w in &model.warnings {
        eprintln!("warning: {w}");
    }
    let ctx = RunContext {
        env: ensure_python_env(|m| eprintln!("{m}"))?,
        model,
        backend,
        synthetic,
    };
    let summary = spatialclaw_runner::run(
        config,
        ctx,
        &a.out,
        a.resume,
        a.retry_failed,
        Box::new(ProgressLine::new(a.quiet)),
    )
    .await
    .with_context(|| format!("run into {}", a.out.display()))?;
    println!(
        "{} samples ({} run now, {} already done, {} failed); summary in {}",
        summary.total,
        summary.ran_now,
        summary.skipped_done,
        summary.failed,
        a.out.join("results_summary.json").display()
    );
    println!("{}", serde_json::to_string_pretty(&summary.summary)?);
    Ok(ExitCode::SUCCESS)
}
