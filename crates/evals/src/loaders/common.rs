//! What every loader shares: reading parquet / JSON / JSONL / CSV into records, the [`Cell`] value a
//! parquet row is made of, image bytes, option lists and path resolution.
//!
//! Parquet rows are converted to [`Cell`]s rather than `serde_json::Value` because the hub's image
//! columns hold raw bytes (`{bytes, path}` structs, or lists of binary), which JSON cannot carry; a
//! cell turns into JSON for the ground-truth record with the bytes left out.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::{Map, Value};

use super::{ImageRef, LoadError};
use crate::scoring::record::py_str;

/// One value of a parquet row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Bytes(Arc<[u8]>),
    List(Vec<Cell>),
    Struct(Vec<(String, Cell)>),
}

impl Cell {
    /// A struct field by name.
    pub fn get(&self, key: &str) -> Option<&Cell> {
        match self {
            Cell::Struct(fields) => fields
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v)
                .filter(|v| !matches!(v, Cell::Null)),
            _ => None,
        }
    }

    /// JSON for the ground-truth record: bytes are dropped (struct fields with bytes are omitted; a
    /// list keeps a `null` in their place so its length still counts the images).
    pub fn to_json(&self) -> Value {
        match self {
            Cell::Null | Cell::Bytes(_) => Value::Null,
            Cell::Bool(b) => Value::Bool(*b),
            Cell::Int(i) => Value::from(*i),
            Cell::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Cell::Str(s) => Value::String(s.clone()),
            Cell::List(items) => Value::Array(items.iter().map(Cell::to_json).collect()),
            Cell::Struct(fields) => Value::Object(
                fields
                    .iter()
                    .filter(|(_, v)| !matches!(v, Cell::Bytes(_)))
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// Python `str(x)` of a scalar; `None` for null, bytes and containers.
    pub fn text(&self) -> Option<String> {
        match self {
            Cell::Null | Cell::Bytes(_) | Cell::List(_) | Cell::Struct(_) => None,
            other => Some(py_str(&other.to_json())),
        }
    }

    /// The items of a list cell (empty for anything else).
    pub fn items(&self) -> &[Cell] {
        match self {
            Cell::List(items) => items,
            _ => &[],
        }
    }
}

/// A parquet row: column name → cell, in schema order.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub columns: Vec<(String, Cell)>,
}

impl Row {
    /// A column, `None` when absent or null.
    pub fn get(&self, key: &str) -> Option<&Cell> {
        self.columns
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
            .filter(|v| !matches!(v, Cell::Null))
    }

    /// A column as Python `str(x)`.
    pub fn text(&self, key: &str) -> Option<String> {
        self.get(key).and_then(Cell::text)
    }

    /// The row as a JSON object without binary content (the ground-truth record).
    pub fn to_json(&self) -> Value {
        self.to_json_without(&[])
    }

    /// The row as a JSON object, leaving out binary content and the named columns (image columns).
    pub fn to_json_without(&self, skip: &[&str]) -> Value {
        let mut map = Map::new();
        for (k, v) in &self.columns {
            if skip.contains(&k.as_str()) || matches!(v, Cell::Bytes(_)) {
                continue;
            }
            map.insert(k.clone(), v.to_json());
        }
        Value::Object(map)
    }
}

/// Reads every row of a parquet file, leaving out the columns named in `skip` (not even decoded:
/// re-scoring does not need the image columns, which are most of the file).
///
/// The parquet reader panics on some corrupt files (found by fuzzing: a data page that declares
/// no values but carries bytes divides by zero in parquet 60); such a file is a load error
/// naming it, not a crash of the whole run.
pub fn read_parquet(path: &Path, skip: &[&str]) -> Result<Vec<Row>, LoadError> {
    std::panic::catch_unwind(|| read_parquet_unguarded(path, skip)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(LoadError::Parquet {
            path: path.to_path_buf(),
            reason: format!("the parquet reader failed on corrupt data ({what})"),
        })
    })
}

