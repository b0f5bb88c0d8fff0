//! BLINK's extractor, which always yields "(X)" and falls back to "(Z)" (evals-runs.md §1.3). It stands
//! in for the official GPT-3.5 option mapper with a deterministic chain.

use super::boxed::last_boxed_letter;
use super::first_letter;
use crate::scoring::pytext::py_strip;

lazy_regex!(BARE = r"^\(?([A-E])\)?$");
lazy_regex!(PAREN = r"\(([A-E])\)");
lazy_regex!(PHRASE = r"(?i:answer|choice|option)\s*(?i:is)?\s*:?\s*\(?([A-E])\b");
lazy_regex!(LEADING = r"^([A-E])(?:[^A-Za-z]|$)");
lazy_regex!(BLANK_LINE = r"\n\s*\n");

/// The fallback token: never equal to a ground truth, so the sample is wrong.
pub const BLINK_FALLBACK: &str = "(Z)";

fn wrap(c: char) -> String {
    format!("({c})")
}

/// The single distinct "(X)" in `text`, if exactly one letter appears in parentheses (repeats allowed).
fn unique_paren(text: &str) -> Option<char> {
    let mut letters = PAREN
        .captures_iter(text)
        .filter_map(|c| c.get(1))
        .map(|m| m.as_str());
    let first = letters.next()?;
    letters
        .all(|l| l == first)
        .then(|| first.chars().next())
        .flatten()
}

/// BLINK chain (upper-case A–E):
/// 1. the stripped text is a bare letter or "(X)";
/// 2. the **last** `\boxed{}` letter;
/// 3. a unique "(X)" token in the whole text (one distinct letter, possibly repeated — our reading of
///    "unique");
/// 4. a unique "(X)" in the last paragraph (text after the last blank line);
/// 5. the last "(X)";
/// 6. the first "answer/choice/option (is) X";
/// 7. a leading letter not followed by another letter ("B, because" → B; "Because" is not);
/// 8. otherwise "(Z)".
pub fn blink(text: &str) -> String {
    let t = py_strip(text);
    if let Some(c) = first_letter(&BARE, t) {
        return wrap(c);
    }
    if let Some(c) = last_boxed_letter(text, 'E', false) {
        return wrap(c);
    }
    if let Some(c) = unique_paren(text) {
        return wrap(c);
    }
    let last_paragraph = BLANK_LINE
        .split(t)
        .filter(|p| !py_strip(p).is_empty())
        .last()
        .unwrap_or("");
    if let Some(c) = unique_paren(last_paragraph) {
        return wrap(c);
    }
    if let Some(c) = super::last_letter(&PAREN, text) {
        return wrap(c);
    }
    if let Some(c) = first_letter(&PHRASE, text).or_else(|| first_letter(&LEADING, t)) {
        return wrap(c);
    }
    BLINK_FALLBACK.to_string()
}

/// Ground truth normalised to "(X)": "A", "(A)" and " (a) " all become "(A)".
pub fn blink_ground_truth(gt: &str) -> String {
    let t = py_strip(gt);
    let inner = t
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or(t);
    format!("({})", py_strip(inner).to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain() {
        assert_eq!(blink("B"), "(B)");
        assert_eq!(blink(" (C) "), "(C)");
        assert_eq!(blink(r"\boxed{A} then \boxed{D}"), "(D)");
        assert_eq!(blink("I choose (B). Yes, (B)."), "(B)");
        assert_eq!(blink("(A) or (B)?\n\nFinal: (B)"), "(B)");
        assert_eq!(blink("(A) or (B)? then (C) or (D)"), "(D)");
        assert_eq!(blink("The answer is C"), "(C)");
        assert_eq!(blink("D, since the mug is closer"), "(D)");
        assert_eq!(blink("Because it is"), "(Z)");
        assert_eq!(blink(""), "(Z)");
        assert_eq!(blink_ground_truth("(a)"), "(A)");
        assert_eq!(blink_ground_truth("B"), "(B)");
    }
}
