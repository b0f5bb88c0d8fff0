//! The on-disk SynthSpatial dataset (format in `crates/synth/DATASET.md`).
//!
//! What the agent may see (`sample.json`, PNG frames) and the ground truth (`truth.json`) live
//! in separate files, so a runner can hand the agent a sample folder without leaking answers.
//! Ground truth stores the scene and cameras rather than depth/instance buffers: a few KB per
//! sample instead of megabytes, and re-rendering is bit-exact; a frame hash per view detects a
//! renderer that drifted since the dataset was written.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::frame::Frame;
use crate::questions::{Answer, BenchQuestion, Family};
use crate::sample::{
    Sample, SampleOptions, balanced_family, generate_sample, render_rig, sample_seed,
};
use crate::scene::Scene;
use crate::views::{InputKind, Rig, View};

/// Version of the on-disk format; bumped on incompatible changes.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Error)]
pub enum DatasetError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: invalid JSON: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(transparent)]
    Synth(#[from] crate::error::SynthError),
    #[error(
        "sample {id}: re-rendered frame {frame_index} differs from the one the dataset was written with \
         (the renderer changed since); regenerate the dataset with `spatialclaw synth generate`"
    )]
    RenderMismatch { id: String, frame_index: i64 },
    #[error("{0}")]
    Invalid(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DatasetError + '_ {
    move |source| DatasetError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Options of `write`.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    pub sample: SampleOptions,
    /// Families to draw from (empty = all), balanced in every block of consecutive samples.
    pub families: Vec<Family>,
}

/// One input frame as the agent gets it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameRef {
    /// File name inside the sample folder.
    pub file: String,
    /// Absolute frame index (native video frame; image sets: 0..n).
    pub frame_index: i64,
}

/// `sample.json`: exactly what the agent may see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleMeta {
    pub id: String,
    /// The question sentence.
    pub question: String,
    /// Option texts in letter order (empty for numeric questions).
    pub choices: Vec<String>,
    /// Sentence, lettered options and answer-format instruction: the instruction to give.
    pub prompt: String,
    /// "letter" or "number".
    pub answer_format: String,
    /// Unit of numeric answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    pub input_kind: InputKind,
    pub is_video: bool,
    /// Native frame rate of videos.
    pub fps: Option<f64>,
    /// Native frame count (image sets: number of images).
    pub total_frames: i64,
    pub duration_sec: Option<f64>,
    pub frames: Vec<FrameRef>,
}

/// `truth.json`: the answer and everything needed to re-render frames with exact depth and
/// instance ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    pub id: String,
    pub family: Family,
    pub category: String,
    pub answer: Answer,
    pub details: serde_json::Value,
    pub seed: u64,
    /// The room at time 0; moving objects carry their motion.
    pub scene: Scene,
    /// Per frame: absolute index, time in seconds, camera (intrinsics + camera-to-world).
    pub views: Vec<View>,
    /// `Frame::content_hash_hex` of each rendered frame (RGB + depth + instance ids).
    pub frame_hashes: Vec<String>,
}

/// One line of `samples.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexEntry {
    pub id: String,
    /// Folder of the sample, relative to the dataset root.
    pub dir: String,
    pub family: Family,
    pub category: String,
    pub input_kind: InputKind,
    pub num_frames: usize,
    pub question: String,
}

/// A sample read back from disk.
#[derive(Debug, Clone)]
pub struct LoadedSample {
    /// The sample's folder.
    pub dir: PathBuf,
    pub meta: SampleMeta,
    pub truth: Truth,
}

impl LoadedSample {
    /// Paths of the frames, with their absolute indices, in order.
    pub fn frame_paths(&self) -> Vec<(PathBuf, i64)> {
        self.meta
            .frames
            .iter()
            .map(|f| (self.dir.join(&f.file), f.frame_index))
            .collect()
    }

