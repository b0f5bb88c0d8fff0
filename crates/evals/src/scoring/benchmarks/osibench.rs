//! OSI-Bench (evals-runs.md §1.3): MCQ categories with the VSI chain, numerical categories with
//! zero-aware MRA; micro mean of per-sample scores, per-category scores ×100.
//!
//! Record fields: `answer`, `category` (the `question_type` key), `question_type` ("mcq"/"numerical",
//! used for categories outside the known lists).

use super::aggregate::{Tallies, micro};
use super::spbench::numeric_gt;
use super::{Benchmark, Sample, SampleScore, Scored, Summary};
use crate::error::ScoreError;
use crate::scoring::extract::boxed::first_boxed;
use crate::scoring::extract::numbers::first_signed_number;
use crate::scoring::extract::vsi_family::vsi_mc;
use crate::scoring::mra::{ZeroPolicy, mra10_with};
use crate::scoring::pytext::py_strip;
use crate::scoring::record::{category, require_text, text};

pub(crate) struct OsiBench;

const NAME: &str = "osibench";

/// Multiple-choice categories.
pub const OSI_MCQ_CATEGORIES: [&str; 3] = [
    "trajectory_description",
    "relative_distance",
    "relative_direction_categorical_ordinal",
];

/// Numerical categories.
pub const OSI_NUMERICAL_CATEGORIES: [&str; 6] = [
    "absolute_speed",
    "absolute_displacement",
    "absolute_distance",
    "object_3d_localization",
    "depth_aware_counting",
    "trajectory_length",
];

/// The zero-target rule per numerical category: a 0.30 zero-threshold for speed and displacement, 2.0 for
/// trajectory length, "exact zero" elsewhere.
pub fn osi_zero_policy(category: &str) -> ZeroPolicy {
    match category {
        "absolute_speed" | "absolute_displacement" => ZeroPolicy::Threshold(0.30),
        "trajectory_length" => ZeroPolicy::Threshold(2.0),
        _ => ZeroPolicy::Exact,
    }
}

/// A boxed number (first signed number inside the first box), else the first signed number anywhere.
fn osi_number(text: &str) -> Option<f64> {
    first_boxed(text)
        .and_then(first_signed_number)
        .or_else(|| first_signed_number(text))
}

impl Benchmark for OsiBench {
    fn name(&self) -> &'static str {
        NAME
    }

    fn display_name(&self) -> &'static str {
        "OSI-Bench"
    }

    fn score(&self, s: &Sample<'_>) -> Result<SampleScore, ScoreError> {
        let cat = category(s.question_type, s.truth, &["category"]);
        let gt = require_text(s.truth, &["answer", "ground_truth"], NAME, s.sample_id)?;
        let numerical = if OSI_NUMERICAL_CATEGORIES.contains(&cat.as_str()) {
            true
        } else if OSI_MCQ_CATEGORIES.contains(&cat.as_str()) {
            false
        } else {
            text(s.truth, &["question_type"]).is_some_and(|q| q.eq_ignore_ascii_case("numerical"))
        };
        if numerical {
            let target = numeric_gt(NAME, s, &gt, "answer")?;
            let pred = osi_number(s.prediction);
            let v = pred.map_or(0.0, |p| mra10_with(p, target, osi_zero_policy(&cat)));
            return Ok(SampleScore::same(
                v,
                pred.map(|p| p.to_string()).unwrap_or_default(),
                cat,
            ));
        }
        let got = vsi_mc(s.prediction);
        let ok = got.to_lowercase() == py_strip(&gt).to_lowercase();
        Ok(SampleScore::binary(ok, got, cat))
    }

    fn aggregate(&self, scored: &[Scored<'_>]) -> Result<Summary, ScoreError> {
        let mut summary = micro(NAME, scored, &[]);
        let mut per_cat = Tallies::default();
        for s in scored {
            per_cat.add(s.score.category.clone(), s.score.score.unwrap_or(0.0));
        }
        summary.fields.insert(
            "overall_accuracy_pct".into(),
            serde_json::json!(summary.headline * 100.0),
        );
        summary
            .fields
            .insert("by_category".into(), per_cat.to_json(100.0));
        Ok(summary)
    }
}
