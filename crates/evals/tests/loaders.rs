//! Every benchmark loader on a tiny fixture in its real on-disk format (parquet written with the arrow
//! crate, JSON, JSONL, CSV, PNGs), scored end to end through the scorers. Each fixture has one bad
//! record or missing file, which must fail that sample only. Expected scores are worked out by hand
//! in the comments from the rules in evals-runs.md.

mod support;

use std::collections::HashMap;
use std::path::Path;

use serde_json::json;
use spatialclaw_evals::benchmark;
use spatialclaw_evals::frames::sample_frames;
use spatialclaw_evals::loaders::{
    self, ImageRef, LoadError, LoadOptions, LoadedSample, Sample, SampleError,
};
use spatialclaw_evals::rescore::{Predictions, Selection, read_predictions, rescore};
use spatialclaw_evals::scoring::benchmarks::Summary;
use spatialclaw_evals::video::ExtractOptions;
use support::*;

fn load(name: &str, root: &Path) -> Vec<LoadedSample> {
    loaders::load(name, root, &LoadOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn oks(v: &[LoadedSample]) -> Vec<&Sample> {
    v.iter().filter_map(|s| s.as_ref().ok()).collect()
}

fn errs(v: &[LoadedSample]) -> Vec<&SampleError> {
    v.iter().filter_map(|s| s.as_ref().err()).collect()
}

fn get<'a>(v: &'a [LoadedSample], id: &str) -> &'a Sample {
    oks(v)
        .into_iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("sample {id} loaded; errors: {:?}", errs(v)))
}

fn prompt(name: &str) -> &'static str {
    loaders::find(name).expect("registered").prompt
}

/// Scores the given predictions (only those samples) with the benchmark's scorer.
fn score(name: &str, samples: &[LoadedSample], preds: &[(&str, &str)]) -> Summary {
    let p = Predictions {
        by_id: preds
            .iter()
            .map(|(i, p)| (i.to_string(), p.to_string()))
            .collect::<HashMap<_, _>>(),
        malformed: Vec::new(),
    };
    let b = benchmark(name).expect("scorer registered");
    let r = rescore(b, samples, &p, Selection::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        r.unknown_ids.is_empty(),
        "{name}: unknown ids {:?}",
        r.unknown_ids
    );
    r.summary
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-9, "{a} != {b}");
}

fn root() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

#[test]
fn registry_covers_every_scorer() {
    let names = loaders::names();
    assert_eq!(
        names.len(),
        22,
        "the 20 paper benchmarks, the original VSI-Bench and synth"
    );
    assert!(names.contains(&"synth"));
    for n in spatialclaw_evals::scoring::benchmarks::PAPER_BENCHMARKS {
        assert!(loaders::find(n).is_some(), "{n} has no loader");
    }
    for n in &names {
        assert!(benchmark(n).is_some(), "{n} has no scorer");
    }
    match loaders::lookup("cv-bench") {
        Err(LoadError::UnknownBenchmark { known, .. }) => {
            assert!(known.contains(&"cvbench".into()))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn missing_data_folder_and_index_are_clear_errors() {
    let t = root();
    let e = loaders::load("omni3d", t.path(), &LoadOptions::default()).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, LoadError::DataRootMissing { .. }), "{msg}");
    assert!(
        msg.contains("Omni3D-Bench") && msg.contains("annotations.json"),
        "{msg}"
    );
    std::fs::create_dir_all(t.path().join("Omni3D-Bench")).unwrap();
    let e = loaders::load("omni3d", t.path(), &LoadOptions::default()).unwrap_err();
    assert!(matches!(e, LoadError::IndexMissing { .. }), "{e}");
    assert!(e.to_string().contains("annotations.json"));
    std::fs::write(t.path().join("Omni3D-Bench/annotations.json"), "{not json").unwrap();
    let e = loaders::load("omni3d", t.path(), &LoadOptions::default()).unwrap_err();
    assert!(matches!(e, LoadError::Json { .. }), "{e}");
}

#[test]
fn erqa() {
    let t = root();
    let d = t.path().join("ERQA");
    write_parquet(
        &d.join("data/test-00000-of-00001.parquet"),
        vec![
            ("question_id", strs(&[Some("e1"), Some("e2"), Some("e3")])),
            (
                "question",
                strs(&[Some("Which way? A. left B. right"), Some("abcdef"), None]),
            ),
            ("question_type", s(&["Trajectory", "State", "State"])),
            ("answer", s(&["A", "B", "C"])),
            ("visual_indices", int_lists(&[vec![0], vec![3, 1], vec![]])),
            (
                "images",
                image_lists(&[vec![png(1)], vec![png(2), png(3)], vec![png(4)]]),
            ),
        ],
    );
    let v = load("erqa", t.path());
    assert_eq!(v.len(), 3);
    let e1 = get(&v, "e1");
    assert_eq!(e1.question, "<image>\nWhich way? A. left B. right");
    assert_eq!(
        e1.instruction,
        format!("{}\n\n{}", e1.question, prompt("erqa"))
    );
    assert!(e1.choices.is_empty());
    match &e1.images[0] {
        ImageRef::Bytes { name, data } => {
            assert_eq!(name, "sample_0000_img_0.png");
            assert_eq!(&data[..], &png(1)[..]);
        }
        other => panic!("{other:?}"),
    }
    // Materialised once, atomically, under the given folder.
    let p = e1.images[0].materialize(&t.path().join("cache")).unwrap();
    assert_eq!(std::fs::read(p).unwrap(), png(1));
    assert_eq!(get(&v, "e2").question, "a<image>bc<image>def");
    assert_eq!(get(&v, "e2").images.len(), 2);
    let bad = errs(&v);
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].id, "e3");
    assert!(bad[0].reason.contains("question"));
    // "a." matches A after dropping dots and lower-casing; "(B)" does not match B.
    let s = score("erqa", &v, &[("e1", "a."), ("e2", "(B)")]);
    close(s.headline, 0.5);
    assert_eq!(s.headline_key, "overall_accuracy");
}

