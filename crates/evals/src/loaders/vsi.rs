//! VSI-Bench (debiased `test_debiased.parquet` and original `test.jsonl`) and VSTI-Bench
//! (`test.json`) (evals-runs.md §1.3): one video per question, MCA questions carry `options`, numeric
//! ones do not.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::common::{
    join_relative, json_choices, jtext, read_json, read_jsonl, read_parquet, resolve,
};
use super::{LoadError, LoadOptions, LoadedSample, Sample, SampleError, VideoRef, require_file};
use crate::scoring::benchmarks::VSI_MCA_TYPES;

pub(super) fn load_vsi_unbiased(
    dir: &Path,
    _: &LoadOptions,
) -> Result<Vec<LoadedSample>, LoadError> {
    let path = require_file(dir.join("test_debiased.parquet"))?;
    Ok(read_parquet(&path, &[])?
        .iter()
        .enumerate()
        .map(|(n, row)| vsi(dir, n, &row.to_json()))
        .collect())
}

pub(super) fn load_vsi_original(
    dir: &Path,
    _: &LoadOptions,
) -> Result<Vec<LoadedSample>, LoadError> {
    let path = require_file(dir.join("test.jsonl"))?;
    Ok(read_jsonl(&path)?
        .into_iter()
        .enumerate()
        .map(|(n, item)| match item {
            Ok(item) => vsi(dir, n, &item),
            Err(reason) => Err(SampleError::new(format!("#{n}"), reason)),
        })
        .collect())
}

/// A video reference named after its file.
pub(super) fn video(path: PathBuf) -> VideoRef {
    VideoRef {
        name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        path: Some(path),
        ..VideoRef::default()
    }
}

/// Options: a non-empty list (or a list in a string); `null`, `[]` and NaN mean "numeric question".
fn options(item: &Value) -> Option<&Value> {
    item.get("options")
        .filter(|v| !v.is_null())
        .filter(|v| !v.as_array().is_some_and(Vec::is_empty))
        .filter(|v| !v.as_str().is_some_and(|s| s.trim().is_empty()))
}

fn vsi(dir: &Path, n: usize, item: &Value) -> LoadedSample {
    let id = jtext(item, "id").unwrap_or_else(|| format!("#{n}"));
    let err = |r: String| SampleError::new(id.clone(), r);
    let question = jtext(item, "question").ok_or_else(|| err("record has no question".into()))?;
    let answer =
        jtext(item, "ground_truth").ok_or_else(|| err("record has no ground_truth".into()))?;
    let qtype =
        jtext(item, "question_type").ok_or_else(|| err("record has no question_type".into()))?;
    let dataset = jtext(item, "dataset").ok_or_else(|| err("record has no dataset".into()))?;
    let scene = jtext(item, "scene_name").ok_or_else(|| err("record has no scene_name".into()))?;
    let path = join_relative(dir, &format!("{dataset}/{scene}.mp4")).map_err(err)?;
    let choices = options(item).map(json_choices).unwrap_or_default();
    if choices.is_empty() && VSI_MCA_TYPES.contains(&qtype.as_str()) {
        return Err(err(format!(
            "multiple-choice question (question_type {qtype}) has no options; the record's \
             `options` must list the choices"
        )));
    }
    let mut s = Sample::new(id.clone(), question, item.clone());
    s.choices = choices;
    s.answer = answer;
    s.question_type = qtype;
    s.videos = vec![video(path)];
    Ok(s)
}

pub(super) fn load_vsti(dir: &Path, _: &LoadOptions) -> Result<Vec<LoadedSample>, LoadError> {
    let path = require_file(dir.join("test.json"))?;
    let doc = read_json(&path)?;
    let items = doc.as_array().ok_or_else(|| LoadError::Format {
        path: path.clone(),
        reason: "expected a JSON list of questions".into(),
    })?;
    Ok(items
        .iter()
        .enumerate()
        .map(|(n, item)| vsti(dir, n, item))
        .collect())
}

fn vsti(dir: &Path, n: usize, item: &Value) -> LoadedSample {
    let id = jtext(item, "id").unwrap_or_else(|| format!("#{n}"));
    let err = |r: String| SampleError::new(id.clone(), r);
    let question = jtext(item, "question").ok_or_else(|| err("record has no question".into()))?;
    let qtype =
        jtext(item, "question_type").ok_or_else(|| err("record has no question_type".into()))?;
    let rel = jtext(item, "video_path").ok_or_else(|| err("record has no video_path".into()))?;
    let base = Path::new(&rel)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let path = resolve(&[
        join_relative(dir, &rel).map_err(err)?,
        join_relative(&dir.join("ScanNet/videos/val"), &base).map_err(err)?,
    ]);
    let mut truth = item.clone();
    let choices = options(item).map(json_choices).unwrap_or_default();
    let answer = if choices.is_empty() {
        // The scorer tells MCA from NA by the presence of `options`; normalise empties to null.
        if let Some(m) = truth.as_object_mut() {
            m.insert("options".into(), Value::Null);
        }
        jtext(item, "ground_truth").ok_or_else(|| err("record has no ground_truth".into()))?
    } else {
        jtext(item, "mc_answer").ok_or_else(|| err("MCA record has no mc_answer".into()))?
    };
    let mut s = Sample::new(id.clone(), question, truth);
    s.choices = choices;
    s.answer = answer;
    s.question_type = qtype;
    s.videos = vec![video(path)];
    Ok(s)
}
