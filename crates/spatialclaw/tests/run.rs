//! `spatialclaw run` as a user runs it: a benchmark in its real on-disk layout, a model server
//! speaking the OpenAI format on 127.0.0.1, real kernel sessions; killed with SIGKILL and
//! resumed; sharded and merged.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use spatialclaw_llm::local_server::LocalServer;

const SAMPLES: usize = 8;

/// An OmniSpatial fixture: `SAMPLES` good records and one whose image is missing.
fn fixture(root: &Path) {
    let dir = root.join("OmniSpatial/OmniSpatial-test");
    std::fs::create_dir_all(dir.join("Dynamic_Reasoning")).unwrap();
    let mut png = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut png, 16, 12);
        enc.set_color(png::ColorType::Rgb);
        enc.write_header()
            .unwrap()
            .write_image_data(&[120; 16 * 12 * 3])
            .unwrap();
    }
    let mut items = Vec::new();
    for i in 0..SAMPLES {
        std::fs::write(dir.join(format!("Dynamic_Reasoning/{i}.png")), &png).unwrap();
        items.push(json!({"id": i.to_string(), "task_type": "Dynamic_Reasoning", "sub_task_type": "Motion",
            "question": format!("Question {i}: which way?"), "options": ["left", "right"], "answer": i % 2}));
    }
    items.push(
        json!({"id": "99", "task_type": "Dynamic_Reasoning", "sub_task_type": "Motion",
        "question": "Missing image", "options": ["left", "right"], "answer": 0}),
    );
    std::fs::write(dir.join("data.json"), serde_json::to_vec(&items).unwrap()).unwrap();
}

/// A model that always submits "A" after a short think, so runs take long enough to be killed.
fn model(root: &Path, delay: Duration) -> (LocalServer, PathBuf) {
    let server = LocalServer::start(move |_req: &Value| {
        std::thread::sleep(delay);
        Ok("**Purpose**: answer\n**Reasoning**: r\n**Next Goal**: done\n**Code**:\n```python\nReturnAnswer('A')\n```".into())
    })
    .unwrap();
    let cfg = root.join("model.json");
    std::fs::write(
        &cfg,
        json!({"llm_model": "test", "llm_base_url": server.base_url(), "llm_api_key": ""})
            .to_string(),
    )
    .unwrap();
    (server, cfg)
}

fn run_cmd(root: &Path, cfg: &Path, out: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_spatialclaw"));
    cmd.args([
        "run",
        "--benchmark",
        "omnispatial",
        "--no-planning",
        "--concurrency",
        "2",
        "--quiet",
    ])
    .arg("--data-root")
    .arg(root)
    .arg("--model")
    .arg(cfg)
    .arg("--out")
    .arg(out)
    .args(extra);
    cmd
}

