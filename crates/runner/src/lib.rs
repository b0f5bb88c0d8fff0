//! Batch runs: every selected sample of a benchmark through the agent, concurrently, with
//! results appended and fsynced one sample at a time so a killed run resumes without losing
//! or repeating work.
//!
//! Layout of a run directory (compatible with the original's tools): `config.json`,
//! `predictions.jsonl`, `results_summary.json`, and per sample `sessions/<id>/trajectory.json`,
//! `trace.jsonl` and `session_report.html`.

pub mod compare;
pub mod model;
pub mod prepare;
pub mod progress;
pub mod select;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use spatialclaw_agent::{AgentConfig, Interface, SampleHost, Trajectory, VlmAccess};
use spatialclaw_evals::loaders::{self, LoadOptions, LoadedSample, Sample};
use spatialclaw_evals::rescore::{Predictions, Selection as RescoreSelection, rescore};
use spatialclaw_evals::scoring::benchmarks::benchmark;
use spatialclaw_evals::store::{FailureKind, Prediction, RunStore, Shard, StoreError};
use spatialclaw_evals::video::{ExtractOptions, Ffmpeg};
use spatialclaw_kernel::{KernelPool, KernelSession, PythonEnv, SessionOptions};
use spatialclaw_perception::{Backend, SyntheticBackend};

pub use model::{Model, ModelSpec};
pub use progress::{Progress, ProgressLine};
pub use select::Selection;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Load(#[from] loaders::LoadError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Setup(String),
    #[error("no scorer for benchmark `{0}`")]
    NoScorer(String),
}

/// Everything that defines a run; written to `config.json`. Fields listed in the store's
/// volatile keys (shard, concurrency, ...) may change between a run and its resumption.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunConfig {
    pub benchmark: String,
    pub data_root: PathBuf,
    pub model: String,
    pub interface: Interface,
    #[serde(flatten)]
    pub selection: Selection,
    pub max_steps: usize,
    pub num_key_frames: usize,
    pub video_max_fps: Option<f64>,
    pub cell_timeout_sec: f64,
    /// Wall-clock limit of one sample (kernel start, agent, scoring).
    pub sample_timeout_sec: f64,
    pub perception: String,
    pub planning: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    pub concurrency: usize,
}

/// Keys `config.json` may hold besides [`RunConfig`]'s own: written by `merge`, or by tools that
/// record how a run was started.
const RUN_CONFIG_EXTRA_KEYS: [&str; 7] = [
    "merged_from",
    "resume",
    "retry_failed",
    "started_at",
    "host",
    "out",
    "shard",
];

/// Every key [`RunConfig`] reads (the selection's are flattened into it).
const RUN_CONFIG_KEYS: [&str; 16] = [
    "benchmark",
    "data_root",
    "model",
    "interface",
    "sample_ids",
    "subsample",
    "limit",
    "max_steps",
    "num_key_frames",
    "video_max_fps",
    "cell_timeout_sec",
    "sample_timeout_sec",
    "perception",
    "planning",
    "shard",
    "concurrency",
];

impl RunConfig {
    /// Reads a run's `config.json`. Errors name the file and the field: an unknown field (a typo
    /// would otherwise be ignored silently), a value of the wrong type, a missing field.
    pub fn parse(text: &str, path: &Path) -> Result<RunConfig, String> {
        let at = path.display();
        let value: Value = serde_json::from_str(text)
            .map_err(|e| format!("run config {at} is not valid JSON: {e}"))?;
        let Some(obj) = value.as_object() else {
            return Err(format!(
                "run config {at} must be a JSON object of run settings (benchmark, model, ...)"
            ));
        };
        if let Some(unknown) = obj.keys().find(|k| {
            !RUN_CONFIG_KEYS.contains(&k.as_str()) && !RUN_CONFIG_EXTRA_KEYS.contains(&k.as_str())
        }) {
            return Err(format!(
                "run config {at}: unknown field `{unknown}`; the fields are {}",
                RUN_CONFIG_KEYS.join(", ")
            ));
        }
        serde_path_to_error::deserialize::<_, RunConfig>(value).map_err(|e| {
            let field = e.path().to_string();
            if field == "." || field.is_empty() {
                format!("run config {at}: {}", e.inner())
            } else {
                format!("run config {at}: field `{field}`: {}", e.inner())
            }
        })
    }
}

