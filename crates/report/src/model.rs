//! Lenient views of `trajectory.json` (the agent's serialised trajectory record).
//!
//! These mirror `spatialclaw_agent::record` field by field but only *read*: every field has a
//! default, unknown fields are ignored, and enums are kept as strings, so a report opens records
//! written by other versions of the agent. A record that is not JSON at all, or whose fields have
//! the wrong types, is reported on the page with the parser's message.

use serde::Deserialize;
use serde_json::Value;

/// Token usage of one model call or a step's calls.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct UsageView {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub reasoning_tokens: u64,
}

/// Accumulated usage of a session (main loop, planner, reflection, fallbacks, vlm questions).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct UsageStatsView {
    pub calls: u64,
    pub failed_calls: u64,
    pub retries: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub reasoning_tokens: u64,
    pub max_prompt_tokens: u64,
    pub max_completion_tokens: u64,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ImageView {
    pub label: String,
    pub bytes: u64,
    pub png_base64: Option<String>,
    pub dropped: bool,
}

/// A vlm question a cell asked through the host. Not part of the agent record today; read from
/// `trace.jsonl` or a step's `vlm_queries` when a writer provides them.
#[derive(Debug, Clone, Default)]
pub struct VlmQuery {
    pub kind: String,
    pub question: String,
    pub answer: String,
    pub images: Vec<Vec<u8>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StepView {
    pub index: u64,
    pub status: String,
    pub purpose: Option<String>,
    pub reasoning: Option<String>,
    pub next_goal: Option<String>,
    pub tool_call: Option<Value>,
    pub code: Option<String>,
    pub skipped: Option<String>,
    pub feedback: String,
    pub answer: Option<String>,
    pub error: Option<String>,
    pub stdout: String,
    pub images: Vec<ImageView>,
    pub tool_calls: u64,
    pub repairs: u64,
    pub context_trims: u64,
    pub usage: UsageView,
    pub llm_time: f64,
    pub exec_time: f64,
    /// Variable summaries, when the writer records them (`{"new": …, "changed": …}` or a list).
    pub variables: Option<Value>,
    /// vlm questions of this step, when the writer records them here.
    pub vlm_queries: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ChecklistItemView {
    pub id: String,
    pub priority: String,
    pub description: String,
    pub status: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ChecklistView {
    pub items: Vec<ChecklistItemView>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PlanView {
    pub text: Option<String>,
    pub error: Option<String>,
    pub checklist: ChecklistView,
    pub time: f64,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ReflectionView {
    pub after_step: u64,
    pub verdict: String,
    pub explanation: Option<String>,
    pub suggestion: Option<String>,
    pub rejected_answer: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AnswerView {
    pub text: String,
    pub source: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ForcedView {
    pub attempts: Vec<String>,
    pub note: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TimingsView {
    pub total: f64,
    pub planning: f64,
    pub llm: f64,
    pub exec: f64,
    pub reflection: f64,
    pub termination: f64,
}

/// An input picture shown in the report header (a key frame or a reference image).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct InputImageView {
    pub label: Option<String>,
    pub frame_index: Option<i64>,
    pub png_base64: Option<String>,
}

/// The whole record.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TrajectoryView {
    pub task_id: String,
    pub interface: String,
    pub instruction: String,
    pub system_prompt: String,
    pub plan: Option<PlanView>,
    pub steps: Vec<StepView>,
    pub reflections: Vec<ReflectionView>,
    pub answer: Option<AnswerView>,
    pub termination: String,
    pub forced: Option<ForcedView>,
    pub tool_calls: u64,
    pub show_images: u64,
    pub answer_attempts: u64,
    pub images_trimmed: u64,
    pub usage: UsageStatsView,
    pub timings: TimingsView,
    /// Key frames, when the writer embeds them (the agent record itself does not).
    pub key_frames: Vec<InputImageView>,
}

impl TrajectoryView {
    /// Parses a record; the error is the parser's message, shown on the page.
    pub fn parse(bytes: &[u8]) -> Result<TrajectoryView, String> {
        serde_json::from_slice(bytes).map_err(|e| e.to_string())
    }
}

fn str_field<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a str> {
    keys.iter().find_map(|k| v.get(*k).and_then(Value::as_str))
}

/// Reads vlm queries from a JSON list in either our shape or the original trace's
/// (`type`/`query_type`, `question`/`prompt`, `answer`/`response`, `images` as base64).
pub fn vlm_queries_from(list: &Value) -> Vec<VlmQuery> {
    let Some(items) = list.as_array() else {
        return Vec::new();
    };
    items
        .iter()
        .map(|q| VlmQuery {
            kind: str_field(q, &["kind", "type", "query_type"])
                .unwrap_or("vlm")
                .to_owned(),
            question: str_field(q, &["question", "prompt", "query"])
                .unwrap_or_default()
                .to_owned(),
            answer: str_field(q, &["answer", "response", "result"])
                .unwrap_or_default()
                .to_owned(),
            images: q
                .get("images")
                .and_then(Value::as_array)
                .map(|imgs| {
                    imgs.iter()
                        .filter_map(|i| {
                            i.as_str()
                                .or_else(|| str_field(i, &["png_base64", "data"]))
                                .and_then(crate::html::decode_base64)
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}
