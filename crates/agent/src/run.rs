//! The agent loop: ask the model for one cell, check it, run it, tell the model what happened,
//! until it submits an answer or the budget runs out.

use std::time::Duration;

use spatialclaw_kernel::{ExecOutcome, HostHandler, KernelError, KernelSession};
use spatialclaw_llm::{
    ContentPart, ImagePart, LlmClient, LlmError, Message, RoleParams, UsageStats,
};

use crate::feedback;
use crate::parse::{CodeResponse, parse_code_response};
use crate::prompt::{self, Ablations, PromptContext};

/// Budgets and knobs of one agent run.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// Main-model calls (each is a step, failed or not).
    pub max_steps: usize,
    /// Consecutive failed steps (format or model errors) before giving up.
    pub max_failures: usize,
    pub cell_timeout: Duration,
    pub main: RoleParams,
    pub ablations: Ablations,
}

impl Default for AgentConfig {
    fn default() -> Self {
        Self {
            max_steps: 30,
            max_failures: 30,
            cell_timeout: Duration::from_secs(600),
            main: RoleParams::new(16384, 0.6),
            ablations: Ablations::default(),
        }
    }
}

/// An image shown in the first message, with where it lives in `InputImages`.
#[derive(Debug, Clone)]
pub struct KeyFrame {
    pub png: Vec<u8>,
    pub list_index: usize,
    pub frame_index: i64,
}

/// The question and what the prompt should say about the inputs.
#[derive(Debug, Clone)]
pub struct Task {
    pub id: String,
    /// The full instruction (question, answer-format rules, choices).
    pub instruction: String,
    pub key_frames: Vec<KeyFrame>,
    pub is_video: bool,
    pub num_images: usize,
    pub fps: Option<f64>,
    pub total_frames: Option<i64>,
    pub duration_sec: Option<f64>,
}

/// One iteration of the loop.
#[derive(Debug, Clone)]
pub struct Step {
    pub index: usize,
    pub response: Option<CodeResponse>,
    /// Why the step did not run code (model error, format error, lint rejection).
    pub skipped: Option<String>,
    pub outcome: Option<ExecOutcome>,
    /// The feedback text the model read after this step.
    pub feedback: String,
    /// Format repairs requested within this step.
    pub repairs: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Termination {
    Answered,
    MaxSteps,
    MaxFailures,
}

/// The result of a run.
#[derive(Debug, Clone)]
pub struct Trajectory {
    pub system_prompt: String,
    pub steps: Vec<Step>,
    pub answer: Option<String>,
    pub termination: Termination,
    pub usage: UsageStats,
}

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error(transparent)]
    Kernel(#[from] KernelError),
}

fn first_message(task: &Task) -> Message {
    if task.key_frames.is_empty() {
        return Message::user_text(task.instruction.clone());
    }
    let mapping: Vec<(usize, usize, i64)> = task
        .key_frames
        .iter()
        .enumerate()
        .map(|(k, f)| (k + 1, f.list_index, f.frame_index))
        .collect();
    let mut parts = vec![ContentPart::text(format!(
        "Here are {} key frame(s), an overview of InputImages ({} frame(s) in total):\n{}",
        task.key_frames.len(),
        task.num_images,
        prompt::key_frame_lines(&mapping, "")
    ))];
    for f in &task.key_frames {
        parts.push(ContentPart::image(ImagePart::png(f.png.clone())));
    }
    parts.push(ContentPart::text(task.instruction.clone()));
    Message::user_parts(parts)
}

fn feedback_message(text: String, outcome: Option<&ExecOutcome>) -> Message {
    let shows = outcome.map(|o| o.shows.as_slice()).unwrap_or_default();
    if shows.is_empty() {
        return Message::user_text(text);
    }
    let mut parts = vec![ContentPart::text(text)];
    for s in shows {
        parts.push(ContentPart::text(format!("Visualization of {}", s.label)));
        parts.push(ContentPart::image(ImagePart::png(s.png.clone())));
    }
    Message::user_parts(parts)
}

/// Observes the run as it happens (the CLI prints steps live).
pub trait Observer {
    fn step(&mut self, _step: &Step) {}
}

impl Observer for () {}

