//! ERQA (evals-runs.md §1.3): exact match after the official normalisation; micro accuracy with
//! single- vs multi-image and per-question-type breakdowns.
//!
//! Record fields: `answer` (a letter), `question_type`, and `images` (list) or `num_images` for the
//! image-count breakdown.

use serde_json::Value;

use super::aggregate::{by_category, micro};
use super::{Benchmark, Sample, SampleScore, Scored, Summary};
use crate::error::ScoreError;
use crate::scoring::extract::simple::{erqa_match, erqa_normalize};
use crate::scoring::record::{category, field, number, require_text};

pub(crate) struct Erqa;

const NAME: &str = "erqa";

fn image_count(truth: &Value) -> Option<usize> {
    match field(truth, "images") {
        Some(Value::Array(a)) => Some(a.len()),
        _ => number(truth, "num_images").map(|n| n as usize),
    }
}

impl Benchmark for Erqa {
    fn name(&self) -> &'static str {
        NAME
    }

    fn display_name(&self) -> &'static str {
        "ERQA"
    }

    fn score(&self, s: &Sample<'_>) -> Result<SampleScore, ScoreError> {
        let gt = require_text(s.truth, &["answer"], NAME, s.sample_id)?;
        let cat = category(s.question_type, s.truth, &["question_type"]);
        Ok(SampleScore::binary(
            erqa_match(s.prediction, &gt),
            erqa_normalize(s.prediction),
            cat,
        ))
    }

    fn aggregate(&self, scored: &[Scored<'_>]) -> Result<Summary, ScoreError> {
        let images = |s: &Scored<'_>| {
            image_count(s.sample.truth)
                .map(|n| if n > 1 { "multi_image" } else { "single_image" }.to_string())
        };
        Ok(micro(
            NAME,
            scored,
            &[
                ("by_question_type", &by_category),
                ("by_image_count", &images),
            ],
        ))
    }
}
