//! CVBench, the cross-video benchmark (evals-runs.md §1.3): 2–4 videos per question
//! (`video_1`..`video_4`), options inlined into the question so they are not repeated after the
//! prompt. The video root is the first of `videos/`, `CVBench/`, `.` that has numeric sub-folders
//! (the layout `CVBench.zip` unpacks to).

use std::path::{Path, PathBuf};

use super::common::{Row, join_relative, read_parquet};
use super::vsi::video;
use super::{LoadError, LoadOptions, LoadedSample, Sample, SampleError, require_file};

const VIDEO_COLUMNS: [&str; 4] = ["video_1", "video_2", "video_3", "video_4"];

pub(super) fn load(dir: &Path, _: &LoadOptions) -> Result<Vec<LoadedSample>, LoadError> {
    let path = require_file(dir.join("data/test-00000-of-00001.parquet"))?;
    let root = video_root(dir);
    Ok(read_parquet(&path, &[])?
        .iter()
        .enumerate()
        .map(|(n, row)| sample(&root, n, row))
        .collect())
}

/// Whether a folder has a sub-folder whose name is all digits.
fn has_numeric_subfolder(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.filter_map(Result::ok).any(|e| {
            e.file_type().is_ok_and(|t| t.is_dir())
                && e.file_name()
                    .to_str()
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
    })
}

/// The folder video paths are relative to.
pub fn video_root(dir: &Path) -> PathBuf {
    let candidates = [dir.join("videos"), dir.join("CVBench"), dir.to_path_buf()];
    candidates
        .iter()
        .find(|c| has_numeric_subfolder(c))
        .cloned()
        .unwrap_or_else(|| dir.join("videos"))
}

fn sample(root: &Path, n: usize, row: &Row) -> LoadedSample {
    let id = row.text("id").unwrap_or_else(|| format!("#{n}"));
    let err = |r: String| SampleError::new(id.clone(), r);
    let question = row
        .text("question")
        .ok_or_else(|| err("record has no question".into()))?;
    let answer = row
        .text("answer")
        .ok_or_else(|| err("record has no answer".into()))?;
    let options: Vec<String> = row
        .get("options")
        .map(|c| c.items().iter().filter_map(|o| o.text()).collect())
        .unwrap_or_default();
    let mut videos = Vec::new();
    for col in VIDEO_COLUMNS {
        if let Some(rel) = row.text(col).filter(|r| !r.trim().is_empty()) {
            videos.push(video(join_relative(root, &rel).map_err(err)?));
        }
    }
    if videos.is_empty() {
        return Err(err("record has no videos".into()));
    }
    let full = if options.is_empty() {
        question
    } else {
        format!("{question}\n{}", options.join("\n"))
    };
    let mut s = Sample::new(id.clone(), full, row.to_json());
    s.answer = answer;
    s.question_type = row.text("task_type").unwrap_or_default();
    s.videos = videos;
    Ok(s)
}
