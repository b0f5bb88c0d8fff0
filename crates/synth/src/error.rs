//! Typed errors of the synth crate.

use thiserror::Error;

/// Everything that can go wrong when building cameras, encoding frames or sampling questions.
/// Messages say what was wrong and what a caller can change.
#[derive(Debug, Error)]
pub enum SynthError {
    #[error(
        "invalid intrinsics: {0} (need finite fx, fy > 0, finite cx, cy and 1..=8192 px per side)"
    )]
    InvalidIntrinsics(String),
    #[error(
        "invalid camera pose: {0} (need a finite camera-to-world matrix with an orthonormal, right-handed rotation and last row 0 0 0 1)"
    )]
    InvalidPose(String),
    #[error("cannot build a look-at camera: {0}")]
    InvalidLookAt(String),
    #[error("PNG encoding failed: {0}")]
    Png(#[from] png::EncodingError),
    #[error("{0}")]
    Unsupported(String),
    #[error("no valid {what} found for seed {seed} after {attempts} attempts; try another seed")]
    NoValidSample {
        what: &'static str,
        seed: u64,
        attempts: u32,
    },
}
