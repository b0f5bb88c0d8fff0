//! DSI-Bench (evals-runs.md §1.3): the official "sample-wise" protocol — micro accuracy over all
//! augmentations — with per-category and per-augmentation breakdowns and `failed_extractions`.
//! The group-wise (≥3 of 4 augmentations) protocol is not implemented by the original either.
//!
//! Record fields: `GT` (or `answer`), `cate` (0–5) or `category`, `augmentation` (else the prefix of the
//! sample id `"{aug}__row_NNNNNN"`).

use serde_json::json;

use super::aggregate::{by_category, micro};
use super::{Benchmark, Sample, SampleScore, Scored, Summary};
use crate::error::ScoreError;
use crate::scoring::extract::dsi::dsi;
use crate::scoring::pytext::py_strip;
use crate::scoring::record::{index, require_text, text};

pub(crate) struct DsiBench;

const NAME: &str = "dsibench";

/// Category names by `cate` code.
pub const DSI_CATEGORIES: [&str; 6] = [
    "Obj:static cam",
    "Obj:moving cam",
    "Cam:static scene",
    "Cam:dynamic scene",
    "Obj-Cam distance",
    "Obj-Cam orientation",
];

fn dsi_category(s: &Sample<'_>) -> String {
    if !s.question_type.is_empty() {
        return s.question_type.to_string();
    }
    index(s.truth, "cate")
        .and_then(|c| DSI_CATEGORIES.get(c as usize).map(|n| n.to_string()))
        .or_else(|| text(s.truth, &["category", "cate"]))
        .unwrap_or_else(|| "unknown".into())
}

fn augmentation(s: &Scored<'_>) -> Option<String> {
    text(s.sample.truth, &["augmentation", "aug"]).or_else(|| {
        s.sample
            .sample_id
            .split_once("__")
            .map(|(a, _)| a.to_string())
    })
}

impl Benchmark for DsiBench {
    fn name(&self) -> &'static str {
        NAME
    }

    fn display_name(&self) -> &'static str {
        "DSI-Bench"
    }

    fn score(&self, s: &Sample<'_>) -> Result<SampleScore, ScoreError> {
        let gt = py_strip(&require_text(
            s.truth,
            &["GT", "answer"],
            NAME,
            s.sample_id,
        )?)
        .to_uppercase();
        let got = dsi(s.prediction);
        Ok(SampleScore::binary(
            !got.is_empty() && got == gt,
            got,
            dsi_category(s),
        ))
    }

    fn aggregate(&self, scored: &[Scored<'_>]) -> Result<Summary, ScoreError> {
        let mut summary = micro(
            NAME,
            scored,
            &[
                ("by_category", &by_category),
                ("by_augmentation", &augmentation),
            ],
        );
        let failed = scored
            .iter()
            .filter(|s| s.score.extracted.is_empty())
            .count();
        summary
            .fields
            .insert("failed_extractions".into(), json!(failed));
        Ok(summary)
    }
}
