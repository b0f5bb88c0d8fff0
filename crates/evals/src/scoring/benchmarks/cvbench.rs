//! CVBench, the cross-video benchmark (evals-runs.md §1.3) — not Cambrian's CV-Bench.
//!
//! Record fields: `answer` ("A"–"D" or "Yes"/"No"), `options` (list), `task_type` (the `question_type`
//! key). A sample is yes/no when every option is yes or no.

use serde_json::json;

use super::aggregate::{by_category, micro};
use super::{Benchmark, Sample, SampleScore, Scored, Summary};
use crate::error::ScoreError;
use crate::scoring::extract::cvbench::{cvbench_mc, cvbench_yes_no, is_yes_no};
use crate::scoring::pytext::{py_strip, rstrip_dots};
use crate::scoring::record::{category, require_text, string_list};

pub(crate) struct CvBench;

const NAME: &str = "cvbench";

impl Benchmark for CvBench {
    fn name(&self) -> &'static str {
        NAME
    }

    fn display_name(&self) -> &'static str {
        "CV-Bench"
    }

    fn score(&self, s: &Sample<'_>) -> Result<SampleScore, ScoreError> {
        let gt = require_text(s.truth, &["answer"], NAME, s.sample_id)?;
        let options = string_list(s.truth, "options");
        let cat = category(s.question_type, s.truth, &["task_type"]);
        if is_yes_no(&options) {
            let got = cvbench_yes_no(s.prediction);
            let want = py_strip(rstrip_dots(py_strip(&gt))).to_lowercase();
            return Ok(SampleScore::binary(
                !got.is_empty() && got == want,
                got,
                cat,
            ));
        }
        let got = cvbench_mc(s.prediction, &options);
        let ok = !got.is_empty() && got == py_strip(&gt).to_uppercase();
        Ok(SampleScore::binary(ok, got, cat))
    }

    fn aggregate(&self, scored: &[Scored<'_>]) -> Result<Summary, ScoreError> {
        let mut summary = micro(NAME, scored, &[("by_task_type", &by_category)]);
        summary.fields.insert(
            "overall_accuracy_pct".into(),
            json!(summary.headline * 100.0),
        );
        Ok(summary)
    }
}