fn read_parquet_unguarded(path: &Path, skip: &[&str]) -> Result<Vec<Row>, LoadError> {
    let perr = |e: &dyn std::fmt::Display| LoadError::Parquet {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let file = File::open(path).map_err(|e| LoadError::io(path, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| perr(&e))?;
    let schema = builder.schema().clone();
    let keep: Vec<usize> = schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| !skip.contains(&f.name().as_str()))
        .map(|(i, _)| i)
        .collect();
    let mask = ProjectionMask::roots(builder.parquet_schema(), keep);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(256)
        .build()
        .map_err(|e| perr(&e))?;
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| perr(&e))?;
        let names: Vec<String> = batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let columns: Vec<Vec<Cell>> = batch.columns().iter().map(array_cells).collect();
        for r in 0..batch.num_rows() {
            rows.push(Row {
                columns: names
                    .iter()
                    .zip(&columns)
                    .map(|(n, c)| (n.clone(), c.get(r).cloned().unwrap_or(Cell::Null)))
                    .collect(),
            });
        }
    }
    Ok(rows)
}

/// Every value of an Arrow array as cells. Types the datasets never use (dates, decimals, …) become
/// their debug text rather than failing the whole file.
fn array_cells(array: &ArrayRef) -> Vec<Cell> {
    let n = array.len();
    let valid = |i: usize| array.is_valid(i);
    macro_rules! prim {
        ($t:ty, $conv:expr) => {{
            let a = array.as_primitive::<$t>();
            (0..n)
                .map(|i| {
                    if valid(i) {
                        $conv(a.value(i))
                    } else {
                        Cell::Null
                    }
                })
                .collect()
        }};
    }
    match array.data_type() {
        DataType::Null => vec![Cell::Null; n],
        DataType::Boolean => {
            let a = array.as_boolean();
            (0..n)
                .map(|i| {
                    if valid(i) {
                        Cell::Bool(a.value(i))
                    } else {
                        Cell::Null
                    }
                })
                .collect()
        }
        DataType::Int8 => prim!(Int8Type, |v| Cell::Int(i64::from(v))),
        DataType::Int16 => prim!(Int16Type, |v| Cell::Int(i64::from(v))),
        DataType::Int32 => prim!(Int32Type, |v| Cell::Int(i64::from(v))),
        DataType::Int64 => prim!(Int64Type, Cell::Int),
        DataType::UInt8 => prim!(UInt8Type, |v| Cell::Int(i64::from(v))),
        DataType::UInt16 => prim!(UInt16Type, |v| Cell::Int(i64::from(v))),
        DataType::UInt32 => prim!(UInt32Type, |v| Cell::Int(i64::from(v))),
        DataType::UInt64 => prim!(UInt64Type, |v: u64| i64::try_from(v)
            .map(Cell::Int)
            .unwrap_or(Cell::Float(v as f64))),
        DataType::Float32 => prim!(Float32Type, |v| Cell::Float(f64::from(v))),
        DataType::Float64 => prim!(Float64Type, Cell::Float),
        DataType::Utf8 => {
            let a = array.as_string::<i32>();
            (0..n)
                .map(|i| {
                    if valid(i) {
                        Cell::Str(a.value(i).to_string())
                    } else {
                        Cell::Null
                    }
                })
                .collect()
        }
        DataType::LargeUtf8 => {
            let a = array.as_string::<i64>();
            (0..n)
                .map(|i| {
                    if valid(i) {
                        Cell::Str(a.value(i).to_string())
                    } else {
                        Cell::Null
                    }
                })
                .collect()
        }
        DataType::Utf8View => {
            let a = array.as_string_view();
            (0..n)
                .map(|i| {
                    if valid(i) {
                        Cell::Str(a.value(i).to_string())
                    } else {
                        Cell::Null
                    }
                })
                .collect()
        }
        DataType::Binary => {
            let a = array.as_binary::<i32>();
            (0..n)
                .map(|i| {
                    if valid(i) {
                        Cell::Bytes(Arc::from(a.value(i)))
                    } else {
                        Cell::Null
                    }
                })
                .collect()
        }
        DataType::LargeBinary => {
            let a = array.as_binary::<i64>();
            (0..n)
                .map(|i| {
                    if valid(i) {
                        Cell::Bytes(Arc::from(a.value(i)))
                    } else {
                        Cell::Null
                    }
                })
                .collect()
        }
        DataType::BinaryView => {
            let a = array.as_binary_view();
            (0..n)
                .map(|i| {
                    if valid(i) {
                        Cell::Bytes(Arc::from(a.value(i)))
                    } else {
                        Cell::Null
                    }
                })
                .collect()
        }
        DataType::FixedSizeBinary(_) => {
            let a = array.as_fixed_size_binary();
            (0..n)
                .map(|i| {
                    if valid(i) {
                        Cell::Bytes(Arc::from(a.value(i)))
                    } else {
                        Cell::Null
                    }
                })
                .collect()
        }
        DataType::List(_) => {
            let a = array.as_list::<i32>();
            (0..n)
                .map(|i| {
                    if valid(i) {
                        Cell::List(array_cells(&a.value(i)))
                    } else {
                        Cell::Null
                    }
                })
                .collect()
        }
        DataType::LargeList(_) => {
            let a = array.as_list::<i64>();
            (0..n)
                .map(|i| {
                    if valid(i) {
                        Cell::List(array_cells(&a.value(i)))
                    } else {
                        Cell::Null
                    }
                })
                .collect()
        }
        DataType::FixedSizeList(_, _) => {
            let a = array.as_fixed_size_list();
            (0..n)
                .map(|i| {
                    if valid(i) {
                        Cell::List(array_cells(&a.value(i)))
                    } else {
                        Cell::Null
                    }
                })
                .collect()
        }
        DataType::Struct(fields) => {
            let a = array.as_struct();
            let cols: Vec<Vec<Cell>> = a.columns().iter().map(array_cells).collect();
            (0..n)
                .map(|i| {
                    if valid(i) {
                        Cell::Struct(
                            fields
                                .iter()
                                .zip(&cols)
                                .map(|(f, c)| {
                                    (f.name().clone(), c.get(i).cloned().unwrap_or(Cell::Null))
                                })
                                .collect(),
                        )
                    } else {
                        Cell::Null
                    }
                })
                .collect()
        }
        DataType::Dictionary(_, _) => {
            // pandas categoricals: decode the values once, then look each key up.
            let dict = array.as_any_dictionary();
            let values = array_cells(dict.values());
            let keys = dict.normalized_keys();
            (0..n)
                .map(|i| {
                    if valid(i) {
                        keys.get(i)
                            .and_then(|k| values.get(*k))
                            .cloned()
                            .unwrap_or(Cell::Null)
                    } else {
                        Cell::Null
                    }
                })
                .collect()
        }
        other => {
            let label = format!("{other}");
            (0..n)
                .map(|i| {
                    if valid(i) {
                        Cell::Str(label.clone())
                    } else {
                        Cell::Null
                    }
                })
                .collect()
        }
    }
}

