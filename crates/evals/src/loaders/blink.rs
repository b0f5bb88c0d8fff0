//! BLINK (evals-runs.md §1.3): one folder per subtask holding `val-*.parquet` (the test split's
//! answers are withheld), images in `image_1`..`image_4`, options in `choices`, answers "(A)".

use std::path::Path;

use super::common::{Row, bytes_image, cell_choices, image_bytes, list_files, read_parquet};
use super::{LoadError, LoadOptions, LoadedSample, Sample, SampleError, index_missing};

/// The 14 subtasks, all used (the non-spatial ones too, like the original).
pub const BLINK_SUBTASKS: [&str; 14] = [
    "Art_Style",
    "Counting",
    "Forensic_Detection",
    "Functional_Correspondence",
    "IQ_Test",
    "Jigsaw",
    "Multi-view_Reasoning",
    "Object_Localization",
    "Relative_Depth",
    "Relative_Reflectance",
    "Semantic_Correspondence",
    "Spatial_Relation",
    "Visual_Correspondence",
    "Visual_Similarity",
];

const IMAGE_COLUMNS: [&str; 4] = ["image_1", "image_2", "image_3", "image_4"];

pub(super) fn load(dir: &Path, opts: &LoadOptions) -> Result<Vec<LoadedSample>, LoadError> {
    let skip: &[&str] = if opts.media { &[] } else { &IMAGE_COLUMNS };
    let mut out = Vec::new();
    for subtask in BLINK_SUBTASKS {
        let folder = dir.join(subtask);
        let files = if folder.is_dir() {
            list_files(&folder, |n| {
                n.starts_with("val-") && n.ends_with(".parquet")
            })?
        } else {
            Vec::new()
        };
        if files.is_empty() {
            return Err(index_missing(folder.join("val-*.parquet")));
        }
        for f in files {
            for (n, row) in read_parquet(&f, skip)?.iter().enumerate() {
                out.push(sample(subtask, n, row, opts));
            }
        }
    }
    Ok(out)
}

fn sample(subtask: &str, n: usize, row: &Row, opts: &LoadOptions) -> LoadedSample {
    let id = row.text("idx").unwrap_or_else(|| format!("{subtask}#{n}"));
    let err = |r: String| SampleError::new(id.clone(), r);
    let question = row
        .text("question")
        .ok_or_else(|| err("record has no question".into()))?;
    let answer = row
        .text("answer")
        .ok_or_else(|| err("record has no answer".into()))?;
    let choices = cell_choices(row.get("choices"));
    if choices.is_empty() {
        return Err(err("record has no choices".into()));
    }
    let mut images = Vec::new();
    if opts.media {
        for col in IMAGE_COLUMNS {
            if let Some(b) = row.get(col).and_then(image_bytes) {
                images.push(bytes_image(&format!("{id}_{col}"), b));
            }
        }
        if images.is_empty() {
            return Err(err("record has no images".into()));
        }
    }
    let mut truth = row.to_json_without(&IMAGE_COLUMNS);
    if let Some(m) = truth.as_object_mut() {
        m.insert("subtask".into(), subtask.into());
    }
    let mut s = Sample::new(id.clone(), question, truth);
    s.choices = choices;
    s.answer = answer;
    s.question_type = subtask.to_string();
    s.images = images;
    Ok(s)
}
