//! Python string and number semantics the original scorers rely on.
//!
//! The reference scorers are Python; small differences such as which characters `str.strip()` removes or
//! what `float()` accepts change which predictions parse, and therefore scores. These helpers reproduce
//! CPython's behaviour for the inputs that matter (ASCII digits; Unicode whitespace).

/// `str.isspace()` for one character: Unicode White_Space plus the ASCII information separators
/// U+001C–U+001F, which Python counts as whitespace and Rust does not.
pub fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// `s.strip()` with no argument.
pub fn py_strip(s: &str) -> &str {
    s.trim_matches(is_py_space)
}

/// `s.split()` with no argument: runs of whitespace separate tokens, empty tokens are dropped.
pub fn py_split(s: &str) -> impl Iterator<Item = &str> {
    s.split(is_py_space).filter(|t| !t.is_empty())
}

/// `s.split()[0]` or `""` when there is no token (the original wraps the IndexError).
pub fn first_token(s: &str) -> &str {
    py_split(s).next().unwrap_or("")
}

/// `s.rstrip(".")`: removes every trailing dot, not just one.
pub fn rstrip_dots(s: &str) -> &str {
    s.trim_end_matches('.')
}

/// Python's `float(s)` for a `str`: surrounding whitespace allowed, `inf`/`infinity`/`nan` in any case with an
/// optional sign, `_` only between digits, exponent allowed. Returns `None` where Python raises ValueError.
/// Non-ASCII decimal digits (which Python would accept) are not supported.
pub fn py_float(s: &str) -> Option<f64> {
    let t = py_strip(s);
    if t.is_empty() {
        return None;
    }
    let (sign, body) = match t.as_bytes()[0] {
        b'+' => (1.0, &t[1..]),
        b'-' => (-1.0, &t[1..]),
        _ => (1.0, t),
    };
    let lower = body.to_ascii_lowercase();
    match lower.as_str() {
        "inf" | "infinity" => return Some(sign * f64::INFINITY),
        "nan" => return Some(f64::NAN),
        _ => {}
    }
    let bytes = body.as_bytes();
    if bytes.is_empty() {
        return None;
    }
    let mut cleaned = String::with_capacity(body.len());
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-' => cleaned.push(b as char),
            b'_' => {
                let before = i > 0 && bytes[i - 1].is_ascii_digit();
                let after = bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
                if !(before && after) {
                    return None;
                }
            }
            _ => return None,
        }
    }
    // A sign may only follow an exponent marker; Rust's parser enforces the rest of the grammar, which
    // matches Python's for this character set ("1.", ".5", "1e5", "1E-5" accepted; ".", "e5", "1e" rejected).
    if matches!(cleaned.as_bytes()[0], b'+' | b'-') {
        return None;
    }
    cleaned.parse::<f64>().ok().map(|v| sign * v)
}

/// `int(round(x))` for a float: round half to even, `None` where Python raises (inf, nan).
pub fn py_round_int(x: f64) -> Option<f64> {
    x.is_finite().then(|| x.round_ties_even())
}

/// Python's `str(x)` for a float (`repr`): integral values keep a trailing `.0`; very large or small
/// magnitudes switch to exponent notation as CPython does (at 1e16 and below 1e-4).
pub fn py_float_str(x: f64) -> String {
    if x.is_nan() {
        return "nan".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 {
            "inf".to_string()
        } else {
            "-inf".to_string()
        };
    }
    let a = x.abs();
    if a != 0.0 && !(1e-4..1e16).contains(&a) {
        // Rust's `{:e}` gives the shortest round-trip digits like repr, e.g. "1e16", "1.5e-5".
        let s = format!("{x:e}");
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mant}e{sign}{:02}", exp.abs());
    }
    if x.fract() == 0.0 {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}

/// Drops every character that is not an ASCII letter and returns the remaining letter if exactly one is
/// left: `re.sub(r"[^A-Za-z]", "", s)` followed by a length-1 check, used by several chains.
pub fn single_ascii_letter(s: &str) -> Option<char> {
    let mut letters = s.chars().filter(char::is_ascii_alphabetic);
    let first = letters.next()?;
    letters.next().is_none().then_some(first)
}

/// The last `n` characters of `s` (Python `s[-n:]`, counted in code points, not bytes).
pub fn last_chars(s: &str, n: usize) -> &str {
    let count = s.chars().count();
    if count <= n {
        return s;
    }
    let skip = count - n;
    let idx = s.char_indices().nth(skip).map_or(s.len(), |(i, _)| i);
    &s[idx..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_parsing_follows_python() {
        assert_eq!(py_float(" 3.5 "), Some(3.5));
        assert_eq!(py_float("3."), Some(3.0));
        assert_eq!(py_float(".5"), Some(0.5));
        assert_eq!(py_float("+2"), Some(2.0));
        assert_eq!(py_float("-2e3"), Some(-2000.0));
        assert_eq!(py_float("1_000.5"), Some(1000.5));
        assert_eq!(py_float("1__0"), None);
        assert_eq!(py_float("_1"), None);
        assert_eq!(py_float("Infinity"), Some(f64::INFINITY));
        assert_eq!(py_float("-inf"), Some(f64::NEG_INFINITY));
        assert!(py_float("NaN").unwrap().is_nan());
        assert_eq!(py_float("3.5m"), None);
        assert_eq!(py_float("."), None);
        assert_eq!(py_float("e5"), None);
        assert_eq!(py_float("1e"), None);
        assert_eq!(py_float("--1"), None);
        assert_eq!(py_float("+-1"), None);
        assert_eq!(py_float(""), None);
        assert_eq!(py_float("1,5"), None);
    }

    #[test]
    fn strip_and_split_follow_python() {
        assert_eq!(py_strip("\u{1f} a \u{a0}"), "a");
        assert_eq!(first_token("  3.5 m"), "3.5");
        assert_eq!(first_token(""), "");
        assert_eq!(rstrip_dots("A.."), "A");
        assert_eq!(last_chars("héllo", 3), "llo");
        assert_eq!(last_chars("ab", 3), "ab");
    }

    #[test]
    fn rounding_is_bankers() {
        assert_eq!(py_round_int(2.5), Some(2.0));
        assert_eq!(py_round_int(3.5), Some(4.0));
        assert_eq!(py_round_int(-0.5), Some(-0.0));
        assert_eq!(py_round_int(f64::NAN), None);
    }

    #[test]
    fn float_str_matches_repr() {
        assert_eq!(py_float_str(3.0), "3.0");
        assert_eq!(py_float_str(0.1), "0.1");
        assert_eq!(py_float_str(1e16), "1e+16");
        assert_eq!(py_float_str(1.5e-5), "1.5e-05");
        assert_eq!(py_float_str(-2.25), "-2.25");
    }
}