fn records(out: &Path) -> Vec<Value> {
    std::fs::read_to_string(out.join("predictions.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_run_scores_every_sample_and_records_failures() {
    let root = tempfile::tempdir().unwrap();
    fixture(root.path());
    let (_server, cfg) = model(root.path(), Duration::from_millis(0));
    let out = root.path().join("out");
    let o = run_cmd(root.path(), &cfg, &out, &[]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let recs = records(&out);
    assert_eq!(recs.len(), SAMPLES + 1);
    let failed: Vec<&Value> = recs.iter().filter(|r| r["status"] == "failed").collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["failure"]["kind"], "data");
    assert!(
        failed[0]["failure"]["reason"]
            .as_str()
            .unwrap()
            .contains("missing file"),
        "{}",
        failed[0]
    );
    let ok = recs
        .iter()
        .find(|r| r["sample_id"] == "Dynamic_Reasoning_Motion_0")
        .unwrap();
    assert_eq!(ok["content"], "A");
    assert_eq!(ok["ground_truth"], "A");
    let summary: Value =
        serde_json::from_slice(&std::fs::read(out.join("results_summary.json")).unwrap()).unwrap();
    assert_eq!(summary["benchmark"], "omnispatial");
    assert_eq!(summary["failed_samples"], 1);
    assert!(
        out.join("sessions/Dynamic_Reasoning_Motion_0/trajectory.json")
            .is_file()
    );
    assert!(
        out.join("sessions/Dynamic_Reasoning_Motion_0/trace.jsonl")
            .is_file()
    );
    let session = out.join("sessions/Dynamic_Reasoning_Motion_0");
    let page = std::fs::read_to_string(session.join("session_report.html")).unwrap();
    assert!(page.contains("Question 0: which way?") && page.contains("ReturnAnswer"));
    // The dashboard over this real run directory.
    let report = Command::new(env!("CARGO_BIN_EXE_spatialclaw"))
        .arg("report")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        report.status.success(),
        "{}",
        String::from_utf8_lossy(&report.stderr)
    );
    let index = std::fs::read_to_string(out.join("dashboard/index.html")).unwrap();
    assert!(
        index.contains("omnispatial"),
        "the dashboard names the benchmark"
    );

    // Running again into the same directory without --resume is refused, with a hint.
    let again = run_cmd(root.path(), &cfg, &out, &[]).output().unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--resume"));
    // --resume with nothing left does nothing; --retry-failed tries the failure once more.
    let resumed = run_cmd(root.path(), &cfg, &out, &["--resume", "--retry-failed"])
        .output()
        .unwrap();
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert!(String::from_utf8_lossy(&resumed.stdout).contains("1 run now"));
}

#[test]
fn kill_9_at_any_moment_then_resume_runs_every_sample_exactly_once() {
    let root = tempfile::tempdir().unwrap();
    fixture(root.path());
    let (_server, cfg) = model(root.path(), Duration::from_millis(150));
    let out = root.path().join("out");
    // A few kills at different moments (fixed delays: deterministic, no wall-clock asserts).
    for (attempt, delay_ms) in [900u64, 1700, 2600].into_iter().enumerate() {
        let extra: &[&str] = if attempt == 0 { &[] } else { &["--resume"] };
        let mut child = run_cmd(root.path(), &cfg, &out, extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
    }
    let o = run_cmd(root.path(), &cfg, &out, &["--resume"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let recs = records(&out);
    let mut count: HashMap<String, usize> = HashMap::new();
    for r in &recs {
        *count
            .entry(r["sample_id"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert_eq!(count.len(), SAMPLES + 1, "every sample recorded");
    assert!(
        count.values().all(|&n| n == 1),
        "no sample recorded twice: {count:?}"
    );
}

#[test]
fn shards_run_in_parallel_and_merge_into_the_single_run() {
    let root = tempfile::tempdir().unwrap();
    fixture(root.path());
    let (_server, cfg) = model(root.path(), Duration::from_millis(0));
    let shards: Vec<PathBuf> = (0..2)
        .map(|i| root.path().join(format!("shard{i}")))
        .collect();
    let children: Vec<_> = shards
        .iter()
        .enumerate()
        .map(|(i, d)| run_cmd(root.path(), &cfg, d, &["--shard", &format!("{i}/2")]).output())
        .collect();
    for c in children {
        let c = c.unwrap();
        assert!(c.status.success(), "{}", String::from_utf8_lossy(&c.stderr));
    }
    let merged = root.path().join("merged");
    let o = Command::new(env!("CARGO_BIN_EXE_spatialclaw"))
        .arg("merge")
        .args(&shards)
        .arg("--out")
        .arg(&merged)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(records(&merged).len(), SAMPLES + 1);
    let single = root.path().join("single");
    assert!(
        run_cmd(root.path(), &cfg, &single, &[])
            .output()
            .unwrap()
            .status
            .success()
    );
    let read = |d: &Path| -> Value {
        serde_json::from_slice(&std::fs::read(d.join("results_summary.json")).unwrap()).unwrap()
    };
    let (m, s) = (read(&merged), read(&single));
    assert_eq!(
        m["overall_accuracy"], s["overall_accuracy"],
        "merged {m}\nsingle {s}"
    );

    // A shard of another benchmark setting is refused.
    let other = root.path().join("other");
    assert!(
        run_cmd(
            root.path(),
            &cfg,
            &other,
            &["--max-steps", "3", "--limit", "1"]
        )
        .output()
        .unwrap()
        .status
        .success()
    );
    let bad = Command::new(env!("CARGO_BIN_EXE_spatialclaw"))
        .arg("merge")
        .arg(&shards[0])
        .arg(&other)
        .arg("--out")
        .arg(root.path().join("bad"))
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("different settings"));
}

#[test]
fn synth_runs_like_any_benchmark_with_exact_perception() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("synth");
    let generated = Command::new(env!("CARGO_BIN_EXE_spatialclaw"))
        .args([
            "synth",
            "generate",
            "--seed",
            "3",
            "--count",
            "4",
            "--kinds",
            "single_image,multi_view",
            "--out",
        ])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    let out = root.path().join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_spatialclaw"))
        .args([
            "run",
            "--benchmark",
            "synth",
            "--model",
            "scripted",
            "--no-planning",
            "--quiet",
            "--max-steps",
            "8",
        ])
        .arg("--data-root")
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let recs = records(&out);
    assert_eq!(recs.len(), 4);
    assert!(recs.iter().all(|r| r["status"] == "ok"), "{recs:?}");
    let summary: Value =
        serde_json::from_slice(&std::fs::read(out.join("results_summary.json")).unwrap()).unwrap();
    let acc = summary["overall_accuracy"]
        .as_f64()
        .unwrap_or_else(|| panic!("{summary}"));
    assert!(
        acc >= 0.9,
        "the scripted policy with exact perception: {summary}"
    );
}

#[test]
fn synth_curve_reports_accuracy_per_family_and_noise_strength() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("synth");
    let generated = Command::new(env!("CARGO_BIN_EXE_spatialclaw"))
        .args([
            "synth",
            "generate",
            "--seed",
            "5",
            "--count",
            "3",
            "--kinds",
            "single_image",
            "--out",
        ])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    let o = Command::new(env!("CARGO_BIN_EXE_spatialclaw"))
        .args([
            "synth",
            "curve",
            "--strengths",
            "0,3",
            "--json",
            "--data-root",
        ])
        .arg(&data)
        .arg("--out")
        .arg(root.path().join("curve"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let overall: Vec<f64> = v["overall"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert_eq!(overall.len(), 2);
    assert!(overall[0] >= 0.9, "exact perception: {v}");
    assert!(overall[1] <= overall[0], "heavy noise does not help: {v}");
    assert!(!v["families"].as_object().unwrap().is_empty());
}
