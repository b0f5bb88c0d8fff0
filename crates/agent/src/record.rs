//! The trajectory: everything a report needs later, serialisable as one JSON record.
//!
//! Images are kept as bytes (reports embed them) and serialised as base64; call
//! [`Trajectory::without_images`] for a compact record.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use serde::{Serialize, Serializer};
use spatialclaw_kernel::ExecOutcome;
use spatialclaw_llm::{Usage, UsageStats};

use crate::config::Interface;
use crate::plan::Checklist;

fn secs<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0).round() / 1000.0)
}

fn b64<S: Serializer>(bytes: &Option<Arc<[u8]>>, s: S) -> Result<S::Ok, S::Error> {
    match bytes {
        Some(b) => s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(b)),
        None => s.serialize_none(),
    }
}

/// A picture the model saw (a show() image of a step).
#[derive(Debug, Clone, Serialize)]
pub struct ImageRecord {
    pub label: String,
    pub bytes: usize,
    /// PNG bytes; `None` after [`Trajectory::without_images`].
    #[serde(serialize_with = "b64", rename = "png_base64")]
    pub png: Option<Arc<[u8]>>,
    /// Left out of the model's view by the session's show() budget.
    pub dropped: bool,
}

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// The cell ran without an error.
    Success,
    /// The cell ran and raised (or was interrupted, or the kernel died).
    Error,
    /// The lint refused the cell; nothing ran.
    Rejected,
    /// No usable reply (format errors after the repair, or the model call failed).
    Skipped,
}

/// One iteration of the loop.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub index: usize,
    pub status: StepStatus,
    pub purpose: Option<String>,
    pub reasoning: Option<String>,
    pub next_goal: Option<String>,
    /// The tool call as the model wrote it (react interface).
    pub tool_call: Option<serde_json::Value>,
    /// The code sent to the kernel (for react: the translation of the tool call).
    pub code: Option<String>,
    /// Why no code ran (model error, format error, lint rejection).
    pub skipped: Option<String>,
    /// The feedback text the model read after this step.
    pub feedback: String,
    /// The answer submitted by this step's cell.
    pub answer: Option<String>,
    pub error: Option<String>,
    pub stdout: String,
    pub images: Vec<ImageRecord>,
    /// Host requests (perception + vlm) made by this step's cell.
    pub tool_calls: usize,
    /// Format repairs requested within this step.
    pub repairs: usize,
    /// Times the history was trimmed to fit the context window during this step's model call.
    pub context_trims: usize,
    /// Main-model usage of this step (repairs and retries after trimming included).
    pub usage: Usage,
    #[serde(serialize_with = "secs")]
    pub llm_time: Duration,
    #[serde(serialize_with = "secs")]
    pub exec_time: Duration,
    /// The raw kernel outcome (not serialised: the fields above carry what reports use).
    #[serde(skip)]
    pub outcome: Option<ExecOutcome>,
}

impl Step {
    pub(crate) fn new(index: usize) -> Step {
        Step {
            index,
            status: StepStatus::Skipped,
            purpose: None,
            reasoning: None,
            next_goal: None,
            tool_call: None,
            code: None,
            skipped: None,
            feedback: String::new(),
            answer: None,
            error: None,
            stdout: String::new(),
            images: Vec::new(),
            tool_calls: 0,
            repairs: 0,
            context_trims: 0,
            usage: Usage::default(),
            llm_time: Duration::ZERO,
            exec_time: Duration::ZERO,
            outcome: None,
        }
    }
}

/// The blind planner's output.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PlanRecord {
    pub text: Option<String>,
    /// Why there is no plan when the planner failed.
    pub error: Option<String>,
    pub checklist: Checklist,
    #[serde(serialize_with = "secs")]
    pub time: Duration,
}

/// One reflection call.
#[derive(Debug, Clone, Serialize)]
pub struct ReflectionRecord {
    /// The step it followed.
    pub after_step: usize,
    /// `ok`, `concern`, or `none` (no usable verdict: truncated, unparsable, failed call).
    pub verdict: String,
    pub explanation: Option<String>,
    pub suggestion: Option<String>,
    /// An answer was pending and this reflection rejected it.
    pub rejected_answer: Option<String>,
    /// What was appended to the agent's history, if anything.
    pub message: Option<String>,
}

/// Why the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Termination {
    /// The agent submitted an answer (and reflection, when on, accepted it).
    Answered,
    MaxSteps,
    MaxFailures,
    MaxToolCalls,
    /// The no-tool baseline finished its single call.
    SingleCall,
}

impl Termination {
    pub fn as_str(self) -> &'static str {
        match self {
            Termination::Answered => "completed",
            Termination::MaxSteps => "max_steps",
            Termination::MaxFailures => "max_failures",
            Termination::MaxToolCalls => "max_tool_calls",
            Termination::SingleCall => "single_call",
        }
    }
}

/// Where the final answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerSource {
    /// `ReturnAnswer(...)` in a cell.
    Submitted,
    /// The last answer reflection rejected, used at forced termination.
    LastRejected,
    /// The chain-of-thought call over the key frames (or the no-tool baseline).
    ChainOfThought,
    /// Pattern salvage from the recent conversation or an `answer` variable's value.
    Salvaged,
}

#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub text: String,
    pub source: AnswerSource,
}

/// The forced-termination node's account.
#[derive(Debug, Clone, Serialize)]
pub struct ForcedTermination {
    /// The fallbacks tried, in order, with their result ("cot: no boxed answer", …).
    pub attempts: Vec<String>,
    /// The closing note (counters and the best guess).
    pub note: String,
}

/// Wall-clock time spent per phase.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Timings {
    #[serde(serialize_with = "secs")]
    pub total: Duration,
    #[serde(serialize_with = "secs")]
    pub planning: Duration,
    #[serde(serialize_with = "secs")]
    pub llm: Duration,
    #[serde(serialize_with = "secs")]
    pub exec: Duration,
    #[serde(serialize_with = "secs")]
    pub reflection: Duration,
    #[serde(serialize_with = "secs")]
    pub termination: Duration,
}

/// The result of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Trajectory {
    pub task_id: String,
    pub interface: Interface,
    pub instruction: String,
    pub system_prompt: String,
    pub plan: Option<PlanRecord>,
    pub steps: Vec<Step>,
    pub reflections: Vec<ReflectionRecord>,
    pub answer: Option<Answer>,
    pub termination: Termination,
    pub forced: Option<ForcedTermination>,
    /// Host requests made by cells over the run.
    pub tool_calls: usize,
    pub show_images: usize,
    pub answer_attempts: usize,
    /// Images replaced by placeholders to fit the context window.
    pub images_trimmed: usize,
    /// Every call booked under the task id: main loop, planner, reflection, fallbacks, and the
    /// vlm questions cells asked through the host.
    pub usage: UsageStats,
    pub timings: Timings,
}

impl Trajectory {
    /// The answer text, if any.
    pub fn answer_text(&self) -> Option<&str> {
        self.answer.as_ref().map(|a| a.text.as_str())
    }

    /// The same record with image bytes dropped (labels and sizes stay).
    pub fn without_images(&self) -> Trajectory {
        let mut t = self.clone();
        for s in &mut t.steps {
            for i in &mut s.images {
                i.png = None;
            }
            s.outcome = None;
        }
        t
    }
}
