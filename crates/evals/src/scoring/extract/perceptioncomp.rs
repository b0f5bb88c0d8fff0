//! PerceptionComp extraction (evals-runs.md §1.3).

use super::boxed::first_boxed_letter;
use super::{first_letter, last_letter};
use crate::scoring::pytext::py_strip;

lazy_regex!(ANSWER_TAG = r"(?i)<answer>\s*\(?([A-E])\)?\s*</answer>");
lazy_regex!(
    /// `answer[\s:]*X`; we require a word boundary after X so "Answer: Because" is not B.
    ANSWER_WORD = r"(?i)answer[\s:]*\(?([A-E])\b"
);
lazy_regex!(STANDALONE_CI = r"(?i)\b([A-E])\b");

/// PerceptionComp chain (A–E):
/// 1. `<answer>X</answer>`;
/// 2. the first `\boxed{}` letter;
/// 3. `answer[\s:]*X` (case-insensitive);
/// 4. the last standalone letter A–E, **case-insensitive**. **\[QUIRK\]** The article "a" counts as A:
///    "It is a dog" → A;
/// 5. a single letter;
/// 6. otherwise the stripped text (compared upper-cased, so it only matches by accident).
pub fn perceptioncomp(text: &str) -> String {
    if let Some(c) = first_letter(&ANSWER_TAG, text)
        .or_else(|| first_boxed_letter(text, 'E', true))
        .or_else(|| first_letter(&ANSWER_WORD, text))
        .or_else(|| last_letter(&STANDALONE_CI, text))
    {
        return c.to_string();
    }
    let t = py_strip(text);
    let mut it = t.chars();
    match (it.next(), it.next()) {
        (Some(c), None) if c.is_ascii_alphabetic() => c.to_ascii_uppercase().to_string(),
        _ => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain() {
        assert_eq!(perceptioncomp("<answer> c </answer>"), "C");
        assert_eq!(perceptioncomp(r"\boxed{e}"), "E");
        assert_eq!(perceptioncomp("Answer: d, I think B"), "D");
        assert_eq!(perceptioncomp("I would say B, it is a dog"), "A");
        assert_eq!(perceptioncomp("Answer: Because of (B)"), "B");
        assert_eq!(perceptioncomp("z"), "Z");
        assert_eq!(perceptioncomp("unclear"), "unclear");
    }
}
