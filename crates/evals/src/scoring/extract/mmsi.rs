//! MMSI-Bench's official extractor, also used by PAI-Bench (evals-runs.md §1.3).

use super::boxed::first_boxed_letter;
use super::first_letter;
use crate::scoring::pytext::py_strip;

lazy_regex!(DOUBLE_TICKS = r"``([^`]*)``");
lazy_regex!(SINGLE_TICKS = r"`([^`]*)`");
lazy_regex!(MARKED = r"\b([A-D])\.|\(([A-D])\)|\b([A-D]):");
lazy_regex!(ISOLATED = r"\b([A-D])\b");
lazy_regex!(LEADING_LETTER = r"^\s*\(?([A-D])\b");

/// First span of `re` whose content starts with a letter A–D (optionally after "(").
fn ticked_letter(re: &regex::Regex, text: &str) -> Option<char> {
    re.captures_iter(text)
        .filter_map(|c| c.get(1))
        .find_map(|m| first_letter(&LEADING_LETTER, m.as_str()))
}

/// MMSI chain, upper-case A–D only:
/// 1. the first double-backtick span whose content starts with a letter (the official post-prompt asks for
///    "``X``");
/// 2. the same for single backticks;
/// 3. the first `\boxed{}` letter;
/// 4. the first `X.` / `(X)` / `X:` (leftmost of the three);
/// 5. the first isolated A–D that is **not followed by a space and a letter** ("A cat" is skipped,
///    "A, because" is taken);
/// 6. the text with punctuation and whitespace removed is a single letter → that letter, upper-cased;
/// 7. otherwise "" (counted as an invalid sample by PAI).
pub fn mmsi(text: &str) -> String {
    if let Some(c) = ticked_letter(&DOUBLE_TICKS, text)
        .or_else(|| ticked_letter(&SINGLE_TICKS, text))
        .or_else(|| first_boxed_letter(text, 'D', false))
        .or_else(|| first_letter(&MARKED, text))
        .or_else(|| isolated_letter(text))
    {
        return c.to_string();
    }
    let compact: String = py_strip(text)
        .chars()
        .filter(|c| !c.is_ascii_punctuation() && !c.is_whitespace())
        .collect();
    let mut it = compact.chars();
    match (it.next(), it.next()) {
        (Some(c), None) if c.is_ascii_alphabetic() => c.to_ascii_uppercase().to_string(),
        _ => String::new(),
    }
}

fn isolated_letter(text: &str) -> Option<char> {
    ISOLATED.find_iter(text).find_map(|m| {
        let rest = &text[m.end()..];
        let mut after = rest.chars();
        let followed_by_word =
            after.next() == Some(' ') && after.next().is_some_and(|c| c.is_ascii_alphabetic());
        (!followed_by_word)
            .then(|| m.as_str().chars().next())
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain() {
        assert_eq!(mmsi("The answer is ``C``"), "C");
        assert_eq!(mmsi("use `B` here"), "B");
        assert_eq!(mmsi(r"\boxed{D}"), "D");
        assert_eq!(mmsi("Option (A) is right"), "A");
        assert_eq!(mmsi("A cat sits; answer B, surely"), "B");
        assert_eq!(mmsi("A cat sits"), "");
        assert_eq!(mmsi("c!"), "C");
        assert_eq!(mmsi(""), "");
    }
}
