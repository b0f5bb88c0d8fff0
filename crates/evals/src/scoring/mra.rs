//! Mean Relative Accuracy (MRA), the numeric-answer metric of VSI-Bench and its descendants
//! (reference: evals-runs.md §2.1, §2.3; peers.md §3.2).
//!
//! A prediction passes threshold θ when its relative error is at most `1 − θ`; the score is the fraction
//! of thresholds passed. The thresholds come from `np.linspace(start, end, int((end − start)/interval + 2))`.
//! With the standard `0.5, 0.95, 0.05` that expression is `int(10.999999999999998)` = **10**, not the 11
//! the original docstrings claim, so scores live on {0, 0.1, …, 1}. We reproduce the count and numpy's
//! linspace bit for bit, and evaluate `1 − θ` in f64, because boundary errors (e.g. exactly 0.45, where
//! `1 − 0.55` is 0.44999999999999996) decide whether a threshold passes.
//!
//! Variants differ only in what happens at target 0 ([`ZeroPolicy`]) and, for Omni3D, in the comparison
//! and threshold list ([`omni3d_mra`]).

use thiserror::Error;

/// Errors for invalid MRA parameters (never for bad predictions: those just score 0).
#[derive(Debug, Error, Clone, PartialEq)]
pub enum MraError {
    /// `int((end − start)/interval + 2)` is not a positive count (numpy would return an empty array and
    /// the mean would be NaN, or raise for a negative count).
    #[error(
        "MRA thresholds: start={start}, end={end}, interval={interval} give {count} thresholds; need at least 1"
    )]
    NoThresholds {
        start: f64,
        end: f64,
        interval: f64,
        count: f64,
    },
}

/// What to do when the target is exactly 0, where the relative error is undefined.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ZeroPolicy {
    /// Shared `zero_policy="exact"`: 1.0 iff the prediction is exactly 0, else 0.0
    /// (OSI non-zero-aware categories; VSI/SpatialTree callers never reach it).
    Exact,
    /// Shared `zero_policy="threshold"`: 1.0 if `pred < threshold` (signed, so any negative prediction
    /// passes — reproduced as the original does it), otherwise MRA against the threshold as the target
    /// (OSI speed/displacement 0.30, trajectory_length 2.0).
    Threshold(f64),
    /// SPAR's local MRA: the relative error becomes `|pred|` (i.e. the absolute error to 0).
    AbsoluteError,
    /// SPBench/VSTI/VSI/SpatialTree callers: a zero target scores 0 whatever the prediction.
    ScoreZero,
}

/// `int((end − start)/interval + 2)` with Python's truncation toward zero.
pub fn threshold_count(start: f64, end: f64, interval: f64) -> Result<usize, MraError> {
    let raw = (end - start) / interval + 2.0;
    let count = raw.trunc();
    if !count.is_finite() || count < 1.0 {
        return Err(MraError::NoThresholds {
            start,
            end,
            interval,
            count,
        });
    }
    // Counts beyond u32 are meaningless as thresholds; saturate rather than allocate absurdly.
    Ok(count.min(f64::from(u32::MAX)) as usize)
}

/// numpy's `linspace(start, stop, num)` (endpoint=True) for `num ≥ 1`, bit for bit: `i·step + start`
/// with `step = (stop − start)/(num − 1)`, the last element forced to `stop`; when the step is 0 numpy
/// computes `i/(num−1)·delta + start` instead.
pub fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    if num == 0 {
        return Vec::new();
    }
    let delta = stop - start;
    if num == 1 {
        return vec![0.0 * delta + start];
    }
    let div = (num - 1) as f64;
    let step = delta / div;
    let mut out: Vec<f64> = (0..num)
        .map(|i| {
            let y = i as f64;
            if step == 0.0 {
                y / div * delta + start
            } else {
                y * step + start
            }
        })
        .collect();
    out[num - 1] = stop;
    out
}

/// The thresholds the original builds for `(start, end, interval)`.
pub fn thresholds(start: f64, end: f64, interval: f64) -> Result<Vec<f64>, MraError> {
    Ok(linspace(start, end, threshold_count(start, end, interval)?))
}

/// Fraction of thresholds θ with `rel_err ≤ 1 − θ`; `sum(bools)/n` like `np.mean` on a bool array.
fn fraction_passed(rel_err: f64, ths: &[f64]) -> f64 {
    let passed = ths.iter().filter(|&&t| rel_err <= 1.0 - t).count();
    passed as f64 / ths.len() as f64
}

