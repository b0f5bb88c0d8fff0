//! SPBench (evals-runs.md §1.3): VSI-style MCA and NA types, macro mean over question types.
//!
//! Record fields: `ground_truth`, `question_type`, `options` (list of "A. text" or a JSON string).

use serde_json::json;

use super::aggregate::Tallies;
use super::{Aggregation, Benchmark, Sample, SampleScore, Scored, Summary};
use crate::error::ScoreError;
use crate::scoring::extract::numbers::number_word_or_first_unsigned;
use crate::scoring::extract::vsi_family::spbench_mc;
use crate::scoring::mra::{ZeroPolicy, mra10_with};
use crate::scoring::pytext::{py_float, py_strip};
use crate::scoring::record::{category, require_text, string_list};

pub(crate) struct SpBench;

const NAME: &str = "spbench";

/// Multiple-choice question types.
pub const SPBENCH_MCA_TYPES: [&str; 5] = [
    "object_rel_direction",
    "object_rel_direction_easy",
    "object_rel_direction_medium",
    "object_rel_direction_hard",
    "object_rel_distance",
];

/// Numeric-answer question types.
pub const SPBENCH_NA_TYPES: [&str; 4] = [
    "object_abs_distance",
    "object_counting",
    "object_size_estimation",
    "room_size_estimation",
];

/// Parses a numeric ground truth or reports which sample has a broken one.
pub(crate) fn numeric_gt(
    bench: &'static str,
    s: &Sample<'_>,
    gt: &str,
    field: &'static str,
) -> Result<f64, ScoreError> {
    py_float(gt).ok_or_else(|| ScoreError::InvalidField {
        benchmark: bench,
        sample_id: s.sample_id.to_string(),
        field,
        value: gt.to_string(),
        reason: "numeric question without a numeric ground truth",
    })
}

/// Macro summary over question types with `overall_accuracy` and `overall_accuracy_pct`.
pub(crate) fn macro_summary(
    bench: &'static str,
    per_type: &Tallies,
    overall: f64,
    total: usize,
) -> Summary {
    let mut fields = serde_json::Map::new();
    fields.insert("total_samples".into(), json!(total));
    fields.insert("overall_accuracy".into(), json!(overall));
    fields.insert("overall_accuracy_pct".into(), json!(overall * 100.0));
    fields.insert("by_question_type".into(), per_type.to_json(1.0));
    Summary {
        benchmark: bench,
        headline_key: "overall_accuracy",
        headline: overall,
        headline_fraction: overall,
        aggregation: Aggregation::Macro,
        total_samples: total,
        fields,
    }
}

impl Benchmark for SpBench {
    fn name(&self) -> &'static str {
        NAME
    }

    fn display_name(&self) -> &'static str {
        "SPBench"
    }

    /// MCA: [`spbench_mc`] compared case-insensitively. NA: number words then the first unsigned number,
    /// MRA10 if the ground truth is non-zero, else 0. Unknown question types score 0.
    fn score(&self, s: &Sample<'_>) -> Result<SampleScore, ScoreError> {
        let qt = category(s.question_type, s.truth, &["question_type"]);
        let gt = require_text(s.truth, &["ground_truth", "answer"], NAME, s.sample_id)?;
        if SPBENCH_MCA_TYPES.contains(&qt.as_str()) {
            let options = string_list(s.truth, "options");
            let got = spbench_mc(s.prediction, &options);
            let ok = got.to_lowercase() == py_strip(&gt).to_lowercase();
            return Ok(SampleScore::binary(ok, got, qt));
        }
        if SPBENCH_NA_TYPES.contains(&qt.as_str()) {
            let target = numeric_gt(NAME, s, &gt, "ground_truth")?;
            let pred = number_word_or_first_unsigned(s.prediction);
            let v = pred.map_or(0.0, |p| mra10_with(p, target, ZeroPolicy::ScoreZero));
            return Ok(SampleScore::same(
                v,
                pred.map(|p| p.to_string()).unwrap_or_default(),
                qt,
            ));
        }
        Ok(SampleScore::same(0.0, "", qt))
    }

    fn aggregate(&self, scored: &[Scored<'_>]) -> Result<Summary, ScoreError> {
        let mut per_type = Tallies::default();
        for s in scored {
            per_type.add(s.score.category.clone(), s.score.score.unwrap_or(0.0));
        }
        Ok(macro_summary(
            NAME,
            &per_type,
            per_type.macro_mean(),
            scored.len(),
        ))
    }
}
