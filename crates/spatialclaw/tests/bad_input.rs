//! `spatialclaw run` on bad input, as a user would hit it: corrupt, truncated, huge and zero-byte
//! images, videos ffmpeg cannot read, empty questions, ground truths and answers of the wrong type,
//! and malformed model and run configs. Every bad sample is recorded once as failed with a reason
//! that says what is wrong and what to do; the run goes on and the good samples score.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};
use spatialclaw_evals::video::Ffmpeg;
use spatialclaw_llm::local_server::LocalServer;

fn png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.write_header()
            .unwrap()
            .write_image_data(&vec![120; (w * h * 3) as usize])
            .unwrap();
    }
    out
}

/// A well-formed PNG that declares 20000×20000 RGB pixels (1.2 GB decoded) in a few dozen bytes.
fn png_bomb() -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8; 4], data: &[u8]| {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32fast::hash(&body).to_be_bytes());
    };
    let mut ihdr = 20000u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&20000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(b"IEND", &[]);
    out
}

/// A model that answers "A" at once.
const ANSWER_A: &str = "**Purpose**: answer\n**Reasoning**: r\n**Next Goal**: done\n**Code**:\n```python\nReturnAnswer('A')\n```";

/// A model config for `server`, with extra top-level fields.
fn model_config(root: &Path, server: &LocalServer, extra: Value) -> PathBuf {
    let mut cfg =
        json!({"llm_model": "test", "llm_base_url": server.base_url(), "llm_api_key": ""});
    if let (Some(m), Some(e)) = (cfg.as_object_mut(), extra.as_object()) {
        m.extend(e.clone());
    }
    let path = root.join("model.json");
    std::fs::write(&path, cfg.to_string()).unwrap();
    path
}

fn run(benchmark: &str, root: &Path, model: &Path, out: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spatialclaw"))
        .args([
            "run",
            "--benchmark",
            benchmark,
            "--no-planning",
            "--concurrency",
            "2",
            "--max-steps",
            "6",
            "--quiet",
        ])
        .arg("--data-root")
        .arg(root)
        .arg("--model")
        .arg(model)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Records by sample id; every sample must be recorded exactly once.
fn records(out: &Path) -> HashMap<String, Value> {
    let text = std::fs::read_to_string(out.join("predictions.jsonl")).unwrap();
    let mut by_id = HashMap::new();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let id = v["sample_id"].as_str().unwrap().to_owned();
        assert!(by_id.insert(id.clone(), v).is_none(), "{id} recorded twice");
    }
    by_id
}

fn assert_failed(recs: &HashMap<String, Value>, id: &str, wants: &[&str]) {
    let r = recs
        .get(id)
        .unwrap_or_else(|| panic!("{id} not recorded: {:?}", recs.keys()));
    assert_eq!(r["status"], "failed", "{id}: {r}");
    assert_eq!(r["failure"]["kind"], "data", "{id}: {r}");
    let reason = r["failure"]["reason"].as_str().unwrap_or("");
    for w in wants {
        assert!(reason.contains(w), "{id}: reason {reason:?} lacks {w:?}");
    }
}

const OMNI: &str = "Dynamic_Reasoning_Motion_";

/// OmniSpatial with two good samples and one of each bad image and bad record.
fn omnispatial(root: &Path) {
    let dir = root.join("OmniSpatial/OmniSpatial-test");
    let img = dir.join("Dynamic_Reasoning");
    std::fs::create_dir_all(&img).unwrap();
    let good = png(16, 12);
    let mut flipped = good.clone();
    let idat = flipped.windows(4).position(|w| w == b"IDAT").unwrap();
    flipped[idat + 6] ^= 0x10;
    let files: [(&str, Vec<u8>); 9] = [
        ("0", good.clone()),
        ("1", good.clone()),
        ("2", Vec::new()),
        ("3", good[..good.len() / 2].to_vec()),
        ("4", flipped),
        ("5", png_bomb()),
        ("6", b"<!DOCTYPE html><title>404 Not Found</title>".to_vec()),
        ("7", good.clone()),
        ("8", good.clone()),
    ];
    let mut items = Vec::new();
    for (id, bytes) in &files {
        std::fs::write(img.join(format!("{id}.png")), bytes).unwrap();
        let question = if *id == "7" {
            " "
        } else {
            "Which way does it move?"
        };
        let options: Vec<&str> = if *id == "8" {
            vec![]
        } else {
            vec!["left", "right"]
        };
        items.push(
            json!({"id": id, "task_type": "Dynamic_Reasoning", "sub_task_type": "Motion",
            "question": question, "options": options, "answer": 0}),
        );
    }
    std::fs::write(dir.join("data.json"), serde_json::to_vec(&items).unwrap()).unwrap();
}

