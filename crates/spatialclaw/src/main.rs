//! `spatialclaw`: the command line. It parses, wires the crates together and prints; the work
//! lives in the library crates.

mod ask;
mod bench;
mod compare_cmd;
mod data_cmd;
mod demo;
mod doctor;
mod eval_cmd;
mod exec;
mod merge_cmd;
mod perception_cmd;
mod report_cmd;
mod run_cmd;
mod synth_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// A spatial-reasoning agent: a vision-language model answers questions about images and
/// videos by writing Python against 3D reconstruction, segmentation and geometry tools.
#[derive(Parser)]
#[command(name = "spatialclaw", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Answer one question about images or a video with a model server (prints the trajectory).
    Ask(ask::AskArgs),
    /// Answer one SynthSpatial question end to end with the scripted model (no GPU, no model server).
    Demo(demo::DemoArgs),
    /// Run Python cells in a fresh kernel session and print the feedback exactly as the agent sees it.
    Exec(exec::ExecArgs),
    /// Generate SynthSpatial datasets: procedural rooms, questions with exact answers.
    Synth(synth_cmd::SynthArgs),
    /// Measure speed and memory side by side with the reference approach (kernel, synth).
    Bench(bench::BenchArgs),
    /// Show which kernel sandbox layers are active on this machine, and why any is missing.
    Doctor(doctor::DoctorArgs),
    /// Serve a perception backend over authenticated HTTP for local or remote agents.
    Perception(perception_cmd::PerceptionArgs),
    /// Re-score a predictions file against a benchmark's data and print the summary.
    Eval(eval_cmd::EvalArgs),
    /// Check a benchmark's data under the data root, or download it from the Hugging Face hub.
    Data(data_cmd::DataArgs),
    /// Run a benchmark through the agent: concurrent, resumable after a crash, shardable.
    Run(run_cmd::RunArgs),
    /// Combine the output directories of shards into one run (refuses mismatched settings).
    Merge(merge_cmd::MergeArgs),
    /// Compare two runs on the samples both finished: accuracy per group and win/loss counts.
    Compare(compare_cmd::CompareArgs),
    /// Write a static dashboard over run directories, with a page for every session.
    Report(report_cmd::ReportArgs),
    /// Serve the run dashboard and session pages on a local address.
    View(report_cmd::ViewArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Ask(args) => ask::run(args).await,
            Command::Demo(args) => demo::run(args).await,
            Command::Exec(args) => exec::run(args).await,
            Command::Synth(args) => synth_cmd::run(args).await,
            Command::Bench(args) => bench::run(args).await,
            Command::Doctor(args) => doctor::run(args).await,
            Command::Perception(args) => perception_cmd::run(args).await,
            Command::Eval(args) => eval_cmd::run(args).await,
            Command::Data(args) => data_cmd::run(args).await,
            Command::Run(args) => run_cmd::run(args).await,
            Command::Merge(args) => merge_cmd::run(args),
            Command::Compare(args) => compare_cmd::run(args),
            Command::Report(args) => report_cmd::run_report(args),
            Command::View(args) => report_cmd::run_view(args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
