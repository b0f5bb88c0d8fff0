//! ViewSpatial-Bench (evals-runs.md §1.3): one JSON list; the sample id is the list index; image paths
//! carry a "ViewSpatial-Bench/" prefix that is stripped; the options text is appended to the question.
//!
//! The original silently skips a sample with a missing image; here it becomes a per-sample error, so
//! `data check` reports it and the ids of the other samples are unchanged either way.

use std::path::Path;

use serde_json::Value;

use super::common::{join_relative, jtext, read_json};
use super::{ImageRef, LoadError, LoadOptions, LoadedSample, Sample, SampleError, require_file};

pub(super) fn load(dir: &Path, _: &LoadOptions) -> Result<Vec<LoadedSample>, LoadError> {
    let path = require_file(dir.join("ViewSpatial-Bench.json"))?;
    let doc = read_json(&path)?;
    let items = doc.as_array().ok_or_else(|| LoadError::Format {
        path: path.clone(),
        reason: "expected a JSON list of questions".into(),
    })?;
    Ok(items
        .iter()
        .enumerate()
        .map(|(n, item)| sample(dir, n, item))
        .collect())
}

fn sample(dir: &Path, n: usize, item: &Value) -> LoadedSample {
    let id = n.to_string();
    let err = |r: String| SampleError::new(id.clone(), r);
    let question = jtext(item, "question").ok_or_else(|| err("record has no question".into()))?;
    let answer = jtext(item, "answer").ok_or_else(|| err("record has no answer".into()))?;
    let choices = jtext(item, "choices").unwrap_or_default();
    let paths: Vec<&str> = match item.get("image_path") {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        Some(Value::String(s)) => vec![s.as_str()],
        _ => Vec::new(),
    };
    if paths.is_empty() {
        return Err(err("record has no image_path".into()));
    }
    let mut images = Vec::new();
    for p in paths {
        let rel = p.strip_prefix("ViewSpatial-Bench/").unwrap_or(p);
        images.push(ImageRef::Path(join_relative(dir, rel).map_err(err)?));
    }
    let full = if choices.is_empty() {
        question
    } else {
        format!("{question}\n\n{choices}")
    };
    let mut s = Sample::new(id.clone(), full, item.clone());
    s.answer = answer;
    s.question_type = jtext(item, "question_type").unwrap_or_default();
    s.images = images;
    Ok(s)
}
