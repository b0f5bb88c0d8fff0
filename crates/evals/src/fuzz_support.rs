//! Fuzzing entry points shared by the cargo-fuzz targets in `fuzz/` and the seeded regression
//! test `tests/fuzz_seeded.rs`, so both run exactly the same code (docs/fuzzing.md).
//!
//! [`records`] writes fuzzed bytes as a benchmark's index file(s) under a scratch data root and
//! runs the real loader over them, so the whole record → sample path (JSON, JSONL, CSV and
//! parquet reading, field extraction, option parsing, path joining) is exercised, then scores
//! every loaded sample. [`scoring`] feeds arbitrary predictions and ground-truth records to the
//! scorers. Each entry panics when an invariant is broken. Not part of the crate's API.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{BinaryBuilder, BooleanBuilder, Float64Builder, Int64Builder};
use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch, StructArray};
use arrow_schema::{DataType, Field};
use parquet::arrow::ArrowWriter;
use serde_json::{Map, Value};

use crate::loaders::{self, ImageRef, LoadOptions};
use crate::scoring::benchmarks::{Sample as ScoreSample, benchmark};

/// How a benchmark's index is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A JSON document: a list of records (or an object holding one).
    Json,
    /// One JSON record per line.
    Jsonl,
    /// A CSV file with a header row.
    Csv,
    /// A parquet file, one row per record.
    Parquet,
}

/// A benchmark and the index files its loader reads (relative to its data folder).
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    pub benchmark: &'static str,
    pub files: &'static [&'static str],
    pub format: Format,
}

const BLINK_FILES: &[&str] = &[
    "Art_Style/val-0.parquet",
    "Counting/val-0.parquet",
    "Forensic_Detection/val-0.parquet",
    "Functional_Correspondence/val-0.parquet",
    "IQ_Test/val-0.parquet",
    "Jigsaw/val-0.parquet",
    "Multi-view_Reasoning/val-0.parquet",
    "Object_Localization/val-0.parquet",
    "Relative_Depth/val-0.parquet",
    "Relative_Reflectance/val-0.parquet",
    "Semantic_Correspondence/val-0.parquet",
    "Spatial_Relation/val-0.parquet",
    "Visual_Correspondence/val-0.parquet",
    "Visual_Similarity/val-0.parquet",
];

/// Every benchmark whose records come from an index file (SynthSpatial is read by the synth
/// crate and left out).
pub const LAYOUTS: &[Layout] = &[
    layout("erqa", &["data/test-0.parquet"], Format::Parquet),
    layout("omni3d", &["annotations.json"], Format::Json),
    layout("omnispatial", &["OmniSpatial-test/data.json"], Format::Json),
    layout(
        "spbench",
        &["SPBench-SI.parquet", "SPBench-MV.parquet"],
        Format::Parquet,
    ),
    layout("mindcube", &["data/raw/MindCube.jsonl"], Format::Jsonl),
    layout("mmsi", &["MMSI_Bench.parquet"], Format::Parquet),
    layout("sparbench", &["data/test-0.parquet"], Format::Parquet),
    layout("mmsivideo", &["mmsivideo.json"], Format::Json),
    layout("osibench", &["data.parquet"], Format::Parquet),
    layout(
        "paibench",
        &["data/test-00000-of-00001.parquet"],
        Format::Parquet,
    ),
    layout(
        "vsibench_unbiased",
        &["test_debiased.parquet"],
        Format::Parquet,
    ),
    layout("vstibench", &["test.json"], Format::Json),
    layout(
        "dsibench",
        &[
            "metadatas/std.csv",
            "metadatas/hflip.csv",
            "metadatas/reverse.csv",
            "metadatas/reverse_hflip.csv",
        ],
        Format::Csv,
    ),
    layout("blink", BLINK_FILES, Format::Parquet),
    layout(
        "spatialtree",
        &["annotations_plain.parquet"],
        Format::Parquet,
    ),
    layout("viewspatial", &["ViewSpatial-Bench.json"], Format::Json),
    layout(
        "cvbench",
        &["data/test-00000-of-00001.parquet"],
        Format::Parquet,
    ),
    layout("perceptioncomp", &["questions.json"], Format::Json),
    layout("videomme", &["videomme/test-0.parquet"], Format::Parquet),
    layout("videommev2", &["test.parquet"], Format::Parquet),
    layout("vsibench", &["test.jsonl"], Format::Jsonl),
];

