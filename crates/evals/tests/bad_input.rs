//! Bad input through the real loaders, image checks, ffmpeg and scorers: corrupt, truncated, huge
//! and zero-byte images; videos ffmpeg cannot read; empty questions; ground truths of the wrong
//! type; predictions of the wrong type. Each must fail its own sample with a reason that says what
//! is wrong and what to do, while the other samples load and score.

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;
use spatialclaw_evals::benchmark;
use spatialclaw_evals::frames::sample_frames;
use spatialclaw_evals::image_check::{
    ImageProblem, MAX_IMAGE_PIXELS, check_image, inspect, inspect_file,
};
use spatialclaw_evals::loaders::{self, ImageRef, LoadOptions, LoadedSample, Sample};
use spatialclaw_evals::rescore::{Predictions, Selection, rescore};
use spatialclaw_evals::scoring::benchmarks::Sample as ScoreSample;
use spatialclaw_evals::video::{ExtractOptions, Ffmpeg, VideoError};
use support::*;

/// Records the largest single allocation, so a test can prove that refusing a huge image never
/// allocates its decoded size.
struct Largest;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Largest {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Largest = Largest;

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32fast::hash(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A PNG that declares `w`×`h` RGB pixels but holds a few bytes of (bogus) data: a decompression
/// bomb's header, well-formed down to the CRCs.
fn png_declaring(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A baseline JPEG's framing (SOI, SOF0 with the size, SOS, scan bytes, EOI when `complete`).
fn jpeg(w: u16, h: u16, complete: bool) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8];
    out.extend_from_slice(&[0xFF, 0xE0, 0x00, 0x04, 0x4A, 0x46]); // a short APP0
    out.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08]);
    out.extend_from_slice(&h.to_be_bytes());
    out.extend_from_slice(&w.to_be_bytes());
    out.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    out.extend_from_slice(&[
        0xFF, 0xDA, 0x00, 0x0C, 3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0,
    ]);
    out.extend_from_slice(&[0x12, 0x34, 0x56, 0x78, 0x9A]);
    if complete {
        out.extend_from_slice(&[0xFF, 0xD9]);
    }
    out
}

#[test]
fn valid_images_pass_with_their_size() {
    let info = inspect(&png(1)).unwrap();
    assert_eq!((info.format, info.width, info.height), ("png", 2, 2));
    let info = inspect(&jpeg(640, 480, true)).unwrap();
    assert_eq!((info.format, info.width, info.height), ("jpeg", 640, 480));
    // Exactly at the limit is fine.
    assert!(inspect(&png_declaring(8192, 8192)).is_ok());
}

#[test]
fn zero_byte_garbage_truncated_and_corrupt_images_are_named() {
    assert_eq!(inspect(&[]), Err(ImageProblem::Empty));
    let e = inspect(b"<html>not an image</html>").unwrap_err();
    assert!(matches!(e, ImageProblem::UnknownFormat { .. }), "{e}");
    assert!(e.to_string().contains("PNG, JPEG"), "{e}");

    let good = png(7);
    for cut in [good.len() / 2, good.len() - 1, 20] {
        let e = inspect(&good[..cut]).unwrap_err();
        assert!(
            matches!(e, ImageProblem::Truncated { .. }),
            "cut {cut}: {e}"
        );
        assert!(e.to_string().contains("truncated png"), "{e}");
    }
    // One flipped bit in the pixel data: the IDAT chunk's CRC no longer matches.
    let mut flipped = good.clone();
    let idat = flipped.windows(4).position(|w| w == b"IDAT").unwrap();
    flipped[idat + 6] ^= 0x10;
    let e = inspect(&flipped).unwrap_err();
    assert!(matches!(e, ImageProblem::Corrupt { .. }), "{e}");
    assert!(e.to_string().contains("CRC of the IDAT chunk"), "{e}");

    let e = inspect(&jpeg(64, 48, false)).unwrap_err();
    assert!(matches!(e, ImageProblem::Truncated { .. }), "{e}");
    assert!(e.to_string().contains("end-of-image"), "{e}");
    let e = inspect(&jpeg(64, 48, true)[..12]).unwrap_err();
    assert!(matches!(e, ImageProblem::Truncated { .. }), "{e}");
    let e = inspect(&jpeg(0, 48, true)).unwrap_err();
    assert!(e.to_string().contains("0×48"), "{e}");
}

