//! The reflection prompt: appended as a user message to the agent's full history, so the
//! reviewer sees exactly what the agent saw (and the server reuses the cached prefix). Section
//! names carry the prefix `reflection_` for ablations.

use super::assemble;
use crate::config::Ablations;

pub const SECTIONS: &[&str] = &["opening", "check", "do_not_flag", "output", "checklist"];

/// `recent` is the number of steps under review; `checklist` the current list (rendered) when
/// there is one.
pub fn prompt(recent: usize, checklist: Option<&str>, ablations: &Ablations) -> String {
    assemble(SECTIONS, ablations, "reflection_", |name| match name {
        "opening" => {
            let what = if recent <= 1 {
                "the most recent step".to_owned()
            } else {
                format!("the last {recent} steps")
            };
            format!(
                "[Reflection] Step back and review {what} of the agent above. Decide whether it \
                 is on track to a well-supported answer."
            )
        }
        "check" => CHECK.into(),
        "do_not_flag" => DO_NOT_FLAG.into(),
        "output" => OUTPUT.into(),
        "checklist" => match checklist {
            Some(list) => format!("{CHECKLIST_OPS}\n\nCurrent checklist:\n{list}"),
            None => String::new(),
        },
        _ => String::new(),
    })
}

const CHECK: &str = "What to check:
- logic errors, and mistakes of coordinate frame (camera vs world, list index vs frame index);
- tools used wrongly, or a tool whose output shape does not fit the question (e.g. vlm.locate \
for a question that is not about positions);
- drift away from the question, or repeating the same failing action;
- spatial claims that no tool output supports, and tool inputs nobody checked (masks never shown);
- being stuck on \"Cannot determine from the images.\" instead of changing approach;
- vlm.ask_with_thinking questions that put the expected answer into the question;
- pixel coordinates guessed by eye instead of located.";

const DO_NOT_FLAG: &str = "Do not flag: style, ordinary vlm.locate use, asking \
vlm.ask_with_thinking again with different frames, or looking around with show() early on.";

const OUTPUT: &str = "Reply with JSON only, one of:
{\"status\": \"ok\"}
{\"status\": \"concern\", \"explanation\": \"what is wrong\", \"suggestion\": \"what to do instead\"}";

const CHECKLIST_OPS: &str = "You may also update the checklist with a \"checklist_ops\" array \
in the same JSON object: {\"op\": \"verify\", \"item_id\": \"chk_001\", \"note\": \"...\"} when the \
history shows the item verified, {\"op\": \"flag\", \"item_id\": ..., \"note\": ...} when it \
failed, {\"op\": \"add\", \"description\": ..., \"priority\": \"MEDIUM\"} for a missing check. \
Verify items proactively when the evidence is there.";

/// The user message that rejects a submitted answer.
pub fn rejection(answer: &str, explanation: &str, suggestion: Option<&str>) -> String {
    let mut s = format!(
        "[ANSWER REJECTED] Your answer {answer:?} was not accepted yet.\nReason: {explanation}"
    );
    if let Some(sug) = suggestion {
        s.push_str(&format!("\nSuggestion: {sug}"));
    }
    s.push_str(
        "\nBefore you submit again, do one of: address the concern with new evidence, show \
         that it does not apply, or state explicitly why you keep your answer despite it.",
    );
    s
}

/// The user message that passes a concern on when no answer was pending.
pub fn warning(explanation: &str, suggestion: Option<&str>) -> String {
    let mut s = format!("[Self-Reflection] Warning: {explanation}");
    if let Some(sug) = suggestion {
        s.push_str(&format!("\nSuggestion: {sug}"));
    }
    s
}