const fn layout(benchmark: &'static str, files: &'static [&'static str], format: Format) -> Layout {
    Layout {
        benchmark,
        files,
        format,
    }
}

/// Field names the loaders and scorers read, for structured generators and dictionaries.
pub const FIELD_NAMES: &[&str] = &[
    "id",
    "question_id",
    "question_index",
    "question",
    "ori_question",
    "question_type",
    "answer",
    "answer_id",
    "answer_type",
    "mc_answer",
    "gt_answer",
    "ground_truth",
    "GT",
    "options",
    "choices",
    "index2ans",
    "category",
    "cate",
    "task",
    "task_type",
    "sub_task_type",
    "type",
    "dataset",
    "scene_name",
    "video",
    "video_id",
    "videoID",
    "video_path",
    "video_list",
    "videos",
    "relative_path",
    "file_name",
    "image",
    "images",
    "image_1",
    "image_2",
    "image_filename",
    "image_path",
    "visual_indices",
    "frames_list",
    "ref_images",
    "base_fps",
    "start",
    "end",
    "idx",
    "key",
    "subtask",
    "session_id",
    "base_id",
    "augmentation",
    "format_type",
    "img_type",
    "source",
    "level",
];

/// Strings that start with this char stand for bytes (image data) in parquet: `"\u{89}PNG…"`.
const BINARY_MARK: char = '\u{89}';

fn is_binary(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.starts_with(BINARY_MARK))
}

/// Serialises records in a benchmark's index format. JSON documents are a list of records;
/// parquet columns take the type of their values (strings starting with `\u{89}`, as PNG data
/// does, become binary, `{"bytes": s}` objects the hub's image struct); CSV cells are Python
/// `str()` of the values.
pub fn encode_records(format: Format, records: &[Value]) -> Vec<u8> {
    match format {
        Format::Json => Value::Array(records.to_vec()).to_string().into_bytes(),
        Format::Jsonl => records
            .iter()
            .map(|r| r.to_string() + "\n")
            .collect::<String>()
            .into_bytes(),
        Format::Csv => {
            let cols = columns(records);
            let mut w = csv::Writer::from_writer(Vec::new());
            let _ = w.write_record(&cols);
            for r in records {
                let row: Vec<String> = cols
                    .iter()
                    .map(|c| {
                        r.get(c)
                            .map(crate::scoring::record::py_str)
                            .unwrap_or_default()
                    })
                    .collect();
                let _ = w.write_record(&row);
            }
            w.into_inner().unwrap_or_default()
        }
        Format::Parquet => parquet_bytes(records).unwrap_or_default(),
    }
}

fn columns(records: &[Value]) -> Vec<String> {
    let mut cols: Vec<String> = Vec::new();
    for r in records {
        if let Value::Object(m) = r {
            for k in m.keys() {
                if !cols.contains(k) {
                    cols.push(k.clone());
                }
            }
        }
    }
    cols
}

fn parquet_bytes(records: &[Value]) -> Option<Vec<u8>> {
    let cols = columns(records);
    if cols.is_empty() {
        return None;
    }
    let mut arrays: Vec<(String, ArrayRef)> = Vec::new();
    for c in &cols {
        let values: Vec<Option<&Value>> = records
            .iter()
            .map(|r| r.get(c).filter(|v| !v.is_null()))
            .collect();
        arrays.push((c.clone(), column_array(&values)));
    }
    let batch = RecordBatch::try_from_iter(arrays).ok()?;
    let mut out = Vec::new();
    let mut w = ArrowWriter::try_new(&mut out, batch.schema(), None).ok()?;
    w.write(&batch).ok()?;
    w.close().ok()?;
    Some(out)
}

/// Bytes of a string that stands for binary data: one byte per char when every char is below
/// 256 (so `"\u{89}PNG"` is PNG magic), else its UTF-8.
fn latin1(s: &str) -> Vec<u8> {
    if s.chars().all(|c| u32::from(c) < 256) {
        s.chars().map(|c| c as u8).collect()
    } else {
        s.as_bytes().to_vec()
    }
}

