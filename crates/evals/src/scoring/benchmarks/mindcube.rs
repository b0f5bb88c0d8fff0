//! MindCube (evals-runs.md §1.3): official last-match extractor, micro accuracy with the
//! **translation setting excluded** from the aggregate (and from `total_samples`).
//!
//! Record fields: `gt_answer` (or `answer`), `id` (the setting is read from it, else from the sample id),
//! optional `setting`.
//! **\[QUIRK\]** Translation samples still get a per-sample `result`; only the aggregate skips them.

use serde_json::json;

use super::aggregate::{by_category, micro};
use super::{Benchmark, Sample, SampleScore, Scored, Summary};
use crate::error::ScoreError;
use crate::scoring::extract::mindcube::mindcube;
use crate::scoring::pytext::py_strip;
use crate::scoring::record::{require_text, text};

pub(crate) struct MindCube;

const NAME: &str = "mindcube";

/// The setting of a MindCube id, checked as substrings in the original's order:
/// around → rotation → translation → among → other.
pub fn mindcube_setting(id: &str) -> &'static str {
    ["around", "rotation", "translation", "among"]
        .into_iter()
        .find(|k| id.contains(k))
        .unwrap_or("other")
}

/// A ground truth such as "C" or "C. behind" → "C"; anything else stays as stripped text.
fn gt_letter(gt: &str) -> String {
    let t = py_strip(gt);
    let b = t.as_bytes();
    match b {
        [c @ b'A'..=b'Z'] => (*c as char).to_string(),
        [c @ b'A'..=b'Z', next, ..] if !next.is_ascii_alphabetic() => (*c as char).to_string(),
        _ => t.to_string(),
    }
}

impl Benchmark for MindCube {
    fn name(&self) -> &'static str {
        NAME
    }

    fn display_name(&self) -> &'static str {
        "MindCube"
    }

    fn score(&self, s: &Sample<'_>) -> Result<SampleScore, ScoreError> {
        let gt = gt_letter(&require_text(
            s.truth,
            &["gt_answer", "answer"],
            NAME,
            s.sample_id,
        )?);
        let setting = if s.question_type.is_empty() {
            text(s.truth, &["setting"]).unwrap_or_else(|| {
                mindcube_setting(&text(s.truth, &["id"]).unwrap_or_else(|| s.sample_id.to_string()))
                    .to_string()
            })
        } else {
            s.question_type.to_string()
        };
        let got = mindcube(s.prediction);
        let v = f64::from(u8::from(!got.is_empty() && got == gt));
        let score = (setting != "translation").then_some(v);
        Ok(SampleScore {
            result: Some(v),
            score,
            extracted: got,
            category: setting,
        })
    }

    fn aggregate(&self, scored: &[Scored<'_>]) -> Result<Summary, ScoreError> {
        let mut summary = micro(NAME, scored, &[("by_setting", &by_category)]);
        let excluded = scored.iter().filter(|s| s.score.score.is_none()).count();
        summary
            .fields
            .insert("excluded_translation_samples".into(), json!(excluded));
        Ok(summary)
    }
}
