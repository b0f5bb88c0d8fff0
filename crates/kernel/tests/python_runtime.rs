//! The in-kernel runtime's own unit tests (python/tests, unittest), run with the provisioned
//! interpreter so `cargo test` covers the Python side too.

use std::process::Command;

#[test]
fn python_runtime_unit_tests_pass() {
    let env =
        spatialclaw_kernel::ensure_python_env(|m| eprintln!("{m}")).expect("python environment");
    let python_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../python");
    let out = Command::new(&env.python)
        .args(["-m", "unittest", "discover", "-s", "tests", "-t", "."])
        .current_dir(&python_dir)
        .env("PYTHONPATH", &python_dir)
        .env("MPLBACKEND", "Agg")
        .env("OPENBLAS_NUM_THREADS", "1")
        .env("OMP_NUM_THREADS", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run python -m unittest");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "python unit tests failed:\n{stderr}");
    // unittest prints "Ran N tests"; make sure it found them.
    let ran: usize = stderr
        .lines()
        .find_map(|l| {
            l.strip_prefix("Ran ")
                .and_then(|r| r.split_whitespace().next())
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0);
    assert!(
        ran >= 50,
        "expected the runtime's test suite, ran {ran}:\n{stderr}"
    );
}