fn column_array(values: &[Option<&Value>]) -> ArrayRef {
    let present: Vec<&Value> = values.iter().flatten().copied().collect();
    let all = |f: fn(&Value) -> bool| present.iter().all(|v| f(v));
    if all(is_binary) {
        let mut b = BinaryBuilder::new();
        for v in values {
            b.append_option(v.and_then(Value::as_str).map(latin1));
        }
        return Arc::new(b.finish());
    }
    if all(|v| {
        v.as_array()
            .is_some_and(|a| !a.is_empty() && a.iter().all(is_binary))
    }) {
        let mut b = ListBuilder::new(BinaryBuilder::new());
        for v in values {
            match v.and_then(Value::as_array) {
                Some(items) => {
                    for i in items {
                        b.values().append_value(latin1(i.as_str().unwrap_or("")));
                    }
                    b.append(true);
                }
                None => b.append(false),
            }
        }
        return Arc::new(b.finish());
    }
    if all(|v| v.get("bytes").is_some_and(is_binary)) {
        let mut bytes = BinaryBuilder::new();
        let mut paths = StringBuilder::new();
        for v in values {
            bytes.append_option(v.and_then(|v| v.get("bytes")?.as_str()).map(latin1));
            paths.append_option(v.and_then(|v| v.get("path")?.as_str()));
        }
        let fields = vec![
            Arc::new(Field::new("bytes", DataType::Binary, true)),
            Arc::new(Field::new("path", DataType::Utf8, true)),
        ];
        let arrays: Vec<ArrayRef> = vec![Arc::new(bytes.finish()), Arc::new(paths.finish())];
        return Arc::new(StructArray::from(
            fields.into_iter().zip(arrays).collect::<Vec<_>>(),
        ));
    }
    if all(Value::is_boolean) {
        let mut b = BooleanBuilder::new();
        for v in values {
            b.append_option(v.and_then(Value::as_bool));
        }
        return Arc::new(b.finish());
    }
    if all(Value::is_i64) {
        let mut b = Int64Builder::new();
        for v in values {
            b.append_option(v.and_then(Value::as_i64));
        }
        return Arc::new(b.finish());
    }
    if all(Value::is_number) {
        let mut b = Float64Builder::new();
        for v in values {
            b.append_option(v.and_then(Value::as_f64));
        }
        return Arc::new(b.finish());
    }
    if all(|v| {
        v.as_array()
            .is_some_and(|a| a.iter().all(|i| i.is_string() || i.is_null()))
    }) {
        let mut b = ListBuilder::new(StringBuilder::new());
        for v in values {
            match v.and_then(Value::as_array) {
                Some(items) => {
                    for i in items {
                        b.values().append_option(i.as_str());
                    }
                    b.append(true);
                }
                None => b.append(false),
            }
        }
        return Arc::new(b.finish());
    }
    let mut b = StringBuilder::new();
    for v in values {
        b.append_option(v.map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }));
    }
    Arc::new(b.finish())
}

/// One record with every field some loader reads (image columns hold PNG magic).
const SEED_RECORD: &str = r#"{
    "id": 3, "question_id": "q3", "question_index": 3, "idx": 3,
    "question": "Which object is closer? <image>", "ori_question": "Which object is closer?",
    "question_type": "object_rel_distance", "task": "depth", "task_type": "Egocentric",
    "sub_task_type": "Left", "category": "Spatial", "cate": "rel", "answer_type": "str",
    "type": "multiple-choice",
    "answer": "A", "mc_answer": "B", "gt_answer": "(A)", "ground_truth": "2.5", "GT": "A",
    "answer_id": 0,
    "options": ["A. chair", "B. table"], "choices": ["chair", "table"],
    "index2ans": {"A": "chair", "B": "table"},
    "dataset": "scannet", "scene_name": "scene0001",
    "video_id": "v1", "videoID": "v1", "video_path": "v/a.mp4", "video": "a.mp4",
    "relative_path": "a.mp4", "file_name": "a", "image_filename": "1.png",
    "image_path": ["img/1.png"], "images": ["\u0089PNG\r\n\u001a\n", "\u0089PNG\r\n\u001a\n"],
    "image": "\u0089PNG\r\n\u001a\n",
    "image_1": {"bytes": "\u0089PNG\r\n\u001a\n", "path": "1.png"}, "visual_indices": [0, 1],
    "frames_list": [["f/1.png"]], "video_list": [{"path": "v.mp4"}],
    "ref_images": ["r/1.png"], "base_fps": 2.0, "start": 0.0, "end": 3.5
}"#;

