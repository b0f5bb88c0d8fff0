//! Typed errors. Malformed run *content* never errors (it is shown on the page); these are the
//! failures that leave nothing to show: unreadable directories, unwritable output, a busy port.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a run directory: it has no config.json or predictions.jsonl")]
    NotARun { path: PathBuf },
    #[error("{path}: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error(
        "cannot listen on {addr}: {source}; pick another port with --bind 127.0.0.1:PORT \
         (another `spatialclaw view` may already be running there)"
    )]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("the report server stopped: {0}")]
    Serve(std::io::Error),
    #[error("no run directories given")]
    NoRuns,
}

impl ReportError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> ReportError {
        let path = path.into();
        move |source| ReportError::Io { path, source }
    }
}
