//! Video-MME-v2 extraction (evals-runs.md §1.3), derived from the Video-MME official rule.

use super::boxed::first_boxed_letter;
use crate::scoring::pytext::{py_split, py_strip};

/// Answer prefixes deleted (every occurrence, in this order, case-sensitive) before looking for a letter.
/// The reference names "Final Answer:", "The best answer is", …, "Option:"; the middle of the list is
/// the standard Video-MME one. Order matters: longer phrases go before their prefixes.
pub const ANSWER_PREFIXES: [&str; 11] = [
    "Final Answer:",
    "The best answer is",
    "The correct answer is",
    "The answer is",
    "The answer",
    "The best option is",
    "The correct option is",
    "Best answer:",
    "Best option:",
    "Answer:",
    "Option:",
];

/// Video-MME-v2 chain; "" means extraction failed (the sample scores −1, a 0 in group scoring):
/// 1. delete every occurrence of each [`ANSWER_PREFIXES`] entry, then strip;
/// 2. a `\boxed{}` holding a capital A–H;
/// 3. more than 10 words and no capital A–H anywhere → "";
/// 4. the **first capital A–H anywhere** in the text. **\[QUIRK\]** "I think…" gives no letter (I is not
///    A–H) but "Based on the video, C" → B (the B of "Based").
pub fn videommev2(text: &str) -> String {
    let mut s = text.to_string();
    for p in ANSWER_PREFIXES {
        s = s.replace(p, "");
    }
    let s = py_strip(&s);
    if let Some(c) = first_boxed_letter(s, 'H', false) {
        return c.to_string();
    }
    let first_cap = s.chars().find(|c| ('A'..='H').contains(c));
    if py_split(s).count() > 10 && first_cap.is_none() {
        return String::new();
    }
    first_cap.map(String::from).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain() {
        assert_eq!(videommev2("The best answer is G"), "G");
        assert_eq!(videommev2("Final Answer: C"), "C");
        assert_eq!(videommev2(r"\boxed{F}"), "F");
        assert_eq!(videommev2("Based on the video, C"), "B");
        assert_eq!(videommev2("i think it is the third one"), "");
        assert_eq!(videommev2(""), "");
    }
}
