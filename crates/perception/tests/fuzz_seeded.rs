//! A short, seeded run of the `perception_wire` and `perception_gpu_codec` fuzz targets
//! (docs/fuzzing.md), so a regression shows up in CI without a fuzzer: structured messages from
//! `arbitrary` plus mutated valid messages, each run through the very entry point the cargo-fuzz
//! target calls.

use spatialclaw_fuzzkit::{Rng, mutate, structured};
use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use spatialclaw_perception::fuzz_support::{gpu_codec, gpu_codec_seeds, wire, wire_seeds};
use spatialclaw_perception::gpu_codec::{NdArray, NpDType, Tagged, encode_msgpack};
use spatialclaw_perception::wire::{
    BackendId, Output, encode_output, encode_reconstruct_request, encode_segment_request,
};
use spatialclaw_perception::{Masks, Reconstruction, RgbFrame, SegmentPrompt};

const WORDS: &[&str] = &[
    "\"version\"",
    "\"arrays\"",
    "\"shape\"",
    "\"nbytes\"",
    "\"<f4\"",
    "\"|b1\"",
    "16385",
    "0",
    "-1",
    "null",
    "\u{c4}",
    "\u{c0}",
    "\u{dc}\u{ff}\u{ff}",
    "__spatialclaw_type__",
    "ndarray",
    "dataclass",
];

#[derive(Debug, Arbitrary)]
enum Prompt {
    Text(String),
    Box([f64; 4]),
    Points(Vec<([f64; 2], i32)>),
}

#[derive(Debug, Arbitrary)]
enum Message {
    Reconstruct {
        n: u8,
        w: u8,
        h: u8,
        fill: u8,
        first: i64,
    },
    Segment {
        w: u8,
        h: u8,
        fill: u8,
        index: i64,
        prompt: Prompt,
    },
    Reconstruction {
        n: u8,
        w: u8,
        h: u8,
        values: Vec<f32>,
        poses: Vec<f64>,
        scale: f64,
    },
    Masks {
        k: u8,
        w: u8,
        h: u8,
        bits: Vec<bool>,
        scores: Vec<f32>,
    },
}

fn cycle<T: Copy + Default>(v: &[T], n: usize) -> Vec<T> {
    (0..n)
        .map(|i| v.get(i % v.len().max(1)).copied().unwrap_or_default())
        .collect()
}

fn frame(w: usize, h: usize, fill: u8, fi: i64) -> RgbFrame {
    RgbFrame::new(w, h, vec![fill; w * h * 3], fi).unwrap()
}

fn encode(m: &Message) -> Option<Vec<u8>> {
    let side = |v: u8| usize::from(v % 6) + 1;
    let backend = BackendId {
        name: "b".into(),
        version: "1".into(),
    };
    match m {
        Message::Reconstruct {
            n,
            w,
            h,
            fill,
            first,
        } => {
            let frames: Vec<RgbFrame> = (0..usize::from(n % 4) + 1)
                .map(|i| {
                    frame(
                        side(*w),
                        side(*h),
                        fill.wrapping_add(i as u8),
                        first.wrapping_add(i as i64),
                    )
                })
                .collect();
            encode_reconstruct_request(&frames).ok()
        }
        Message::Segment {
            w,
            h,
            fill,
            index,
            prompt,
        } => {
            let p = match prompt {
                Prompt::Text(t) => SegmentPrompt::Text(t.clone()),
                Prompt::Box(b) => SegmentPrompt::Box(*b),
                Prompt::Points(p) => SegmentPrompt::Points {
                    points: p.iter().map(|(xy, _)| *xy).collect(),
                    labels: p.iter().map(|(_, l)| *l).collect(),
                },
            };
            encode_segment_request(&frame(side(*w), side(*h), *fill, *index), &p).ok()
        }
        Message::Reconstruction {
            n,
            w,
            h,
            values,
            poses,
            scale,
        } => {
            let (n, w, h) = (usize::from(n % 3) + 1, side(*w), side(*h));
            let rec = Reconstruction {
                frames: n,
                height: h,
                width: w,
                points: cycle(values, n * h * w * 3),
                confidence: cycle(values, n * h * w),
                camera_poses: cycle(poses, n * 16),
                intrinsics: cycle(poses, n * 9),
                metric_scale: *scale,
            };
            encode_output(&Output::Reconstruction(rec), &backend).ok()
        }
        Message::Masks {
            k,
            w,
            h,
            bits,
            scores,
        } => {
            let (k, w, h) = (usize::from(k % 4), side(*w), side(*h));
            let masks = Masks {
                count: k,
                height: h,
                width: w,
                data: cycle(bits, k * h * w),
                scores: cycle(scores, k),
            };
            encode_output(&Output::Masks(masks), &backend).ok()
        }
    }
}

/// A header that may lie about its arrays, then arbitrary bytes.
#[derive(Debug, Arbitrary)]
struct Lying {
    request: bool,
    version: u8,
    dims: Vec<u16>,
    dtype: u8,
    nbytes: Option<u32>,
    n: u8,
    body: Vec<u8>,
}

