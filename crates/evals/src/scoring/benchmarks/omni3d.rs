//! Omni3D-Bench (evals-runs.md §1.3, §2.3): typed answers scored by type, headline = the sample-weighted
//! mix of float MRA (strict thresholds) and int/str accuracy.
//!
//! Record fields: `answer` (typed), `answer_type` ∈ {float, int, str} (also the `question_type` key).
//!
//! **\[QUIRK\]** The per-sample `result` of a float answer is binary `rel_err < 0.1`, while its aggregate
//! contribution is the strict-threshold MRA; we reproduce both.

use serde_json::{Value, json};

use super::aggregate::Tally;
use super::{Aggregation, Benchmark, Sample, SampleScore, Scored, Summary};
use crate::error::ScoreError;
use crate::scoring::extract::simple::omni3d;
use crate::scoring::mra::{omni3d_mra, omni3d_relative_error};
use crate::scoring::pytext::{py_float, py_round_int, py_strip};
use crate::scoring::record::{category, field, require_text};

pub(crate) struct Omni3d;

const NAME: &str = "omni3d";

fn invalid(s: &Sample<'_>, field: &'static str, value: &Value, reason: &'static str) -> ScoreError {
    ScoreError::InvalidField {
        benchmark: NAME,
        sample_id: s.sample_id.to_string(),
        field,
        value: value.to_string(),
        reason,
    }
}

/// `float(gt)` for a typed or stringified ground truth.
fn gt_number(s: &Sample<'_>) -> Result<f64, ScoreError> {
    let v = field(s.truth, "answer").ok_or_else(|| ScoreError::MissingField {
        benchmark: NAME,
        sample_id: s.sample_id.to_string(),
        field: "answer",
    })?;
    let n = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(t) => py_float(t),
        _ => None,
    };
    n.ok_or_else(|| invalid(s, "answer", v, "not a number"))
}

impl Benchmark for Omni3d {
    fn name(&self) -> &'static str {
        NAME
    }

    fn display_name(&self) -> &'static str {
        "Omni3D"
    }

    fn score(&self, s: &Sample<'_>) -> Result<SampleScore, ScoreError> {
        let kind = category(s.question_type, s.truth, &["answer_type"]);
        let extracted = omni3d(s.prediction);
        let pred = py_float(&extracted);
        match kind.as_str() {
            "int" => {
                // `int(gt)` truncates a float ground truth toward zero.
                let gt = gt_number(s)?.trunc();
                let ok = pred.and_then(py_round_int).is_some_and(|p| p == gt);
                Ok(SampleScore::binary(ok, extracted, kind))
            }
            "float" => {
                let gt = gt_number(s)?;
                let (result, score) = match pred {
                    Some(p) if p.is_finite() => (
                        f64::from(u8::from(omni3d_relative_error(p, gt) < 0.1)),
                        omni3d_mra(p, gt),
                    ),
                    _ => (0.0, 0.0),
                };
                Ok(SampleScore {
                    result: Some(result),
                    score: Some(score),
                    extracted,
                    category: kind,
                })
            }
            "str" => {
                let gt = require_text(s.truth, &["answer"], NAME, s.sample_id)?;
                let ok = py_strip(&extracted).to_lowercase() == py_strip(&gt).to_lowercase();
                Ok(SampleScore::binary(ok, extracted, kind))
            }
            _ => Err(invalid(
                s,
                "answer_type",
                &json!(kind),
                "expected float, int or str",
            )),
        }
    }

    fn aggregate(&self, scored: &[Scored<'_>]) -> Result<Summary, ScoreError> {
        let (mut f, mut i, mut st) = (Tally::default(), Tally::default(), Tally::default());
        for s in scored {
            let v = s.score.score.unwrap_or(0.0);
            match s.score.category.as_str() {
                "float" => f.add(v),
                "int" => i.add(v),
                _ => st.add(v),
            }
        }
        let n = f.n + i.n + st.n;
        let overall = if n == 0 {
            0.0
        } else {
            (f.mean() * f.n as f64 + i.mean() * i.n as f64 + st.mean() * st.n as f64) / n as f64
        };
        let mut fields = serde_json::Map::new();
        fields.insert("total_samples".into(), json!(n));
        fields.insert("overall_accuracy".into(), json!(overall));
        fields.insert("float_mra".into(), json!(f.mean()));
        fields.insert("int_accuracy".into(), json!(i.mean()));
        fields.insert("str_accuracy".into(), json!(st.mean()));
        fields.insert("num_float".into(), json!(f.n));
        fields.insert("num_int".into(), json!(i.n));
        fields.insert("num_str".into(), json!(st.n));
        Ok(Summary {
            benchmark: NAME,
            headline_key: "overall_accuracy",
            headline: overall,
            headline_fraction: overall,
            aggregation: Aggregation::WeightedMix,
            total_samples: n,
            fields,
        })
    }
}
