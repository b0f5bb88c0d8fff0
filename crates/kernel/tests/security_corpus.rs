//! The adversarial corpus (`crates/kernel/security/`, issue 9): at least 100 escape attempts,
//! each given to the lint and then run in a real session with the lint bypassed.
//!
//! Nothing may escape the full stack. With the lint bypassed, only the in-process gaps named in
//! `KNOWN_GAPS` may get through (each is still stopped by the lint, and none of them reaches
//! anything outside the session's process: the OS layers hold); any other cell that escapes
//! the runtime and OS layers alone fails the test.

use std::path::Path;

use spatialclaw_kernel::ensure_python_env;
use spatialclaw_kernel::security::{Verdict, run_corpus};

/// Cells that escape the audit hook when the lint is bypassed, and why they stay contained.
const KNOWN_GAPS: &[(&str, &str)] = &[
    (
        "ctypes/np_ctypes_attr.py",
        "ctypes is loaded before agent code (numpy imports it, Landlock setup uses it): \
         ctypes.cast on an address reads process memory; in-process only",
    ),
    (
        "ctypes/sys_modules_ctypes_cast.py",
        "the same loaded ctypes module, taken from sys.modules",
    ),
    (
        "reads/os_stat_canary.py",
        "os.stat has no audit event and Landlock does not cover it: a file's size and times \
         outside the roots are visible, never its content",
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_cell_of_the_corpus_escapes() {
    let env = ensure_python_env(|m| eprintln!("{m}")).expect("python environment");
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("security");
    let report = run_corpus(&env, &corpus).await.expect("the corpus runs");
    println!("{}", report.render());
    for c in &report.cells {
        println!(
            "{:<45} {:<19} {:<19} {}",
            c.name,
            c.verdict.as_str(),
            c.without_lint.as_str(),
            c.detail
        );
    }
    assert!(report.tried() >= 100, "only {} cells", report.tried());
    let escaped: Vec<_> = report.escaped().iter().map(|c| &c.name).collect();
    assert!(escaped.is_empty(), "escaped: {escaped:?}");
    let deeper: Vec<_> = report
        .escaped_without_lint()
        .into_iter()
        .filter(|c| !KNOWN_GAPS.iter().any(|(name, _)| *name == c.name))
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect();
    assert!(
        deeper.is_empty(),
        "escaped with the lint bypassed: {deeper:?}"
    );
    for (name, why) in KNOWN_GAPS {
        let cell = report
            .cells
            .iter()
            .find(|c| c.name == *name)
            .unwrap_or_else(|| panic!("known gap {name} is no longer in the corpus"));
        assert_eq!(
            cell.verdict,
            Verdict::BlockedByLint,
            "{name} ({why}) must stay blocked by the lint"
        );
        if cell.without_lint != Verdict::Escaped {
            println!(
                "known gap {name} no longer escapes the runtime layers: remove it from KNOWN_GAPS"
            );
        }
    }
}
