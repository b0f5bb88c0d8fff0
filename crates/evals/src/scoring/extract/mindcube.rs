//! MindCube's official extractor (evals-runs.md §1.3), a priority list that prefers **last** matches.

use super::boxed::last_boxed_letter;
use super::last_letter;

lazy_regex!(LETTER_DOT = r"\b([A-E])\.");
lazy_regex!(ANSWER_TAG = r"(?is)<Answer>(.*?)</Answer>");
lazy_regex!(STANDALONE = r"\b([A-E])\b");
lazy_regex!(
    /// "my/the answer is X", "Answer: X", or "X: Capital" / "X. Capital".
    PHRASES = r"(?i:(?:my|the)\s+answer\s+is)\s*:?\s*\(?([A-E])\b|(?i:answer)\s*:\s*\(?([A-E])\b|\b([A-E])[:.]\s*[A-Z]"
);

/// MindCube chain, upper-case letters A–E only:
/// 1. a `\boxed{}` letter (the last box — the reference does not say which; MindCube prefers last matches);
/// 2. the **last** `\b([A-E])\.`;
/// 3. inside the last `<Answer>…</Answer>` tag: the last `X.`, else the last standalone letter;
/// 4. the last match of "my/the answer is X", "Answer: X" or `X[:.] Capital`;
/// 5. the last standalone `\b[A-E]\b` anywhere;
/// 6. otherwise "" (wrong).
pub fn mindcube(text: &str) -> String {
    if let Some(c) = last_boxed_letter(text, 'E', true) {
        return c.to_string();
    }
    if let Some(c) = last_letter(&LETTER_DOT, text) {
        return c.to_string();
    }
    if let Some(tag) = ANSWER_TAG.captures_iter(text).last().and_then(|c| c.get(1)) {
        let inner = tag.as_str();
        if let Some(c) = last_letter(&LETTER_DOT, inner).or_else(|| last_letter(&STANDALONE, inner))
        {
            return c.to_string();
        }
    }
    if let Some(c) = last_letter(&PHRASES, text) {
        return c.to_string();
    }
    last_letter(&STANDALONE, text)
        .map(String::from)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_match_wins() {
        assert_eq!(mindcube("A. above ... no wait, C. below"), "C");
        assert_eq!(mindcube(r"\boxed{B} although A. looked fine"), "B");
        assert_eq!(mindcube("<Answer>D</Answer>"), "D");
        assert_eq!(mindcube("My answer is B, not C"), "B");
        assert_eq!(mindcube("my answer is b"), "");
        assert_eq!(mindcube("Answer: E"), "E");
        assert_eq!(mindcube("between B and D"), "D");
        assert_eq!(mindcube("no idea"), "");
        assert_eq!(mindcube("a. lowercase"), "");
    }
}
