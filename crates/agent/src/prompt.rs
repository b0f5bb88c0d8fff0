//! The agent's system prompt, built from named sections so that ablations can drop or replace
//! any of them by name. The tool reference is generated from the runtime's own docstrings
//! (the kernel reports it at start-up), so code and prompt cannot drift apart.
//!
//! The wording is ours; the section order follows the original so results stay comparable.

use std::collections::BTreeMap;

/// What the prompt needs to know about this sample.
#[derive(Debug, Clone, Default)]
pub struct PromptContext {
    pub max_steps: usize,
    /// Tool reference text from the runtime (`tools.tool_docs()`).
    pub tool_docs: String,
    pub is_video: bool,
    pub num_images: usize,
    pub fps: Option<f64>,
    pub total_frames: Option<i64>,
    pub duration_sec: Option<f64>,
    /// (key-frame number, InputImages list index, absolute frame index) of the images shown in
    /// the first message.
    pub key_frames: Vec<(usize, usize, i64)>,
}

/// Exclude sections or override their text by name (the original's `prompt_section_ablations`).
#[derive(Debug, Clone, Default)]
pub struct Ablations {
    pub exclude: Vec<String>,
    pub overrides: BTreeMap<String, String>,
}

/// Names of the main prompt's sections, in order.
pub const SECTIONS: &[&str] = &[
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

fn section_text(name: &str, ctx: &PromptContext) -> String {
    match name {
        "header" => "# Spatial reasoning agent\n\
            You answer questions about the geometry of scenes in images and videos: distances, sizes, \
            directions, counts, order of appearance, camera and object motion. You work in a persistent \
            Python kernel: each reply contains one code cell, the kernel runs it, and you read what it \
            printed and showed before writing the next. The inputs are already loaded: `InputImages` \
            (a list of `FrameImage`) and `Metadata`; several videos appear as `InputImages_1`, \
            `InputImages_2`, ...".into(),
        "response_format" => "## Reply format (every reply, all four sections)\n\
            **Purpose**: what this step is for, in one line\n\
            **Reasoning**: why this step, based on what you have seen so far\n\
            **Next Goal**: what you will do after it\n\
            **Code**:\n```python\n# one cell of Python\n```\n\
            A reply without all four sections is not executed.".into(),
        "show_api" => "## Looking at things: show()\n\
            `show(x, label=\"...\")` attaches pictures to the feedback of this step so you can see them. \
            `x` may be a `FrameImage` (e.g. `InputImages[3]`), a list of them (`InputImages[::8]`), a PIL image, \
            a uint8 array, or a `VisualFeedback` such as `seg.visualize(fi)` or `recon.render_bev(...)`. \
            Matplotlib figures are captured by `plt.show()`. Look before you conclude: check every mask you \
            rely on with `show(seg.visualize(fi))`. Show a handful of images, not whole videos.".into(),
        "vlm_api" => "## Asking the vision-language model: vlm\n\
            - `vlm.locate(images, question) -> str` (up to 8 images): grounding. Ask for a point or box in \
            0-1000 normalised coordinates and \"reply with only the numbers\"; convert with \
            `tools.Geometry.normalized_to_pixel`. It answers `Not visible` when the thing is absent.\n\
            - `vlm.ask_with_thinking(images, question) -> str` (up to 64 images): a careful look when no \
            tool measures what you need. Each call is independent of this conversation: state the \
            question fully and do not hint at the answer you expect. Agreement across different frames is \
            evidence; \"Cannot determine from the images.\" means ask differently or use another tool.".into(),
        "available_tools" => format!(
            "## Tools\nCall them as `tools.<Tool>.<method>(...)` (also bound at top level, e.g. `SAM3`).\n\n{}",
            ctx.tool_docs.trim()
        ),
        "coordinate_system" => "## Coordinates\n\
            - Pixels: (x, y) = (column, row), origin top-left, at InputImages resolution.\n\
            - Camera (OpenCV): x right, y down, z forward.\n\
            - World (after `Reconstruct`): metres, gravity-aligned, +Y up, floor at Y = 0, the first \
            camera looks along -Z and its right is +X.\n\
            - `recon.extrinsics[fi]` is a 4x4 camera-to-world matrix: column 0 = camera right, column 1 = \
            camera down, column 2 = camera forward, column 3 = camera position (all in world).\n\
            - Left/right/front/behind relative to a camera: take the object's 3D centroid at frame `fi`, \
            subtract the camera position at the same `fi`, and dot with the right (column 0) and forward \
            (column 2) axes. Positive right = to the right; positive forward = in front.\n\
            - Frame indices are absolute video frame numbers: use `InputImages[i].frame_index`, not `i`, to \
            index any per-frame result.".into(),
        "robust_computation" => "## Robust numbers\n\
            Prefer medians to means, drop low-confidence points, check that several frames agree, keep \
            metric units, and print intermediate values with their units before you conclude. Sanity-check \
            magnitudes (a chair is about 0.5 m wide, a room 3-10 m across).".into(),
        "evidence_hierarchy" => "## Evidence\n\
            Back every answer with at least two independent lines of evidence (e.g. a measured distance and \
            a visual check). Perception can be wrong: a mask can cover the wrong object, a depth map can be \
            off at edges. When evidence disagrees, find out which input is wrong (look at it) before \
            choosing.".into(),
        "return_answer" => "## Submitting\n\
            `ReturnAnswer(x)` submits the final answer and ends the session: a letter for multiple choice \
            (`ReturnAnswer(\"B\")`), a number for numeric questions (`ReturnAnswer(2.4)`), or a short \
            phrase. numpy numbers are fine. Call it once, when you are confident.".into(),
        "code_rules" => "## Code rules\n\
            - Already imported: `np`, `math`, `collections`, `itertools`, `functools`, `matplotlib`, `plt`, \
            `scipy` and `ndimage`, `spatial`, `signal`, `optimize`. Other allowed imports: statistics, heapq, \
            bisect, re, json, dataclasses, typing, copy, random, PIL.\n\
            - No file, network or process access, no `exec`/`eval`/`open`: use `print` and `show`.\n\
            - Variables persist between cells; one logical step per cell.\n\
            - Never rebind the provided names (`InputImages`, `Metadata`, `tools`, `show`, `vlm`, \
            `ReturnAnswer`).".into(),
        "workflow" => {
            if ctx.max_steps <= 1 {
                "## Workflow (single turn)\n\
                You get exactly ONE cell. Gather all evidence, compute the answer and call `ReturnAnswer` at \
                the end of that same cell; otherwise the session ends without your answer.".into()
            } else {
                format!(
                    "## Workflow\n\
                    1. Look at the inputs and decide what must be measured.\n\
                    2. Get the measurements with the tools (reconstruct, segment, compute).\n\
                    3. Verify the inputs of each measurement (show the masks you use).\n\
                    4. Cross-check, then `ReturnAnswer`.\n\n## Budget: {} steps.",
                    ctx.max_steps
                )
            }
        }
        "session_input" => session_input(ctx),
        _ => String::new(),
    }
}

fn session_input(ctx: &PromptContext) -> String {
    let mut s = String::from("## This session's input\n");
    if ctx.is_video {
        let fps = ctx.fps.map(|f| format!(" at {f} FPS")).unwrap_or_default();
        let total = ctx
            .total_frames
            .map(|t| format!(" from {t} total"))
            .unwrap_or_default();
        let dur = ctx
            .duration_sec
            .map(|d| format!(" Duration: {d:.1} s."))
            .unwrap_or_default();
        s.push_str(&format!(
            "VIDEO: {} sampled frames{total}{fps}.{dur}\n",
            ctx.num_images
        ));
    } else {
        s.push_str(&format!("{} static image(s).\n", ctx.num_images));
    }
    s.push_str(
        "`InputImages` holds ALL of them; its list index is not the frame number: \
        `InputImages[i].frame_index` is the absolute index every tool result uses.\n",
    );
    if !ctx.key_frames.is_empty() {
        s.push_str(&format!(
            "Your first message shows {} key frame(s):\n{}",
            ctx.key_frames.len(),
            key_frame_lines(&ctx.key_frames, "Key frame ")
        ));
    }
    s
}

/// `#k -> InputImages[i] (frame f)` lines; long lists keep the first and last five.
pub fn key_frame_lines(key_frames: &[(usize, usize, i64)], prefix: &str) -> String {
    let line = |&(k, i, f): &(usize, usize, i64)| {
        format!("{prefix}#{k} -> InputImages[{i}] (frame {f})\n")
    };
    if key_frames.len() <= 16 {
        return key_frames.iter().map(line).collect();
    }
    let mut s: String = key_frames[..5].iter().map(line).collect();
    s.push_str(&format!("... ({} more) ...\n", key_frames.len() - 10));
    s.extend(key_frames[key_frames.len() - 5..].iter().map(line));
    s
}

/// The main system prompt.
pub fn system_prompt(ctx: &PromptContext, ablations: &Ablations) -> String {
    let parts: Vec<String> = SECTIONS
        .iter()
        .filter(|name| !ablations.exclude.iter().any(|e| e == *name))
        .map(|name| {
            ablations
                .overrides
                .get(*name)
                .cloned()
                .unwrap_or_else(|| section_text(name, ctx))
        })
        .filter(|t| !t.trim().is_empty())
        .collect();
    parts.join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> PromptContext {
        PromptContext {
            max_steps: 30,
            tool_docs: "tools.Reconstruct.Reconstruct(frames, frame_indices=None)".into(),
            num_images: 1,
            key_frames: vec![(1, 0, 0)],
            ..Default::default()
        }
    }

    #[test]
    fn sections_appear_in_order_with_tool_docs() {
        let p = system_prompt(&ctx(), &Ablations::default());
        let pos = |needle: &str| p.find(needle).unwrap_or_else(|| panic!("missing {needle}"));
        assert!(pos("# Spatial reasoning agent") < pos("## Reply format"));
        assert!(pos("## Tools") < pos("## Coordinates"));
        assert!(p.contains("tools.Reconstruct.Reconstruct(frames, frame_indices=None)"));
        assert!(p.contains("## Budget: 30 steps."));
        assert!(p.contains("Key frame #1 -> InputImages[0] (frame 0)"));
    }

    #[test]
    fn ablations_exclude_and_override_by_name() {
        let mut a = Ablations::default();
        a.exclude.push("evidence_hierarchy".into());
        a.overrides
            .insert("return_answer".into(), "## Submitting\nSay it.".into());
        let p = system_prompt(&ctx(), &a);
        assert!(!p.contains("## Evidence"));
        assert!(p.contains("## Submitting\nSay it."));
    }

    #[test]
    fn a_single_step_budget_switches_the_workflow() {
        let p = system_prompt(
            &PromptContext {
                max_steps: 1,
                ..ctx()
            },
            &Ablations::default(),
        );
        assert!(p.contains("exactly ONE cell"));
        assert!(!p.contains("## Budget"));
    }

    #[test]
    fn long_key_frame_lists_are_abbreviated() {
        let frames: Vec<_> = (0..32).map(|k| (k + 1, k, (k * 30) as i64)).collect();
        let text = key_frame_lines(&frames, "");
        assert_eq!(text.lines().count(), 11);
        assert!(text.contains("... (22 more) ..."));
        assert!(text.contains("#32 -> InputImages[31] (frame 930)"));
    }
}

/// System prompt of `vlm.locate` calls.
pub const LOCATE_SYSTEM: &str = "You locate things in images. First decide whether the requested thing \
is clearly present, absent, or ambiguous. If it is present, answer exactly in the form asked for (for \
coordinates: numbers on a 0-1000 normalised scale, numbers only when asked). If it is absent or you are \
not sure which instance is meant, reply exactly `Not visible`, optionally followed by one short line \
saying why. A refusal is better than a guess near the wrong object.";

/// Prepended to every `vlm.locate` question.
pub const LOCATE_PREAMBLE: &str = "Check first that the target is visible; if it is not, reply \
`Not visible`.\nRequest: ";

/// System prompt of `vlm.ask_with_thinking` calls.
pub const THINKING_SYSTEM: &str = "You reason carefully about up to 64 images. Base every statement on \
what the images show, refer to frames by their indices when the question does, and finish with a \
concise answer. If the images do not contain enough information, reply `Cannot determine from the \
images.` and say what is missing. Treat each question on its own.";
