//! General video benchmarks, extracted at 1 fps: PerceptionComp (JSON), Video-MME and Video-MME-v2
//! (parquet) (evals-runs.md §1.3).

use std::path::Path;

use serde_json::Value;

use super::common::{
    Row, cell_choices, join_relative, jtext, letter, list_choices, read_json, read_parquet,
};
use super::vsi::video;
use super::{
    LoadError, LoadOptions, LoadedSample, Sample, SampleError, parquet_glob, require_file,
};
use crate::scoring::record::index;

/// PerceptionComp: `questions.json`; id `key`; options `answer_choice_0..4`; video
/// `data/<video_id>.mp4`.
pub(super) fn load_perceptioncomp(
    dir: &Path,
    _: &LoadOptions,
) -> Result<Vec<LoadedSample>, LoadError> {
    let path = require_file(dir.join("questions.json"))?;
    let doc = read_json(&path)?;
    let items: Vec<&Value> = match &doc {
        Value::Array(a) => a.iter().collect(),
        // Keyed by question key: keep the file's order.
        Value::Object(m) => m.values().collect(),
        _ => {
            return Err(LoadError::Format {
                path,
                reason: "expected a JSON list of questions".into(),
            });
        }
    };
    Ok(items
        .into_iter()
        .enumerate()
        .map(|(n, item)| perceptioncomp(dir, n, item))
        .collect())
}

fn perceptioncomp(dir: &Path, n: usize, item: &Value) -> LoadedSample {
    let id = jtext(item, "key").unwrap_or_else(|| format!("#{n}"));
    let err = |r: String| SampleError::new(id.clone(), r);
    let question = jtext(item, "question").ok_or_else(|| err("record has no question".into()))?;
    let video_id = jtext(item, "video_id").ok_or_else(|| err("record has no video_id".into()))?;
    let texts: Vec<String> = (0..5)
        .map_while(|k| jtext(item, &format!("answer_choice_{k}")))
        .collect();
    if texts.is_empty() {
        return Err(err("record has no answer_choice_0".into()));
    }
    let answer = match index(item, "answer_id") {
        Some(i) if (i as usize) < texts.len() => letter(i as usize),
        _ => return Err(err("answer_id is not the index of an option".into())),
    };
    let path = join_relative(&dir.join("data"), &format!("{video_id}.mp4")).map_err(err)?;
    let mut s = Sample::new(id.clone(), question, item.clone());
    s.choices = list_choices(&texts);
    s.answer = answer;
    s.question_type = jtext(item, "category").unwrap_or_default();
    s.videos = vec![video(path)];
    Ok(s)
}

/// Video-MME: parquet shards under `videomme/`; id `question_id`; video `data/<videoID>.mp4`.
/// Subtitles are not used (like the original).
pub(super) fn load_videomme(dir: &Path, _: &LoadOptions) -> Result<Vec<LoadedSample>, LoadError> {
    let mut out = Vec::new();
    for f in parquet_glob(dir, "videomme")? {
        for row in read_parquet(&f, &[])? {
            let n = out.len();
            out.push(videomme(dir, n, &row));
        }
    }
    Ok(out)
}

fn videomme(dir: &Path, n: usize, row: &Row) -> LoadedSample {
    let id = row.text("question_id").unwrap_or_else(|| format!("#{n}"));
    let err = |r: String| SampleError::new(id.clone(), r);
    let question = row
        .text("question")
        .ok_or_else(|| err("record has no question".into()))?;
    let answer = row
        .text("answer")
        .ok_or_else(|| err("record has no answer".into()))?;
    let vid = row
        .text("videoID")
        .ok_or_else(|| err("record has no videoID".into()))?;
    let path = join_relative(&dir.join("data"), &format!("{vid}.mp4")).map_err(err)?;
    let choices = cell_choices(row.get("options"));
    if choices.is_empty() {
        return Err(err(
            "multiple-choice record has no options; the `options` column must list the choices"
                .into(),
        ));
    }
    let mut s = Sample::new(id.clone(), question, row.to_json());
    s.choices = choices;
    s.answer = answer;
    s.question_type = row.text("task_type").unwrap_or_default();
    s.videos = vec![video(path)];
    Ok(s)
}

/// Video-MME-v2: `test.parquet`; id `question_id`; options newline-separated "A. …" up to H; video
/// `videos/<video_id>.mp4`. Data order is kept (the original's groups are chunks of 4 in that order).
pub(super) fn load_videommev2(dir: &Path, _: &LoadOptions) -> Result<Vec<LoadedSample>, LoadError> {
    let path = require_file(dir.join("test.parquet"))?;
    Ok(read_parquet(&path, &[])?
        .iter()
        .enumerate()
        .map(|(n, row)| videommev2(dir, n, row))
        .collect())
}

fn videommev2(dir: &Path, n: usize, row: &Row) -> LoadedSample {
    let id = row.text("question_id").unwrap_or_else(|| format!("#{n}"));
    let err = |r: String| SampleError::new(id.clone(), r);
    let question = row
        .text("question")
        .ok_or_else(|| err("record has no question".into()))?;
    let answer = row
        .text("answer")
        .ok_or_else(|| err("record has no answer".into()))?;
    let vid = row
        .text("video_id")
        .ok_or_else(|| err("record has no video_id".into()))?;
    let path = join_relative(&dir.join("videos"), &format!("{vid}.mp4")).map_err(err)?;
    let choices = cell_choices(row.get("options"));
    if choices.is_empty() {
        return Err(err(
            "multiple-choice record has no options; the `options` column must list the choices"
                .into(),
        ));
    }
    let mut s = Sample::new(id.clone(), question, row.to_json());
    s.choices = choices;
    s.answer = answer;
    s.question_type = row.text("second_head").unwrap_or_default();
    s.videos = vec![video(path)];
    Ok(s)
}
