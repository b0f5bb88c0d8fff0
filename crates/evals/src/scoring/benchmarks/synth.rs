//! `synth`: our own procedural SynthSpatial benchmark. Multiple-choice answers score by exact letter
//! match, numeric answers by MRA10 with the exact-zero rule; headline = micro mean.
//!
//! Record fields: `answer` (a letter or a number), optional `answer_type` ("mcq" | "numeric"; inferred from
//! the answer when absent: a JSON number or a numeric string is numeric), `question_type`.

use serde_json::Value;

use super::aggregate::{by_category, micro};
use super::{Benchmark, Sample, SampleScore, Scored, Summary};
use crate::error::ScoreError;
use crate::scoring::extract::boxed::first_boxed;
use crate::scoring::extract::numbers::first_signed_number;
use crate::scoring::mra::mra10;
use crate::scoring::pytext::{py_float, py_strip};
use crate::scoring::record::{category, field, require_text, text};

pub(crate) struct Synth;

const NAME: &str = "synth";

/// "B", "(b)", "B.", "\boxed{B}" → "B": the answer without decoration, upper-cased.
fn normalize_choice(text: &str) -> String {
    let t = py_strip(first_boxed(text).unwrap_or(text));
    let t = py_strip(t.trim_end_matches('.'));
    let t = t
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or(t);
    py_strip(t).to_uppercase()
}

/// The whole (boxed) answer as a float, else its first signed number.
fn parse_number(text: &str) -> Option<f64> {
    let t = first_boxed(text).unwrap_or(text);
    py_float(t).or_else(|| first_signed_number(t))
}

impl Benchmark for Synth {
    fn name(&self) -> &'static str {
        NAME
    }

    fn display_name(&self) -> &'static str {
        "SynthSpatial"
    }

    fn score(&self, s: &Sample<'_>) -> Result<SampleScore, ScoreError> {
        let gt = require_text(s.truth, &["answer"], NAME, s.sample_id)?;
        let cat = category(s.question_type, s.truth, &["question_type"]);
        let numeric = match text(s.truth, &["answer_type"]).as_deref() {
            Some("numeric") => true,
            Some("mcq") => false,
            _ => {
                matches!(field(s.truth, "answer"), Some(Value::Number(_)))
                    || py_float(&gt).is_some()
            }
        };
        if numeric {
            let target = py_float(&gt).ok_or_else(|| ScoreError::InvalidField {
                benchmark: NAME,
                sample_id: s.sample_id.to_string(),
                field: "answer",
                value: gt.clone(),
                reason: "numeric question without a numeric answer",
            })?;
            let pred = parse_number(s.prediction);
            let v = pred.map_or(0.0, |p| mra10(p, target));
            return Ok(SampleScore::same(
                v,
                pred.map(|p| p.to_string()).unwrap_or_default(),
                cat,
            ));
        }
        let got = normalize_choice(s.prediction);
        let ok = !got.is_empty() && got == normalize_choice(&gt);
        Ok(SampleScore::binary(ok, got, cat))
    }

    fn aggregate(&self, scored: &[Scored<'_>]) -> Result<Summary, ScoreError> {
        Ok(micro(NAME, scored, &[("by_question_type", &by_category)]))
    }
}
