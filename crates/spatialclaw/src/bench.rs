//! `spatialclaw bench …`: speed and memory figures, printed side by side with the reference
//! approach measured in the same run. Tests never assert on time; these commands report it.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::json;
use spatialclaw_kernel::bench::{Stats, bench_jupyter, bench_memory, bench_ours};
use spatialclaw_kernel::{ensure_bench_env, ensure_python_env};

#[derive(Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    what: BenchWhat,
}

#[derive(Subcommand)]
enum BenchWhat {
    /// Session ready time, step round trip and memory: our kernel against a Jupyter kernel.
    Kernel(KernelArgs),
    /// SynthSpatial rendering time of a 640x480 frame.
    Synth(SynthArgs),
}

#[derive(Args)]
struct KernelArgs {
    /// Sessions started per side.
    #[arg(long, default_value_t = 10)]
    sessions: usize,
    /// Trivial steps per session.
    #[arg(long, default_value_t = 20)]
    steps: usize,
    /// Concurrent idle sessions for the memory figure (0 skips it).
    #[arg(long, default_value_t = 64)]
    memory_sessions: usize,
    /// Skip the Jupyter side (it needs jupyter_client and ipykernel, installed on first use).
    #[arg(long)]
    skip_jupyter: bool,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct SynthArgs {
    #[arg(long, default_value_t = 50)]
    frames: usize,
    #[arg(long)]
    json: bool,
}

pub async fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    match args.what {
        BenchWhat::Kernel(a) => kernel(a).await,
        BenchWhat::Synth(a) => synth(a),
    }
}

fn row(name: &str, ours: &Stats, theirs: Option<&Stats>) {
    match theirs {
        Some(j) => println!(
            "{name:<22} {:>9.2} {:>9.2}   {:>9.1} {:>9.1}   {:>7.0}x",
            ours.p50_ms,
            ours.p90_ms,
            j.p50_ms,
            j.p90_ms,
            j.p50_ms / ours.p50_ms
        ),
        None => println!("{name:<22} {:>9.2} {:>9.2}", ours.p50_ms, ours.p90_ms),
    }
}

async fn kernel(a: KernelArgs) -> anyhow::Result<ExitCode> {
    let env = ensure_python_env(|m| eprintln!("{m}"))?;
    let sample = spatialclaw_synth::demo_sample(0)?;
    let dir = tempfile::tempdir()?;
    let frame = dir.path().join("frame.png");
    std::fs::write(&frame, sample.frame.png_bytes()?)?;

    eprintln!("measuring our kernel ({} sessions x {} steps)...", a.sessions, a.steps);
    let ours = bench_ours(&env, &frame, a.sessions, a.steps).await?;
    let jupyter = if a.skip_jupyter {
        None
    } else {
        let bench_env = ensure_bench_env(|m| eprintln!("{m}")).context("preparing the Jupyter side")?;
        eprintln!("measuring a Jupyter kernel ({} sessions x {} steps)...", a.sessions, a.steps);
        Some(bench_jupyter(&bench_env, a.sessions, a.steps)?)
    };
    let memory = if a.memory_sessions > 0 {
        eprintln!("starting {} concurrent sessions for the memory figure...", a.memory_sessions);
        Some(bench_memory(&env, &frame, a.memory_sessions).await?)
    } else {
        None
    };

    if a.json {
        let mut v = json!({
            "ours_ready_p50_ms": ours.ready.p50_ms,
            "ours_ready_p90_ms": ours.ready.p90_ms,
            "ours_step_p50_ms": ours.step.p50_ms,
            "ours_step_p90_ms": ours.step.p90_ms,
            "ours_zygote_start_ms": ours.zygote_start_ms,
        });
        if let Some((r, s)) = &jupyter {
            v["jupyter_ready_p50_ms"] = json!(r.p50_ms);
            v["jupyter_ready_p90_ms"] = json!(r.p90_ms);
            v["jupyter_step_p50_ms"] = json!(s.p50_ms);
            v["jupyter_step_p90_ms"] = json!(s.p90_ms);
            v["ready_speedup"] = json!(r.p50_ms / ours.ready.p50_ms);
            v["step_speedup"] = json!(s.p50_ms / ours.step.p50_ms);
        }
        if let Some((kb, procs)) = memory {
            v["pss_sessions"] = json!(a.memory_sessions);
            v["pss_processes"] = json!(procs);
            v["pss_total_mb"] = json!(kb as f64 / 1024.0);
        }
        println!("{v}");
        return Ok(ExitCode::SUCCESS);
    }
    println!("Kernel benchmark (milliseconds; Jupyter driven like the original: one kernel per sample,");
    println!("the same imports, then per step the cell plus one introspection cell)");
    println!();
    if jupyter.is_some() {
        println!("{:<22} {:>9} {:>9}   {:>9} {:>9}   {:>8}", "", "ours p50", "ours p90", "jup p50", "jup p90", "speedup");
    } else {
        println!("{:<22} {:>9} {:>9}", "", "ours p50", "ours p90");
    }
    row("session ready", &ours.ready, jupyter.as_ref().map(|j| &j.0));
    row("trivial step", &ours.step, jupyter.as_ref().map(|j| &j.1));
    println!("\nzygote start (once per process): {:.0} ms", ours.zygote_start_ms);
    println!("targets: ready p50 <= 10 ms, step p50 <= 1 ms, 64 sessions <= 2048 MB PSS");
    if let Some((kb, procs)) = memory {
        println!(
            "memory: {} concurrent sessions (with snapshots, {} processes incl. the zygote): {:.0} MB PSS in total",
            a.memory_sessions,
            procs,
            kb as f64 / 1024.0
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn synth(a: SynthArgs) -> anyhow::Result<ExitCode> {
    let b = spatialclaw_synth::bench_render(0, a.frames.max(1))?;
    if a.json {
        println!(
            "{}",
            json!({"width": b.width, "height": b.height, "frames": b.frames,
                   "render_median_ms": b.render_median_ms, "render_min_ms": b.render_min_ms,
                   "png_median_ms": b.png_median_ms})
        );
    } else {
        println!(
            "SynthSpatial render {}x{}: median {:.2} ms, min {:.2} ms over {} frames (target <= 10 ms); PNG encode median {:.2} ms",
            b.width, b.height, b.render_median_ms, b.render_min_ms, b.frames, b.png_median_ms
        );
    }
    Ok(ExitCode::SUCCESS)
}
