//! ViewSpatial-Bench's extractor (evals-runs.md §1.3): mostly **last** matches.

use super::boxed::first_boxed_letter;
use super::{first_letter, last_letter};
use crate::scoring::pytext::{last_chars, py_strip, single_ascii_letter};

lazy_regex!(ANSWER_TAG = r"(?is)<answer>(.*?)</answer>");
lazy_regex!(TAG_LETTER = r"\b([A-D])\b");
lazy_regex!(
    /// Answer-marker phrases; the reference does not list them, we take the common ones.
    MARKER = r"(?i:(?:final\s+|correct\s+)?answer(?:\s+is)?|option|choice)\s*[:：]?\s*\(?([A-D])\b"
);
lazy_regex!(PAREN = r"\(([A-D])\)");
lazy_regex!(DOT = r"\b([A-D])\.");
lazy_regex!(COLON = r"\b([A-D]):");
lazy_regex!(STANDALONE = r"\b([A-D])\b");

/// ViewSpatial chain (upper-case A–D):
/// 1. the first `\boxed{}` letter;
/// 2. the first letter inside the last `<answer>…</answer>` tag;
/// 3. the **last** answer-marker phrase followed by a letter;
/// 4. the last "(X)", then the last "X.", then the last "X:";
/// 5. exactly one ASCII letter after removing everything else → that letter (if A–D);
/// 6. the last standalone capital A–D in the final 400 characters;
/// 7. otherwise "".
pub fn viewspatial(text: &str) -> String {
    if let Some(c) = first_boxed_letter(text, 'D', false) {
        return c.to_string();
    }
    if let Some(inner) = ANSWER_TAG.captures_iter(text).last().and_then(|c| c.get(1))
        && let Some(c) = first_letter(&TAG_LETTER, inner.as_str())
    {
        return c.to_string();
    }
    if let Some(c) = last_letter(&MARKER, text)
        .or_else(|| last_letter(&PAREN, text))
        .or_else(|| last_letter(&DOT, text))
        .or_else(|| last_letter(&COLON, text))
    {
        return c.to_string();
    }
    if let Some(c) = single_ascii_letter(text).map(|c| c.to_ascii_uppercase())
        && ('A'..='D').contains(&c)
    {
        return c.to_string();
    }
    last_letter(&STANDALONE, last_chars(text, 400))
        .map(String::from)
        .unwrap_or_default()
}

/// Ground-truth letter: the leading letter of an answer such as "A. right".
pub fn viewspatial_ground_truth(answer: &str) -> String {
    py_strip(answer)
        .chars()
        .next()
        .map(|c| c.to_ascii_uppercase().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain() {
        assert_eq!(viewspatial(r"\boxed{C}"), "C");
        assert_eq!(viewspatial("<answer>B. left</answer>"), "B");
        assert_eq!(viewspatial("Option A looks odd; the answer is D"), "D");
        assert_eq!(viewspatial("(A) vs (C)"), "C");
        assert_eq!(viewspatial("A. left or B. right"), "B");
        assert_eq!(viewspatial("b"), "B");
        assert_eq!(viewspatial("between A and B"), "B");
        assert_eq!(viewspatial("unsure"), "");
        assert_eq!(viewspatial_ground_truth("A. right"), "A");
    }
}
