//! SpatialTree-Bench (evals-runs.md §1.3): dispatch on metricfunc and question type; samples judged by
//! an LLM or by mask/navigation metrics are unscoreable (`None`) and excluded from every mean.
//!
//! Record fields: `answer`, `question_type` (multiple-choice / open / judge), and `metricfunc`, `spatree0`
//! (level), `spatree1` (category), `spatree2` (subcategory) either at the top level or inside
//! `extra_info` (an object or a JSON string).

use serde_json::{Value, json};

use super::aggregate::{Tallies, micro};
use super::{Benchmark, Sample, SampleScore, Scored, Summary};
use crate::error::ScoreError;
use crate::scoring::extract::numbers::number_word_or_first_unsigned;
use crate::scoring::extract::simple::spatialtree_judge;
use crate::scoring::extract::vsi_family::spatialtree_mc;
use crate::scoring::mra::{ZeroPolicy, mra10_with};
use crate::scoring::pytext::{py_float, py_strip, rstrip_dots};
use crate::scoring::record::{field, py_str, require_text, text};

pub(crate) struct SpatialTree;

const NAME: &str = "spatialtree";

/// Metric functions with no automatic score (LLM judge, masks, agents): the sample scores `None`.
pub const UNSCOREABLE_METRICFUNCS: [&str; 6] = [
    "gpteval",
    "cogmapeval",
    "affmask",
    "manipulateeval",
    "agenticnaveval",
    "gravityeval",
];

/// Metric functions scored with MRA10 (zero target → 0).
pub const MRA_METRICFUNCS: [&str; 4] = [
    "meanrelativeacc",
    "meanrelativeacc2",
    "angulardifference",
    "l2distance",
];

/// A field from the top level of the record, else from its `extra_info`.
fn extra(truth: &Value, key: &str) -> Option<String> {
    if let Some(v) = text(truth, &[key]) {
        return Some(v);
    }
    let info = field(truth, "extra_info")?;
    let parsed;
    let obj = match info {
        Value::String(s) => {
            parsed = serde_json::from_str::<Value>(s).ok()?;
            &parsed
        }
        other => other,
    };
    field(obj, key).map(py_str)
}

fn mra_or_zero(pred: Option<f64>, target: Option<f64>) -> f64 {
    match (pred, target) {
        (Some(p), Some(t)) => mra10_with(p, t, ZeroPolicy::ScoreZero),
        _ => 0.0,
    }
}

impl Benchmark for SpatialTree {
    fn name(&self) -> &'static str {
        NAME
    }

    fn display_name(&self) -> &'static str {
        "SpatialTree"
    }

    /// Dispatch, in order: unscoreable metricfunc → `None`; multiple-choice → [`spatialtree_mc`] exact
    /// (case-insensitive); MRA metricfunc → number word or first number, MRA10 (0 at a zero target);
    /// judge → last "yes" vs last "no" substring; otherwise MRA when both sides parse as numbers, else
    /// lower-cased string equality.
    fn score(&self, s: &Sample<'_>) -> Result<SampleScore, ScoreError> {
        let qt = if s.question_type.is_empty() {
            text(s.truth, &["question_type"]).unwrap_or_default()
        } else {
            s.question_type.to_string()
        };
        let metric = extra(s.truth, "metricfunc").unwrap_or_default();
        let gt = require_text(s.truth, &["answer"], NAME, s.sample_id)?;
        if UNSCOREABLE_METRICFUNCS.contains(&metric.as_str()) {
            return Ok(SampleScore {
                result: None,
                score: None,
                extracted: String::new(),
                category: qt,
            });
        }
        if qt == "multiple-choice" {
            let got = spatialtree_mc(s.prediction);
            let ok = got.to_uppercase() == py_strip(&gt).to_uppercase();
            return Ok(SampleScore::binary(ok, got, qt));
        }
        if MRA_METRICFUNCS.contains(&metric.as_str()) {
            let pred = number_word_or_first_unsigned(s.prediction);
            let target = py_float(&gt).ok_or_else(|| ScoreError::InvalidField {
                benchmark: NAME,
                sample_id: s.sample_id.to_string(),
                field: "answer",
                value: gt.clone(),
                reason: "MRA metric without a numeric ground truth",
            })?;
            let v = mra_or_zero(pred, Some(target));
            return Ok(SampleScore::same(
                v,
                pred.map(|p| p.to_string()).unwrap_or_default(),
                qt,
            ));
        }
        if qt == "judge" {
            let got = spatialtree_judge(s.prediction);
            let want = py_strip(rstrip_dots(py_strip(&gt))).to_lowercase();
            return Ok(SampleScore::binary(!got.is_empty() && got == want, got, qt));
        }
        let (p, t) = (py_float(s.prediction), py_float(&gt));
        if p.is_some() && t.is_some() {
            return Ok(SampleScore::same(
                mra_or_zero(p, t),
                py_strip(s.prediction),
                qt,
            ));
        }
        let got = py_strip(s.prediction).to_lowercase();
        let ok = got == py_strip(&gt).to_lowercase();
        Ok(SampleScore::binary(ok, got, qt))
    }

    /// Micro over scored samples; breakdowns per level, level/category, level/category/subcategory,
    /// question type and metricfunc. `total_samples` counts every sample, `scored_samples` the others.
    fn aggregate(&self, scored: &[Scored<'_>]) -> Result<Summary, ScoreError> {
        let mut summary = micro(NAME, scored, &[]);
        let scored_n = summary.total_samples;
        let mut tallies: [Tallies; 5] = Default::default();
        for s in scored {
            let Some(v) = s.score.score else { continue };
            let t = s.sample.truth;
            let l0 = extra(t, "spatree0").unwrap_or_else(|| "unknown".into());
            let l1 = extra(t, "spatree1").unwrap_or_else(|| "unknown".into());
            let l2 = extra(t, "spatree2").unwrap_or_else(|| "unknown".into());
            tallies[0].add(l0.clone(), v);
            tallies[1].add(format!("{l0}/{l1}"), v);
            tallies[2].add(format!("{l0}/{l1}/{l2}"), v);
            tallies[3].add(s.score.category.clone(), v);
            tallies[4].add(
                extra(t, "metricfunc").unwrap_or_else(|| "unknown".into()),
                v,
            );
        }
        let names = [
            "by_level",
            "by_level_category",
            "by_level_category_subcategory",
            "by_question_type",
            "by_metricfunc",
        ];
        for (name, t) in names.into_iter().zip(tallies.iter()) {
            summary.fields.insert(name.into(), t.to_json(1.0));
        }
        summary.total_samples = scored.len();
        summary
            .fields
            .insert("total_samples".into(), json!(scored.len()));
        summary
            .fields
            .insert("scored_samples".into(), json!(scored_n));
        summary.fields.insert(
            "overall_accuracy_pct".into(),
            json!(summary.headline * 100.0),
        );
        Ok(summary)
    }
}