#[test]
fn a_20000_by_20000_image_is_refused_from_its_header_without_allocating_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.png");
    write(&path, png_declaring(20000, 20000));
    let jpg = dir.path().join("bomb.jpg");
    write(&jpg, jpeg(20000, 20000, true));
    let before = LARGEST.load(Ordering::Relaxed);
    let e = inspect_file(&path).unwrap_err();
    let e2 = inspect_file(&jpg).unwrap_err();
    let largest = LARGEST.load(Ordering::Relaxed);
    assert_eq!(
        e,
        ImageProblem::TooLarge {
            width: 20000,
            height: 20000
        }
    );
    assert!(matches!(e2, ImageProblem::TooLarge { .. }), "{e2}");
    let msg = check_image(&ImageRef::Path(path.clone())).unwrap_err();
    assert!(
        msg.contains("bomb.png")
            && msg.contains("20000×20000")
            && msg.contains("1200 MB")
            && msg.contains("limit of 67.1 Mpx")
            && msg.contains("downscale"),
        "{msg}"
    );
    // Nothing near the decoded size (1.2 GB) was ever allocated by this test binary.
    assert!(
        largest.max(before) < 64 << 20,
        "largest allocation {largest} bytes"
    );
    const { assert!(20000u64 * 20000 > MAX_IMAGE_PIXELS) };
    // Embedded bytes (parquet image cells) get the same check.
    let msg = check_image(&ImageRef::Bytes {
        name: "row_3_0.png".into(),
        data: png_declaring(30000, 3000).into(),
    })
    .unwrap_err();
    assert!(
        msg.contains("embedded image row_3_0.png declares 30000×3000"),
        "{msg}"
    );
    let msg = check_image(&ImageRef::Path(dir.path().join("gone.png"))).unwrap_err();
    assert!(msg.contains("cannot be read"), "{msg}");
}

fn ids(v: &[LoadedSample]) -> (Vec<String>, Vec<(String, String)>) {
    let ok = v
        .iter()
        .filter_map(|s| s.as_ref().ok())
        .map(|s| s.id.clone())
        .collect();
    let err = v
        .iter()
        .filter_map(|s| s.as_ref().err())
        .map(|e| (e.id.clone(), e.reason.clone()))
        .collect();
    (ok, err)
}

fn reason<'a>(errs: &'a [(String, String)], id: &str) -> &'a str {
    errs.iter()
        .find(|(i, _)| i == id)
        .map(|(_, r)| r.as_str())
        .unwrap_or_else(|| panic!("{id} should have failed; failures: {errs:?}"))
}

/// Omni3D with a numeric question whose answer is not a number, a missing answer and an empty
/// question, beside a good sample: the bad ones fail alone, and re-scoring the whole benchmark
/// (which used to stop at the first unusable ground truth) scores the good one.
#[test]
fn empty_questions_and_ground_truths_of_the_wrong_type_fail_only_their_sample() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("Omni3D-Bench");
    for i in 0..5 {
        write(&d.join(format!("images/{i}.png")), png(i));
    }
    write_json(
        &d.join("annotations.json"),
        &json!({"questions": [
            {"question_index": 0, "question": "How tall is the lamp in meters?", "answer": 1.5,
             "answer_type": "float", "image_filename": "0.png"},
            {"question_index": 1, "question": "How tall is the chair?", "answer": "quite tall",
             "answer_type": "float", "image_filename": "1.png"},
            {"question_index": 2, "question": "How many cups?", "answer_type": "int",
             "image_filename": "2.png"},
            {"question_index": 3, "question": "   ", "answer": 2, "answer_type": "int",
             "image_filename": "3.png"},
            {"question_index": 4, "question": "How many plates?", "answer": [1, 2],
             "answer_type": "int", "image_filename": "4.png"},
        ]}),
    );
    let loaded = loaders::load("omni3d", t.path(), &LoadOptions::default()).unwrap();
    let (ok, errs) = ids(&loaded);
    assert_eq!(ok, ["0"], "failures: {errs:?}");
    let r = reason(&errs, "1");
    assert!(
        r.contains("ground truth cannot be scored") && r.contains("quite tall"),
        "{r}"
    );
    assert!(
        r.contains("not a number") && r.contains("fix or drop"),
        "{r}"
    );
    assert!(reason(&errs, "2").contains("no answer"));
    let r = reason(&errs, "3");
    assert!(r.contains("question is empty") && r.contains("fix"), "{r}");
    assert!(reason(&errs, "4").contains("ground truth cannot be scored"));
    // The same records load for re-scoring (truth only) with the same verdicts.
    let truth_only = loaders::load("omni3d", t.path(), &LoadOptions::TRUTH_ONLY).unwrap();
    assert_eq!(ids(&truth_only).1.len(), 4);

    let preds = Predictions {
        by_id: [("0", "1.5"), ("1", "2"), ("3", "2")]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
        malformed: Vec::new(),
    };
    let r = rescore(
        benchmark("omni3d").unwrap(),
        &loaded,
        &preds,
        Selection {
            all: true,
            ..Selection::default()
        },
    )
    .expect("one bad record must not stop the benchmark's scoring");
    assert_eq!(r.samples.len(), 1);
    assert_eq!(r.load_errors.len(), 4);
    assert_eq!(r.samples[0].score.result, Some(1.0));
}

