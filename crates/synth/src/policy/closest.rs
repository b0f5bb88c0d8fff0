//! The closest-distance family (the walking-skeleton demo's question): locate both objects,
//! then measure the gap between their point sets with a KD-tree, with its own recovery path
//! for failed segmentation (shorter prompts, lower thresholds).

use super::PolicyError;
use crate::question::parse_closest_distance;
use serde_json::Value;

/// Longest label the policy will put into a cell.
const MAX_LABEL_CHARS: usize = 80;
/// After this many assistant turns the policy stops trying and answers.
const MAX_TURNS: usize = 8;

/// The policy's steps, in the order they are normally taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Reconstruct, segment both labels, report point counts.
    Locate,
    /// Segmentation failed: retry with each label's last word.
    LocateShort,
    /// Segmentation failed again: try several prompts and a lower threshold.
    LocateRobust,
    /// KD-tree between the two masked point sets, answer.
    Measure,
    /// Measurement failed: redo everything in one defensive cell.
    MeasureRobust,
    /// Nothing worked: say so and answer "unknown".
    GiveUp,
    /// The answer is already submitted.
    Done,
}

impl Stage {
    const ALL: [Stage; 7] = [
        Stage::Locate,
        Stage::LocateShort,
        Stage::LocateRobust,
        Stage::Measure,
        Stage::MeasureRobust,
        Stage::GiveUp,
        Stage::Done,
    ];

    /// Opening of the Purpose line; how the policy recognises its own turns.
    fn marker(self) -> &'static str {
        match self {
            Stage::Locate => "Reconstruct the scene and segment",
            Stage::LocateShort => "Retry the segmentation with shorter prompts",
            Stage::LocateRobust => "Segment both objects defensively",
            Stage::Measure => "Measure the closest distance between the segmented point sets",
            Stage::MeasureRobust => "Redo the whole measurement in one self-contained cell",
            Stage::GiveUp => "Stop: the objects could not be measured",
            Stage::Done => "The answer is already submitted",
        }
    }

    fn recognise(assistant_text: &str) -> Option<Stage> {
        let purpose = section(assistant_text, "**Purpose**")?;
        Stage::ALL
            .into_iter()
            .find(|s| purpose.starts_with(s.marker()))
    }
}

/// Next assistant message for an OpenAI chat-completions `messages` array.
///
/// User content may be a string or a list of parts (`{"type": "text", "text": ...}`, image
/// parts are ignored). The reply uses the agent's markdown format: **Purpose**,
/// **Reasoning**, **Next Goal**, **Code** with a python fence.
pub(super) fn respond(messages: &[Value]) -> Result<String, PolicyError> {
    let mut turns: Vec<Option<Stage>> = Vec::new();
    let mut question = None;
    let mut feedback = String::new();
    for (index, m) in messages.iter().enumerate() {
        let role = m
            .get("role")
            .and_then(Value::as_str)
            .ok_or(PolicyError::MalformedMessage { index })?;
        let text = content_text(m);
        match role {
            "assistant" => {
                turns.push(Stage::recognise(&text));
                feedback.clear();
            }
            "user" => {
                if question.is_none() {
                    question = parse_closest_distance(&text);
                }
                if !turns.is_empty() {
                    feedback.push_str(&text);
                    feedback.push('\n');
                }
            }
            _ => {}
        }
    }
    let (a, b) = question.ok_or(PolicyError::UnsupportedQuestion)?;
    for label in [&a, &b] {
        if label.chars().count() > MAX_LABEL_CHARS || label.contains(['\n', '\r']) {
            return Err(PolicyError::InvalidLabel(label.clone()));
        }
    }
    let stage = next_stage(&turns, &feedback, &a, &b);
    Ok(write_turn(stage, &a, &b))
}

pub(super) fn content_text(m: &Value) -> String {
    match m.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter(|p| p.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// Text of a bold markdown section up to the end of its line.
pub(super) fn section<'t>(text: &'t str, header: &str) -> Option<&'t str> {
    let start = text.find(header)? + header.len();
    let rest = text[start..].trim_start_matches([':', ' ', '\t']);
    Some(rest.lines().next().unwrap_or("").trim())
}

