//! Reading ground-truth records (`serde_json::Value`) with Python's string conversions.
//!
//! Loaders keep each dataset's own column names, and values arrive with mixed types (an answer can be
//! `3`, `3.0` or `"3"`). The original stringifies with `str(x)`, so we do the same here.

use serde_json::Value;

use crate::error::ScoreError;
use crate::scoring::pytext::{py_float, py_float_str};

/// A field of an object record; `None` for a missing field, a JSON null, or a non-object record.
pub fn field<'v>(record: &'v Value, key: &str) -> Option<&'v Value> {
    record.get(key).filter(|v| !v.is_null())
}

/// Python `str(x)` for a scalar JSON value: strings as they are, integers without a dot, floats as
/// `repr` (`3.0`), booleans as `True`/`False`. Arrays and objects give their JSON text.
pub fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "True" } else { "False" }.to_string(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.to_string()
            } else if let Some(u) = n.as_u64() {
                u.to_string()
            } else {
                py_float_str(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Value::Null => "None".to_string(),
        other => other.to_string(),
    }
}

/// The first present field among `keys`, stringified.
pub fn text(record: &Value, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| field(record, k)).map(py_str)
}

/// A field as a number: JSON numbers directly, strings through Python's `float()`.
pub fn number(record: &Value, key: &str) -> Option<f64> {
    match field(record, key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => py_float(s),
        _ => None,
    }
}

/// A small non-negative integer field (an option index, a category code, a level): JSON integers,
/// integral floats (pandas turns an int column with nulls into floats) and integer strings.
pub fn index(record: &Value, key: &str) -> Option<u64> {
    let v = match field(record, key)? {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                .map(|f| f as u64)
        }),
        Value::String(s) => py_float(s)
            .filter(|f| f.fract() == 0.0 && *f >= 0.0)
            .map(|f| f as u64),
        _ => None,
    };
    v.filter(|i| *i < (1 << 53))
}

/// A list-of-strings field; a JSON string holding a JSON list is decoded too (SPBench stores options
/// either way); a newline-separated string becomes one entry per non-empty line.
pub fn string_list(record: &Value, key: &str) -> Vec<String> {
    match field(record, key) {
        Some(Value::Array(items)) => items.iter().filter(|v| !v.is_null()).map(py_str).collect(),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Array(items)) => items.iter().filter(|v| !v.is_null()).map(py_str).collect(),
            _ => s
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect(),
        },
        Some(Value::Object(map)) => map.values().filter(|v| !v.is_null()).map(py_str).collect(),
        _ => Vec::new(),
    }
}

/// A required text field, or a typed error naming the benchmark, the sample and the field.
pub fn require_text(
    record: &Value,
    keys: &[&'static str],
    benchmark: &'static str,
    sample_id: &str,
) -> Result<String, ScoreError> {
    text(record, keys).ok_or_else(|| ScoreError::MissingField {
        benchmark,
        sample_id: sample_id.to_string(),
        field: keys.first().copied().unwrap_or("?"),
    })
}

/// The category a sample is filed under: the caller's `question_type` when non-empty, otherwise the
/// first present field among `keys`, otherwise "unknown".
pub fn category(question_type: &str, record: &Value, keys: &[&str]) -> String {
    if !question_type.is_empty() {
        return question_type.to_string();
    }
    text(record, keys).unwrap_or_else(|| "unknown".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn python_str() {
        assert_eq!(py_str(&json!(3)), "3");
        assert_eq!(py_str(&json!(3.0)), "3.0");
        assert_eq!(py_str(&json!(true)), "True");
        assert_eq!(py_str(&json!("x")), "x");
    }

    #[test]
    fn lists() {
        let r = json!({"a": ["A. x", "B. y"], "b": "[\"A. x\"]", "c": "A. x\nB. y\n", "d": null});
        assert_eq!(string_list(&r, "a").len(), 2);
        assert_eq!(string_list(&r, "b"), vec!["A. x".to_string()]);
        assert_eq!(string_list(&r, "c").len(), 2);
        assert!(string_list(&r, "d").is_empty());
        assert_eq!(number(&json!({"g": "2.5"}), "g"), Some(2.5));
        assert_eq!(index(&json!({"i": 1.0}), "i"), Some(1));
        assert_eq!(index(&json!({"i": "2"}), "i"), Some(2));
        assert_eq!(index(&json!({"i": 1.5}), "i"), None);
        assert_eq!(index(&json!({"i": -1}), "i"), None);
    }
}
