//! Hand-made run directories for the report tests: the files `spatialclaw run` writes, with
//! known numbers, a 30-step video trajectory, and hostile agent output.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::{Value, json};

/// The text agent code tries to inject; it must appear escaped, never as markup.
pub const HOSTILE: &str =
    "</code></pre><script>alert('pwned')</script><img src=\"http://evil.example/x.png\">";

/// A PNG whose left half is pure magenta, so a screenshot can prove the image was drawn.
pub fn magenta_png(w: u32, h: u32) -> Vec<u8> {
    let mut data = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            if x < w / 2 {
                data.extend_from_slice(&[255, 0, 255]);
            } else {
                data.extend_from_slice(&[(x * 255 / w) as u8, (y * 255 / h) as u8, 80]);
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().unwrap();
        writer.write_image_data(&data).unwrap();
    }
    out
}

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn step(i: usize, steps: usize) -> Value {
    let last = i == steps;
    let error_step = i == 3;
    let code = if i == 2 {
        format!("# hostile output below\nprint({HOSTILE:?})\nx = 1.5e-3  # tiny\n")
    } else if last {
        "ReturnAnswer(\"B\")".to_owned()
    } else {
        format!(
            "def dist(a, b):\n    \"\"\"Euclidean.\"\"\"\n    return float(np.linalg.norm(a - b))\n\nd_{i} = dist(np.array([0, 0, {i}]), np.zeros(3))\nprint(f'step {i}: {{d_{i}:.2f}} m')\n"
        )
    };
    json!({
        "index": i,
        "status": if error_step { "error" } else { "success" },
        "purpose": format!("Purpose of step {i}: measure the heater-door distance in frame {}", i * 4),
        "reasoning": format!("Reasoning {i}: the depth map is metric, so distances in world units are metres."),
        "next_goal": format!("Goal after step {i}"),
        "tool_call": null,
        "code": code,
        "skipped": null,
        "feedback": format!("[feedback for step {i}] variables: d_{i}"),
        "answer": if last { json!("B") } else { Value::Null },
        "error": if error_step { json!("NameError: name 'heater_mask' is not defined (line 2)") } else { Value::Null },
        "stdout": if i == 2 { HOSTILE.to_owned() } else { format!("step {i}: {i}.00 m") },
        "images": if i % 10 == 1 || i == 2 {
            json!([{"label": format!("show {i} <depth>"), "bytes": 1234, "png_base64": b64(&magenta_png(64, 48)), "dropped": i == 21}])
        } else { json!([]) },
        "tool_calls": if i.is_multiple_of(2) { 2 } else { 0 },
        "repairs": 0,
        "context_trims": 0,
        "usage": {"prompt_tokens": 1000 + i, "completion_tokens": 100, "reasoning_tokens": 10},
        "llm_time": 1.25,
        "exec_time": 0.031
    })
}

/// A trajectory record shaped like the agent's `Trajectory` serialisation.
pub fn trajectory(id: &str, steps: usize) -> Value {
    json!({
        "task_id": id,
        "interface": "code",
        "instruction": "How far is the heater from the door? Options: A. 1 m B. 2 m C. 3 m",
        "system_prompt": "You are a spatial reasoning agent. <tools> …",
        "plan": {
            "text": "1. Reconstruct the scene.\n2. Segment heater and door.\n3. Measure.",
            "error": null,
            "checklist": {"items": [{"id": "chk_001", "priority": "HIGH", "description": "Check metric scale", "status": "VERIFIED", "note": null, "added_at_step": 0, "resolved_at_step": 2}]},
            "time": 2.5
        },
        "steps": (1..=steps).map(|i| step(i, steps)).collect::<Vec<_>>(),
        "reflections": [{"after_step": 3, "verdict": "concern", "explanation": "The mask is missing.", "suggestion": "Segment the heater first.", "rejected_answer": null, "message": null}],
        "answer": {"text": "B", "source": "submitted"},
        "termination": "answered",
        "forced": null,
        "tool_calls": steps,
        "show_images": 4,
        "answer_attempts": 1,
        "images_trimmed": 0,
        "usage": {"calls": steps + 3, "failed_calls": 1, "retries": 2, "prompt_tokens": 123456, "completion_tokens": 7890, "reasoning_tokens": 456, "max_prompt_tokens": 20000, "max_completion_tokens": 800, "last_prompt_tokens": 19000},
        "timings": {"total": 95.5, "planning": 2.5, "llm": 60.0, "exec": 30.0, "reflection": 3.0, "termination": 0.0}
    })
}

