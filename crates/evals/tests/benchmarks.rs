//! Per-benchmark scoring and aggregation on small hand-made result lists. Every expected number is worked
//! out by hand in the comment next to it, from the rules in evals-runs.md, not from our implementation.

use serde_json::{Value, json};
use spatialclaw_evals::scoring::benchmarks::{
    Evaluation, GroupStructure, PAPER_BENCHMARKS, Sample, logic_group_score, relevance_group_score,
};
use spatialclaw_evals::scoring::suite::{Protocol, paper_average, released_average};
use spatialclaw_evals::{ScoreError, benchmark, names};

/// Scores `(id, prediction, truth)` triples with the named benchmark.
fn run(name: &str, items: &[(&str, &str, Value)]) -> Evaluation {
    let b = benchmark(name).unwrap_or_else(|| panic!("{name} registered"));
    let samples: Vec<Sample<'_>> = items
        .iter()
        .map(|(id, p, t)| Sample::new(id, p, t))
        .collect();
    b.evaluate(&samples)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn results(e: &Evaluation) -> Vec<Option<f64>> {
    e.scores.iter().map(|s| s.result).collect()
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-9, "{a} != {b}");
}

#[test]
fn registry_lists_every_benchmark() {
    let n = names();
    assert_eq!(n.len(), 22);
    for b in PAPER_BENCHMARKS {
        assert!(n.contains(&b), "{b} missing");
        assert_eq!(benchmark(b).map(|x| x.name()), Some(b));
    }
    assert!(n.contains(&"vsibench") && n.contains(&"synth"));
    assert!(benchmark("cv-bench").is_none());
}

#[test]
fn erqa_exact_match_after_normalisation() {
    let e = run(
        "erqa",
        &[
            (
                "1",
                "a.",
                json!({"answer": "A", "question_type": "x", "images": [1]}),
            ),
            (
                "2",
                "(A)",
                json!({"answer": "A", "question_type": "x", "images": [1, 2]}),
            ),
            (
                "3",
                "",
                json!({"answer": "B", "question_type": "y", "images": [1]}),
            ),
            (
                "4",
                " b ",
                json!({"answer": "B", "question_type": "y", "images": [1, 2]}),
            ),
        ],
    );
    assert_eq!(
        results(&e),
        vec![Some(1.0), Some(0.0), Some(0.0), Some(1.0)]
    );
    assert_eq!(e.summary.headline, 0.5);
    assert_eq!(
        e.summary.fields["by_image_count"]["multi_image"]["accuracy"],
        json!(0.5)
    );
}

#[test]
fn omni3d_result_and_aggregate_diverge_for_floats() {
    let e = run(
        "omni3d",
        &[
            // rel_err 0.05: result 1 (< 0.1); strict thresholds pass 9 of 10 → 0.9.
            ("1", "10.5", json!({"answer": 10.0, "answer_type": "float"})),
            // boxed 3 vs 2: rel_err 0.5 → result 0, strict MRA 0.
            (
                "2",
                r"The answer is \boxed{3}",
                json!({"answer": 2.0, "answer_type": "float"}),
            ),
            // round(2.5) = 2 (banker's) ≠ 3.
            ("3", "2.5", json!({"answer": 3, "answer_type": "int"})),
            // round(3.5) = 4.
            ("4", "3.5", json!({"answer": 4, "answer_type": "int"})),
            ("5", "'yes'", json!({"answer": "Yes", "answer_type": "str"})),
        ],
    );
    assert_eq!(
        results(&e),
        vec![Some(1.0), Some(0.0), Some(0.0), Some(1.0), Some(1.0)]
    );
    assert_eq!(e.scores[0].score, Some(0.9));
    // (0.45·2 + 0.5·2 + 1·1)/5 = 0.58
    close(e.summary.headline, 0.58);
    close(e.summary.fields["float_mra"].as_f64().unwrap_or(-1.0), 0.45);
}

