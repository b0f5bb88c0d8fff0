//! A short, seeded run of the `evals_records` and `evals_scoring` fuzz targets (docs/fuzzing.md),
//! so a regression shows up in CI without a fuzzer: structured record sets from `arbitrary`
//! written in each benchmark's index format, plus mutated valid index files and scoring inputs,
//! each run through the very entry point the cargo-fuzz target calls.

use arbitrary::{Arbitrary, Unstructured};
use serde_json::{Map, Value};
use spatialclaw_evals::fuzz_support::{
    FIELD_NAMES, LAYOUTS, encode_records, load_layout, record_seeds, records, scoring,
    scoring_seeds, with_layout,
};
use spatialclaw_fuzzkit::{Rng, mutate};

const WORDS: &[&str] = &[
    "\"question\"",
    "\"answer\"",
    "\"options\"",
    "null",
    "[]",
    "{}",
    "\"../x\"",
    "\"/etc/passwd\"",
    "NaN",
    ",",
    "\n",
    "\"",
    "A. ",
    "(B)",
    "\\boxed{",
    "-1",
    "1e400",
];

const STRINGS: &[&str] = &[
    "A",
    "(B)",
    "A. chair",
    "B) table",
    "2.5",
    "-0",
    "1e400",
    "nan",
    "",
    " ",
    "../etc/passwd",
    "/abs/path.mp4",
    "a/../../b.png",
    "scene0001",
    "v/a.mp4",
    "[\"A. x\", \"B. y\"]",
    "{\"A\": \"x\", \"B\": null}",
    "A. one\nB. two\nC",
    "\\boxed{C}",
    "<answer>D</answer>",
    "x:1 y:2 z:3",
    "é",
    "yes",
    "0",
    "26",
    "<image>",
    "\u{89}PNG\r\n\u{1a}\n",
];

#[derive(Debug, Arbitrary)]
enum Text {
    Word(u8),
    Free(String),
    Join(u8, u8),
}

#[derive(Debug, Arbitrary)]
enum Field {
    Null,
    Bool(bool),
    Int(i64),
    SmallInt(u8),
    Float(f64),
    Text(Text),
    List(Vec<Field>),
    Object(Vec<(Text, Field)>),
}

fn text(t: &Text) -> String {
    match t {
        Text::Word(i) => STRINGS[usize::from(*i) % STRINGS.len()].to_owned(),
        Text::Free(s) => s.clone(),
        Text::Join(a, b) => format!(
            "{}{}",
            STRINGS[usize::from(*a) % STRINGS.len()],
            STRINGS[usize::from(*b) % STRINGS.len()]
        ),
    }
}

fn value(f: &Field, depth: usize) -> Value {
    if depth > 3 {
        return Value::Null;
    }
    match f {
        Field::Null => Value::Null,
        Field::Bool(b) => Value::Bool(*b),
        Field::Int(i) => Value::from(*i),
        Field::SmallInt(i) => Value::from(i % 8),
        Field::Float(x) => serde_json::Number::from_f64(*x).map_or(Value::Null, Value::Number),
        Field::Text(t) => Value::String(text(t)),
        Field::List(items) => Value::Array(items.iter().map(|i| value(i, depth + 1)).collect()),
        Field::Object(items) => Value::Object(
            items
                .iter()
                .map(|(k, v)| (text(k), value(v, depth + 1)))
                .collect(),
        ),
    }
}

#[derive(Debug, Arbitrary)]
struct RecordSpec {
    fields: Vec<(u8, Field)>,
}

fn record(r: &RecordSpec) -> Value {
    let m: Map<String, Value> = r
        .fields
        .iter()
        .map(|(k, v)| {
            (
                FIELD_NAMES[usize::from(*k) % FIELD_NAMES.len()].to_owned(),
                value(v, 0),
            )
        })
        .collect();
    Value::Object(m)
}

#[test]
fn structured_records_in_every_index_format() {
    let mut rng = Rng(21);
    for (i, l) in LAYOUTS.iter().enumerate() {
        let mut built = 0;
        while built < 60 {
            let len = 64 + rng.below(1024);
            let raw = rng.bytes(len);
            let Ok(specs) = Vec::<RecordSpec>::arbitrary(&mut Unstructured::new(&raw)) else {
                continue;
            };
            let recs: Vec<Value> = specs.iter().take(4).map(record).collect();
            let mut input = with_layout(i, encode_records(l.format, &recs));
            input[1] = rng.next_u64() as u8;
            records(&input);
            built += 1;
        }
    }
}

#[test]
fn seeds_load_and_mutations_are_handled() {
    let mut rng = Rng(22);
    let seeds = record_seeds();
    for (i, s) in &seeds {
        let layout = LAYOUTS[*i];
        let loaded = load_layout(layout, &s[2..], false);
        let loaded =
            loaded.unwrap_or_else(|e| panic!("{}: seed does not load: {e}", layout.benchmark));
        assert_eq!(loaded.len(), 2 * layout.files.len(), "{}", layout.benchmark);
        for r in &loaded {
            if let Err(e) = r {
                panic!(
                    "{}: a seed record fails ({e}); update record_seeds",
                    layout.benchmark
                );
            }
        }
        records(s);
    }
    for k in 0..1500 {
        let (_, s) = &seeds[k % seeds.len()];
        let mut input = mutate(&mut rng, &s[2..], WORDS);
        input.splice(0..0, s[..2].iter().copied());
        records(&input);
    }
}

#[test]
fn scoring_survives_arbitrary_predictions() {
    let mut rng = Rng(23);
    let seeds = scoring_seeds();
    for s in &seeds {
        scoring(s);
    }
    for k in 0..3000 {
        let s = &seeds[k % seeds.len()];
        let mut input = mutate(&mut rng, &s[1..], WORDS);
        input.insert(0, s[0]);
        scoring(&input);
    }
}

/// Inputs the fuzzer (or this test) once broke; each stays fixed.
#[test]
fn fuzz_regressions() {
    for input in REGRESSIONS {
        records(input);
        scoring(input);
    }
    // A parquet data page that declares no values but carries bytes: parquet 60 divides by zero.
    // It must be a load error naming the file, not a panic.
    let page = include_bytes!("fuzz_regressions/parquet-page-without-values.parquet");
    let spatialtree = LAYOUTS
        .iter()
        .position(|l| l.benchmark == "spatialtree")
        .unwrap();
    let err = load_layout(LAYOUTS[spatialtree], page, false).unwrap_err();
    assert!(err.to_string().contains("corrupt data"), "{err}");
    records(&with_layout(spatialtree, page.to_vec()));
}

const REGRESSIONS: &[&[u8]] = &[];
