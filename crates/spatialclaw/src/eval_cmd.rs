//! `spatialclaw eval`: re-score a predictions file (ours or the original's `predictions.jsonl`)
//! against a benchmark's data, print the summary, and optionally write `results_summary.json`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use spatialclaw_evals::loaders::{self, LoadOptions};
use spatialclaw_evals::rescore::{Selection, read_predictions, rescore};

#[derive(Args)]
pub struct EvalArgs {
    /// Benchmark key, e.g. vsibench_unbiased (`spatialclaw data check x` lists them).
    #[arg(long)]
    benchmark: String,
    /// Folder holding the benchmarks' data folders (the original's `data/`).
    #[arg(long, default_value = "data")]
    data_root: PathBuf,
    /// The predictions file: one JSON object per line with `sample_id` and `content`.
    #[arg(long)]
    predictions: PathBuf,
    /// Write `results_summary.json` (the original's keys) into this folder.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Score every sample of the benchmark; a sample without a prediction scores "" (the original's
    /// behaviour for a full run). By default only samples with a prediction are scored.
    #[arg(long)]
    all: bool,
    /// Score the original's `--subsample N` subset (seeded shuffle, first N); missing predictions score "".
    #[arg(long, conflicts_with = "all")]
    subsample: Option<usize>,
    /// Seed of the subsample shuffle (the original uses 42).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Print the full summary as JSON instead of the short report.
    #[arg(long)]
    json: bool,
}

pub async fn run(args: EvalArgs) -> anyhow::Result<ExitCode> {
    let spec = loaders::lookup(&args.benchmark)?;
    let scorer = spatialclaw_evals::benchmark(spec.key)
        .with_context(|| format!("no scorer registered for {}", spec.key))?;
    let predictions = read_predictions(&args.predictions)?;
    // Re-scoring needs only the ground truth: skip image bytes and media checks.
    let samples = spec.load(&args.data_root, &LoadOptions::TRUTH_ONLY)?;
    let selection = Selection {
        all: args.all,
        subsample: args.subsample,
        seed: args.seed,
    };
    let result = rescore(scorer, &samples, &predictions, selection)?;
    let summary = &result.summary;

    if let Some(out) = &args.out {
        std::fs::create_dir_all(out)
            .with_context(|| format!("creating output folder {}", out.display()))?;
        let path = out.join("results_summary.json");
        let tmp = out.join(".results_summary.json.tmp");
        std::fs::write(&tmp, serde_json::to_string_pretty(&summary.to_json())?)
            .with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }

    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary.to_json())?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} ({}): {} = {:.4} ({:?}) over {} samples",
        spec.key,
        scorer.display_name(),
        summary.headline_key,
        summary.headline,
        summary.aggregation,
        summary.total_samples
    );
    println!(
        "  scored {} samples; {} without a prediction; {} prediction ids not in the data; {} unusable lines",
        result.samples.len(),
        result.missing_predictions,
        result.unknown_ids.len(),
        predictions.malformed.len()
    );
    if !result.unknown_ids.is_empty() {
        let shown: Vec<&str> = result
            .unknown_ids
            .iter()
            .take(5)
            .map(String::as_str)
            .collect();
        println!(
            "  unknown ids (first {}): {}",
            shown.len(),
            shown.join(", ")
        );
    }
    if !result.load_errors.is_empty() {
        println!(
            "  {} selected samples could not be loaded and were not scored, e.g. {}",
            result.load_errors.len(),
            result.load_errors[0]
        );
    }
    for line in predictions.malformed.iter().take(3) {
        println!("  unusable: {line}");
    }
    for (key, value) in &summary.fields {
        if value.is_object() {
            println!("  {key}: {value}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
