//! The blind planner's prompt: it sees the question and the tool reference, never the images,
//! and writes a plan (plus a verification checklist) for a separate agent that can see.
//! Section names carry the prefix `planning_` for ablations.

use std::fmt::Write as _;

use super::input::input_description;
use super::{PromptContext, assemble, main_sections};
use crate::config::{Ablations, Interface};

pub const SECTIONS: &[&str] = &[
    "header",
    "available_tools",
    "show_api",
    "vlm_api",
    "coordinate_system",
    "tool_decision",
    "input",
    "task",
    "rules",
    "checklist",
];

pub fn system_prompt(ctx: &PromptContext, ablations: &Ablations) -> String {
    assemble(SECTIONS, ablations, "planning_", |name| text(name, ctx))
}

fn text(name: &str, ctx: &PromptContext) -> String {
    match name {
        "header" => HEADER.into(),
        "available_tools" | "show_api" | "vlm_api" | "coordinate_system" => {
            main_sections::text(name, ctx)
        }
        "tool_decision" if !ctx.gpu_tools.is_empty() => format!(
            "{TOOL_DECISION}\n\n{}\n\n{}",
            main_sections::text("evidence_hierarchy", ctx),
            main_sections::text("robust_computation", ctx)
        ),
        "input" => input(ctx),
        "task" => task(ctx),
        "rules" => RULES.into(),
        "checklist" => CHECKLIST.into(),
        _ => String::new(),
    }
}

const HEADER: &str = "# Planner for a spatial reasoning agent
You write the plan; you do not carry it out. You cannot see the images. A separate agent that \
CAN see them will execute your plan step by step in a Python kernel with the tools below, and \
will adapt it to what it finds. Your job is to make its work reliable: what to measure, with \
which tool, how to check each result, and what to do when something fails.";

const TOOL_DECISION: &str = "## Choosing tools
- Match the tool to the shape of the evidence: positions and extents in pixels -> `vlm.locate` \
then segmentation; metric distances, sizes and directions -> reconstruction plus geometry; \
events, order, text and categories -> `vlm.ask_with_thinking` over the relevant frames.
- Plan `vlm.ask_with_thinking` when no specialised tool fits, or as the fallback when a tool's \
output failed its check.
- When the question refers to marks drawn on the image (boxes, arrows, letters), plan a `show` \
of the referenced frame first.
- Ground coordinates with `vlm.locate` and convert them with \
`tools.Geometry.normalized_to_pixel`; never plan coordinates guessed by eye.
- Quantitative questions need tool numbers; qualitative ones may rest on `show` and \
`vlm.ask_with_thinking`, checked twice.
- Plan a verification for every measurement. Never decide the answer in the plan.";

fn input(ctx: &PromptContext) -> String {
    let mut s = format!("## The input\n{}\n", input_description(&ctx.input));
    s.push_str(
        "You do not see the frames; the executing agent does, and can show itself any of them.\n",
    );
    if !ctx.input.videos.is_empty() {
        s.push_str(
            "Each video has its own list `InputImages_<n>`; plan per video and say which one \
             every step uses.\n",
        );
    }
    s.push_str(
        "List positions in `InputImages` are not frame numbers: per-frame results are keyed by \
         the absolute index `InputImages[i].frame_index`.",
    );
    s
}

fn task(ctx: &PromptContext) -> String {
    let mut s = String::from(
        "## What to write
1. Task analysis: what is asked, which objects and which reference frame (whose left? which \
camera? which moment?) the question implies, and what form the answer takes.
2. Information needed: the facts that decide the answer.
3. Computation plan: numbered steps, each naming the tool calls and what they yield. Every \
spatial claim must be backed by numbers from a tool.
4. Verification checklist, directly after the plan (format below).
5. Verification: how each intermediate result is checked (which masks to show, which values \
are plausible).
6. Fallbacks: what to do when a tool fails or results disagree.",
    );
    if ctx.gpu_tools.is_empty() {
        s.push_str(
            "\n\nExample of a plan step: \"3. Ask vlm.ask_with_thinking over frames 0, 8 and 16 \
             whether the door is left of the sofa in each; expect the same answer in all three.\"",
        );
    }
    s
}

const RULES: &str = "## Rules
- Plain text. No JSON except the checklist, no executable code (short pseudocode is fine).
- Never state, guess or hint at the answer.";

const CHECKLIST: &str = "## Checklist format
Right after the computation plan, write a heading `### CHECKLIST` followed by a ```json block \
holding an array of 3-5 items, each `{\"priority\": \"HIGH\" | \"MEDIUM\" | \"LOW\", \
\"description\": \"...\"}`. HIGH items must be verified before answering (e.g. \"the chair mask \
covers the chair in the frame used\"); MEDIUM items should be; LOW items are nice to have.";

/// The planner's user message. It states the input honestly (the original reported the
/// key-frame count as the frame count; §9.12).
pub fn user_message(ctx: &PromptContext, instruction: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Input: {}", input_description(&ctx.input));
    if !ctx.key_frames.is_empty() {
        let indices: Vec<String> = ctx
            .key_frames
            .iter()
            .map(|k| k.frame_index.to_string())
            .collect();
        let _ = writeln!(
            s,
            "The executing agent will be shown {} key frame(s) (frame indices: [{}]).",
            ctx.key_frames.len(),
            indices.join(", ")
        );
    }
    let _ = write!(s, "\nQuestion: {instruction}");
    if ctx.interface == Interface::React {
        s.push_str(
            "\n\n(The agent acts with one tool call per step; plan in terms of tool calls.)",
        );
    }
    s
}

/// Asks for the checklist again when the plan's checklist section could not be read.
pub fn checklist_repair(section: &str) -> String {
    format!(
        "The checklist below could not be read. Rewrite it as a bare JSON array of objects with \
         the keys \"priority\" (HIGH, MEDIUM or LOW) and \"description\". Reply with the JSON \
         array only.\n\n{section}"
    )
}

/// Asks for a checklist when the plan has none.
pub fn checklist_generate(plan: &str) -> String {
    format!(
        "Here is a plan for answering a spatial question. Write 3-5 verification items the \
         executing agent must check before answering, as a bare JSON array of objects with the \
         keys \"priority\" (HIGH, MEDIUM or LOW) and \"description\". Reply with the JSON array \
         only.\n\n{plan}"
    )
}
