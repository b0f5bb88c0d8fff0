//! The 20-benchmark average, under both protocols (evals-runs.md §2.6, paper-facts.md).
//!
//! No code in the original computes it. We offer the two readings and always say which one a number is:
//! * [`Protocol::Released`] — the unweighted mean of the 20 benchmarks' headline metrics as the released
//!   code writes them (macro for BLINK/SPBench/SPAR/VSI/VSTI, group score for Video-MME-v2, SPAR and VSTI
//!   converted from percent);
//! * [`Protocol::Paper`] — the paper's statement: each benchmark is the unweighted mean of its per-sample
//!   scores (Acc, MRA, VCI), benchmarks with more than 1,000 samples are first subsampled to 1,000 with a
//!   fixed seed (we use the runner's seed 42 and its shuffle-then-take rule; the paper does not print the
//!   seed), then the 20 numbers are averaged.
//!
//! Per-sample scores are [`SampleScore::score`](crate::scoring::benchmarks::SampleScore::score): `None`
//! samples (MindCube translation, SpatialTree unscoreable) are selected by the subsample like any other
//! sample and then left out of the mean; Video-MME-v2 counts per question (−1 as 0).

use serde::Serialize;

use crate::scoring::benchmarks::{PAPER_BENCHMARKS, Summary};
use crate::subsample::{DEFAULT_SEED, subsample_indices};

/// Which definition of the suite average a number uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// Mean of the released code's headline metrics.
    Released,
    /// The paper's per-sample means on ≤ 1,000-sample subsets.
    Paper,
}

/// The paper's subset size.
pub const PAPER_SUBSET_CAP: usize = 1000;

/// One benchmark's contribution to a suite average.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SuiteEntry {
    pub benchmark: String,
    /// The benchmark's number, as a fraction.
    pub value: f64,
    /// Samples behind it (after subsetting, excluding `None` scores for the paper protocol).
    pub samples: usize,
    /// True when the paper protocol subsampled this benchmark.
    pub subsampled: bool,
}

/// A suite average with its parts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SuiteAverage {
    pub protocol: Protocol,
    /// Unweighted mean over the paper benchmarks present, as a fraction.
    pub average: f64,
    pub entries: Vec<SuiteEntry>,
    /// Paper benchmarks with no result; a non-empty list means the average is not the paper's 20-benchmark
    /// number.
    pub missing: Vec<&'static str>,
}

impl SuiteAverage {
    /// True when all 20 paper benchmarks contributed.
    pub fn is_complete(&self) -> bool {
        self.missing.is_empty()
    }
}

fn finish(protocol: Protocol, entries: Vec<SuiteEntry>) -> SuiteAverage {
    let missing: Vec<&'static str> = PAPER_BENCHMARKS
        .iter()
        .copied()
        .filter(|b| !entries.iter().any(|e| e.benchmark == *b))
        .collect();
    let values: Vec<f64> = entries.iter().map(|e| e.value).collect();
    let average = crate::scoring::benchmarks::mean_or_zero(&values);
    SuiteAverage {
        protocol,
        average,
        entries,
        missing,
    }
}

/// Released-code protocol: the mean of `headline_fraction` over the paper benchmarks among `summaries`
/// (other benchmarks such as `vsibench` or `synth` are ignored; a duplicate keeps the first).
pub fn released_average(summaries: &[Summary]) -> SuiteAverage {
    let mut entries: Vec<SuiteEntry> = Vec::new();
    for s in summaries {
        if PAPER_BENCHMARKS.contains(&s.benchmark)
            && !entries.iter().any(|e| e.benchmark == s.benchmark)
        {
            entries.push(SuiteEntry {
                benchmark: s.benchmark.to_string(),
                value: s.headline_fraction,
                samples: s.total_samples,
                subsampled: false,
            });
        }
    }
    finish(Protocol::Released, entries)
}

/// The paper's number for one benchmark: `scores` are per-sample scores in the loader's data order
/// (`None` = excluded); above `cap` samples, the subset is the original runner's
/// `random.seed(seed); shuffle; [:cap]`. Returns (mean, samples used, subsampled).
pub fn paper_benchmark_score(scores: &[Option<f64>], cap: usize, seed: u64) -> (f64, usize, bool) {
    let subsampled = cap > 0 && scores.len() > cap;
    let chosen: Vec<f64> = if subsampled {
        subsample_indices(scores.len(), cap, seed)
            .into_iter()
            .filter_map(|i| scores[i])
            .collect()
    } else {
        scores.iter().flatten().copied().collect()
    };
    (
        crate::scoring::benchmarks::mean_or_zero(&chosen),
        chosen.len(),
        subsampled,
    )
}

/// Paper protocol over `(benchmark, per-sample scores in data order)` pairs, with the 1,000 cap and seed 42.
/// Benchmarks outside the paper's 20 are ignored.
pub fn paper_average(per_benchmark: &[(&str, &[Option<f64>])]) -> SuiteAverage {
    paper_average_with(per_benchmark, PAPER_SUBSET_CAP, DEFAULT_SEED)
}

/// [`paper_average`] with an explicit cap and seed.
pub fn paper_average_with(
    per_benchmark: &[(&str, &[Option<f64>])],
    cap: usize,
    seed: u64,
) -> SuiteAverage {
    let mut entries: Vec<SuiteEntry> = Vec::new();
    for (name, scores) in per_benchmark {
        if !PAPER_BENCHMARKS.contains(name) || entries.iter().any(|e| e.benchmark == *name) {
            continue;
        }
        let (value, samples, subsampled) = paper_benchmark_score(scores, cap, seed);
        entries.push(SuiteEntry {
            benchmark: name.to_string(),
            value,
            samples,
            subsampled,
        });
    }
    finish(Protocol::Paper, entries)
}
