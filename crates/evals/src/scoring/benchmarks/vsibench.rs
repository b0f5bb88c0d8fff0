//! VSI-Bench (debiased "VSI-Bench-U" and original) and VSTI-Bench (evals-runs.md §1.3, peers.md §3.2).
//!
//! VSI record fields: `ground_truth`, `question_type`.
//! VSTI record fields: `ground_truth`, `mc_answer`, `options` (null for numeric questions), `question_type`.

use serde_json::json;

use super::aggregate::{Tallies, mean_or_zero};
use super::spbench::{macro_summary, numeric_gt};
use super::{Aggregation, Benchmark, Sample, SampleScore, Scored, Summary};
use crate::error::ScoreError;
use crate::scoring::extract::numbers::first_token_float;
use crate::scoring::extract::vsi_family::{vsi_mc, vsti_first_token};
use crate::scoring::mra::{ZeroPolicy, mra10_with};
use crate::scoring::pytext::{py_float, py_strip};
use crate::scoring::record::{category, field, require_text};

/// VSI-Bench multiple-choice types.
pub const VSI_MCA_TYPES: [&str; 6] = [
    "object_rel_direction_easy",
    "object_rel_direction_medium",
    "object_rel_direction_hard",
    "object_rel_distance",
    "route_planning",
    "obj_appearance_order",
];

/// VSI-Bench numeric types.
pub const VSI_NA_TYPES: [&str; 4] = [
    "object_abs_distance",
    "object_counting",
    "object_size_estimation",
    "room_size_estimation",
];

const DIRECTION_TYPES: [&str; 3] = [
    "object_rel_direction_easy",
    "object_rel_direction_medium",
    "object_rel_direction_hard",
];

/// VSI-Bench, in its debiased (`vsibench_unbiased`, the paper's) or original (`vsibench`) variant; both
/// score identically, only the data differs.
pub(crate) struct VsiBench {
    key: &'static str,
    display: &'static str,
}

impl VsiBench {
    pub(crate) const UNBIASED: VsiBench = VsiBench {
        key: "vsibench_unbiased",
        display: "VSI-Bench-U",
    };
    pub(crate) const ORIGINAL: VsiBench = VsiBench {
        key: "vsibench",
        display: "VSI-Bench",
    };
}

impl Benchmark for VsiBench {
    fn name(&self) -> &'static str {
        self.key
    }

    fn display_name(&self) -> &'static str {
        self.display
    }

    /// MCA: [`vsi_mc`] (boxed → marked letter → first token), case-insensitive equality.
    /// NA: official strict first-token float, MRA10 if the ground truth is non-zero, else 0.
    fn score(&self, s: &Sample<'_>) -> Result<SampleScore, ScoreError> {
        let qt = category(s.question_type, s.truth, &["question_type"]);
        let gt = require_text(s.truth, &["ground_truth", "answer"], self.key, s.sample_id)?;
        if VSI_MCA_TYPES.contains(&qt.as_str()) {
            let got = vsi_mc(s.prediction);
            let ok = got.to_lowercase() == py_strip(&gt).to_lowercase();
            return Ok(SampleScore::binary(ok, got, qt));
        }
        if VSI_NA_TYPES.contains(&qt.as_str()) {
            let target = numeric_gt(self.key, s, &gt, "ground_truth")?;
            let pred = first_token_float(s.prediction);
            let v = pred.map_or(0.0, |p| mra10_with(p, target, ZeroPolicy::ScoreZero));
            return Ok(SampleScore::same(
                v,
                pred.map(|p| p.to_string()).unwrap_or_default(),
                qt,
            ));
        }
        Ok(SampleScore::same(0.0, "", qt))
    }

    /// Per-type means; the three `object_rel_direction_*` difficulties are replaced by their mean
    /// (`object_rel_direction`); overall = mean of the resulting task scores (8 on the full set).
    fn aggregate(&self, scored: &[Scored<'_>]) -> Result<Summary, ScoreError> {
        let mut per_type = Tallies::default();
        for s in scored {
            per_type.add(s.score.category.clone(), s.score.score.unwrap_or(0.0));
        }
        let mut tasks: Vec<(String, f64)> = Vec::new();
        let dirs: Vec<f64> = DIRECTION_TYPES
            .iter()
            .filter_map(|t| per_type.get(t))
            .map(|t| t.mean())
            .collect();
        if !dirs.is_empty() {
            tasks.push(("object_rel_direction".into(), mean_or_zero(&dirs)));
        }
        for (k, t) in &per_type.0 {
            if !DIRECTION_TYPES.contains(&k.as_str()) {
                tasks.push((k.clone(), t.mean()));
            }
        }
        let overall = mean_or_zero(&tasks.iter().map(|(_, v)| *v).collect::<Vec<_>>());
        let mut summary = macro_summary(self.key, &per_type, overall, scored.len());
        let task_json: serde_json::Map<String, serde_json::Value> =
            tasks.into_iter().map(|(k, v)| (k, json!(v))).collect();
        summary
            .fields
            .insert("task_scores".into(), serde_json::Value::Object(task_json));
        Ok(summary)
    }
}

/// VSTI-Bench.
pub(crate) struct VstiBench;

const VSTI: &str = "vstibench";

impl Benchmark for VstiBench {
    fn name(&self) -> &'static str {
        VSTI
    }

    fn display_name(&self) -> &'static str {
        "VSTI-Bench"
    }

    /// A sample is MCA exactly when `options` is not null. The prediction is only its first token with
    /// trailing dots stripped ([`vsti_first_token`]; no `\boxed{}`). MCA: case-insensitive equality with
    /// `mc_answer`; NA: that token as a float, MRA10 if the ground truth is non-zero, else 0.
    fn score(&self, s: &Sample<'_>) -> Result<SampleScore, ScoreError> {
        let qt = category(s.question_type, s.truth, &["question_type"]);
        let token = vsti_first_token(s.prediction);
        if field(s.truth, "options").is_some() {
            let gt = require_text(s.truth, &["mc_answer", "ground_truth"], VSTI, s.sample_id)?;
            let ok = token.to_lowercase() == py_strip(&gt).to_lowercase();
            return Ok(SampleScore::binary(ok, token, qt));
        }
        let gt = require_text(s.truth, &["ground_truth"], VSTI, s.sample_id)?;
        let target = numeric_gt(VSTI, s, &gt, "ground_truth")?;
        let v = py_float(&token).map_or(0.0, |p| mra10_with(p, target, ZeroPolicy::ScoreZero));
        Ok(SampleScore::same(v, token, qt))
    }

    /// Mean over question types ×100, written as `overall_score`.
    fn aggregate(&self, scored: &[Scored<'_>]) -> Result<Summary, ScoreError> {
        let mut per_type = Tallies::default();
        for s in scored {
            per_type.add(s.score.category.clone(), s.score.score.unwrap_or(0.0));
        }
        let score = per_type.macro_mean() * 100.0;
        let mut fields = serde_json::Map::new();
        fields.insert("total_samples".into(), json!(scored.len()));
        fields.insert("overall_score".into(), json!(score));
        fields.insert("by_question_type".into(), per_type.to_json(100.0));
        Ok(Summary {
            benchmark: VSTI,
            headline_key: "overall_score",
            headline: score,
            headline_fraction: score / 100.0,
            aggregation: Aggregation::Macro,
            total_samples: scored.len(),
            fields,
        })
    }
}