#[test]
fn omni3d_rejects_unknown_answer_types() {
    let b = benchmark("omni3d").expect("registered");
    let t = json!({"answer": 1, "answer_type": "vector"});
    assert!(matches!(
        b.score(&Sample::new("9", "1", &t)),
        Err(ScoreError::InvalidField { .. })
    ));
}

#[test]
fn omnispatial_empty_answer_is_a() {
    let e = run(
        "omnispatial",
        &[
            (
                "1",
                "",
                json!({"answer": 0, "task_type": "T", "sub_task_type": "S"}),
            ),
            (
                "2",
                "",
                json!({"answer": 2, "task_type": "T", "sub_task_type": "S"}),
            ),
            (
                "3",
                "Answer: c",
                json!({"answer": 2, "task_type": "U", "sub_task_type": "S"}),
            ),
        ],
    );
    assert_eq!(results(&e), vec![Some(1.0), Some(0.0), Some(1.0)]);
    close(e.summary.headline, 2.0 / 3.0);
}

#[test]
fn spbench_macro_over_types() {
    let opts = json!(["A. left", "B. right", "C. behind", "D. front"]);
    let e = run(
        "spbench",
        &[
            (
                "SI_1",
                "Behind",
                json!({"ground_truth": "C", "question_type": "object_rel_distance", "options": opts}),
            ),
            (
                "SI_2",
                "b",
                json!({"ground_truth": "C", "question_type": "object_rel_distance", "options": opts}),
            ),
            // number words first: "two" → 2 vs 4 → rel 0.5 → 0.1.
            (
                "SI_3",
                "I count 4, no, two",
                json!({"ground_truth": "4", "question_type": "object_counting"}),
            ),
            // zero target scores 0 whatever the prediction.
            (
                "SI_4",
                "0",
                json!({"ground_truth": "0", "question_type": "object_abs_distance"}),
            ),
        ],
    );
    assert_eq!(
        results(&e),
        vec![Some(1.0), Some(0.0), Some(0.1), Some(0.0)]
    );
    // types: rel_distance 0.5, counting 0.1, abs_distance 0 → 0.6/3 = 0.2
    close(e.summary.headline, 0.2);
    close(
        e.summary.fields["overall_accuracy_pct"]
            .as_f64()
            .unwrap_or(-1.0),
        20.0,
    );
}

#[test]
fn vsibench_merges_direction_difficulties() {
    let e = run(
        "vsibench_unbiased",
        &[
            (
                "1",
                "B",
                json!({"ground_truth": "B", "question_type": "object_rel_direction_easy"}),
            ),
            (
                "2",
                "A",
                json!({"ground_truth": "C", "question_type": "object_rel_direction_medium"}),
            ),
            (
                "3",
                "c. the lamp",
                json!({"ground_truth": "C", "question_type": "object_rel_direction_hard"}),
            ),
            // first token "3" vs 4: rel 0.25 → θ 0.50…0.75 pass → 0.6
            (
                "4",
                "3 chairs",
                json!({"ground_truth": "4", "question_type": "object_counting"}),
            ),
            // first token "about" → 0
            (
                "5",
                "about 4",
                json!({"ground_truth": "4", "question_type": "object_counting"}),
            ),
            (
                "6",
                "20",
                json!({"ground_truth": "0", "question_type": "room_size_estimation"}),
            ),
            (
                "7",
                r"\boxed{D}",
                json!({"ground_truth": "D", "question_type": "route_planning"}),
            ),
        ],
    );
    assert_eq!(
        results(&e),
        vec![
            Some(1.0),
            Some(0.0),
            Some(1.0),
            Some(0.6),
            Some(0.0),
            Some(0.0),
            Some(1.0)
        ]
    );
    // tasks: direction (1+0+1)/3, counting 0.3, room 0, route 1 → mean of 4
    close(e.summary.headline, (2.0 / 3.0 + 0.3 + 0.0 + 1.0) / 4.0);
    close(
        e.summary.fields["task_scores"]["object_rel_direction"]
            .as_f64()
            .unwrap_or(-1.0),
        2.0 / 3.0,
    );
    // The original VSI-Bench scores the same way.
    let o = run(
        "vsibench",
        &[(
            "1",
            "B",
            json!({"ground_truth": "B", "question_type": "route_planning"}),
        )],
    );
    assert_eq!(o.summary.headline, 1.0);
}

