//! A short, seeded run of the `kernel_protocol` fuzz target (docs/fuzzing.md), so a regression
//! shows up in CI without a fuzzer: structured frames from `arbitrary` plus mutated valid frames,
//! each run through the very entry point the cargo-fuzz target calls.

use arbitrary::Arbitrary;
use serde_json::{Map, Value};
use spatialclaw_fuzzkit::{Rng, mutate, structured};
use spatialclaw_kernel::fuzz_support::{check_message, protocol, read_frame, seeds};
use spatialclaw_kernel::{Array, DType, Message, WireError};

const WORDS: &[&str] = &[
    "\"arrays\"",
    "\"dtype\"",
    "\"shape\"",
    "\"nbytes\"",
    "\"<f4\"",
    "\"|b1\"",
    "\"<i8\"",
    "[4294967296,4294967296]",
    "-1",
    "0",
    "1e3",
    "null",
    "{}",
    "[]",
];

#[derive(Debug, Arbitrary)]
enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Json>),
    Object(Vec<(String, Json)>),
}

fn to_value(j: &Json, depth: usize) -> Value {
    if depth > 6 {
        return Value::Null;
    }
    match j {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Int(i) => Value::from(*i),
        Json::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Json::Str(s) => Value::String(s.clone()),
        Json::List(items) => Value::Array(items.iter().map(|i| to_value(i, depth + 1)).collect()),
        Json::Object(items) => Value::Object(
            items
                .iter()
                .map(|(k, v)| (k.clone(), to_value(v, depth + 1)))
                .collect(),
        ),
    }
}

const DTYPES: [DType; 7] = [
    DType::U8,
    DType::Bool,
    DType::U16,
    DType::I32,
    DType::I64,
    DType::F32,
    DType::F64,
];

#[derive(Debug, Arbitrary)]
struct ArraySpec {
    dtype: u8,
    shape: Vec<u8>,
    fill: u8,
}

#[derive(Debug, Arbitrary)]
struct FrameSpec {
    header: Vec<(String, Json)>,
    arrays: Vec<ArraySpec>,
}

fn message(spec: &FrameSpec) -> Message {
    let header: Map<String, Value> = spec
        .header
        .iter()
        .filter(|(k, _)| k != "arrays") // the one key a header may not carry
        .map(|(k, v)| (k.clone(), to_value(v, 0)))
        .collect();
    let arrays = spec
        .arrays
        .iter()
        .take(6)
        .map(|a| {
            let dtype = DTYPES[usize::from(a.dtype) % DTYPES.len()];
            let shape: Vec<usize> = a
                .shape
                .iter()
                .take(4)
                .map(|&d| usize::from(d % 9))
                .collect();
            let n = shape.iter().product::<usize>() * dtype.size();
            Array::new(dtype, shape, vec![a.fill; n]).expect("consistent by construction")
        })
        .collect();
    Message::new(Value::Object(header)).with_arrays(arrays)
}

/// A header whose descriptors may lie about sizes, followed by arbitrary bytes.
#[derive(Debug, Arbitrary)]
struct LyingFrame {
    descs: Vec<(u8, Vec<u64>, u64)>,
    declared_len: Option<u32>,
    body: Vec<u8>,
}

fn lying_bytes(f: &LyingFrame) -> Vec<u8> {
    let dtypes = ["|u1", "|b1", "<u2", "<i4", "<i8", "<f4", "<f8", "O", ""];
    let descs: Vec<Value> = f
        .descs
        .iter()
        .map(|(d, shape, nbytes)| {
            serde_json::json!({
                "dtype": dtypes[usize::from(*d) % dtypes.len()],
                "shape": shape,
                "nbytes": nbytes,
            })
        })
        .collect();
    let head = serde_json::to_vec(&serde_json::json!({"type": "x", "arrays": descs})).unwrap();
    let len = f.declared_len.unwrap_or(head.len() as u32);
    let mut out = len.to_le_bytes().to_vec();
    out.extend_from_slice(&head);
    out.extend_from_slice(&f.body);
    out
}

#[test]
fn structured_frames_round_trip() {
    structured::<FrameSpec>(11, 2000, |spec| {
        let msg = message(&spec);
        check_message(&msg);
        let bytes = msg.encode();
        let (back, used) = read_frame(&bytes).expect("an encoded frame decodes");
        assert_eq!((back, used), (msg, bytes.len()));
        protocol(&bytes);
    });
}

#[test]
fn lying_headers_are_refused_or_consistent() {
    structured::<LyingFrame>(12, 3000, |f| protocol(&lying_bytes(&f)));
}

#[test]
fn mutated_frames() {
    let mut rng = Rng(13);
    let seeds = seeds();
    for s in &seeds {
        protocol(s);
        assert!(read_frame(s).is_ok(), "seeds are valid frames");
    }
    for i in 0..4000 {
        protocol(&mutate(&mut rng, &seeds[i % seeds.len()], WORDS));
    }
}

#[test]
fn truncated_frames_are_a_closed_pipe() {
    for s in seeds() {
        for cut in 0..s.len() {
            assert!(
                matches!(read_frame(&s[..cut]), Err(WireError::Closed)),
                "prefix {cut}/{}",
                s.len()
            );
        }
    }
}

/// Inputs the fuzzer (or this test) once broke; each stays fixed.
#[test]
fn fuzz_regressions() {
    for input in REGRESSIONS {
        protocol(input);
    }
}

const REGRESSIONS: &[&[u8]] = &[];
