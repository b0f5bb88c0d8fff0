//! `spatialclaw perception serve`: put a perception backend behind the authenticated HTTP
//! service of `spatialclaw_perception::server` (protocol: crates/perception/PROTOCOL.md), so
//! agents on other machines or in other processes use it through `RemoteBackend`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use spatialclaw_perception::cache::{DEFAULT_MAX_BYTES, spatialclaw_cache_dir};
use spatialclaw_perception::server::{
    self, ServerConfig, generate_token, read_token_file, write_token_file,
};
use spatialclaw_perception::{
    Backend, CachedBackend, GpuBackend, GpuConfig, GpuEndpoint, NoiseConfig, NoisyBackend,
    RemoteBackend, RemoteConfig, RemoteServer, SyntheticBackend, default_cache_dir,
};

#[derive(Args)]
pub struct PerceptionArgs {
    #[command(subcommand)]
    what: PerceptionWhat,
}

#[derive(Subcommand)]
enum PerceptionWhat {
    /// Serve a backend over HTTP with a bearer token (loopback unless --bind says otherwise).
    Serve(ServeArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum BackendName {
    /// SynthSpatial ground truth for the frames of --synth-seeds demo samples.
    Synthetic,
    /// The original project's GPU server (--gpu-registry, or --gpu-url with --gpu-token-file).
    SpatialclawGpu,
    /// Other `spatialclaw perception serve` processes (--remote URL, --remote-token-file).
    Remote,
    /// ONNX models run by onnxruntime in this process (--onnx-manifest; docs/onnx.md).
    Onnx,
}

#[derive(Args)]
struct ServeArgs {
    #[arg(long, value_enum)]
    backend: BackendName,
    /// Address to listen on. Anything but loopback exposes the service to the network.
    #[arg(long, default_value = "127.0.0.1:7878")]
    bind: SocketAddr,
    /// Bearer token file: read if it exists, else a new token is generated and written there
    /// (mode 0600). Default: <cache>/perception-serve/<port>.token.
    #[arg(long)]
    token_file: Option<PathBuf>,
    /// Largest request body accepted, in MiB.
    #[arg(long, default_value_t = 256)]
    max_request_mb: usize,
    /// Backend calls allowed to run at once; further requests queue.
    #[arg(long, default_value_t = 2)]
    concurrency: usize,
    /// Answer from the perception cache (<cache>/perception) in front of the backend.
    #[arg(long)]
    cache: bool,
    #[arg(long)]
    cache_dir: Option<PathBuf>,
    /// On-disk cache budget in GiB.
    #[arg(long)]
    cache_max_gb: Option<f64>,
    /// Synthetic backend: register the frames of demo samples 0..N.
    #[arg(long, default_value_t = 16)]
    synth_seeds: u64,
    /// Synthetic backend: noise strength (0 = exact ground truth).
    #[arg(long, default_value_t = 0.0)]
    noise: f64,
    #[arg(long, default_value_t = 0)]
    noise_seed: u64,
    /// spatialclaw-gpu: the original's registry file (spatial_agent/logs/gpu_server.json).
    #[arg(long)]
    gpu_registry: Option<PathBuf>,
    /// spatialclaw-gpu: server URLs (repeatable), used instead of a registry.
    #[arg(long)]
    gpu_url: Vec<String>,
    /// spatialclaw-gpu: file holding the token of the --gpu-url servers.
    #[arg(long)]
    gpu_token_file: Option<PathBuf>,
    /// spatialclaw-gpu: model name for cache keys (default: the registry's reconstruct_backend).
    #[arg(long)]
    gpu_model: Option<String>,
    /// spatialclaw-gpu: largest response accepted, in MiB.
    #[arg(long, default_value_t = 2048)]
    gpu_max_response_mb: u64,
    /// remote: server URLs (repeatable).
    #[arg(long)]
    remote: Vec<String>,
    /// remote: file holding the token of the --remote servers.
    #[arg(long)]
    remote_token_file: Option<PathBuf>,
    /// onnx: the model manifest (default: $SPATIALCLAW_ONNX_MANIFEST).
    #[arg(long)]
    onnx_manifest: Option<PathBuf>,
}

/// Open the `onnx` backend: the manifest given or `SPATIALCLAW_ONNX_MANIFEST`; onnxruntime from
/// `ORT_DYLIB_PATH` or the virtual environments under SpatialClaw's cache directory.
pub fn open_onnx(manifest: Option<PathBuf>) -> anyhow::Result<spatialclaw_onnx::OnnxBackend> {
    let manifest = manifest
        .or_else(spatialclaw_onnx::manifest_from_env)
        .context(
            "the onnx backend needs a model manifest: pass its path (--onnx-manifest, or \
             --perception onnx=PATH) or set SPATIALCLAW_ONNX_MANIFEST; format in docs/onnx.md",
        )?;
    let backend = spatialclaw_onnx::OnnxBackend::open(&spatialclaw_onnx::OnnxConfig {
        manifest,
        library: None,
        search_roots: vec![spatialclaw_kernel::provision::cache_dir()],
    })?;
    let rt = backend.runtime();
    eprintln!(
        "onnx backend: onnxruntime {} from {} on {}",
        rt.version,
        rt.library.display(),
        rt.provider.label()
    );
    Ok(backend)
}

pub async fn run(args: PerceptionArgs) -> anyhow::Result<ExitCode> {
    match args.what {
        PerceptionWhat::Serve(a) => serve(a).await,
    }
}

fn token_of(path: &Option<PathBuf>, what: &str) -> anyhow::Result<String> {
    let path = path
        .as_ref()
        .with_context(|| format!("{what} needs a token file"))?;
    read_token_file(path).with_context(|| format!("reading {}", path.display()))
}

/// Read the token file, or create it with a fresh token; returns the token and its file.
fn service_token(a: &ServeArgs, port: u16) -> anyhow::Result<(String, PathBuf)> {
    let path = a.token_file.clone().unwrap_or_else(|| {
        spatialclaw_cache_dir()
            .join("perception-serve")
            .join(format!("{port}.token"))
    });
    if path.exists() {
        let t = read_token_file(&path).with_context(|| format!("reading {}", path.display()))?;
        return Ok((t, path));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let token = generate_token().context("generating a token")?;
    write_token_file(&path, &token).with_context(|| format!("writing {}", path.display()))?;
    Ok((token, path))
}

/// Build the backend (blocking: remote backends ask their servers for /health).
fn build_backend(a: &ServeArgs) -> anyhow::Result<Arc<dyn Backend>> {
    let backend: Arc<dyn Backend> = match a.backend {
        BackendName::Synthetic => {
            let synth = Arc::new(SyntheticBackend::new());
            for seed in 0..a.synth_seeds {
                let s = spatialclaw_synth::demo_sample(seed)?;
                synth.register(&s.scene, &s.frame);
            }
            if a.noise > 0.0 {
                Arc::new(NoisyBackend::new(
                    synth,
                    NoiseConfig::new(a.noise, a.noise_seed),
                ))
            } else {
                synth
            }
        }
        BackendName::SpatialclawGpu => {
            let endpoint = match (&a.gpu_registry, a.gpu_url.is_empty()) {
                (Some(reg), true) => GpuEndpoint::Registry(reg.clone()),
                (None, false) => {
                    let token = token_of(&a.gpu_token_file, "--gpu-url")?;
                    GpuEndpoint::Direct(
                        a.gpu_url
                            .iter()
                            .map(|u| RemoteServer::new(u.clone(), token.clone()))
                            .collect(),
                    )
                }
                _ => bail!("spatialclaw-gpu needs exactly one of --gpu-registry or --gpu-url"),
            };
            let cfg = GpuConfig {
                model: a.gpu_model.clone(),
                max_response_bytes: a.gpu_max_response_mb << 20,
                ..GpuConfig::new(endpoint)
            };
            Arc::new(GpuBackend::new(cfg)?)
        }
        BackendName::Remote => {
            if a.remote.is_empty() {
                bail!("the remote backend needs at least one --remote URL");
            }
            let token = token_of(&a.remote_token_file, "--remote")?;
            let servers = a
                .remote
                .iter()
                .map(|u| RemoteServer::new(u.clone(), token.clone()))
                .collect();
            Arc::new(RemoteBackend::connect(servers, RemoteConfig::default())?)
        }
        BackendName::Onnx => Arc::new(open_onnx(a.onnx_manifest.clone())?),
    };
    if !a.cache {
        return Ok(backend);
    }
    let dir = a.cache_dir.clone().unwrap_or_else(default_cache_dir);
    let max = a
        .cache_max_gb
        .map(|g| (g * (1u64 << 30) as f64) as u64)
        .unwrap_or(DEFAULT_MAX_BYTES);
    Ok(Arc::new(CachedBackend::new(backend, &dir, max)?))
}

fn describe(path: &Path) -> String {
    path.display().to_string()
}

async fn serve(a: ServeArgs) -> anyhow::Result<ExitCode> {
    if a.max_request_mb == 0 || a.concurrency == 0 {
        bail!("--max-request-mb and --concurrency must be at least 1");
    }
    let listener = tokio::net::TcpListener::bind(a.bind)
        .await
        .with_context(|| format!("binding {}", a.bind))?;
    let addr = listener.local_addr()?;
    if !addr.ip().is_loopback() {
        eprintln!(
            "warning: listening on {addr}, reachable from the network; requests and the token travel as plain HTTP"
        );
    }
    let (token, token_path) = service_token(&a, addr.port())?;
    let cfg = ServerConfig {
        token,
        max_request_bytes: a.max_request_mb << 20,
        max_concurrency: a.concurrency,
    };
    let a = Arc::new(a);
    let backend = {
        let a = a.clone();
        tokio::task::spawn_blocking(move || build_backend(&a)).await??
    };
    eprintln!(
        "perception service: backend {}/{} on http://{addr} (token in {}; Ctrl-C stops)",
        backend.name(),
        backend.version(),
        describe(&token_path)
    );
    server::serve(listener, backend, cfg, server::shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}