#[test]
fn vstibench_first_token_only_and_percent() {
    let e = run(
        "vstibench",
        &[
            (
                "1",
                "B. left",
                json!({"options": ["left", "right"], "mc_answer": "B", "ground_truth": "left", "question_type": "q1"}),
            ),
            (
                "2",
                r"\boxed{B}",
                json!({"options": ["left", "right"], "mc_answer": "B", "ground_truth": "left", "question_type": "q1"}),
            ),
            (
                "3",
                "2.0 m",
                json!({"options": null, "ground_truth": "2.0", "question_type": "q2"}),
            ),
        ],
    );
    assert_eq!(results(&e), vec![Some(1.0), Some(0.0), Some(1.0)]);
    assert_eq!(e.summary.headline_key, "overall_score");
    close(e.summary.headline, 75.0); // (0.5 + 1.0)/2 × 100
    close(e.summary.headline_fraction, 0.75);
}

#[test]
fn osibench_zero_aware_categories() {
    let e = run(
        "osibench",
        &[
            (
                "1",
                "speed -0.5",
                json!({"answer": "0", "category": "absolute_speed"}),
            ), // −0.5 < 0.30 → 1
            (
                "2",
                r"\boxed{3.0} (or 2)",
                json!({"answer": "0", "category": "trajectory_length"}),
            ), // |3−2|/2 = 0.5 → 0.1
            (
                "3",
                "0.1",
                json!({"answer": "0", "category": "absolute_distance"}),
            ), // exact zero required → 0
            (
                "4",
                "b. yes",
                json!({"answer": "B", "category": "relative_distance"}),
            ),
        ],
    );
    assert_eq!(
        results(&e),
        vec![Some(1.0), Some(0.1), Some(0.0), Some(1.0)]
    );
    close(e.summary.headline, 2.1 / 4.0);
    close(
        e.summary.fields["by_category"]["trajectory_length"]["accuracy"]
            .as_f64()
            .unwrap_or(-1.0),
        10.0,
    );
}

#[test]
fn sparbench_families_and_overall_score() {
    let vc = "move_right:0.5,move_left:0,move_up:0,move_down:0,move_forward:1.0,move_backward:0,turn_right:0,turn_left:30,turn_up:0,turn_down:0";
    let e = run(
        "sparbench",
        &[
            (
                "1",
                "It is behind.",
                json!({"answer": "D", "task": "obj_spatial_relation_oo"}),
            ),
            (
                "2",
                "first 2.0 then 3.0",
                json!({"answer": "2.0", "task": "depth_prediction_oc"}),
            ),
            (
                "3",
                "first 2.0 then 3.0",
                json!({"answer": "2.0", "task": "depth_prediction_oc_mv"}),
            ),
            (
                "4",
                "0.04",
                json!({"answer": "0", "task": "distance_prediction_oo"}),
            ),
            ("5", vc, json!({"answer": vc, "task": "view_change_infer"})),
        ],
    );
    assert_eq!(
        results(&e),
        vec![Some(1.0), Some(1.0), Some(0.1), Some(1.0), Some(1.0)]
    );
    assert_eq!(e.summary.headline_key, "overall_score");
    close(e.summary.headline, 82.0); // (1 + 1 + 0.1 + 1 + 1)/5 × 100
}

#[test]
fn blink_is_macro_with_micro_beside() {
    let e = run(
        "blink",
        &[
            ("1", "(A)", json!({"answer": "(A)", "subtask": "Counting"})),
            (
                "2",
                "Because",
                json!({"answer": "(B)", "subtask": "Counting"}),
            ),
            (
                "3",
                "The answer is C",
                json!({"answer": "(C)", "subtask": "Jigsaw"}),
            ),
        ],
    );
    assert_eq!(e.scores[1].extracted, "(Z)");
    close(e.summary.headline, 0.75); // (0.5 + 1)/2
    close(
        e.summary.fields["micro_accuracy"].as_f64().unwrap_or(-1.0),
        2.0 / 3.0,
    );
}

