//! Forced termination: when a budget runs out, still return the best answer there is.
//!
//! The chain: (1) the last answer reflection rejected; (2) a chain-of-thought call over the key
//! frames with a `\boxed{}` answer; (3) salvage from what the run left behind: a literal
//! `ReturnAnswer(...)` argument in recent code, the value of a scalar variable named like an
//! answer, or an explicit "the answer is X" statement in recent messages.
//!
//! Fixed from the original (§9.9): salvage never returns a variable's metadata (only scalar
//! values the kernel reported), and a letter counts only when it is an uppercase option letter
//! standing on its own, so "the answer is a bit unclear" yields nothing.

use std::collections::BTreeMap;

use serde_json::Value;
use spatialclaw_llm::{LlmClient, Message, Role};

use crate::config::AgentConfig;
use crate::cot;
use crate::record::{Answer, AnswerSource, ForcedTermination, Termination};
use crate::task::Task;

/// What the loop knows when it hands over.
pub(crate) struct Leftovers<'a> {
    pub reason: Termination,
    pub last_rejected: Option<&'a str>,
    pub history: &'a [Message],
    /// Latest scalar values of variables, by name.
    pub scalars: &'a BTreeMap<String, Value>,
    pub counters: String,
}

pub(crate) async fn force(
    llm: &LlmClient,
    config: &AgentConfig,
    task: &Task,
    left: Leftovers<'_>,
) -> (Option<Answer>, ForcedTermination) {
    let mut attempts = Vec::new();
    let mut answer = left.last_rejected.map(|a| Answer {
        text: a.to_owned(),
        source: AnswerSource::LastRejected,
    });
    if answer.is_some() {
        attempts.push("last rejected answer: used".to_owned());
    }
    if answer.is_none() && !task.key_frames.is_empty() {
        let frames = cot::sample_frames(&task.key_frames, config.cot_max_frames);
        match cot::ask(llm, &frames, &task.instruction, config, &task.id).await {
            Ok((Some(boxed), _)) => {
                attempts.push("chain of thought: boxed answer".into());
                answer = Some(Answer {
                    text: boxed,
                    source: AnswerSource::ChainOfThought,
                });
            }
            Ok((None, reply)) => {
                attempts.push("chain of thought: no boxed answer".into());
                answer = salvage_text(&reply.content).map(|text| Answer {
                    text,
                    source: AnswerSource::ChainOfThought,
                });
            }
            Err(e) => attempts.push(format!("chain of thought: failed ({e})")),
        }
    } else if answer.is_none() {
        attempts.push("chain of thought: skipped (no key frames)".into());
    }
    if answer.is_none() {
        answer = salvage(left.history, left.scalars).map(|text| Answer {
            text,
            source: AnswerSource::Salvaged,
        });
        attempts.push(format!(
            "salvage: {}",
            if answer.is_some() { "found" } else { "nothing" }
        ));
    }
    let guess: String = answer
        .as_ref()
        .map(|a| a.text.chars().take(200).collect())
        .unwrap_or_default();
    let method = answer.as_ref().map_or("none", |a| match a.source {
        AnswerSource::LastRejected => "last rejected answer",
        AnswerSource::ChainOfThought => "chain of thought",
        AnswerSource::Salvaged => "salvage",
        AnswerSource::Submitted => "submitted",
    });
    let note = format!(
        "[System] Agent terminated: {}. {}. Fallback: {method}. Best guess: {guess}",
        left.reason.as_str(),
        left.counters
    );
    (answer, ForcedTermination { attempts, note })
}

/// Salvage from the conversation: newest first over the last ten messages.
pub fn salvage(history: &[Message], scalars: &BTreeMap<String, Value>) -> Option<String> {
    let recent: Vec<&Message> = history
        .iter()
        .filter(|m| m.role != Role::System)
        .rev()
        .take(10)
        .collect();
    for m in &recent {
        if m.role == Role::Assistant
            && let Some(a) = return_answer_literal(&m.text())
        {
            return Some(a);
        }
    }
    for (name, value) in scalars {
        if name.to_ascii_lowercase().contains("answer") {
            match value {
                Value::String(s) if !s.trim().is_empty() => return Some(s.trim().to_owned()),
                Value::Number(n) => return Some(n.to_string()),
                _ => {}
            }
        }
    }
    recent.iter().find_map(|m| salvage_text(&m.text()))
}

