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
//! * [`loaders`] — the 20 benchmarks (+ the original VSI-Bench) read from the original's on-disk layout
//!   into [`loaders::Sample`]s (instruction, images, videos, reference images, ground-truth record);
//!   a bad record fails only its sample ([`loaders::LoadedSample`]).
//! * [`video`] / [`frames`] — ffmpeg frame extraction into a parameter-keyed cache with absolute frame
//!   indices, and key-frame selection.
//! * [`image_check`] — header and framing checks of input images (size limit, truncation,
//!   corruption) before anything decodes them.
//! * [`rescore`] — re-scoring a `predictions.jsonl` against the data (`spatialclaw eval`).
//! * [`fetch`] — resumable, verified downloads from the Hugging Face hub (`spatialclaw data fetch`).
//!
//! Scorers take the ground-truth record as a `serde_json::Value` whose fields are the dataset's own
//! column names; the loaders produce exactly those records.

pub mod error;
pub mod fetch;
pub mod frames;
#[doc(hidden)]
pub mod fuzz_support;
pub mod image_check;
pub mod loaders;
pub mod rescore;
pub mod scoring;
pub mod store;
pub mod subsample;
pub mod video;

pub use error::ScoreError;
pub use scoring::benchmarks::{Benchmark, Sample, SampleScore, Scored, Summary, benchmark, names};
pub use scoring::mra::{mean_relative_accuracy, mra10};