/// A VSI-Bench fixture: question records pointing at `scannet/<scene>.mp4`.
fn vsi_fixture(root: &Path, good_video: Option<&[u8]>) {
    let d = root.join("VSI-Bench");
    let mcq = |id: &str, scene: &str| {
        json!({"id": id, "dataset": "scannet", "scene_name": scene,
               "question_type": "object_rel_distance", "question": "Which is closer to the bed?",
               "options": ["A. lamp", "B. desk"], "ground_truth": "A"})
    };
    let mut records = vec![
        mcq("garbage", "garbage"),
        mcq("truncated", "truncated"),
        mcq("empty_video", "empty"),
        json!({"id": "no_options", "dataset": "scannet", "scene_name": "good",
               "question_type": "object_rel_direction_easy", "question": "Left or right?",
               "options": [], "ground_truth": "A"}),
        json!({"id": "nan_truth", "dataset": "scannet", "scene_name": "good",
               "question_type": "object_counting", "question": "How many chairs?",
               "ground_truth": "several"}),
        json!({"id": "no_truth", "dataset": "scannet", "scene_name": "good",
               "question_type": "object_counting", "question": "How many chairs?"}),
        json!({"id": "empty_question", "dataset": "scannet", "scene_name": "good",
               "question_type": "object_counting", "question": "", "ground_truth": "3"}),
    ];
    if good_video.is_some() {
        records.push(mcq("good", "good"));
    }
    let lines: Vec<String> = records.iter().map(|r| r.to_string()).collect();
    write(&d.join("test.jsonl"), lines.join("\n"));
    let good = good_video.unwrap_or(b"placeholder");
    write(&d.join("scannet/good.mp4"), good);
    write(
        &d.join("scannet/garbage.mp4"),
        b"this is not a video at all, just text pretending to be an mp4".repeat(20),
    );
    write(&d.join("scannet/truncated.mp4"), &good[..good.len() / 3]);
    write(&d.join("scannet/empty.mp4"), b"");
}

fn tiny_video(t: &Ffmpeg, path: &Path) -> Vec<u8> {
    t.write_test_pattern(path, (32, 24), 5, 1)
        .expect("ffmpeg generated the test video");
    std::fs::read(path).unwrap()
}

