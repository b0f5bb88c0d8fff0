//! BLINK (evals-runs.md §1.3): "(X)" extraction with a "(Z)" fallback; headline = **macro** mean over
//! the 14 subtasks, `micro_accuracy` reported beside it.
//!
//! Record fields: `answer` ("(A)" or "A"), `subtask` (the `question_type` key; also read from
//! `sub_task` / `task`).

use serde_json::json;

use super::aggregate::{Tallies, Tally};
use super::{Aggregation, Benchmark, Sample, SampleScore, Scored, Summary};
use crate::error::ScoreError;
use crate::scoring::extract::blink::{blink, blink_ground_truth};
use crate::scoring::record::{category, require_text};

pub(crate) struct Blink;

const NAME: &str = "blink";

impl Benchmark for Blink {
    fn name(&self) -> &'static str {
        NAME
    }

    fn display_name(&self) -> &'static str {
        "BLINK"
    }

    fn score(&self, s: &Sample<'_>) -> Result<SampleScore, ScoreError> {
        let gt = blink_ground_truth(&require_text(s.truth, &["answer"], NAME, s.sample_id)?);
        let got = blink(s.prediction);
        let cat = category(s.question_type, s.truth, &["subtask", "sub_task", "task"]);
        Ok(SampleScore::binary(got == gt, got, cat))
    }

    fn aggregate(&self, scored: &[Scored<'_>]) -> Result<Summary, ScoreError> {
        let mut per = Tallies::default();
        let mut all = Tally::default();
        for s in scored {
            let v = s.score.score.unwrap_or(0.0);
            per.add(s.score.category.clone(), v);
            all.add(v);
        }
        let overall = per.macro_mean();
        let mut fields = serde_json::Map::new();
        fields.insert("total_samples".into(), json!(all.n));
        fields.insert("correct_samples".into(), json!(all.sum));
        fields.insert("overall_accuracy".into(), json!(overall));
        fields.insert("micro_accuracy".into(), json!(all.mean()));
        fields.insert("by_subtask".into(), per.to_json(1.0));
        Ok(Summary {
            benchmark: NAME,
            headline_key: "overall_accuracy",
            headline: overall,
            headline_fraction: overall,
            aggregation: Aggregation::Macro,
            total_samples: all.n,
            fields,
        })
    }
}
