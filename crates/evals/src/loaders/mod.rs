//! Benchmark loaders: read the 20 paper benchmarks (and the original VSI-Bench) from the same files, in
//! the same layout under a data root, as the original (evals-runs.md §1), so an existing `data/` works.
//!
//! Every loader returns one [`LoadedSample`] per record: a malformed record or a missing media file
//! fails *that* sample with a [`SampleError`] saying why, never the whole load. Only a missing data
//! folder or index file (or an unreadable index) fails the load, with a [`LoadError`] that names the
//! path and the expected layout.
//!
//! The [`Sample`] carries what the agent needs (instruction, images, videos, reference images) and
//! what the scorer needs (the ground-truth record with the fields each scorer's doc lists, and the
//! category key). Frames of videos are extracted lazily by [`crate::video`].

pub mod common;

mod blink;
mod cvbench;
mod erqa;
mod general_video;
mod mmsivideo;
mod multiview;
mod single_image;
mod spatialtree;
mod spbench;
mod synth;
mod video_spatial;
mod viewspatial;
mod vsi;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;
use thiserror::Error;

pub use common::Choice;

/// An image given to the agent: a file of the dataset, or bytes embedded in a parquet file.
#[derive(Debug, Clone, PartialEq)]
pub enum ImageRef {
    Path(PathBuf),
    /// Bytes from a parquet cell; `name` is a stable file name (`<sample>_<k>.<ext>`) for
    /// [`ImageRef::materialize`].
    Bytes {
        name: String,
        data: Arc<[u8]>,
    },
}

impl ImageRef {
    /// The image as a file: a path as it is, bytes written once into `dir` (atomically, so
    /// concurrent workers and an interrupted run never leave a half-written image behind — the
    /// original's MMSI dump could).
    pub fn materialize(&self, dir: &Path) -> std::io::Result<PathBuf> {
        match self {
            ImageRef::Path(p) => Ok(p.clone()),
            ImageRef::Bytes { name, data } => {
                let target = dir.join(name);
                if std::fs::metadata(&target).is_ok_and(|m| m.len() == data.len() as u64) {
                    return Ok(target);
                }
                std::fs::create_dir_all(dir)?;
                static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
                let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let tmp = dir.join(format!(".{name}.{}-{n}.tmp", std::process::id()));
                std::fs::write(&tmp, data)?;
                std::fs::rename(&tmp, &target)?;
                Ok(target)
            }
        }
    }

    /// The bytes of the image (read from disk for a path).
    pub fn bytes(&self) -> std::io::Result<Arc<[u8]>> {
        match self {
            ImageRef::Path(p) => Ok(Arc::from(std::fs::read(p)?)),
            ImageRef::Bytes { data, .. } => Ok(data.clone()),
        }
    }
}

/// A video of a sample.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VideoRef {
    /// Display name (`InputImages_<n>` summaries, reports).
    pub name: String,
    /// The video file; `None` when the dataset ships only frames (MMSI-Video without the clip).
    pub path: Option<PathBuf>,
    /// Pre-extracted frames (MMSI-Video); when present they are used instead of ffmpeg.
    pub frames: Option<Vec<PathBuf>>,
    /// Frame rate given by the dataset (MMSI-Video `base_fps`); ffprobe's otherwise.
    pub fps: Option<f64>,
    /// Clip bounds in seconds given by the dataset (MMSI-Video `start`/`end`).
    pub start_sec: Option<f64>,
    pub end_sec: Option<f64>,
    /// Absolute indices of the shipped `frames` (SynthSpatial); 0..n when absent.
    pub frame_indices: Option<Vec<u64>>,
    /// Native frame count of the video the shipped frames were sampled from.
    pub total_frames: Option<u64>,
}

