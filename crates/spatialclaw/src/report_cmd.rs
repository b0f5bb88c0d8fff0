//! `spatialclaw report` and `spatialclaw view`: the run dashboard as static files, or served on a
//! local address. The work lives in `spatialclaw-report`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

#[derive(Args)]
pub struct ReportArgs {
    /// Run directories written by `spatialclaw run` (or the original's run.py).
    #[arg(required = true, value_name = "DIR")]
    dirs: Vec<PathBuf>,
    /// Where to write index.html and the session pages (default: DIR/dashboard for a single
    /// run; required with several).
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Args)]
pub struct ViewArgs {
    /// Run directories written by `spatialclaw run` (or the original's run.py).
    #[arg(required = true, value_name = "DIR")]
    dirs: Vec<PathBuf>,
    /// Address to listen on. The viewer has no authentication: keep it on loopback unless the
    /// network is trusted.
    #[arg(long, default_value = "127.0.0.1:8501")]
    bind: String,
}

pub fn run_report(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let out = match (&args.out, args.dirs.as_slice()) {
        (Some(out), _) => out.clone(),
        (None, [one]) => one.join("dashboard"),
        (None, _) => anyhow::bail!("several run directories need --out DIR for the dashboard"),
    };
    let site = spatialclaw_report::write_site(&args.dirs, &out)
        .with_context(|| format!("writing the dashboard to {}", out.display()))?;
    for p in &site.problems {
        eprintln!("warning: {p}");
    }
    println!(
        "wrote {} ({} run(s), {} session page(s))",
        site.index.display(),
        site.runs,
        site.session_pages
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn run_view(args: ViewArgs) -> anyhow::Result<ExitCode> {
    let tmp = tempfile::tempdir().context("creating a folder for the site")?;
    let site = spatialclaw_report::write_site(&args.dirs, tmp.path())?;
    for p in &site.problems {
        eprintln!("warning: {p}");
    }
    let server = spatialclaw_report::bind(tmp.path().to_owned(), &args.bind).await?;
    let addr = server.local_addr()?;
    if !addr.ip().is_loopback() {
        eprintln!(
            "warning: serving on {addr}, reachable from other machines, with no authentication"
        );
    }
    println!(
        "serving {} run(s), {} session page(s) at http://{addr}/ (Ctrl-C to stop)",
        site.runs, site.session_pages
    );
    server.run().await?;
    drop(tmp);
    Ok(ExitCode::SUCCESS)
}