#[test]
fn omni3d() {
    let t = root();
    let d = t.path().join("Omni3D-Bench");
    write_json(
        &d.join("annotations.json"),
        &json!({"questions": [
            {"question_index": 0, "question": "How tall?", "image_filename": "a.png", "answer": 2.0, "answer_type": "float"},
            {"question_index": 1, "question": "How many?", "image_filename": "a.png", "answer": 3, "answer_type": "int"},
            {"question_index": 2, "question": "Is it red?", "image_filename": "a.png", "answer": "yes", "answer_type": "str"},
            {"question_index": 3, "question": "Gone?", "image_filename": "gone.png", "answer": 1, "answer_type": "int"},
            {"question_index": 4, "image_filename": "a.png", "answer": 1, "answer_type": "int"}
        ]}),
    );
    write(&d.join("images/a.png"), png(0));
    let v = load("omni3d", t.path());
    assert_eq!(oks(&v).len(), 3);
    let bad = errs(&v);
    assert_eq!(bad.len(), 2);
    assert!(bad[0].reason.contains("missing file") && bad[0].reason.contains("gone.png"));
    assert!(bad[1].reason.contains("question"));
    let s0 = get(&v, "0");
    assert_eq!(s0.question_type, "float");
    assert_eq!(s0.instruction, format!("How tall?\n\n{}", prompt("omni3d")));
    // float exact → MRA 1; int 3 == 3 → 1; "no" != "yes" → 0; overall (1+1+0)/3.
    let s = score("omni3d", &v, &[("0", "2.0"), ("1", "3"), ("2", "no")]);
    close(s.headline, 2.0 / 3.0);
}

#[test]
fn omnispatial() {
    let t = root();
    let d = t.path().join("OmniSpatial/OmniSpatial-test");
    let opts = json!(["up", "down", "left", "right"]);
    write_json(
        &d.join("data.json"),
        &json!([
            {"id": "12_3", "task_type": "Dynamic_Reasoning", "sub_task_type": "Manipulation", "question": "Q1?", "options": opts, "answer": 1},
            {"id": "13", "task_type": "Complex_Logic", "sub_task_type": "Pattern", "question": "Q2?", "options": opts, "answer": 0},
            {"id": "14", "task_type": "Complex_Logic", "sub_task_type": "Pattern", "question": "Q3?", "options": opts, "answer": "zz"}
        ]),
    );
    write(&d.join("Dynamic_Reasoning/12.png"), png(0));
    write(&d.join("Complex_Logic/13.png"), png(0));
    write(&d.join("Complex_Logic/14.png"), png(0));
    let v = load("omnispatial", t.path());
    let a = get(&v, "Dynamic_Reasoning_Manipulation_12_3");
    assert_eq!(
        a.instruction,
        format!(
            "Q1?\n\n{}\nA. up\nB. down\nC. left\nD. right",
            prompt("omnispatial")
        )
    );
    assert_eq!(a.answer, "B");
    assert_eq!(errs(&v)[0].id, "Complex_Logic_Pattern_14");
    // "Answer: B" → B correct; "" → the "A" fallback, correct because the answer is A (the quirk).
    let s = score(
        "omnispatial",
        &v,
        &[
            ("Dynamic_Reasoning_Manipulation_12_3", "Answer: B"),
            ("Complex_Logic_Pattern_13", ""),
        ],
    );
    close(s.headline, 1.0);
}

