//! DSI-Bench's extractor (evals-runs.md §1.3); lower-case letters are accepted.

use super::boxed::first_boxed_letter;
use super::last_letter;
use crate::scoring::pytext::{last_chars, py_strip};

lazy_regex!(
    /// "answer/option (is) X"; the exact marker list is not in the reference.
    MARKER = r"(?i)(?:answer|option)(?:\s+is)?\s*[:：]?\s*\(?([A-D])\b"
);
lazy_regex!(
    /// A letter (word-initial) followed by punctuation, a newline, `**` or the end of the text.
    TRAILING = r"(?i)\b([A-D])(?:[.,;:!?)\]]|\n|\*\*|$)"
);

/// DSI chain:
/// 1. the first `\boxed{}` holding X, "(X)" or "X." (either case);
/// 2. the **last** answer/option marker phrase followed by a letter (case-insensitive);
/// 3. the last letter followed by punctuation, a newline, `**` or the end, within the final 400
///    characters (we require a word boundary before the letter, so "behind." does not count);
/// 4. the first character of the stripped text, if it is A–D in either case;
/// 5. otherwise "" (a failed extraction).
pub fn dsi(text: &str) -> String {
    if let Some(c) = first_boxed_letter(text, 'D', true)
        .or_else(|| last_letter(&MARKER, text))
        .or_else(|| last_letter(&TRAILING, last_chars(text, 400)))
    {
        return c.to_string();
    }
    match py_strip(text)
        .chars()
        .next()
        .map(|c| c.to_ascii_uppercase())
    {
        Some(c @ 'A'..='D') => c.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain() {
        assert_eq!(dsi(r"\boxed{(b)}"), "B");
        assert_eq!(dsi("answer: a ... final answer is c"), "C");
        assert_eq!(dsi("I pick B.\nDone"), "B");
        assert_eq!(dsi("**D**"), "D");
        assert_eq!(dsi("d seems right"), "D");
        assert_eq!(dsi("it is behind."), "");
    }
}
