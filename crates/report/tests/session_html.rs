//! Session pages: self-contained, well-formed, every required part present, hostile agent output
//! escaped, and corrupt inputs turned into a page that says so.

mod common;

use common::{HOSTILE, assert_self_contained, trajectory};
use scraper::Selector;
use serde_json::json;
use spatialclaw_evals::store::Prediction;
use spatialclaw_report::{SessionExtras, render_session_report, write_session_report};

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

fn text_of(doc: &scraper::Html, s: &str) -> String {
    doc.select(&sel(s))
        .map(|e| e.text().collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

fn prediction(id: &str, result: f64) -> Prediction {
    serde_json::from_value(json!({
        "sample_id": id, "content": "B", "ground_truth": "B", "result": result,
        "usage": {"num_calls": 33, "total_prompt_tokens": 123456}, "status": "ok",
        "benchmark": "vsibench_unbiased", "category": "abs_distance", "timing": {"total_sec": 95.5}
    }))
    .unwrap()
}

#[test]
fn a_thirty_step_video_session_has_every_part() {
    let dir = tempfile::tempdir().unwrap();
    let root = common::make_run(
        dir.path(),
        "run",
        json!({"benchmark": "vsibench_unbiased"}),
        &[],
        None,
        &[("vid-1", 30)],
    );
    let session = root.join("sessions/vid-1");
    let p = prediction("vid-1", 1.0);
    let path = write_session_report(&session, "vid-1", Some(&p)).unwrap();
    assert_eq!(path, session.join("session_report.html"));
    let html = std::fs::read_to_string(&path).unwrap();
    let doc = assert_self_contained(&html);

    assert!(text_of(&doc, ".question").contains("How far is the heater from the door?"));
    assert_eq!(doc.select(&sel("details.step")).count(), 30);
    assert_eq!(doc.select(&sel(".stepnav a")).count(), 30);
    assert_eq!(text_of(&doc, "#verdict"), "Correct");
    assert_eq!(text_of(&doc, "#gt"), "B");
    assert!(text_of(&doc, "#step-1").contains("Purpose of step 1"));
    assert!(text_of(&doc, "#step-1").contains("Reasoning 1"));
    assert!(text_of(&doc, "#step-1").contains("Goal after step 1"));
    // Highlighted code: keywords, strings, numbers and comments are spans.
    for class in ["k", "s", "n", "c", "f", "b"] {
        assert!(
            doc.select(&sel(&format!(
                "#step-2 pre.code span.{class}, #step-1 pre.code span.{class}"
            )))
            .count()
                > 0,
            "no .{class} token"
        );
    }
    // The error step is marked.
    assert!(text_of(&doc, "#step-3 .error").contains("NameError"));
    assert!(doc.select(&sel("#step-3.bad")).count() == 1);
    assert!(text_of(&doc, "#step-3 .reflection").contains("Segment the heater first."));
    // Inputs (3 key frames) + show() images (steps 1, 2, 11, 21) + the vlm image, all inline.
    assert_eq!(doc.select(&sel("header img.thumb")).count(), 3);
    assert_eq!(doc.select(&sel("details.step figure img")).count(), 4);
    assert!(text_of(&doc, "#step-21 figcaption").contains("did not see it"));
    assert!(text_of(&doc, "#step-4 .vlm").contains("Is the door <open>?"));
    assert_eq!(doc.select(&sel("#step-4 .vlm img")).count(), 1);
    assert!(text_of(&doc, "#step-4 .vars").contains("float = 4.0"));
    assert!(text_of(&doc, "#step-30 .submitted").contains("B"));
    let usage = text_of(&doc, "table.kv");
    assert!(
        usage.contains("123,456") && usage.contains("model calls"),
        "{usage}"
    );
    assert!(text_of(&doc, "#final").contains("Submitted answer: B"));
    assert!(text_of(&doc, ".plan").contains("Check metric scale"));
}

#[test]
fn hostile_agent_output_is_escaped_everywhere() {
    let mut t = trajectory("x", 3);
    t["instruction"] = json!(HOSTILE);
    t["answer"]["text"] = json!(HOSTILE);
    t["steps"][0]["purpose"] = json!(HOSTILE);
    t["steps"][0]["error"] = json!(HOSTILE);
    t["steps"][0]["images"][0]["label"] = json!(HOSTILE);
    let mut p = prediction(HOSTILE, 0.0);
    p.content = HOSTILE.into();
    p.ground_truth = json!(HOSTILE);
    let extras = SessionExtras {
        key_frames: vec![
            (HOSTILE.into(), common::magenta_png(8, 8)),
            ("svg".into(), b"<svg onload=alert(1)>".to_vec()),
        ],
        trace_jsonl: Some(format!(
            "{}\nnot json",
            json!({"step_index": 1, "vlm_queries": [{"question": HOSTILE, "answer": HOSTILE}]})
        )),
        run_label: Some(HOSTILE.into()),
    };
    let html = render_session_report(HOSTILE, Some(t.to_string().as_bytes()), Some(&p), &extras);
    let doc = assert_self_contained(&html);
    assert!(!html.contains("<script>alert"), "raw script in output");
    assert!(
        !html.contains("src=\"http"),
        "the hostile image tag appears only as escaped text"
    );
    // It is shown to the reader as text, exactly.
    assert!(text_of(&doc, "#step-2 pre.code").contains("<script>alert('pwned')</script>"));
    assert!(text_of(&doc, "#step-2 details.output pre").contains(HOSTILE));
    assert!(text_of(&doc, "#answer").contains(HOSTILE));
    assert!(text_of(&doc, "h1").contains(HOSTILE));
    assert!(text_of(&doc, "title").contains(HOSTILE));
    assert!(
        html.contains("not a PNG/JPEG image"),
        "an SVG key frame is not inlined"
    );
    assert!(html.contains("1 line(s) of trace.jsonl were not JSON"));
    assert_eq!(text_of(&doc, "#verdict"), "Incorrect");
}

#[test]
fn corrupt_or_missing_records_give_a_page_that_says_so() {
    let p = prediction("s", 0.5);
    let html = render_session_report(
        "s",
        Some(b"{\"steps\": [1, 2"),
        Some(&p),
        &SessionExtras::default(),
    );
    let doc = assert_self_contained(&html);
    assert!(
        text_of(&doc, ".banner").contains("trajectory.json could not be read"),
        "{html}"
    );
    assert_eq!(text_of(&doc, "#verdict"), "Partial (0.500)");

    let html = render_session_report(
        "s",
        Some(b"{\"steps\": \"not a list\"}"),
        None,
        &SessionExtras::default(),
    );
    assert!(
        assert_self_contained(&html)
            .root_element()
            .text()
            .collect::<String>()
            .contains("could not be read")
    );

    let dir = tempfile::tempdir().unwrap();
    let path = write_session_report(dir.path(), "s", None).unwrap();
    let html = std::fs::read_to_string(path).unwrap();
    assert!(html.contains("This sample has no trajectory.json."));
    assert_self_contained(&html);

    let failed: Prediction = serde_json::from_value(json!({"sample_id": "f", "content": "", "status": "failed", "failure": {"kind": "timeout", "reason": "ran past 600 s"}})).unwrap();
    let html = render_session_report("f", None, Some(&failed), &SessionExtras::default());
    let doc = assert_self_contained(&html);
    assert_eq!(text_of(&doc, "#verdict"), "Failed");
    assert!(text_of(&doc, ".banner").contains("ran past 600 s"));
}