#[test]
fn bad_images_and_records_fail_their_sample_and_the_run_scores_the_rest() {
    let root = tempfile::tempdir().unwrap();
    omnispatial(root.path());
    let server = LocalServer::start(|_: &Value| Ok(ANSWER_A.into())).unwrap();
    // A misspelt field in the model config is reported, not silently dropped.
    let cfg = model_config(root.path(), &server, json!({"llm_modle": "typo"}));
    let out = root.path().join("out");
    let o = run("omnispatial", root.path(), &cfg, &out, &[]);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("warning: model config")
            && err.contains("model.json")
            && err.contains("unknown field `llm_modle`"),
        "{err}"
    );
    let recs = records(&out);
    assert_eq!(recs.len(), 9, "{:?}", recs.keys());
    for id in ["0", "1"] {
        let r = &recs[&format!("{OMNI}{id}")];
        assert_eq!(r["status"], "ok", "{r}");
        assert_eq!(r["content"], "A");
        assert_eq!(r["score"], 1.0, "{r}");
    }
    assert_failed(
        &recs,
        &format!("{OMNI}2"),
        &["2.png", "is empty (0 bytes)", "re-download"],
    );
    assert_failed(
        &recs,
        &format!("{OMNI}3"),
        &["3.png", "truncated png", "re-download"],
    );
    assert_failed(&recs, &format!("{OMNI}4"), &["4.png", "corrupt png", "CRC"]);
    assert_failed(
        &recs,
        &format!("{OMNI}5"),
        &["5.png", "20000×20000", "limit of 67.1 Mpx", "downscale"],
    );
    assert_failed(
        &recs,
        &format!("{OMNI}6"),
        &["6.png", "not an image in a known format", "PNG"],
    );
    assert_failed(&recs, &format!("{OMNI}7"), &["question is empty", "fix"]);
    assert_failed(&recs, &format!("{OMNI}8"), &["no options"]);
    // No session was started for a refused sample.
    assert!(!out.join(format!("sessions/{OMNI}5")).exists());
    let summary: Value =
        serde_json::from_slice(&std::fs::read(out.join("results_summary.json")).unwrap()).unwrap();
    assert_eq!(summary["failed_samples"], 7, "{summary}");
    assert_eq!(summary["load_errors"], 2, "{summary}");
    run_config_errors_name_the_field_and_the_file(root.path(), &out, &cfg);
}

/// A damaged `config.json` in a finished run directory: `merge` and `--resume` say which file and
/// which field.
fn run_config_errors_name_the_field_and_the_file(root: &Path, run_dir: &Path, cfg: &Path) {
    let original: Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("config.json")).unwrap()).unwrap();
    type Edit = fn(&mut Value);
    let cases: [(&str, Edit, &[&str]); 3] = [
        (
            "wrong_type",
            |c| c["max_steps"] = json!("thirty"),
            &["field `max_steps`", "invalid type", "expected usize"],
        ),
        (
            "missing",
            |c| {
                c.as_object_mut().unwrap().remove("benchmark");
            },
            &["missing field `benchmark`"],
        ),
        (
            "unknown",
            |c| c["max_stepz"] = json!(3),
            &["unknown field `max_stepz`", "max_steps"],
        ),
    ];
    for (name, edit, wants) in cases {
        let shard = root.join(format!("shard_{name}"));
        std::fs::create_dir_all(&shard).unwrap();
        std::fs::copy(
            run_dir.join("predictions.jsonl"),
            shard.join("predictions.jsonl"),
        )
        .unwrap();
        let mut c = original.clone();
        edit(&mut c);
        std::fs::write(shard.join("config.json"), c.to_string()).unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_spatialclaw"))
            .arg("merge")
            .arg(&shard)
            .arg("--out")
            .arg(root.join(format!("merged_{name}")))
            .output()
            .unwrap();
        let err = stderr(&o);
        assert!(!o.status.success(), "{name}: merge accepted it");
        let file = shard.join("config.json");
        assert!(
            err.contains(&file.display().to_string()),
            "{name}: {err} does not name {}",
            file.display()
        );
        for w in wants {
            assert!(err.contains(w), "{name}: {err} lacks {w:?}");
        }
        assert!(!err.contains("panicked"), "{err}");
    }
    // Not JSON at all: --resume names the file instead of claiming the settings differ.
    std::fs::write(run_dir.join("config.json"), "{\"benchmark\": \"omnisp").unwrap();
    let o = run("omnispatial", root, cfg, run_dir, &["--resume"]);
    let err = stderr(&o);
    assert!(!o.status.success());
    assert!(
        err.contains("config.json") && err.contains("not valid JSON") && err.contains("restore"),
        "{err}"
    );
}