#[test]
fn mindcube_excludes_translation_from_aggregate_only() {
    let e = run(
        "mindcube",
        &[
            ("around_1", "A. above", json!({"gt_answer": "A"})),
            ("translation_2", "B", json!({"gt_answer": "B"})),
            ("rotation_3", "", json!({"gt_answer": "C"})),
        ],
    );
    assert_eq!(results(&e), vec![Some(1.0), Some(1.0), Some(0.0)]);
    assert_eq!(e.scores[1].score, None);
    assert_eq!(e.summary.total_samples, 2);
    assert_eq!(e.summary.headline, 0.5);
}

#[test]
fn spatialtree_dispatch() {
    let e = run(
        "spatialtree",
        &[
            (
                "1",
                "whatever",
                json!({"answer": "x", "question_type": "open", "extra_info": {"metricfunc": "gpteval"}}),
            ),
            (
                "2",
                "(b)",
                json!({"answer": "B", "question_type": "multiple-choice", "extra_info": {"metricfunc": "mc"}}),
            ),
            (
                "3",
                "Yes, I do not think so",
                json!({"answer": "Yes", "question_type": "judge", "extra_info": {}}),
            ),
            (
                "4",
                "three",
                json!({"answer": "3", "question_type": "open", "extra_info": "{\"metricfunc\": \"meanrelativeacc\", \"spatree0\": \"L1\"}"}),
            ),
            (
                "5",
                "Kitchen",
                json!({"answer": "kitchen", "question_type": "open"}),
            ),
        ],
    );
    assert_eq!(
        results(&e),
        vec![None, Some(1.0), Some(0.0), Some(1.0), Some(1.0)]
    );
    assert_eq!(e.summary.total_samples, 5);
    assert_eq!(e.summary.fields["scored_samples"], json!(4));
    close(e.summary.headline, 0.75);
}

#[test]
fn micro_letter_benchmarks() {
    let mmsi = run(
        "mmsi",
        &[
            (
                "1",
                "``B``",
                json!({"answer": "B", "question_type": "Motion (Cam.)"}),
            ),
            ("2", "A cat", json!({"answer": "A", "question_type": "MSR"})),
        ],
    );
    assert_eq!(results(&mmsi), vec![Some(1.0), Some(0.0)]);
    assert_eq!(
        mmsi.summary.fields["by_subset"]["Motion"]["total"],
        json!(1)
    );

    let pai = run(
        "paibench",
        &[
            ("0", "", json!({"answer": "A", "category": "c"})),
            ("1", "(C)", json!({"answer": "C", "category": "c"})),
        ],
    );
    assert_eq!(pai.summary.fields["invalid_samples"], json!(1));
    assert_eq!(pai.summary.headline, 0.5);

    let vs = run(
        "viewspatial",
        &[(
            "0",
            "the answer is D",
            json!({"answer": "D. left", "question_type": "q"}),
        )],
    );
    assert_eq!(vs.summary.headline, 1.0);

    // Base extractor quirk: "…moved left." → "T", so a correct free-text answer can still miss.
    let vm = run(
        "videomme",
        &[
            (
                "001-1",
                "B",
                json!({"answer": "B", "duration": "short", "domain": "d", "task_type": "t"}),
            ),
            (
                "001-2",
                "The camera moved left.",
                json!({"answer": "A", "duration": "short", "domain": "d", "task_type": "t"}),
            ),
        ],
    );
    assert_eq!(vm.scores[1].extracted, "T");
    assert_eq!(vm.summary.headline, 0.5);

    let mv = run(
        "mmsivideo",
        &[("0", "(c)", json!({"ground_truth": "c", "type": "Scene"}))],
    );
    assert_eq!(mv.summary.headline, 1.0);

    // The article "a" counts as A in PerceptionComp.
    let pc = run(
        "perceptioncomp",
        &[(
            "k",
            "I would say it is a dog",
            json!({"answer_id": 0, "category": "sport", "difficulty": 1}),
        )],
    );
    assert_eq!(pc.summary.headline, 1.0);

    let dsi = run(
        "dsibench",
        &[
            (
                "std__row_000000",
                "answer: b",
                json!({"GT": "B", "cate": 0}),
            ),
            (
                "hflip__row_000000",
                "it is behind.",
                json!({"GT": "B", "cate": 0}),
            ),
        ],
    );
    assert_eq!(dsi.summary.fields["failed_extractions"], json!(1));
    assert_eq!(
        dsi.summary.fields["by_augmentation"]["std"]["accuracy"],
        json!(1.0)
    );
    assert_eq!(dsi.scores[0].category, "Obj:static cam");

    let cv = run(
        "cvbench",
        &[
            (
                "1",
                "No. <answer>yes</answer>",
                json!({"answer": "Yes", "options": ["Yes.", "No."], "task_type": "t"}),
            ),
            (
                "2",
                "Blue car.",
                json!({"answer": "B", "options": ["A. red car", "B. blue car"], "task_type": "t"}),
            ),
        ],
    );
    assert_eq!(results(&cv), vec![Some(1.0), Some(1.0)]);
}

