//! One step's model call: fit the history into the context window, ask, parse, and repair a
//! malformed reply once. The malformed text never enters the history.

use spatialclaw_llm::{ChatResponse, LlmClient, LlmError, Message, RoleParams, Usage};

use crate::config::{AgentConfig, Interface};
use crate::context::{self, TrimLevel};
use crate::parse::{CodeResponse, FormatError, parse_code_response};
use crate::react::{ReactResponse, parse_react_response};

/// A usable reply.
#[derive(Debug, Clone)]
pub enum Action {
    Code(CodeResponse),
    React(ReactResponse),
}

impl Action {
    /// The Python sent to the kernel.
    pub fn code(&self) -> &str {
        match self {
            Action::Code(c) => &c.code,
            Action::React(r) => &r.code,
        }
    }

    pub fn purpose(&self) -> &str {
        match self {
            Action::Code(c) => &c.purpose,
            Action::React(r) => &r.purpose,
        }
    }

    /// The assistant message kept in history.
    pub fn render(&self) -> String {
        match self {
            Action::Code(c) => c.render(),
            Action::React(r) => r.render(),
        }
    }
}

/// Why a step has no action.
#[derive(Debug, Clone)]
pub enum TurnFailure {
    /// The model could not be reached (connection, timeout, 5xx after retries): not the
    /// agent's fault, so it does not count against the failure budget.
    Transient(String),
    /// The model call failed for a reason that repeating will not fix (4xx, a context that
    /// cannot be trimmed further).
    Failed(String),
    /// Two malformed replies.
    Format(String),
}

impl TurnFailure {
    pub fn describe(&self) -> String {
        match self {
            TurnFailure::Transient(e) => format!("the model could not be reached ({e})"),
            TurnFailure::Failed(e) => format!("the model call failed ({e})"),
            TurnFailure::Format(e) => format!("the reply was not in the required format ({e})"),
        }
    }
}

/// The result of asking for one step.
pub struct Turn {
    pub action: Result<Action, TurnFailure>,
    pub repairs: usize,
    pub trims: TrimStats,
    pub usage: Usage,
    /// The accepted reply ran into the output limit.
    pub truncated: bool,
}

/// What fitting the context cost.
#[derive(Debug, Clone, Copy, Default)]
pub struct TrimStats {
    /// Images replaced by placeholders (and long texts cut).
    pub images: usize,
    /// Trims forced by a context overflow the estimate missed.
    pub overflows: usize,
}

/// The context window as far as it is known, and how far off our estimates have been.
#[derive(Debug, Clone)]
pub struct ContextBudget {
    pub limit: Option<u64>,
    /// Server-counted prompt tokens over our estimate, learned from overflow errors (≥ 1). A
    /// model whose images cost more than `tokens_per_image` is trimmed earlier from then on,
    /// instead of overflowing on every step.
    pub scale: f64,
}

impl Default for ContextBudget {
    fn default() -> Self {
        ContextBudget {
            limit: None,
            scale: 1.0,
        }
    }
}

/// The model could not be reached (as opposed to refusing the request).
pub(crate) fn is_transient(e: &LlmError) -> bool {
    e.root().is_retryable()
        || matches!(
            e.root(),
            LlmError::NoEndpoints(_) | LlmError::DeadlineExceeded(_)
        )
}

fn parse(interface: Interface, raw: &str, step: usize) -> Result<Action, FormatError> {
    match interface {
        Interface::React => parse_react_response(raw, step).map(Action::React),
        _ => parse_code_response(raw).map(Action::Code),
    }
}

