//! Which samples a run takes: explicit ids, the original's `--subsample N` (CPython's seed-42
//! shuffle, so the subset matches sample for sample), `--limit N`, then `--shard I/N`.

use spatialclaw_evals::loaders::LoadedSample;
use spatialclaw_evals::store::Shard;
use spatialclaw_evals::subsample::{DEFAULT_SEED, subsample_indices};

/// How to narrow a benchmark down.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Selection {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sample_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subsample: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
}

fn id_of(s: &LoadedSample) -> &str {
    match s {
        Ok(s) => &s.id,
        Err(e) => &e.id,
    }
}

/// Apply the selection, then the shard, keeping a deterministic order.
pub fn select(
    samples: Vec<LoadedSample>,
    sel: &Selection,
    shard: Option<Shard>,
) -> Vec<LoadedSample> {
    let mut chosen: Vec<LoadedSample> = if sel.sample_ids.is_empty() {
        samples
    } else {
        let wanted: std::collections::HashSet<&str> =
            sel.sample_ids.iter().map(String::as_str).collect();
        samples
            .into_iter()
            .filter(|s| wanted.contains(id_of(s)))
            .collect()
    };
    if let Some(n) = sel.subsample {
        let order = subsample_indices(chosen.len(), n, DEFAULT_SEED);
        let mut slots: Vec<Option<LoadedSample>> = chosen.into_iter().map(Some).collect();
        chosen = order
            .into_iter()
            .filter_map(|i| slots.get_mut(i).and_then(Option::take))
            .collect();
    }
    if let Some(n) = sel.limit {
        chosen.truncate(n);
    }
    match shard {
        Some(s) => s.select(&chosen),
        None => chosen,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spatialclaw_evals::loaders::SampleError;

    fn fake(n: usize) -> Vec<LoadedSample> {
        (0..n)
            .map(|i| Err(SampleError::new(format!("s{i}"), "placeholder")))
            .collect()
    }

    fn ids(v: &[LoadedSample]) -> Vec<String> {
        v.iter().map(|s| id_of(s).to_owned()).collect()
    }

    #[test]
    fn subsample_matches_the_seeded_shuffle_and_shards_split_it() {
        let all = select(
            fake(50),
            &Selection {
                subsample: Some(10),
                ..Default::default()
            },
            None,
        );
        let expected: Vec<String> = subsample_indices(50, 10, DEFAULT_SEED)
            .into_iter()
            .map(|i| format!("s{i}"))
            .collect();
        assert_eq!(ids(&all), expected);
        let mut parts: Vec<String> = (0..3)
            .flat_map(|i| {
                ids(&select(
                    fake(50),
                    &Selection {
                        subsample: Some(10),
                        ..Default::default()
                    },
                    Some(Shard { index: i, count: 3 }),
                ))
            })
            .collect();
        parts.sort();
        let mut whole = expected.clone();
        whole.sort();
        assert_eq!(parts, whole);
    }

    #[test]
    fn ids_and_limit_narrow_in_order() {
        let sel = Selection {
            sample_ids: vec!["s3".into(), "s1".into(), "s9".into()],
            limit: Some(2),
            ..Default::default()
        };
        assert_eq!(ids(&select(fake(5), &sel, None)), ["s1", "s3"]);
    }
}