#[test]
fn malformed_model_configs_name_the_field_and_the_file() {
    let root = tempfile::tempdir().unwrap();
    omnispatial(root.path());
    let cases = [
        (
            json!({"llm_base_url": 5}),
            vec!["llm_base_url", "expected a string"],
        ),
        (json!({"llm_model": "m"}), vec!["llm_base_url", "missing"]),
        (
            json!({"llm_base_url": "http://127.0.0.1:9/v1", "roles": {"main": {"max_tokenz": 5}}}),
            vec!["roles.main.max_tokenz", "unknown parameter"],
        ),
        (
            json!({"llm_base_url": "http://127.0.0.1:9/v1", "roles": {"main": {"temperature": "hot"}}}),
            vec!["roles.main.temperature", "expected a number"],
        ),
    ];
    for (i, (cfg, wants)) in cases.into_iter().enumerate() {
        let path = root.path().join(format!("model_{i}.json"));
        std::fs::write(&path, cfg.to_string()).unwrap();
        let out = root.path().join(format!("out_{i}"));
        let o = run("omnispatial", root.path(), &path, &out, &[]);
        let err = stderr(&o);
        assert!(!o.status.success(), "case {i} accepted");
        assert!(err.contains(&format!("model_{i}.json")), "case {i}: {err}");
        for w in wants {
            assert!(err.contains(w), "case {i}: {err} lacks {w:?}");
        }
        assert!(!err.contains("panicked"), "{err}");
    }
    let path = root.path().join("model_broken.json");
    std::fs::write(&path, "{\"llm_base_url\": ").unwrap();
    let o = run(
        "omnispatial",
        root.path(),
        &path,
        &root.path().join("out_b"),
        &[],
    );
    let err = stderr(&o);
    assert!(
        !o.status.success() && err.contains("model_broken.json") && err.contains("not valid JSON"),
        "{err}"
    );
}