#[test]
fn spbench() {
    let t = root();
    let d = t.path().join("SPBench");
    write_parquet(
        &d.join("SPBench-SI.parquet"),
        vec![
            ("id", ints(&[1, 2])),
            ("question", s(&["Closer?", "How many chairs?"])),
            (
                "question_type",
                s(&["object_rel_distance", "object_counting"]),
            ),
            ("scene_name", s(&["s1", "s1"])),
            (
                "images",
                str_lists(&[Some(vec!["a.png"]), Some(vec!["a.png"])]),
            ),
            (
                "options",
                str_lists(&[Some(vec!["A. chair", "B. table"]), None]),
            ),
            ("ground_truth", s(&["A", "3"])),
        ],
    );
    write_parquet(
        &d.join("SPBench-MV.parquet"),
        vec![
            ("id", ints(&[1, 2])),
            ("question", s(&["How far?", "How far?"])),
            (
                "question_type",
                s(&["object_abs_distance", "object_abs_distance"]),
            ),
            ("scene_name", s(&["s2", "s2"])),
            (
                "images",
                str_lists(&[Some(vec!["b.png", "c.png"]), Some(vec!["missing.png"])]),
            ),
            ("options", str_lists(&[None, None])),
            ("ground_truth", s(&["2.0", "1.0"])),
        ],
    );
    for f in ["s1/a.png", "s2/b.png", "s2/c.png"] {
        write(&d.join(f), png(0));
    }
    let v = load("spbench", t.path());
    assert_eq!(v.len(), 4);
    let si1 = get(&v, "SI_1");
    assert_eq!(
        si1.instruction,
        format!("Closer?\n\n{}\nA. chair\nB. table", prompt("spbench"))
    );
    assert_eq!(get(&v, "MV_1").images.len(), 2);
    assert_eq!(errs(&v)[0].id, "MV_2");
    // rel_distance 1; counting exact 1; abs_distance 3 vs 2: rel err 0.5 passes only θ=0.5 → 0.1.
    // Macro over the 3 types: (1 + 1 + 0.1) / 3.
    let s = score(
        "spbench",
        &v,
        &[("SI_1", "A"), ("SI_2", "3"), ("MV_1", "3")],
    );
    close(s.headline, 2.1 / 3.0);
}

#[test]
fn mindcube() {
    let t = root();
    let d = t.path().join("MindCube/data");
    let line = |id: &str, gt: &str| {
        json!({"id": id, "question": "Q? A. above B. below", "images": ["other_all_image/x/1.png"],
               "gt_answer": gt, "category": "c", "type": "t"})
        .to_string()
    };
    write(
        &d.join("raw/MindCube.jsonl"),
        format!(
            "{}\n{}\nnot json\n",
            line("among_001", "B"),
            line("translation_002", "A")
        ),
    );
    write(&d.join("other_all_image/x/1.png"), png(0));
    let v = load("mindcube", t.path());
    assert_eq!(v.len(), 3);
    assert_eq!(get(&v, "translation_002").question_type, "translation");
    assert!(errs(&v)[0].reason.contains("line 3"));
    let a = get(&v, "among_001");
    assert_eq!(
        a.instruction,
        format!("Q? A. above B. below\n\n{}", prompt("mindcube"))
    );
    // among: "B. below" → B correct; translation is scored per sample but excluded from the total.
    let s = score(
        "mindcube",
        &v,
        &[("among_001", "B. below"), ("translation_002", "B")],
    );
    close(s.headline, 1.0);
    assert_eq!(s.total_samples, 1);
}

#[test]
fn mmsi_reads_embedded_images_or_skips_them_for_rescoring() {
    let t = root();
    let d = t.path().join("MMSI-Bench");
    write_parquet(
        &d.join("MMSI_Bench.parquet"),
        vec![
            ("id", ints(&[1, 2, 3])),
            (
                "images",
                binary_lists(&[vec![png(1)], vec![png(2), png(3)], vec![]]),
            ),
            ("question", s(&["Q1 A. x B. y", "Q2", "Q3"])),
            (
                "question_type",
                s(&[
                    "Positional Relationship (Cam.–Obj.)",
                    "Motion (Cam.)",
                    "MSR",
                ]),
            ),
            ("answer", s(&["A", "B", "C"])),
        ],
    );
    let v = load("mmsi", t.path());
    assert_eq!(get(&v, "2").images.len(), 2);
    assert_eq!(errs(&v)[0].id, "3");
    let truth_only = loaders::load("mmsi", t.path(), &LoadOptions::TRUTH_ONLY).unwrap();
    assert_eq!(oks(&truth_only).len(), 3);
    assert!(oks(&truth_only)[0].images.is_empty());
    let s = score("mmsi", &v, &[("1", "A"), ("2", "C")]);
    close(s.headline, 0.5);
}

#[test]
fn sparbench() {
    let t = root();
    let d = t.path().join("SPAR-Bench");
    write_parquet(
        &d.join("data/test-00000-of-00004.parquet"),
        vec![
            ("id", s(&["s1", "s2", "s3"])),
            (
                "question",
                s(&["Which? A. a B. b", "Depth?", "Which? A. a B. b"]),
            ),
            ("answer", s(&["B", "2.0", "C"])),
            (
                "task",
                s(&[
                    "position_matching",
                    "depth_prediction_oc",
                    "position_matching",
                ]),
            ),
            ("img_type", s(&["single", "single", "single"])),
            ("format_type", s(&["select", "fill", "select"])),
            ("source", s(&["x", "x", "x"])),
            (
                "image",
                image_lists(&[vec![png(1)], vec![png(2)], vec![png(3)]]),
            ),
        ],
    );
    let v = load("sparbench", t.path());
    assert_eq!(oks(&v).len(), 3);
    assert_eq!(get(&v, "s1").question_type, "position_matching");
    // position_matching: 1 and 0 → 0.5; depth exact → 1; macro 0.75 → overall_score 75.
    let s = score("sparbench", &v, &[("s1", "B"), ("s2", "2.0"), ("s3", "A")]);
    assert_eq!(s.headline_key, "overall_score");
    close(s.headline, 75.0);
    close(s.headline_fraction, 0.75);
}