#[test]
fn synth_letters_and_mra10() {
    let e = run(
        "synth",
        &[
            (
                "1",
                "(b).",
                json!({"answer": "B", "question_type": "relation"}),
            ),
            (
                "2",
                "11",
                json!({"answer": 10.0, "question_type": "distance"}),
            ),
            ("3", "0", json!({"answer": 0, "question_type": "count"})),
        ],
    );
    assert_eq!(results(&e), vec![Some(1.0), Some(0.9), Some(1.0)]);
    close(e.summary.headline, 2.9 / 3.0);
}

#[test]
fn videommev2_group_tables() {
    use GroupStructure::*;
    let b = |v: [u8; 4]| v.map(|x| x == 1);
    assert_eq!(relevance_group_score(b([0, 0, 0, 0])), 0.0);
    assert_eq!(relevance_group_score(b([0, 1, 0, 0])), 6.25);
    assert_eq!(relevance_group_score(b([1, 0, 1, 1])), 56.25);
    assert_eq!(logic_group_score(b([1, 1, 0, 1]), Chain), 25.0);
    assert_eq!(logic_group_score(b([0, 1, 1, 1]), Chain), 0.0);
    assert_eq!(logic_group_score(b([1, 0, 1, 0]), MiddlePair), 33.33); // run 1, Q3 correct → 2
    assert_eq!(logic_group_score(b([1, 0, 0, 1]), MiddlePair), 8.33);
    assert_eq!(logic_group_score(b([1, 1, 1, 0]), MiddlePair), 58.33);
    assert_eq!(logic_group_score(b([1, 1, 1, 1]), MiddlePair), 100.0);
    assert_eq!(logic_group_score(b([0, 1, 0, 0]), LeadingPair), 10.0); // Q1 wrong, Q2 right → 1
    assert_eq!(logic_group_score(b([0, 0, 1, 1]), LeadingPair), 0.0);
    assert_eq!(logic_group_score(b([1, 1, 1, 0]), LeadingPair), 50.0);
    assert_eq!(GroupStructure::parse("[1, [2, 3], 4]"), Some(MiddlePair));
    assert_eq!(GroupStructure::parse("[1,2,[3,4]]"), None);
}