/// What the caller wires in: the kernel's environment, the model, the perception backend.
pub struct RunContext {
    pub env: PythonEnv,
    pub model: Model,
    pub backend: Arc<dyn Backend>,
    /// Set when `backend` serves SynthSpatial ground truth: each sample's frames are
    /// re-rendered and registered with it before the agent starts.
    pub synthetic: Option<Arc<SyntheticBackend>>,
}

/// Totals of a finished (or resumed) run.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub total: usize,
    pub ran_now: usize,
    pub skipped_done: usize,
    pub failed: usize,
    pub summary: Value,
}

fn safe_name(id: &str) -> String {
    let s: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with('.') {
        format!("_{s}")
    } else {
        s
    }
}

struct Shared {
    config: RunConfig,
    ctx: RunContext,
    pool: KernelPool,
    store: Mutex<RunStore>,
    progress: Mutex<Box<dyn Progress + Send>>,
    ffmpeg: Option<Ffmpeg>,
    extract: ExtractOptions,
    out: PathBuf,
}

/// Run (or resume) `config` into `out`.
pub async fn run(
    config: RunConfig,
    ctx: RunContext,
    out: &Path,
    resume: bool,
    retry_failed: bool,
    progress: Box<dyn Progress + Send>,
) -> Result<RunSummary, RunError> {
    benchmark(&config.benchmark).ok_or_else(|| RunError::NoScorer(config.benchmark.clone()))?;
    let spec = loaders::lookup(&config.benchmark)?;
    let loaded = spec.load(&config.data_root, &LoadOptions::default())?;
    let shard: Option<Shard> = config.shard.as_deref().map(str::parse).transpose()?;
    let selected = select::select(loaded, &config.selection, shard);
    let store = RunStore::open(
        out,
        &serde_json::to_value(&config).expect("config serialises"),
        resume,
    )?;
    let todo: Vec<LoadedSample> = selected
        .iter()
        .filter(|s| {
            store.needs(
                match s {
                    Ok(s) => &s.id,
                    Err(e) => &e.id,
                },
                retry_failed,
            )
        })
        .cloned()
        .collect();
    let skipped_done = selected.len() - todo.len();

    let pool = KernelPool::new(&ctx.env).map_err(|e| RunError::Setup(e.to_string()))?;
    let mut extract = ExtractOptions::new(config.video_max_fps.or(spec.frames.video_max_fps));
    extract.timeout = Duration::from_secs(600);
    let ffmpeg = Ffmpeg::locate().ok();
    let shared = Arc::new(Shared {
        config: config.clone(),
        ctx,
        pool,
        store: Mutex::new(store),
        progress: Mutex::new(progress),
        ffmpeg,
        extract,
        out: out.to_owned(),
    });
    shared
        .progress
        .lock()
        .unwrap()
        .start(selected.len(), skipped_done);

    let limit = Arc::new(tokio::sync::Semaphore::new(config.concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for item in todo {
        let permit = limit
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore is never closed");
        let worker = shared.clone();
        tasks.spawn(async move {
            let _permit = permit;
            let shared = worker;
            let (id, truth) = match &item {
                Ok(s) => (s.id.clone(), json!(s.answer)),
                Err(e) => (e.id.clone(), Value::Null),
            };
            // A panic while running a sample (a bug) still leaves a record, so the sample is
            // neither lost from this run nor silently missing from its summary.
            let inner = shared.clone();
            let record = match tokio::spawn(async move { run_one(&inner, item).await }).await {
                Ok(record) => record,
                Err(e) => Ok(Prediction::failed(
                    id,
                    truth,
                    FailureKind::Internal,
                    format!("the sample's task failed: {}", panic_text(e)),
                )),
            };
            let ok = record.as_ref().map(|p| !p.is_failed()).unwrap_or(false);
            let stored = record.and_then(|p| {
                let score = p.extra.get("score").and_then(Value::as_f64);
                let tokens = p
                    .usage
                    .get("prompt_tokens")
                    .and_then(Value::as_u64)
                    .unwrap_or(0)
                    + p.usage
                        .get("completion_tokens")
                        .and_then(Value::as_u64)
                        .unwrap_or(0);
                let dir = shared.out.join("sessions").join(safe_name(&p.sample_id));
                shared.store.lock().unwrap().append(p.clone())?;
                // After the record is safe: the page shows its verdict. A report that cannot be
                // written is reported, never a reason to lose the sample.
                if dir.is_dir()
                    && let Err(e) =
                        spatialclaw_report::write_session_report(&dir, &p.sample_id, Some(&p))
                {
                    let msg = format!("{}: session report: {e}", dir.display());
                    shared.progress.lock().unwrap().message(&msg);
                }
                Ok((score, tokens))
            });
            match stored {
                Ok((score, tokens)) => shared
                    .progress
                    .lock()
                    .unwrap()
                    .sample_done(ok, score, tokens),
                Err(e) => shared
                    .progress
                    .lock()
                    .unwrap()
                    .message(&format!("could not record a sample: {e}")),
            }
        });
        // Reap finished tasks as we go so a long run does not hold every handle.
        while let Some(res) = tasks.try_join_next() {
            if let Err(e) = res {
                shared
                    .progress
                    .lock()
                    .unwrap()
                    .message(&format!("a sample task panicked: {e}"));
            }
        }
    }
    while let Some(res) = tasks.join_next().await {
        if let Err(e) = res {
            shared
                .progress
                .lock()
                .unwrap()
                .message(&format!("a sample task panicked: {e}"));
        }
    }
    shared.progress.lock().unwrap().finish();

    // The summary covers every selected sample, including those finished by earlier runs.
    let records = shared.store.lock().unwrap().records()?;
    let failed = records.iter().filter(|p| p.is_failed()).count();
    let summary = write_summary(&config.benchmark, &selected, &records, out)?;
    Ok(RunSummary {
        total: selected.len(),
        ran_now: selected.len() - skipped_done,
        skipped_done,
        failed,
        summary,
    })
}

/// Score `records` against the selected samples and write `results_summary.json` (the
/// original's keys, plus failure counts).
pub fn write_summary(
    benchmark_name: &str,
    selected: &[LoadedSample],
    records: &[Prediction],
    out: &Path,
) -> Result<Value, RunError> {
    let bench =
        benchmark(benchmark_name).ok_or_else(|| RunError::NoScorer(benchmark_name.to_owned()))?;
    let by_id = records
        .iter()
        .map(|p| (p.sample_id.clone(), p.content.clone()))
        .collect();
    let preds = Predictions {
        by_id,
        malformed: Vec::new(),
    };
    let rescored = rescore(
        bench,
        selected,
        &preds,
        RescoreSelection {
            all: true,
            subsample: None,
            seed: 42,
        },
    )
    .map_err(|e| RunError::Setup(format!("scoring failed: {e}")))?;
    let mut summary = Value::Object(rescored.summary.fields.clone());
    summary["benchmark"] = json!(benchmark_name);
    summary["failed_samples"] = json!(records.iter().filter(|p| p.is_failed()).count());
    summary["load_errors"] = json!(rescored.load_errors.len());
    let path = out.join("results_summary.json");
    std::fs::write(
        &path,
        serde_json::to_vec_pretty(&summary).expect("summary serialises"),
    )
    .map_err(|e| RunError::Setup(format!("{}: {e}", path.display())))?;
    Ok(summary)
}

/// Recompute `results_summary.json` of a run directory (after `merge`) from its config.
pub fn summarize_dir(dir: &Path) -> Result<Value, RunError> {
    let cfg_path = dir.join(spatialclaw_evals::store::CONFIG_FILE);
    let text = std::fs::read_to_string(&cfg_path)
        .map_err(|e| RunError::Setup(format!("{}: {e}", cfg_path.display())))?;
    let config = RunConfig::parse(&text, &cfg_path).map_err(RunError::Setup)?;
    // Loaded as the run loaded it: a sample whose files are missing stays a load error.
    let loaded =
        loaders::lookup(&config.benchmark)?.load(&config.data_root, &LoadOptions::default())?;
    let selected = select::select(loaded, &config.selection, None);
    let records = spatialclaw_evals::store::read_predictions(
        &dir.join(spatialclaw_evals::store::PREDICTIONS_FILE),
    )?;
    write_summary(&config.benchmark, &selected, &records, dir)
}

/// One sample, start to finish. Returns the record to append; every failure becomes a record
/// with a kind and a reason, never a lost sample.
async fn run_one(shared: &Shared, item: LoadedSample) -> Result<Prediction, StoreError> {
    let sample = match item {
        Ok(s) => s,
        Err(e) => {
            return Ok(Prediction::failed(
                e.id,
                Value::Null,
                FailureKind::Data,
                e.reason,
            ));
        }
    };
    let started = Instant::now();
    let limit = Duration::from_secs_f64(shared.config.sample_timeout_sec.max(1.0));
    let outcome = tokio::time::timeout(limit, attempt(shared, &sample)).await;
    let mut record = match outcome {
        Ok(Ok((trajectory, record, key_frames))) => {
            write_session_files(shared, &sample, &trajectory, &key_frames);
            record
        }
        Ok(Err((kind, reason))) => {
            Prediction::failed(&sample.id, json!(sample.answer), kind, reason)
        }
        Err(_) => Prediction::failed(
            &sample.id,
            json!(sample.answer),
            FailureKind::Timeout,
            format!(
                "the sample ran past its {:.0}s wall-clock limit",
                limit.as_secs_f64()
            ),
        ),
    };
    record
        .extra
        .insert("benchmark".into(), json!(shared.config.benchmark));
    record
        .extra
        .insert("category".into(), json!(sample.question_type));
    record.extra.insert(
        "timing".into(),
        json!({"wall_s": started.elapsed().as_secs_f64()}),
    );
    Ok(record)
}

type Attempt = (Trajectory, Prediction, Vec<spatialclaw_agent::KeyFrame>);

async fn attempt(shared: &Shared, sample: &Sample) -> Result<Attempt, (FailureKind, String)> {
    if let Some(synthetic) = &shared.ctx.synthetic {
        register_synth_frames(synthetic, sample).map_err(|r| (FailureKind::Perception, r))?;
    }
    let media = shared.out.join("media").join(safe_name(&sample.id));
    let prepared = prepare::prepare(
        sample,
        &media,
        &shared.extract,
        shared.ffmpeg.as_ref(),
        shared.config.num_key_frames,
    )
    .map_err(|r| (FailureKind::Data, r))?;
    let config = AgentConfig {
        interface: shared.config.interface,
        max_steps: shared.config.max_steps,
        planning: shared.config.planning,
        cell_timeout: Duration::from_secs_f64(shared.config.cell_timeout_sec.max(1.0)),
        roles: shared.ctx.model.roles.clone(),
        ..Default::default()
    };
    let llm = &shared.ctx.model.client;
    let trajectory = if config.interface == Interface::NoTool {
        let t = spatialclaw_agent::cot::run_no_tool(&prepared.task, &config, llm).await;
        // The baseline is one model call: when that call failed there is no answer to score,
        // and the failure is the model server's, not the method's.
        if let Some(e) = t.steps.first().and_then(|s| s.skipped.as_ref())
            && t.answer.is_none()
        {
            return Err((FailureKind::Llm, e.clone()));
        }
        t
    } else {
        let mut session =
            KernelSession::start_in(&shared.pool, prepared.inputs, SessionOptions::default())
                .await
                .map_err(|e| (FailureKind::Kernel, e.to_string()))?;
        let host = SampleHost {
            backend: shared.ctx.backend.clone(),
            vlm: Some(VlmAccess::new(
                llm.clone(),
                &config.roles,
                &config.ablations,
            )),
            session_id: sample.id.clone(),
        };
        let t = spatialclaw_agent::run(&prepared.task, &config, llm, &mut session, &host, &mut ())
            .await
            .map_err(|e| {
                // The usage of an abandoned sample is not reported; drop it from the ledger.
                let _ = llm.take_usage(&sample.id);
                (agent_failure_kind(&e), e.to_string())
            });
        session.shutdown().await;
        t?
    };
    let answer = trajectory.answer_text().unwrap_or("").to_owned();
    let bench = benchmark(&shared.config.benchmark).expect("checked at start");
    let scored = bench
        .score(&sample.scoring(&answer))
        .map_err(|e| (FailureKind::Data, format!("scoring: {e}")))?;
    let mut record = Prediction {
        sample_id: sample.id.clone(),
        content: answer,
        ground_truth: json!(sample.answer),
        result: scored.result.map(|r| json!(r)),
        usage: serde_json::to_value(trajectory.usage).unwrap_or(Value::Null),
        status: "ok".into(),
        failure: None,
        extra: Default::default(),
    };
    record.extra.insert("score".into(), json!(scored.score));
    record
        .extra
        .insert("extracted".into(), json!(scored.extracted));
    record
        .extra
        .insert("steps".into(), json!(trajectory.steps.len()));
    record
        .extra
        .insert("termination".into(), json!(trajectory.termination.as_str()));
    record
        .extra
        .insert("tool_calls".into(), json!(trajectory.tool_calls));
    Ok((trajectory, record, prepared.task.key_frames))
}

/// The message of a panicked task, for its failure record.
fn panic_text(e: tokio::task::JoinError) -> String {
    if !e.is_panic() {
        return e.to_string();
    }
    let payload = e.into_panic();
    let msg = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into());
    format!("panicked: {msg}")
}

/// Which part of the system an agent error blames (the record's failure kind).
fn agent_failure_kind(e: &spatialclaw_agent::AgentError) -> FailureKind {
    use spatialclaw_agent::AgentError;
    match e {
        AgentError::Kernel(_) => FailureKind::Kernel,
        AgentError::Unavailable { service: "llm", .. } => FailureKind::Llm,
        AgentError::Unavailable {
            service: "perception",
            ..
        } => FailureKind::Perception,
        AgentError::Unavailable { .. } => FailureKind::Internal,
    }
}

/// Re-render a SynthSpatial sample's frames (exact depth and instance ids) for the synthetic
/// backend; the renderer checks them against the hashes stored with the dataset.
fn register_synth_frames(backend: &SyntheticBackend, sample: &Sample) -> Result<(), String> {
    let dir = sample
        .truth
        .get("dir")
        .and_then(Value::as_str)
        .ok_or("not a SynthSpatial sample (no `dir` in its truth)")?;
    let loaded =
        spatialclaw_synth::dataset::read_sample(Path::new(dir)).map_err(|e| e.to_string())?;
    for (scene, frame) in loaded.render().map_err(|e| e.to_string())? {
        backend.register(&scene, &frame);
    }
    Ok(())
}

/// Per-sample files: the full trajectory and a line-per-step trace. Best effort: a failed
/// write is reported but never loses the prediction itself.
fn write_session_files(
    shared: &Shared,
    sample: &Sample,
    trajectory: &Trajectory,
    key_frames: &[spatialclaw_agent::KeyFrame],
) {
    let dir = shared.out.join("sessions").join(safe_name(&sample.id));
    let result = (|| -> std::io::Result<()> {
        std::fs::create_dir_all(dir.join("inputs"))?;
        // The key frames the model saw, for the report's header.
        for (k, f) in key_frames.iter().enumerate() {
            let ext = if f.image.mime().as_str().ends_with("png") {
                "png"
            } else {
                "jpg"
            };
            let name = format!("key_{k:02}_frame_{}.{ext}", f.frame_index);
            std::fs::write(dir.join("inputs").join(name), f.image.bytes())?;
        }
        std::fs::write(dir.join("trajectory.json"), serde_json::to_vec(trajectory)?)?;
        let mut trace = Vec::new();
        let slim = trajectory.without_images();
        for step in &slim.steps {
            serde_json::to_writer(&mut trace, &json!({"event": "step", "step": step}))?;
            trace.push(b'\n');
        }
        serde_json::to_writer(
            &mut trace,
            &json!({"event": "end", "answer": slim.answer, "termination": slim.termination.as_str(), "usage": slim.usage}),
        )?;
        trace.push(b'\n');
        std::fs::write(dir.join("trace.jsonl"), trace)
    })();
    if let Err(e) = result {
        shared.progress.lock().unwrap().message(&format!(
            "{}: could not write session files: {e}",
            dir.display()
        ));
    }
}

#[cfg(test)]
mod run_config_tests {
    use super::*;

    fn config() -> RunConfig {
        RunConfig {
            benchmark: "omnispatial".into(),
            data_root: "data".into(),
            model: "m.json".into(),
            interface: Interface::default(),
            selection: Selection {
                sample_ids: vec!["a".into()],
                subsample: Some(3),
                limit: Some(2),
            },
            max_steps: 30,
            num_key_frames: 32,
            video_max_fps: None,
            cell_timeout_sec: 600.0,
            sample_timeout_sec: 3600.0,
            perception: "none".into(),
            planning: true,
            shard: Some("0/2".into()),
            concurrency: 4,
        }
    }

    /// The known-key list keeps up with the struct: every key a run writes reads back.
    #[test]
    fn every_written_key_is_known_and_reads_back() {
        let value = serde_json::to_value(config()).unwrap();
        for key in value.as_object().unwrap().keys() {
            assert!(RUN_CONFIG_KEYS.contains(&key.as_str()), "{key} missing");
        }
        let back = RunConfig::parse(&value.to_string(), Path::new("c.json")).unwrap();
        assert_eq!(back.selection, config().selection);
        let mut typo = value.clone();
        typo["planing"] = json!(true);
        let e = RunConfig::parse(&typo.to_string(), Path::new("c.json")).unwrap_err();
        assert!(e.contains("c.json: unknown field `planing`"), "{e}");
        let mut wrong = value;
        wrong["concurrency"] = json!(-1);
        let e = RunConfig::parse(&wrong.to_string(), Path::new("c.json")).unwrap_err();
        assert!(e.contains("field `concurrency`"), "{e}");
    }
}
