//! Finding and loading onnxruntime's shared library, and opening models with the best
//! execution provider it offers.
//!
//! Nothing is downloaded or linked at build time: the library comes from the pip wheel
//! (`onnxruntime`, or `onnxruntime-gpu` for CUDA) and is loaded with `dlopen` on first use.
//! Where it is looked for, in order: `ORT_DYLIB_PATH`; the interpreter of
//! `SPATIALCLAW_PYTHON_ENV` and the active `VIRTUAL_ENV`; then every virtual environment
//! under the roots the caller passes (the CLI passes SpatialClaw's cache directory, where the
//! kernel's environments live). A wheel that ships the CUDA provider wins over a CPU one.
//!
//! onnxruntime allows one environment per process, so the loaded runtime is process-global.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ort::environment::Environment;
use ort::ep::{self, ExecutionProvider};
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;

use crate::error::OnnxError;

/// The execution provider sessions run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    Cuda,
    Cpu,
}

impl Provider {
    pub fn label(self) -> &'static str {
        match self {
            Provider::Cuda => "CUDA",
            Provider::Cpu => "CPU",
        }
    }
}

/// The loaded library.
pub struct Runtime {
    env: Environment,
    pub library: PathBuf,
    pub version: String,
    /// CUDA when the library was built with it and a session accepted it at start-up.
    pub provider: Provider,
    /// Why CUDA is not used, when it is not.
    pub cuda_note: String,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("library", &self.library)
            .field("version", &self.version)
            .field("provider", &self.provider)
            .finish()
    }
}

static RUNTIME: Mutex<Option<Arc<Runtime>>> = Mutex::new(None);

/// Site-packages directories of one virtual environment (or Python prefix).
fn site_packages(prefix: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for lib in ["lib", "lib64"] {
        let Ok(entries) = std::fs::read_dir(prefix.join(lib)) else {
            continue;
        };
        let mut dirs: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("python3"))
            })
            .map(|p| p.join("site-packages"))
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        out.extend(dirs);
    }
    out
}

/// `libonnxruntime.so*` in a site-packages directory's `onnxruntime/capi`.
fn library_in(site: &Path) -> Option<PathBuf> {
    let capi = site.join("onnxruntime").join("capi");
    let mut libs: Vec<PathBuf> = std::fs::read_dir(&capi)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.starts_with(&format!("{}onnxruntime", std::env::consts::DLL_PREFIX))
                    && n.contains(std::env::consts::DLL_SUFFIX)
                    && !n.contains("providers")
            })
        })
        .collect();
    libs.sort();
    libs.pop()
}

fn has_cuda_provider(lib: &Path) -> bool {
    lib.parent().is_some_and(|d| {
        d.join(format!(
            "{}onnxruntime_providers_cuda{}",
            std::env::consts::DLL_PREFIX,
            std::env::consts::DLL_SUFFIX
        ))
        .exists()
    })
}

/// Python prefixes to search: the explicit environment variables, then every directory under
/// `roots` that looks like a virtual environment (a root may itself be one).
fn prefixes(roots: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(py) = std::env::var_os("SPATIALCLAW_PYTHON_ENV") {
        // <prefix>/bin/python
        if let Some(prefix) = Path::new(&py).parent().and_then(Path::parent) {
            out.push(prefix.to_owned());
        }
    }
    if let Some(v) = std::env::var_os("VIRTUAL_ENV") {
        out.push(PathBuf::from(v));
    }
    for root in roots {
        if root.join("pyvenv.cfg").exists() {
            out.push(root.clone());
            continue;
        }
        let Ok(entries) = std::fs::read_dir(root) else {
            continue;
        };
        let mut venvs: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.join("pyvenv.cfg").exists())
            .collect();
        venvs.sort();
        out.extend(venvs);
    }
    out
}

/// Where the library is, or a message listing where it was looked for and how to install it.
pub fn find_library(roots: &[PathBuf]) -> Result<PathBuf, OnnxError> {
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(OnnxError::LibraryNotFound {
                searched: format!("ORT_DYLIB_PATH={} (no such file)", p.display()),
            })
        };
    }
    let prefixes = prefixes(roots);
    let found: Vec<PathBuf> = prefixes
        .iter()
        .flat_map(|p| site_packages(p))
        .filter_map(|s| library_in(&s))
        .collect();
    if let Some(gpu) = found.iter().find(|l| has_cuda_provider(l)) {
        return Ok(gpu.clone());
    }
    if let Some(first) = found.into_iter().next() {
        return Ok(first);
    }
    let mut searched: Vec<String> = vec!["ORT_DYLIB_PATH (unset)".into()];
    searched.extend(prefixes.iter().map(|p| p.display().to_string()));
    if prefixes.is_empty() {
        searched.extend(
            roots
                .iter()
                .map(|r| format!("{} (no virtual environments)", r.display())),
        );
    }
    Err(OnnxError::LibraryNotFound {
        searched: searched.join(", "),
    })
}