fn next_stage(turns: &[Option<Stage>], feedback: &str, a: &str, b: &str) -> Stage {
    if feedback.contains("[ANSWER SUBMITTED]") {
        return Stage::Done;
    }
    if turns.len() >= MAX_TURNS {
        return Stage::GiveUp;
    }
    let failed = feedback.contains("[ERROR]") || feedback.contains("[PARTIAL ERROR]");
    let located = !failed && point_counts_ok(feedback);
    let shorter_exists = short_prompt(a) != a || short_prompt(b) != b;
    // Unrecognised turns (e.g. a format error placeholder) are skipped; none at all = start.
    match turns.iter().rev().find_map(|t| *t) {
        None => Stage::Locate,
        Some(Stage::Locate) if located => Stage::Measure,
        Some(Stage::Locate) if shorter_exists => Stage::LocateShort,
        Some(Stage::Locate | Stage::LocateShort) if !located => Stage::LocateRobust,
        Some(Stage::LocateShort | Stage::LocateRobust) if located => Stage::Measure,
        Some(Stage::LocateRobust) => Stage::GiveUp,
        Some(Stage::Measure) => Stage::MeasureRobust,
        Some(Stage::MeasureRobust | Stage::GiveUp) => Stage::GiveUp,
        Some(Stage::Done) => Stage::Done,
        // Unreachable by the guards above; answering is the safe default.
        Some(_) => Stage::GiveUp,
    }
}

/// Reads the `points_a: N` / `points_b: N` lines the locate cells print. Missing lines (for
/// example truncated output) are trusted; a zero count is a failure.
fn point_counts_ok(feedback: &str) -> bool {
    ["points_a:", "points_b:"].iter().all(|key| {
        match feedback.lines().find_map(|l| l.trim().strip_prefix(key)) {
            Some(rest) => rest
                .split_whitespace()
                .next()
                .and_then(|n| n.parse::<u64>().ok())
                .is_none_or(|n| n > 0),
            None => true,
        }
    })
}

/// A label's last word ("coffee table" → "table"): segmenters often know the head noun.
fn short_prompt(label: &str) -> &str {
    label.split_whitespace().last().unwrap_or(label)
}

/// A Python string literal for arbitrary text. Backticks and asterisks are escaped too, so a
/// label can never close the code fence or fake a section header of the reply.
pub(super) fn py_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '`' | '*' => out.push_str(&format!("\\x{:02x}", c as u32)),
            ' '..='~' => out.push(c),
            c if (c as u32) <= 0xFFFF => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// A label for prose lines: markdown-active characters become spaces.
pub(super) fn prose(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || " -_'/.()".contains(c) {
                c
            } else {
                ' '
            }
        })
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(super) fn format_turn(purpose: &str, reasoning: &str, next_goal: &str, code: &str) -> String {
    format!(
        "**Purpose**: {purpose}\n**Reasoning**: {reasoning}\n**Next Goal**: {next_goal}\n**Code**:\n```python\n{}\n```",
        code.trim_end()
    )
}

