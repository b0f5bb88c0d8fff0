//! Video-MME-v2 (evals-runs.md §1.3): per-question 1/0/−1 results, headline = mean **group** score of the
//! 4 questions about one video, divided by 100.
//!
//! Record fields: `answer`, `video_id`, `question_id`, `group_type` (relevance | logic),
//! `group_structure` ("[1,2,3,4]", "[1,[2,3],4]", "[[1,2],3,4]"), `level` (1–3 or null), `second_head`,
//! `third_head`.
//!
//! Grouping. The original takes consecutive chunks of 4 in data order, which is right on the full,
//! unshuffled set and meaningless after `--shuffle`/`--subsample`/`--limit` (**\[BUG\]**; a short final
//! chunk can even crash it). We group by `video_id` (first appearance order, questions ordered by a
//! natural sort of `question_id`), which gives the same groups on the full set and correct ones on any
//! subset; groups that do not have exactly 4 questions are left out of the group means and counted in
//! `incomplete_groups`. Records without `video_id` fall back to the original's chunks of 4.

use std::cmp::Ordering;

use serde_json::{Map, Value, json};

use super::aggregate::{Tallies, Tally, by_category};
use super::{Aggregation, Benchmark, Sample, SampleScore, Scored, Summary};
use crate::error::ScoreError;
use crate::scoring::extract::videommev2::videommev2;
use crate::scoring::pytext::py_strip;
use crate::scoring::record::{category, index, require_text, text};

pub(crate) struct VideoMmeV2;

const NAME: &str = "videommev2";

/// Relevance groups (and logic groups with the chain structure): score by the number of correct answers.
pub const RELEVANCE_MAP: [f64; 5] = [0.0, 6.25, 25.0, 56.25, 100.0];
/// Logic groups with structure `[1,[2,3],4]`: score by the adjusted run length.
pub const LOGIC_MIDDLE_PAIR_MAP: [f64; 5] = [0.0, 8.33, 33.33, 58.33, 100.0];
/// Logic groups with structure `[[1,2],3,4]`: score by the adjusted run length.
pub const LOGIC_LEADING_PAIR_MAP: [f64; 5] = [0.0, 10.0, 20.0, 50.0, 100.0];

/// The two kinds of question groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupType {
    Relevance,
    Logic,
}

impl GroupType {
    pub fn parse(s: &str) -> Option<Self> {
        match py_strip(s).to_ascii_lowercase().as_str() {
            "relevance" => Some(GroupType::Relevance),
            "logic" => Some(GroupType::Logic),
            _ => None,
        }
    }
}

/// How the 4 questions of a logic group depend on each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupStructure {
    /// `[1,2,3,4]`: a strict chain.
    Chain,
    /// `[1,[2,3],4]`: Q2 and Q3 are parallel steps.
    MiddlePair,
    /// `[[1,2],3,4]`: Q1 and Q2 are parallel first steps.
    LeadingPair,
}

impl GroupStructure {
    /// Parses the dataset's structure string (whitespace ignored).
    pub fn parse(s: &str) -> Option<Self> {
        let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        match compact.as_str() {
            "[1,2,3,4]" => Some(GroupStructure::Chain),
            "[1,[2,3],4]" => Some(GroupStructure::MiddlePair),
            "[[1,2],3,4]" => Some(GroupStructure::LeadingPair),
            _ => None,
        }
    }
}

/// Relevance group score: {0, 6.25, 25, 56.25, 100} by the number of correct answers.
pub fn relevance_group_score(correct: [bool; 4]) -> f64 {
    RELEVANCE_MAP[correct.iter().filter(|&&c| c).count()]
}

/// Logic group score. L = length of the run of correct answers starting at Q1; then
/// * `[1,2,3,4]`: the relevance map at L;
/// * `[1,[2,3],4]`: if the run stops after Q1 (L = 1) and Q3 is correct, L = 2; map {0, 8.33, 33.33,
///   58.33, 100};
/// * `[[1,2],3,4]`: if Q1 is wrong and Q2 is correct, L = 1; map {0, 10, 20, 50, 100}.
pub fn logic_group_score(correct: [bool; 4], structure: GroupStructure) -> f64 {
    let mut run = correct.iter().take_while(|&&c| c).count();
    match structure {
        GroupStructure::Chain => RELEVANCE_MAP[run],
        GroupStructure::MiddlePair => {
            if run == 1 && correct[2] {
                run = 2;
            }
            LOGIC_MIDDLE_PAIR_MAP[run]
        }
        GroupStructure::LeadingPair => {
            if run == 0 && correct[1] {
                run = 1;
            }
            LOGIC_LEADING_PAIR_MAP[run]
        }
    }
}

