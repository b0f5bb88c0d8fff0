//! Fuzzing entry points shared by the cargo-fuzz targets in `fuzz/` and the seeded regression
//! test `tests/fuzz_seeded.rs`, so both run exactly the same code (docs/fuzzing.md).
//!
//! Each entry takes arbitrary bytes and panics when an invariant is broken. Not part of the
//! crate's API.

use std::collections::BTreeMap;

use crate::gpu_client::{translate_detection, translate_reconstruction};
use crate::gpu_codec::{
    self, NdArray, NpDType, Tagged, decode_msgpack, encode_msgpack, json_to_tagged,
};
use crate::types::{Masks, Reconstruction, RgbFrame, SegmentPrompt};
use crate::wire::{
    BackendId, Output, Request, decode_output, decode_request, encode_output,
    encode_reconstruct_request, encode_segment_request, read_output, validate_output,
};

fn frame(w: usize, h: usize, seed: u8, fi: i64) -> RgbFrame {
    let px: Vec<u8> = (0..w * h * 3).map(|i| (i as u8) ^ seed).collect();
    RgbFrame::new(w, h, px, fi).expect("consistent frame")
}

fn backend() -> BackendId {
    BackendId {
        name: "fuzz".into(),
        version: "1".into(),
    }
}

/// Valid perception messages (requests and results) as seeds for mutation.
pub fn wire_seeds() -> Vec<Vec<u8>> {
    let frames = vec![frame(3, 2, 1, 7), frame(3, 2, 2, 9)];
    let mut out = vec![encode_reconstruct_request(&frames).expect("encodes")];
    for p in [
        SegmentPrompt::Text("red chair".into()),
        SegmentPrompt::Box([0.1, 0.2, 0.3, 0.4]),
        SegmentPrompt::Points {
            points: vec![[0.5, 0.25], [0.0, 1.0]],
            labels: vec![1, 0],
        },
    ] {
        out.push(encode_segment_request(&frames[0], &p).expect("encodes"));
    }
    let (n, h, w) = (1, 2, 2);
    let rec = Reconstruction {
        frames: n,
        height: h,
        width: w,
        points: (0..n * h * w * 3).map(|i| i as f32 * 0.5).collect(),
        confidence: vec![1.0, 0.0, f32::NAN, 0.25],
        camera_poses: (0..16).map(|i| f64::from(i % 5 == 0)).collect(),
        intrinsics: vec![2.0, 0.0, 1.0, 0.0, 2.0, 1.0, 0.0, 0.0, 1.0],
        metric_scale: 1.5,
    };
    out.push(encode_output(&Output::Reconstruction(rec), &backend()).expect("encodes"));
    let masks = Masks {
        count: 2,
        height: 1,
        width: 3,
        data: vec![true, false, true, false, false, true],
        scores: vec![0.9, 0.1],
    };
    out.push(encode_output(&Output::Masks(masks), &backend()).expect("encodes"));
    out
}

