//! Typed errors of the scoring layer.
//!
//! A malformed *prediction* never produces an error: it scores 0 (or whatever the original does with it).
//! Errors are reserved for malformed *ground-truth records* and invalid scoring parameters, which mean the
//! loader or the caller is wrong and a silent 0 would hide it.

use thiserror::Error;

/// Why a sample or a benchmark could not be scored.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ScoreError {
    /// The ground-truth record lacks a field the benchmark needs.
    #[error(
        "{benchmark}: ground-truth record of sample {sample_id:?} has no field {field:?}; check the loader output"
    )]
    MissingField {
        benchmark: &'static str,
        sample_id: String,
        field: &'static str,
    },

    /// A ground-truth field exists but cannot be interpreted.
    #[error(
        "{benchmark}: sample {sample_id:?} field {field:?} has an unusable value {value}: {reason}"
    )]
    InvalidField {
        benchmark: &'static str,
        sample_id: String,
        field: &'static str,
        value: String,
        reason: &'static str,
    },

    /// Invalid parameters for Mean Relative Accuracy.
    #[error(transparent)]
    Mra(#[from] crate::scoring::mra::MraError),
}
