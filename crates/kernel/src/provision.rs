//! The kernel's Python environment: a virtual environment with pinned numpy/scipy/pillow/
//! matplotlib, created once under the cache directory and reused, plus the embedded runtime.
//!
//! Several processes (parallel tests, concurrent runs) may ask at once; a file lock makes one
//! of them build while the others wait, and a marker written last means "complete", so a
//! build killed halfway is redone rather than trusted.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

include!(concat!(env!("OUT_DIR"), "/runtime_files.rs"));

#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error(
        "no Python 3 interpreter found (tried {tried}); install Python 3.10+ or set SPATIALCLAW_PYTHON to its path"
    )]
    NoPython { tried: String },
    #[error(
        "cannot use cache directory {path}: {source}; set SPATIALCLAW_CACHE to a writable directory"
    )]
    Cache {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "creating the kernel's virtual environment failed ({step}):\n{output}\nCheck network access to PyPI, or point SPATIALCLAW_PYTHON_ENV at an existing environment with numpy, scipy, pillow and matplotlib"
    )]
    Setup { step: String, output: String },
}

/// A ready environment: the interpreter and the directory holding `spatialclaw_kernel`.
#[derive(Debug, Clone)]
pub struct PythonEnv {
    pub python: PathBuf,
    pub runtime_root: PathBuf,
}

/// Where SpatialClaw keeps its caches: `$SPATIALCLAW_CACHE`, else `$XDG_CACHE_HOME/spatialclaw`,
/// else `~/.cache/spatialclaw`.
pub fn cache_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("SPATIALCLAW_CACHE") {
        return PathBuf::from(p);
    }
    if let Some(p) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(p).join("spatialclaw");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    home.join(".cache").join("spatialclaw")
}

