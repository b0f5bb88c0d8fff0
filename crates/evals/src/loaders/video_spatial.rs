//! Video spatial benchmarks with one video per question: OSI-Bench and PAI-Bench (parquet) and
//! DSI-Bench (four row-aligned CSVs, one per augmentation) (evals-runs.md §1.3).

use std::path::Path;

use regex::Regex;
use serde_json::Value;

use super::common::{Choice, Row, cell_choices, join_relative, read_csv, read_parquet, resolve};
use super::vsi::video;
use super::{LoadError, LoadOptions, LoadedSample, Sample, SampleError, require_file};
use crate::scoring::benchmarks::DSI_CATEGORIES;
use crate::scoring::record::index;

/// OSI-Bench: `data.parquet`, the video is `<file_name>` in the data folder, category key `category`.
pub(super) fn load_osi(dir: &Path, _: &LoadOptions) -> Result<Vec<LoadedSample>, LoadError> {
    let path = require_file(dir.join("data.parquet"))?;
    Ok(read_parquet(&path, &[])?
        .iter()
        .enumerate()
        .map(|(n, row)| osi(dir, n, row))
        .collect())
}

fn osi(dir: &Path, n: usize, row: &Row) -> LoadedSample {
    let id = row.text("index").unwrap_or_else(|| format!("#{n}"));
    let err = |r: String| SampleError::new(id.clone(), r);
    let question = row
        .text("question")
        .ok_or_else(|| err("record has no question".into()))?;
    let answer = row
        .text("answer")
        .ok_or_else(|| err("record has no answer".into()))?;
    let category = row
        .text("category")
        .ok_or_else(|| err("record has no category".into()))?;
    let file = row
        .text("file_name")
        .ok_or_else(|| err("record has no file_name".into()))?;
    let path = join_relative(dir, &file).map_err(err)?;
    let mut s = Sample::new(id.clone(), question, row.to_json());
    s.choices = cell_choices(row.get("options"));
    s.answer = answer;
    s.question_type = category;
    s.videos = vec![video(path)];
    Ok(s)
}

/// PAI-Bench: one parquet under `data/`; the id is the row index; options are the `index2ans`
/// letter → text map with empty options dropped.
pub(super) fn load_pai(dir: &Path, _: &LoadOptions) -> Result<Vec<LoadedSample>, LoadError> {
    let path = require_file(dir.join("data/test-00000-of-00001.parquet"))?;
    Ok(read_parquet(&path, &[])?
        .iter()
        .enumerate()
        .map(|(n, row)| pai(dir, n, row))
        .collect())
}

fn pai(dir: &Path, n: usize, row: &Row) -> LoadedSample {
    let id = n.to_string();
    let err = |r: String| SampleError::new(id.clone(), r);
    let question = row
        .text("question")
        .ok_or_else(|| err("record has no question".into()))?;
    let answer = row
        .text("answer")
        .ok_or_else(|| err("record has no answer".into()))?;
    let rel = row
        .text("video_path")
        .ok_or_else(|| err("record has no video_path".into()))?;
    let path = resolve(&[
        join_relative(dir, &rel).map_err(err)?,
        join_relative(&dir.join("videos"), &rel).map_err(err)?,
    ]);
    let choices = cell_choices(row.get("index2ans"));
    if choices.is_empty() {
        return Err(err("record has no options in index2ans".into()));
    }
    let mut s = Sample::new(id.clone(), question, row.to_json());
    s.choices = choices;
    s.answer = answer;
    s.question_type = row.text("category").unwrap_or_default();
    s.videos = vec![video(path)];
    Ok(s)
}

/// The four augmentations, in the original's order.
pub const DSI_AUGMENTATIONS: [&str; 4] = ["std", "hflip", "reverse", "reverse_hflip"];

/// DSI-Bench: `metadatas/<aug>.csv` for each augmentation; the id is `"{aug}__row_{i:06d}"` and the
/// video `videos/<aug>/<relative_path>`. The original runs a sample whose video is missing with no
/// frames at all; here it is a per-sample error.
pub(super) fn load_dsi(dir: &Path, _: &LoadOptions) -> Result<Vec<LoadedSample>, LoadError> {
    let mut out = Vec::new();
    for aug in DSI_AUGMENTATIONS {
        let path = require_file(dir.join(format!("metadatas/{aug}.csv")))?;
        for (i, rec) in read_csv(&path)?.into_iter().enumerate() {
            let id = format!("{aug}__row_{i:06}");
            out.push(match rec {
                Ok(map) => dsi(dir, aug, i, id, map),
                Err(reason) => Err(SampleError::new(id, reason)),
            });
        }
    }
    Ok(out)
}

/// Parses DSI's "A: x; B: y" options into letter → text pairs.
pub fn parse_dsi_options(s: &str) -> Vec<Choice> {
    static MARK: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
        Regex::new(r"(?:^|;)\s*([A-Z])\s*:").expect("constant regex compiles")
    });
    let marks: Vec<(usize, usize, String)> = MARK
        .captures_iter(s)
        .filter_map(|c| {
            let all = c.get(0)?;
            Some((all.start(), all.end(), c.get(1)?.as_str().to_string()))
        })
        .collect();
    marks
        .iter()
        .enumerate()
        .map(|(k, (_, end, letter))| {
            let stop = marks.get(k + 1).map_or(s.len(), |m| m.0);
            Choice {
                letter: letter.clone(),
                text: s[*end..stop].trim().to_string(),
            }
        })
        .collect()
}

fn dsi(
    dir: &Path,
    aug: &str,
    i: usize,
    id: String,
    mut map: serde_json::Map<String, Value>,
) -> LoadedSample {
    let err = |r: String| SampleError::new(id.clone(), r);
    let get = |k: &str| {
        map.get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .filter(|s| !s.is_empty())
    };
    let question = get("question").ok_or_else(|| err("row has no question".into()))?;
    let answer = get("GT").ok_or_else(|| err("row has no GT".into()))?;
    let rel = get("relative_path").ok_or_else(|| err("row has no relative_path".into()))?;
    let choices = parse_dsi_options(&get("options").unwrap_or_default());
    if choices.is_empty() {
        return Err(err("row has no parsable options (\"A: x; B: y\")".into()));
    }
    let path = join_relative(&dir.join("videos").join(aug), &rel).map_err(err)?;
    map.insert("augmentation".into(), aug.into());
    map.insert("base_id".into(), format!("row_{i:06}").into());
    let truth = Value::Object(map);
    let category = index(&truth, "cate")
        .and_then(|c| DSI_CATEGORIES.get(c as usize))
        .map(|c| c.to_string())
        .ok_or_else(|| err("row has no valid cate code (0-5)".into()))?;
    let mut s = Sample::new(id.clone(), question, truth);
    s.choices = choices;
    s.answer = answer;
    s.question_type = category;
    s.videos = vec![video(path)];
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::parse_dsi_options;

    #[test]
    fn dsi_options() {
        let c = parse_dsi_options("A: left; B: right; C: up down; D: none");
        assert_eq!(c.len(), 4);
        assert_eq!(c[2].letter, "C");
        assert_eq!(c[2].text, "up down");
        assert!(parse_dsi_options("").is_empty());
    }
}