/// Four videos: relevance [1,0,1,1] → 56.25; logic [1,[2,3],4] [1,0,1,0] → 33.33;
/// logic [[1,2],3,4] [0,1,1,1] → 10; logic chain [1,1,0,1] → 25.
fn v2_items(with_video: bool) -> Vec<(String, String, Value)> {
    let groups: [(&str, &str, &str, [u8; 4]); 4] = [
        ("v1", "relevance", "[1,2,3,4]", [1, 0, 1, 1]),
        ("v2", "logic", "[1,[2,3],4]", [1, 0, 1, 0]),
        ("v3", "logic", "[[1,2],3,4]", [0, 1, 1, 1]),
        ("v4", "logic", "[1,2,3,4]", [1, 1, 0, 1]),
    ];
    let mut out = Vec::new();
    for (gi, (video, gtype, st, correct)) in groups.iter().enumerate() {
        for (q, c) in correct.iter().enumerate() {
            let id = format!("{}", gi * 4 + q + 1);
            let pred = if *c == 1 { "A" } else { "B" };
            let mut t = json!({"answer": "A", "question_id": id, "group_type": gtype, "group_structure": st, "level": 1 + gi % 2, "second_head": "h"});
            if with_video {
                t["video_id"] = json!(video);
            }
            out.push((id, pred.to_string(), t));
        }
    }
    out
}

fn run_owned(name: &str, items: &[(String, String, Value)]) -> Evaluation {
    let b = benchmark(name).expect("registered");
    let samples: Vec<Sample<'_>> = items
        .iter()
        .map(|(id, p, t)| Sample::new(id, p, t))
        .collect();
    b.evaluate(&samples).expect("scores")
}

#[test]
fn videommev2_groups_by_video_and_in_chunks() {
    let expected = (56.25 + 33.33 + 10.0 + 25.0) / 4.0 / 100.0;
    // In data order without video ids: the original's chunks of 4.
    let chunked = run_owned("videommev2", &v2_items(false));
    close(chunked.summary.headline, expected);
    // Shuffled, with video ids: grouping by video restores the same groups.
    let mut items = v2_items(true);
    items.reverse();
    items.swap(0, 9);
    let by_video = run_owned("videommev2", &items);
    close(by_video.summary.headline, expected);
    close(
        by_video.summary.fields["level_1"].as_f64().unwrap_or(-1.0),
        (56.25 + 10.0) / 2.0 / 100.0,
    );
    close(
        by_video.summary.fields["relevance_linear_score"]
            .as_f64()
            .unwrap_or(-1.0),
        0.75,
    );
    // An incomplete group is left out and counted.
    let mut partial = v2_items(true);
    partial.pop();
    let p = run_owned("videommev2", &partial);
    assert_eq!(p.summary.fields["incomplete_groups"], json!(1));
    close(p.summary.headline, (56.25 + 33.33 + 10.0) / 3.0 / 100.0);
}

#[test]
fn videommev2_failed_extraction_is_minus_one() {
    let items = vec![(
        "1".to_string(),
        "i have no idea at all about this one, sorry, really".to_string(),
        json!({"answer": "A"}),
    )];
    let e = run_owned("videommev2", &items);
    assert_eq!(e.scores[0].result, Some(-1.0));
    assert_eq!(e.scores[0].score, Some(0.0));
    assert_eq!(e.summary.fields["invalid_extractions"], json!(1));
}

#[test]
fn videommev2_unknown_structure_is_a_typed_error() {
    let t = json!({"answer": "A", "video_id": "v", "group_type": "logic", "group_structure": "[4,3,2,1]"});
    let b = benchmark("videommev2").expect("registered");
    let samples: Vec<Sample<'_>> = (0..4).map(|_| Sample::new("x", "A", &t)).collect();
    assert!(matches!(
        b.evaluate(&samples),
        Err(ScoreError::InvalidField {
            field: "group_structure",
            ..
        })
    ));
}

#[test]
fn missing_ground_truth_is_a_typed_error() {
    let t = json!({"question_type": "x"});
    for name in names() {
        let b = benchmark(name).expect("registered");
        let r = b.score(&Sample::new("s1", "A", &t));
        assert!(
            matches!(
                r,
                Err(ScoreError::MissingField { .. }) | Err(ScoreError::InvalidField { .. })
            ),
            "{name}: {r:?}"
        );
    }
}

