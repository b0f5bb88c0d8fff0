//! Reading run directories written by `spatialclaw run` (or the original's `run.py`).
//!
//! Reading is forgiving: a missing `results_summary.json` (an unfinished run), a corrupt config or
//! a bad line in `predictions.jsonl` become notes on the dashboard, not errors, because the point
//! of a report is to look at runs that went wrong. Only a directory with neither a config nor
//! predictions is refused.

use std::path::{Path, PathBuf};

use serde_json::Value;
use spatialclaw_evals::store::{CONFIG_FILE, PREDICTIONS_FILE, Prediction};

use crate::error::ReportError;

/// The benchmark's headline, as the original writes it.
pub const SUMMARY_FILE: &str = "results_summary.json";

/// One run directory, read.
#[derive(Debug, Clone)]
pub struct RunData {
    pub dir: PathBuf,
    /// `config.json` (Null when missing or unreadable).
    pub config: Value,
    /// The last record of each sample, in first-seen order.
    pub predictions: Vec<Prediction>,
    /// `results_summary.json`, when the run finished.
    pub summary: Option<Value>,
    pub benchmark: String,
    pub model: String,
    pub interface: String,
    /// Non-fatal problems found while reading, shown on the dashboard.
    pub problems: Vec<String>,
}

fn config_str(config: &Value, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match config.get(*k) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Object(o)) => ["name", "model", "llm_model", "id"]
            .iter()
            .find_map(|n| o.get(*n).and_then(Value::as_str).map(str::to_owned)),
        _ => None,
    })
}

/// A model name as people say it: the last path segment of `org/name` or a local path.
fn short_model(name: &str) -> String {
    name.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(name)
        .trim_end_matches(".json")
        .to_owned()
}

impl RunData {
    /// The folder of one sample's session files: `sessions/<id>` (ours) or `session-<id>`
    /// (the original's layout). `None` when neither exists or the id is not a safe file name.
    pub fn session_dir(&self, sample_id: &str) -> Option<PathBuf> {
        if sample_id.is_empty()
            || sample_id.contains(['/', '\\'])
            || sample_id == "."
            || sample_id == ".."
        {
            return None;
        }
        [
            self.dir.join("sessions").join(sample_id),
            self.dir.join(format!("session-{sample_id}")),
        ]
        .into_iter()
        .find(|p| p.is_dir())
    }

    /// "benchmark · model · interface", for headings.
    pub fn label(&self) -> String {
        format!("{} · {} · {}", self.benchmark, self.model, self.interface)
    }
}

/// Reads one run directory.
pub fn load_run(dir: &Path) -> Result<RunData, ReportError> {
    let config_path = dir.join(CONFIG_FILE);
    let predictions_path = dir.join(PREDICTIONS_FILE);
    if !config_path.is_file() && !predictions_path.is_file() {
        return Err(ReportError::NotARun {
            path: dir.to_owned(),
        });
    }
    let mut problems = Vec::new();
    let config = match std::fs::read(&config_path) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            problems.push(format!("{CONFIG_FILE} is not valid JSON: {e}"));
            Value::Null
        }),
        Err(e) => {
            problems.push(format!("{CONFIG_FILE}: {e}"));
            Value::Null
        }
    };
    let predictions = match std::fs::read(&predictions_path) {
        Ok(bytes) => parse_predictions(&String::from_utf8_lossy(&bytes), &mut problems),
        Err(e) => {
            problems.push(format!("{PREDICTIONS_FILE}: {e}"));
            Vec::new()
        }
    };
    let summary = match std::fs::read(dir.join(SUMMARY_FILE)) {
        Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
            Ok(v) if v.is_object() => Some(v),
            Ok(_) => {
                problems.push(format!("{SUMMARY_FILE} is not a JSON object"));
                None
            }
            Err(e) => {
                problems.push(format!("{SUMMARY_FILE} is not valid JSON: {e}"));
                None
            }
        },
        Err(_) => None,
    };
    let from_records = |key: &str| {
        predictions
            .iter()
            .find_map(|p| p.extra.get(key).and_then(Value::as_str).map(str::to_owned))
    };
    let benchmark = config_str(&config, &["benchmark", "benchmark_name"])
        .or_else(|| from_records("benchmark"))
        .or_else(|| {
            config_str(&config, &["dataset"]).map(|d| {
                Path::new(&d)
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or(d)
            })
        })
        .unwrap_or_else(|| "unknown".into());
    let model = config_str(&config, &["model", "llm_model", "model_name"])
        .map(|m| short_model(&m))
        .unwrap_or_else(|| "unknown".into());
    let interface =
        config_str(&config, &["interface", "executor_type"]).unwrap_or_else(|| "unknown".into());
    Ok(RunData {
        dir: dir.to_owned(),
        config,
        predictions,
        summary,
        benchmark,
        model,
        interface,
        problems,
    })
}

/// Last record per sample in first-seen order; unreadable lines are noted and skipped.
fn parse_predictions(text: &str, problems: &mut Vec<String>) -> Vec<Prediction> {
    let mut out: Vec<Prediction> = Vec::new();
    let mut index = std::collections::HashMap::new();
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Prediction>(line.trim_end()) {
            Ok(p) => match index.get(&p.sample_id) {
                Some(&k) => out[k] = p,
                None => {
                    index.insert(p.sample_id.clone(), out.len());
                    out.push(p);
                }
            },
            // A torn last line is a run still being written (or killed): not worth a warning.
            Err(_) if i + 1 == lines.len() && !line.ends_with('\n') => {}
            Err(e) => problems.push(format!("{PREDICTIONS_FILE} line {}: {e}", i + 1)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_are_shortened() {
        assert_eq!(
            short_model("Qwen/Qwen3-VL-8B-Instruct"),
            "Qwen3-VL-8B-Instruct"
        );
        assert_eq!(short_model("configs/models/gpt.json"), "gpt");
    }

    #[test]
    fn bad_lines_are_noted_and_the_last_record_wins() {
        let mut problems = Vec::new();
        let text = "{\"sample_id\":\"a\",\"content\":\"x\"}\nnot json\n{\"sample_id\":\"a\",\"content\":\"y\"}\n{\"sample_id\":\"b\",\"co";
        let p = parse_predictions(text, &mut problems);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].content, "y");
        assert_eq!(problems.len(), 1, "{problems:?}");
    }
}
