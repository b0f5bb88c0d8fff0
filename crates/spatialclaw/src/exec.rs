//! `spatialclaw exec`: run cells in a fresh session and print the feedback the agent would read.
//! Handy for trying tool code by hand and for reproducing a step of a trajectory.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use spatialclaw_kernel::{
    InputFrame, KernelSession, NoHost, SessionInputs, SessionOptions, ensure_python_env,
};

#[derive(Args)]
pub struct ExecArgs {
    /// Python files, run in order as consecutive cells of one session.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// A directory of images (png/jpg) exposed as InputImages, sorted by name.
    #[arg(long)]
    images: Option<PathBuf>,
    /// Time limit per cell, in seconds.
    #[arg(long, default_value_t = 60.0)]
    timeout: f64,
}

fn image_inputs(dir: &Path) -> anyhow::Result<Vec<InputFrame>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading image directory {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg"))
        })
        .collect();
    paths.sort();
    if paths.is_empty() {
        anyhow::bail!("{} holds no .png or .jpg images", dir.display());
    }
    Ok(paths
        .into_iter()
        .enumerate()
        .map(|(i, path)| InputFrame {
            path: path.canonicalize().unwrap_or(path),
            frame_index: i as i64,
        })
        .collect())
}

pub async fn run(args: ExecArgs) -> anyhow::Result<ExitCode> {
    if !(args.timeout > 0.0 && args.timeout.is_finite()) {
        anyhow::bail!("--timeout must be a positive number of seconds");
    }
    let cells: Vec<(PathBuf, String)> = args
        .files
        .iter()
        .map(|f| {
            std::fs::read_to_string(f)
                .map(|c| (f.clone(), c))
                .with_context(|| format!("reading {}", f.display()))
        })
        .collect::<Result<_, _>>()?;
    let frames = match &args.images {
        Some(dir) => image_inputs(dir)?,
        None => Vec::new(),
    };
    let n = frames.len();
    let inputs = SessionInputs {
        frames,
        metadata: serde_json::json!({"is_video": false, "fps": null, "total_frames": n, "num_images": n, "num_videos": 1}),
        ..Default::default()
    };
    let env = ensure_python_env(|m| eprintln!("{m}"))?;
    let mut session = KernelSession::start(&env, inputs, SessionOptions::default()).await?;
    let mut all_ok = true;
    let policy = spatialclaw_lint::Policy::agent();
    for (i, (path, code)) in cells.iter().enumerate() {
        // The same first layer the agent's cells pass: syntax and the sandbox lint.
        let report = spatialclaw_lint::lint(code, &policy);
        if !report.is_clean() {
            let shown = path.display();
            println!(
                "=== Step {i} Execution Feedback === ({shown})\n\n[ERROR] {}\n",
                report.render()
            );
            all_ok = false;
            continue;
        }
        let outcome = session
            .exec(code, Duration::from_secs_f64(args.timeout), &NoHost)
            .await?;
        all_ok &= outcome.succeeded();
        println!("{}\n", spatialclaw_agent::feedback::render(i, &outcome));
    }
    session.shutdown().await;
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
