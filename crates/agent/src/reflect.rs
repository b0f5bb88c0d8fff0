//! Optional self-reflection (off by default): a review of the agent's recent steps and a gate on
//! submitted answers.
//!
//! It runs after every submitted answer and every `every_n_steps` steps, over the agent's full
//! history plus one review request. A concern about a pending answer rejects it while budget
//! and attempts remain; otherwise a concern becomes a warning message. Its own output never
//! enters the history, and it costs no step.
//!
//! Fixed from the original (§9.14): a verdict only counts when the reviewer actually wrote one.
//! A reply cut at the token limit, a reply that is only thinking, an unparsable reply or a
//! failed call yield *no verdict*, which never rejects an answer (the original could turn a
//! truncated thought that mentioned "concern" into a rejection, and rejected on call errors).

use serde_json::Value;
use spatialclaw_llm::{LlmClient, Message};

use crate::config::AgentConfig;
use crate::plan::Checklist;
use crate::prompts::reflection;
use crate::record::ReflectionRecord;

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Ok,
    Concern {
        explanation: String,
        suggestion: Option<String>,
    },
    /// Nothing usable: the reason.
    None(String),
}

/// Whether to reflect after a step. `steps_done` counts the step just finished.
pub fn due(config: &AgentConfig, steps_done: usize, answer_pending: bool, had_reply: bool) -> bool {
    let r = &config.reflection;
    if !r.enabled || !had_reply {
        return false;
    }
    answer_pending
        || (steps_done > 1 && r.every_n_steps > 0 && steps_done.is_multiple_of(r.every_n_steps))
}

