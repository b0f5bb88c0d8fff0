//! The run directory: `config.json` plus `predictions.jsonl`, appended one finished sample at
//! a time and fsynced, so a run killed at any moment loses nothing it finished and `--resume`
//! does every sample exactly once.
//!
//! Records keep the original's keys (`sample_id`, `content`, `ground_truth`, `result`,
//! `usage`), which its tools read; ours adds `status`, `failure`, `timing` and the like, which
//! those tools ignore.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const CONFIG_FILE: &str = "config.json";
pub const PREDICTIONS_FILE: &str = "predictions.jsonl";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} already holds a run with a different configuration (field `{field}`: {existing} vs {requested}); \
         use --resume only with the same settings, or pick another --out directory"
    )]
    ConfigMismatch {
        path: PathBuf,
        field: String,
        existing: String,
        requested: String,
    },
    #[error(
        "{path} already holds results; pass --resume to continue that run, or pick another --out directory"
    )]
    NotEmpty { path: PathBuf },
    #[error("{path}: line {line} is not a prediction record: {reason}")]
    Corrupt {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("run config {path}: {reason}")]
    BadConfig { path: PathBuf, reason: String },
    #[error("cannot merge: {0}")]
    Merge(String),
    #[error("bad shard `{0}`: write it as I/N with 0 <= I < N, e.g. 0/4")]
    Shard(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Why a sample produced no scored answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The dataset record or its files are unusable.
    Data,
    /// The model server failed after retries.
    Llm,
    /// The kernel could not be started or kept alive.
    Kernel,
    /// Perception failed outside the agent's control.
    Perception,
    /// The per-sample wall-clock limit ran out.
    Timeout,
    /// Anything else (a bug): the reason says what.
    Internal,
}

/// One line of `predictions.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    pub sample_id: String,
    /// The agent's final answer text ("" when it had none).
    pub content: String,
    #[serde(default)]
    pub ground_truth: Value,
    /// The per-sample score as the original writes it; absent for failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    #[serde(default)]
    pub usage: Value,
    /// "ok" or "failed" (absent in the original's files: read as ok).
    #[serde(default = "ok_status")]
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// Everything else (timing, steps, termination, category, ...), kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn ok_status() -> String {
    "ok".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    pub kind: FailureKind,
    pub reason: String,
}

impl Prediction {
    pub fn is_failed(&self) -> bool {
        self.status == "failed"
    }

    /// A failed sample: recorded so the run goes on and `--retry-failed` can redo it.
    pub fn failed(
        sample_id: impl Into<String>,
        ground_truth: Value,
        kind: FailureKind,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            sample_id: sample_id.into(),
            content: String::new(),
            ground_truth,
            result: None,
            usage: Value::Null,
            status: "failed".into(),
            failure: Some(Failure {
                kind,
                reason: reason.into(),
            }),
            extra: Map::new(),
        }
    }
}

/// `--shard I/N`: sample k belongs to shard k mod N of the run's ordered sample list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, StoreError> {
        let bad = || StoreError::Shard(s.to_owned());
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (usize, usize) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// This shard's part of `items`, in order. Round-robin keeps shards balanced when long
    /// samples cluster (one video's questions sit next to each other).
    pub fn select<T: Clone>(&self, items: &[T]) -> Vec<T> {
        items
            .iter()
            .enumerate()
            .filter(|(k, _)| k % self.count == self.index)
            .map(|(_, t)| t.clone())
            .collect()
    }
}

/// Keys of `config.json` that may differ between a run and its resumption or its sibling shards.
const VOLATILE_KEYS: &[&str] = &[
    "shard",
    "concurrency",
    "resume",
    "retry_failed",
    "started_at",
    "host",
    "out",
];

fn comparable(config: &Value) -> BTreeMap<String, Value> {
    config
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| !VOLATILE_KEYS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}

fn first_difference(a: &Value, b: &Value) -> Option<(String, String, String)> {
    let (a, b) = (comparable(a), comparable(b));
    let keys: HashSet<&String> = a.keys().chain(b.keys()).collect();
    let mut keys: Vec<&String> = keys.into_iter().collect();
    keys.sort();
    keys.into_iter().find(|k| a.get(*k) != b.get(*k)).map(|k| {
        let show = |v: Option<&Value>| {
            v.map(|v| v.to_string())
                .unwrap_or_else(|| "(absent)".into())
        };
        (k.clone(), show(a.get(k)), show(b.get(k)))
    })
}