/// A call that trims and retries on context overflow, never blindly: each retry follows a
/// trim that changed the history, and without one left the overflow is returned.
pub async fn call_fitting(
    llm: &LlmClient,
    history: &mut [Message],
    params: &RoleParams,
    config: &AgentConfig,
    budget: &mut ContextBudget,
    session_id: &str,
    stats: &mut TrimStats,
) -> Result<ChatResponse, LlmError> {
    // Levels forced by overflows during this call (the estimate said it fits; it did not).
    let mut forced: Option<TrimLevel> = None;
    let mut overflow: Option<LlmError> = None;
    loop {
        let limit = budget
            .limit
            .map_or(u64::MAX, |l| (l as f64 / budget.scale) as u64);
        let (n, _) = context::fit(
            history,
            limit,
            params.max_tokens,
            config.tokens_per_image,
            config.keep_recent_images,
            forced,
        );
        stats.images += n;
        if let Some(err) = overflow.take()
            && n == 0
        {
            // That level changed nothing; go one further or give up.
            match forced.and_then(TrimLevel::next) {
                Some(next) => {
                    forced = Some(next);
                    overflow = Some(err);
                    continue;
                }
                None => return Err(err),
            }
        }
        match llm.chat(history, params, session_id).await {
            Err(e) if e.is_context_too_long() => {
                if let LlmError::ContextTooLong {
                    max_context,
                    prompt_tokens,
                    ..
                } = e.root()
                {
                    if let Some(m) = max_context {
                        budget.limit = Some(budget.limit.map_or(*m, |l| l.min(*m)));
                    }
                    let estimate = context::estimate_tokens(history, config.tokens_per_image);
                    if let Some(p) = prompt_tokens
                        && estimate > 0
                    {
                        budget.scale = budget.scale.max(*p as f64 / estimate as f64);
                    }
                }
                let next = match forced {
                    None => Some(TrimLevel::OldShowImages),
                    Some(l) => l.next(),
                };
                let Some(next) = next else { return Err(e) };
                tracing::info!(level = ?next, "context overflow; trimming the history");
                forced = Some(next);
                stats.overflows += 1;
                overflow = Some(e);
            }
            other => return other,
        }
    }
}

/// Ask for step `step`'s action.
pub async fn request(
    llm: &LlmClient,
    config: &AgentConfig,
    history: &mut [Message],
    budget: &mut ContextBudget,
    step: usize,
    session_id: &str,
) -> Turn {
    let params = &config.roles.main;
    let mut turn = Turn {
        action: Err(TurnFailure::Failed(String::new())),
        repairs: 0,
        trims: TrimStats::default(),
        usage: Usage::default(),
        truncated: false,
    };
    let first = call_fitting(
        llm,
        history,
        params,
        config,
        budget,
        session_id,
        &mut turn.trims,
    )
    .await;
    let first = match first {
        Ok(r) => r,
        Err(e) => {
            turn.action = Err(if is_transient(&e) {
                TurnFailure::Transient(e.to_string())
            } else {
                TurnFailure::Failed(e.to_string())
            });
            return turn;
        }
    };
    add_usage(&mut turn.usage, &first);
    let err = match parse(config.interface, &first.content, step) {
        Ok(a) => {
            turn.truncated = first.is_truncated();
            turn.action = Ok(a);
            return turn;
        }
        Err(e) => e,
    };
    turn.repairs = 1;
    let mut repair = history.to_vec();
    repair.push(Message::assistant(first.content));
    let cut = if first.finish_reason == Some(spatialclaw_llm::FinishReason::Length) {
        " (your reply was cut off at the output limit: keep it shorter)"
    } else {
        ""
    };
    repair.push(Message::user_text(format!(
        "Your reply could not be used{cut}: {err} Write the whole reply again in the required format."
    )));
    turn.action = match llm.chat(&repair, params, session_id).await {
        Ok(r) => {
            add_usage(&mut turn.usage, &r);
            turn.truncated = r.is_truncated();
            parse(config.interface, &r.content, step)
                .map_err(|e| TurnFailure::Format(e.to_string()))
        }
        Err(e) if is_transient(&e) => Err(TurnFailure::Transient(e.to_string())),
        Err(e) => Err(TurnFailure::Failed(e.to_string())),
    };
    turn
}

fn add_usage(total: &mut Usage, r: &ChatResponse) {
    total.prompt_tokens += r.usage.prompt_tokens;
    total.completion_tokens += r.usage.completion_tokens;
    total.reasoning_tokens += r.usage.reasoning_tokens;
}
