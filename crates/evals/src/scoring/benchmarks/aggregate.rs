//! Shared aggregation helpers: running means per key and the micro-average summary most benchmarks use.
//!
//! Key names inside `results_summary.json` beyond the headline (`overall_accuracy` / `overall_score`),
//! `total_samples` and `correct_samples` are not given by the reference; breakdowns are written as
//! `"by_<field>": {key: {"accuracy", "correct", "total"}}`. Means are sequential sums divided by the
//! count (the last bit may differ from numpy's pairwise sum; no reported digit does).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{Aggregation, Scored, Summary};

/// Arithmetic mean as a float; 0.0 for an empty input (the original's `mean_or_zero`).
pub fn mean_or_zero(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

/// Running sum and count.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(crate) struct Tally {
    pub sum: f64,
    pub n: usize,
}

impl Tally {
    pub fn add(&mut self, v: f64) {
        self.sum += v;
        self.n += 1;
    }

    pub fn mean(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.sum / self.n as f64
        }
    }
}

/// Tallies per key, sorted by key.
#[derive(Debug, Default, Clone)]
pub(crate) struct Tallies(pub BTreeMap<String, Tally>);

impl Tallies {
    pub fn add(&mut self, key: impl Into<String>, v: f64) {
        self.0.entry(key.into()).or_default().add(v);
    }

    pub fn get(&self, key: &str) -> Option<&Tally> {
        self.0.get(key)
    }

    /// Mean of the per-key means (0 when empty).
    pub fn macro_mean(&self) -> f64 {
        let means: Vec<f64> = self.0.values().map(Tally::mean).collect();
        mean_or_zero(&means)
    }

    /// `{key: {"accuracy": mean × scale, "correct": sum, "total": n}}`.
    pub fn to_json(&self, scale: f64) -> Value {
        let mut m = Map::new();
        for (k, t) in &self.0 {
            m.insert(
                k.clone(),
                json!({"accuracy": t.mean() * scale, "correct": t.sum, "total": t.n}),
            );
        }
        Value::Object(m)
    }
}

/// A breakdown: its JSON key and how to find a sample's group (None leaves the sample out of it).
pub(crate) type Breakdown<'f> = (&'static str, &'f dyn Fn(&Scored<'_>) -> Option<String>);

/// Micro average over the samples whose `score` is `Some`, with `total_samples`, `correct_samples`,
/// `overall_accuracy` and one object per breakdown.
pub(crate) fn micro(
    benchmark: &'static str,
    scored: &[Scored<'_>],
    breakdowns: &[Breakdown<'_>],
) -> Summary {
    let mut all = Tally::default();
    let mut groups: Vec<Tallies> = vec![Tallies::default(); breakdowns.len()];
    for s in scored {
        let Some(v) = s.score.score else { continue };
        all.add(v);
        for ((_, key_of), tallies) in breakdowns.iter().zip(groups.iter_mut()) {
            if let Some(k) = key_of(s) {
                tallies.add(k, v);
            }
        }
    }
    let mut fields = Map::new();
    fields.insert("total_samples".into(), json!(all.n));
    fields.insert("correct_samples".into(), json!(all.sum));
    fields.insert("overall_accuracy".into(), json!(all.mean()));
    for ((name, _), tallies) in breakdowns.iter().zip(groups) {
        fields.insert((*name).into(), tallies.to_json(1.0));
    }
    let overall = all.mean();
    Summary {
        benchmark,
        headline_key: "overall_accuracy",
        headline: overall,
        headline_fraction: overall,
        aggregation: Aggregation::Micro,
        total_samples: all.n,
        fields,
    }
}

/// The primary category of a scored sample, as a breakdown key function.
pub(crate) fn by_category(s: &Scored<'_>) -> Option<String> {
    Some(s.score.category.clone())
}

/// A breakdown key read from a record field.
pub(crate) fn by_field(s: &Scored<'_>, keys: &[&str]) -> Option<String> {
    crate::scoring::record::text(s.sample.truth, keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tallies() {
        let mut t = Tallies::default();
        t.add("a", 1.0);
        t.add("a", 0.0);
        t.add("b", 1.0);
        assert_eq!(t.macro_mean(), 0.75);
        assert_eq!(t.get("a").map(Tally::mean), Some(0.5));
        assert_eq!(mean_or_zero(&[]), 0.0);
    }
}
