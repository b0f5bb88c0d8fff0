//! SPBench (evals-runs.md §1.3): `SPBench-SI.parquet` (single image) and `SPBench-MV.parquet`
//! (multi-view); images are file names under `<scene_name>/`; ids are prefixed `SI_` / `MV_`.
//!
//! The original silently skips a missing parquet; we require both (a half-loaded benchmark would
//! change the macro average without a word).

use std::path::Path;

use super::common::{Row, cell_choices, join_relative, read_parquet};
use super::{ImageRef, LoadError, LoadOptions, LoadedSample, Sample, SampleError, require_file};

pub(super) fn load(dir: &Path, _: &LoadOptions) -> Result<Vec<LoadedSample>, LoadError> {
    let mut out = Vec::new();
    for (prefix, file) in [("SI", "SPBench-SI.parquet"), ("MV", "SPBench-MV.parquet")] {
        let path = require_file(dir.join(file))?;
        for (n, row) in read_parquet(&path, &[])?.iter().enumerate() {
            out.push(sample(dir, prefix, n, row));
        }
    }
    Ok(out)
}

fn sample(dir: &Path, prefix: &str, n: usize, row: &Row) -> LoadedSample {
    let id = format!(
        "{prefix}_{}",
        row.text("id").unwrap_or_else(|| format!("#{n}"))
    );
    let err = |r: String| SampleError::new(id.clone(), r);
    let question = row
        .text("question")
        .ok_or_else(|| err("record has no question".into()))?;
    let answer = row
        .text("ground_truth")
        .ok_or_else(|| err("record has no ground_truth".into()))?;
    let qtype = row
        .text("question_type")
        .ok_or_else(|| err("record has no question_type".into()))?;
    let scene = row.text("scene_name").unwrap_or_default();
    let mut images = Vec::new();
    for name in row.get("images").map(|c| c.items()).unwrap_or_default() {
        let name = name
            .text()
            .ok_or_else(|| err("image entry is not a file name".into()))?;
        let rel = if scene.is_empty() {
            name
        } else {
            format!("{scene}/{name}")
        };
        images.push(ImageRef::Path(join_relative(dir, &rel).map_err(err)?));
    }
    if images.is_empty() {
        return Err(err("record lists no images".into()));
    }
    let mut s = Sample::new(id.clone(), question, row.to_json());
    s.choices = cell_choices(row.get("options"));
    s.answer = answer;
    s.question_type = qtype;
    s.images = images;
    Ok(s)
}
