//! Chain of thought over frames with a `\boxed{}` answer: the no-tool baseline, and the second
//! fallback of forced termination.

use std::time::Instant;

use spatialclaw_llm::{ChatResponse, ContentPart, LlmClient, LlmError, Message};

use crate::config::{AgentConfig, Interface};
use crate::prompts::cot;
use crate::record::{Answer, AnswerSource, Step, StepStatus, Termination, Timings, Trajectory};
use crate::task::{KeyFrame, Task, uniform_indices};

/// The content of the last `\boxed{...}` (braces balanced), trimmed; `None` if there is none or
/// it is empty.
pub fn boxed_answer(text: &str) -> Option<String> {
    let mut found = None;
    let mut rest = text;
    while let Some(at) = rest.find("\\boxed{") {
        let body = &rest[at + "\\boxed{".len()..];
        let mut depth = 1;
        let mut end = None;
        for (i, c) in body.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(i);
                        break;
                    }
                }
                _ => {}
            }
        }
        match end {
            Some(e) => {
                let inner = clean(&body[..e]);
                if !inner.is_empty() {
                    found = Some(inner);
                }
                rest = &body[e..];
            }
            None => break,
        }
    }
    found
}

/// `\text{B}` → `B`; surrounding `$` and spaces removed.
fn clean(s: &str) -> String {
    let s = s.trim().trim_matches('$').trim();
    for wrapper in ["\\text{", "\\mathrm{", "\\textbf{"] {
        if let Some(inner) = s.strip_prefix(wrapper).and_then(|r| r.strip_suffix('}')) {
            return inner.trim().to_owned();
        }
    }
    s.to_owned()
}

/// Up to `max` frames, sampled evenly.
pub fn sample_frames(frames: &[KeyFrame], max: usize) -> Vec<&KeyFrame> {
    uniform_indices(frames.len(), max)
        .into_iter()
        .map(|i| &frames[i])
        .collect()
}

/// One chain-of-thought call over `frames`. Returns the boxed answer (if any) and the response.
pub async fn ask(
    llm: &LlmClient,
    frames: &[&KeyFrame],
    instruction: &str,
    config: &AgentConfig,
    session_id: &str,
) -> Result<(Option<String>, ChatResponse), LlmError> {
    let mut parts: Vec<ContentPart> = frames
        .iter()
        .map(|f| ContentPart::image(f.image.clone()))
        .collect();
    parts.push(ContentPart::text(cot::user_text(instruction)));
    let messages = [
        Message::system(cot::system_prompt(&config.ablations)),
        Message::user_parts(parts),
    ];
    let reply = llm
        .chat(&messages, &config.roles.general, session_id)
        .await?;
    Ok((boxed_answer(&reply.content), reply))
}

/// The no-tool baseline: one call, no kernel. Without a boxed answer, a short reply is taken as
/// the answer as it stands; a long one is not guessed from.
pub async fn run_no_tool(task: &Task, config: &AgentConfig, llm: &LlmClient) -> Trajectory {
    let started = Instant::now();
    let frames = sample_frames(&task.key_frames, config.cot_max_frames);
    let mut step = Step::new(0);
    let result = ask(llm, &frames, &task.instruction, config, &task.id).await;
    step.llm_time = started.elapsed();
    let answer = match result {
        Ok((boxed, reply)) => {
            step.status = StepStatus::Success;
            step.usage = reply.usage;
            step.reasoning = Some(reply.content.clone());
            boxed
                .or_else(|| {
                    let t = reply.content.trim();
                    (!t.is_empty() && t.chars().count() <= 40).then(|| t.to_owned())
                })
                .map(|text| Answer {
                    text,
                    source: AnswerSource::ChainOfThought,
                })
        }
        Err(e) => {
            step.error = Some(e.to_string());
            step.skipped = Some(format!("the model call failed: {e}"));
            None
        }
    };
    let usage = llm.take_usage(&task.id).unwrap_or_default();
    Trajectory {
        task_id: task.id.clone(),
        interface: Interface::NoTool,
        instruction: task.instruction.clone(),
        system_prompt: cot::system_prompt(&config.ablations),
        plan: None,
        steps: vec![step],
        reflections: Vec::new(),
        answer,
        termination: Termination::SingleCall,
        forced: None,
        tool_calls: 0,
        show_images: 0,
        answer_attempts: 0,
        images_trimmed: 0,
        usage,
        timings: Timings {
            total: started.elapsed(),
            llm: started.elapsed(),
            ..Default::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_balanced_box_wins() {
        assert_eq!(boxed_answer("so \\boxed{B}."), Some("B".into()));
        assert_eq!(
            boxed_answer("first \\boxed{A} then \\boxed{\\text{C}}"),
            Some("C".into())
        );
        assert_eq!(
            boxed_answer("\\boxed{\\frac{1}{2}}"),
            Some("\\frac{1}{2}".into())
        );
        assert_eq!(boxed_answer("\\boxed{2.5 m}"), Some("2.5 m".into()));
        assert_eq!(boxed_answer("no box"), None);
        assert_eq!(boxed_answer("\\boxed{}"), None);
        assert_eq!(boxed_answer("cut \\boxed{B"), None);
    }
}
