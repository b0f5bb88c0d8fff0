//! SpatialTree-Bench (evals-runs.md §1.3): `annotations_plain.parquet`; a sample has images, a video,
//! or both, and when it has a video its frames replace the images (like the original).
//! Media paths are resolved against the data folder, then `videos/` / `images/`.

use std::path::{Path, PathBuf};

use super::common::{Cell, Row, cell_choices, join_relative, read_parquet, resolve};
use super::{
    ImageRef, LoadError, LoadOptions, LoadedSample, Sample, SampleError, VideoRef, require_file,
};

pub(super) fn load(dir: &Path, _: &LoadOptions) -> Result<Vec<LoadedSample>, LoadError> {
    let path = require_file(dir.join("annotations_plain.parquet"))?;
    Ok(read_parquet(&path, &[])?
        .iter()
        .enumerate()
        .map(|(n, row)| sample(dir, n, row))
        .collect())
}

/// A media path: `<dir>/<p>` when it exists, else `<dir>/<sub>/<p>`.
fn media(dir: &Path, sub: &str, cell: &Cell) -> Result<PathBuf, String> {
    let rel = cell.text().ok_or("media entry is not a path")?;
    Ok(resolve(&[
        join_relative(dir, &rel)?,
        join_relative(&dir.join(sub), &rel)?,
    ]))
}

fn sample(dir: &Path, n: usize, row: &Row) -> LoadedSample {
    let id = row.text("session_id").unwrap_or_else(|| format!("#{n}"));
    let err = |r: String| SampleError::new(id.clone(), r);
    let question = row
        .text("question")
        .ok_or_else(|| err("record has no question".into()))?;
    let answer = row
        .text("answer")
        .ok_or_else(|| err("record has no answer".into()))?;
    let qtype = row
        .text("question_type")
        .ok_or_else(|| err("record has no question_type".into()))?;
    let video_cells = row.get("video").map(|c| c.items()).unwrap_or_default();
    let mut s = Sample::new(id.clone(), question, row.to_json());
    if let Some(first) = video_cells.first() {
        let path = media(dir, "videos", first).map_err(err)?;
        s.videos = vec![VideoRef {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            path: Some(path),
            ..VideoRef::default()
        }];
    } else {
        for cell in row.get("image").map(|c| c.items()).unwrap_or_default() {
            s.images
                .push(ImageRef::Path(media(dir, "images", cell).map_err(err)?));
        }
    }
    if s.videos.is_empty() && s.images.is_empty() {
        return Err(err("record has neither a video nor images".into()));
    }
    s.choices = cell_choices(row.get("option"));
    s.answer = answer;
    s.question_type = qtype;
    Ok(s)
}