/// Reads a JSON document.
pub fn read_json(path: &Path) -> Result<Value, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|e| LoadError::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| LoadError::Json {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Reads a JSONL file: one entry per non-blank line; a line that is not JSON becomes an `Err` with
/// its line number, so that record alone fails.
pub fn read_jsonl(path: &Path) -> Result<Vec<Result<Value, String>>, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|e| LoadError::io(path, e))?;
    Ok(text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| format!("line {} is not valid JSON: {e}", i + 1))
        })
        .collect())
}

/// A CSV row as a JSON object of strings, or why it could not be read.
pub type CsvRow = Result<Map<String, Value>, String>;

/// Reads a CSV file with a header into JSON objects of strings; a row that cannot be parsed becomes
/// an `Err`, so that record alone fails.
pub fn read_csv(path: &Path) -> Result<Vec<CsvRow>, LoadError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| LoadError::Csv {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    let headers = reader
        .headers()
        .map_err(|e| LoadError::Csv {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?
        .clone();
    Ok(reader
        .records()
        .enumerate()
        .map(|(i, rec)| {
            let rec = rec.map_err(|e| format!("CSV row {i} cannot be read: {e}"))?;
            Ok(headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), Value::String(v.to_string())))
                .collect())
        })
        .collect())
}

/// Files in `dir` whose names satisfy `keep`, sorted by name (the order `glob` + `sorted` gives).
pub fn list_files(dir: &Path, keep: impl Fn(&str) -> bool) -> Result<Vec<PathBuf>, LoadError> {
    let entries = std::fs::read_dir(dir).map_err(|e| LoadError::io(dir, e))?;
    let mut out: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| e.file_name().to_str().is_some_and(&keep))
        .map(|e| e.path())
        .collect();
    out.sort();
    Ok(out)
}