/// One benchmark question, ready for the agent and the scorer.
#[derive(Debug, Clone)]
pub struct Sample {
    /// The id written to `predictions.jsonl` (`str(sample_id)` of the original).
    pub id: String,
    /// The question as the benchmark phrases it (options inlined for ERQA, MMSI, MindCube, CVBench,
    /// ViewSpatial and SPAR, like the original).
    pub question: String,
    /// Options run.py appends after the answer-format prompt; empty when they are in the question.
    pub choices: Vec<Choice>,
    /// question + "\n\n" + the benchmark prompt + one "\n{L}. {text}" line per choice (§1.5).
    pub instruction: String,
    /// Still images (image benchmarks; SpatialTree samples without a video).
    pub images: Vec<ImageRef>,
    /// Videos; more than one makes a multi-video sample (`InputImages_1..N`).
    pub videos: Vec<VideoRef>,
    /// Reference images (`RefImages`, MMSI-Video).
    pub ref_images: Vec<ImageRef>,
    /// The ground-truth record handed to the scorer (dataset field names).
    pub truth: Value,
    /// `str(sample.answer)`: the `ground_truth` field of `predictions.jsonl`.
    pub answer: String,
    /// The key the original's `--question_type` filter matches (§3.3), also the scorer's category.
    pub question_type: String,
}

impl Sample {
    /// A sample with an empty instruction; the registry assembles it with the benchmark prompt.
    fn new(id: impl Into<String>, question: impl Into<String>, truth: Value) -> Self {
        Sample {
            id: id.into(),
            question: question.into(),
            choices: Vec::new(),
            instruction: String::new(),
            images: Vec::new(),
            videos: Vec::new(),
            ref_images: Vec::new(),
            truth,
            answer: String::new(),
            question_type: String::new(),
        }
    }

    /// The scorer's view of this sample with the given prediction.
    pub fn scoring<'a>(&'a self, prediction: &'a str) -> crate::scoring::benchmarks::Sample<'a> {
        crate::scoring::benchmarks::Sample::new(&self.id, prediction, &self.truth)
            .with_question_type(&self.question_type)
    }

    /// Whether the sample has video input (one or several videos).
    pub fn is_video(&self) -> bool {
        !self.videos.is_empty()
    }

    /// Every file the sample refers to (images, videos, pre-extracted frames, reference images).
    pub fn files(&self) -> Vec<&Path> {
        let mut out: Vec<&Path> = Vec::new();
        for img in self.images.iter().chain(&self.ref_images) {
            if let ImageRef::Path(p) = img {
                out.push(p);
            }
        }
        for v in &self.videos {
            if let Some(p) = &v.path {
                out.push(p);
            }
            if let Some(frames) = &v.frames {
                out.extend(frames.iter().map(PathBuf::as_path));
            }
        }
        out
    }

    /// The first referenced file that does not exist.
    pub fn first_missing_file(&self) -> Option<&Path> {
        self.files().into_iter().find(|p| !p.is_file())
    }
}

/// The instruction exactly as run.py builds it: question, blank line, benchmark prompt, then one
/// `"\n{L}. {text}"` line per option.
pub fn assemble_instruction(question: &str, prompt: &str, choices: &[Choice]) -> String {
    let mut s = format!("{question}\n\n{prompt}");
    for c in choices {
        s.push_str(&format!("\n{}. {}", c.letter, c.text));
    }
    s
}

/// Why one sample could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[error("sample {id}: {reason}")]
pub struct SampleError {
    /// The sample id, or `#<n>` (the record's position) when the record has no usable id.
    pub id: String,
    pub reason: String,
}

impl SampleError {
    pub fn new(id: impl Into<String>, reason: impl Into<String>) -> Self {
        SampleError {
            id: id.into(),
            reason: reason.into(),
        }
    }
}

/// One record of a benchmark: a sample, or why it failed.
pub type LoadedSample = Result<Sample, SampleError>;

/// Why a benchmark could not be loaded at all.
#[derive(Debug, Error)]
pub enum LoadError {
    #[error("unknown benchmark {name:?}; known benchmarks: {}", known.join(", "))]
    UnknownBenchmark { name: String, known: Vec<String> },