#[test]
fn blink_macro_over_subtasks() {
    let t = root();
    let d = t.path().join("BLINK");
    let subtasks = [
        "Art_Style",
        "Counting",
        "Forensic_Detection",
        "Functional_Correspondence",
        "IQ_Test",
        "Jigsaw",
        "Multi-view_Reasoning",
        "Object_Localization",
        "Relative_Depth",
        "Relative_Reflectance",
        "Semantic_Correspondence",
        "Spatial_Relation",
        "Visual_Correspondence",
        "Visual_Similarity",
    ];
    for sub in subtasks {
        let (ids, answers): (Vec<String>, Vec<&str>) = if sub == "Counting" {
            (
                vec![format!("{sub}_1"), format!("{sub}_2")],
                vec!["(A)", "(B)"],
            )
        } else {
            (vec![format!("{sub}_1")], vec!["(A)"])
        };
        let n = ids.len();
        let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        write_parquet(
            &d.join(sub).join("val-00000-of-00001.parquet"),
            vec![
                ("idx", s(&id_refs)),
                ("question", s(&vec!["Which is closer?"; n])),
                ("image_1", images(&vec![Some(png(1)); n])),
                ("image_2", images(&vec![None; n])),
                ("choices", str_lists(&vec![Some(vec!["left", "right"]); n])),
                ("answer", s(&answers)),
            ],
        );
    }
    let v = load("blink", t.path());
    assert_eq!(oks(&v).len(), 15);
    let a = get(&v, "Jigsaw_1");
    assert_eq!(a.images.len(), 1);
    assert_eq!(a.question_type, "Jigsaw");
    assert_eq!(
        a.instruction,
        format!("Which is closer?\n\n{}\nA. left\nB. right", prompt("blink"))
    );
    let preds: Vec<(String, &str)> = oks(&v).iter().map(|s| (s.id.clone(), "(A)")).collect();
    let preds: Vec<(&str, &str)> = preds.iter().map(|(i, p)| (i.as_str(), *p)).collect();
    // 13 subtasks at 1.0 and Counting at 0.5 → macro 13.5/14; micro 14/15.
    let s = score("blink", &v, &preds);
    close(s.headline, 13.5 / 14.0);
    close(s.fields["micro_accuracy"].as_f64().unwrap(), 14.0 / 15.0);
    // A missing subtask folder is an index error naming it.
    std::fs::remove_dir_all(d.join("Visual_Similarity")).unwrap();
    let e = loaders::load("blink", t.path(), &LoadOptions::default()).unwrap_err();
    assert!(e.to_string().contains("Visual_Similarity"), "{e}");
}

#[test]
fn spatialtree() {
    let t = root();
    let d = t.path().join("SpatialTree-Bench");
    let info = |m: &str| {
        json!({"spatree0": "L1", "spatree1": "cat", "spatree2": "sub", "metricfunc": m}).to_string()
    };
    let (i1, i2, i3, i4) = (
        info("choice"),
        info("meanrelativeacc"),
        info("gpteval"),
        info("choice"),
    );
    write_parquet(
        &d.join("annotations_plain.parquet"),
        vec![
            ("session_id", s(&["t1", "t2", "t3", "t4"])),
            (
                "question",
                s(&["Color?", "How far?", "Describe.", "Empty?"]),
            ),
            (
                "question_type",
                s(&["multiple-choice", "open", "open", "multiple-choice"]),
            ),
            ("answer", s(&["B", "4", "x", "A"])),
            (
                "option",
                str_lists(&[
                    Some(vec!["A. red", "B. blue"]),
                    Some(vec![]),
                    Some(vec![]),
                    None,
                ]),
            ),
            (
                "video",
                str_lists(&[
                    Some(vec![]),
                    Some(vec!["v1.mp4"]),
                    Some(vec![]),
                    Some(vec![]),
                ]),
            ),
            (
                "image",
                str_lists(&[
                    Some(vec!["i1.png"]),
                    Some(vec![]),
                    Some(vec!["i3.png"]),
                    Some(vec![]),
                ]),
            ),
            ("extra_info", s(&[&i1, &i2, &i3, &i4])),
        ],
    );
    write(&d.join("images/i1.png"), png(0));
    write(&d.join("images/i3.png"), png(0));
    write(&d.join("videos/v1.mp4"), b"not really a video");
    let v = load("spatialtree", t.path());
    let t1 = get(&v, "t1");
    assert_eq!(
        t1.instruction,
        format!("Color?\n\n{}\nA. red\nB. blue", prompt("spatialtree"))
    );
    let t2 = get(&v, "t2");
    assert!(t2.images.is_empty() && t2.videos.len() == 1);
    assert_eq!(errs(&v)[0].id, "t4");
    // t1 correct; t2: 5 vs 4 → rel err 0.25 passes θ ≤ 0.75 → 0.6; t3 unscoreable → (1 + 0.6) / 2.
    let s = score("spatialtree", &v, &[("t1", "B"), ("t2", "5"), ("t3", "x")]);
    close(s.headline, 0.8);
}

