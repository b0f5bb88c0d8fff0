//! Short extractors that need no regex chain: ERQA, Omni3D-Bench and SpatialTree's judge rule.

use super::boxed::first_boxed;
use super::numbers::omni3d_numbers;
use crate::scoring::pytext::{py_float, py_strip};

/// ERQA's official normalisation: `pred.replace(".", "").strip().lower()`. "a." and "A" match "A";
/// "(A)" and "A) foo" do not.
pub fn erqa_normalize(prediction: &str) -> String {
    py_strip(&prediction.replace('.', "")).to_lowercase()
}

/// ERQA exact match; an empty prediction is wrong.
pub fn erqa_match(prediction: &str, ground_truth: &str) -> bool {
    let p = erqa_normalize(prediction);
    !p.is_empty() && p == py_strip(ground_truth).to_lowercase()
}

/// Omni3D-Bench extraction:
/// 1. narrow the text to the first `\boxed{…}` content, if any;
/// 2. if it contains a number (`-?\d+\.?\d*`): the text itself when it parses as a float as a whole
///    (so "1e3" survives as 1000), otherwise the **last** number found;
/// 3. with no number: lower-cased, stripped of whitespace and surrounding quotes.
pub fn omni3d(text: &str) -> String {
    let t = first_boxed(text).unwrap_or(text);
    let numbers = omni3d_numbers(t);
    if let Some(last) = numbers.last() {
        if py_float(t).is_some() {
            return py_strip(t).to_string();
        }
        return (*last).to_string();
    }
    py_strip(t)
        .to_lowercase()
        .trim_matches(|c| c == '"' || c == '\'')
        .to_string()
}

/// SpatialTree "judge" answers: compare the **last** position of the substring "yes" with the last
/// position of "no" in the lower-cased prediction. **\[QUIRK\]** Substring search: "not", "know", "none"
/// count as "no", and "eyes" as "yes". Returns "yes", "no" or "" when neither occurs.
pub fn spatialtree_judge(text: &str) -> &'static str {
    let lower = text.to_lowercase();
    match (lower.rfind("yes"), lower.rfind("no")) {
        (None, None) => "",
        (Some(_), None) => "yes",
        (None, Some(_)) => "no",
        (Some(y), Some(n)) => {
            if y > n {
                "yes"
            } else {
                "no"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erqa() {
        assert!(erqa_match("a.", "A"));
        assert!(erqa_match(" B ", "b"));
        assert!(!erqa_match("(A)", "A"));
        assert!(!erqa_match("A) foo", "A"));
        assert!(!erqa_match("", ""));
        assert!(!erqa_match("...", ""));
    }

    #[test]
    fn omni3d_extraction() {
        assert_eq!(omni3d(r"The height is \boxed{2.5} m"), "2.5");
        assert_eq!(omni3d("about 3 or 4 chairs"), "4");
        assert_eq!(omni3d(" 1e3 "), "1e3");
        assert_eq!(omni3d("-1.5"), "-1.5");
        assert_eq!(omni3d(" 'Yes' "), "yes");
        assert_eq!(omni3d("\"Chair\""), "chair");
    }

    #[test]
    fn judge_substring_quirk() {
        assert_eq!(spatialtree_judge("Yes."), "yes");
        assert_eq!(spatialtree_judge("Yes, I do not think so"), "no");
        assert_eq!(spatialtree_judge("I don't know... yes"), "yes");
        assert_eq!(spatialtree_judge("maybe"), "");
    }
}