    #[error(
        "{benchmark}: data folder {} does not exist; expected layout:\n{layout}\nfetch it with `spatialclaw data fetch {benchmark}` or pass --data-root",
        path.display()
    )]
    DataRootMissing {
        benchmark: String,
        path: PathBuf,
        layout: String,
    },

    #[error(
        "{benchmark}: {} not found; expected layout:\n{layout}",
        path.display()
    )]
    IndexMissing {
        benchmark: String,
        path: PathBuf,
        layout: String,
    },

    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("{} is not a readable parquet file: {reason}", path.display())]
    Parquet { path: PathBuf, reason: String },

    #[error("{} is not valid JSON: {reason}", path.display())]
    Json { path: PathBuf, reason: String },

    #[error("{} is not a readable CSV file: {reason}", path.display())]
    Csv { path: PathBuf, reason: String },

    #[error("{}: {reason}", path.display())]
    Format { path: PathBuf, reason: String },
}

impl LoadError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        LoadError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// What a load reads besides the ground truth.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    /// Read embedded image bytes and check that every referenced file exists. Off for re-scoring,
    /// which needs only the ground truth (and then skips the image columns of large parquet files).
    pub media: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions { media: true }
    }
}

impl LoadOptions {
    /// Ground truth only.
    pub const TRUTH_ONLY: LoadOptions = LoadOptions { media: false };
}

/// Frame settings of a benchmark (the original's `config/dataset/<bench>.json`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FrameConfig {
    /// Key frames shown inline to the model (per video for multi-video samples).
    pub num_key_frames: usize,
    /// Extraction frame-rate cap; `None` = native fps (every frame).
    pub video_max_fps: Option<f64>,
}

const DEFAULT_FRAMES: FrameConfig = FrameConfig {
    num_key_frames: 32,
    video_max_fps: None,
};
const ONE_FPS: FrameConfig = FrameConfig {
    num_key_frames: 32,
    video_max_fps: Some(1.0),
};

type LoadFn = fn(&Path, &LoadOptions) -> Result<Vec<LoadedSample>, LoadError>;

/// A benchmark's data: where it lives, where it comes from, how to read it.
pub struct DatasetSpec {
    /// Registry key (the scorer's name too).
    pub key: &'static str,
    /// Folder under the data root.
    pub data_dir: &'static str,
    /// Hugging Face dataset repository the download script fetches.
    pub hf_repo: &'static str,
    /// The files the loader reads, relative to the data folder, one per line (for error messages
    /// and `data check`).
    pub layout: &'static str,
    /// Index files that must exist (relative to the data folder); a `*` entry means "at least one
    /// file matching in that folder".
    pub required: &'static [&'static str],
    pub frames: FrameConfig,
    /// The answer-format text run.py appends to every question (our wording of the original's).
    pub prompt: &'static str,
    load: LoadFn,
}

impl std::fmt::Debug for DatasetSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatasetSpec")
            .field("key", &self.key)
            .field("data_dir", &self.data_dir)
            .field("hf_repo", &self.hf_repo)
            .finish()
    }
}

impl DatasetSpec {
    /// The benchmark's folder under `data_root`.
    pub fn dir(&self, data_root: &Path) -> PathBuf {
        data_root.join(self.data_dir)
    }

    /// Frame-extraction settings for this benchmark's videos (its fps cap, the default cache).
    pub fn extract_options(&self) -> crate::video::ExtractOptions {
        crate::video::ExtractOptions::new(self.frames.video_max_fps)
    }