/// Whether a path names a `*.parquet` file.
pub fn is_parquet(name: &str) -> bool {
    name.ends_with(".parquet")
}

/// The bytes of an image cell: a binary value, or the hub's `{bytes, path}` image struct.
pub fn image_bytes(cell: &Cell) -> Option<Arc<[u8]>> {
    match cell {
        Cell::Bytes(b) if !b.is_empty() => Some(b.clone()),
        Cell::Struct(_) => match cell.get("bytes") {
            Some(Cell::Bytes(b)) if !b.is_empty() => Some(b.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// File extension for image bytes, from their magic number (the hub stores PNG, JPEG and the odd
/// WebP/GIF/BMP; the original re-encodes to JPEG or PNG, we keep the bytes as they are).
pub fn image_extension(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"\x89PNG") {
        "png"
    } else if bytes.starts_with(&[0xFF, 0xD8]) {
        "jpg"
    } else if bytes.starts_with(b"GIF8") {
        "gif"
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        "webp"
    } else if bytes.starts_with(b"BM") {
        "bmp"
    } else {
        "img"
    }
}

/// Whether bytes look like an image we know (used to reject a corrupt cell early).
pub fn looks_like_image(bytes: &[u8]) -> bool {
    image_extension(bytes) != "img"
}

/// An in-memory image named `<stem>.<ext>` for materialisation.
pub fn bytes_image(stem: &str, bytes: Arc<[u8]>) -> ImageRef {
    let name = format!("{}.{}", sanitize(stem), image_extension(&bytes));
    ImageRef::Bytes { name, data: bytes }
}

/// A file-name-safe version of an id.
pub fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The first of `candidates` that exists, else the first one (so a "missing file" error names the
/// primary location). Used where the original's layouts vary between dataset revisions.
pub fn resolve(candidates: &[PathBuf]) -> PathBuf {
    candidates
        .iter()
        .find(|p| p.exists())
        .or_else(|| candidates.first())
        .cloned()
        .unwrap_or_default()
}

/// Joins a dataset-relative path onto `base`, refusing absolute paths and `..` so a record cannot
/// point the loader outside the data folder.
pub fn join_relative(base: &Path, rel: &str) -> Result<PathBuf, String> {
    let rel_path = Path::new(rel.trim());
    if rel.trim().is_empty() {
        return Err("empty file path".into());
    }
    if rel_path.is_absolute()
        || rel_path
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(format!(
            "file path {rel:?} leaves the data folder (absolute or contains ..)"
        ));
    }
    Ok(base.join(rel_path))
}

/// One answer option.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Choice {
    pub letter: String,
    pub text: String,
}

/// The letters run.py gives list options by position.
pub fn letter(i: usize) -> String {
    let c = (b'A' + (i % 26) as u8) as char;
    c.to_string()
}

/// Strips an "A. " / "A) " / "(A) " / "A: " prefix whose letter is `expected`, so that options the
/// dataset already letters are not lettered twice in the instruction (our fix; the original appends
/// "A. " in front of them again for some datasets).
pub fn strip_letter_prefix<'a>(text: &'a str, expected: &str) -> &'a str {
    let t = text.trim_start();
    let rest = if let Some(r) = t.strip_prefix('(') {
        r.strip_prefix(expected).and_then(|r| r.strip_prefix(')'))
    } else {
        t.strip_prefix(expected).and_then(|r| {
            r.strip_prefix('.')
                .or_else(|| r.strip_prefix(')'))
                .or_else(|| r.strip_prefix(':'))
        })
    };
    match rest {
        Some(r) if r.is_empty() || r.starts_with(char::is_whitespace) => r.trim_start(),
        _ => text.trim(),
    }
}