/// The generic MRA of the original's `scoring.mean_relative_accuracy`, plus the SPAR and "score zero"
/// target-zero variants. Non-finite predictions simply fail every threshold.
pub fn mean_relative_accuracy(
    pred: f64,
    target: f64,
    start: f64,
    end: f64,
    interval: f64,
    zero_policy: ZeroPolicy,
) -> Result<f64, MraError> {
    let ths = thresholds(start, end, interval)?;
    Ok(mra_with(pred, target, &ths, zero_policy))
}

fn mra_with(pred: f64, target: f64, ths: &[f64], zero_policy: ZeroPolicy) -> f64 {
    if target == 0.0 {
        return match zero_policy {
            ZeroPolicy::Exact => f64::from(u8::from(pred == 0.0)),
            ZeroPolicy::Threshold(thr) => {
                if pred < thr {
                    1.0
                } else {
                    // Target replaced by the threshold; a zero threshold would divide by zero, which
                    // the original never configures; treat it like the exact rule.
                    if thr == 0.0 {
                        return f64::from(u8::from(pred == 0.0));
                    }
                    fraction_passed((pred - thr).abs() / thr.abs(), ths)
                }
            }
            ZeroPolicy::AbsoluteError => fraction_passed(pred.abs(), ths),
            ZeroPolicy::ScoreZero => 0.0,
        };
    }
    fraction_passed((pred - target).abs() / target.abs(), ths)
}

/// The ten standard thresholds 0.50 … 0.95 exactly as `np.linspace(.5, .95, 10)` produces them
/// (note 0.8999999999999999 for the ninth).
pub const MRA10_THRESHOLDS: [f64; 10] = [
    0.5,
    0.55,
    0.6,
    0.65,
    0.7,
    0.75,
    0.8,
    0.85,
    0.8999999999999999,
    0.95,
];

/// Standard MRA over the 10 thresholds 0.50 … 0.95 with the "exact zero" rule (a zero target scores 1
/// only for an exact 0 prediction). Total: invalid input (NaN, ±inf) scores 0.
pub fn mra10(pred: f64, target: f64) -> f64 {
    mra_with(pred, target, &MRA10_THRESHOLDS, ZeroPolicy::Exact)
}

/// MRA10 with a caller-chosen zero policy (the per-benchmark variants of §2.3 all use 0.5/0.95/0.05).
pub fn mra10_with(pred: f64, target: f64, zero_policy: ZeroPolicy) -> f64 {
    mra_with(pred, target, &MRA10_THRESHOLDS, zero_policy)
}

/// Omni3D-Bench's float metric: thresholds {0.50, 0.45, …, 0.05} compared with a **strict** `<`
/// against the relative error (`|pred|` when the target is 0); the mean of the 10 indicator values.
/// The literals are used as written (0.45, not 0.5 − 0.05), which is how a hand-written list behaves.
pub fn omni3d_mra(pred: f64, target: f64) -> f64 {
    let err = omni3d_relative_error(pred, target);
    let passed = OMNI3D_THRESHOLDS.iter().filter(|&&t| err < t).count();
    passed as f64 / OMNI3D_THRESHOLDS.len() as f64
}

/// Omni3D's relative error, also used by its binary per-sample `result` (`rel_err < 0.1`).
pub fn omni3d_relative_error(pred: f64, target: f64) -> f64 {
    if target == 0.0 {
        pred.abs()
    } else {
        (pred - target).abs() / target.abs()
    }
}