fn short_hash(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn find_python() -> Result<PathBuf, ProvisionError> {
    let candidates: Vec<PathBuf> = match std::env::var_os("SPATIALCLAW_PYTHON") {
        Some(p) => vec![PathBuf::from(p)],
        None => vec!["python3".into(), "python".into()],
    };
    for c in &candidates {
        let ok = Command::new(c)
            .args([
                "-c",
                "import sys, venv; sys.exit(0 if sys.version_info >= (3, 10) else 1)",
            ])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Ok(c.clone());
        }
    }
    Err(ProvisionError::NoPython {
        tried: candidates
            .iter()
            .map(|c| c.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
    })
}

fn run(step: &str, cmd: &mut Command) -> Result<(), ProvisionError> {
    let out = cmd.output().map_err(|e| ProvisionError::Setup {
        step: step.into(),
        output: e.to_string(),
    })?;
    if !out.status.success() {
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        let tail: String = text
            .chars()
            .rev()
            .take(3000)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        return Err(ProvisionError::Setup {
            step: step.into(),
            output: tail,
        });
    }
    Ok(())
}

fn cache_io<T>(path: &Path, r: std::io::Result<T>) -> Result<T, ProvisionError> {
    r.map_err(|source| ProvisionError::Cache {
        path: path.to_owned(),
        source,
    })
}

/// Write the embedded runtime to `<cache>/runtime-<hash>` (content-addressed: editing the
/// runtime gives a new directory, so running sessions never see half-written files).
fn materialize_runtime(cache: &Path) -> Result<PathBuf, ProvisionError> {
    let mut parts: Vec<&[u8]> = Vec::new();
    for (path, text) in RUNTIME_FILES {
        parts.push(path.as_bytes());
        parts.push(text.as_bytes());
    }
    let dir = cache.join(format!("runtime-{}", short_hash(&parts)));
    if dir.join(".complete").exists() {
        return Ok(dir);
    }
    // A private staging directory: threads of one process race here too (parallel tests).
    let staging = cache_io(
        cache,
        tempfile::Builder::new()
            .prefix(".runtime-staging-")
            .tempdir_in(cache),
    )?
    .keep();
    for (rel, text) in RUNTIME_FILES {
        let path = staging.join(rel);
        cache_io(&path, fs::create_dir_all(path.parent().unwrap()))?;
        cache_io(&path, fs::write(&path, text))?;
    }
    cache_io(&staging, fs::write(staging.join(".complete"), b"ok"))?;
    if fs::rename(&staging, &dir).is_err() {
        // Another process won the race; its copy is identical.
        let _ = fs::remove_dir_all(&staging);
    }
    Ok(dir)
}

/// Provision (once) and return the kernel's Python environment.
///
/// `SPATIALCLAW_PYTHON_ENV=/path/to/python` skips the virtual environment and uses that
/// interpreter as is (it must have the packages of `python/requirements.txt`).
pub fn ensure_python_env(progress: impl FnMut(&str)) -> Result<PythonEnv, ProvisionError> {
    if let Some(p) = std::env::var_os("SPATIALCLAW_PYTHON_ENV") {
        let cache = cache_dir();
        cache_io(&cache, fs::create_dir_all(&cache))?;
        let runtime_root = materialize_runtime(&cache)?;
        return Ok(PythonEnv {
            python: PathBuf::from(p),
            runtime_root,
        });
    }
    ensure_env_with("", progress)
}

/// Packages the kernel benchmark adds to drive a Jupyter kernel the way the original does.
pub const JUPYTER_REQUIREMENTS: &str = "jupyter_client==8.10.0\nipykernel==7.4.0\n";

/// A separate environment with Jupyter added, for `spatialclaw bench kernel` only: the
/// agent's own environment never carries Jupyter.
pub fn ensure_bench_env(progress: impl FnMut(&str)) -> Result<PythonEnv, ProvisionError> {
    ensure_env_with(JUPYTER_REQUIREMENTS, progress)
}

/// Packages the ONNX backend's tests and benchmark add: the CPU onnxruntime wheel (its
/// `capi/libonnxruntime.so.*` is the shared library the backend loads at run time) and `onnx`
/// (to build tiny graphs). Users with real models may install `onnxruntime-gpu` instead.
pub const ONNX_REQUIREMENTS: &str = "onnxruntime==1.31.1\nonnx==1.23.2\n";

/// A separate environment with onnxruntime and onnx added, for the ONNX backend's tests and
/// `spatialclaw bench onnx`; the backend also finds the library here on its own.
pub fn ensure_onnx_env(progress: impl FnMut(&str)) -> Result<PythonEnv, ProvisionError> {
    ensure_env_with(ONNX_REQUIREMENTS, progress)
}

fn ensure_env_with(
    extra: &str,
    mut progress: impl FnMut(&str),
) -> Result<PythonEnv, ProvisionError> {
    let cache = cache_dir();
    cache_io(&cache, fs::create_dir_all(&cache))?;
    let runtime_root = materialize_runtime(&cache)?;
    let base = find_python()?;
    let version = Command::new(&base)
        .args(["-c", "import sys; print(sys.version)"])
        .output()
        .map(|o| o.stdout)
        .unwrap_or_default();
    let requirements = format!("{REQUIREMENTS}{extra}");
    let kind = match extra {
        "" => "venv",
        ONNX_REQUIREMENTS => "venv-onnx",
        _ => "venv-bench",
    };
    let venv = cache.join(format!(
        "{kind}-{}",
        short_hash(&[requirements.as_bytes(), &version])
    ));
    let python = venv.join("bin").join("python");
    let marker = venv.join(".spatialclaw-complete");
    if marker.exists() {
        return Ok(PythonEnv {
            python,
            runtime_root,
        });
    }
    let lock_path = cache.join("venv.lock");
    let lock = cache_io(&lock_path, File::create(&lock_path))?;
    cache_io(&lock_path, lock.lock())?;
    if marker.exists() {
        return Ok(PythonEnv {
            python,
            runtime_root,
        });
    }
    progress(match kind {
        "venv" => {
            "Setting up the kernel's Python environment (numpy, scipy, pillow, matplotlib); this happens once."
        }
        "venv-onnx" => {
            "Setting up the ONNX Python environment (adds onnxruntime and onnx); this happens once."
        }
        _ => {
            "Setting up the benchmark's Python environment (adds jupyter_client and ipykernel); this happens once."
        }
    });
    let _ = fs::remove_dir_all(&venv);
    run(
        "python -m venv",
        Command::new(&base).arg("-m").arg("venv").arg(&venv),
    )?;
    let req = venv.join("requirements.txt");
    cache_io(&req, fs::write(&req, &requirements))?;
    run(
        "pip install",
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(&req),
    )?;
    run(
        "import check",
        Command::new(&python).args([
            "-c",
            if kind == "venv-onnx" {
                "import numpy, scipy.spatial, PIL.Image, matplotlib.pyplot, onnx, onnxruntime"
            } else {
                "import numpy, scipy.spatial, PIL.Image, matplotlib.pyplot"
            },
        ]),
    )?;
    cache_io(&marker, fs::write(&marker, b"ok"))?;
    progress("Python environment ready.");
    Ok(PythonEnv {
        python,
        runtime_root,
    })
}