/// The model submits a list, a dict and None before a letter: the kernel refuses each with a
/// TypeError the model reads, and the sample finishes with the letter.
#[test]
fn answers_of_the_wrong_type_are_refused_in_the_cell_and_the_agent_goes_on() {
    let root = tempfile::tempdir().unwrap();
    omnispatial(root.path());
    let server = LocalServer::start(|req: &Value| {
        let turns = req["messages"]
            .as_array()
            .map(|m| m.iter().filter(|x| x["role"] == "assistant").count())
            .unwrap_or(0);
        let code = match turns {
            0 => "ReturnAnswer([1, 2])",
            1 => "ReturnAnswer({'answer': 'B'})",
            2 => "ReturnAnswer(None)",
            _ => "ReturnAnswer('A')",
        };
        Ok(format!(
            "**Purpose**: answer\n**Reasoning**: r\n**Next Goal**: done\n**Code**:\n```python\n{code}\n```"
        ))
    })
    .unwrap();
    let cfg = model_config(root.path(), &server, json!({}));
    let out = root.path().join("out");
    let id = format!("{OMNI}0");
    let o = run(
        "omnispatial",
        root.path(),
        &cfg,
        &out,
        &["--sample-ids", &id],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let recs = records(&out);
    assert_eq!(recs.len(), 1);
    let r = &recs[&id];
    assert_eq!(r["status"], "ok", "{r}");
    assert_eq!(r["content"], "A", "{r}");
    assert_eq!(r["steps"], 4, "{r}");
    let trajectory: Value = serde_json::from_slice(
        &std::fs::read(out.join(format!("sessions/{id}/trajectory.json"))).unwrap(),
    )
    .unwrap();
    let feedback: Vec<&str> = trajectory["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["feedback"].as_str().unwrap_or(""))
        .collect();
    for (step, ty) in [(0, "list"), (1, "dict"), (2, "NoneType")] {
        assert!(
            feedback[step].contains("ReturnAnswer accepts a str, int or float")
                && feedback[step].contains(ty),
            "step {step}: {}",
            feedback[step]
        );
    }
}

fn ffmpeg() -> Option<Ffmpeg> {
    Ffmpeg::locate()
        .inspect_err(|e| eprintln!("SKIPPED: {e}"))
        .ok()
}

#[test]
fn videos_ffmpeg_cannot_read_fail_their_sample_and_the_rest_score() {
    let Some(ffmpeg) = ffmpeg() else { return };
    let root = tempfile::tempdir().unwrap();
    let d = root.path().join("VSI-Bench");
    let videos = d.join("scannet");
    std::fs::create_dir_all(&videos).unwrap();
    let good = videos.join("good.mp4");
    ffmpeg
        .write_test_pattern(&good, (32, 24), 4, 1)
        .expect("ffmpeg generated the test video");
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(
        videos.join("garbage.mp4"),
        b"\x00\x01garbage, not a video".repeat(50),
    )
    .unwrap();
    std::fs::write(videos.join("truncated.mp4"), &bytes[..bytes.len() / 3]).unwrap();
    std::fs::write(videos.join("empty.mp4"), b"").unwrap();
    let mcq = |id: &str, scene: &str| {
        json!({"id": id, "dataset": "scannet", "scene_name": scene,
               "question_type": "object_rel_distance", "question": "Which is closer to the bed?",
               "options": ["A. lamp", "B. desk"], "ground_truth": "A"})
    };
    let records_in = [
        mcq("good", "good"),
        mcq("garbage", "garbage"),
        mcq("truncated", "truncated"),
        mcq("empty", "empty"),
        json!({"id": "nan_truth", "dataset": "scannet", "scene_name": "good",
               "question_type": "object_counting", "question": "How many chairs?",
               "ground_truth": "a few"}),
        json!({"id": "no_options", "dataset": "scannet", "scene_name": "good",
               "question_type": "route_planning", "question": "Which turn?", "ground_truth": "B"}),
    ];
    let lines: Vec<String> = records_in.iter().map(Value::to_string).collect();
    std::fs::write(d.join("test.jsonl"), lines.join("\n")).unwrap();

    let server = LocalServer::start(|_: &Value| Ok(ANSWER_A.into())).unwrap();
    let cfg = model_config(root.path(), &server, json!({}));
    let out = root.path().join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_spatialclaw"))
        .args([
            "run",
            "--benchmark",
            "vsibench",
            "--no-planning",
            "--concurrency",
            "2",
            "--max-steps",
            "3",
            "--key-frames",
            "2",
            "--quiet",
        ])
        .arg("--data-root")
        .arg(root.path())
        .arg("--model")
        .arg(&cfg)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let recs = records(&out);
    assert_eq!(recs.len(), 6, "{:?}", recs.keys());
    assert_eq!(recs["good"]["status"], "ok", "{}", recs["good"]);
    assert_eq!(recs["good"]["score"], 1.0, "{}", recs["good"]);
    for (id, detail) in [
        ("garbage", "Invalid data"),
        ("truncated", "moov atom not found"),
        ("empty", "empty (0 bytes)"),
    ] {
        assert_failed(
            &recs,
            id,
            &[
                &format!("{id}.mp4"),
                "is not a readable video",
                detail,
                "re-download or re-encode",
            ],
        );
    }
    assert_failed(
        &recs,
        "nan_truth",
        &["ground truth cannot be scored", "a few"],
    );
    assert_failed(&recs, "no_options", &["route_planning", "no options"]);
    let summary: Value =
        serde_json::from_slice(&std::fs::read(out.join("results_summary.json")).unwrap()).unwrap();
    assert_eq!(summary["failed_samples"], 5, "{summary}");
}

/// `spatialclaw ask` refuses a bad image before any model call, naming the file and the problem.
#[test]
fn ask_refuses_bad_images_before_calling_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let server = LocalServer::start(|_: &Value| Ok(ANSWER_A.into())).unwrap();
    let model = model_config(dir.path(), &server, json!({}));
    let cases: [(&str, Vec<u8>, &str); 3] = [
        ("empty.png", Vec::new(), "empty"),
        ("bomb.png", png_bomb(), "20000"),
        ("cut.png", png(16, 16)[..40].to_vec(), "truncated"),
    ];
    for (name, bytes, says) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_spatialclaw"))
            .args(["ask", "How many chairs?", "--model"])
            .arg(&model)
            .arg("--image")
            .arg(&path)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name}: {err}");
        assert!(err.contains(name) && err.contains(says), "{name}: {err}");
    }
    assert_eq!(server.request_count(), 0, "no model call for a bad image");
}