/// A run's `config.json` as a JSON object, or an error naming the file and what is wrong with it.
fn parse_config(path: &Path, text: &str) -> Result<Value, StoreError> {
    let bad = |reason: String| StoreError::BadConfig {
        path: path.to_owned(),
        reason: format!(
            "{reason}; it holds the run's settings — restore it (or rerun into another --out \
             directory)"
        ),
    };
    match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(bad("not a JSON object".into())),
        Err(e) => Err(bad(format!("not valid JSON ({e})"))),
    }
}

/// An open run directory.
pub struct RunStore {
    dir: PathBuf,
    file: File,
    done: HashMap<String, Prediction>,
}

impl RunStore {
    /// Open `dir` for a run with `config`. A fresh directory gets the config written; an
    /// existing one must have the same config and `resume` set. A torn last line (the process
    /// was killed mid-write) is cut off, so its sample simply runs again.
    pub fn open(dir: &Path, config: &Value, resume: bool) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let config_path = dir.join(CONFIG_FILE);
        let predictions = dir.join(PREDICTIONS_FILE);
        if config_path.exists() {
            let text = std::fs::read_to_string(&config_path).map_err(io(&config_path))?;
            let existing = parse_config(&config_path, &text)?;
            if let Some((field, existing, requested)) = first_difference(&existing, config) {
                return Err(StoreError::ConfigMismatch {
                    path: dir.to_owned(),
                    field,
                    existing,
                    requested,
                });
            }
            if !resume && predictions.metadata().is_ok_and(|m| m.len() > 0) {
                return Err(StoreError::NotEmpty {
                    path: dir.to_owned(),
                });
            }
        } else {
            write_atomically(
                &config_path,
                &serde_json::to_vec_pretty(config).expect("JSON values serialise"),
            )?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&predictions)
            .map_err(io(&predictions))?;
        let done = read_predictions_repairing(&predictions, &mut file)?;
        Ok(Self {
            dir: dir.to_owned(),
            file,
            done,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Finished samples (including failures) by id, last record winning.
    pub fn done(&self) -> &HashMap<String, Prediction> {
        &self.done
    }

    /// Whether `sample_id` still needs to run (`retry_failed` re-runs failures).
    pub fn needs(&self, sample_id: &str, retry_failed: bool) -> bool {
        match self.done.get(sample_id) {
            None => true,
            Some(p) => retry_failed && p.is_failed(),
        }
    }

    /// Append one finished sample and fsync before returning: once this returns, a crash
    /// cannot lose it.
    pub fn append(&mut self, p: Prediction) -> Result<(), StoreError> {
        let mut line = serde_json::to_vec(&p).expect("predictions serialise");
        line.push(b'\n');
        let path = self.dir.join(PREDICTIONS_FILE);
        self.file.write_all(&line).map_err(io(&path))?;
        self.file.sync_data().map_err(io(&path))?;
        self.done.insert(p.sample_id.clone(), p);
        Ok(())
    }

    /// The final record of every sample, in first-seen order (a retried failure is replaced by
    /// its retry).
    pub fn records(&self) -> Result<Vec<Prediction>, StoreError> {
        read_predictions(&self.dir.join(PREDICTIONS_FILE))
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let tmp = path.with_extension("tmp");
    let mut f = File::create(&tmp).map_err(io(&tmp))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

fn read_predictions_repairing(
    path: &Path,
    file: &mut File,
) -> Result<HashMap<String, Prediction>, StoreError> {
    let mut done = HashMap::new();
    let mut reader = BufReader::new(&mut *file);
    reader.seek(SeekFrom::Start(0)).map_err(io(path))?;
    let mut good_len = 0u64;
    let mut line = String::new();
    let mut n = 0;
    loop {
        line.clear();
        let read = reader.read_line(&mut line).map_err(io(path))?;
        if read == 0 {
            break;
        }
        n += 1;
        if !line.ends_with('\n') {
            break; // a torn last line (killed mid-write): cut below, that sample runs again
        }
        good_len += read as u64;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Prediction>(line.trim_end()) {
            Ok(p) => {
                done.insert(p.sample_id.clone(), p);
            }
            Err(e) => {
                return Err(StoreError::Corrupt {
                    path: path.to_owned(),
                    line: n,
                    reason: e.to_string(),
                });
            }
        }
    }
    let len = file.metadata().map_err(io(path))?.len();
    if good_len < len {
        file.set_len(good_len).map_err(io(path))?;
        file.sync_data().map_err(io(path))?;
    }
    Ok(done)
}

/// Read a predictions file: the last record of each sample, in first-seen order. A torn last
/// line is ignored.
pub fn read_predictions(path: &Path) -> Result<Vec<Prediction>, StoreError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    let mut order: Vec<String> = Vec::new();
    let mut latest: HashMap<String, Prediction> = HashMap::new();
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Prediction>(line.trim_end()) {
            Ok(p) => {
                if !latest.contains_key(&p.sample_id) {
                    order.push(p.sample_id.clone());
                }
                latest.insert(p.sample_id.clone(), p);
            }
            Err(_) if i + 1 == lines.len() && !line.ends_with('\n') => {}
            Err(e) => {
                return Err(StoreError::Corrupt {
                    path: path.to_owned(),
                    line: i + 1,
                    reason: e.to_string(),
                });
            }
        }
    }
    Ok(order
        .into_iter()
        .filter_map(|id| latest.remove(&id))
        .collect())
}

/// Combine shard directories into `out`: configs must agree (apart from the shard itself),
/// and a sample found in two shards must not disagree.
pub fn merge(shards: &[PathBuf], out: &Path) -> Result<Vec<Prediction>, StoreError> {
    let first = shards
        .first()
        .ok_or_else(|| StoreError::Merge("no run directories given".into()))?;
    let read_config = |d: &Path| -> Result<Value, StoreError> {
        let p = d.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&p).map_err(io(&p))?;
        parse_config(&p, &text)
    };
    let config = read_config(first)?;
    let mut merged: Vec<Prediction> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for dir in shards {
        let c = read_config(dir)?;
        if let Some((field, a, b)) = first_difference(&config, &c) {
            return Err(StoreError::Merge(format!(
                "{} and {} were run with different settings (`{field}`: {a} vs {b})",
                first.display(),
                dir.display()
            )));
        }
        for p in read_predictions(&dir.join(PREDICTIONS_FILE))? {
            match seen.get(&p.sample_id) {
                Some(&i)
                    if merged[i].content != p.content
                        && !merged[i].is_failed()
                        && !p.is_failed() =>
                {
                    return Err(StoreError::Merge(format!(
                        "sample {} appears in two runs with different answers; were the shards overlapping?",
                        p.sample_id
                    )));
                }
                Some(&i) if merged[i].is_failed() && !p.is_failed() => merged[i] = p,
                Some(_) => {}
                None => {
                    seen.insert(p.sample_id.clone(), merged.len());
                    merged.push(p);
                }
            }
        }
    }
    let mut config = config;
    if let Some(m) = config.as_object_mut() {
        m.remove("shard");
        m.insert(
            "merged_from".into(),
            shards
                .iter()
                .map(|d| Value::String(d.display().to_string()))
                .collect(),
        );
    }
    let mut store = RunStore::open(out, &config, false)?;
    for p in &merged {
        store.append(p.clone())?;
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pred(id: &str, answer: &str) -> Prediction {
        Prediction {
            sample_id: id.into(),
            content: answer.into(),
            ground_truth: json!("A"),
            result: Some(json!(answer == "A")),
            usage: json!({"calls": 1}),
            status: "ok".into(),
            failure: None,
            extra: Map::new(),
        }
    }

    #[test]
    fn appended_records_survive_reopening_and_a_torn_tail_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = json!({"benchmark": "synth", "model": "m", "shard": "0/1"});
        {
            let mut s = RunStore::open(dir.path(), &cfg, false).unwrap();
            s.append(pred("a", "A")).unwrap();
            s.append(pred("b", "B")).unwrap();
        }
        // A kill mid-write leaves half a line.
        let path = dir.path().join(PREDICTIONS_FILE);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"sample_id\": \"c\", \"cont").unwrap();
        drop(f);
        let err = RunStore::open(dir.path(), &cfg, false).err().unwrap();
        assert!(
            matches!(err, StoreError::NotEmpty { .. }),
            "without --resume an existing run is refused"
        );
        let mut s = RunStore::open(dir.path(), &cfg, true).unwrap();
        assert_eq!(s.done().len(), 2);
        assert!(s.needs("c", false) && !s.needs("a", false));
        s.append(pred("c", "A")).unwrap();
        let records = s.records().unwrap();
        assert_eq!(
            records
                .iter()
                .map(|p| p.sample_id.as_str())
                .collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 3, "the torn line is gone:\n{text}");
    }

