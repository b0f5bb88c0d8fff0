//! `spatialclaw`: the command line. It parses, wires the crates together and prints; the work
//! lives in the library crates.

mod demo;
mod exec;

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
    /// Answer one SynthSpatial question end to end with the scripted model (no GPU, no model server).
    Demo(demo::DemoArgs),
    /// Run Python cells in a fresh kernel session and print the feedback exactly as the agent sees it.
    Exec(exec::ExecArgs),
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
            Command::Demo(args) => demo::run(args).await,
            Command::Exec(args) => exec::run(args).await,
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
