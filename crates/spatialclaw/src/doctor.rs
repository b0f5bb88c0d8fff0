//! `spatialclaw doctor`: which sandbox layers protect this machine, and why any is missing.
//!
//! It starts a real session and reads the report the session itself sends when its sandbox is
//! installed, rather than guessing from the host: what counts is what agent code will run
//! under. Exit status 0 when every layer is active, 1 when some are missing (everything is
//! printed either way), 2 when no session can start at all.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use spatialclaw_kernel::sandbox::{
    LAYER_AUDIT_HOOK, LAYER_LANDLOCK_FS, LAYER_LANDLOCK_NET, LAYER_NETWORK_NAMESPACE, LAYER_RLIMITS,
};
use spatialclaw_kernel::{
    KernelSession, LayerStatus, NoHost, SessionInputs, SessionOptions, ensure_python_env,
    host_support,
};

#[derive(Args)]
pub struct DoctorArgs {}

/// Layers in the order they meet agent code, with the name a person reads.
const LAYERS: [(&str, &str); 6] = [
    ("lint", "lint (before the kernel)"),
    (LAYER_AUDIT_HOOK, "audit hook"),
    (LAYER_RLIMITS, "resource limits"),
    (LAYER_LANDLOCK_FS, "Landlock filesystem"),
    (LAYER_LANDLOCK_NET, "Landlock network"),
    (LAYER_NETWORK_NAMESPACE, "network namespace"),
];

pub async fn run(_args: DoctorArgs) -> anyhow::Result<ExitCode> {
    let env = ensure_python_env(|m| eprintln!("{m}"))?;
    let metadata = serde_json::json!({"is_video": false, "fps": null, "total_frames": 0, "num_images": 0, "num_videos": 1});
    let inputs = SessionInputs {
        metadata,
        ..Default::default()
    };
    let mut session = KernelSession::start(&env, inputs, SessionOptions::default())
        .await
        .context("starting a kernel session")?;

    println!("Python environment");
    println!("  interpreter    {}", env.python.display());
    let versions = session
        .exec(
            "import sys, numpy, scipy, PIL, matplotlib\n\
             print(sys.version.split()[0])\n\
             print(f'numpy {numpy.__version__}, scipy {scipy.__version__}, pillow {PIL.__version__}, matplotlib {matplotlib.__version__}')",
            Duration::from_secs(60),
            &NoHost,
        )
        .await
        .context("asking the session for its library versions")?;
    match &versions.error {
        None => {
            let mut lines = versions.stdout.lines();
            println!("  python         {}", lines.next().unwrap_or("?"));
            println!("  libraries      {}", lines.next().unwrap_or("?"));
        }
        Some(e) => println!(
            "  libraries      could not be read: {}: {}",
            e.kind, e.message
        ),
    }
    println!("  runtime        {}", env.runtime_root.display());
    match &session.ready().page_warming {
        Some(w) if w.active => println!("  page warming   on: {}", w.detail),
        Some(w) => println!(
            "  page warming   off (small cells take copy-on-write faults): {}",
            w.detail
        ),
        None => println!("  page warming   not reported (an older runtime?)"),
    }

    let support = host_support();
    let report = session.ready().sandbox.clone().unwrap_or_default();
    let mut statuses: Vec<(&str, LayerStatus)> = Vec::new();
    for (key, label) in LAYERS {
        let status = if key == "lint" {
            lint_status()
        } else {
            report.layers.get(key).cloned().unwrap_or(LayerStatus {
                active: false,
                detail: "the session did not report this layer (an older runtime?)".into(),
            })
        };
        statuses.push((label, status));
    }

    println!();
    println!("Sandbox layers");
    let width = LAYERS.iter().map(|(_, l)| l.len()).max().unwrap_or(0);
    for (label, status) in &statuses {
        let mark = if status.active { "active " } else { "MISSING" };
        println!("  [{mark}] {label:<width$}  {}", status.detail);
    }
    if !report.read_roots.is_empty() {
        println!();
        println!(
            "Readable by agent code (read-only): {}",
            report.read_roots.join(", ")
        );
        if let Some(scratch) = &report.scratch {
            println!("Writable by agent code: {scratch} (the session's scratch directory)");
        }
    }
    println!();
    println!(
        "Host probe: Landlock {}; network isolation: {}",
        match &support.landlock_abi {
            Ok(abi) => format!("ABI {abi}"),
            Err(why) => why.clone(),
        },
        match &support.network {
            spatialclaw_kernel::NetworkIsolation::NetNamespace => "network namespace (root)".into(),
            spatialclaw_kernel::NetworkIsolation::UserAndNetNamespace =>
                "user + network namespace (unprivileged)".into(),
            spatialclaw_kernel::NetworkIsolation::Unavailable(why) => why.clone(),
        }
    );
    session.shutdown().await;

    let missing = statuses.iter().filter(|(_, s)| !s.active).count();
    let code = if missing == 0 {
        println!("All {} sandbox layers are active.", statuses.len());
        ExitCode::SUCCESS
    } else {
        println!(
            "{missing} of {} sandbox layers missing: sessions still run, with the remaining layers only.",
            statuses.len()
        );
        ExitCode::from(1)
    };
    onnx_report();
    Ok(code)
}

/// The lint is compiled in; check that it still refuses what it must (an aliased `open` and a
/// forbidden import), so a broken rule set shows up here too.
fn lint_status() -> LayerStatus {
    let policy = spatialclaw_lint::Policy::agent();
    let probes = [
        "f = open\nf('/etc/passwd')",
        "import os",
        "getattr(__builtins__, 'op' + 'en')",
    ];
    let refused = probes
        .iter()
        .filter(|code| !spatialclaw_lint::lint(code, &policy).is_clean())
        .count();
    let allowed = spatialclaw_lint::lint("x = np.zeros(3)\nprint(x.sum())", &policy).is_clean();
    if refused == probes.len() && allowed {
        LayerStatus {
            active: true,
            detail: format!(
                "ruff_python_parser rules: {refused}/{} escape probes refused, plain numpy code allowed",
                probes.len()
            ),
        }
    } else {
        LayerStatus {
            active: false,
            detail: format!(
                "the lint refused {refused}/{} escape probes and {} plain numpy code",
                probes.len(),
                if allowed { "allowed" } else { "refused" }
            ),
        }
    }
}

/// The `onnx` perception backend: whether onnxruntime's library is found, and which execution
/// provider sessions get. Informational: it does not change the exit status.
fn onnx_report() {
    println!();
    println!("ONNX perception backend (--perception onnx)");
    match spatialclaw_onnx::probe(&[spatialclaw_kernel::provision::cache_dir()]) {
        Ok((library, version, provider, note)) => {
            println!("  onnxruntime    {version} from {}", library.display());
            println!("  provider       {provider}");
            if !note.is_empty() {
                println!("  note           {note}");
            }
        }
        Err(e) => println!("  not available  {e}"),
    }
    match spatialclaw_onnx::manifest_from_env() {
        Some(m) => println!(
            "  manifest       {} (SPATIALCLAW_ONNX_MANIFEST)",
            m.display()
        ),
        None => println!("  manifest       none set (SPATIALCLAW_ONNX_MANIFEST or onnx=PATH)"),
    }
}
