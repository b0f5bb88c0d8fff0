//! Multi-view image benchmarks whose options are inside the question: MindCube (JSONL + image files),
//! MMSI-Bench and SPAR-Bench (parquet with embedded images) (evals-runs.md §1.3).

use std::path::Path;

use serde_json::Value;

use super::common::{
    Row, bytes_image, image_bytes, join_relative, jtext, read_jsonl, read_parquet,
};
use super::{
    ImageRef, LoadError, LoadOptions, LoadedSample, Sample, SampleError, index_missing,
    parquet_glob, require_file,
};
use crate::scoring::benchmarks::mindcube_setting;

/// MindCube: prefers the full `data/raw/MindCube.jsonl` over the tinybench, like the original;
/// image paths are relative to `data/` (the folder holding `other_all_image/`).
pub(super) fn load_mindcube(dir: &Path, _: &LoadOptions) -> Result<Vec<LoadedSample>, LoadError> {
    let raw = dir.join("data/raw");
    let path = [
        raw.join("MindCube.jsonl"),
        raw.join("MindCube_tinybench.jsonl"),
    ]
    .into_iter()
    .find(|p| p.is_file())
    .ok_or_else(|| index_missing(raw.join("MindCube.jsonl")))?;
    let image_root = dir.join("data");
    Ok(read_jsonl(&path)?
        .into_iter()
        .enumerate()
        .map(|(n, item)| match item {
            Ok(item) => mindcube(&image_root, n, &item),
            Err(reason) => Err(SampleError::new(format!("#{n}"), reason)),
        })
        .collect())
}

fn mindcube(image_root: &Path, n: usize, item: &Value) -> LoadedSample {
    let id = jtext(item, "id").unwrap_or_else(|| format!("#{n}"));
    let err = |r: String| SampleError::new(id.clone(), r);
    let question = jtext(item, "question").ok_or_else(|| err("record has no question".into()))?;
    let answer = jtext(item, "gt_answer").ok_or_else(|| err("record has no gt_answer".into()))?;
    let mut images = Vec::new();
    for p in item
        .get("images")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let rel = p
            .as_str()
            .ok_or_else(|| err("image entry is not a path".into()))?;
        images.push(ImageRef::Path(join_relative(image_root, rel).map_err(err)?));
    }
    if images.is_empty() {
        return Err(err("record lists no images".into()));
    }
    let mut s = Sample::new(id.clone(), question, item.clone());
    s.question_type = mindcube_setting(&id).to_string();
    s.answer = answer;
    s.images = images;
    Ok(s)
}

/// MMSI-Bench: one parquet, images as a list of bytes (named `{id}_{n}` like the original's dump).
pub(super) fn load_mmsi(dir: &Path, opts: &LoadOptions) -> Result<Vec<LoadedSample>, LoadError> {
    let path = require_file(dir.join("MMSI_Bench.parquet"))?;
    let skip: &[&str] = if opts.media { &[] } else { &["images"] };
    Ok(read_parquet(&path, skip)?
        .iter()
        .enumerate()
        .map(|(n, row)| parquet_mcq(n, row, "images", "question_type", opts))
        .collect())
}

/// SPAR-Bench: parquet shards under `data/`, images in the `image` list, category key `task`.
pub(super) fn load_spar(dir: &Path, opts: &LoadOptions) -> Result<Vec<LoadedSample>, LoadError> {
    let skip: &[&str] = if opts.media { &[] } else { &["image"] };
    let mut out = Vec::new();
    for f in parquet_glob(dir, "data")? {
        for row in read_parquet(&f, skip)? {
            let n = out.len();
            out.push(parquet_mcq(n, &row, "image", "task", opts));
        }
    }
    Ok(out)
}

/// A parquet record with `id`, `question` (options inside), `answer` and a list of embedded images.
fn parquet_mcq(
    n: usize,
    row: &Row,
    image_col: &str,
    type_col: &str,
    opts: &LoadOptions,
) -> LoadedSample {
    let id = row.text("id").unwrap_or_else(|| format!("#{n}"));
    let err = |r: String| SampleError::new(id.clone(), r);
    let question = row
        .text("question")
        .ok_or_else(|| err("record has no question".into()))?;
    let answer = row
        .text("answer")
        .ok_or_else(|| err("record has no answer".into()))?;
    let mut images = Vec::new();
    if opts.media {
        let cells = row.get(image_col).map(|c| c.items()).unwrap_or_default();
        for (k, cell) in cells.iter().enumerate() {
            let bytes = image_bytes(cell).ok_or_else(|| err(format!("image {k} has no bytes")))?;
            images.push(bytes_image(&format!("{id}_{k}"), bytes));
        }
        if images.is_empty() {
            return Err(err("record has no images".into()));
        }
    }
    let mut s = Sample::new(id.clone(), question, row.to_json());
    s.answer = answer;
    s.question_type = row.text(type_col).unwrap_or_default();
    s.images = images;
    Ok(s)
}
