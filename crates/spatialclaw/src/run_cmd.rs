//! `spatialclaw run`: a benchmark through the agent, concurrently, resumable, shardable.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use spatialclaw_agent::Interface;
use spatialclaw_kernel::ensure_python_env;
use spatialclaw_perception::{
    Backend, Masks, PerceptionError, Reconstruction, RgbFrame, SegmentPrompt,
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
    /// Perception backend: `none` (tools report that no backend is configured).
    #[arg(long, default_value = "none")]
    perception: String,
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

fn backend(name: &str) -> anyhow::Result<Arc<dyn Backend>> {
    match name {
        "none" => Ok(Arc::new(Unconfigured)),
        other => anyhow::bail!("unknown perception backend `{other}`; available here: none"),
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
    let ctx = RunContext {
        env: ensure_python_env(|m| eprintln!("{m}"))?,
        model: Model::open(&spec).map_err(anyhow::Error::msg)?,
        backend: backend(&a.perception)?,
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
