//! `spatialclaw compare A B`: two runs on the samples both finished, per benchmark and
//! category, and the win/loss table between them (the paper's Figure 4 style).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Serialize;
use spatialclaw_evals::store::{PREDICTIONS_FILE, Prediction, StoreError, read_predictions};

/// A sample counts as correct when its score reaches this (MRA gives partial credit).
pub const CORRECT_AT: f64 = 0.5;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Side {
    pub samples: usize,
    pub mean_score: f64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Group {
    pub a: Side,
    pub b: Side,
    /// A correct, B wrong.
    pub a_only: usize,
    pub b_only: usize,
    pub both: usize,
    pub neither: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub common: usize,
    pub only_in_a: usize,
    pub only_in_b: usize,
    /// Keyed "benchmark" and "benchmark / category".
    pub groups: BTreeMap<String, Group>,
}

fn score(p: &Prediction) -> f64 {
    if p.is_failed() {
        return 0.0;
    }
    p.extra
        .get("score")
        .and_then(|v| v.as_f64())
        .or_else(|| {
            p.result
                .as_ref()
                .and_then(|r| r.as_f64().or_else(|| r.as_bool().map(|b| b as u8 as f64)))
        })
        .unwrap_or(0.0)
}

fn text(p: &Prediction, key: &str) -> String {
    p.extra
        .get(key)
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .to_owned()
}

pub fn compare(a_dir: &Path, b_dir: &Path) -> Result<Comparison, StoreError> {
    let a = read_predictions(&a_dir.join(PREDICTIONS_FILE))?;
    let b: HashMap<String, Prediction> = read_predictions(&b_dir.join(PREDICTIONS_FILE))?
        .into_iter()
        .map(|p| (p.sample_id.clone(), p))
        .collect();
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    let mut common = 0;
    for pa in &a {
        let Some(pb) = b.get(&pa.sample_id) else {
            continue;
        };
        common += 1;
        let (sa, sb) = (score(pa), score(pb));
        let bench = text(pa, "benchmark");
        let cat = text(pa, "category");
        let keys = [
            if bench.is_empty() {
                "all".to_owned()
            } else {
                bench.clone()
            },
            format!("{bench} / {cat}"),
        ];
        for key in keys {
            let g = groups.entry(key).or_default();
            g.a.samples += 1;
            g.b.samples += 1;
            g.a.mean_score += sa;
            g.b.mean_score += sb;
            match (sa >= CORRECT_AT, sb >= CORRECT_AT) {
                (true, true) => g.both += 1,
                (true, false) => g.a_only += 1,
                (false, true) => g.b_only += 1,
                (false, false) => g.neither += 1,
            }
        }
    }
    for g in groups.values_mut() {
        g.a.mean_score /= g.a.samples.max(1) as f64;
        g.b.mean_score /= g.b.samples.max(1) as f64;
    }
    let a_ids: std::collections::HashSet<&str> = a.iter().map(|p| p.sample_id.as_str()).collect();
    Ok(Comparison {
        common,
        only_in_a: a.len() - common,
        only_in_b: b.keys().filter(|k| !a_ids.contains(k.as_str())).count(),
        groups,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use spatialclaw_evals::store::RunStore;

    fn pred(id: &str, score: f64, cat: &str) -> Prediction {
        let mut p = Prediction {
            sample_id: id.into(),
            content: "x".into(),
            ground_truth: json!("A"),
            result: Some(json!(score)),
            usage: json!({}),
            status: "ok".into(),
            failure: None,
            extra: Default::default(),
        };
        p.extra.insert("score".into(), json!(score));
        p.extra.insert("benchmark".into(), json!("blink"));
        p.extra.insert("category".into(), json!(cat));
        p
    }

    #[test]
    fn win_loss_counts_only_common_samples() {
        let root = tempfile::tempdir().unwrap();
        let (a, b) = (root.path().join("a"), root.path().join("b"));
        let mut sa = RunStore::open(&a, &json!({"m": "a"}), false).unwrap();
        let mut sb = RunStore::open(&b, &json!({"m": "b"}), false).unwrap();
        for (id, x, y) in [
            ("1", 1.0, 0.0),
            ("2", 1.0, 1.0),
            ("3", 0.0, 1.0),
            ("4", 0.0, 0.0),
        ] {
            sa.append(pred(id, x, "depth")).unwrap();
            sb.append(pred(id, y, "depth")).unwrap();
        }
        sa.append(pred("only-a", 1.0, "depth")).unwrap();
        let c = compare(&a, &b).unwrap();
        assert_eq!((c.common, c.only_in_a, c.only_in_b), (4, 1, 0));
        let g = &c.groups["blink"];
        assert_eq!((g.a_only, g.b_only, g.both, g.neither), (1, 1, 1, 1));
        assert_eq!(g.a.mean_score, 0.5);
        assert!(c.groups.contains_key("blink / depth"));
    }
}
