//! `spatialclaw data`: check a benchmark's files under the data root, or download them from the
//! Hugging Face hub.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use spatialclaw_evals::fetch::{FetchOptions, Hub};
use spatialclaw_evals::loaders::{self, LoadError, LoadOptions};

#[derive(Args)]
pub struct DataArgs {
    #[command(subcommand)]
    command: DataCommand,
}

#[derive(Subcommand)]
enum DataCommand {
    /// Report what is present, missing or malformed (exit 0 complete, 1 incomplete, 2 unknown name).
    Check(CheckArgs),
    /// Download a benchmark from the Hugging Face hub (resumable, verified, archives unpacked).
    Fetch(FetchArgs),
}

#[derive(Args)]
struct CheckArgs {
    /// Benchmark key, e.g. vsibench_unbiased.
    name: String,
    /// Folder holding the benchmarks' data folders.
    #[arg(long, default_value = "data")]
    data_root: PathBuf,
    /// List every failed sample, not only a summary.
    #[arg(long)]
    verbose: bool,
}

#[derive(Args)]
struct FetchArgs {
    /// Benchmark key, e.g. vsibench_unbiased.
    name: String,
    /// Folder holding the benchmarks' data folders.
    #[arg(long, default_value = "data")]
    data_root: PathBuf,
    /// Hub base URL (default: $HF_ENDPOINT, else https://huggingface.co). The token comes from $HF_TOKEN.
    #[arg(long)]
    hub_url: Option<String>,
    /// Repository revision (branch, tag or commit).
    #[arg(long, default_value = "main")]
    revision: String,
    /// Retries per file after a dropped connection or a server error.
    #[arg(long, default_value_t = 5)]
    retries: u32,
    /// Keep downloaded archives as they are instead of unpacking and deleting them.
    #[arg(long)]
    no_unpack: bool,
}

pub async fn run(args: DataArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        DataCommand::Check(a) => Ok(check(a)),
        DataCommand::Fetch(a) => fetch(a).await,
    }
}

fn unknown(name: &str) -> ExitCode {
    eprintln!(
        "error: unknown benchmark {name:?}; known benchmarks: {}",
        loaders::names().join(", ")
    );
    ExitCode::from(2)
}

fn check(args: CheckArgs) -> ExitCode {
    let Some(spec) = loaders::find(&args.name) else {
        return unknown(&args.name);
    };
    let dir = spec.dir(&args.data_root);
    println!("{} ({}) in {}", spec.key, spec.hf_repo, dir.display());
    println!("expected layout:\n{}", spec.layout_text(&args.data_root));
    let missing = if dir.is_dir() {
        loaders::missing_index_files(spec, &args.data_root)
    } else {
        Vec::new()
    };
    for m in &missing {
        println!("missing: {}", m.display());
    }
    let samples = match spec.load(&args.data_root, &LoadOptions::default()) {
        Ok(s) => s,
        Err(LoadError::DataRootMissing { path, .. }) => {
            println!("missing: {} (the whole data folder)", path.display());
            println!(
                "incomplete: fetch it with `spatialclaw data fetch {}` or pass --data-root",
                spec.key
            );
            return ExitCode::from(1);
        }
        Err(LoadError::IndexMissing { path, .. }) => {
            if !missing.contains(&path) {
                println!("missing: {}", path.display());
            }
            println!("incomplete");
            return ExitCode::from(1);
        }
        Err(e) => {
            println!("malformed: {e}");
            return ExitCode::from(1);
        }
    };
    let failed: Vec<_> = samples.iter().filter_map(|s| s.as_ref().err()).collect();
    let ok = samples.len() - failed.len();
    println!("samples: {ok} loaded, {} failed", failed.len());
    if !failed.is_empty() {
        let mut kinds: BTreeMap<&str, Vec<&loaders::SampleError>> = BTreeMap::new();
        for e in &failed {
            let kind = if e.reason.starts_with("missing file") {
                "missing files"
            } else {
                "malformed records"
            };
            kinds.entry(kind).or_default().push(e);
        }
        for (kind, errs) in &kinds {
            println!("  {kind}: {}", errs.len());
            let shown = if args.verbose { errs.len() } else { 5 };
            for e in errs.iter().take(shown) {
                println!("    {e}");
            }
            if errs.len() > shown {
                println!(
                    "    … {} more (--verbose lists them all)",
                    errs.len() - shown
                );
            }
        }
    }
    if missing.is_empty() && failed.is_empty() && ok > 0 {
        println!("complete");
        ExitCode::SUCCESS
    } else {
        println!("incomplete");
        ExitCode::from(1)
    }
}

async fn fetch(args: FetchArgs) -> anyhow::Result<ExitCode> {
    let Some(spec) = loaders::find(&args.name) else {
        return Ok(unknown(&args.name));
    };
    let mut opts = FetchOptions::from_env(args.hub_url);
    opts.revision = args.revision;
    opts.retries = args.retries;
    opts.unpack = !args.no_unpack;
    let hub = Hub::new(opts)?;
    let report = hub
        .fetch(spec, &args.data_root, &|line| eprintln!("{line}"))
        .await?;
    println!(
        "{}: {} downloaded ({} bytes), {} already up to date, {} archives unpacked, into {}",
        spec.key,
        report.downloaded.len(),
        report.bytes_downloaded,
        report.up_to_date.len(),
        report.unpacked.len(),
        report.dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
