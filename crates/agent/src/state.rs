//! The loop's working state and the bookkeeping of one step: what the history records, what
//! the kernel ran, and the feedback message the model reads next.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use spatialclaw_kernel::{ExecOutcome, HostHandler, KernelSession};
use spatialclaw_lint::{Policy, lint};
use spatialclaw_llm::{ContentPart, ImagePart, Message, UsageStats};

use crate::condense;
use crate::config::{AgentConfig, Interface};
use crate::feedback;
use crate::plan::Checklist;
use crate::record::{
    Answer, ForcedTermination, ImageRecord, PlanRecord, ReflectionRecord, Step, StepStatus,
    Termination, Timings, Trajectory,
};
use crate::run::{AgentError, first_message};
use crate::task::Task;
use crate::turn::{Action, ContextBudget, Turn, TurnFailure};

pub(crate) struct State<'a> {
    config: &'a AgentConfig,
    pub history: Vec<Message>,
    pub steps: Vec<Step>,
    pub plan: Option<PlanRecord>,
    pub checklist: Checklist,
    pub reflections: Vec<ReflectionRecord>,
    pub budget: ContextBudget,
    /// Consecutive failed steps.
    pub failures: usize,
    /// Steps lost to an unavailable service (not charged to `max_steps`).
    pub outage_steps: usize,
    /// Of those, how many in a row up to the latest step.
    pub outage_streak: usize,
    pub answer_attempts: usize,
    pub answer: Option<Answer>,
    pub last_rejected: Option<String>,
    pub forced: Option<ForcedTermination>,
    pub tool_calls: usize,
    pub show_images: usize,
    pub images_trimmed: usize,
    /// Latest scalar value of each variable (for salvage).
    pub scalars: BTreeMap<String, Value>,
    /// Names bound by earlier cells (the lint must not mistake them for builtins).
    session_names: BTreeSet<String>,
    /// This step's parsed action, until the step is finished.
    action: Option<Action>,
    truncated: bool,
    pub timings: Timings,
}

