//! MMSI-Video-Bench (evals-runs.md §1.3): `mmsivideo.json`; frames are shipped pre-extracted
//! (`frames_list`: one list of paths under `frames/` per video), so no ffmpeg is needed. Several
//! videos make a multi-video sample. `<image>` tags become "[reference image #n]" when their count
//! equals the number of reference images.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::common::{join_relative, json_choices, jtext, read_json, resolve};
use super::{
    ImageRef, LoadError, LoadOptions, LoadedSample, Sample, SampleError, VideoRef, require_file,
};

pub(super) fn load(dir: &Path, _: &LoadOptions) -> Result<Vec<LoadedSample>, LoadError> {
    let path = require_file(dir.join("mmsivideo.json"))?;
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

/// Replaces each `<image>` tag, in order, by "[reference image #n]" when there are exactly as many
/// tags as reference images; otherwise the text is left as it is (the original warns).
pub fn replace_ref_tags(question: &str, n_refs: usize) -> String {
    let tags = question.matches("<image>").count();
    if tags == 0 || tags != n_refs {
        return question.to_string();
    }
    let mut out = String::new();
    for (k, part) in question.split("<image>").enumerate() {
        if k > 0 {
            out.push_str(&format!("[reference image #{k}]"));
        }
        out.push_str(part);
    }
    out
}

fn path_in(dir: &Path, sub: &str, rel: &str) -> Result<PathBuf, String> {
    Ok(resolve(&[
        join_relative(&dir.join(sub), rel)?,
        join_relative(dir, rel)?,
    ]))
}

fn sample(dir: &Path, n: usize, item: &Value) -> LoadedSample {
    let id = jtext(item, "id").unwrap_or_else(|| format!("#{n}"));
    let err = |r: String| SampleError::new(id.clone(), r);
    let question =
        jtext(item, "ori_question").ok_or_else(|| err("record has no ori_question".into()))?;
    let answer =
        jtext(item, "ground_truth").ok_or_else(|| err("record has no ground_truth".into()))?;
    let mut refs = Vec::new();
    for r in item
        .get("ref_images")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let rel = r
            .as_str()
            .ok_or_else(|| err("ref_images entry is not a path".into()))?;
        refs.push(ImageRef::Path(
            path_in(dir, "ref_images", rel).map_err(err)?,
        ));
    }
    let groups = item
        .get("frames_list")
        .and_then(Value::as_array)
        .ok_or_else(|| err("record has no frames_list".into()))?;
    let video_list = item
        .get("video_list")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut videos = Vec::new();
    for (v, group) in groups.iter().enumerate() {
        let mut frames = Vec::new();
        for f in group.as_array().map(Vec::as_slice).unwrap_or_default() {
            let rel = f
                .as_str()
                .ok_or_else(|| err(format!("frames_list[{v}] has a non-path entry")))?;
            frames.push(path_in(dir, "frames", rel).map_err(err)?);
        }
        if frames.is_empty() {
            return Err(err(format!("frames_list[{v}] is empty")));
        }
        let meta = video_list.get(v);
        let num = |k: &str| meta.and_then(|m| m.get(k)).and_then(Value::as_f64);
        let video_path = match meta.and_then(|m| jtext(m, "path")) {
            Some(rel) => Some(path_in(dir, "videos", &rel).map_err(err)?),
            None => None,
        };
        videos.push(VideoRef {
            name: video_path
                .as_ref()
                .and_then(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| format!("video_{}", v + 1)),
            // The clip is only used by video tools; a dataset copy without clips still runs on the
            // shipped frames, so a missing clip is not an error.
            path: video_path.filter(|p| p.is_file()),
            frames: Some(frames),
            fps: num("base_fps"),
            start_sec: num("start"),
            end_sec: num("end"),
            ..VideoRef::default()
        });
    }
    if videos.is_empty() {
        return Err(err("frames_list is empty".into()));
    }
    let mut s = Sample::new(
        id.clone(),
        replace_ref_tags(&question, refs.len()),
        item.clone(),
    );
    s.choices = item.get("options").map(json_choices).unwrap_or_default();
    s.answer = answer;
    s.question_type = jtext(item, "type").unwrap_or_default();
    s.videos = videos;
    s.ref_images = refs;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::replace_ref_tags;

    #[test]
    fn ref_tags() {
        assert_eq!(
            replace_ref_tags("a <image> b <image>", 2),
            "a [reference image #1] b [reference image #2]"
        );
        assert_eq!(replace_ref_tags("a <image>", 2), "a <image>");
        assert_eq!(replace_ref_tags("plain", 0), "plain");
    }
}