/// Compares ids with digit runs as numbers ("q2" < "q10").
fn natural_cmp(a: &str, b: &str) -> Ordering {
    fn chunks(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = s.as_bytes();
        for i in 1..=bytes.len() {
            if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[start].is_ascii_digit() {
                out.push((bytes[start].is_ascii_digit(), &s[start..i]));
                start = i;
            }
        }
        out
    }
    let (ca, cb) = (chunks(a), chunks(b));
    for ((da, sa), (db, sb)) in ca.iter().zip(cb.iter()) {
        let ord = if *da && *db {
            let (ta, tb) = (sa.trim_start_matches('0'), sb.trim_start_matches('0'));
            ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb))
        } else {
            sa.cmp(sb)
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    ca.len().cmp(&cb.len())
}

/// Groups of indices into `scored`, as described in the module doc.
fn form_groups(scored: &[Scored<'_>]) -> Vec<Vec<usize>> {
    let videos: Option<Vec<String>> = scored
        .iter()
        .map(|s| text(s.sample.truth, &["video_id"]))
        .collect();
    let Some(videos) = videos else {
        return (0..scored.len())
            .collect::<Vec<_>>()
            .chunks(4)
            .map(<[usize]>::to_vec)
            .collect();
    };
    let mut order: Vec<&str> = Vec::new();
    let mut groups: std::collections::HashMap<&str, Vec<usize>> = Default::default();
    for (i, v) in videos.iter().enumerate() {
        groups
            .entry(v.as_str())
            .or_insert_with(|| {
                order.push(v.as_str());
                Vec::new()
            })
            .push(i);
    }
    order
        .into_iter()
        .map(|v| {
            let mut g = groups.remove(v).unwrap_or_default();
            let ids: Option<Vec<String>> = g
                .iter()
                .map(|&i| text(scored[i].sample.truth, &["question_id"]))
                .collect();
            if let Some(ids) = ids {
                let mut paired: Vec<(String, usize)> =
                    ids.into_iter().zip(g.iter().copied()).collect();
                paired.sort_by(|a, b| natural_cmp(&a.0, &b.0));
                g = paired.into_iter().map(|(_, i)| i).collect();
            }
            g
        })
        .collect()
}

fn invalid(
    sample_id: &str,
    field: &'static str,
    value: String,
    reason: &'static str,
) -> ScoreError {
    ScoreError::InvalidField {
        benchmark: NAME,
        sample_id: sample_id.to_string(),
        field,
        value,
        reason,
    }
}

/// Mean of a tally scaled from 0–100 to 0–1.
fn frac(t: &Tally) -> f64 {
    t.mean() / 100.0
}

fn tallies_json(t: &Tallies) -> Value {
    Value::Object(
        t.0.iter()
            .map(|(k, v)| (k.clone(), json!(frac(v))))
            .collect(),
    )
}

impl Benchmark for VideoMmeV2 {
    fn name(&self) -> &'static str {
        NAME
    }

    fn display_name(&self) -> &'static str {
        "Video-MME-v2"
    }

    /// `result` is 1 (correct), 0 (wrong) or −1 (no letter could be extracted); the per-sample score
    /// used outside group scoring (paper protocol) treats −1 as 0.
    fn score(&self, s: &Sample<'_>) -> Result<SampleScore, ScoreError> {
        let gt = py_strip(&require_text(s.truth, &["answer"], NAME, s.sample_id)?).to_uppercase();
        let got = videommev2(s.prediction);
        let result = if got.is_empty() {
            -1.0
        } else if got == gt {
            1.0
        } else {
            0.0
        };
        let cat = category(s.question_type, s.truth, &["second_head"]);
        Ok(SampleScore {
            result: Some(result),
            score: Some(result.max(0.0)),
            extracted: got,
            category: cat,
        })
    }

    fn aggregate(&self, scored: &[Scored<'_>]) -> Result<Summary, ScoreError> {
        let (mut all, mut relevance, mut relevance_linear, mut logic) = (
            Tally::default(),
            Tally::default(),
            Tally::default(),
            Tally::default(),
        );
        let (mut levels, mut second, mut third) =
            (Tallies::default(), Tallies::default(), Tallies::default());
        let mut incomplete = 0usize;
        for group in form_groups(scored) {
            let Ok(idx) = <[usize; 4]>::try_from(group.as_slice()) else {
                incomplete += 1;
                continue;
            };
            let correct = idx.map(|i| scored[i].score.result == Some(1.0));
            let last = &scored[idx[3]].sample;
            let gtype = text(last.truth, &["group_type"]).unwrap_or_default();
            let value = match GroupType::parse(&gtype) {
                Some(GroupType::Relevance) => {
                    let v = relevance_group_score(correct);
                    relevance.add(v);
                    relevance_linear.add(25.0 * correct.iter().filter(|&&c| c).count() as f64);
                    v
                }
                Some(GroupType::Logic) => {
                    let st = text(last.truth, &["group_structure"]).unwrap_or_default();
                    let structure = GroupStructure::parse(&st).ok_or_else(|| {
                        invalid(
                            last.sample_id,
                            "group_structure",
                            st.clone(),
                            "unknown logic group structure",
                        )
                    })?;
                    let v = logic_group_score(correct, structure);
                    logic.add(v);
                    v
                }
                None => {
                    return Err(invalid(
                        last.sample_id,
                        "group_type",
                        gtype,
                        "expected relevance or logic",
                    ));
                }
            };
            all.add(value);
            let level = index(last.truth, "level")
                .map(|l| l.to_string())
                .or_else(|| text(last.truth, &["level"]));
            if let Some(level) = level {
                levels.add(format!("level_{level}"), value);
            }
            if let Some(h) = text(last.truth, &["second_head"]) {
                second.add(h, value);
            }
            if let Some(h) = text(last.truth, &["third_head"]) {
                third.add(h, value);
            }
        }
        let valid: Vec<f64> = scored
            .iter()
            .filter_map(|s| s.score.result)
            .filter(|r| *r >= 0.0)
            .collect();
        let simple = super::aggregate::mean_or_zero(&valid);
        let overall = frac(&all);
        let mut fields = Map::new();
        fields.insert("total_samples".into(), json!(scored.len()));
        fields.insert("correct_samples".into(), json!(valid.iter().sum::<f64>()));
        fields.insert("overall_accuracy".into(), json!(overall));
        fields.insert("simple_accuracy".into(), json!(simple));
        fields.insert("num_groups".into(), json!(all.n));
        fields.insert("incomplete_groups".into(), json!(incomplete));
        fields.insert(
            "invalid_extractions".into(),
            json!(scored.len() - valid.len()),
        );
        fields.insert("relevance_score".into(), json!(frac(&relevance)));
        fields.insert(
            "relevance_linear_score".into(),
            json!(frac(&relevance_linear)),
        );
        fields.insert("logic_score".into(), json!(frac(&logic)));
        for (k, t) in &levels.0 {
            fields.insert(k.clone(), json!(frac(t)));
        }
        fields.insert("by_second_head".into(), tallies_json(&second));
        fields.insert("by_third_head".into(), tallies_json(&third));
        let mut per_q = Tallies::default();
        for s in scored {
            if let Some(c) = by_category(s) {
                per_q.add(c, s.score.score.unwrap_or(0.0));
            }
        }
        fields.insert("per_question_by_second_head".into(), per_q.to_json(1.0));
        Ok(Summary {
            benchmark: NAME,
            headline_key: "overall_accuracy",
            headline: overall,
            headline_fraction: overall,
            aggregation: Aggregation::Group,
            total_samples: scored.len(),
            fields,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order() {
        assert_eq!(natural_cmp("q2", "q10"), Ordering::Less);
        assert_eq!(natural_cmp("001-4", "001-10"), Ordering::Less);
        assert_eq!(natural_cmp("a", "a"), Ordering::Equal);
    }
}
