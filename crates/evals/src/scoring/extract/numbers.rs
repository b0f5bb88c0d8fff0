//! Number extraction variants (evals-runs.md §2.4 "Number parsing"). Digits are ASCII only; units,
//! thousands separators and scientific notation usually fail or truncate, as in the original.

use crate::scoring::pytext::{first_token, py_float, rstrip_dots};

lazy_regex!(SIGNED_NUMBER = r"[+-]?[0-9]+\.?[0-9]*");
lazy_regex!(OMNI3D_NUMBER = r"-?[0-9]+\.?[0-9]*");
lazy_regex!(UNSIGNED_NUMBER = r"[0-9]+(?:\.[0-9]+)?");
lazy_regex!(NUMBER_WORDS = r"(?i)\b(one|two|three|four|five|six|seven|eight|nine|ten|zero)\b");

/// OSI numerical: the first `[+-]?\d+\.?\d*` (signed; "3." and "+2" parse).
pub fn first_signed_number(text: &str) -> Option<f64> {
    SIGNED_NUMBER.find(text).and_then(|m| py_float(m.as_str()))
}

/// Omni3D: every `-?\d+\.?\d*` match, in order (the caller takes the last).
pub fn omni3d_numbers(text: &str) -> Vec<&str> {
    OMNI3D_NUMBER.find_iter(text).map(|m| m.as_str()).collect()
}

/// The number words SPBench and SpatialTree look for, **in the order they are scanned**: the first word
/// of this list found anywhere in the text wins, not the word that comes first in the text.
pub const NUMBER_WORDS_IN_SCAN_ORDER: [(&str, f64); 11] = [
    ("one", 1.0),
    ("two", 2.0),
    ("three", 3.0),
    ("four", 4.0),
    ("five", 5.0),
    ("six", 6.0),
    ("seven", 7.0),
    ("eight", 8.0),
    ("nine", 9.0),
    ("ten", 10.0),
    ("zero", 0.0),
];

/// SPBench / SpatialTree numeric extraction: number words first (scan order of
/// [`NUMBER_WORDS_IN_SCAN_ORDER`], case-insensitive, whole words — the reference does not say whether
/// the original matches substrings; we assume word boundaries), then the first unsigned `\d+(\.\d+)?`.
/// **\[QUIRK\]** "two chairs, not three" → 2 but "three or two" → 2 as well; "-3" → 3 (no sign).
pub fn number_word_or_first_unsigned(text: &str) -> Option<f64> {
    let found: Vec<String> = NUMBER_WORDS
        .find_iter(text)
        .map(|m| m.as_str().to_ascii_lowercase())
        .collect();
    for (word, value) in NUMBER_WORDS_IN_SCAN_ORDER {
        if found.iter().any(|w| w == word) {
            return Some(value);
        }
    }
    UNSIGNED_NUMBER
        .find(text)
        .and_then(|m| py_float(m.as_str()))
}

/// SPAR: all `\d+\.\d+|\d+` matches whose first digit is not preceded by `^`, emulating Python's
/// `re.findall(r"(?<!\^)(\d+\.\d+|\d+)")` scan exactly — including that in "10^23" the scan resumes
/// inside the exponent and yields 10 and 3.
pub fn spar_numbers(text: &str) -> Vec<f64> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() && (i == 0 || b[i - 1] != b'^') {
            let mut j = i;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            // `\d+\.\d+` is tried first: a dot followed by at least one digit extends the match.
            if j + 1 < b.len() && b[j] == b'.' && b[j + 1].is_ascii_digit() {
                j += 1;
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
            }
            if let Some(v) = py_float(&text[i..j]) {
                out.push(v);
            }
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// VSI / VSTI official strict extraction: the first whitespace token, trailing dots removed, must parse
/// as a float as a whole. **\[QUIRK\]** "3.5 m" → 3.5, but "about 3.5" and "3.5m" score 0.
pub fn first_token_float(text: &str) -> Option<f64> {
    py_float(rstrip_dots(first_token(text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_first() {
        assert_eq!(first_signed_number("speed is -2.5 m/s, or 3"), Some(-2.5));
        assert_eq!(first_signed_number("+4."), Some(4.0));
        assert_eq!(first_signed_number("none"), None);
    }

    #[test]
    fn number_words_scan_order() {
        assert_eq!(number_word_or_first_unsigned("three or two"), Some(2.0));
        assert_eq!(number_word_or_first_unsigned("Zero, maybe ten"), Some(10.0));
        assert_eq!(
            number_word_or_first_unsigned("I see 4 chairs and one table"),
            Some(1.0)
        );
        assert_eq!(number_word_or_first_unsigned("someone saw 3"), Some(3.0));
        assert_eq!(number_word_or_first_unsigned("-3.25m"), Some(3.25));
        assert_eq!(number_word_or_first_unsigned("3,5"), Some(3.0));
        assert_eq!(number_word_or_first_unsigned("n/a"), None);
    }

    #[test]
    fn spar_scan() {
        assert_eq!(spar_numbers("10^23"), vec![10.0, 3.0]);
        assert_eq!(spar_numbers("1.5 m then 2. and 3.25"), vec![1.5, 2.0, 3.25]);
        assert_eq!(spar_numbers("^5"), Vec::<f64>::new());
        assert_eq!(spar_numbers("-4.5"), vec![4.5]);
    }

    #[test]
    fn first_token_only() {
        assert_eq!(first_token_float("3.5 m"), Some(3.5));
        assert_eq!(first_token_float("3.5."), Some(3.5));
        assert_eq!(first_token_float("about 3.5"), None);
        assert_eq!(first_token_float("3.5m"), None);
        assert_eq!(first_token_float(""), None);
        assert_eq!(first_token_float("  \n2"), Some(2.0));
    }

    #[test]
    fn omni3d_all() {
        assert_eq!(
            omni3d_numbers("from -1.5 to 2. and 7"),
            vec!["-1.5", "2.", "7"]
        );
    }
}
