//! Condensing failed steps in the history.
//!
//! A failed cell stays in the conversation only as what matters for the next attempt: its
//! purpose, the code up to the line that failed (marked), and the exception as a comment. Its
//! reasoning and next goal, which argued for code that did not work, are replaced by a
//! placeholder. Since the kernel keeps the variables assigned before the error line, the
//! condensed code is exactly what took effect.
//!
//! Differences from the original: the error line comes from the kernel's structured error (or
//! the lint's diagnostic), never from searching the traceback text for a phrase (§9.13).

/// Replaces the reasoning and next goal of a condensed step.
pub const PLACEHOLDER: &str = "[errored — condensed]";

const MAX_CODE_CHARS: usize = 2000;
const MAX_LINE_CHARS: usize = 100;
const MAX_EXCEPTION_CHARS: usize = 600;
const SNIPPET_LINE_CHARS: usize = 120;
const MAX_SNIPPET_CHARS: usize = 400;

fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let head: String = s.chars().take(n).collect();
        format!("{head}...")
    }
}

fn comment(exception: &str) -> String {
    cut(exception.trim(), MAX_EXCEPTION_CHARS)
        .lines()
        .map(|l| format!("# {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The code of a failed cell as the history keeps it. `line` is 1-based within `code`.
pub fn condense_code(code: &str, line: Option<usize>, exception: &str) -> String {
    let lines: Vec<&str> = code.lines().collect();
    match line {
        Some(l) if l >= 1 && l <= lines.len() => {
            let mut kept: Vec<String> = lines[..l - 1].iter().map(|s| (*s).to_owned()).collect();
            kept.push(format!(
                "{}  # <-- ERROR",
                cut(lines[l - 1], MAX_LINE_CHARS)
            ));
            let tail = comment(exception);
            let size = |k: &[String]| k.iter().map(|s| s.len() + 1).sum::<usize>() + tail.len();
            let mut dropped = false;
            while kept.len() > 1 && size(&kept) > MAX_CODE_CHARS {
                kept.remove(0);
                dropped = true;
            }
            let mut out = String::new();
            if dropped {
                out.push_str("# ... (earlier lines omitted)\n");
            }
            out.push_str(&kept.join("\n"));
            out.push('\n');
            out.push_str(&tail);
            out
        }
        _ => {
            let shown: Vec<String> = if lines.len() > 7 {
                let mut v: Vec<String> = lines[..3].iter().map(|s| (*s).to_owned()).collect();
                v.push("...".into());
                v.extend(lines[lines.len() - 3..].iter().map(|s| (*s).to_owned()));
                v
            } else {
                lines.iter().map(|s| (*s).to_owned()).collect()
            };
            let snippet: Vec<String> = shown.iter().map(|l| cut(l, SNIPPET_LINE_CHARS)).collect();
            format!(
                "# [ERROR] {}\n{}",
                cut(exception.trim(), MAX_EXCEPTION_CHARS).replace('\n', " "),
                cut(&snippet.join("\n"), MAX_SNIPPET_CHARS)
            )
        }
    }
}

/// The condensed assistant message of a failed code step.
pub fn condensed_code_message(
    purpose: &str,
    code: &str,
    line: Option<usize>,
    exception: &str,
) -> String {
    format!(
        "**Purpose**: {purpose}\n**Reasoning**: {PLACEHOLDER}\n**Next Goal**: {PLACEHOLDER}\n**Code**:\n```python\n{}\n```",
        condense_code(code, line, exception)
    )
}

/// The condensed assistant message of a failed react step (the call itself is one line).
pub fn condensed_react_message(purpose: &str, call_json: &str) -> String {
    format!(
        "**Purpose**: {purpose}\n**Reasoning**: {PLACEHOLDER}\n**Next Goal**: {PLACEHOLDER}\n**Tool Call**:\n```json\n{call_json}\n```"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_after_the_error_line_is_dropped() {
        let code = "a = 1\nb = a / 0\nprint(b)";
        assert_eq!(
            condense_code(code, Some(2), "ZeroDivisionError: division by zero"),
            "a = 1\nb = a / 0  # <-- ERROR\n# ZeroDivisionError: division by zero"
        );
    }

    #[test]
    fn long_code_loses_its_top() {
        let code: String = (0..200)
            .map(|i| format!("x{i} = {i} * 2 + 1000000\n"))
            .collect();
        let out = condense_code(&code, Some(150), "ValueError: bad");
        assert!(out.starts_with("# ... (earlier lines omitted)\n"), "{out}");
        assert!(out.contains("x149 = 149 * 2 + 1000000  # <-- ERROR"));
        assert!(!out.contains("x150"));
        assert!(out.len() <= MAX_CODE_CHARS + 40);
    }

    #[test]
    fn without_a_line_a_snippet_is_kept() {
        let code: String = (0..10).map(|i| format!("line{i}\n")).collect();
        let out = condense_code(&code, None, "TimeoutError: cell hit its limit");
        assert_eq!(
            out,
            "# [ERROR] TimeoutError: cell hit its limit\nline0\nline1\nline2\n...\nline7\nline8\nline9"
        );
        let msg = condensed_code_message("p", "x = 1", Some(1), "NameError: y");
        assert!(msg.contains("**Reasoning**: [errored — condensed]"));
    }
}