#[test]
fn hostile_predictions_never_panic() {
    let preds = [
        "",
        " ",
        "\\boxed{",
        "\\boxed{}}}",
        "{{{{",
        "ñ é ü 中文 😀",
        "(((((",
        "A",
        "z.",
        "-",
        "1e400",
        "nan",
        "^^^^1",
        "<answer></answer>",
        "``",
        "move_right:abc,,,:",
    ];
    let long = "word ".repeat(5000);
    let truths: Vec<(&str, Value)> = vec![
        ("erqa", json!({"answer": "A"})),
        ("omni3d", json!({"answer": 1.5, "answer_type": "float"})),
        ("omni3d", json!({"answer": 2, "answer_type": "int"})),
        ("omnispatial", json!({"answer": 1})),
        (
            "spbench",
            json!({"ground_truth": "3", "question_type": "object_counting"}),
        ),
        (
            "spbench",
            json!({"ground_truth": "A", "question_type": "object_rel_distance", "options": "not json"}),
        ),
        ("mindcube", json!({"gt_answer": "A"})),
        ("mmsi", json!({"answer": "A"})),
        (
            "sparbench",
            json!({"answer": "move_right:1", "task": "view_change_infer"}),
        ),
        (
            "sparbench",
            json!({"answer": "1.5", "task": "depth_prediction_oo_mv"}),
        ),
        (
            "sparbench",
            json!({"answer": "A", "task": "position_matching"}),
        ),
        ("blink", json!({"answer": "(A)"})),
        (
            "spatialtree",
            json!({"answer": "2", "question_type": "open", "metricfunc": "l2distance"}),
        ),
        ("viewspatial", json!({"answer": "A. x"})),
        ("mmsivideo", json!({"ground_truth": "A"})),
        (
            "osibench",
            json!({"answer": "2", "category": "absolute_speed"}),
        ),
        ("paibench", json!({"answer": "A"})),
        (
            "vsibench_unbiased",
            json!({"ground_truth": "2", "question_type": "object_abs_distance"}),
        ),
        ("vstibench", json!({"ground_truth": "2"})),
        ("dsibench", json!({"GT": "A"})),
        (
            "cvbench",
            json!({"answer": "Yes", "options": ["Yes", "No"]}),
        ),
        ("perceptioncomp", json!({"answer_id": 4})),
        ("videomme", json!({"answer": "A"})),
        ("videommev2", json!({"answer": "A"})),
        ("synth", json!({"answer": 2.0})),
    ];
    for (name, truth) in &truths {
        let b = benchmark(name).expect("registered");
        for p in preds.iter().copied().chain(std::iter::once(long.as_str())) {
            let s = b
                .score(&Sample::new("id", p, truth))
                .unwrap_or_else(|e| panic!("{name} {p:?}: {e}"));
            let r = s.result.unwrap_or(0.0);
            assert!((-1.0..=1.0).contains(&r), "{name} {p:?} → {r}");
        }
    }
}

#[test]
fn suite_averages_both_protocols() {
    let spar = run(
        "sparbench",
        &[(
            "1",
            "D",
            json!({"answer": "D", "task": "position_matching"}),
        )],
    );
    let erqa = run(
        "erqa",
        &[
            ("1", "A", json!({"answer": "A"})),
            ("2", "B", json!({"answer": "A"})),
        ],
    );
    let synth = run("synth", &[("1", "A", json!({"answer": "A"}))]);
    let rel = released_average(&[spar.summary.clone(), erqa.summary.clone(), synth.summary]);
    assert_eq!(rel.protocol, Protocol::Released);
    close(rel.average, (1.0 + 0.5) / 2.0); // SPAR's 100 % normalised; synth ignored
    assert_eq!(rel.missing.len(), 18);
    assert!(!rel.is_complete());

    let erqa_scores: Vec<Option<f64>> = erqa.scores.iter().map(|s| s.score).collect();
    let mindcube: Vec<Option<f64>> = vec![Some(1.0), None, Some(0.0), Some(0.0)];
    let paper = paper_average(&[("erqa", &erqa_scores), ("mindcube", &mindcube)]);
    assert_eq!(paper.protocol, Protocol::Paper);
    close(paper.average, (0.5 + 1.0 / 3.0) / 2.0);
    assert!(paper.entries.iter().all(|e| !e.subsampled));
}
