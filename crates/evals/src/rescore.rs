//! Re-scoring a predictions file against the benchmark's data: what `spatialclaw eval` does.
//!
//! Reads the original's `predictions.jsonl` (`sample_id`, `content`, `ground_truth`, `result`,
//! `usage`; the CoT baseline's lines also carry `extracted`, which its evaluation uses) or ours (the
//! same keys). Like the original's final step, every line is read and the last line of a repeated id
//! wins. The ground truth comes from the data, not from the file's `ground_truth` strings, because
//! several scorers need typed fields (answer types, categories, groups).
//!
//! Which samples are scored: by default the dataset samples that have a prediction, in data order
//! (so a `--subsample` run is scored on its own subset); with `all`, every sample, a missing
//! prediction scoring as `""` like the original; with `subsample`, the original's seed-42 subset in
//! its shuffled order (missing predictions score `""`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;
use thiserror::Error;

use crate::error::ScoreError;
use crate::loaders::{LoadedSample, Sample, SampleError};
use crate::scoring::benchmarks::{Benchmark, SampleScore, Summary};
use crate::scoring::record::py_str;
use crate::subsample::subsample_indices;

/// Why a predictions file could not be re-scored.
#[derive(Debug, Error)]
pub enum RescoreError {
    #[error("cannot read predictions file {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: no usable prediction lines ({malformed} malformed)", path.display())]
    Empty { path: PathBuf, malformed: usize },
    #[error(transparent)]
    Score(#[from] ScoreError),
}

/// The predictions of a file, by sample id (last line wins), plus the lines that could not be used.
#[derive(Debug, Clone, Default)]
pub struct Predictions {
    pub by_id: HashMap<String, String>,
    /// `line N: reason` for each unusable line.
    pub malformed: Vec<String>,
}

/// The scored text of one line: `extracted` (CoT baseline), else `content`, else `prediction`.
fn prediction_text(v: &Value) -> Option<String> {
    ["extracted", "content", "prediction"]
        .iter()
        .find_map(|k| v.get(*k))
        .map(|x| match x {
            Value::Null => String::new(),
            other => py_str(other),
        })
}

/// Reads a predictions JSONL file.
pub fn read_predictions(path: &Path) -> Result<Predictions, RescoreError> {
    let text = std::fs::read_to_string(path).map_err(|source| RescoreError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut p = Predictions::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                p.malformed.push(format!("line {}: not JSON ({e})", i + 1));
                continue;
            }
        };
        let Some(id) = v.get("sample_id").filter(|x| !x.is_null()).map(py_str) else {
            p.malformed.push(format!("line {}: no sample_id", i + 1));
            continue;
        };
        let Some(content) = prediction_text(&v) else {
            p.malformed.push(format!("line {}: no content", i + 1));
            continue;
        };
        p.by_id.insert(id, content);
    }
    if p.by_id.is_empty() {
        return Err(RescoreError::Empty {
            path: path.to_path_buf(),
            malformed: p.malformed.len(),
        });
    }
    Ok(p)
}

/// Which samples to score.
#[derive(Debug, Clone, Copy, Default)]
pub struct Selection {
    /// Score every sample (a missing prediction scores `""`).
    pub all: bool,
    /// The original's `--subsample N` (seed 42 shuffle, first N, in shuffled order).
    pub subsample: Option<usize>,
    pub seed: u64,
}

/// One scored sample.
#[derive(Debug, Clone, Serialize)]
pub struct ScoredSample {
    pub sample_id: String,
    pub content: String,
    pub ground_truth: String,
    pub has_prediction: bool,
    #[serde(flatten)]
    pub score: SampleScore,
}

/// The outcome of a re-scoring.
#[derive(Debug, Clone)]
pub struct Rescored {
    pub summary: Summary,
    pub samples: Vec<ScoredSample>,
    /// Selected samples with no prediction (scored as `""`).
    pub missing_predictions: usize,
    /// Prediction ids that match no loadable sample of the dataset.
    pub unknown_ids: Vec<String>,
    /// Selected samples that could not be loaded (not scored).
    pub load_errors: Vec<SampleError>,
}

/// Scores `predictions` on `samples` (the loader's output, in data order) with `bench`.
pub fn rescore(
    bench: &dyn Benchmark,
    samples: &[LoadedSample],
    predictions: &Predictions,
    sel: Selection,
) -> Result<Rescored, RescoreError> {
    let order: Vec<usize> = match sel.subsample {
        Some(n) => subsample_indices(samples.len(), n, sel.seed),
        None => (0..samples.len()).collect(),
    };
    let explicit = sel.all || sel.subsample.is_some();
    let mut chosen: Vec<(&Sample, Option<&String>)> = Vec::new();
    let mut load_errors = Vec::new();
    for i in order {
        match &samples[i] {
            Ok(s) => {
                let p = predictions.by_id.get(&s.id);
                if explicit || p.is_some() {
                    chosen.push((s, p));
                }
            }
            Err(e) => {
                if explicit || predictions.by_id.contains_key(&e.id) {
                    load_errors.push(e.clone());
                }
            }
        }
    }
    let empty = String::new();
    let views: Vec<_> = chosen
        .iter()
        .map(|(s, p)| s.scoring(p.unwrap_or(&empty)))
        .collect();
    let eval = bench.evaluate(&views)?;
    let known: std::collections::HashSet<&str> = samples
        .iter()
        .map(|s| match s {
            Ok(s) => s.id.as_str(),
            Err(e) => e.id.as_str(),
        })
        .collect();
    let mut unknown_ids: Vec<String> = predictions
        .by_id
        .keys()
        .filter(|k| !known.contains(k.as_str()))
        .cloned()
        .collect();
    unknown_ids.sort();
    let missing_predictions = chosen.iter().filter(|(_, p)| p.is_none()).count();
    let out = chosen
        .iter()
        .zip(eval.scores)
        .map(|((s, p), score)| ScoredSample {
            sample_id: s.id.clone(),
            content: p.cloned().unwrap_or_default(),
            ground_truth: s.answer.clone(),
            has_prediction: p.is_some(),
            score,
        })
        .collect();
    Ok(Rescored {
        summary: eval.summary,
        samples: out,
        missing_predictions,
        unknown_ids,
        load_errors,
    })
}