    /// The expected layout as indented lines under the data folder.
    pub fn layout_text(&self, data_root: &Path) -> String {
        let dir = self.dir(data_root);
        self.layout
            .lines()
            .map(|l| format!("  {}/{}", dir.display(), l.trim()))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Loads every record. Fails only when the folder or an index file is missing or unreadable.
    pub fn load(
        &self,
        data_root: &Path,
        opts: &LoadOptions,
    ) -> Result<Vec<LoadedSample>, LoadError> {
        let dir = self.dir(data_root);
        if !dir.is_dir() {
            return Err(LoadError::DataRootMissing {
                benchmark: self.key.into(),
                path: dir,
                layout: self.layout_text(data_root),
            });
        }
        let mut samples = (self.load)(&dir, opts).map_err(|e| match e {
            LoadError::IndexMissing { path, .. } => LoadError::IndexMissing {
                benchmark: self.key.into(),
                path,
                layout: self.layout_text(data_root),
            },
            other => other,
        })?;
        for s in samples.iter_mut().flatten() {
            // A loader whose dataset ships the exact instruction (SynthSpatial) sets it itself.
            if s.instruction.is_empty() {
                s.instruction = assemble_instruction(&s.question, self.prompt, &s.choices);
            }
        }
        let scorer = crate::scoring::benchmarks::benchmark(self.key);
        for s in samples.iter_mut() {
            if let Ok(sample) = s
                && let Some(reason) = unusable(sample, scorer)
            {
                *s = Err(SampleError::new(sample.id.clone(), reason));
            }
        }
        if opts.media {
            for s in samples.iter_mut() {
                if let Ok(sample) = s
                    && let Some(missing) = sample.first_missing_file()
                {
                    *s = Err(SampleError::new(
                        sample.id.clone(),
                        format!("missing file {}", missing.display()),
                    ));
                }
            }
        }
        Ok(samples)
    }
}

/// Why a loaded sample cannot be run or scored, checked for every benchmark alike: an empty
/// question, or a ground-truth record its scorer rejects (a missing answer, a numeric question
/// whose answer is not a number, ...). Scoring an empty prediction reads every ground-truth field
/// the scorer needs, so a record that passes here scores at the end of a run too; one that fails
/// is a failed sample now, instead of an error that stops the whole run's summary later.
fn unusable(sample: &Sample, scorer: Option<&dyn crate::Benchmark>) -> Option<String> {
    if sample.question.trim().is_empty() {
        return Some(
            "the question is empty, so there is nothing to ask; fix the record's question text \
             in the dataset or drop the record"
                .into(),
        );
    }
    let scorer = scorer?;
    scorer.score(&sample.scoring("")).err().map(|e| {
        format!("the ground truth cannot be scored ({e}); fix or drop this record in the dataset")
    })
}

/// A missing-index error; the registry fills in the benchmark and layout.
pub(crate) fn index_missing(path: PathBuf) -> LoadError {
    LoadError::IndexMissing {
        benchmark: String::new(),
        path,
        layout: String::new(),
    }
}

/// Requires an index file to exist.
pub(crate) fn require_file(path: PathBuf) -> Result<PathBuf, LoadError> {
    if path.is_file() {
        Ok(path)
    } else {
        Err(index_missing(path))
    }
}

const MCQ_PROMPT: &str = "Answer with the letter of the correct option.";
const MIXED_PROMPT: &str = "If the question has options, answer with the letter of the correct option. \
Otherwise answer with a single number only, without units.";

static REGISTRY: [DatasetSpec; 22] = [
    DatasetSpec {
        key: "erqa",
        data_dir: "ERQA",
        hf_repo: "FlagEval/ERQA",
        layout: "data/*.parquet (question_id, question, question_type, answer, visual_indices, images)",
        required: &["data/*.parquet"],
        frames: DEFAULT_FRAMES,
        prompt: "This question is about embodied reasoning in the scene shown. \
Answer with only the letter of the correct option.",
        load: erqa::load,
    },
    DatasetSpec {
        key: "omni3d",
        data_dir: "Omni3D-Bench",
        hf_repo: "dmarsili/Omni3D-Bench",
        layout: "annotations.json\nimages/<image_filename>",
        required: &["annotations.json"],
        frames: DEFAULT_FRAMES,
        prompt: "Answer with a single value only (a number, yes/no, or an object name), without units.",
        load: single_image::load_omni3d,
    },
    DatasetSpec {
        key: "omnispatial",
        data_dir: "OmniSpatial",
        hf_repo: "qizekun/OmniSpatial",
        layout: "OmniSpatial-test/data.json\nOmniSpatial-test/<task_type>/<id>.png",
        required: &["OmniSpatial-test/data.json"],
        frames: DEFAULT_FRAMES,
        prompt: MCQ_PROMPT,
        load: single_image::load_omnispatial,
    },
    DatasetSpec {
        key: "spbench",
        data_dir: "SPBench",
        hf_repo: "hongxingli/SPBench",
        layout: "SPBench-SI.parquet\nSPBench-MV.parquet\n<scene_name>/<image>",
        required: &["SPBench-SI.parquet", "SPBench-MV.parquet"],
        frames: DEFAULT_FRAMES,
        prompt: MIXED_PROMPT,
        load: spbench::load,
    },
    DatasetSpec {
        key: "mindcube",
        data_dir: "MindCube",
        hf_repo: "MLL-Lab/MindCube",
        layout: "data/raw/MindCube.jsonl (or data/raw/MindCube_tinybench.jsonl)\ndata/other_all_image/...",
        required: &[],
        frames: DEFAULT_FRAMES,
        prompt: "Respond with exactly one option in the form \"A. above\".",
        load: multiview::load_mindcube,
    },
    DatasetSpec {
        key: "mmsi",
        data_dir: "MMSI-Bench",
        hf_repo: "RunsenXu/MMSI-Bench",
        layout: "MMSI_Bench.parquet (id, images, question, question_type, answer)",
        required: &["MMSI_Bench.parquet"],
        frames: DEFAULT_FRAMES,
        prompt: MCQ_PROMPT,
        load: multiview::load_mmsi,
    },
    DatasetSpec {
        key: "sparbench",
        data_dir: "SPAR-Bench",
        hf_repo: "jasonzhango/SPAR-Bench",
        layout: "data/*.parquet (id, question, answer, task, img_type, format_type, source, image)",
        required: &["data/*.parquet"],
        frames: DEFAULT_FRAMES,
        prompt: "Answer in the format the question asks for: the option letter for a multiple-choice \
question, a single number for a numeric one, or the key:value pairs for a camera view change.",
        load: multiview::load_spar,
    },
    DatasetSpec {
        key: "mmsivideo",
        data_dir: "MMSI-Video-Bench",
        hf_repo: "rbler/MMSI-Video-Bench",
        layout: "mmsivideo.json\nframes/<frames_list entries>\nvideos/<video_list paths>\nref_images/<ref_images>",
        required: &["mmsivideo.json"],
        frames: FrameConfig {
            num_key_frames: 64,
            video_max_fps: None,
        },
        prompt: MCQ_PROMPT,
        load: mmsivideo::load,
    },
    DatasetSpec {
        key: "osibench",
        data_dir: "OSI-Bench",
        hf_repo: "HarmlessSR07/OSI-Bench",
        layout: "data.parquet\n<file_name>.mp4",
        required: &["data.parquet"],
        frames: DEFAULT_FRAMES,
        prompt: MIXED_PROMPT,
        load: video_spatial::load_osi,
    },
    DatasetSpec {
        key: "paibench",
        data_dir: "PAI-Bench",
        hf_repo: "shi-labs/physical-ai-bench-understanding",
        layout: "data/test-00000-of-00001.parquet\nvideos/**/<video_path>",
        required: &["data/test-00000-of-00001.parquet"],
        frames: DEFAULT_FRAMES,
        prompt: MCQ_PROMPT,
        load: video_spatial::load_pai,
    },
    DatasetSpec {
        key: "vsibench_unbiased",
        data_dir: "VSI-Bench",
        hf_repo: "nyu-visionx/VSI-Bench",
        layout: "test_debiased.parquet\n{scannet,scannetpp,arkitscenes}/<scene_name>.mp4",
        required: &["test_debiased.parquet"],
        frames: DEFAULT_FRAMES,
        prompt: MIXED_PROMPT,
        load: vsi::load_vsi_unbiased,
    },
    DatasetSpec {
        key: "vstibench",
        data_dir: "vstibench",
        hf_repo: "Journey9ni/vstibench",
        layout: "test.json\nScanNet/videos/val/<scene>.mp4",
        required: &["test.json"],
        frames: DEFAULT_FRAMES,
        prompt: "If the question has options, answer with the letter of the correct option; otherwise \
answer with a single number only, without units. When the question refers to \"frame X of N\", it \
means the video frame at fraction (X-1)/(N-1) of the video, i.e. frame round(fraction * \
(total_frames - 1)); use the entry of InputImages.frame_indices nearest to it.",
        load: vsi::load_vsti,
    },
    DatasetSpec {
        key: "dsibench",
        data_dir: "DSI-Bench",
        hf_repo: "Viglong/DSI-Bench",
        layout: "metadatas/{std,hflip,reverse,reverse_hflip}.csv\nvideos/<augmentation>/<relative_path>",
        required: &[
            "metadatas/std.csv",
            "metadatas/hflip.csv",
            "metadatas/reverse.csv",
            "metadatas/reverse_hflip.csv",
        ],
        frames: DEFAULT_FRAMES,
        prompt: MCQ_PROMPT,
        load: video_spatial::load_dsi,
    },
    DatasetSpec {
        key: "blink",
        data_dir: "BLINK",
        hf_repo: "BLINK-Benchmark/BLINK",
        layout: "<Subtask>/val-*.parquet for the 14 subtasks (Art_Style, Counting, …)",
        required: &[],
        frames: DEFAULT_FRAMES,
        prompt: "Answer with the option letter in parentheses, for example (A).",
        load: blink::load,
    },
    DatasetSpec {
        key: "spatialtree",
        data_dir: "SpatialTree-Bench",
        hf_repo: "LongfeiLi/SpatialTree-Bench",
        layout: "annotations_plain.parquet\nvideos/<video>\nimages/<image>",
        required: &["annotations_plain.parquet"],
        frames: DEFAULT_FRAMES,
        prompt: "Answer in the format the question asks for: the option letter for a multiple-choice \
question, a single number for a numeric one, yes or no for a yes/no question.",
        load: spatialtree::load,
    },
    DatasetSpec {
        key: "viewspatial",
        data_dir: "ViewSpatial-Bench",
        hf_repo: "lidingm/ViewSpatial-Bench",
        layout: "ViewSpatial-Bench.json\nscannetv2_val/...\nval2017/...",
        required: &["ViewSpatial-Bench.json"],
        frames: DEFAULT_FRAMES,
        prompt: MCQ_PROMPT,
        load: viewspatial::load,
    },
    DatasetSpec {
        key: "cvbench",
        data_dir: "CVBench",
        hf_repo: "Dongyh35/CVBench",
        layout: "data/test-00000-of-00001.parquet\n{videos,CVBench,.}/<numeric folders>/<video>.mp4 (from CVBench.zip)",
        required: &["data/test-00000-of-00001.parquet"],
        frames: FrameConfig {
            num_key_frames: 32,
            video_max_fps: Some(1.0),
        },
        prompt: "Answer with the letter of the correct option, or with Yes or No for a yes/no question.",
        load: cvbench::load,
    },
    DatasetSpec {
        key: "perceptioncomp",
        data_dir: "PerceptionComp",
        hf_repo: "hrinnnn/PerceptionComp",
        layout: "questions.json\ndata/<video_id>.mp4",
        required: &["questions.json"],
        frames: ONE_FPS,
        prompt: MCQ_PROMPT,
        load: general_video::load_perceptioncomp,
    },
    DatasetSpec {
        key: "videomme",
        data_dir: "Video-MME",
        hf_repo: "lmms-lab/Video-MME",
        layout: "videomme/*.parquet\ndata/<videoID>.mp4",
        required: &["videomme/*.parquet"],
        frames: ONE_FPS,
        prompt: MCQ_PROMPT,
        load: general_video::load_videomme,
    },
    DatasetSpec {
        key: "videommev2",
        data_dir: "Video-MME-v2",
        hf_repo: "MME-Benchmarks/Video-MME-v2",
        layout: "test.parquet\nvideos/<video_id>.mp4",
        required: &["test.parquet"],
        frames: ONE_FPS,
        prompt: MCQ_PROMPT,
        load: general_video::load_videommev2,
    },
    DatasetSpec {
        key: "vsibench",
        data_dir: "VSI-Bench",
        hf_repo: "nyu-visionx/VSI-Bench",
        layout: "test.jsonl\n{scannet,scannetpp,arkitscenes}/<scene_name>.mp4",
        required: &["test.jsonl"],
        frames: DEFAULT_FRAMES,
        prompt: MIXED_PROMPT,
        load: vsi::load_vsi_original,
    },
    DatasetSpec {
        key: "synth",
        data_dir: "",
        hf_repo: "",
        layout: "samples.jsonl\nsamples/<id>/{sample.json,truth.json,frame_<index>.png} (spatialclaw synth generate)",
        required: &["samples.jsonl"],
        frames: DEFAULT_FRAMES,
        prompt: "",
        load: synth::load_synth,
    },
];

/// Every dataset, the paper's 20 in the paper's table order, then the original VSI-Bench.
pub fn registry() -> &'static [DatasetSpec] {
    &REGISTRY
}