/// A run directory. `records` are predictions.jsonl lines; each record whose id is in
/// `with_sessions` gets a session folder with a trajectory of `steps` steps.
pub fn make_run(
    root: &Path,
    name: &str,
    config: Value,
    records: &[Value],
    summary: Option<Value>,
    with_sessions: &[(&str, usize)],
) -> PathBuf {
    let dir = root.join(name);
    write(
        &dir.join("config.json"),
        &serde_json::to_string_pretty(&config).unwrap(),
    );
    let lines: Vec<String> = records.iter().map(|r| r.to_string()).collect();
    write(&dir.join("predictions.jsonl"), &(lines.join("\n") + "\n"));
    if let Some(s) = summary {
        write(&dir.join("results_summary.json"), &s.to_string());
    }
    for (id, steps) in with_sessions {
        let session = dir.join("sessions").join(id);
        write(
            &session.join("trajectory.json"),
            &trajectory(id, *steps).to_string(),
        );
        let trace = [
            json!({"event": "execution", "step_index": 4, "vlm_queries": [{"type": "thinking", "question": "Is the door <open>?", "answer": "Yes, it is open.", "images": [b64(&magenta_png(32, 24))]}]}),
            json!({"event": "feedback", "step_index": 4, "new_variables": {"d_4": "float = 4.0"}, "changed_variables": {}}),
        ];
        let trace: Vec<String> = trace.iter().map(|e| e.to_string()).collect();
        write(&session.join("trace.jsonl"), &trace.join("\n"));
        std::fs::create_dir_all(session.join("inputs")).unwrap();
        for k in 0..3 {
            std::fs::write(
                session
                    .join("inputs")
                    .join(format!("frame_{:04}.png", k * 16)),
                magenta_png(160, 120),
            )
            .unwrap();
        }
    }
    dir
}

fn rec(id: &str, content: &str, gt: &str, result: Value, extra: Value) -> Value {
    let mut r = json!({
        "sample_id": id,
        "content": content,
        "ground_truth": gt,
        "result": result,
        "usage": {"num_calls": 5, "total_prompt_tokens": 1000, "total_completion_tokens": 100, "total_reasoning_tokens": 0, "max_prompt_tokens": 500, "max_completion_tokens": 50},
        "status": "ok"
    });
    if let (Some(m), Some(e)) = (r.as_object_mut(), extra.as_object()) {
        m.extend(e.clone());
    }
    r
}