#[test]
fn viewspatial() {
    let t = root();
    let d = t.path().join("ViewSpatial-Bench");
    write_json(
        &d.join("ViewSpatial-Bench.json"),
        &json!([
            {"question_type": "Camera perspective - Relative Direction",
             "image_path": ["ViewSpatial-Bench/scannetv2_val/s1/1.jpg"], "question": "Where?",
             "answer": "A. right", "choices": "A. right\nB. left"},
            {"question_type": "Camera perspective - Relative Direction",
             "image_path": ["ViewSpatial-Bench/val2017/gone.jpg"], "question": "Where?",
             "answer": "B. left", "choices": "A. right\nB. left"}
        ]),
    );
    write(&d.join("scannetv2_val/s1/1.jpg"), png(0));
    let v = load("viewspatial", t.path());
    let a = get(&v, "0");
    assert_eq!(a.question, "Where?\n\nA. right\nB. left");
    assert_eq!(
        a.instruction,
        format!("Where?\n\nA. right\nB. left\n\n{}", prompt("viewspatial"))
    );
    // The original silently drops a sample with a missing image; we report it, ids unchanged.
    assert_eq!(errs(&v)[0].id, "1");
    let s = score("viewspatial", &v, &[("0", "The answer is A")]);
    close(s.headline, 1.0);
}

#[test]
fn mmsivideo_multi_video_frames_and_reference_images() {
    let t = root();
    let d = t.path().join("MMSI-Video-Bench");
    write_json(
        &d.join("mmsivideo.json"),
        &json!([
            {"id": "m1", "type": "Cross-Video", "ori_question": "Compare <image> and <image>.",
             "options": ["A. same", "B. different"], "ground_truth": "b",
             "frames_list": [["v1/0.jpg", "v1/1.jpg", "v1/2.jpg"], ["v2/0.jpg", "v2/1.jpg"]],
             "video_list": [{"path": "v1.mp4", "base_fps": 2.0, "start": 0.0, "end": 1.5},
                            {"path": "v2.mp4", "base_fps": 1.0, "start": 0.0, "end": 2.0}],
             "ref_images": ["r1.png", "r2.png"]},
            {"id": "m2", "type": "Motion", "ori_question": "Q", "options": ["A. x"], "ground_truth": "A",
             "frames_list": [], "video_list": [], "ref_images": []}
        ]),
    );
    for f in ["v1/0.jpg", "v1/1.jpg", "v1/2.jpg", "v2/0.jpg", "v2/1.jpg"] {
        write(&d.join("frames").join(f), png(0));
    }
    write(&d.join("ref_images/r1.png"), png(1));
    write(&d.join("ref_images/r2.png"), png(2));
    let v = load("mmsivideo", t.path());
    let m1 = get(&v, "m1");
    assert_eq!(
        m1.question,
        "Compare [reference image #1] and [reference image #2]."
    );
    assert_eq!(
        m1.instruction,
        format!(
            "{}\n\n{}\nA. same\nB. different",
            m1.question,
            prompt("mmsivideo")
        )
    );
    assert_eq!(m1.ref_images.len(), 2);
    assert_eq!(errs(&v)[0].id, "m2");
    // Shipped frames need no ffmpeg: one group per video, key frames per video.
    let f = sample_frames(m1, None, &ExtractOptions::new(None)).unwrap();
    assert!(f.is_multi_video());
    assert_eq!(f.groups[0].fps, Some(2.0));
    assert_eq!(f.groups[0].duration_sec, Some(1.5));
    let k: Vec<(usize, usize, u64)> = f
        .key_frames(2)
        .iter()
        .map(|k| (k.video, k.list_index, k.frame_index))
        .collect();
    assert_eq!(k, vec![(1, 0, 0), (1, 2, 2), (2, 0, 0), (2, 1, 1)]);
    assert_eq!(
        loaders::find("mmsivideo").unwrap().frames.num_key_frames,
        64
    );
    let s = score("mmsivideo", &v, &[("m1", "B")]);
    close(s.headline, 1.0);
}

#[test]
fn osibench() {
    let t = root();
    let d = t.path().join("OSI-Bench");
    write_parquet(
        &d.join("data.parquet"),
        vec![
            ("index", ints(&[0, 1, 2])),
            (
                "category",
                s(&[
                    "relative_direction_categorical_ordinal",
                    "absolute_speed",
                    "absolute_distance",
                ]),
            ),
            ("question_type", s(&["mcq", "numerical", "numerical"])),
            ("question", s(&["Which side?", "How fast?", "How far?"])),
            (
                "options",
                str_lists(&[Some(vec!["A. left", "B. right"]), None, None]),
            ),
            ("answer", s(&["B", "0", "4.0"])),
            ("file_name", s(&["v0.mp4", "v1.mp4", "missing.mp4"])),
            ("video_length", floats(&[1.0, 2.0, 3.0])),
        ],
    );
    write(&d.join("v0.mp4"), b"x");
    write(&d.join("v1.mp4"), b"x");
    let v = load("osibench", t.path());
    assert_eq!(
        get(&v, "0").instruction,
        format!("Which side?\n\n{}\nA. left\nB. right", prompt("osibench"))
    );
    assert_eq!(get(&v, "1").choices.len(), 0);
    assert_eq!(errs(&v)[0].id, "2");
    // MCQ "B." → 1; speed 0 with a 0.30 zero-threshold: 0.4 ≥ 0.3 → MRA vs 0.3, rel err 1/3
    // passes θ ∈ {0.50, 0.55, 0.60, 0.65} → 0.4; micro (1 + 0.4) / 2.
    let s = score("osibench", &v, &[("0", "B."), ("1", "0.4")]);
    close(s.headline, 0.7);
}

