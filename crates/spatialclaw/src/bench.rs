//! `spatialclaw bench …`: speed and memory figures, printed side by side with the reference
//! approach measured in the same run. Tests never assert on time; these commands report it.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::json;
use spatialclaw_kernel::bench::{Stats, bench_jupyter, bench_memory, bench_ours};
use spatialclaw_kernel::{ensure_bench_env, ensure_onnx_env, ensure_python_env};

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
    /// ONNX backend: Rust pre/post-processing per frame against numpy, and end-to-end calls with
    /// tiny graphs (installs onnxruntime and onnx into a separate environment on first use).
    Onnx(OnnxBenchArgs),
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
        BenchWhat::Onnx(a) => onnx(a).await,
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
            "ours_step_page_faults_p50": ours.step_page_faults_p50,
            "ours_ready_page_faults_p50": ours.ready_page_faults_p50,
            "ours_step_no_snapshots_page_faults_p50": plain.step_page_faults_p50,
            "ours_page_warming": ours.page_warming,
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
        "\n'trivial step' issues each cell {} ms after the previous cell's crash snapshot exists (the \
         session forks it and warms its memory while the agent waits for the model, which takes far \
         longer); 'back to back' issues the next cell at once and so also waits for that work.",
        spatialclaw_kernel::bench::MODEL_THINK.as_millis()
    );
    println!(
        "page faults (p50): {:.0} per session start, {:.0} per trivial step with snapshots (page warming {}), {:.0} without",
        ours.ready_page_faults_p50,
        ours.step_page_faults_p50,
        if ours.page_warming { "on" } else { "off" },
        plain.step_page_faults_p50
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

#[derive(Args)]
struct OnnxBenchArgs {
    /// Frame width for the per-frame figures.
    #[arg(long, default_value_t = 640)]
    width: usize,
    /// Frame height for the per-frame figures.
    #[arg(long, default_value_t = 480)]
    height: usize,
    /// Timed repetitions of each step (the median is printed).
    #[arg(long, default_value_t = 20)]
    repeats: usize,
    #[arg(long)]
    json: bool,
}

async fn onnx(a: OnnxBenchArgs) -> anyhow::Result<ExitCode> {
    use spatialclaw_onnx::bench::{STEPS, end_to_end, rust_steps};
    use spatialclaw_onnx::testkit::{run_numpy_steps, write_tiny_models};
    if a.width == 0 || a.height == 0 || a.width > 8192 || a.height > 8192 {
        anyhow::bail!("--width and --height must be between 1 and 8192");
    }
    let env = ensure_onnx_env(|m| eprintln!("{m}")).context("preparing the onnx environment")?;
    let venv = env
        .python
        .parent()
        .and_then(|p| p.parent())
        .context("the environment's interpreter is not in <venv>/bin")?
        .to_owned();
    let dir = tempfile::tempdir()?;
    let (w, h, n) = (a.width, a.height, a.repeats.max(1));
    eprintln!("building tiny ONNX graphs and timing the steps...");
    let (ours, e2e, numpy) = {
        let dir = dir.path().to_owned();
        tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
            write_tiny_models(&env.python, &dir).map_err(anyhow::Error::msg)?;
            let ours = rust_steps(w, h, n);
            let numpy = run_numpy_steps(
                &env.python,
                &dir,
                &["bench", &w.to_string(), &h.to_string(), &n.to_string()],
            )
            .map_err(anyhow::Error::msg)?;
            let numpy: serde_json::Value = serde_json::from_str(numpy.trim())?;
            let backend = spatialclaw_onnx::OnnxBackend::open(&spatialclaw_onnx::OnnxConfig {
                manifest: dir.join("tiny.toml"),
                library: None,
                search_roots: vec![venv],
            })?;
            let e2e = end_to_end(&backend, w, h, n)?;
            Ok((ours, e2e, numpy))
        })
        .await??
    };
    let theirs = |name: &str| numpy.get(name).and_then(|v| v.as_f64()).unwrap_or(f64::NAN);
    if a.json {
        let mut v = json!({"width": w, "height": h, "repeats": n,
            "e2e_reconstruct_per_frame_ms": e2e.reconstruct_per_frame_ms,
            "e2e_segment_box_cached_ms": e2e.segment_box_cached_ms,
            "e2e_segment_box_new_frame_ms": e2e.segment_box_new_frame_ms,
            "e2e_segment_text_ms": e2e.segment_text_ms});
        for (name, ms) in &ours {
            v[format!("rust_{name}_ms")] = json!(ms);
            v[format!("numpy_{name}_ms")] = json!(theirs(name));
        }
        println!("{v}");
        return Ok(ExitCode::SUCCESS);
    }
    println!("ONNX backend pre/post-processing, one {w}x{h} frame (median of {n}, milliseconds)");
    println!("{:<22} {:>9} {:>9} {:>8}", "", "rust", "numpy", "speedup");
    for (name, ms) in &ours {
        debug_assert!(STEPS.contains(name));
        let t = theirs(name);
        println!("{name:<22} {ms:>9.2} {t:>9.2} {:>7.1}x", t / ms);
    }
    println!();
    println!(
        "End to end with tiny graphs (onnxruntime on {w}x{h} frames; model time is negligible, so \
         this is the backend's own overhead)"
    );
    println!(
        "  reconstruct, per frame          {:>9.2} ms",
        e2e.reconstruct_per_frame_ms
    );
    println!(
        "  box prompt, cached embedding    {:>9.2} ms",
        e2e.segment_box_cached_ms
    );
    println!(
        "  box prompt, new frame           {:>9.2} ms",
        e2e.segment_box_new_frame_ms
    );
    println!(
        "  text prompt (detect + segment)  {:>9.2} ms",
        e2e.segment_text_ms
    );
    Ok(ExitCode::SUCCESS)
}