    /// Re-renders every frame (pixel-identical to the PNGs) with the scene each one shows;
    /// what the synthetic perception backend registers. Fails if the renderer drifted.
    pub fn render(&self) -> Result<Vec<(Scene, Frame)>, DatasetError> {
        let rig = Rig {
            kind: self.meta.input_kind,
            views: self.truth.views.clone(),
            fps: self.meta.fps,
            total_frames: self.meta.total_frames,
        };
        let frames = render_rig(&self.truth.scene, &rig);
        let mut out = Vec::with_capacity(frames.len());
        for ((frame, view), hash) in frames
            .into_iter()
            .zip(&rig.views)
            .zip(&self.truth.frame_hashes)
        {
            if frame.content_hash_hex() != *hash {
                return Err(DatasetError::RenderMismatch {
                    id: self.meta.id.clone(),
                    frame_index: view.frame_index,
                });
            }
            out.push((self.truth.scene.at_time(view.time_s), frame));
        }
        Ok(out)
    }
}

/// What `write` produced.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteSummary {
    pub samples: usize,
    /// (family, count), in `Family::ALL` order.
    pub per_family: Vec<(Family, usize)>,
    pub frames: usize,
}

/// Generates `count` samples for `seed` into `dir` (created if missing): per sample a folder
/// `samples/<id>/` with frames, `sample.json` and `truth.json`, plus `samples.jsonl` and
/// `dataset.json` at the root. Families are balanced; deterministic for the arguments.
pub fn write(
    dir: &Path,
    seed: u64,
    count: usize,
    options: &WriteOptions,
) -> Result<WriteSummary, DatasetError> {
    let families: Vec<Family> = if options.families.is_empty() {
        Family::ALL.to_vec()
    } else {
        options.families.clone()
    };
    let samples_dir = dir.join("samples");
    fs::create_dir_all(&samples_dir).map_err(io(&samples_dir))?;
    let mut index = Vec::new();
    let mut frames_total = 0;
    for i in 0..count {
        let family = balanced_family(seed, i, &families)
            .ok_or_else(|| DatasetError::Invalid("no families selected".into()))?;
        let sample = generate_sample(sample_seed(seed, i), family, &options.sample)?;
        let id = format!("{i:05}-{}", family.name());
        let entry = write_sample(&samples_dir.join(&id), &id, &sample)?;
        frames_total += entry.num_frames;
        index.push(entry);
    }
    let index_path = dir.join("samples.jsonl");
    let mut f = fs::File::create(&index_path).map_err(io(&index_path))?;
    for e in &index {
        let line = serde_json::to_string(e).map_err(|source| DatasetError::Json {
            path: index_path.clone(),
            source,
        })?;
        writeln!(f, "{line}").map_err(io(&index_path))?;
    }
    let per_family: Vec<(Family, usize)> = Family::ALL
        .iter()
        .map(|&fam| (fam, index.iter().filter(|e| e.family == fam).count()))
        .filter(|(_, n)| *n > 0)
        .collect();
    let manifest = serde_json::json!({
        "format": "synthspatial",
        "version": FORMAT_VERSION,
        "seed": seed,
        "count": count,
        "families": families.iter().map(|f| f.name()).collect::<Vec<_>>(),
        "kinds": options.sample.kinds.iter().map(|k| k.name()).collect::<Vec<_>>(),
        "video_frames": [options.sample.video_frames.0, options.sample.video_frames.1],
        "camera": options.sample.camera,
    });
    write_json(&dir.join("dataset.json"), &manifest)?;
    Ok(WriteSummary {
        samples: count,
        per_family,
        frames: frames_total,
    })
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), DatasetError> {
    let text = serde_json::to_string_pretty(value).map_err(|source| DatasetError::Json {
        path: path.to_owned(),
        source,
    })?;
    fs::write(path, text).map_err(io(path))
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, DatasetError> {
    let text = fs::read_to_string(path).map_err(io(path))?;
    serde_json::from_str(&text).map_err(|source| DatasetError::Json {
        path: path.to_owned(),
        source,
    })
}

/// Writes one sample's folder and returns its index line.
pub fn write_sample(dir: &Path, id: &str, s: &Sample) -> Result<IndexEntry, DatasetError> {
    fs::create_dir_all(dir).map_err(io(dir))?;
    let mut refs = Vec::new();
    let mut hashes = Vec::new();
    for (frame, view) in s.frames.iter().zip(&s.rig.views) {
        let file = format!("frame_{:06}.png", view.frame_index);
        let path = dir.join(&file);
        fs::write(&path, frame.png_bytes()?).map_err(io(&path))?;
        refs.push(FrameRef {
            file,
            frame_index: view.frame_index,
        });
        hashes.push(frame.content_hash_hex());
    }
    let q: &BenchQuestion = &s.question;
    let (answer_format, unit) = match &q.answer {
        Answer::Choice { .. } => ("letter", None),
        Answer::Number { unit, .. } => ("number", Some(unit.clone())),
    };
    let is_video = s.rig.kind.is_video();
    let meta = SampleMeta {
        id: id.to_string(),
        question: q.question.clone(),
        choices: q.choices.clone(),
        prompt: q.prompt.clone(),
        answer_format: answer_format.to_string(),
        unit,
        input_kind: s.rig.kind,
        is_video,
        fps: s.rig.fps,
        total_frames: s.rig.total_frames,
        duration_sec: s
            .rig
            .fps
            .map(|fps| (s.rig.total_frames.max(1) - 1) as f64 / fps),
        frames: refs,
    };
    let truth = Truth {
        id: id.to_string(),
        family: q.family,
        category: q.family.category().to_string(),
        answer: q.answer.clone(),
        details: q.details.clone(),
        seed: s.seed,
        scene: s.scene.clone(),
        views: s.rig.views.clone(),
        frame_hashes: hashes,
    };
    write_json(&dir.join("sample.json"), &meta)?;
    write_json(&dir.join("truth.json"), &truth)?;
    Ok(IndexEntry {
        id: id.to_string(),
        dir: format!("samples/{id}"),
        family: q.family,
        category: q.family.category().to_string(),
        input_kind: s.rig.kind,
        num_frames: s.frames.len(),
        question: q.question.clone(),
    })
}

/// Reads every sample listed in `dir/samples.jsonl`, in order.
pub fn read(dir: &Path) -> Result<Vec<LoadedSample>, DatasetError> {
    let index_path = dir.join("samples.jsonl");
    let text = fs::read_to_string(&index_path).map_err(io(&index_path))?;
    let mut out = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let entry: IndexEntry =
            serde_json::from_str(line).map_err(|source| DatasetError::Json {
                path: index_path.join(format!("line {}", n + 1)),
                source,
            })?;
        if entry.dir.contains("..") || Path::new(&entry.dir).is_absolute() {
            return Err(DatasetError::Invalid(format!(
                "{}: line {}: sample folder {:?} must be relative and inside the dataset",
                index_path.display(),
                n + 1,
                entry.dir
            )));
        }
        out.push(read_sample(&dir.join(&entry.dir))?);
    }
    Ok(out)
}

/// Reads one sample folder.
pub fn read_sample(dir: &Path) -> Result<LoadedSample, DatasetError> {
    let meta: SampleMeta = read_json(&dir.join("sample.json"))?;
    let truth: Truth = read_json(&dir.join("truth.json"))?;
    if meta.frames.len() != truth.views.len() || truth.views.len() != truth.frame_hashes.len() {
        return Err(DatasetError::Invalid(format!(
            "{}: sample.json lists {} frames but truth.json has {} views and {} hashes",
            dir.display(),
            meta.frames.len(),
            truth.views.len(),
            truth.frame_hashes.len()
        )));
    }
    if let Some(bad) = meta
        .frames
        .iter()
        .find(|f| f.file.contains(['/', '\\']) || f.file.starts_with('.'))
    {
        return Err(DatasetError::Invalid(format!(
            "{}: frame file {:?} must be a plain file name in the sample folder",
            dir.display(),
            bad.file
        )));
    }
    Ok(LoadedSample {
        dir: dir.to_owned(),
        meta,
        truth,
    })
}
