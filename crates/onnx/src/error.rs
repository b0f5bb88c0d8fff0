//! What can go wrong before or while models run, each with what to do next.

use std::path::PathBuf;

use spatialclaw_perception::PerceptionError;

/// The one-line remedy for a missing onnxruntime library.
pub const INSTALL_HINT: &str = "install onnxruntime into the kernel's virtual environment \
(`<venv>/bin/python -m pip install onnxruntime`, or `onnxruntime-gpu` for CUDA) or set \
ORT_DYLIB_PATH to libonnxruntime.so (it lives in site-packages/onnxruntime/capi/ of the pip wheel)";

#[derive(Debug, thiserror::Error)]
pub enum OnnxError {
    #[error("no onnxruntime shared library found (looked in: {searched}); {hint}", hint = INSTALL_HINT)]
    LibraryNotFound { searched: String },
    #[error("cannot load onnxruntime from {path}: {why}; {hint}", hint = INSTALL_HINT)]
    LibraryLoad { path: PathBuf, why: String },
    #[error(
        "onnxruntime is already loaded from {loaded}; cannot switch to {wanted} in the same process"
    )]
    LibraryConflict { loaded: PathBuf, wanted: PathBuf },
    #[error("model manifest {path}: {why}")]
    Manifest { path: PathBuf, why: String },
    #[error("{what} {path} does not exist (named in the model manifest)")]
    MissingModel { what: String, path: PathBuf },
    #[error("cannot open the ONNX model {path}: {why}")]
    Session { path: PathBuf, why: String },
    #[error("model {model} does not match the manifest: {why}")]
    Signature { model: String, why: String },
    #[error("running {model} failed: {why}")]
    Run { model: String, why: String },
}

impl From<OnnxError> for PerceptionError {
    fn from(e: OnnxError) -> Self {
        PerceptionError::Failed(format!("onnx backend: {e}"))
    }
}