/// Run the loop for one task in an already started session.
pub async fn run<H: HostHandler>(
    task: &Task,
    config: &AgentConfig,
    llm: &LlmClient,
    session: &mut KernelSession,
    host: &H,
    observer: &mut dyn Observer,
) -> Result<Trajectory, AgentError> {
    let ctx = PromptContext {
        max_steps: config.max_steps,
        tool_docs: session.ready().tool_docs.clone(),
        is_video: task.is_video,
        num_images: task.num_images,
        fps: task.fps,
        total_frames: task.total_frames,
        duration_sec: task.duration_sec,
        key_frames: task
            .key_frames
            .iter()
            .enumerate()
            .map(|(k, f)| (k + 1, f.list_index, f.frame_index))
            .collect(),
    };
    let system_prompt = prompt::system_prompt(&ctx, &config.ablations);
    let mut history = vec![Message::system(system_prompt.clone()), first_message(task)];
    let mut steps = Vec::new();
    let mut failures = 0;
    let mut answer = None;
    let mut termination = Termination::MaxSteps;

    for index in 0..config.max_steps {
        let (response, repairs, problem) =
            ask_for_cell(llm, &history, &config.main, &task.id).await;
        let mut step = Step {
            index,
            response: None,
            skipped: None,
            outcome: None,
            feedback: String::new(),
            repairs,
        };
        let feedback_text = match (response, problem) {
            (Some(resp), _) => {
                failures = 0;
                history.push(Message::assistant(resp.render()));
                let text = match spatialclaw_lint::check_syntax(&resp.code) {
                    Err(issue) => {
                        let msg =
                            format!("=== Step {index} Execution Feedback ===\n\n[ERROR] {issue}");
                        step.skipped = Some(issue.to_string());
                        msg
                    }
                    Ok(()) => {
                        let outcome = session.exec(&resp.code, config.cell_timeout, host).await?;
                        let text = feedback::render(index, &outcome);
                        if let Some(a) = &outcome.answer {
                            answer = Some(a.text.clone());
                        }
                        step.outcome = Some(outcome);
                        text
                    }
                };
                step.response = Some(resp);
                text
            }
            (None, problem) => {
                failures += 1;
                let problem = problem.unwrap_or_default();
                history.push(Message::assistant(format!("[Format Error] {problem}")));
                step.skipped = Some(problem.clone());
                format!(
                    "=== Step {index} Execution Feedback ===\n\n[ERROR] Skipped: {problem}\nRe-read the reply format in the \
                     system prompt and answer with all four sections."
                )
            }
        };
        let remaining = config.max_steps - index - 1;
        let mut text = feedback_text;
        if answer.is_none() && remaining == 1 {
            text.push_str(
                "\n\n[LAST STEP] One step remains. Call ReturnAnswer(...) in your next cell with your best answer, \
                 or the session ends without one.",
            );
        }
        step.feedback = text.clone();
        history.push(feedback_message(text, step.outcome.as_ref()));
        observer.step(&step);
        steps.push(step);
        if answer.is_some() {
            termination = Termination::Answered;
            break;
        }
        if failures >= config.max_failures {
            termination = Termination::MaxFailures;
            break;
        }
    }
    let usage = llm.take_usage(&task.id).unwrap_or_default();
    Ok(Trajectory {
        system_prompt,
        steps,
        answer,
        termination,
        usage,
    })
}

/// One main-model call, plus one immediate repair request if the format is wrong. The
/// malformed text never enters the history.
async fn ask_for_cell(
    llm: &LlmClient,
    history: &[Message],
    params: &RoleParams,
    session_id: &str,
) -> (Option<CodeResponse>, usize, Option<String>) {
    let first = match llm.chat(history, params, session_id).await {
        Ok(r) => r.content,
        Err(e) => return (None, 0, Some(describe_llm_error(&e))),
    };
    let err = match parse_code_response(&first) {
        Ok(r) => return (Some(r), 0, None),
        Err(e) => e,
    };
    let mut repair = history.to_vec();
    repair.push(Message::assistant(first));
    repair.push(Message::user_text(format!(
        "Your reply could not be used: {err} Write the whole reply again in the required format."
    )));
    match llm.chat(&repair, params, session_id).await {
        Ok(r) => match parse_code_response(&r.content) {
            Ok(resp) => (Some(resp), 1, None),
            Err(e) => (
                None,
                1,
                Some(format!("the reply was not in the required format ({e})")),
            ),
        },
        Err(e) => (None, 1, Some(describe_llm_error(&e))),
    }
}

fn describe_llm_error(e: &LlmError) -> String {
    format!("the model call failed: {e}")
}