/// A valid record set per benchmark (and the layout it goes with), as seeds for mutation.
pub fn record_seeds() -> Vec<(usize, Vec<u8>)> {
    LAYOUTS
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut r: Value = serde_json::from_str(SEED_RECORD).expect("seed record is JSON");
            let extra = match l.benchmark {
                "cvbench" => serde_json::json!({"video_1": "1/a.mp4", "video_2": "1/b.mp4"}),
                "dsibench" => serde_json::json!({"options": "A: left; B: right", "cate": 2}),
                "omnispatial" => serde_json::json!({"answer": 1}),
                "perceptioncomp" => {
                    serde_json::json!({"answer_choice_0": "left", "answer_choice_1": "right"})
                }
                "spatialtree" => serde_json::json!({"video": ["v.mp4"], "image": ["1.png"]}),
                "spbench" => serde_json::json!({"images": ["1.png", "2.png"]}),
                _ => serde_json::json!({}),
            };
            if let (Some(m), Value::Object(extra)) = (r.as_object_mut(), extra) {
                m.extend(extra);
            }
            (i, with_layout(i, encode_records(l.format, &[r.clone(), r])))
        })
        .collect()
}

/// The fuzz input for layout `i` and file bytes `file`.
pub fn with_layout(i: usize, file: Vec<u8>) -> Vec<u8> {
    let mut out = vec![i as u8, 1];
    out.extend(file);
    out
}

/// A scratch data root, one per thread, removed when the thread ends (a fuzzer process that
/// exits leaves it behind: `scripts/fuzz.sh` removes it). Files are overwritten in place rather
/// than deleted and recreated, which on ext4 costs milliseconds per input.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch_root() -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    thread_local! {
        static ROOT: Scratch = Scratch(std::env::temp_dir().join(format!(
            "spatialclaw-fuzz-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        )));
    }
    ROOT.with(|r| r.0.clone())
}

/// libFuzzer's panic hook aborts on every panic, even one that is caught; the parquet crate's
/// panics on corrupt files are caught by [`crate::loaders::common::read_parquet`] and turned into
/// load errors, so let those unwind (and keep aborting on every other panic).
fn tolerate_parquet_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_parquet = info.location().is_some_and(|l| {
                let f = l.file().replace('\\', "/");
                f.contains("/parquet-") || f.contains("/arrow-")
            });
            if !in_parquet {
                previous(info);
            }
        }));
    });
}

/// Writes `file` as every index file of `layout` under the scratch data root and loads it.
pub fn load_layout(
    layout: Layout,
    file: &[u8],
    media: bool,
) -> Result<Vec<loaders::LoadedSample>, loaders::LoadError> {
    let root = scratch_root();
    let dir = loaders::find(layout.benchmark)
        .expect("layout names a registered benchmark")
        .dir(&root);
    for f in layout.files {
        let path = dir.join(f);
        let folder = path.parent().expect("index files sit in a folder");
        if !folder.is_dir() {
            std::fs::create_dir_all(folder).expect("scratch folder");
        }
        std::fs::write(&path, file).expect("scratch file");
    }
    loaders::load(layout.benchmark, &root, &LoadOptions { media })
}