#[test]
fn paibench() {
    let t = root();
    let d = t.path().join("PAI-Bench");
    write_parquet(
        &d.join("data/test-00000-of-00001.parquet"),
        vec![
            ("question", s(&["Will it fall?", "Is it safe?", "Broken"])),
            (
                "index2ans",
                string_structs(
                    &["A", "B", "C", "D"],
                    &[
                        vec![Some("yes"), Some("no"), None, None],
                        vec![Some("yes"), Some("no"), Some("maybe"), None],
                        vec![None, None, None, None],
                    ],
                ),
            ),
            ("answer", s(&["A", "B", "A"])),
            ("video_path", s(&["r1/a.mp4", "r1/b.mp4", "r1/a.mp4"])),
            (
                "category",
                s(&["Common Sense", "Embodied Reasoning", "Common Sense"]),
            ),
            ("subcategory", s(&["physics", "robot", "physics"])),
        ],
    );
    write(&d.join("videos/r1/a.mp4"), b"x");
    write(&d.join("videos/r1/b.mp4"), b"x");
    let v = load("paibench", t.path());
    assert_eq!(
        get(&v, "0").instruction,
        format!("Will it fall?\n\n{}\nA. yes\nB. no", prompt("paibench"))
    );
    assert_eq!(get(&v, "1").choices.len(), 3);
    assert_eq!(errs(&v)[0].id, "2");
    let s = score("paibench", &v, &[("0", "A"), ("1", "A")]);
    close(s.headline, 0.5);
}

#[test]
fn vsibench_both_variants() {
    let t = root();
    let d = t.path().join("VSI-Bench");
    write_parquet(
        &d.join("test_debiased.parquet"),
        vec![
            ("id", ints(&[1, 2, 3])),
            ("dataset", s(&["scannet", "arkitscenes", "scannetpp"])),
            ("scene_name", s(&["scene0", "42", "nowhere"])),
            (
                "question_type",
                s(&[
                    "object_rel_direction_easy",
                    "object_counting",
                    "object_counting",
                ]),
            ),
            ("question", s(&["Left or right?", "How many?", "How many?"])),
            (
                "options",
                str_lists(&[Some(vec!["A. left", "B. right"]), None, None]),
            ),
            ("ground_truth", s(&["A", "4", "1"])),
        ],
    );
    write(&d.join("scannet/scene0.mp4"), b"x");
    write(&d.join("arkitscenes/42.mp4"), b"x");
    let v = load("vsibench_unbiased", t.path());
    assert_eq!(
        get(&v, "1").instruction,
        format!(
            "Left or right?\n\n{}\nA. left\nB. right",
            prompt("vsibench_unbiased")
        )
    );
    assert!(
        get(&v, "2").videos[0]
            .path
            .as_ref()
            .unwrap()
            .ends_with("arkitscenes/42.mp4")
    );
    assert_eq!(errs(&v)[0].id, "3");
    // direction 1; counting 5 vs 4 → 0.6; mean of the 2 task scores 0.8.
    let s = score("vsibench_unbiased", &v, &[("1", "A"), ("2", "5")]);
    close(s.headline, 0.8);

    let line = json!({"id": 7, "dataset": "scannet", "scene_name": "scene0", "question_type": "object_counting",
                      "question": "How many?", "options": null, "ground_truth": "2"});
    write(&d.join("test.jsonl"), format!("{line}\n{{oops\n"));
    let v = load("vsibench", t.path());
    assert_eq!(oks(&v).len(), 1);
    assert_eq!(errs(&v).len(), 1);
    let s = score("vsibench", &v, &[("7", "2")]);
    close(s.headline, 1.0);
}

#[test]
fn vstibench() {
    let t = root();
    let d = t.path().join("vstibench");
    write_json(
        &d.join("test.json"),
        &json!([
            {"id": "t1", "question_type": "camera_movement_direction", "question": "Which way?",
             "video_path": "ScanNet/videos/val/scene1.mp4", "options": ["A. left", "B. right"],
             "mc_answer": "B", "ground_truth": "right"},
            {"id": "t2", "question_type": "camera_displacement", "question": "How far?",
             "video_path": "ScanNet/videos/val/scene1.mp4", "options": null, "mc_answer": null,
             "ground_truth": "2.0"},
            {"id": "t3", "question_type": "camera_displacement", "question": "How far?",
             "video_path": "ScanNet/videos/val/scene1.mp4", "options": null, "mc_answer": null}
        ]),
    );
    write(&d.join("ScanNet/videos/val/scene1.mp4"), b"x");
    let v = load("vstibench", t.path());
    let t1 = get(&v, "t1");
    assert_eq!(t1.answer, "B");
    assert_eq!(
        t1.instruction,
        format!("Which way?\n\n{}\nA. left\nB. right", prompt("vstibench"))
    );
    assert_eq!(errs(&v)[0].id, "t3");
    // MCA 1; NA 1.0 vs 2.0 → rel err 0.5 → 0.1; mean over types ×100 = 55.
    let s = score("vstibench", &v, &[("t1", "B"), ("t2", "1.0")]);
    assert_eq!(s.headline_key, "overall_score");
    close(s.headline, 55.0);
}

