//! The binary as a newcomer uses it.

use assert_cmd::Command;

fn score(stdout: &str) -> f64 {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("Score (MRA): "))
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| panic!("no score line in:\n{stdout}"))
}

#[test]
fn the_demo_answers_its_question_end_to_end() {
    for seed in ["7", "3"] {
        let out = Command::cargo_bin("spatialclaw")
            .unwrap()
            .args(["demo", "--seed", seed])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "seed {seed}:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("Question: What is the closest distance in metres between the "));
        assert!(
            stdout.matches("Purpose: ").count() >= 2,
            "at least two steps:\n{stdout}"
        );
        assert!(stdout.contains("tools.Reconstruct.Reconstruct(InputImages)"));
        assert!(stdout.contains("[ANSWER SUBMITTED]"));
        assert!(stdout.contains("Ground truth: "));
        assert!(score(&stdout) >= 0.9, "seed {seed}:\n{stdout}");
    }
}

#[test]
fn help_has_a_sentence_per_subcommand() {
    let out = Command::cargo_bin("spatialclaw")
        .unwrap()
        .arg("--help")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for (name, words) in [("demo", "SynthSpatial question"), ("exec", "Python cells")] {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("{name} missing:\n{text}"));
        assert!(line.contains(words), "{line}");
    }
}

#[test]
fn exec_runs_files_as_consecutive_cells() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.py");
    let b = dir.path().join("b.py");
    std::fs::write(&a, "total = sum(range(5))\n").unwrap();
    std::fs::write(&b, "print('total is', total)\n").unwrap();
    let out = Command::cargo_bin("spatialclaw")
        .unwrap()
        .arg("exec")
        .arg(&a)
        .arg(&b)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("total: int = 10"), "{stdout}");
    assert!(stdout.contains("total is 10"), "{stdout}");

    std::fs::write(&b, "print(undefined_name)\n").unwrap();
    let out = Command::cargo_bin("spatialclaw")
        .unwrap()
        .arg("exec")
        .arg(&a)
        .arg(&b)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("[ERROR] NameError"));
}

#[test]
fn exec_with_a_missing_file_says_which() {
    let out = Command::cargo_bin("spatialclaw")
        .unwrap()
        .args(["exec", "/nonexistent/cell.py"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/cell.py"));
}

#[test]
fn exec_applies_the_agent_lint_before_running() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.py");
    std::fs::write(&a, "f = open\nprint(f('/etc/hostname').read())\n").unwrap();
    let out = Command::cargo_bin("spatialclaw")
        .unwrap()
        .arg("exec")
        .arg(&a)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("line 1"), "{stdout}");
    assert!(!stdout.contains("[SUCCESS]"));
}