    #[test]
    fn resuming_with_other_settings_is_refused_naming_the_field() {
        let dir = tempfile::tempdir().unwrap();
        RunStore::open(
            dir.path(),
            &json!({"benchmark": "synth", "model": "a"}),
            false,
        )
        .unwrap();
        let err = RunStore::open(
            dir.path(),
            &json!({"benchmark": "synth", "model": "b"}),
            true,
        )
        .err()
        .unwrap();
        let msg = err.to_string();
        assert!(
            msg.contains("`model`") && msg.contains("\"a\"") && msg.contains("\"b\""),
            "{msg}"
        );
        // Volatile settings may change.
        RunStore::open(
            dir.path(),
            &json!({"benchmark": "synth", "model": "a", "concurrency": 8}),
            true,
        )
        .unwrap();
    }

    #[test]
    fn failures_are_recorded_and_retried_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = RunStore::open(dir.path(), &json!({}), false).unwrap();
        s.append(Prediction::failed(
            "x",
            json!(1),
            FailureKind::Data,
            "image is truncated",
        ))
        .unwrap();
        assert!(!s.needs("x", false));
        assert!(s.needs("x", true));
        s.append(pred("x", "A")).unwrap();
        let r = s.records().unwrap();
        assert_eq!(r.len(), 1);
        assert!(!r[0].is_failed(), "the retry replaces the failure");
    }

    #[test]
    fn the_originals_records_read_as_successes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(PREDICTIONS_FILE);
        std::fs::write(&path, "{\"sample_id\": 7, \"content\": \"B\", \"ground_truth\": \"B\", \"result\": 1, \"usage\": {}}\n")
            .unwrap_or_default();
        // The original writes string ids; a numeric id is not a valid record and is reported.
        assert!(read_predictions(&path).is_err());
        std::fs::write(&path, "{\"sample_id\": \"7\", \"content\": \"B\", \"ground_truth\": \"B\", \"result\": 1, \"usage\": {}}\n")
            .unwrap();
        let r = read_predictions(&path).unwrap();
        assert_eq!(r[0].status, "ok");
        assert_eq!(r[0].result, Some(json!(1)));
    }

    #[test]
    fn shards_partition_the_samples_and_merge_back() {
        let ids: Vec<String> = (0..10).map(|i| format!("s{i}")).collect();
        let shards: Vec<Shard> = (0..3).map(|i| format!("{i}/3").parse().unwrap()).collect();
        let mut union: Vec<String> = shards.iter().flat_map(|s| s.select(&ids)).collect();
        union.sort();
        let mut all = ids.clone();
        all.sort();
        assert_eq!(union, all, "every sample in exactly one shard");
        assert!(
            "3/3".parse::<Shard>().is_err()
                && "x".parse::<Shard>().is_err()
                && "1/0".parse::<Shard>().is_err()
        );

        let root = tempfile::tempdir().unwrap();
        let mut dirs = Vec::new();
        for s in &shards {
            let d = root.path().join(format!("shard{}", s.index));
            let mut st = RunStore::open(
                &d,
                &json!({"benchmark": "synth", "shard": format!("{}/3", s.index)}),
                false,
            )
            .unwrap();
            for id in s.select(&ids) {
                st.append(pred(&id, "A")).unwrap();
            }
            dirs.push(d);
        }
        let merged = merge(&dirs, &root.path().join("all")).unwrap();
        assert_eq!(merged.len(), 10);
        let odd = root.path().join("odd");
        RunStore::open(&odd, &json!({"benchmark": "vsi"}), false).unwrap();
        let err = merge(&[dirs[0].clone(), odd], &root.path().join("bad"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("different settings"), "{err}");
    }
}