#[test]
fn dsibench_four_augmentations() {
    let t = root();
    let d = t.path().join("DSI-Bench");
    let csv = "cate,relative_path,video_type,question,options,GT,others\n\
               2,clip1.mp4,real,Which way did the camera move?,A: left; B: right; C: up; D: down,B,\n\
               0,clip2.mp4,real,\"Where, roughly, is the car going?\",A: left; B: right,A,\n";
    for aug in ["std", "hflip", "reverse", "reverse_hflip"] {
        write(&d.join(format!("metadatas/{aug}.csv")), csv);
        write(&d.join(format!("videos/{aug}/clip1.mp4")), b"x");
        if aug != "reverse_hflip" {
            write(&d.join(format!("videos/{aug}/clip2.mp4")), b"x");
        }
    }
    let v = load("dsibench", t.path());
    assert_eq!(v.len(), 8);
    let a = get(&v, "std__row_000000");
    assert_eq!(
        a.instruction,
        format!(
            "Which way did the camera move?\n\n{}\nA. left\nB. right\nC. up\nD. down",
            prompt("dsibench")
        )
    );
    assert_eq!(a.question_type, "Cam:static scene");
    assert_eq!(
        get(&v, "hflip__row_000001").question,
        "Where, roughly, is the car going?"
    );
    let bad = errs(&v);
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].id, "reverse_hflip__row_000001");
    // Everything answered "B": the 4 row-0 samples are right, the 3 loaded row-1 samples wrong.
    let preds: Vec<String> = oks(&v).iter().map(|s| s.id.clone()).collect();
    let preds: Vec<(&str, &str)> = preds.iter().map(|i| (i.as_str(), "B")).collect();
    let s = score("dsibench", &v, &preds);
    close(s.headline, 4.0 / 7.0);
}

#[test]
fn cvbench_multi_video() {
    let t = root();
    let d = t.path().join("CVBench");
    write_parquet(
        &d.join("data/test-00000-of-00001.parquet"),
        vec![
            ("id", ints(&[1, 2, 3])),
            ("task_type", s(&["Temporal", "Identity", "Identity"])),
            ("video_1", strs(&[Some("1/a.mp4"), Some("2/c.mp4"), None])),
            ("video_2", strs(&[Some("1/b.mp4"), None, None])),
            ("video_3", strs(&[None, None, None])),
            ("video_4", strs(&[None, None, None])),
            ("question", s(&["Which first?", "Same person?", "Nothing"])),
            (
                "options",
                str_lists(&[
                    Some(vec!["A. first", "B. second"]),
                    Some(vec!["Yes.", "No."]),
                    Some(vec!["Yes.", "No."]),
                ]),
            ),
            ("answer", s(&["A", "No", "Yes"])),
        ],
    );
    for f in ["videos/1/a.mp4", "videos/1/b.mp4", "videos/2/c.mp4"] {
        write(&d.join(f), b"x");
    }
    let v = load("cvbench", t.path());
    let a = get(&v, "1");
    assert_eq!(a.videos.len(), 2);
    assert!(a.choices.is_empty());
    assert_eq!(
        a.instruction,
        format!("Which first?\nA. first\nB. second\n\n{}", prompt("cvbench"))
    );
    assert_eq!(errs(&v)[0].id, "3");
    let cfg = loaders::find("cvbench").unwrap().frames;
    assert_eq!((cfg.num_key_frames, cfg.video_max_fps), (32, Some(1.0)));
    let s = score("cvbench", &v, &[("1", "A"), ("2", "<answer>Yes</answer>")]);
    close(s.headline, 0.5);
}

#[test]
fn perceptioncomp() {
    let t = root();
    let d = t.path().join("PerceptionComp");
    let q = |key: &str, vid: &str| {
        json!({"key": key, "video_id": vid, "question": "What happened?",
               "answer_choice_0": "a0", "answer_choice_1": "a1", "answer_choice_2": "a2",
               "answer_choice_3": "a3", "answer_choice_4": "a4", "answer_id": 2, "answer": "a2",
               "category": "sport", "difficulty": 1})
    };
    write_json(
        &d.join("questions.json"),
        &json!([q("p1", "v1"), q("p2", "gone")]),
    );
    write(&d.join("data/v1.mp4"), b"x");
    let v = load("perceptioncomp", t.path());
    let p1 = get(&v, "p1");
    assert_eq!(p1.answer, "C");
    assert_eq!(
        p1.instruction,
        format!(
            "What happened?\n\n{}\nA. a0\nB. a1\nC. a2\nD. a3\nE. a4",
            prompt("perceptioncomp")
        )
    );
    assert_eq!(errs(&v)[0].id, "p2");
    let s = score("perceptioncomp", &v, &[("p1", "<answer>C</answer>")]);
    close(s.headline, 1.0);
}

