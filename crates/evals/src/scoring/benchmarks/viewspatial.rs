//! ViewSpatial-Bench (evals-runs.md §1.3): last-match extractor, micro accuracy per question type.
//!
//! Record fields: `answer` ("A. right"), `question_type`.

use super::aggregate::{by_category, micro};
use super::{Benchmark, Sample, SampleScore, Scored, Summary};
use crate::error::ScoreError;
use crate::scoring::extract::viewspatial::{viewspatial, viewspatial_ground_truth};
use crate::scoring::record::{category, require_text};

pub(crate) struct ViewSpatial;

const NAME: &str = "viewspatial";

impl Benchmark for ViewSpatial {
    fn name(&self) -> &'static str {
        NAME
    }

    fn display_name(&self) -> &'static str {
        "ViewSpatial"
    }

    fn score(&self, s: &Sample<'_>) -> Result<SampleScore, ScoreError> {
        let gt = viewspatial_ground_truth(&require_text(s.truth, &["answer"], NAME, s.sample_id)?);
        let got = viewspatial(s.prediction);
        let cat = category(s.question_type, s.truth, &["question_type"]);
        Ok(SampleScore::binary(!got.is_empty() && got == gt, got, cat))
    }

    fn aggregate(&self, scored: &[Scored<'_>]) -> Result<Summary, ScoreError> {
        Ok(micro(NAME, scored, &[("by_question_type", &by_category)]))
    }
}