/// The dataset registered under `name`.
pub fn find(name: &str) -> Option<&'static DatasetSpec> {
    REGISTRY.iter().find(|d| d.key == name)
}

/// Every loader key.
pub fn names() -> Vec<&'static str> {
    REGISTRY.iter().map(|d| d.key).collect()
}

/// The dataset registered under `name`, or an error listing the known ones.
pub fn lookup(name: &str) -> Result<&'static DatasetSpec, LoadError> {
    find(name).ok_or_else(|| LoadError::UnknownBenchmark {
        name: name.into(),
        known: names().into_iter().map(String::from).collect(),
    })
}

/// Loads benchmark `name` from `data_root`.
pub fn load(
    name: &str,
    data_root: &Path,
    opts: &LoadOptions,
) -> Result<Vec<LoadedSample>, LoadError> {
    lookup(name)?.load(data_root, opts)
}

/// Parquet files matching `<dir>/<pattern>` where the pattern is `sub/*.parquet`; an index error when
/// none exist.
pub(crate) fn parquet_glob(dir: &Path, sub: &str) -> Result<Vec<PathBuf>, LoadError> {
    let folder = dir.join(sub);
    if !folder.is_dir() {
        return Err(index_missing(folder.join("*.parquet")));
    }
    let files = common::list_files(&folder, common::is_parquet)?;
    if files.is_empty() {
        return Err(index_missing(folder.join("*.parquet")));
    }
    Ok(files)
}

/// Checks `required` entries of a spec (used by `data check` before loading).
pub fn missing_index_files(spec: &DatasetSpec, data_root: &Path) -> Vec<PathBuf> {
    let dir = spec.dir(data_root);
    spec.required
        .iter()
        .filter_map(|r| {
            if let Some((folder, _)) = r.split_once("/*") {
                let f = dir.join(folder);
                let any = common::list_files(&f, common::is_parquet).is_ok_and(|v| !v.is_empty());
                (!any).then(|| dir.join(r))
            } else {
                let p = dir.join(r);
                (!p.is_file()).then_some(p)
            }
        })
        .collect()
}