impl<'a> State<'a> {
    pub fn new(task: &Task, config: &'a AgentConfig, system_prompt: &str) -> State<'a> {
        State {
            config,
            history: vec![Message::system(system_prompt), first_message(task)],
            steps: Vec::new(),
            plan: None,
            checklist: Checklist::default(),
            reflections: Vec::new(),
            budget: ContextBudget::default(),
            failures: 0,
            outage_steps: 0,
            outage_streak: 0,
            answer_attempts: 0,
            answer: None,
            last_rejected: None,
            forced: None,
            tool_calls: 0,
            show_images: 0,
            images_trimmed: 0,
            scalars: BTreeMap::new(),
            session_names: BTreeSet::new(),
            action: None,
            truncated: false,
            timings: Timings::default(),
        }
    }

    /// Whether the step just finished had a usable reply (reflection skips those without).
    pub fn had_reply(&self) -> bool {
        self.action.is_some()
    }

    /// Record the model's turn in the history and start the step's record.
    pub fn begin_step(&mut self, index: usize, turn: Turn, llm_time: Duration) -> Step {
        let mut step = Step::new(index);
        step.repairs = turn.repairs;
        step.context_trims = turn.trims.overflows;
        step.usage = turn.usage;
        step.llm_time = llm_time;
        self.timings.llm += llm_time;
        self.images_trimmed += turn.trims.images;
        self.truncated = turn.truncated;
        self.action = None;
        match turn.action {
            Ok(action) => {
                self.failures = 0;
                self.history.push(Message::assistant(action.render()));
                match &action {
                    Action::Code(c) => {
                        step.purpose = Some(c.purpose.clone());
                        step.reasoning = Some(c.reasoning.clone());
                        step.next_goal = Some(c.next_goal.clone());
                    }
                    Action::React(r) => {
                        step.purpose = Some(r.purpose.clone());
                        step.reasoning = Some(r.reasoning.clone());
                        step.next_goal = Some(r.next_goal.clone());
                        step.tool_call = serde_json::from_str(&r.call.to_json()).ok();
                    }
                }
                step.code = Some(action.code().to_owned());
                self.action = Some(action);
            }
            Err(failure) => {
                if !matches!(failure, TurnFailure::Transient(_)) {
                    self.failures += 1;
                }
                let placeholder = match &failure {
                    TurnFailure::Format(_) => {
                        "[Format Error] The reply was not in the required format."
                    }
                    _ => "[LLM Error] No reply: the model call failed.",
                };
                self.history.push(Message::assistant(placeholder));
                step.skipped = Some(failure.describe());
                let hint = match failure {
                    TurnFailure::Format(_) => {
                        "\nRe-read the reply format in the system prompt and use all four sections."
                    }
                    _ => "",
                };
                step.feedback = format!(
                    "=== Step {index} Execution Feedback ===\n\n[ERROR] Skipped: {}{hint}",
                    failure.describe()
                );
            }
        }
        step
    }

    /// Lint and run the step's code, and condense the history if it failed.
    pub async fn execute<H: HostHandler>(
        &mut self,
        step: &mut Step,
        code: &str,
        session: &mut KernelSession,
        host: &H,
    ) -> Result<(), AgentError> {
        let index = step.index;
        let policy = Policy::default().with_session_names(self.session_names.iter().cloned());
        let report = lint(code, &policy);
        if !report.is_clean() {
            let (line, exception) = match (&report.syntax, report.diagnostics.first()) {
                (Some(s), _) => (Some(s.line), format!("{}: {}", s.kind, s.message)),
                (None, Some(d)) => (Some(d.line), format!("Rejected: {}", d.message)),
                (None, None) => (None, String::new()),
            };
            step.status = StepStatus::Rejected;
            step.error = Some(exception.clone());
            step.skipped = Some(report.render());
            step.feedback = format!(
                "=== Step {index} Execution Feedback ===\n\n[ERROR] {}",
                report.render().trim_end()
            );
            self.condense(line, &exception);
            return Ok(());
        }
        let outcome = session.exec(code, self.config.cell_timeout, host).await?;
        step.exec_time = outcome.elapsed;
        self.timings.exec += outcome.elapsed;
        self.track_variables(&outcome);
        let failed = !outcome.succeeded();
        step.status = if failed {
            StepStatus::Error
        } else {
            StepStatus::Success
        };
        step.error = feedback::exception_line(&outcome);
        step.stdout = outcome.stdout.clone();
        let condensed = failed && self.config.condense_errors;
        step.feedback = feedback::render_with(index, &outcome, condensed);
        if condensed {
            let line = outcome
                .error
                .as_ref()
                .and_then(|e| e.line)
                .map(|l| l as usize);
            self.condense(line, step.error.as_deref().unwrap_or(""));
        }
        if let Some(a) = &outcome.answer {
            step.answer = Some(a.text.clone());
            self.answer_attempts += 1;
        }
        self.attach_images(step, &outcome);
        step.outcome = Some(outcome);
        Ok(())
    }

    fn track_variables(&mut self, outcome: &ExecOutcome) {
        if outcome.state_lost {
            self.scalars.clear();
            self.session_names.clear();
        }
        for v in &outcome.variables {
            self.session_names.insert(v.name.clone());
            match &v.value {
                Some(val @ (Value::String(_) | Value::Number(_) | Value::Bool(_))) => {
                    self.scalars.insert(v.name.clone(), val.clone());
                }
                _ => {
                    self.scalars.remove(&v.name);
                }
            }
        }
        for name in &outcome.removed {
            self.scalars.remove(name);
            self.session_names.remove(name);
        }
    }

    /// Replace the step's assistant message by its condensed form.
    fn condense(&mut self, line: Option<usize>, exception: &str) {
        let (Some(action), Some(last)) = (&self.action, self.history.last_mut()) else {
            return;
        };
        if !self.config.condense_errors {
            return;
        }
        let text = match action {
            Action::Code(c) => {
                condense::condensed_code_message(&c.purpose, &c.code, line, exception)
            }
            Action::React(r) => condense::condensed_react_message(&r.purpose, &r.call.to_json()),
        };
        *last = Message::assistant(text);
    }

    /// Keep the step's show() images within the session budget.
    fn attach_images(&mut self, step: &mut Step, outcome: &ExecOutcome) {
        let left = self
            .config
            .max_show_images_per_session
            .map_or(usize::MAX, |cap| cap.saturating_sub(self.show_images));
        for (i, s) in outcome.shows.iter().enumerate() {
            let png: Arc<[u8]> = s.png.clone().into();
            step.images.push(ImageRecord {
                label: s.label.clone(),
                bytes: png.len(),
                png: Some(png),
                dropped: i >= left,
            });
        }
        self.show_images += outcome.shows.len().min(left);
    }

    /// Complete the feedback (budgets, notices) and append it to the history.
    pub fn finish_step(&mut self, step: &mut Step, tool_calls: usize, max_steps: usize) {
        step.tool_calls = tool_calls;
        let mut blocks = vec![std::mem::take(&mut step.feedback)];
        if let Some(Action::React(r)) = &self.action {
            let call = r.code.lines().next().unwrap_or_default();
            blocks.insert(1, format!("[Call] {call}"));
        }
        if self.truncated {
            blocks.push(
                "[WARNING] Your reply reached the output limit and was cut; keep replies shorter."
                    .into(),
            );
        }
        if tool_calls > 0 {
            blocks.push(format!(
                "[Tool Calls] {tool_calls} tool/VLM call(s) this step."
            ));
        }
        if let Some(cap) = self.config.max_tool_calls {
            let used = self.tool_calls + tool_calls;
            blocks.push(format!("[Tool budget] {used}/{cap} tool calls used."));
        }
        if !self.checklist.is_empty() && step.answer.is_none() {
            blocks.push(if step.index == 1 {
                format!("[Checklist]\n{}", self.checklist.render().trim_end())
            } else {
                self.checklist.summary()
            });
        }
        if step.answer.is_none() && max_steps.saturating_sub(step.index + 1) == 1 {
            blocks.push(
                "[LAST STEP] One step remains. Your next reply must call ReturnAnswer(...) with \
                 your best answer; after it the session is ended."
                    .into(),
            );
        }
        let attached: Vec<&ImageRecord> = step.images.iter().filter(|i| !i.dropped).collect();
        if let Some(cap) = self.config.max_show_images_per_session {
            let left = cap.saturating_sub(self.show_images);
            if step.images.iter().any(|i| i.dropped) {
                blocks.push(format!(
                    "[show() budget] EXHAUSTED — 0/{cap} remaining; images beyond it are not attached."
                ));
            } else if !attached.is_empty() {
                blocks.push(format!("[show() budget] {left}/{cap} images remaining."));
            }
        }
        let text = blocks
            .into_iter()
            .filter(|b| !b.trim().is_empty())
            .collect::<Vec<_>>()
            .join("\n\n");
        step.feedback = text.clone();
        self.history.push(feedback_message(text, &attached));
        self.tool_calls += tool_calls;
    }

    pub fn counters(&self, config: &AgentConfig, max_steps: usize) -> String {
        let cap = config
            .max_tool_calls
            .map_or("unlimited".to_owned(), |c| c.to_string());
        format!(
            "Steps {}/{max_steps}, Failures {}/{}, Tool calls {}/{cap}",
            self.steps.len(),
            self.failures,
            config.max_failures,
            self.tool_calls
        )
    }

    pub fn into_trajectory(
        self,
        task: &Task,
        interface: Interface,
        system_prompt: String,
        termination: Termination,
        usage: UsageStats,
    ) -> Trajectory {
        Trajectory {
            task_id: task.id.clone(),
            interface,
            instruction: task.instruction.clone(),
            system_prompt,
            plan: self.plan,
            steps: self.steps,
            reflections: self.reflections,
            answer: self.answer,
            termination,
            forced: self.forced,
            tool_calls: self.tool_calls,
            show_images: self.show_images,
            answer_attempts: self.answer_attempts,
            images_trimmed: self.images_trimmed,
            usage,
            timings: self.timings,
        }
    }
}

/// The feedback as a user message, with the attached images after their labels.
fn feedback_message(text: String, images: &[&ImageRecord]) -> Message {
    if images.is_empty() {
        return Message::user_text(text);
    }
    let mut parts = vec![ContentPart::text(text)];
    for img in images {
        if let Some(png) = &img.png {
            parts.push(ContentPart::text(format!("Visualization of {}", img.label)));
            parts.push(ContentPart::image(ImagePart::png(png.clone())));
        }
    }
    Message::user_parts(parts)
}