/// The verdict and checklist operations in a reviewer's reply.
pub fn parse_verdict(content: &str, truncated: bool) -> (Verdict, Vec<Value>) {
    if truncated {
        return (
            Verdict::None("the review was cut at its token limit".into()),
            Vec::new(),
        );
    }
    let Some(obj) = find_status_object(content) else {
        return (
            Verdict::None("the review had no JSON verdict".into()),
            Vec::new(),
        );
    };
    let ops = obj
        .get("checklist_ops")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let text = |k: &str| {
        obj.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let verdict = match obj.get("status").and_then(Value::as_str).map(str::trim) {
        Some(s) if s.eq_ignore_ascii_case("ok") => Verdict::Ok,
        Some(s) if s.eq_ignore_ascii_case("concern") => match text("explanation") {
            Some(explanation) => Verdict::Concern {
                explanation,
                suggestion: text("suggestion"),
            },
            None => Verdict::None("a concern without an explanation".into()),
        },
        _ => Verdict::None("an unknown status".into()),
    };
    (verdict, ops)
}

/// A JSON object with a "status" key: the whole text, a fenced block, or any `{...}` inside.
fn find_status_object(text: &str) -> Option<serde_json::Map<String, Value>> {
    let has_status = |v: Value| match v {
        Value::Object(o) if o.contains_key("status") => Some(o),
        _ => None,
    };
    if let Some(o) = serde_json::from_str(text.trim()).ok().and_then(has_status) {
        return Some(o);
    }
    for block in text.split("```").skip(1).step_by(2) {
        let body = block.trim_start_matches("json").trim();
        if let Some(o) = serde_json::from_str(body).ok().and_then(has_status) {
            return Some(o);
        }
    }
    // Any balanced object, from each opening brace.
    for (start, _) in text.match_indices('{') {
        let mut depth = 0;
        let mut in_str = false;
        let mut escaped = false;
        for (i, c) in text[start..].char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' if in_str => escaped = true,
                '"' => in_str = !in_str,
                '{' if !in_str => depth += 1,
                '}' if !in_str => {
                    depth -= 1;
                    if depth == 0 {
                        if let Some(o) = serde_json::from_str(&text[start..=start + i])
                            .ok()
                            .and_then(has_status)
                        {
                            return Some(o);
                        }
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    None
}

/// What a reflection did.
pub struct Reflection {
    pub record: ReflectionRecord,
    /// The message to append to the agent's history.
    pub message: Option<Message>,
    /// The pending answer was rejected.
    pub rejected: bool,
}

/// State the gate needs.
pub struct Gate<'a> {
    pub pending_answer: Option<&'a str>,
    /// Submissions so far, this one included.
    pub attempts: usize,
    pub steps_done: usize,
    pub max_steps: usize,
}

impl Gate<'_> {
    fn may_reject(&self, config: &AgentConfig) -> bool {
        let r = &config.reflection;
        self.pending_answer.is_some()
            && r.min_budget_for_reject
                .is_none_or(|floor| self.max_steps.saturating_sub(self.steps_done) > floor)
            && r.max_answer_attempts.is_none_or(|max| self.attempts < max)
    }
}

pub async fn reflect(
    llm: &LlmClient,
    config: &AgentConfig,
    history: &[Message],
    checklist: &mut Checklist,
    gate: Gate<'_>,
    session_id: &str,
) -> Reflection {
    let recent = if gate.pending_answer.is_some() {
        1
    } else {
        config.reflection.every_n_steps.max(1)
    };
    let listed = (!checklist.is_empty()).then(|| checklist.render());
    let mut messages = history.to_vec();
    messages.push(Message::user_text(reflection::prompt(
        recent,
        listed.as_deref(),
        &config.ablations,
    )));
    let (verdict, ops) = match llm
        .chat(&messages, &config.roles.reflection, session_id)
        .await
    {
        Ok(r) => parse_verdict(&r.content, r.is_truncated() || r.content_from_reasoning),
        Err(e) => (
            Verdict::None(format!("the review call failed: {e}")),
            Vec::new(),
        ),
    };
    let changes = checklist.apply_ops(&ops, gate.steps_done);
    let mut record = ReflectionRecord {
        after_step: gate.steps_done.saturating_sub(1),
        verdict: match &verdict {
            Verdict::Ok => "ok".into(),
            Verdict::Concern { .. } => "concern".into(),
            Verdict::None(why) => format!("none: {why}"),
        },
        explanation: None,
        suggestion: None,
        rejected_answer: None,
        message: None,
    };
    let mut rejected = false;
    let mut text = None;
    if let Verdict::Concern {
        explanation,
        suggestion,
    } = &verdict
    {
        record.explanation = Some(explanation.clone());
        record.suggestion = suggestion.clone();
        match gate.pending_answer {
            Some(answer) if gate.may_reject(config) => {
                rejected = true;
                record.rejected_answer = Some(answer.to_owned());
                text = Some(reflection::rejection(
                    answer,
                    explanation,
                    suggestion.as_deref(),
                ));
            }
            Some(_) => {} // accepted despite the concern: budget or attempts are spent
            None => text = Some(reflection::warning(explanation, suggestion.as_deref())),
        }
    }
    if text.is_none() && !changes.is_empty() {
        text = Some(format!("[Checklist Update]\n{}", changes.join("\n")));
    }
    record.message = text.clone();
    Reflection {
        record,
        message: text.map(Message::user_text),
        rejected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_need_an_actual_json_status() {
        assert_eq!(parse_verdict("{\"status\": \"ok\"}", false).0, Verdict::Ok);
        let (v, _) = parse_verdict(
            "Review:\n```json\n{\"status\": \"concern\", \"explanation\": \"mask never shown\"}\n```",
            false,
        );
        assert!(
            matches!(v, Verdict::Concern { ref explanation, .. } if explanation == "mask never shown")
        );
        let (v, _) = parse_verdict(
            "I see a concern {\"status\":\"concern\",\"explanation\":\"x {y}\"} end",
            false,
        );
        assert!(matches!(v, Verdict::Concern { .. }));
        // The original's heuristic would have rejected these.
        assert!(matches!(
            parse_verdict("There is a concern about the depth", false).0,
            Verdict::None(_)
        ));
        assert!(matches!(
            parse_verdict("{\"status\": \"concern\", \"expl", true).0,
            Verdict::None(_)
        ));
        assert!(matches!(
            parse_verdict("{\"status\": \"concern\", \"explanation\": \"x\"}", true).0,
            Verdict::None(_)
        ));
    }

    #[test]
    fn the_gate_respects_budget_and_attempts() {
        let config = AgentConfig::default();
        let gate = |attempts, steps_done| Gate {
            pending_answer: Some("B"),
            attempts,
            steps_done,
            max_steps: 30,
        };
        assert!(gate(1, 10).may_reject(&config));
        assert!(
            !gate(5, 10).may_reject(&config),
            "the fifth submission stands"
        );
        assert!(
            !gate(1, 27).may_reject(&config),
            "three steps left is too few"
        );
        assert!(gate(1, 26).may_reject(&config));
    }
}
