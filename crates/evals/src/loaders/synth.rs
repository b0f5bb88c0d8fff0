//! SynthSpatial, our procedural benchmark, read from a dataset written by
//! `spatialclaw synth generate` (crates/synth/DATASET.md). The data root is the dataset folder.

use std::path::Path;

use serde_json::json;
use spatialclaw_synth::dataset;
use spatialclaw_synth::questions::Answer;

use super::{ImageRef, LoadError, LoadOptions, LoadedSample, Sample, SampleError, VideoRef};

pub(super) fn load_synth(dir: &Path, _: &LoadOptions) -> Result<Vec<LoadedSample>, LoadError> {
    let index = dir.join("samples.jsonl");
    if !index.is_file() {
        return Err(super::index_missing(index));
    }
    let samples = dataset::read(dir).map_err(|e| LoadError::Format {
        path: index.clone(),
        reason: e.to_string(),
    })?;
    Ok(samples.into_iter().map(convert).collect())
}

fn convert(s: dataset::LoadedSample) -> LoadedSample {
    let meta = &s.meta;
    if meta.frames.is_empty() {
        return Err(SampleError::new(&meta.id, "the sample lists no frames"));
    }
    let (answer, answer_type) = match &s.truth.answer {
        Answer::Choice { letter, .. } => (letter.clone(), "mcq"),
        Answer::Number { value, .. } => (value.to_string(), "numeric"),
    };
    let family = serde_json::to_value(s.truth.family)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let truth = json!({
        "answer": answer,
        "answer_type": answer_type,
        "question_type": family,
        "category": s.truth.category,
        "dir": s.dir.display().to_string(),
    });
    let mut out = Sample::new(&meta.id, &meta.question, truth);
    out.instruction = meta.prompt.clone();
    out.answer = answer;
    out.question_type = family;
    let paths: Vec<_> = s.frame_paths();
    if meta.is_video {
        out.videos = vec![VideoRef {
            name: format!("{}.video", meta.id),
            path: None,
            frames: Some(paths.iter().map(|(p, _)| p.clone()).collect()),
            fps: meta.fps,
            start_sec: Some(0.0),
            end_sec: meta.duration_sec,
            frame_indices: Some(paths.iter().map(|(_, i)| *i as u64).collect()),
            total_frames: Some(meta.total_frames.max(0) as u64),
        }];
    } else {
        out.images = paths.into_iter().map(|(p, _)| ImageRef::Path(p)).collect();
    }
    Ok(out)
}
