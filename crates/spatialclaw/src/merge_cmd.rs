//! `spatialclaw merge`: shard outputs into one run directory, refusing mismatched configs.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

#[derive(Args)]
pub struct MergeArgs {
    /// Run directories (e.g. one per shard).
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Where the merged run goes.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(a: MergeArgs) -> anyhow::Result<ExitCode> {
    // Each shard's settings are read first, so a damaged config.json is reported with its own
    // path and field rather than as the merged directory's.
    for dir in &a.dirs {
        let path = dir.join(spatialclaw_evals::store::CONFIG_FILE);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("cannot read run config {}: {e}", path.display()))?;
        spatialclaw_runner::RunConfig::parse(&text, &path).map_err(anyhow::Error::msg)?;
    }
    let merged = spatialclaw_evals::store::merge(&a.dirs, &a.out)?;
    let summary = spatialclaw_runner::summarize_dir(&a.out)?;
    println!(
        "merged {} samples from {} runs into {}",
        merged.len(),
        a.dirs.len(),
        a.out.display()
    );
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(ExitCode::SUCCESS)
}
