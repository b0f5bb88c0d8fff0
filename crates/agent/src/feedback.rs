//! The text the agent reads after each cell: status, output, variables, images, answer.
//!
//! Laid out like the original's feedback message so prompts and habits carry over, with what
//! it hid made visible: values of scalars, the bare last expression, and what a kernel restart
//! cost.

use std::fmt::Write as _;

use spatialclaw_kernel::{ExecOutcome, Interruption, VariableSummary};

/// Output longer than this is cut to its head and tail (as the original: 1000 + 3000).
const STDOUT_LIMIT: usize = 4000;
const STDOUT_HEAD: usize = 1000;
const STDERR_LIMIT: usize = 500;

/// Cut `text` to `limit` characters, keeping `head` from the start and the rest from the end.
pub fn head_tail(text: &str, limit: usize, head: usize) -> String {
    let n = text.chars().count();
    if n <= limit {
        return text.to_owned();
    }
    let tail = limit - head;
    let first: String = text.chars().take(head).collect();
    let last: String = text.chars().skip(n - tail).collect();
    format!("{first}\n... ({n} chars, middle truncated) ...\n{last}")
}

/// One line describing a variable: `name: type, shape=(…), dtype=…, value=…`.
pub fn variable_line(v: &VariableSummary) -> String {
    let mut line = format!("  {}: {}", v.name, v.type_name);
    if let Some(value) = &v.value {
        let shown = match value {
            serde_json::Value::String(s) => format!("{s:?}"),
            other => other.to_string(),
        };
        let _ = write!(line, " = {shown}");
    }
    if let Some(shape) = &v.shape {
        let dims: Vec<String> = shape.iter().map(u64::to_string).collect();
        let comma = if dims.len() == 1 { "," } else { "" };
        let _ = write!(line, ", shape=({}{comma})", dims.join(", "));
    }
    if let Some(d) = &v.dtype {
        let _ = write!(line, ", dtype={d}");
    }
    if let Some(n) = v.len
        && v.value.is_none()
    {
        let _ = write!(line, ", len={n}");
    }
    if let Some(f) = &v.frame_indices {
        let frames = if f.len() <= 6 {
            format!("{f:?}")
        } else {
            format!("[{}..{}] ({} frames)", f[0], f[f.len() - 1], f.len())
        };
        let _ = write!(line, ", frames={frames}");
    }
    if let Some(mb) = v.size_mb
        && mb >= 1.0
    {
        let _ = write!(line, ", size={mb:.1}MB");
    }
    if let Some(keys) = &v.keys {
        let more = if v.len.unwrap_or(0) > 5 { ", ..." } else { "" };
        let shown: Vec<&str> = keys.iter().take(5).map(String::as_str).collect();
        let _ = write!(line, ", keys=[{}{more}]", shown.join(", "));
    }
    line
}

/// What the agent still has after its kernel process was lost.
fn after_kernel_loss(outcome: &ExecOutcome) -> &'static str {
    if outcome.restored_from_snapshot {
        "The kernel was restored to its state after the previous step: variables from earlier steps are \
         intact, and nothing this cell did was kept. Avoid repeating the same computation as is."
    } else if outcome.state_lost {
        "It was restarted and ALL variables are gone: re-create what you need (InputImages, Metadata and \
         tools are back)."
    } else {
        "It was restarted; InputImages, Metadata and tools are available."
    }
}

/// The exception line of a failed cell: `KeyError: frame 3 not found`, or what interrupted it.
pub fn exception_line(outcome: &ExecOutcome) -> Option<String> {
    match (&outcome.interruption, &outcome.error) {
        (
            Some(Interruption::TimedOut { limit } | Interruption::KilledAfterTimeout { limit }),
            _,
        ) => Some(format!(
            "TimeoutError: the cell hit its {}s time limit",
            limit.as_secs_f32()
        )),
        (Some(Interruption::Died { detail }), _) => Some(format!("KernelDied: {detail}")),
        (None, Some(err)) => Some(format!("{}: {}", err.kind, err.message)),
        (None, None) => None,
    }
}

