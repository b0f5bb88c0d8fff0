//! Answer extraction: turning a free-text prediction into the token a benchmark compares with its
//! ground truth (reference: evals-runs.md §1.3 per benchmark, §2.2 base chain, §2.4 catalogue).
//!
//! Every benchmark copies its own official script, so the chains differ in order, in first-vs-last match,
//! in case sensitivity and in fallbacks. The differences change scores, mostly on force-terminated
//! sessions whose answer is free text, so each chain is reproduced with its quirks and documented.
//! Where the reference leaves a detail open (exact marker phrases, which `\boxed{}` wins) the function
//! doc says which choice we made.

pub mod base;
pub mod blink;
pub mod boxed;
pub mod cvbench;
pub mod dsi;
pub mod mindcube;
pub mod mmsi;
pub mod numbers;
pub mod perceptioncomp;
pub mod simple;
pub mod spar;
pub mod videommev2;
pub mod viewspatial;
pub mod vsi_family;

/// The text of the first capture group that participated in a match (patterns with alternations put the
/// letter in a different group per branch).
pub(crate) fn first_group<'t>(caps: &regex::Captures<'t>) -> Option<&'t str> {
    caps.iter().skip(1).flatten().next().map(|m| m.as_str())
}

/// Upper-cased first character of a matched letter group.
pub(crate) fn upper_letter(s: &str) -> Option<char> {
    s.chars().next().map(|c| c.to_ascii_uppercase())
}

/// The letter of the first match of `re` (leftmost, like Python's `re.search`).
pub(crate) fn first_letter(re: &regex::Regex, text: &str) -> Option<char> {
    re.captures(text)
        .as_ref()
        .and_then(first_group)
        .and_then(upper_letter)
}

/// The letter of the last non-overlapping match of `re` (like `re.findall(...)[-1]`).
pub(crate) fn last_letter(re: &regex::Regex, text: &str) -> Option<char> {
    re.captures_iter(text)
        .last()
        .as_ref()
        .and_then(first_group)
        .and_then(upper_letter)
}
