//! OmniSpatial (evals-runs.md §1.3): letter match with the "A" fallback; micro accuracy with per task_type
//! and per sub_task_type breakdowns.
//!
//! Record fields: `answer` (int 0–3, or a letter), `task_type`, `sub_task_type`.
//! **\[QUIRK\]** An empty prediction extracts to "A", so failed samples score 1 when the answer is A, and a
//! sample missing from predictions.jsonl does too.

use serde_json::Value;

use super::aggregate::{by_category, by_field, micro};
use super::{Benchmark, Sample, SampleScore, Scored, Summary};
use crate::error::ScoreError;
use crate::scoring::extract::base::omnispatial;
use crate::scoring::pytext::py_strip;
use crate::scoring::record::{category, field, index};

pub(crate) struct OmniSpatial;

const NAME: &str = "omnispatial";

fn gt_letter(s: &Sample<'_>) -> Result<char, ScoreError> {
    let v = field(s.truth, "answer").ok_or_else(|| ScoreError::MissingField {
        benchmark: NAME,
        sample_id: s.sample_id.to_string(),
        field: "answer",
    })?;
    let idx = index(s.truth, "answer").or_else(|| match v {
        Value::String(t) => match py_strip(t).as_bytes() {
            [c @ (b'A'..=b'Z' | b'a'..=b'z')] => Some(u64::from(c.to_ascii_uppercase() - b'A')),
            _ => None,
        },
        _ => None,
    });
    match idx {
        Some(i) if i < 26 => Ok(char::from(b'A' + i as u8)),
        _ => Err(ScoreError::InvalidField {
            benchmark: NAME,
            sample_id: s.sample_id.to_string(),
            field: "answer",
            value: v.to_string(),
            reason: "expected an option index or letter",
        }),
    }
}

impl Benchmark for OmniSpatial {
    fn name(&self) -> &'static str {
        NAME
    }

    fn display_name(&self) -> &'static str {
        "OmniSpatial"
    }

    fn score(&self, s: &Sample<'_>) -> Result<SampleScore, ScoreError> {
        let gt = gt_letter(s)?;
        let got = omnispatial(s.prediction);
        let cat = category(s.question_type, s.truth, &["task_type"]);
        Ok(SampleScore::binary(got == gt, got.to_string(), cat))
    }

    fn aggregate(&self, scored: &[Scored<'_>]) -> Result<Summary, ScoreError> {
        let task = |s: &Scored<'_>| by_field(s, &["task_type"]).or_else(|| by_category(s));
        let sub = |s: &Scored<'_>| by_field(s, &["sub_task_type"]);
        Ok(micro(
            NAME,
            scored,
            &[("by_task_type", &task), ("by_sub_task_type", &sub)],
        ))
    }
}