/// The dataset loaders on arbitrary index-file bytes: byte 0 picks the benchmark
/// ([`LAYOUTS`]), byte 1 whether media are checked, the rest is written to every index file.
///
/// Invariants: loading never panics; every file an accepted sample refers to lies inside the
/// benchmark's data folder (no `..`, no absolute path); embedded images get a plain file name;
/// the instruction starts with the question; choices have letters; scoring the sample with its
/// own answer and with arbitrary text never panics and gives a finite score in 0..=1 (a
/// `result` in −1..=1).
pub fn records(data: &[u8]) {
    tolerate_parquet_panics();
    let [pick, media, file @ ..] = data else {
        return;
    };
    let layout = LAYOUTS[usize::from(*pick) % LAYOUTS.len()];
    let dir = loaders::find(layout.benchmark)
        .expect("layout names a registered benchmark")
        .dir(&scratch_root());
    let Ok(samples) = load_layout(layout, file, media & 1 == 1) else {
        return;
    };
    let scorer = benchmark(layout.benchmark).expect("every loader has a scorer");
    let junk = String::from_utf8_lossy(file);
    for s in samples.iter().flatten() {
        for p in s.files() {
            assert!(
                p.starts_with(&dir) && !p.components().any(|c| c == Component::ParentDir),
                "{}: sample {} refers to {} outside {}",
                layout.benchmark,
                s.id,
                p.display(),
                dir.display()
            );
        }
        for img in s.images.iter().chain(&s.ref_images) {
            if let ImageRef::Bytes { name, .. } = img {
                let mut parts = Path::new(name).components();
                assert!(
                    matches!(parts.next(), Some(Component::Normal(_))) && parts.next().is_none(),
                    "embedded image name {name:?} is not a plain file name"
                );
            }
        }
        assert!(
            s.instruction.starts_with(&s.question),
            "{}: instruction does not start with the question",
            layout.benchmark
        );
        assert!(
            s.choices.iter().all(|c| !c.letter.is_empty()),
            "choice without a letter"
        );
        for prediction in [s.answer.as_str(), &junk[..junk.len().min(256)], ""] {
            check_score(scorer.name(), s.scoring(prediction));
        }
    }
}

fn check_score(name: &str, sample: ScoreSample<'_>) {
    let scorer = benchmark(name).expect("registered");
    let Ok(score) = scorer.score(&sample) else {
        return;
    };
    // `result` may be −1 (Video-MME-v2: no letter found); what enters the aggregate is 0..=1.
    let ranges = [(score.result, -1.0..=1.0), (score.score, 0.0..=1.0)];
    for (v, range) in ranges.into_iter().filter_map(|(v, r)| Some((v?, r))) {
        assert!(
            v.is_finite() && range.contains(&v),
            "{name}: score {v} for prediction {:?} against {}",
            sample.prediction,
            sample.truth
        );
    }
}

/// Arbitrary predictions against arbitrary ground truth: byte 0 picks the scorer, the rest is
/// `prediction \0 truth-JSON \0 question_type`.
///
/// Invariants: scoring never panics, and a score is finite and in 0..=1 (a `result` in −1..=1).
pub fn scoring(data: &[u8]) {
    let [pick, rest @ ..] = data else {
        return;
    };
    let names = crate::scoring::benchmarks::names();
    let name = names[usize::from(*pick) % names.len()];
    let text = String::from_utf8_lossy(rest);
    let mut parts = text.splitn(3, '\0');
    let prediction = parts.next().unwrap_or("");
    let truth = parts
        .next()
        .and_then(|t| serde_json::from_str::<Value>(t).ok())
        .unwrap_or_else(|| Value::Object(Map::new()));
    let qtype = parts.next().unwrap_or("");
    check_score(
        name,
        ScoreSample::new("fuzz", prediction, &truth).with_question_type(qtype),
    );
    check_score(name, ScoreSample::new("fuzz", prediction, &truth));
}

/// Scoring inputs as seeds: `(scorer index, prediction, truth)` encoded for [`scoring`].
pub fn scoring_seeds() -> Vec<Vec<u8>> {
    let names = crate::scoring::benchmarks::names();
    let truths = [
        serde_json::json!({"answer": "A", "question_type": "object_rel_direction", "options": ["A. left", "B. right"]}),
        serde_json::json!({"answer": "2.5", "ground_truth": "2.5", "question_type": "object_abs_distance", "answer_type": "float", "task": "depth_prediction_oc"}),
        serde_json::json!({"answer": "(B)", "gt_answer": "B", "mc_answer": "B", "choices": ["yes", "no"], "task": "view_change_infer"}),
    ];
    let predictions = [
        "A",
        "The answer is \\boxed{B}.",
        "about 2.4 meters",
        "<answer>(A)</answer>",
        "x:1.0 y:-2 z:3e-1 pitch:5 yaw:0",
    ];
    let mut out = Vec::new();
    for (i, _) in names.iter().enumerate() {
        for (k, p) in predictions.iter().enumerate() {
            let t = &truths[(i + k) % truths.len()];
            let mut b = vec![i as u8];
            b.extend_from_slice(format!("{p}\0{t}\0").as_bytes());
            out.push(b);
        }
    }
    out
}