#[test]
fn videomme() {
    let t = root();
    let d = t.path().join("Video-MME");
    let opts = Some(vec!["A. a", "B. b", "C. c", "D. d"]);
    write_parquet(
        &d.join("videomme/test-00000-of-00001.parquet"),
        vec![
            ("question_id", s(&["001-1", "001-2"])),
            ("videoID", s(&["vidA", "vidB"])),
            ("question", s(&["What?", "Why?"])),
            ("options", str_lists(&[opts.clone(), opts])),
            ("answer", s(&["C", "D"])),
            ("duration", s(&["short", "short"])),
            ("domain", s(&["Sports", "Sports"])),
            ("task_type", s(&["Counting", "Reasoning"])),
        ],
    );
    write(&d.join("data/vidA.mp4"), b"x");
    let v = load("videomme", t.path());
    assert_eq!(
        get(&v, "001-1").instruction,
        format!("What?\n\n{}\nA. a\nB. b\nC. c\nD. d", prompt("videomme"))
    );
    assert_eq!(errs(&v)[0].id, "001-2");
    let s = score("videomme", &v, &[("001-1", "C")]);
    close(s.headline, 1.0);
}

#[test]
fn videommev2_group_of_four() {
    let t = root();
    let d = t.path().join("Video-MME-v2");
    let opts = "A. a\nB. b\nC. c\nD. d";
    write_parquet(
        &d.join("test.parquet"),
        vec![
            ("question_id", s(&["q1", "q2", "q3", "q4"])),
            ("video_id", s(&["v1", "v1", "v1", "v1"])),
            ("question", s(&["Q1", "Q2", "Q3", "Q4"])),
            ("options", s(&[opts, opts, opts, opts])),
            ("answer", s(&["A", "B", "C", "D"])),
            ("group_type", s(&["relevance"; 4])),
            ("group_structure", s(&["[1,2,3,4]"; 4])),
            ("level", ints(&[1, 1, 1, 1])),
            ("second_head", s(&["h2"; 4])),
            ("third_head", s(&["h3"; 4])),
        ],
    );
    write(&d.join("videos/v1.mp4"), b"x");
    let v = load("videommev2", t.path());
    assert_eq!(
        get(&v, "q1").instruction,
        format!("Q1\n\n{}\nA. a\nB. b\nC. c\nD. d", prompt("videommev2"))
    );
    // 3 of 4 correct in a relevance group → 56.25 → 0.5625.
    let s = score(
        "videommev2",
        &v,
        &[("q1", "A"), ("q2", "B"), ("q3", "C"), ("q4", "A")],
    );
    close(s.headline, 0.5625);
}

#[test]
fn rescoring_a_predictions_file() {
    let t = root();
    let d = t.path().join("Video-MME");
    let opts = Some(vec!["A. a", "B. b", "C. c", "D. d"]);
    write_parquet(
        &d.join("videomme/test-00000-of-00001.parquet"),
        vec![
            ("question_id", s(&["001-1", "001-2", "001-3"])),
            ("videoID", s(&["vidA", "vidA", "vidA"])),
            ("question", s(&["What?", "Why?", "How?"])),
            ("options", str_lists(&[opts.clone(), opts.clone(), opts])),
            ("answer", s(&["C", "D", "A"])),
            ("duration", s(&["short", "short", "long"])),
            ("domain", s(&["Sports", "Sports", "Sports"])),
            ("task_type", s(&["Counting", "Reasoning", "Counting"])),
        ],
    );
    // Re-scoring needs no media.
    let samples = loaders::load("videomme", t.path(), &LoadOptions::TRUTH_ONLY).expect("loads");
    let preds = t.path().join("predictions.jsonl");
    write(
        &preds,
        [
            json!({"sample_id": "001-1", "content": "B", "ground_truth": "C", "result": 0.0}).to_string(),
            "garbage".to_string(),
            // A repeated id: the last line wins.
            json!({"sample_id": "001-1", "content": "C", "ground_truth": "C", "result": 1.0, "usage": {}}).to_string(),
            // The CoT baseline's lines are scored on `extracted`.
            json!({"sample_id": "001-2", "content": "long text \\boxed{D}", "extracted": "D"}).to_string(),
            json!({"sample_id": "999", "content": "A"}).to_string(),
        ]
        .join("\n"),
    );
    let p = read_predictions(&preds).unwrap();
    assert_eq!(p.malformed.len(), 1);
    let b = benchmark("videomme").unwrap();
    let r = rescore(b, &samples, &p, Selection::default()).unwrap();
    close(r.summary.headline, 1.0);
    assert_eq!(r.samples.len(), 2);
    assert_eq!(r.unknown_ids, vec!["999".to_string()]);
    // --all: the unanswered sample scores "" like the original.
    let all = Selection {
        all: true,
        ..Selection::default()
    };
    let r = rescore(b, &samples, &p, all).unwrap();
    close(r.summary.headline, 2.0 / 3.0);
    assert_eq!(r.missing_predictions, 1);
    // --subsample 2: the original's seed-42 subset, in its shuffled order.
    let sub = Selection {
        subsample: Some(2),
        seed: 42,
        ..Selection::default()
    };
    let r = rescore(b, &samples, &p, sub).unwrap();
    let ids: Vec<&str> = r.samples.iter().map(|s| s.sample_id.as_str()).collect();
    let expected: Vec<String> = spatialclaw_evals::subsample::subsample_indices(3, 2, 42)
        .into_iter()
        .map(|i| format!("001-{}", i + 1))
        .collect();
    assert_eq!(ids, expected.iter().map(String::as_str).collect::<Vec<_>>());
}
