//! spatialclaw-evals: benchmark scoring, aggregation and subsampling that reproduce the original
//! SpatialClaw evaluation numbers (docs: `shared/reference/evals-runs.md`).
//!
//! * [`scoring::mra`] — Mean Relative Accuracy with numpy-exact thresholds and every zero-target variant.
//! * [`scoring::extract`] — the per-benchmark answer-extraction chains, quirks included.
//! * [`scoring::benchmarks`] — one scorer per benchmark behind the [`scoring::benchmarks::Benchmark`] trait,
//!   plus the registry ([`scoring::benchmarks::benchmark`], [`scoring::benchmarks::names`]).
//! * [`scoring::suite`] — the 20-benchmark average under the released-code and the paper protocol.
//! * [`subsample`] — a bit-exact port of CPython's `random.seed(int)` + `random.shuffle`, so
//!   `--subsample N` selects the same samples as the original.
//!
//! Loaders (reading the datasets from disk) are not here yet; scorers take the ground-truth record
//! as a `serde_json::Value` whose fields are the dataset's own column names.

pub mod error;
pub mod scoring;
pub mod subsample;

pub use error::ScoreError;
pub use scoring::benchmarks::{Benchmark, Sample, SampleScore, Scored, Summary, benchmark, names};
pub use scoring::mra::{mean_relative_accuracy, mra10};
