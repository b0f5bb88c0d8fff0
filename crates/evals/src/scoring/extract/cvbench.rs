//! CVBench (cross-video) extraction: letters for multiple choice, yes/no otherwise (evals-runs.md §1.3).

use super::boxed::first_boxed_letter;
use super::first_letter;
use super::vsi_family::split_option;
use crate::scoring::pytext::{py_strip, rstrip_dots, single_ascii_letter};

lazy_regex!(ANSWER_TAG = r"(?is)<answer>(.*?)</answer>");
lazy_regex!(YES_NO = r"(?i)\b(yes|no)\b");
lazy_regex!(DOT = r"\b([A-D])\.");
lazy_regex!(PAREN = r"\(([A-D])\)");
lazy_regex!(COLON = r"\b([A-D]):");
lazy_regex!(LEADING = r"^\s*([A-D])\b");

/// True when every option, stripped of dots and whitespace, is "yes" or "no" (case-insensitive): such a
/// sample is scored as yes/no.
pub fn is_yes_no(options: &[String]) -> bool {
    !options.is_empty()
        && options.iter().all(|o| {
            let t = py_strip(rstrip_dots(py_strip(o))).to_lowercase();
            t == "yes" || t == "no"
        })
}

/// Yes/no: the first `\b(yes|no)\b` (case-insensitive) inside the last `<answer>…</answer>`, or in the
/// whole text when there is no tag; lower-cased, "" when absent.
pub fn cvbench_yes_no(text: &str) -> String {
    let scope = ANSWER_TAG
        .captures_iter(text)
        .last()
        .and_then(|c| c.get(1))
        .map_or(text, |m| m.as_str());
    YES_NO
        .find(scope)
        .map(|m| m.as_str().to_lowercase())
        .unwrap_or_default()
}

/// Multiple choice (upper-case A–D): first `\boxed{}` letter → first "X." → first "(X)" → first "X:" →
/// leading "X" → a single remaining letter → the stripped prediction (trailing dots removed) equals an
/// option text (case-insensitive) → otherwise "".
pub fn cvbench_mc(text: &str, options: &[String]) -> String {
    if let Some(c) = first_boxed_letter(text, 'D', false)
        .or_else(|| first_letter(&DOT, text))
        .or_else(|| first_letter(&PAREN, text))
        .or_else(|| first_letter(&COLON, text))
        .or_else(|| first_letter(&LEADING, text))
    {
        return c.to_string();
    }
    if let Some(c) = single_ascii_letter(text).map(|c| c.to_ascii_uppercase())
        && ('A'..='D').contains(&c)
    {
        return c.to_string();
    }
    let want = py_strip(rstrip_dots(py_strip(text))).to_lowercase();
    if want.is_empty() {
        return String::new();
    }
    options
        .iter()
        .enumerate()
        .map(|(i, o)| split_option(i, o))
        .find(|(_, body)| py_strip(rstrip_dots(body)).to_lowercase() == want)
        .map(|(l, _)| l.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yes_no() {
        assert!(is_yes_no(&["Yes.".into(), "No.".into()]));
        assert!(!is_yes_no(&["A. yes".into(), "B. no".into()]));
        assert_eq!(cvbench_yes_no("No... <answer>Yes, it is</answer>"), "yes");
        assert_eq!(cvbench_yes_no("I know, no way"), "no");
        assert_eq!(cvbench_yes_no("nothing"), "");
    }

    #[test]
    fn mc() {
        let o: Vec<String> = vec!["A. red car".into(), "B. blue car".into()];
        assert_eq!(cvbench_mc(r"\boxed{B}", &o), "B");
        assert_eq!(cvbench_mc("(B) then A.", &o), "A");
        assert_eq!(cvbench_mc("C because", &o), "C");
        assert_eq!(cvbench_mc("Blue car.", &o), "B");
        assert_eq!(cvbench_mc("green", &o), "");
    }
}
