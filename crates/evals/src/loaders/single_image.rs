//! Single-image JSON benchmarks: Omni3D-Bench and OmniSpatial (evals-runs.md §1.3).

use std::path::Path;

use serde_json::Value;

use super::common::{join_relative, json_choices, jtext, letter, read_json};
use super::{ImageRef, LoadError, LoadOptions, LoadedSample, Sample, SampleError, require_file};
use crate::scoring::record::index;

/// The items of a JSON index: a top-level list, or the list under `key`.
fn items<'v>(doc: &'v Value, key: &str, path: &Path) -> Result<&'v [Value], LoadError> {
    match doc {
        Value::Array(a) => Ok(a),
        Value::Object(m) => match m.get(key) {
            Some(Value::Array(a)) => Ok(a),
            _ => Err(LoadError::Format {
                path: path.to_path_buf(),
                reason: format!("expected a list or an object with a {key:?} list"),
            }),
        },
        _ => Err(LoadError::Format {
            path: path.to_path_buf(),
            reason: "expected a JSON list of questions".into(),
        }),
    }
}

/// Omni3D-Bench: `annotations.json` → `questions[]`, image `images/<image_filename>`; the id is
/// `question_index` and the category key is `answer_type`.
pub(super) fn load_omni3d(dir: &Path, _: &LoadOptions) -> Result<Vec<LoadedSample>, LoadError> {
    let path = require_file(dir.join("annotations.json"))?;
    let doc = read_json(&path)?;
    Ok(items(&doc, "questions", &path)?
        .iter()
        .enumerate()
        .map(|(n, item)| omni3d(dir, n, item))
        .collect())
}

fn omni3d(dir: &Path, n: usize, item: &Value) -> LoadedSample {
    let id = jtext(item, "question_index").unwrap_or_else(|| format!("#{n}"));
    let err = |r: &str| SampleError::new(id.clone(), r);
    let question = jtext(item, "question").ok_or_else(|| err("record has no question"))?;
    let answer = jtext(item, "answer").ok_or_else(|| err("record has no answer"))?;
    let answer_type = jtext(item, "answer_type").ok_or_else(|| err("record has no answer_type"))?;
    let file = jtext(item, "image_filename").ok_or_else(|| err("record has no image_filename"))?;
    let image = join_relative(&dir.join("images"), &file).map_err(|r| err(&r))?;
    let mut s = Sample::new(id.clone(), question, item.clone());
    s.answer = answer;
    s.question_type = answer_type;
    s.images = vec![ImageRef::Path(image)];
    Ok(s)
}

/// OmniSpatial: `OmniSpatial-test/data.json`; the raw ids repeat, so the sample id is
/// `"{task_type}_{sub_task_type}_{id}"`; the image is `<task_type>/<id before the first _>.png`;
/// the answer is an option index turned into a letter.
pub(super) fn load_omnispatial(
    dir: &Path,
    _: &LoadOptions,
) -> Result<Vec<LoadedSample>, LoadError> {
    let root = dir.join("OmniSpatial-test");
    let path = require_file(root.join("data.json"))?;
    let doc = read_json(&path)?;
    Ok(items(&doc, "data", &path)?
        .iter()
        .enumerate()
        .map(|(n, item)| omnispatial(&root, n, item))
        .collect())
}

fn omnispatial(root: &Path, n: usize, item: &Value) -> LoadedSample {
    let raw_id = jtext(item, "id");
    let task = jtext(item, "task_type");
    let sub = jtext(item, "sub_task_type");
    let id = match (&task, &sub, &raw_id) {
        (Some(t), Some(s), Some(i)) => format!("{t}_{s}_{i}"),
        _ => format!("#{n}"),
    };
    let err = |r: &str| SampleError::new(id.clone(), r);
    let (Some(task), Some(raw_id)) = (task, raw_id) else {
        return Err(err("record needs id, task_type and sub_task_type"));
    };
    let question = jtext(item, "question").ok_or_else(|| err("record has no question"))?;
    let idx = index(item, "answer").ok_or_else(|| err("answer is not an option index"))?;
    let choices = item.get("options").map(json_choices).unwrap_or_default();
    if choices.is_empty() {
        return Err(err("record has no options"));
    }
    if idx as usize >= choices.len() {
        return Err(err("answer index is past the last option"));
    }
    let stem = raw_id.split('_').next().unwrap_or(&raw_id).to_string();
    let image = join_relative(root, &format!("{task}/{stem}.png")).map_err(|r| err(&r))?;
    let mut s = Sample::new(id.clone(), question, item.clone());
    s.answer = letter(idx as usize);
    s.question_type = task;
    s.choices = choices;
    s.images = vec![ImageRef::Path(image)];
    Ok(s)
}
