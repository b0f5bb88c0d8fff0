//! `spatialclaw compare`: two runs side by side on the samples both finished.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

#[derive(Args)]
pub struct CompareArgs {
    a: PathBuf,
    b: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(args: CompareArgs) -> anyhow::Result<ExitCode> {
    let c = spatialclaw_runner::compare::compare(&args.a, &args.b)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&c)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "A = {}\nB = {}\n{} samples in both ({} only in A, {} only in B); correct = score >= {}\n",
        args.a.display(),
        args.b.display(),
        c.common,
        c.only_in_a,
        c.only_in_b,
        spatialclaw_runner::compare::CORRECT_AT
    );
    println!(
        "{:<40} {:>6} {:>8} {:>8} {:>7} {:>7} {:>7} {:>7}",
        "group", "n", "A", "B", "A only", "B only", "both", "neither"
    );
    for (name, g) in &c.groups {
        println!(
            "{name:<40} {:>6} {:>7.1}% {:>7.1}% {:>7} {:>7} {:>7} {:>7}",
            g.a.samples,
            100.0 * g.a.mean_score,
            100.0 * g.b.mean_score,
            g.a_only,
            g.b_only,
            g.both,
            g.neither
        );
    }
    Ok(ExitCode::SUCCESS)
}