/// Everything the feedback message says about one executed cell (full error report).
pub fn render(step: usize, outcome: &ExecOutcome) -> String {
    render_with(step, outcome, false)
}

/// [`render`], and with `condensed` a cell error is reported in one line (the history already
/// shows the code up to the failing line with the exception) and the traceback is left out.
pub fn render_with(step: usize, outcome: &ExecOutcome, condensed: bool) -> String {
    let mut blocks: Vec<String> = vec![format!("=== Step {step} Execution Feedback ===")];

    let status = match (&outcome.interruption, &outcome.error) {
        (Some(Interruption::TimedOut { limit }), _) => format!(
            "[ERROR] The cell hit its {}s time limit and was interrupted. Variables from earlier steps are intact; \
             make the computation smaller (fewer frames, subsample points) and try again.",
            limit.as_secs_f32()
        ),
        (Some(Interruption::KilledAfterTimeout { limit }), _) => format!(
            "[ERROR] The cell hit its {}s time limit inside native code and its process had to be killed. {}",
            limit.as_secs_f32(),
            after_kernel_loss(outcome)
        ),
        (Some(Interruption::Died { detail }), _) => format!(
            "[ERROR] The kernel process stopped while running this cell: {detail}. {}",
            after_kernel_loss(outcome)
        ),
        (None, Some(err)) if condensed => {
            let at = err.line.map(|l| format!(" (line {l})")).unwrap_or_default();
            let mut s = format!(
                "[ERROR] {}{at}: {} (see the condensed code above)",
                err.kind, err.message
            );
            if !outcome.variables.is_empty() {
                s.push_str("\nVariables assigned before the error were kept.");
            }
            s
        }
        (None, Some(err)) => {
            let at = err.line.map(|l| format!(" (line {l})")).unwrap_or_default();
            let mut s = format!("[ERROR] {}{at}: {}", err.kind, err.message);
            if !err.traceback.is_empty() && err.traceback.len() > 1 {
                s.push_str("\nTraceback (your code only):");
                for f in &err.traceback {
                    let _ = write!(
                        s,
                        "\n  {} line {}, in {}: {}",
                        f.location.as_deref().unwrap_or("cell"),
                        f.line.unwrap_or(0),
                        f.function,
                        f.source
                    );
                }
            }
            if !outcome.variables.is_empty() {
                s.push_str("\nVariables assigned before the error were kept.");
            }
            s
        }
        (None, None) => format!(
            "[SUCCESS] Code executed in {:.2}s.",
            outcome.elapsed.as_secs_f64()
        ),
    };
    blocks.push(status);

    let stdout = outcome.stdout.trim_end();
    if !stdout.is_empty() {
        blocks.push(format!(
            "[Output]\n{}",
            head_tail(stdout, STDOUT_LIMIT, STDOUT_HEAD)
        ));
    }
    if let Some(v) = &outcome.last_expr {
        blocks.push(format!(
            "[Result]\n{}",
            head_tail(v, STDOUT_LIMIT, STDOUT_HEAD)
        ));
    }
    let stderr = outcome.stderr.trim();
    if !stderr.is_empty() && outcome.error.is_none() {
        blocks.push(format!(
            "[Warnings]\n{}",
            head_tail(stderr, STDERR_LIMIT, STDERR_LIMIT / 2)
        ));
    }
    for w in &outcome.warnings {
        blocks.push(format!("[WARNING] {w}"));
    }
    if !outcome.variables.is_empty() {
        let title = if outcome.error.is_some() {
            "Kept from before the error"
        } else {
            "New/changed"
        };
        let lines: Vec<String> = outcome.variables.iter().map(variable_line).collect();
        blocks.push(format!("[Variables] {title}:\n{}", lines.join("\n")));
    }
    if !outcome.removed.is_empty() {
        blocks.push(format!(
            "[Variables] Deleted: {}",
            outcome.removed.join(", ")
        ));
    }
    if let Some(a) = &outcome.answer {
        blocks.push(format!("[ANSWER SUBMITTED] {}", a.text));
    }
    if !outcome.shows.is_empty() {
        let labels: Vec<&str> = outcome.shows.iter().map(|s| s.label.as_str()).collect();
        blocks.push(format!(
            "[Inline Images] {} image(s) attached below.\n  Labels: {}",
            outcome.shows.len(),
            labels.join(", ")
        ));
    }
    blocks.join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use spatialclaw_kernel::{CellError, ShowImage, SubmittedAnswer};
    use std::time::Duration;

    fn var(name: &str) -> VariableSummary {
        VariableSummary {
            name: name.into(),
            type_name: "ndarray".into(),
            value: None,
            shape: Some(vec![480, 640, 3]),
            dtype: Some("float32".into()),
            len: None,
            keys: None,
            frame_indices: None,
            size_mb: Some(3.69),
        }
    }

    #[test]
    fn success_lists_output_variables_images_and_answer() {
        let outcome = ExecOutcome {
            stdout: "distance 1.23\n".into(),
            variables: vec![
                var("pts"),
                VariableSummary {
                    value: Some(serde_json::json!(1.23)),
                    shape: None,
                    dtype: None,
                    size_mb: None,
                    type_name: "float".into(),
                    ..var("d")
                },
            ],
            shows: vec![ShowImage {
                label: "seg_a.visualize(fi)".into(),
                png: vec![],
            }],
            answer: Some(SubmittedAnswer {
                text: "1.23".into(),
                raw_type: "float".into(),
            }),
            elapsed: Duration::from_millis(120),
            ..Default::default()
        };
        let text = render(1, &outcome);
        assert!(
            text.starts_with(
                "=== Step 1 Execution Feedback ===\n\n[SUCCESS] Code executed in 0.12s."
            ),
            "{text}"
        );
        assert!(text.contains("[Output]\ndistance 1.23"));
        assert!(
            text.contains("  pts: ndarray, shape=(480, 640, 3), dtype=float32, size=3.7MB"),
            "{text}"
        );
        assert!(text.contains("  d: float = 1.23"), "{text}");
        assert!(text.contains("[ANSWER SUBMITTED] 1.23"));
        assert!(text.contains("Labels: seg_a.visualize(fi)"));
    }

    #[test]
    fn errors_name_type_line_and_what_was_kept() {
        let outcome = ExecOutcome {
            error: Some(CellError {
                kind: "KeyError".into(),
                message: "frame 3 not found".into(),
                line: Some(2),
                column: None,
                traceback: vec![],
            }),
            variables: vec![var("pts")],
            ..Default::default()
        };
        let text = render(4, &outcome);
        let short = render_with(4, &outcome, true);
        assert!(short.contains("(see the condensed code above)"), "{short}");
        assert!(
            text.contains("[ERROR] KeyError (line 2): frame 3 not found"),
            "{text}"
        );
        assert!(text.contains("[Variables] Kept from before the error:"));
    }

    #[test]
    fn a_restart_is_never_silent() {
        let outcome = ExecOutcome {
            interruption: Some(Interruption::KilledAfterTimeout {
                limit: Duration::from_secs(5),
            }),
            state_lost: true,
            ..Default::default()
        };
        assert!(render_with(2, &outcome, true).contains("ALL variables are gone"));
        let restored = ExecOutcome {
            state_lost: false,
            restored_from_snapshot: true,
            ..outcome
        };
        let text = render(2, &restored);
        assert!(
            text.contains("variables from earlier steps are intact"),
            "{text}"
        );
        assert!(!text.contains("ALL variables are gone"));
    }

    #[test]
    fn long_output_keeps_head_and_tail() {
        let long: String = (0..3000).map(|i| format!("{i}\n")).collect();
        let cut = head_tail(&long, STDOUT_LIMIT, STDOUT_HEAD);
        assert!(cut.starts_with("0\n1\n"));
        assert!(cut.ends_with("2999\n"));
        assert!(cut.contains("middle truncated"));
        assert!(cut.chars().count() < STDOUT_LIMIT + 100);
    }
}
