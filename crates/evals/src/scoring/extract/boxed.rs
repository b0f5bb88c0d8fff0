//! `\boxed{…}` handling shared by most chains.

use crate::scoring::pytext::py_strip;

const OPEN: &str = "\\boxed{";

/// Contents of every `\boxed{…}` in order, with balanced braces (so `\boxed{\text{A}}` keeps its inner
/// group). An unterminated box ends the scan.
pub fn boxed_all(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(off) = text[pos..].find(OPEN) {
        let start = pos + off + OPEN.len();
        let mut depth = 1usize;
        let mut end = None;
        for (i, c) in text[start..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(start + i);
                        break;
                    }
                }
                _ => {}
            }
        }
        match end {
            Some(e) => {
                out.push(&text[start..e]);
                pos = e + 1;
            }
            None => break,
        }
    }
    out
}

/// The first `\boxed{…}` content.
pub fn first_boxed(text: &str) -> Option<&str> {
    boxed_all(text).into_iter().next()
}

/// The last `\boxed{…}` content.
pub fn last_boxed(text: &str) -> Option<&str> {
    boxed_all(text).into_iter().last()
}

/// The CoT baseline's greedy `\\boxed\{(.+)\}` with DOTALL (evals-runs.md §4.2): from the first
/// `\boxed{` to the **last** `}` of the whole text. **\[QUIRK\]** Text after the box that contains braces is
/// captured too; an empty box does not match.
pub fn greedy_boxed(text: &str) -> Option<&str> {
    let mut pos = 0;
    while let Some(off) = text[pos..].find(OPEN) {
        let start = pos + off + OPEN.len();
        let rest = &text[start..];
        if let Some(j) = rest.rfind('}')
            && j >= 1
        {
            return Some(&rest[..j]);
        }
        pos = start;
    }
    None
}

/// A box that holds a single option letter, tolerating surrounding whitespace, one pair of
/// parentheses and trailing dots: `A`, ` (b) `, `C.`. Returns the upper-cased letter when it lies in
/// `'A'..=last`; lower-case letters count only when `case_insensitive`.
pub fn boxed_letter(content: &str, last: char, case_insensitive: bool) -> Option<char> {
    let mut t = py_strip(content).trim_end_matches('.');
    if let Some(inner) = t.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        t = py_strip(inner);
    }
    let mut chars = t.chars();
    let c = chars.next()?;
    if chars.next().is_some() {
        return None;
    }
    let up = if case_insensitive {
        c.to_ascii_uppercase()
    } else {
        c
    };
    ('A'..=last).contains(&up).then_some(up)
}

/// Letter of the first box, if that box holds a single letter in range.
pub fn first_boxed_letter(text: &str, last: char, case_insensitive: bool) -> Option<char> {
    first_boxed(text).and_then(|b| boxed_letter(b, last, case_insensitive))
}

/// Letter of the last box, if that box holds a single letter in range.
pub fn last_boxed_letter(text: &str, last: char, case_insensitive: bool) -> Option<char> {
    last_boxed(text).and_then(|b| boxed_letter(b, last, case_insensitive))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes() {
        assert_eq!(
            boxed_all(r"x \boxed{A} y \boxed{\text{B}} z"),
            vec!["A", r"\text{B}"]
        );
        assert_eq!(boxed_all(r"\boxed{A"), Vec::<&str>::new());
        assert_eq!(last_boxed(r"\boxed{1}\boxed{2}"), Some("2"));
        assert_eq!(boxed_letter(" (b). ", 'D', true), Some('B'));
        assert_eq!(boxed_letter("b", 'D', false), None);
        assert_eq!(boxed_letter("E", 'D', false), None);
        assert_eq!(boxed_letter("AB", 'D', false), None);
    }

    #[test]
    fn greedy_box_runs_to_last_brace() {
        assert_eq!(greedy_boxed(r"so \boxed{B} and {x}"), Some("B} and {x"));
        assert_eq!(greedy_boxed(r"\boxed{3.5}"), Some("3.5"));
        assert_eq!(greedy_boxed(r"\boxed{}"), None);
        assert_eq!(greedy_boxed("none"), None);
    }
}