/// Strict prefix lengths worth trying: all of them for a short message, else an even spread.
fn prefix_cuts(len: usize) -> Vec<usize> {
    if len <= 128 {
        return (0..len).collect();
    }
    let mut cuts: Vec<usize> = (0..8).chain((1..48).map(|k| len * k / 48)).collect();
    cuts.push(len - 1);
    cuts.retain(|&c| c < len);
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

fn head_len(data: &[u8]) -> usize {
    u32::from_le_bytes(data[..4].try_into().expect("4 bytes")) as usize
}

/// The perception wire format (requests and results) on arbitrary bytes.
///
/// Invariants: an accepted message's arrays are the message's trailing bytes verbatim (masks up
/// to the 0/1 normalisation of booleans); re-encoding what was decoded gives a message that
/// decodes again and re-encodes to the same bytes; every strict prefix of an accepted message is
/// refused; a result that decodes passes [`validate_output`]; a stream shorter than its declared
/// length is refused.
pub fn wire(data: &[u8]) {
    if let Ok(req) = decode_request(data) {
        let (encoded, pixels) = match &req {
            Request::Reconstruct(frames) => {
                assert!(!frames.is_empty(), "a reconstruction has frames");
                let px: Vec<u8> = frames.iter().flat_map(|f| f.pixels.to_vec()).collect();
                (encode_reconstruct_request(frames), px)
            }
            Request::Segment(f, p) => (encode_segment_request(f, p), f.pixels.to_vec()),
        };
        assert!(data.ends_with(&pixels), "pixels are the message's tail");
        let encoded = encoded.expect("a decoded request re-encodes");
        let again = decode_request(&encoded).expect("a re-encoded request decodes");
        let re = match &again {
            Request::Reconstruct(frames) => encode_reconstruct_request(frames),
            Request::Segment(f, p) => encode_segment_request(f, p),
        }
        .expect("encodes");
        assert_eq!(re, encoded, "request encoding is a fixed point");
        for cut in prefix_cuts(data.len()) {
            assert!(
                decode_request(&data[..cut]).is_err(),
                "request prefix {cut} accepted"
            );
        }
    }

    if let Ok((id, out)) = decode_output(data) {
        validate_output(&out).expect("a decoded result is consistent");
        let encoded = encode_output(&out, &id).expect("a decoded result re-encodes");
        let body = 4 + head_len(data);
        let tail_new = &encoded[4 + head_len(&encoded)..];
        match &out {
            Output::Reconstruction(_) => {
                assert_eq!(&data[body..], tail_new, "arrays are taken verbatim");
            }
            Output::Masks(m) => {
                let (masks, scores) = data[body..].split_at(m.data.len());
                let (masks_new, scores_new) = tail_new.split_at(m.data.len());
                assert_eq!(scores, scores_new, "scores are taken verbatim");
                assert!(
                    masks
                        .iter()
                        .zip(masks_new)
                        .all(|(&a, &b)| (a != 0) == (b == 1)),
                    "masks keep their truth values"
                );
            }
        }
        let (id2, out2) = decode_output(&encoded).expect("a re-encoded result decodes");
        assert_eq!(id2, id);
        assert_eq!(
            encode_output(&out2, &id2).expect("encodes"),
            encoded,
            "result encoding is a fixed point"
        );
        for cut in prefix_cuts(data.len()) {
            assert!(
                decode_output(&data[..cut]).is_err(),
                "result prefix {cut} accepted"
            );
            // The same bytes from a stream that ends early, with the full length declared.
            let mut short = &data[..cut];
            assert!(
                read_output(&mut short, data.len() as u64).is_err(),
                "stream cut at {cut} accepted"
            );
        }
    }
}

/// Tagged values as the original GPU server sends them, as seeds for mutation.
pub fn gpu_codec_seeds() -> Vec<Vec<u8>> {
    let arr = |dtype: NpDType, shape: Vec<usize>, data: Vec<u8>| {
        Tagged::Array(NdArray::new(dtype, shape, data).expect("consistent array"))
    };
    let f32s = |v: &[f32]| crate::wire::f32s_to_le(v);
    let (n, hm, wm) = (1, 2, 2);
    let mut pose = vec![0f32; 16];
    for i in 0..4 {
        pose[i * 5] = 1.0;
    }
    pose[3] = 0.5;
    let recon = Tagged::Dataclass {
        name: "Pi3ReconstructionOutput".into(),
        fields: BTreeMap::from([
            (
                "points".into(),
                arr(NpDType::F32, vec![n, hm, wm, 3], f32s(&[0.5; 12])),
            ),
            (
                "confidence".into(),
                arr(
                    NpDType::F16,
                    vec![n, hm, wm],
                    vec![0, 0x3c, 0, 0x7e, 1, 0, 0, 0x3c],
                ),
            ),
            (
                "camera_poses".into(),
                arr(NpDType::F32, vec![n, 4, 4], f32s(&pose)),
            ),
            (
                "_rays".into(),
                arr(
                    NpDType::F32,
                    vec![n, hm, wm, 3],
                    f32s(&[0.1, 0.2, 1.0, 0.3, 0.1, 1.0, -0.2, 0.4, 1.0, 0.0, 0.0, 1.0]),
                ),
            ),
            ("metric_scale".into(), Tagged::Float(2.0)),
        ]),
    };
    let detect = Tagged::Dataclass {
        name: "SAM3ImageDetectionOutput".into(),
        fields: BTreeMap::from([
            (
                "masks".into(),
                arr(
                    NpDType::Bool,
                    vec![2, 2, 3],
                    vec![1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0],
                ),
            ),
            (
                "scores".into(),
                arr(NpDType::F64, vec![2], crate::wire::f64s_to_le(&[0.9, 0.2])),
            ),
        ]),
    };
    let wrap = |result: Tagged| Tagged::Dataclass {
        name: "AgentToolOutput".into(),
        fields: BTreeMap::from([
            ("result".into(), result),
            ("err_msg".into(), Tagged::Nil),
            ("err_src".into(), Tagged::Float(f64::INFINITY)),
        ]),
    };
    let misc = Tagged::Map(BTreeMap::from([
        (
            "list".into(),
            Tagged::List(vec![
                Tagged::Int(-3),
                Tagged::Bool(true),
                Tagged::Str("é".into()),
            ]),
        ),
        ("nan".into(), Tagged::Float(f64::NAN)),
        ("png".into(), Tagged::Image(b"\x89PNG\r\n\x1a\n".to_vec())),
        (
            "ints".into(),
            arr(NpDType::I64, vec![1], 7i64.to_le_bytes().to_vec()),
        ),
    ]));
    let mut out: Vec<Vec<u8>> = [wrap(recon), wrap(detect), misc]
        .iter()
        .map(encode_msgpack)
        .collect();
    out.push(
        serde_json::json!({"video_frames": [gpu_codec::image_json(b"\x89PNG")], "frame_indices": [0, 3], "x": {"y": [1.5, null]}})
            .to_string()
            .into_bytes(),
    );
    out
}

/// The GPU server codec and the client's reading of its results, on arbitrary bytes.
///
/// Invariants: an accepted MessagePack value re-encodes to bytes that decode again and
/// re-encode identically; every strict prefix of an accepted value is refused (MessagePack is
/// prefix-free); a reconstruction or detection the client accepts from the server is a valid
/// result ([`validate_output`]), so it can be cached and sent on; JSON requests never panic.
pub fn gpu_codec(data: &[u8]) {
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = json_to_tagged(&json, 0);
    }
    let Ok(t) = decode_msgpack(data) else {
        return;
    };
    let encoded = encode_msgpack(&t);
    let again = decode_msgpack(&encoded).expect("a decoded value re-encodes");
    assert_eq!(
        encode_msgpack(&again),
        encoded,
        "msgpack encoding is a fixed point"
    );
    for cut in prefix_cuts(data.len()) {
        assert!(
            decode_msgpack(&data[..cut]).is_err(),
            "msgpack prefix {cut} accepted"
        );
    }

    let result = match &t {
        Tagged::Dataclass { name, fields } if name == "AgentToolOutput" => {
            fields.get("result").unwrap_or(&t)
        }
        _ => &t,
    };
    let Tagged::Dataclass { fields, .. } = result else {
        return;
    };
    let first_dim = |k: &str| match fields.get(k) {
        Some(Tagged::Array(a)) => a.shape.first().copied(),
        _ => None,
    };
    let n = first_dim("points")
        .filter(|&n| (1..=4).contains(&n))
        .unwrap_or(1);
    let frames: Vec<RgbFrame> = (0..n).map(|i| frame(5, 3, i as u8, i as i64)).collect();
    if let Ok(rec) = translate_reconstruction(result, &frames) {
        validate_output(&Output::Reconstruction(rec))
            .expect("an accepted reconstruction is a valid result");
    }
    if let Ok(masks) = translate_detection(result, &frames[0]) {
        validate_output(&Output::Masks(masks)).expect("accepted masks are a valid result");
    }
}