/// Load the library (once per process) and choose the execution provider.
pub fn load(library: &Path) -> Result<Arc<Runtime>, OnnxError> {
    let mut slot = RUNTIME.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(rt) = &*slot {
        let same = std::fs::canonicalize(&rt.library).ok() == std::fs::canonicalize(library).ok();
        return if same {
            Ok(rt.clone())
        } else {
            Err(OnnxError::LibraryConflict {
                loaded: rt.library.clone(),
                wanted: library.to_owned(),
            })
        };
    }
    if !library.is_file() {
        return Err(OnnxError::LibraryNotFound {
            searched: format!("{} (no such file)", library.display()),
        });
    }
    let load_err = |why: String| OnnxError::LibraryLoad {
        path: library.to_owned(),
        why,
    };
    let builder = ort::init_from(library).map_err(|e| load_err(e.to_string()))?;
    let env = builder
        .with_name("spatialclaw")
        .build()
        .map_err(|e| load_err(e.to_string()))?;
    // The version string is read off the loaded library by ort; ask it through the build info.
    let version = ort::info()
        .split(',')
        .find_map(|part| part.trim().strip_prefix("git-branch=rel-"))
        .map(str::to_owned)
        .unwrap_or_else(|| version_from_name(library));
    let (provider, cuda_note) = match ep::CUDA::is_available() {
        Ok(true) => match probe_cuda(&env) {
            Ok(()) => (Provider::Cuda, String::new()),
            Err(why) => (
                Provider::Cpu,
                format!("the library has the CUDA provider but it cannot start: {why}"),
            ),
        },
        Ok(false) => (
            Provider::Cpu,
            "this onnxruntime build has no CUDA provider (install onnxruntime-gpu for it)".into(),
        ),
        Err(e) => (Provider::Cpu, format!("cannot list providers: {e}")),
    };
    let rt = Arc::new(Runtime {
        env,
        library: library.to_owned(),
        version,
        provider,
        cuda_note,
    });
    *slot = Some(rt.clone());
    Ok(rt)
}

fn version_from_name(library: &Path) -> String {
    library
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.split(".so.").nth(1))
        .unwrap_or("unknown")
        .to_owned()
}

/// Registering CUDA can fail late (missing CUDA/cuDNN libraries); try it on a session builder
/// so the choice reported is the one sessions will get.
fn probe_cuda(env: &Environment) -> Result<(), String> {
    let mut b = Session::builder(env).map_err(|e| e.to_string())?;
    ep::CUDA::default()
        .register(&mut b)
        .map_err(|e| e.to_string())
}

impl Runtime {
    /// Open a model on the chosen provider.
    pub fn session(&self, path: &Path, what: &str) -> Result<Session, OnnxError> {
        if !path.is_file() {
            return Err(OnnxError::MissingModel {
                what: what.into(),
                path: path.to_owned(),
            });
        }
        let fail = |e: &dyn std::fmt::Display| OnnxError::Session {
            path: path.to_owned(),
            why: e.to_string(),
        };
        let mut b = Session::builder(&self.env)
            .map_err(|e| fail(&e))?
            .with_optimization_level(GraphOptimizationLevel::Level3)
            .map_err(|e| fail(&e))?;
        if self.provider == Provider::Cuda {
            ep::CUDA::default().register(&mut b).map_err(|e| fail(&e))?;
        }
        b.commit_from_file(path).map_err(|e| fail(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_venv(root: &Path, name: &str, files: &[&str]) -> PathBuf {
        let venv = root.join(name);
        let capi = venv.join("lib/python3.11/site-packages/onnxruntime/capi");
        std::fs::create_dir_all(&capi).unwrap();
        std::fs::write(venv.join("pyvenv.cfg"), "home = /usr/bin\n").unwrap();
        for f in files {
            std::fs::write(capi.join(f), b"").unwrap();
        }
        capi
    }

    #[test]
    fn finds_the_wheel_library_and_prefers_one_with_cuda() {
        if std::env::var_os("ORT_DYLIB_PATH").is_some()
            || std::env::var_os("SPATIALCLAW_PYTHON_ENV").is_some()
            || std::env::var_os("VIRTUAL_ENV").is_some()
        {
            return; // the environment decides; covered by tests/missing_library.rs
        }
        let dir = tempfile::tempdir().unwrap();
        let cpu = fake_venv(
            dir.path(),
            "venv-a",
            &[
                "libonnxruntime.so.1.31.1",
                "libonnxruntime_providers_shared.so",
            ],
        );
        fake_venv(dir.path(), "venv-b", &["onnxruntime_pybind11_state.so"]);
        let roots = vec![dir.path().to_owned()];
        assert_eq!(
            find_library(&roots).unwrap(),
            cpu.join("libonnxruntime.so.1.31.1")
        );
        let gpu = fake_venv(
            dir.path(),
            "venv-c",
            &[
                "libonnxruntime.so.1.31.1",
                "libonnxruntime_providers_cuda.so",
            ],
        );
        assert_eq!(
            find_library(&roots).unwrap(),
            gpu.join("libonnxruntime.so.1.31.1")
        );
        // A root that is itself a virtual environment.
        assert_eq!(
            find_library(&[dir.path().join("venv-a")]).unwrap(),
            cpu.join("libonnxruntime.so.1.31.1")
        );
        let err = find_library(&[dir.path().join("venv-b")]).unwrap_err();
        assert!(err.to_string().contains("venv-b"), "{err}");
    }
}
