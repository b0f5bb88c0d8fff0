//! ERQA (evals-runs.md §1.3): parquet shards under `data/`, images embedded as `{bytes, path}`
//! structs, options inside the question, `<image>` tags placed at the record's `visual_indices`.

use std::path::Path;

use super::common::{Row, bytes_image, image_bytes, read_parquet};
use super::{
    LoadError, LoadOptions, LoadedSample, Sample, SampleError, index_missing, parquet_glob,
};

pub(super) fn load(dir: &Path, opts: &LoadOptions) -> Result<Vec<LoadedSample>, LoadError> {
    let files = parquet_glob(dir, "data").map_err(|e| {
        let tfrecord = dir.join("data/erqa.tfrecord");
        if tfrecord.is_file() {
            LoadError::Format {
                path: tfrecord,
                reason: "only the parquet release of ERQA is supported (the original also parses the \
                         TFRecord one); download the parquet files with `spatialclaw data fetch erqa`"
                    .into(),
            }
        } else {
            e
        }
    })?;
    let mut out = Vec::new();
    for f in files {
        for row in read_parquet(&f, &[])? {
            let n = out.len();
            out.push(sample(n, &row, opts));
        }
    }
    if out.is_empty() {
        return Err(index_missing(dir.join("data/*.parquet")));
    }
    Ok(out)
}

fn sample(n: usize, row: &Row, opts: &LoadOptions) -> LoadedSample {
    let id = row
        .text("question_id")
        .unwrap_or_else(|| format!("erqa_{n:04}"));
    let err = |r: String| SampleError::new(id.clone(), r);
    let question = row
        .text("question")
        .ok_or_else(|| err("record has no question".into()))?;
    let answer = row
        .text("answer")
        .ok_or_else(|| err("record has no answer".into()))?;
    let image_cells = row.get("images").map(|c| c.items()).unwrap_or_default();
    let mut images = Vec::new();
    for (k, cell) in image_cells.iter().enumerate() {
        match image_bytes(cell) {
            Some(b) => images.push(bytes_image(&format!("sample_{n:04}_img_{k}"), b)),
            None if opts.media => return Err(err(format!("image {k} has no bytes"))),
            None => {}
        }
    }
    let indices: Vec<i64> = row
        .get("visual_indices")
        .map(|c| {
            c.items()
                .iter()
                .filter_map(|v| v.text().and_then(|t| t.parse::<f64>().ok()))
                .map(|f| f as i64)
                .collect()
        })
        .unwrap_or_default();
    let mut s = Sample::new(
        id,
        insert_image_tags(&question, &indices, image_cells.len()),
        row.to_json(),
    );
    s.question_type = row.text("question_type").unwrap_or_default();
    s.answer = answer;
    s.images = images;
    Ok(s)
}

/// Places one `<image>` tag per image: at the first `n_images` of the sorted character positions
/// (clamped to the text length), or each on its own line before the text when there are no
/// positions or all are 0.
pub fn insert_image_tags(text: &str, indices: &[i64], n_images: usize) -> String {
    if n_images == 0 {
        return text.to_string();
    }
    let mut used: Vec<i64> = indices.iter().take(n_images).copied().collect();
    if used.is_empty() || used.iter().all(|&i| i == 0) {
        return format!("{}{text}", "<image>\n".repeat(n_images));
    }
    used.sort_unstable();
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut last = 0usize;
    for idx in used {
        let at = (idx.max(0) as usize).min(chars.len());
        out.extend(&chars[last..at]);
        out.push_str("<image>");
        last = at;
    }
    out.extend(&chars[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::insert_image_tags;

    #[test]
    fn tags() {
        assert_eq!(
            insert_image_tags("abcdef", &[3, 1], 2),
            "a<image>bc<image>def"
        );
        assert_eq!(insert_image_tags("ab", &[0, 0], 2), "<image>\n<image>\nab");
        assert_eq!(insert_image_tags("ab", &[], 1), "<image>\nab");
        assert_eq!(insert_image_tags("ab", &[9, 1], 1), "ab<image>");
        assert_eq!(insert_image_tags("ab", &[5], 0), "ab");
    }
}
