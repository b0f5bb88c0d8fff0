//! MMSI-Bench and PAI-Bench, which share MMSI's official extractor (evals-runs.md §1.3).
//!
//! MMSI record fields: `answer`, `question_type`. PAI record fields: `answer`, `category`, `subcategory`.

use serde_json::json;

use super::aggregate::{by_category, by_field, micro};
use super::{Benchmark, Sample, SampleScore, Scored, Summary};
use crate::error::ScoreError;
use crate::scoring::extract::mmsi::mmsi;
use crate::scoring::pytext::py_strip;
use crate::scoring::record::{category, require_text};

fn score_letter(
    bench: &'static str,
    s: &Sample<'_>,
    cat: String,
) -> Result<SampleScore, ScoreError> {
    let gt = require_text(s.truth, &["answer"], bench, s.sample_id)?;
    let got = mmsi(s.prediction);
    let ok = !got.is_empty() && got == py_strip(&gt).to_uppercase();
    Ok(SampleScore::binary(ok, got, cat))
}

/// The MMSI subset of a question type: the text before " (" — "Positional Relationship (Cam.–Obj.)" →
/// "Positional Relationship"; "MSR" stays "MSR". (The reference names the 4 subsets but not the raw
/// type strings; this derivation is ours.)
pub fn mmsi_subset(question_type: &str) -> String {
    py_strip(question_type.split(" (").next().unwrap_or(question_type)).to_string()
}

pub(crate) struct Mmsi;

const MMSI: &str = "mmsi";

impl Benchmark for Mmsi {
    fn name(&self) -> &'static str {
        MMSI
    }

    fn display_name(&self) -> &'static str {
        "MMSI"
    }

    fn score(&self, s: &Sample<'_>) -> Result<SampleScore, ScoreError> {
        score_letter(
            MMSI,
            s,
            category(s.question_type, s.truth, &["question_type"]),
        )
    }

    fn aggregate(&self, scored: &[Scored<'_>]) -> Result<Summary, ScoreError> {
        let subset = |s: &Scored<'_>| Some(mmsi_subset(&s.score.category));
        Ok(micro(
            MMSI,
            scored,
            &[("by_subset", &subset), ("by_question_type", &by_category)],
        ))
    }
}

pub(crate) struct PaiBench;

const PAI: &str = "paibench";

impl Benchmark for PaiBench {
    fn name(&self) -> &'static str {
        PAI
    }

    fn display_name(&self) -> &'static str {
        "PAI-Bench"
    }

    fn score(&self, s: &Sample<'_>) -> Result<SampleScore, ScoreError> {
        score_letter(PAI, s, category(s.question_type, s.truth, &["category"]))
    }

    /// Micro accuracy; `invalid_samples` counts empty extractions.
    fn aggregate(&self, scored: &[Scored<'_>]) -> Result<Summary, ScoreError> {
        let cat = |s: &Scored<'_>| by_field(s, &["category"]).or_else(|| by_category(s));
        let sub = |s: &Scored<'_>| by_field(s, &["subcategory"]);
        let mut summary = micro(
            PAI,
            scored,
            &[("by_category", &cat), ("by_subcategory", &sub)],
        );
        let invalid = scored
            .iter()
            .filter(|s| s.score.extracted.is_empty())
            .count();
        summary
            .fields
            .insert("invalid_samples".into(), json!(invalid));
        Ok(summary)
    }
}