fn write_turn(stage: Stage, a: &str, b: &str) -> String {
    let (pa, pb) = (prose(a), prose(b));
    let (la, lb) = (py_str(a), py_str(b));
    let marker = stage.marker();
    match stage {
        Stage::Locate => format_turn(
            &format!("{marker} the {pa} and the {pb}."),
            "The question asks for the closest distance between two objects, which needs metric 3D \
             points of both.\nReconstruct gives a metric point map of the frame; text segmentation \
             gives a mask per object, and masked points lift each mask to 3D.\nI print the point \
             counts and look at the masks to check that the right objects were found.",
            "Confirm both masks cover the right objects, then measure the gap between the point sets.",
            &format!(
                "recon = tools.Reconstruct.Reconstruct(InputImages)\n\
                 fi = InputImages[0].frame_index\n\
                 seg_a = tools.SAM3.segment_image_by_text(InputImages[0], {la})\n\
                 seg_b = tools.SAM3.segment_image_by_text(InputImages[0], {lb})\n\
                 pts_a = seg_a.get_masked_points(recon, frame=fi, object=0)\n\
                 pts_b = seg_b.get_masked_points(recon, frame=fi, object=0)\n\
                 print(\"points_a:\", len(pts_a), {la})\n\
                 print(\"points_b:\", len(pts_b), {lb})\n\
                 show(seg_a.visualize(fi), label={})\n\
                 show(seg_b.visualize(fi), label={})",
                py_str(&format!("{a} mask")),
                py_str(&format!("{b} mask")),
            ),
        ),
        Stage::LocateShort => {
            let (sa, sb) = (short_prompt(a), short_prompt(b));
            format_turn(
                &format!("{marker} ({} and {}).", prose(sa), prose(sb)),
                "The previous cell failed or produced an empty mask.\nSegmenters usually know the \
                 head noun of a phrase, so I retry with the last word of each label and keep the \
                 reconstruction step in the same cell because failed cells are rolled back.",
                "Get non-empty masks for both objects, then measure.",
                &format!(
                    "recon = tools.Reconstruct.Reconstruct(InputImages)\n\
                     fi = InputImages[0].frame_index\n\
                     seg_a = tools.SAM3.segment_image_by_text(InputImages[0], {})\n\
                     seg_b = tools.SAM3.segment_image_by_text(InputImages[0], {})\n\
                     pts_a = seg_a.get_masked_points(recon, frame=fi, object=0)\n\
                     pts_b = seg_b.get_masked_points(recon, frame=fi, object=0)\n\
                     print(\"points_a:\", len(pts_a), {la})\n\
                     print(\"points_b:\", len(pts_b), {lb})\n\
                     show(seg_a.visualize(fi), label={})\n\
                     show(seg_b.visualize(fi), label={})",
                    py_str(sa),
                    py_str(sb),
                    py_str(&format!("{a} mask")),
                    py_str(&format!("{b} mask")),
                ),
            )
        }
        Stage::LocateRobust => format_turn(
            &format!("{marker}, trying several prompts for the {pa} and the {pb}."),
            "Plain segmentation did not give usable masks.\nI try the full label and its last word \
             at the default and a lower confidence threshold, catch failures, and keep the first \
             mask that yields 3D points, so one bad prompt cannot stop the cell.",
            "Find any usable mask for each object; if one is still missing, stop.",
            &format!(
                "{}\nseg_a, pts_a = _segment_points([{la}, {}])\n\
                 seg_b, pts_b = _segment_points([{lb}, {}])\n\
                 print(\"points_a:\", len(pts_a), {la})\n\
                 print(\"points_b:\", len(pts_b), {lb})\n\
                 if seg_a is not None:\n    show(seg_a.visualize(fi), label={})\n\
                 if seg_b is not None:\n    show(seg_b.visualize(fi), label={})",
                ROBUST_HELPER,
                py_str(short_prompt(a)),
                py_str(short_prompt(b)),
                py_str(&format!("{a} mask")),
                py_str(&format!("{b} mask")),
            ),
        ),
        Stage::Measure => format_turn(
            &format!("{marker} of the {pa} and the {pb}."),
            "Both masks have 3D points in the metric reconstruction.\nThe closest distance between \
             the two objects is the smallest distance between a point of one set and a point of \
             the other; a KD-tree on one set answers nearest-neighbour queries for the other \
             quickly.",
            "Report the minimum distance in metres as the answer.",
            "pts_a = seg_a.get_masked_points(recon, frame=fi, object=0)\n\
             pts_b = seg_b.get_masked_points(recon, frame=fi, object=0)\n\
             pts_a = pts_a[np.isfinite(pts_a).all(axis=1)]\n\
             pts_b = pts_b[np.isfinite(pts_b).all(axis=1)]\n\
             if len(pts_a) == 0 or len(pts_b) == 0:\n    \
                 raise ValueError(\"one of the masks has no valid 3D points\")\n\
             tree = scipy.spatial.cKDTree(pts_b)\n\
             dists, _ = tree.query(pts_a, k=1)\n\
             d = float(dists.min())\n\
             print(f\"closest distance: {d:.3f} m\")\n\
             ReturnAnswer(round(float(d), 2))",
        ),
        Stage::MeasureRobust => format_turn(
            &format!("{marker} for the {pa} and the {pb}."),
            "The measurement cell failed, possibly because variables were rolled back or a mask \
             was empty.\nThis cell rebuilds the reconstruction and masks with fallbacks and \
             measures in one go, so it does not depend on earlier state.",
            "Answer with the closest distance in metres.",
            &format!(
                "{}\nseg_a, pts_a = _segment_points([{la}, {}])\n\
                 seg_b, pts_b = _segment_points([{lb}, {}])\n\
                 if len(pts_a) == 0 or len(pts_b) == 0:\n    \
                     raise ValueError(\"no usable mask for one of the objects\")\n\
                 dists, _ = scipy.spatial.cKDTree(pts_b).query(pts_a, k=1)\n\
                 d = float(dists.min())\n\
                 print(f\"closest distance: {{d:.3f}} m\")\n\
                 ReturnAnswer(round(float(d), 2))",
                ROBUST_HELPER,
                py_str(short_prompt(a)),
                py_str(short_prompt(b)),
            ),
        ),
        Stage::GiveUp => format_turn(
            &format!("{marker} with the available tools."),
            "Segmentation or measurement failed repeatedly, so no reliable 3D points exist for at \
             least one object.\nGuessing a number would be worse than admitting the failure.",
            "End the episode.",
            "print(\"Could not obtain 3D points for both objects; answering unknown.\")\n\
             ReturnAnswer(\"unknown\")",
        ),
        Stage::Done => format_turn(
            &format!("{marker}; nothing left to do."),
            "The feedback confirms the answer was recorded.",
            "None.",
            "print(\"Answer already submitted.\")",
        ),
    }
}

