//! The agent loop: plan, then one step at a time — ask the model for an action, check it, run
//! it, tell the model what happened, optionally reflect — until an answer is accepted or a
//! budget runs out, in which case forced termination still produces a best-effort answer.

use std::time::Instant;

use spatialclaw_kernel::{HostHandler, KernelError, KernelSession};
use spatialclaw_llm::{ContentPart, LlmClient, Message};

use crate::config::{AgentConfig, Interface};
use crate::cot;
use crate::host::CountingHost;
use crate::plan;
use crate::prompts::{self, PromptContext};
use crate::record::{
    Answer, AnswerSource, ForcedTermination, PlanRecord, ReflectionRecord, Step, Termination,
    Trajectory,
};
use crate::reflect::{self, Gate};
use crate::state::State;
use crate::task::Task;
use crate::terminate::{self, Leftovers};
use crate::turn;

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error(transparent)]
    Kernel(#[from] KernelError),
    /// A service the agent depends on stayed unavailable for `steps` consecutive steps
    /// (`AgentConfig::max_outage_steps`); `reason` is the last failure as the client saw it.
    #[error("the {service} service was unavailable for {steps} consecutive steps: {reason}")]
    Unavailable {
        /// "llm" or "perception".
        service: &'static str,
        steps: usize,
        reason: String,
    },
}

/// Watches the run as it happens (the CLI prints steps live).
pub trait Observer {
    fn plan(&mut self, _plan: &PlanRecord) {}
    fn step(&mut self, _step: &Step) {}
    fn reflection(&mut self, _reflection: &ReflectionRecord) {}
    fn forced(&mut self, _forced: &ForcedTermination) {}
}

impl Observer for () {}

/// What the prompts know about this task and run.
pub fn prompt_context(task: &Task, config: &AgentConfig, tool_docs: &str) -> PromptContext {
    PromptContext {
        interface: config.interface,
        max_steps: config.effective_max_steps(),
        tool_docs: tool_docs.to_owned(),
        input: task.input.clone(),
        key_frames: task.key_frame_map(),
        show_budget: config.max_show_images_per_session,
        gpu_tools: config.gpu_tools.clone(),
    }
}

/// The first user message: the key frames with their mapping, then the instruction.
pub fn first_message(task: &Task) -> Message {
    if task.key_frames.is_empty() {
        return Message::user_text(task.instruction.clone());
    }
    let total = if task.input.videos.is_empty() {
        task.input.num_images
    } else {
        task.input.videos.iter().map(|v| v.num_frames).sum()
    };
    let mut parts = vec![ContentPart::text(format!(
        "Here are {} key frames, an overview of the {total} input frames:\n{}",
        task.key_frames.len(),
        prompts::key_frame_lines(&task.key_frame_map(), "")
    ))];
    parts.extend(
        task.key_frames
            .iter()
            .map(|f| ContentPart::image(f.image.clone())),
    );
    parts.push(ContentPart::text(task.instruction.clone()));
    Message::user_parts(parts)
}

/// Run one task. The kernel interfaces use `session` (already started on the task's inputs)
/// and serve its requests with `host`, whose session id should be `task.id` so that vlm calls
/// are booked with the run's usage. `no-tool` ignores both.
pub async fn run<H: HostHandler>(
    task: &Task,
    config: &AgentConfig,
    llm: &LlmClient,
    session: &mut KernelSession,
    host: &H,
    observer: &mut (dyn Observer + Send),
) -> Result<Trajectory, AgentError> {
    if config.interface == Interface::NoTool {
        return Ok(cot::run_no_tool(task, config, llm).await);
    }
    let started = Instant::now();
    let ctx = prompt_context(task, config, &session.ready().tool_docs);
    let system_prompt = prompts::system_prompt(&ctx, &config.ablations);
    let mut st = State::new(task, config, &system_prompt);
    st.budget.limit = llm.context_length(&task.id).await.or(config.context_length);

    if config.plans() {
        let (record, messages) = plan::plan(llm, &ctx, &task.instruction, &task.id, config).await;
        observer.plan(&record);
        st.timings.planning = record.time;
        st.checklist = record.checklist.clone();
        st.history.extend(messages);
        st.plan = Some(record);
    }

    let max_steps = config.effective_max_steps();
    let host = CountingHost::new(host, config.max_tool_calls);
    let termination = loop {
        let index = st.steps.len();
        let llm_started = Instant::now();
        let turn = turn::request(
            llm,
            config,
            &mut st.history,
            &mut st.budget,
            index,
            &task.id,
        )
        .await;
        let llm_outage = match &turn.action {
            Err(turn::TurnFailure::Transient(e)) => Some(("llm", e.clone())),
            _ => None,
        };
        let mut step = st.begin_step(index, turn, llm_started.elapsed());
        if let Some(code) = step.code.clone() {
            st.execute(&mut step, &code, session, &host).await?;
        }
        let submitted = step.answer.clone();
        // A step lost to an unavailable service is not charged to the agent's step budget;
        // a run of them abandons the sample as that service's failure.
        let host_outage = host.take_outage().filter(|_| submitted.is_none());
        let outage = llm_outage.or(host_outage);
        let charged_max = max_steps + st.outage_steps + usize::from(outage.is_some());
        st.finish_step(&mut step, host.take_step(), charged_max);
        observer.step(&step);
        st.steps.push(step);
        match outage {
            Some((service, reason)) => {
                st.outage_steps += 1;
                st.outage_streak += 1;
                tracing::warn!(task = %task.id, service, streak = st.outage_streak, %reason,
                    "step lost to an unavailable service; not charged to the agent");
                if st.outage_streak >= config.max_outage_steps.max(1) {
                    return Err(AgentError::Unavailable {
                        service,
                        steps: st.outage_streak,
                        reason,
                    });
                }
            }
            None => st.outage_streak = 0,
        }

        let steps_done = st.steps.len() - st.outage_steps;
        let mut accepted = submitted.clone();
        if reflect::due(config, steps_done, submitted.is_some(), st.had_reply()) {
            let t = Instant::now();
            let gate = Gate {
                pending_answer: submitted.as_deref(),
                attempts: st.answer_attempts,
                steps_done,
                max_steps,
            };
            let r =
                reflect::reflect(llm, config, &st.history, &mut st.checklist, gate, &task.id).await;
            st.timings.reflection += t.elapsed();
            observer.reflection(&r.record);
            if r.rejected {
                st.last_rejected = accepted.take();
            }
            st.history.extend(r.message);
            st.reflections.push(r.record);
        }
        if let Some(text) = accepted {
            st.answer = Some(Answer {
                text,
                source: AnswerSource::Submitted,
            });
            break Termination::Answered;
        }
        if steps_done >= max_steps {
            break Termination::MaxSteps;
        }
        if st.failures >= config.max_failures {
            break Termination::MaxFailures;
        }
        if host.exhausted() {
            break Termination::MaxToolCalls;
        }
    };

    st.tool_calls = host.total();
    if termination != Termination::Answered {
        let t = Instant::now();
        let counters = st.counters(config, max_steps);
        let left = Leftovers {
            reason: termination,
            last_rejected: st.last_rejected.as_deref(),
            history: &st.history,
            scalars: &st.scalars,
            counters,
        };
        let (answer, forced) = terminate::force(llm, config, task, left).await;
        st.timings.termination = t.elapsed();
        observer.forced(&forced);
        st.answer = answer;
        st.forced = Some(forced);
    }
    st.timings.total = started.elapsed();
    let usage = llm.take_usage(&task.id).unwrap_or_default();
    Ok(st.into_trajectory(task, config.interface, system_prompt, termination, usage))
}
