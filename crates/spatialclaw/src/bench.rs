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
    /// Perception cache: hit latency of a 32-frame reconstruction, backend calls with and without it.
    Perception(PerceptionBenchArgs),
    /// The adversarial corpus: tried / blocked-by-lint / blocked-by-runtime / blocked-by-OS /
    /// escaped, with every escaped cell listed (exit code 1 when any escaped).
    Security(SecurityArgs),
}

#[derive(Args)]
struct SecurityArgs {
    /// The corpus directory (one `.py` file per cell, in folders by technique).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../kernel/security"))]
    corpus: std::path::PathBuf,
    /// Print one JSON object (totals and every cell) instead of a table.
    #[arg(long)]
    json: bool,
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
        BenchWhat::Perception(a) => perception(a).await,
        BenchWhat::Security(a) => security(a).await,
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

    eprintln!(
        "measuring our kernel ({} sessions x {} steps)...",
        a.sessions, a.steps
    );
    let ours = bench_ours(&env, &frame, a.sessions, a.steps, true).await?;
    let plain = bench_ours(&env, &frame, a.sessions.min(3), a.steps, false).await?;
    let jupyter = if a.skip_jupyter {
        None
    } else {
        let bench_env =
            ensure_bench_env(|m| eprintln!("{m}")).context("preparing the Jupyter side")?;
        eprintln!(
            "measuring a Jupyter kernel ({} sessions x {} steps)...",
            a.sessions, a.steps
        );
        Some(bench_jupyter(&bench_env, a.sessions, a.steps)?)
    };
    let memory = if a.memory_sessions > 0 {
        eprintln!(
            "starting {} concurrent sessions for the memory figure...",
            a.memory_sessions
        );
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
            "ours_step_back_to_back_p50_ms": ours.step_back_to_back.p50_ms,
            "ours_step_no_snapshots_p50_ms": plain.step.p50_ms,
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
    println!(
        "Kernel benchmark (milliseconds; Jupyter driven like the original: one kernel per sample,"
    );
    println!("the same imports, then per step the cell plus one introspection cell)");
    println!();
    if jupyter.is_some() {
        println!(
            "{:<22} {:>9} {:>9}   {:>9} {:>9}   {:>8}",
            "", "ours p50", "ours p90", "jup p50", "jup p90", "speedup"
        );
    } else {
        println!("{:<22} {:>9} {:>9}", "", "ours p50", "ours p90");
    }
    row("session ready", &ours.ready, jupyter.as_ref().map(|j| &j.0));
    row("trivial step", &ours.step, jupyter.as_ref().map(|j| &j.1));
    row("  back to back", &ours.step_back_to_back, None);
    row("  without snapshots", &plain.step, None);
    println!(
        "\n'trivial step' issues each cell after the previous cell's crash snapshot exists (it is forked \
         while the agent waits for the model); 'back to back' also waits for that fork."
    );
    println!(
        "zygote start (once per process): {:.0} ms",
        ours.zygote_start_ms
    );
    println!("targets: ready p50 <= 10 ms, step p50 <= 1 ms, 64 sessions <= 2048 MB PSS");
    if let Some((kb, procs)) = memory {
        println!(
            "memory: {} concurrent sessions (with snapshots, {} processes incl. the zygote and its spare): {:.0} MB PSS in total",
            a.memory_sessions,
            procs,
            kb as f64 / 1024.0
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn security(a: SecurityArgs) -> anyhow::Result<ExitCode> {
    let env = ensure_python_env(|m| eprintln!("{m}"))?;
    eprintln!(
        "running the adversarial corpus at {}...",
        a.corpus.display()
    );
    let report = spatialclaw_kernel::security::run_corpus(&env, &a.corpus)
        .await
        .context("running the security corpus")?;
    if a.json {
        println!("{}", report.to_json());
    } else {
        println!(
            "Security corpus: each cell goes to the lint, then runs in a real session with the lint \
             bypassed ('lint bypassed' column)."
        );
        println!();
        print!("{}", report.render());
    }
    Ok(if report.escaped().is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
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

#[derive(Args)]
struct PerceptionBenchArgs {
    /// Frames of the reconstruction whose cache-hit latency is measured.
    #[arg(long, default_value_t = 32)]
    frames: usize,
    /// Timed repetitions of each hit.
    #[arg(long, default_value_t = 10)]
    repeats: usize,
    /// Questions (K) in the workload.
    #[arg(long, default_value_t = 24)]
    questions: usize,
    /// Scenes (S) the questions are spread over.
    #[arg(long, default_value_t = 4)]
    scenes: usize,
    /// Frames each question reconstructs.
    #[arg(long, default_value_t = 8)]
    question_frames: usize,
    /// Concurrent workers answering the questions.
    #[arg(long, default_value_t = 4)]
    workers: usize,
    #[arg(long)]
    json: bool,
}

async fn perception(a: PerceptionBenchArgs) -> anyhow::Result<ExitCode> {
    use spatialclaw_perception::bench::{BenchConfig, run as run_bench};
    let cfg = BenchConfig {
        frames: a.frames,
        repeats: a.repeats,
        questions: a.questions,
        scenes: a.scenes,
        question_frames: a.question_frames,
        workers: a.workers,
    };
    let dir = tempfile::tempdir()?;
    let path = dir.path().to_path_buf();
    eprintln!("rendering SynthSpatial frames and running the workload...");
    let b = tokio::task::spawn_blocking(move || run_bench(&cfg, &path)).await??;
    if a.json {
        println!(
            "{}",
            json!({"width": b.width, "height": b.height, "frames": b.frames, "entry_bytes": b.entry_bytes,
                   "miss_ms": b.miss_ms, "hit_memory_ms": b.hit_memory_ms, "hit_disk_ms": b.hit_disk_ms,
                   "key_ms": b.key_ms, "questions": b.questions, "scenes": b.scenes, "workers": b.workers,
                   "calls_without_cache": b.calls_without_cache, "calls_with_cache": b.calls_with_cache,
                   "coalesced": b.workload_stats.coalesced,
                   "workload_without_cache_ms": b.workload_without_cache_ms,
                   "workload_with_cache_ms": b.workload_with_cache_ms})
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "Perception cache, {}-frame {}x{} reconstruction ({:.1} MB entry):",
        b.frames,
        b.width,
        b.height,
        b.entry_bytes as f64 / 1e6
    );
    println!("  computed through the cache (miss)  {:>9.1} ms", b.miss_ms);
    println!(
        "  hit from memory (median)           {:>9.1} ms",
        b.hit_memory_ms
    );
    println!(
        "  hit from disk, new process (median){:>9.1} ms",
        b.hit_disk_ms
    );
    println!("  of which hashing the frames        {:>9.1} ms", b.key_ms);
    println!();
    println!(
        "Workload: {} questions over {} scenes, {} workers (reconstruct + ground + 2 objects each)",
        b.questions, b.scenes, b.workers
    );
    println!("{:<24} {:>14} {:>14}", "", "without cache", "with cache");
    println!(
        "{:<24} {:>14} {:>14}",
        "backend calls", b.calls_without_cache, b.calls_with_cache
    );
    println!(
        "{:<24} {:>14.0} {:>14.0}",
        "wall time (ms)", b.workload_without_cache_ms, b.workload_with_cache_ms
    );
    println!("{}", b.workload_stats);
    Ok(ExitCode::SUCCESS)
}