/// Shared by the defensive cells: reconstruct, then the first prompt and threshold that give a
/// mask with finite 3D points.
const ROBUST_HELPER: &str = "\
recon = tools.Reconstruct.Reconstruct(InputImages)
fi = InputImages[0].frame_index

def _segment_points(prompts):
    for prompt in prompts:
        for threshold in (0.3, 0.15):
            try:
                seg = tools.SAM3.segment_image_by_text(InputImages[0], prompt, confidence_threshold=threshold)
            except RuntimeError as exc:
                print(f\"no mask for {prompt!r} at {threshold}: {exc}\")
                continue
            pts = seg.get_masked_points(recon, frame=fi, object=0)
            pts = pts[np.isfinite(pts).all(axis=1)]
            if len(pts) > 0:
                return seg, pts
    return None, np.zeros((0, 3), dtype=np.float32)
";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const Q: &str = "What is the closest distance in metres between the heater and the door?";

    fn user(text: &str) -> Value {
        json!({"role": "user", "content": text})
    }

    fn user_parts(text: &str) -> Value {
        json!({"role": "user", "content": [
            {"type": "text", "text": text},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
        ]})
    }

    fn assistant(text: &str) -> Value {
        json!({"role": "assistant", "content": text})
    }

    /// Parses a reply like the agent does: four non-empty sections and a python fence.
    fn parse(reply: &str) -> (String, String) {
        for h in ["**Purpose**", "**Reasoning**", "**Next Goal**", "**Code**"] {
            assert_eq!(reply.matches(h).count(), 1, "{h} in {reply}");
            let s = section(reply, h).unwrap();
            assert!(h == "**Code**" || !s.is_empty(), "{h} empty");
        }
        let purpose = section(reply, "**Purpose**").unwrap().to_string();
        let start = reply.find("```python\n").expect("python fence") + "```python\n".len();
        let end = reply[start..].find("\n```").expect("closing fence") + start;
        let code = reply[start..end].to_string();
        assert!(!code.contains("```"));
        assert!(reply.ends_with("```"));
        (purpose, code)
    }

    fn conversation(steps: &[(&str, &str)]) -> Vec<Value> {
        let mut m = vec![
            json!({"role": "system", "content": "You are a spatial reasoning agent."}),
            user_parts(Q),
        ];
        for (a, fb) in steps {
            m.push(assistant(a));
            m.push(user(fb));
        }
        m
    }

    #[test]
    fn step_one_reconstructs_and_segments_both_labels() {
        let reply = respond(&conversation(&[])).unwrap();
        let (purpose, code) = parse(&reply);
        assert!(purpose.contains("heater") && purpose.contains("door"));
        assert!(code.contains("recon = tools.Reconstruct.Reconstruct(InputImages)"));
        assert!(code.contains("fi = InputImages[0].frame_index"));
        assert!(
            code.contains("seg_a = tools.SAM3.segment_image_by_text(InputImages[0], \"heater\")")
        );
        assert!(
            code.contains("seg_b = tools.SAM3.segment_image_by_text(InputImages[0], \"door\")")
        );
        assert!(code.contains("seg_a.get_masked_points(recon, frame=fi, object=0)"));
        assert!(code.contains("show(seg_a.visualize(fi), label=\"heater mask\")"));
        assert!(!code.contains("ReturnAnswer"));
    }

    #[test]
    fn step_two_measures_with_a_kd_tree_and_answers() {
        let step1 = respond(&conversation(&[])).unwrap();
        let fb = "=== Step 1 Execution Feedback ===\n[SUCCESS] Code executed in 0.41s.\n[Output]\npoints_a: 812 heater\npoints_b: 2210 door\n";
        let reply = respond(&conversation(&[(&step1, fb)])).unwrap();
        let (purpose, code) = parse(&reply);
        assert!(purpose.starts_with(Stage::Measure.marker()));
        assert!(purpose.contains("heater") && purpose.contains("door"));
        assert!(code.contains("scipy.spatial.cKDTree(pts_b)"));
        assert!(code.contains("ReturnAnswer(round(float(d), 2))"));
    }

    #[test]
    fn errors_lead_to_recovery_not_to_blind_continuation() {
        let step1 = respond(&conversation(&[])).unwrap();
        let err = "=== Step 1 Execution Feedback ===\n[ERROR] RuntimeError: SAM3 found no object for prompt 'heater'.";
        let reply = respond(&conversation(&[(&step1, err)])).unwrap();
        let (purpose, code) = parse(&reply);
        // Single-word labels have no shorter form: go straight to the defensive cell.
        assert!(
            purpose.starts_with(Stage::LocateRobust.marker()),
            "{purpose}"
        );
        assert!(code.contains("except RuntimeError"));
        assert!(!code.contains("ReturnAnswer"));

        // Empty mask without an error is a failure too.
        let empty =
            "[SUCCESS] Code executed in 0.3s.\n[Output]\npoints_a: 0 heater\npoints_b: 10 door";
        let (purpose, _) = parse(&respond(&conversation(&[(&step1, empty)])).unwrap());
        assert!(purpose.starts_with(Stage::LocateRobust.marker()));

        // A failed measurement is redone self-contained; a second failure gives up.
        let ok = "[SUCCESS]\npoints_a: 5 heater\npoints_b: 5 door";
        let step2 = respond(&conversation(&[(&step1, ok)])).unwrap();
        let step3 = respond(&conversation(&[
            (&step1, ok),
            (&step2, "[ERROR] NameError: name 'seg_a' is not defined"),
        ]))
        .unwrap();
        let (purpose, code) = parse(&step3);
        assert!(purpose.starts_with(Stage::MeasureRobust.marker()));
        assert!(code.contains("recon = tools.Reconstruct.Reconstruct(InputImages)"));
        assert!(code.contains("ReturnAnswer(round(float(d), 2))"));
        let step4 = respond(&conversation(&[
            (&step1, ok),
            (&step2, "[ERROR] NameError"),
            (&step3, "[ERROR] ValueError: no usable mask"),
        ]))
        .unwrap();
        assert!(parse(&step4).0.starts_with(Stage::GiveUp.marker()));
    }

    #[test]
    fn multi_word_labels_retry_with_the_head_noun() {
        let q = "What is the closest distance in metres between the office chair and the door?";
        let mut m = vec![user(q)];
        let step1 = respond(&m).unwrap();
        m.push(assistant(&step1));
        m.push(user("[ERROR] RuntimeError: no mask for 'office chair'"));
        let (purpose, code) = parse(&respond(&m).unwrap());
        assert!(purpose.starts_with(Stage::LocateShort.marker()));
        assert!(code.contains("segment_image_by_text(InputImages[0], \"chair\")"));
    }

    #[test]
    fn condensed_error_turns_are_still_recognised() {
        // The agent keeps only Purpose from an errored turn.
        let step1 = respond(&conversation(&[])).unwrap();
        let purpose = section(&step1, "**Purpose**").unwrap();
        let condensed = format!(
            "**Purpose**: {purpose}\n**Reasoning**: [errored — condensed]\n**Next Goal**: [errored — condensed]\n**Code**:\n```python\nrecon = tools.Reconstruct.Reconstruct(InputImages)  # <-- ERROR\n```"
        );
        let reply = respond(&conversation(&[(&condensed, "[ERROR] (see code above)")])).unwrap();
        assert!(parse(&reply).0.starts_with(Stage::LocateRobust.marker()));
    }

    #[test]
    fn hostile_labels_are_escaped() {
        let q = "What is the closest distance in metres between the a\"b`**Code**\\ and the x?";
        let reply = respond(&[user(q)]).unwrap();
        let (_, code) = parse(&reply);
        assert!(
            code.contains(r#""a\"b\x60\x2a\x2aCode\x2a\x2a\\""#),
            "{code}"
        );
    }

    #[test]
    fn unknown_questions_and_bad_messages_are_errors() {
        assert_eq!(
            respond(&[user("How many chairs are there?")]),
            Err(PolicyError::UnsupportedQuestion)
        );
        assert_eq!(respond(&[]), Err(PolicyError::UnsupportedQuestion));
        assert_eq!(
            respond(&[json!("hello")]),
            Err(PolicyError::MalformedMessage { index: 0 })
        );
        let long = format!(
            "What is the closest distance in metres between the {} and the door?",
            "x".repeat(200)
        );
        assert!(matches!(
            respond(&[user(&long)]),
            Err(PolicyError::InvalidLabel(_))
        ));
    }

    #[test]
    fn submitted_answer_ends_the_episode() {
        let step1 = respond(&conversation(&[])).unwrap();
        let ok = "points_a: 5\npoints_b: 5";
        let step2 = respond(&conversation(&[(&step1, ok)])).unwrap();
        let reply = respond(&conversation(&[
            (&step1, ok),
            (&step2, "[ANSWER SUBMITTED] 1.23"),
        ]))
        .unwrap();
        assert!(parse(&reply).0.starts_with(Stage::Done.marker()));
    }
}
