//! A small Python highlighter: one pass of a tokenizer that knows what matters for reading agent
//! cells (keywords, builtins, strings including prefixes and triple quotes, comments, numbers,
//! decorators, names after `def`/`class`). No script ships with the report, so highlighting is
//! done here, once, at render time.
//!
//! It never fails: unterminated strings run to the end of their line (or of the cell for triple
//! quotes), and anything unrecognised is emitted as escaped plain text. Output is escaped HTML
//! with `<span class="…">` around tokens: `k` keyword, `b` builtin, `s` string, `c` comment,
//! `n` number, `d` decorator, `f` defined name.

use crate::html::escape_into;

const KEYWORDS: &[&str] = &[
    "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif",
    "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda",
    "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield", "match",
    "case", "None", "True", "False",
];

const BUILTINS: &[&str] = &[
    "abs",
    "all",
    "any",
    "bool",
    "dict",
    "enumerate",
    "filter",
    "float",
    "format",
    "getattr",
    "hasattr",
    "int",
    "isinstance",
    "len",
    "list",
    "map",
    "max",
    "min",
    "print",
    "range",
    "round",
    "set",
    "sorted",
    "str",
    "sum",
    "tuple",
    "type",
    "zip",
    "self",
    "show",
    "ReturnAnswer",
    "tools",
    "vlm",
    "np",
];

fn span(out: &mut String, class: &str, text: &str) {
    out.push_str("<span class=\"");
    out.push_str(class);
    out.push_str("\">");
    escape_into(out, text);
    out.push_str("</span>");
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Length in bytes of a string literal starting at `s` (which begins with its quote), honouring
/// backslash escapes; unterminated single-quoted strings stop at the end of the line.
fn string_len(s: &str) -> usize {
    let bytes = s.as_bytes();
    let quote = bytes[0];
    let triple = bytes.len() >= 3 && bytes[1] == quote && bytes[2] == quote;
    let open = if triple { 3 } else { 1 };
    let mut i = open;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\\' {
            i += 2;
            continue;
        }
        if triple {
            if b == quote && bytes.len() >= i + 3 && bytes[i + 1] == quote && bytes[i + 2] == quote
            {
                return i + 3;
            }
        } else if b == quote {
            return i + 1;
        } else if b == b'\n' {
            return i;
        }
        i += 1;
    }
    bytes.len()
}

/// Length of a string prefix (`r`, `b`, `f`, `rb`, `fr`, `u`, …) if the identifier starting at
/// `s` is really one followed by a quote.
fn string_prefix_len(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len()
        && i < 2
        && matches!(bytes[i].to_ascii_lowercase(), b'r' | b'b' | b'f' | b'u')
    {
        i += 1;
    }
    (i > 0 && i < bytes.len() && matches!(bytes[i], b'\'' | b'"')).then_some(i)
}

fn number_len(s: &str) -> usize {
    let bytes = s.as_bytes();
    let hex = bytes.len() > 1 && bytes[0] == b'0' && matches!(bytes[1], b'x' | b'X');
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let exponent_sign =
            (b == b'+' || b == b'-') && !hex && i > 0 && matches!(bytes[i - 1], b'e' | b'E');
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || exponent_sign {
            i += 1;
        } else {
            break;
        }
    }
    i
}

/// Highlights Python source into escaped HTML (to be placed inside `<pre><code>`).
pub fn python(code: &str) -> String {
    let mut out = String::with_capacity(code.len() * 2);
    let mut rest = code;
    let mut after_def = false;
    while let Some(c) = rest.chars().next() {
        let len = if c == '#' {
            let n = rest.find('\n').unwrap_or(rest.len());
            span(&mut out, "c", &rest[..n]);
            n
        } else if c == '\'' || c == '"' {
            let n = string_len(rest);
            span(&mut out, "s", &rest[..n]);
            n
        } else if c.is_ascii_digit()
            || (c == '.' && rest[1..].starts_with(|d: char| d.is_ascii_digit()))
        {
            let n = number_len(rest);
            span(&mut out, "n", &rest[..n]);
            n
        } else if c == '@' && rest[1..].starts_with(is_ident_start) {
            let n = 1 + rest[1..]
                .find(|ch: char| !is_ident_char(ch) && ch != '.')
                .unwrap_or(rest.len() - 1);
            span(&mut out, "d", &rest[..n]);
            n
        } else if is_ident_start(c) {
            if let Some(p) = string_prefix_len(rest) {
                let n = p + string_len(&rest[p..]);
                span(&mut out, "s", &rest[..n]);
                n
            } else {
                let n = rest
                    .find(|ch: char| !is_ident_char(ch))
                    .unwrap_or(rest.len());
                let word = &rest[..n];
                if after_def {
                    span(&mut out, "f", word);
                    after_def = false;
                } else if KEYWORDS.contains(&word) {
                    span(&mut out, "k", word);
                    after_def = word == "def" || word == "class";
                } else if BUILTINS.contains(&word) {
                    span(&mut out, "b", word);
                } else {
                    escape_into(&mut out, word);
                }
                n
            }
        } else {
            if !c.is_whitespace() {
                after_def = false;
            }
            let n = c.len_utf8();
            escape_into(&mut out, &rest[..n]);
            n
        };
        rest = &rest[len..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::python;

    #[test]
    fn tokens_get_classes() {
        let h = python("def f(x=1.5e-3):  # note\n    return 'a' + r\"b\\\"\" + len(x)\n");
        assert!(
            h.contains("<span class=\"k\">def</span> <span class=\"f\">f</span>"),
            "{h}"
        );
        assert!(h.contains("<span class=\"n\">1.5e-3</span>"), "{h}");
        assert!(h.contains("<span class=\"c\"># note</span>"), "{h}");
        assert!(h.contains("<span class=\"s\">&#39;a&#39;</span>"), "{h}");
        assert!(
            h.contains("<span class=\"s\">r&quot;b\\&quot;&quot;</span>"),
            "{h}"
        );
        assert!(h.contains("<span class=\"b\">len</span>"), "{h}");
    }

    #[test]
    fn triple_quotes_span_lines_and_unterminated_input_is_safe() {
        let h = python("x = \"\"\"a\n'b'\n\"\"\" + 1");
        assert!(
            h.contains(
                "<span class=\"s\">&quot;&quot;&quot;a\n&#39;b&#39;\n&quot;&quot;&quot;</span>"
            ),
            "{h}"
        );
        for src in [
            "'abc",
            "\"\"\"abc",
            "x = 'a\\",
            "0x",
            "@",
            "f'",
            "é = 'ü' # ∑",
            "\\",
            ".5",
        ] {
            let _ = python(src);
        }
        assert_eq!(python("a<b"), "a&lt;b");
    }

    #[test]
    fn hostile_code_is_escaped() {
        let h = python("print('</code><script>alert(1)</script>')  # <b>");
        assert!(!h.contains("<script>") && !h.contains("<b>"), "{h}");
    }
}