/// The literal argument of the last `ReturnAnswer(...)` in `text`, when it is a string or number.
pub fn return_answer_literal(text: &str) -> Option<String> {
    let at = text.rfind("ReturnAnswer(")?;
    let arg = text[at + "ReturnAnswer(".len()..].trim_start();
    let arg = arg.strip_prefix("answer=").unwrap_or(arg).trim_start();
    let quote = arg.chars().next()?;
    if quote == '"' || quote == '\'' {
        let body = &arg[1..];
        let end = body.find(quote)?;
        let v = body[..end].trim();
        return (!v.is_empty()).then(|| v.to_owned());
    }
    number_at(arg)
}

fn number_at(s: &str) -> Option<String> {
    let end = s
        .char_indices()
        .find(|(i, c)| !(c.is_ascii_digit() || *c == '.' || (*i == 0 && *c == '-')))
        .map_or(s.len(), |(i, _)| i);
    let n = &s[..end];
    (n.parse::<f64>().is_ok() && n.chars().any(|c| c.is_ascii_digit())).then(|| n.to_owned())
}

/// An explicit answer statement: "answer is B", "final answer: 2.5", "choice: C)".
pub fn salvage_text(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    const KEYS: &[&str] = &[
        "final answer is",
        "final answer:",
        "answer is",
        "answer:",
        "choice is",
        "choice:",
    ];
    let mut best: Option<(usize, String)> = None;
    for key in KEYS {
        let mut from = 0;
        while let Some(pos) = lower[from..].find(key) {
            let at = from + pos;
            from = at + key.len();
            if let Some(v) = value_after(&text[from..])
                && best.as_ref().is_none_or(|(b, _)| at > *b)
            {
                best = Some((at, v));
            }
        }
    }
    best.map(|(_, v)| v)
}

fn value_after(s: &str) -> Option<String> {
    let s = s.trim_start_matches([' ', '\t', '*', '(', '"', '\'', '`', '$']);
    if let Some(n) = number_at(s) {
        return Some(n);
    }
    let mut chars = s.chars();
    let letter = chars.next().filter(char::is_ascii_uppercase)?;
    let rest: String = chars.collect();
    let next = rest.chars().next();
    let standalone = match next {
        None => true,
        Some(c) if c.is_ascii_alphanumeric() || c == '_' => false,
        Some(' ') => {
            let word: String = rest
                .trim_start()
                .chars()
                .take_while(char::is_ascii_alphabetic)
                .collect();
            // "B because ..." is an answer; "A chair" is prose.
            word.is_empty() || matches!(word.as_str(), "because" | "since" | "as")
        }
        Some(_) => true,
    };
    standalone.then(|| letter.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn explicit_statements_are_salvaged_and_prose_is_not() {
        assert_eq!(salvage_text("So the answer is B."), Some("B".into()));
        assert_eq!(salvage_text("Final answer: **C**"), Some("C".into()));
        assert_eq!(salvage_text("answer is (D) the lamp"), Some("D".into()));
        assert_eq!(
            salvage_text("The answer is 2.45 metres"),
            Some("2.45".into())
        );
        assert_eq!(
            salvage_text("The answer is B because it is closer"),
            Some("B".into())
        );
        assert_eq!(salvage_text("the answer is a bit unclear"), None);
        assert_eq!(salvage_text("The answer is A chair"), None);
        assert_eq!(salvage_text("The answer is Unclear"), None);
        assert_eq!(
            salvage_text("answer is A, no wait, the answer is C"),
            Some("C".into())
        );
    }

    #[test]
    fn return_answer_literals() {
        assert_eq!(
            return_answer_literal("x\nReturnAnswer('B')"),
            Some("B".into())
        );
        assert_eq!(
            return_answer_literal("ReturnAnswer(answer=2.5)"),
            Some("2.5".into())
        );
        assert_eq!(return_answer_literal("ReturnAnswer(dist)"), None);
    }

    #[test]
    fn variables_give_values_never_metadata() {
        let history = vec![Message::user_text("nothing here")];
        let mut scalars = BTreeMap::new();
        scalars.insert("result".to_owned(), json!(3));
        assert_eq!(salvage(&history, &scalars), None, "only answer-like names");
        scalars.insert("final_answer".to_owned(), json!("C"));
        assert_eq!(salvage(&history, &scalars), Some("C".into()));
        let history = vec![
            Message::assistant("**Code**:\n```python\nReturnAnswer(\"A\")\n```"),
            Message::user_text("[ERROR] NameError"),
        ];
        assert_eq!(salvage(&history, &BTreeMap::new()), Some("A".into()));
    }
}