/// Options given as a list, lettered by position, with any matching letter prefix removed.
pub fn list_choices<S: AsRef<str>>(options: &[S]) -> Vec<Choice> {
    options
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let letter = letter(i);
            Choice {
                text: strip_letter_prefix(o.as_ref(), &letter).to_string(),
                letter,
            }
        })
        .collect()
}

/// Options from a JSON value: a list (lettered by position), an object keyed by letter (nulls
/// dropped), or a string holding either, or newline-separated "A. text" lines.
pub fn json_choices(v: &Value) -> Vec<Choice> {
    match v {
        Value::Array(items) => {
            let texts: Vec<String> = items.iter().filter(|v| !v.is_null()).map(py_str).collect();
            list_choices(&texts)
        }
        Value::Object(map) => map
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| Choice {
                letter: k.clone(),
                text: py_str(v),
            })
            .collect(),
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(inner @ (Value::Array(_) | Value::Object(_))) => json_choices(&inner),
            _ => lettered_lines(s),
        },
        _ => Vec::new(),
    }
}

/// Newline-separated "A. text" lines; a line without a recognisable letter gets the next letter.
pub fn lettered_lines(s: &str) -> Vec<Choice> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, l)| {
            let mut chars = l.chars();
            let first = chars.next().unwrap_or('A');
            let sep = chars.next();
            if first.is_ascii_uppercase() && matches!(sep, Some('.' | ')' | ':')) {
                Choice {
                    letter: first.to_string(),
                    text: l[2..].trim().to_string(),
                }
            } else {
                Choice {
                    letter: letter(i),
                    text: l.to_string(),
                }
            }
        })
        .collect()
}

/// Options from a parquet cell (list, letter-keyed struct, or string).
pub fn cell_choices(cell: Option<&Cell>) -> Vec<Choice> {
    cell.map(|c| json_choices(&c.to_json())).unwrap_or_default()
}

/// A JSON field of an object as Python `str(x)`, `None` when missing or null.
pub fn jtext(v: &Value, key: &str) -> Option<String> {
    v.get(key).filter(|x| !x.is_null()).map(py_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letter_prefixes() {
        assert_eq!(strip_letter_prefix("A. left", "A"), "left");
        assert_eq!(strip_letter_prefix("(B) right", "B"), "right");
        assert_eq!(strip_letter_prefix("A: x", "A"), "x");
        assert_eq!(strip_letter_prefix("Apple", "A"), "Apple");
        assert_eq!(strip_letter_prefix("B. left", "A"), "B. left");
        assert_eq!(strip_letter_prefix("A.5 m", "A"), "A.5 m");
    }

    #[test]
    fn choices_from_json() {
        let c = json_choices(&serde_json::json!({"A": "x", "B": null, "C": "z"}));
        assert_eq!(c.len(), 2);
        assert_eq!(c[1].letter, "C");
        let c = json_choices(&serde_json::json!("A. one\nB. two"));
        assert_eq!(c[1].text, "two");
        let c = json_choices(&serde_json::json!("[\"A. one\", \"B. two\"]"));
        assert_eq!(c[0].text, "one");
    }

    #[test]
    fn relative_paths() {
        assert!(join_relative(Path::new("/d"), "../x").is_err());
        assert!(join_relative(Path::new("/d"), "/etc/passwd").is_err());
        assert_eq!(
            join_relative(Path::new("/d"), "a/b.png").unwrap(),
            PathBuf::from("/d/a/b.png")
        );
    }

    #[test]
    fn magic_numbers() {
        assert_eq!(image_extension(b"\x89PNG\r\n"), "png");
        assert_eq!(image_extension(&[0xFF, 0xD8, 0xFF]), "jpg");
        assert_eq!(image_extension(b"nope"), "img");
    }
}