#[test]
fn videos_ffmpeg_cannot_read_fail_their_sample_with_a_hint() {
    let Ok(tools) = Ffmpeg::locate() else {
        eprintln!("SKIPPED: ffmpeg not installed (scripts/setup-ffmpeg.sh installs it)");
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let good = tiny_video(&tools, &t.path().join("src.mp4"));
    vsi_fixture(t.path(), Some(&good));
    let loaded = loaders::load("vsibench", t.path(), &LoadOptions::default()).unwrap();
    let (ok, errs) = ids(&loaded);
    let mut ok_sorted = ok.clone();
    ok_sorted.sort();
    assert_eq!(
        ok_sorted,
        ["empty_video", "garbage", "good", "truncated"],
        "{errs:?}"
    );
    let r = reason(&errs, "no_options");
    assert!(
        r.contains("no options") && r.contains("object_rel_direction_easy"),
        "{r}"
    );
    let r = reason(&errs, "nan_truth");
    assert!(r.contains("several") && r.contains("numeric"), "{r}");
    assert!(reason(&errs, "no_truth").contains("no ground_truth"));
    assert!(reason(&errs, "empty_question").contains("question is empty"));

    let opts = ExtractOptions {
        cache_dir: t.path().join("cache"),
        ..ExtractOptions::new(None)
    };
    let sample = |id: &str| -> &Sample {
        loaded
            .iter()
            .flatten()
            .find(|s| s.id == id)
            .expect("loaded")
    };
    let frames = sample_frames(sample("good"), Some(&tools), &opts).unwrap();
    assert_eq!(frames.groups[0].images.len(), 5);
    for (id, expect) in [
        ("garbage", "Invalid data"),
        ("truncated", "moov atom not found"),
        ("empty_video", "empty (0 bytes)"),
    ] {
        let e = sample_frames(sample(id), Some(&tools), &opts).unwrap_err();
        assert!(matches!(e, VideoError::Unreadable { .. }), "{id}: {e}");
        let msg = e.to_string();
        assert!(
            msg.contains("is not a readable video")
                && msg.contains(expect)
                && msg.contains("re-download or re-encode"),
            "{id}: {msg}"
        );
    }
    // Nothing half-extracted is left in the cache for the unreadable ones.
    let leftovers = std::fs::read_dir(t.path().join("cache"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(leftovers, 1, "only the good video's cache entry");
}

#[test]
fn mcq_benchmarks_refuse_records_without_options() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("Video-MME");
    write_parquet(
        &d.join("videomme/test-00000-of-00001.parquet"),
        vec![
            ("question_id", s(&["q1", "q2"])),
            ("videoID", s(&["v1", "v2"])),
            ("question", s(&["What happens?", "What happens next?"])),
            (
                "options",
                str_lists(&[Some(vec!["A. x", "B. y"]), Some(vec![])]),
            ),
            ("answer", s(&["A", "B"])),
            ("task_type", s(&["Action", "Action"])),
        ],
    );
    write(&d.join("data/v1.mp4"), b"x");
    write(&d.join("data/v2.mp4"), b"x");
    let loaded = loaders::load("videomme", t.path(), &LoadOptions::default()).unwrap();
    let (ok, errs) = ids(&loaded);
    assert_eq!(ok, ["q1"]);
    assert!(reason(&errs, "q2").contains("has no options"), "{errs:?}");

    // OmniSpatial already refuses an empty option list; an out-of-range answer index too.
    let d = t.path().join("OmniSpatial/OmniSpatial-test");
    write(&d.join("Dynamic_Reasoning/0.png"), png(0));
    write(&d.join("Dynamic_Reasoning/1.png"), png(1));
    write_json(
        &d.join("data.json"),
        &json!([
            {"id": "0", "task_type": "Dynamic_Reasoning", "sub_task_type": "Motion",
             "question": "Which way?", "options": [], "answer": 0},
            {"id": "1", "task_type": "Dynamic_Reasoning", "sub_task_type": "Motion",
             "question": "Which way?", "options": ["left"], "answer": 3},
        ]),
    );
    let loaded = loaders::load("omnispatial", t.path(), &LoadOptions::default()).unwrap();
    let (ok, errs) = ids(&loaded);
    assert!(ok.is_empty());
    assert!(reason(&errs, "Dynamic_Reasoning_Motion_0").contains("no options"));
    assert!(reason(&errs, "Dynamic_Reasoning_Motion_1").contains("past the last option"));
}

/// What `str(x)` of a list, a dict or None looks like when it reaches a scorer (the kernel refuses
/// them in `ReturnAnswer`, but a salvaged or hand-edited prediction can still be anything).
#[test]
fn predictions_of_the_wrong_type_score_zero_and_never_error() {
    let cases = [
        (
            "vsibench",
            json!({"question_type": "object_counting", "ground_truth": "3"}),
        ),
        (
            "vsibench",
            json!({"question_type": "object_rel_distance", "ground_truth": "D"}),
        ),
        ("omni3d", json!({"answer_type": "float", "answer": 1.5})),
        ("omni3d", json!({"answer_type": "str", "answer": "yes"})),
        // OmniSpatial extracts "A" from an unparseable prediction (a quirk kept from the original), so
        // the answer here is D.
        (
            "omnispatial",
            json!({"answer": 3, "task_type": "Dynamic_Reasoning"}),
        ),
        ("erqa", json!({"answer": "D", "question_type": "x"})),
    ];
    let weird = [
        "[1, 2]",
        "{'answer': 'B'}",
        "{\"answer\": 3}",
        "None",
        "{}",
        "[]",
        "",
        "   ",
        "NaN",
        "inf",
        "-1e400",
        "\u{0}\u{7f}",
    ];
    for (name, truth) in &cases {
        let bench = benchmark(name).unwrap();
        for p in weird {
            let s = ScoreSample::new("s", p, truth);
            let scored = bench
                .score(&s)
                .unwrap_or_else(|e| panic!("{name} {p:?}: {e}"));
            // A number inside a list can still earn partial credit where the scorer extracts
            // the last number (Omni3D, as the original does); what matters is a valid score.
            let v = scored.score.unwrap_or(0.0);
            assert!((0.0..=1.0).contains(&v), "{name} {p:?} scored {scored:?}");
            if ["None", "", "   ", "{}", "[]", "NaN"].contains(&p) {
                assert_eq!(v, 0.0, "{name} {p:?} scored {scored:?}");
            }
        }
    }
}
