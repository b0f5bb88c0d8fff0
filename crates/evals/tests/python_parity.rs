//! Cross-checks against the machine's CPython: `random.seed` + `shuffle` (subsampling) and the MRA
//! threshold construction (numpy's linspace formula replayed with Python floats, which perform the same
//! IEEE operations; numpy itself is not required).

use std::process::Command;

use spatialclaw_evals::scoring::mra::{self, MRA10_THRESHOLDS, mra10};
use spatialclaw_evals::subsample::{PyRandom, shuffled_indices, subsample_indices};

/// Runs a Python snippet and returns its stdout, or `None` (with a note) when python3 is unavailable.
fn python(code: &str) -> Option<String> {
    match Command::new("python3").arg("-c").arg(code).output() {
        Ok(out) if out.status.success() => {
            Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
        }
        Ok(out) => panic!("python3 failed: {}", String::from_utf8_lossy(&out.stderr)),
        Err(e) => {
            eprintln!(
                "python3 not available ({e}); parity check skipped, hard-coded vectors still run"
            );
            None
        }
    }
}

fn parse_list(s: &str) -> Vec<u64> {
    s.trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .filter(|t| !t.trim().is_empty())
        .map(|t| t.trim().parse().expect("integer"))
        .collect()
}

#[test]
fn shuffle_matches_cpython_for_many_seeds_and_sizes() {
    let cases: [(u64, usize, usize); 8] = [
        (42, 10, 10),
        (42, 2362, 50),
        (42, 7207, 1000),
        (0, 100, 100),
        (1, 3, 3),
        (7, 5130, 20),
        (123_456_789, 1000, 40),
        ((1u64 << 35) + 3, 64, 64),
    ];
    for (seed, n, k) in cases {
        let code = format!(
            "import random; random.seed({seed}); x=list(range({n})); random.shuffle(x); print(x[:{k}])"
        );
        let Some(out) = python(&code) else { return };
        let expected = parse_list(&out);
        let ours: Vec<u64> = shuffled_indices(n, seed)[..k]
            .iter()
            .map(|&i| i as u64)
            .collect();
        assert_eq!(ours, expected, "seed {seed}, n {n}");
        let sub: Vec<u64> = subsample_indices(n, k, seed)
            .iter()
            .map(|&i| i as u64)
            .collect();
        assert_eq!(sub, expected);
    }
}

#[test]
fn getrandbits_matches_cpython() {
    let ks = [1u32, 5, 17, 31, 32, 33, 47, 63, 64];
    let code = format!(
        "import random; random.seed(2024); print([random.getrandbits(k) for k in {:?}])",
        ks.to_vec()
    );
    let Some(out) = python(&code) else { return };
    let expected = parse_list(&out);
    let mut r = PyRandom::new(2024);
    let ours: Vec<u64> = ks.iter().map(|&k| r.getrandbits(k)).collect();
    assert_eq!(ours, expected);
}

#[test]
fn hard_coded_seed_42_subset() {
    // random.seed(42); x = list(range(10)); random.shuffle(x) → [7, 3, 2, 8, 5, 6, 9, 4, 0, 1]
    assert_eq!(subsample_indices(10, 5, 42), vec![7, 3, 2, 8, 5]);
}

#[test]
fn threshold_counts_and_linspace_match_python() {
    let params = [
        (0.5, 0.95, 0.05),
        (0.05, 0.5, 0.05),
        (0.1, 0.9, 0.1),
        (0.5, 1.0, 0.05),
        (0.3, 0.9, 0.06),
        (0.5, 0.95, 0.045),
    ];
    for (s, e, i) in params {
        let code = format!(
            "s,e,i={s:?},{e:?},{i:?}\nn=int((e-s)/i+2)\nstep=(e-s)/(n-1)\nys=[k*step+s for k in range(n)]\nys[-1]=e\nprint(n)\nprint(' '.join(repr(y) for y in ys))"
        );
        let Some(out) = python(&code) else { return };
        let mut lines = out.lines();
        let n: usize = lines.next().expect("count").parse().expect("int");
        let ys: Vec<f64> = lines
            .next()
            .expect("values")
            .split(' ')
            .map(|t| t.parse().expect("float"))
            .collect();
        assert_eq!(mra::threshold_count(s, e, i), Ok(n), "{s} {e} {i}");
        let ours = mra::thresholds(s, e, i).expect("thresholds");
        assert_eq!(
            ours.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            ys.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
    }
}

#[test]
fn mra10_matches_python_on_a_grid() {
    let preds = [
        0.0, 0.5, 0.95, 1.0, 1.05, 1.1, 1.45, 1.5, 1.55, 2.0, 3.3, 5.5, 9.0, 10.0, 10.5, 11.0,
        14.5, 15.0, 17.2, -3.0,
    ];
    let targets = [1.0, 1.1, 2.0, 3.3, 10.0, 0.7, -3.0];
    let code = format!(
        "ths=[0.5+k*((0.95-0.5)/9) for k in range(10)]\nths[-1]=0.95\nps={preds:?}\nts={targets:?}\nprint(' '.join(repr(sum(abs(p-t)/abs(t) <= 1-x for x in ths)/10) for t in ts for p in ps))"
    );
    let Some(out) = python(&code) else { return };
    let expected: Vec<f64> = out.split(' ').map(|t| t.parse().expect("float")).collect();
    let ours: Vec<f64> = targets
        .iter()
        .flat_map(|&t| preds.iter().map(move |&p| mra10(p, t)))
        .collect();
    assert_eq!(ours, expected);
    assert_eq!(MRA10_THRESHOLDS.len(), 10);
}

#[test]
fn paper_subsample_of_a_large_benchmark_matches_python() {
    use spatialclaw_evals::scoring::suite::paper_benchmark_score;
    let code = "import random; random.seed(42); x=list(range(1500)); random.shuffle(x); print(sum(1 for i in x[:1000] if i < 750))";
    let Some(out) = python(code) else { return };
    let hits: f64 = out.parse().expect("int");
    let scores: Vec<Option<f64>> = (0..1500)
        .map(|i| Some(if i < 750 { 1.0 } else { 0.0 }))
        .collect();
    let (mean, n, subsampled) = paper_benchmark_score(&scores, 1000, 42);
    assert!(subsampled);
    assert_eq!(n, 1000);
    assert_eq!(mean, hits / 1000.0);
}
