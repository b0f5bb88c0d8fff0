//! Every prompt the agent sends, built from named sections so ablations can drop or replace any
//! of them by name ([`crate::Ablations`]).
//!
//! The wording is ours; the section order follows the original so results stay comparable. The
//! tool reference is not written here: it is generated from the runtime's own docstrings (the
//! kernel reports it at start-up), so code and prompt cannot drift apart.
//!
//! Everything before `session_input` is identical across samples of the same interface, which
//! keeps the server's prefix cache warm.

pub mod cot;
mod input;
mod main_sections;
pub mod planning;
mod react_sections;
pub mod reflection;
pub mod vlm;

pub use input::{input_description, key_frame_lines};

use crate::config::{Ablations, Interface};
use crate::task::{InputSummary, KeyFrameRef};

/// What the prompts need to know about this sample and run.
#[derive(Debug, Clone, Default)]
pub struct PromptContext {
    pub interface: Interface,
    /// The effective step budget (1 for single-pass).
    pub max_steps: usize,
    /// Tool reference text from the runtime (`tools.tool_docs()`).
    pub tool_docs: String,
    pub input: InputSummary,
    pub key_frames: Vec<KeyFrameRef>,
    /// show() images per session; `None` = unlimited.
    pub show_budget: Option<usize>,
    /// GPU tools documented (Reconstruct, SAM3); the planner's tool-decision section needs one.
    pub gpu_tools: Vec<String>,
}

impl PromptContext {
    pub(crate) fn single_turn(&self) -> bool {
        self.max_steps <= 1
    }
}

/// Section names of the code and single-pass system prompt, in order.
pub const CODE_SECTIONS: &[&str] = &[
    "header",
    "response_format",
    "show_api",
    "vlm_api",
    "available_tools",
    "coordinate_system",
    "robust_computation",
    "evidence_hierarchy",
    "return_answer",
    "code_rules",
    "workflow",
    "session_input",
];

/// Section names of the react system prompt, in order. Shared names carry the interface's own
/// text (`header`, `response_format`, `workflow`); `tool_call_rules` takes the place of
/// `show_api` and `code_rules`.
pub const REACT_SECTIONS: &[&str] = &[
    "header",
    "response_format",
    "vlm_api",
    "available_tools",
    "coordinate_system",
    "robust_computation",
    "evidence_hierarchy",
    "return_answer",
    "tool_call_rules",
    "workflow",
    "session_input",
];

/// Joins sections with blank lines and collapses longer runs of empty lines.
pub(crate) fn assemble<'a>(
    names: &[&'a str],
    ablations: &Ablations,
    prefix: &str,
    text: impl Fn(&'a str) -> String,
) -> String {
    let parts: Vec<String> = names
        .iter()
        .filter_map(|name| ablations.apply(&format!("{prefix}{name}"), || text(name)))
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    collapse_blank_lines(&parts.join("\n\n"))
}

fn collapse_blank_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut newlines = 0;
    for c in text.chars() {
        if c == '\n' {
            newlines += 1;
            if newlines > 2 {
                continue;
            }
        } else {
            newlines = 0;
        }
        out.push(c);
    }
    out
}

/// The main system prompt of a kernel interface; for `no-tool`, the chain-of-thought prompt.
pub fn system_prompt(ctx: &PromptContext, ablations: &Ablations) -> String {
    match ctx.interface {
        Interface::Code | Interface::SinglePass => assemble(CODE_SECTIONS, ablations, "", |n| {
            main_sections::text(n, ctx)
        }),
        Interface::React => assemble(REACT_SECTIONS, ablations, "", |n| {
            react_sections::text(n, ctx)
        }),
        Interface::NoTool => cot::system_prompt(ablations),
    }
}

/// The message that follows the plan, telling the agent to carry it out in its reply format.
pub fn transition_message(interface: Interface) -> String {
    let format = match interface {
        Interface::React => {
            "**Purpose**, **Reasoning**, **Next Goal** and **Tool Call** (one ```json object \
             {\"tool\": ..., \"args\": {...}})"
        }
        _ => "**Purpose**, **Reasoning**, **Next Goal** and **Code** (one ```python block)",
    };
    format!(
        "Carry out the plan one step at a time. Every reply uses the required format: {format}. \
         Adapt the plan when the results call for it. Begin with its first step."
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::KeyFrameRef;

    fn ctx(interface: Interface) -> PromptContext {
        PromptContext {
            interface,
            max_steps: 30,
            tool_docs: "tools.Reconstruct.Reconstruct(frames)".into(),
            input: InputSummary {
                num_images: 1,
                ..Default::default()
            },
            key_frames: vec![KeyFrameRef {
                number: 1,
                list_index: 0,
                frame_index: 0,
                video: 0,
            }],
            show_budget: Some(250),
            gpu_tools: vec!["Reconstruct".into(), "SAM3".into()],
        }
    }

    #[test]
    fn code_sections_appear_in_order_with_tool_docs() {
        let p = system_prompt(&ctx(Interface::Code), &Ablations::default());
        let pos = |needle: &str| p.find(needle).unwrap_or_else(|| panic!("missing {needle}"));
        assert!(pos("# Spatial reasoning agent") < pos("## Reply format"));
        assert!(pos("## Tools") < pos("## Coordinate frames"));
        assert!(p.contains("tools.Reconstruct.Reconstruct(frames)"));
        assert!(p.contains("## Budget: 30 steps."));
        assert!(p.contains("Key frame #1 -> InputImages[0] (frame 0)"));
        assert!(!p.contains("\n\n\n"));
    }

    #[test]
    fn ablations_exclude_and_override_by_name() {
        let mut a = Ablations::default();
        a.exclude.push("evidence_hierarchy".into());
        a.overrides
            .insert("return_answer".into(), "## Submitting\nSay it.".into());
        let p = system_prompt(&ctx(Interface::Code), &a);
        assert!(!p.contains("## Evidence"));
        assert!(p.contains("## Submitting\nSay it."));
        let r = system_prompt(&ctx(Interface::React), &a);
        assert!(r.contains("## Submitting\nSay it."), "names are shared");
    }

    #[test]
    fn single_pass_switches_the_workflow() {
        let p = system_prompt(
            &PromptContext {
                interface: Interface::SinglePass,
                max_steps: 1,
                ..ctx(Interface::SinglePass)
            },
            &Ablations::default(),
        );
        assert!(p.contains("exactly ONE cell"));
        assert!(!p.contains("## Budget"));
    }

    #[test]
    fn react_documents_the_tool_call_and_not_the_code_rules() {
        let p = system_prompt(&ctx(Interface::React), &Ablations::default());
        assert!(p.contains("**Tool Call**"));
        assert!(p.contains("result_<step>"));
        assert!(!p.contains("## Code rules"));
    }
}