/// Omni3D's threshold list, largest first.
pub const OMNI3D_THRESHOLDS: [f64; 10] = [0.5, 0.45, 0.4, 0.35, 0.3, 0.25, 0.2, 0.15, 0.1, 0.05];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_not_eleven_thresholds() {
        assert_eq!(threshold_count(0.5, 0.95, 0.05), Ok(10));
        assert_eq!(
            thresholds(0.5, 0.95, 0.05).unwrap(),
            MRA10_THRESHOLDS.to_vec()
        );
        // Neighbouring parameter sets where the float expression is exact give the "+2" count.
        assert_eq!(threshold_count(0.05, 0.5, 0.05), Ok(11));
        assert_eq!(threshold_count(0.1, 0.9, 0.1), Ok(10));
        assert_eq!(threshold_count(0.5, 1.0, 0.05), Ok(12));
        assert!(threshold_count(0.5, 0.95, 0.0).is_err());
        assert!(threshold_count(0.95, 0.5, 0.05).is_err());
    }

    #[test]
    fn linspace_matches_numpy() {
        let v = linspace(0.5, 0.95, 10);
        assert_eq!(v[8].to_bits(), 0.8999999999999999_f64.to_bits());
        assert_eq!(v[9], 0.95);
        assert_eq!(linspace(2.0, 3.0, 1), vec![2.0]);
        assert_eq!(linspace(1.0, 1.0, 3), vec![1.0, 1.0, 1.0]);
        assert!(linspace(0.0, 1.0, 0).is_empty());
    }

    #[test]
    fn boundary_relative_errors() {
        // rel_err 0.45 exactly: 1 − 0.55 = 0.44999999999999996 < 0.45, so only θ=0.5 passes.
        assert_eq!(mra10(14.5, 10.0), 0.1);
        assert_eq!(mra10(5.5, 10.0), 0.1);
        // rel_err 0.5 passes the first threshold (≤).
        assert_eq!(mra10(15.0, 10.0), 0.1);
        assert_eq!(mra10(15.01, 10.0), 0.0);
        assert_eq!(mra10(10.0, 10.0), 1.0);
        // rel_err 0.05: 1 − 0.95 = 0.050000000000000044 ≥ 0.05 → passes all ten.
        assert_eq!(mra10(10.5, 10.0), 1.0);
        // rel_err 0.1: 1 − 0.9 (0.8999999999999999) = 0.10000000000000009 → passes 9.
        assert_eq!(mra10(11.0, 10.0), 0.9);
        assert_eq!(mra10(-10.0, -10.0), 1.0);
        assert_eq!(mra10(f64::NAN, 1.0), 0.0);
        assert_eq!(mra10(f64::INFINITY, 1.0), 0.0);
    }

    #[test]
    fn zero_target_variants() {
        assert_eq!(mra10(0.0, 0.0), 1.0);
        assert_eq!(mra10(0.01, 0.0), 0.0);
        assert_eq!(mra10_with(5.0, 0.0, ZeroPolicy::ScoreZero), 0.0);
        assert_eq!(mra10_with(0.0, 0.0, ZeroPolicy::ScoreZero), 0.0);
        // SPAR: rel_err = |pred|.
        assert_eq!(mra10_with(0.04, 0.0, ZeroPolicy::AbsoluteError), 1.0);
        assert_eq!(mra10_with(-0.3, 0.0, ZeroPolicy::AbsoluteError), 0.5);
        assert_eq!(mra10_with(0.6, 0.0, ZeroPolicy::AbsoluteError), 0.0);
        // OSI threshold: below → 1 (negative included); otherwise MRA against the threshold.
        assert_eq!(mra10_with(0.29, 0.0, ZeroPolicy::Threshold(0.3)), 1.0);
        assert_eq!(mra10_with(-4.0, 0.0, ZeroPolicy::Threshold(0.3)), 1.0);
        assert_eq!(mra10_with(0.3, 0.0, ZeroPolicy::Threshold(0.3)), 1.0);
        assert_eq!(mra10_with(0.44, 0.0, ZeroPolicy::Threshold(0.3)), 0.1);
        // (0.45 − 0.3)/0.3 is 0.5000000000000001 in f64: fails even θ=0.5, as in numpy.
        assert_eq!(mra10_with(0.45, 0.0, ZeroPolicy::Threshold(0.3)), 0.0);
        assert_eq!(mra10_with(3.0, 0.0, ZeroPolicy::Threshold(2.0)), 0.1);
        assert_eq!(
            mean_relative_accuracy(3.0, 0.0, 0.5, 0.95, 0.05, ZeroPolicy::Threshold(2.0)),
            Ok(0.1)
        );
    }

    #[test]
    fn omni3d_is_strict() {
        assert_eq!(omni3d_mra(10.0, 10.0), 1.0);
        // rel_err 0.5 fails 0.5 under strict <.
        assert_eq!(omni3d_mra(15.0, 10.0), 0.0);
        // rel_err 0.05 fails the 0.05 threshold: 9 of 10.
        assert_eq!(omni3d_mra(10.5, 10.0), 0.9);
        assert_eq!(omni3d_mra(0.2, 0.0), 0.6);
        assert_eq!(omni3d_relative_error(0.2, 0.0), 0.2);
    }
}