fn lying_bytes(l: &Lying) -> Vec<u8> {
    let dtypes = ["|u1", "|b1", "<f4", "<f8", "<i4"];
    let shape: Vec<u64> = l.dims.iter().take(9).map(|&d| u64::from(d % 20)).collect();
    let count: u64 = shape.iter().product();
    let dtype = dtypes[usize::from(l.dtype) % dtypes.len()];
    let item = if dtype.ends_with('4') {
        4
    } else if dtype.ends_with('8') {
        8
    } else {
        1
    };
    let desc = serde_json::json!({"dtype": dtype, "shape": shape, "nbytes": l.nbytes.map_or(count * item, u64::from)});
    let header = if l.request {
        serde_json::json!({"version": l.version % 3, "call": {"reconstruct": {"frame_indices": vec![0; usize::from(l.n % 4)]}}, "arrays": [desc]})
    } else {
        serde_json::json!({"version": l.version % 3, "backend": {"name": "b", "version": "1"},
            "result": {"masks": {"count": l.n % 5, "height": shape.get(1).copied().unwrap_or(1), "width": shape.get(2).copied().unwrap_or(1)}},
            "arrays": [desc, {"dtype": "<f4", "shape": [l.n % 5], "nbytes": u64::from(l.n % 5) * 4}]})
    };
    let head = header.to_string().into_bytes();
    let mut out = (head.len() as u32).to_le_bytes().to_vec();
    out.extend(head);
    out.extend(&l.body);
    out
}

#[derive(Debug, Arbitrary)]
enum Value {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Value>),
    Map(Vec<(String, Value)>),
    Array { dtype: u8, dims: Vec<u8>, fill: u8 },
    Image(Vec<u8>),
    Dataclass { name: u8, fields: Vec<(u8, Value)> },
}

const DTYPES: [NpDType; 7] = [
    NpDType::Bool,
    NpDType::U8,
    NpDType::I32,
    NpDType::I64,
    NpDType::F16,
    NpDType::F32,
    NpDType::F64,
];
const CLASSES: &[&str] = &[
    "AgentToolOutput",
    "Pi3ReconstructionOutput",
    "DA3ReconstructionOutput",
    "SAM3ImageDetectionOutput",
];
const FIELDS: &[&str] = &[
    "result",
    "err_msg",
    "points",
    "confidence",
    "camera_poses",
    "_intrinsics",
    "_rays",
    "metric_scale",
    "masks",
    "scores",
];

fn tagged(v: &Value, depth: usize) -> Tagged {
    if depth > 5 {
        return Tagged::Nil;
    }
    match v {
        Value::Nil => Tagged::Nil,
        Value::Bool(b) => Tagged::Bool(*b),
        Value::Int(i) => Tagged::Int(*i),
        Value::Float(f) => Tagged::Float(*f),
        Value::Str(s) => Tagged::Str(s.clone()),
        Value::List(items) => Tagged::List(items.iter().map(|i| tagged(i, depth + 1)).collect()),
        Value::Map(items) => Tagged::Map(
            items
                .iter()
                .map(|(k, v)| (k.clone(), tagged(v, depth + 1)))
                .collect::<BTreeMap<_, _>>(),
        ),
        Value::Array { dtype, dims, fill } => {
            let dtype = DTYPES[usize::from(*dtype) % DTYPES.len()];
            let shape: Vec<usize> = dims.iter().take(5).map(|&d| usize::from(d % 6)).collect();
            let n = shape.iter().product::<usize>() * dtype.itemsize();
            Tagged::Array(NdArray::new(dtype, shape, vec![*fill; n]).unwrap())
        }
        Value::Image(b) => Tagged::Image(b.clone()),
        Value::Dataclass { name, fields } => Tagged::Dataclass {
            name: CLASSES[usize::from(*name) % CLASSES.len()].into(),
            fields: fields
                .iter()
                .map(|(k, v)| {
                    (
                        FIELDS[usize::from(*k) % FIELDS.len()].to_owned(),
                        tagged(v, depth + 1),
                    )
                })
                .collect(),
        },
    }
}

#[test]
fn structured_messages() {
    structured::<Message>(31, 2000, |m| {
        if let Some(bytes) = encode(&m) {
            wire(&bytes);
        }
    });
}

#[test]
fn lying_headers() {
    structured::<Lying>(32, 3000, |l| wire(&lying_bytes(&l)));
}

#[test]
fn mutated_messages() {
    let mut rng = Rng(33);
    let seeds = wire_seeds();
    for s in &seeds {
        wire(s);
    }
    for i in 0..3000 {
        wire(&mutate(&mut rng, &seeds[i % seeds.len()], WORDS));
    }
}

#[test]
fn structured_gpu_values() {
    structured::<Value>(34, 3000, |v| gpu_codec(&encode_msgpack(&tagged(&v, 0))));
}

#[test]
fn mutated_gpu_values() {
    let mut rng = Rng(35);
    let seeds = gpu_codec_seeds();
    for s in &seeds {
        gpu_codec(s);
    }
    for i in 0..3000 {
        gpu_codec(&mutate(&mut rng, &seeds[i % seeds.len()], WORDS));
    }
}

/// Inputs the fuzzer (or this test) once broke; each stays fixed.
#[test]
fn fuzz_regressions() {
    for input in REGRESSIONS {
        wire(input);
        gpu_codec(input);
    }
}

const REGRESSIONS: &[&[u8]] = &[];