/// Three runs with known numbers:
/// * erqa · m1 · code: results 1, 0, 1 and one LLM failure; summary 0.5; mean 0.5.
/// * sparbench · m1 · code: scores 0.9, 0.3 (mean 0.6); summary overall_score 40.0 → 0.4.
/// * cvbench · m1 · react: true/false, no summary → mean 0.5.
///
/// So m1 · code: released (0.5 + 0.4) / 2 = 45.0 %, paper (0.5 + 0.6) / 2 = 55.0 %;
/// m1 · react: no released number, paper 50.0 %.
pub fn three_runs(root: &Path) -> Vec<PathBuf> {
    let erqa = make_run(
        root,
        "erqa_m1",
        json!({"benchmark": "erqa", "model": "org/m1", "interface": "code", "max_steps": 30}),
        &[
            rec(
                "vid-1",
                "B",
                "B",
                json!(1.0),
                json!({"benchmark": "erqa", "category": "distance", "steps": 30, "termination": "completed"}),
            ),
            rec(
                "2",
                "A",
                "C",
                json!(0.0),
                json!({"category": "count", "steps": 4, "termination": "max_steps"}),
            ),
            rec(
                &format!("3{HOSTILE}"),
                HOSTILE,
                "D",
                json!(1.0),
                json!({"category": HOSTILE, "steps": 5}),
            ),
            json!({"sample_id": "4", "content": "", "ground_truth": "A", "usage": null, "status": "failed", "failure": {"kind": "llm", "reason": "connection refused after 5 retries"}}),
        ],
        Some(json!({"overall_accuracy": 0.5, "total_samples": 4})),
        &[("vid-1", 30), ("2", 4)],
    );
    let spar = make_run(
        root,
        "spar_m1",
        json!({"benchmark": "sparbench", "model": {"name": "org/m1"}, "interface": "code"}),
        &[
            rec("s1", "0.9", "1", json!(0.9), json!({"score": 0.9})),
            rec("s2", "0.3", "1", json!(0.3), json!({"score": 0.3})),
        ],
        Some(json!({"overall_score": 40.0})),
        &[],
    );
    let cv = make_run(
        root,
        "cv_m1_react",
        json!({"benchmark": "cvbench", "llm_model": "org/m1", "executor_type": "react"}),
        &[
            rec("c1", "A", "A", json!(true), json!({})),
            rec("c2", "B", "A", json!(false), json!({})),
        ],
        None,
        &[],
    );
    vec![erqa, spar, cv]
}

/// Checks that a page is self-contained and well-formed; returns the parsed document.
pub fn assert_self_contained(html: &str) -> scraper::Html {
    let doc = scraper::Html::parse_document(html);
    assert!(doc.errors.is_empty(), "HTML parse errors: {:?}", doc.errors);
    let sel = |s: &str| scraper::Selector::parse(s).unwrap();
    assert_eq!(doc.select(&sel("script")).count(), 0, "no script elements");
    assert_eq!(
        doc.select(&sel("link")).count(),
        0,
        "no external stylesheets"
    );
    assert_eq!(doc.select(&sel("iframe, object, embed")).count(), 0);
    for el in doc.select(&sel("[src], [href]")) {
        for attr in ["src", "href"] {
            if let Some(v) = el.value().attr(attr) {
                let v = v.trim().to_ascii_lowercase();
                assert!(
                    !v.starts_with("http:")
                        && !v.starts_with("https:")
                        && !v.starts_with("//")
                        && !v.starts_with("javascript:"),
                    "{attr}={v} points outside the page"
                );
            }
        }
    }
    for img in doc.select(&sel("img")) {
        let src = img.value().attr("src").unwrap_or("");
        assert!(
            src.starts_with("data:image/png;base64,") || src.starts_with("data:image/jpeg;base64,"),
            "img src {src:.40}"
        );
    }
    for el in doc.select(&sel("*")) {
        for (name, _) in el.value().attrs() {
            assert!(!name.starts_with("on"), "event handler attribute {name}");
        }
    }
    assert_tags_balanced(html);
    doc
}

const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

/// Every non-void element is closed explicitly and in order (our writer never relies on the
/// parser's implied end tags). Text is escaped, so every `<` in the source is markup.
pub fn assert_tags_balanced(html: &str) {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(pos) = rest.find('<') {
        rest = &rest[pos + 1..];
        if rest.starts_with('!') {
            continue;
        }
        let end = rest.find('>').expect("unterminated tag");
        let tag = &rest[..end];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        let self_closing = tag.ends_with('/');
        if closing {
            let open = stack
                .pop()
                .unwrap_or_else(|| panic!("</{name}> closes nothing"));
            assert_eq!(open, name, "</{name}> closes <{open}>");
        } else if !VOID.contains(&name.as_str()) && !self_closing {
            if name == "style" {
                let close = rest.find("</style>").expect("style closed");
                rest = &rest[close + "</style>".len()..];
                continue;
            }
            stack.push(name);
        }
        rest = &rest[end + 1..];
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
}
