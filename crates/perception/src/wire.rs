//! Our binary message format for perception requests and results (see `PROTOCOL.md`).
//!
//! The same framing as the kernel pipe (`docs/kernel-protocol.md`): a `u32` little-endian header
//! length, a UTF-8 JSON header, then the raw bytes of every array the header describes. Arrays
//! never travel as JSON numbers, so a 32-frame point map costs a copy, not a parse; the header is
//! checked against an exact schema (unknown keys, wrong dtypes, wrong shapes and length
//! mismatches are refused) before any array is touched. The perception service, its client and
//! the on-disk cache all speak this one format.

use std::io::Read;

use serde::{Deserialize, Serialize};

use crate::types::{Masks, Reconstruction, RgbFrame, SegmentPrompt};

/// Version of the message format; bumped on any incompatible change.
pub const WIRE_VERSION: u32 = 1;
/// Largest JSON header accepted: headers carry parameters, never bulk data.
pub const MAX_HEADER_BYTES: usize = 1 << 20;
/// Largest image side accepted anywhere in a message; keeps shape products far from overflow.
pub const MAX_SIDE: usize = 16_384;
/// Most frames in one reconstruction request (the original's limit is 64).
pub const MAX_FRAMES: usize = 1024;
/// Media type of a framed message on HTTP.
pub const CONTENT_TYPE: &str = "application/x-spatialclaw-perception";

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WireError {
    /// The bytes do not follow the format (bad framing, schema or sizes).
    #[error("malformed perception message: {0}")]
    Malformed(String),
    /// The message is well formed but exceeds a limit.
    #[error("perception message too large: {0}")]
    TooLarge(String),
    /// A value cannot be expressed in the format (e.g. a non-finite metric scale).
    #[error("cannot encode perception message: {0}")]
    Unencodable(String),
}

fn malformed(m: impl Into<String>) -> WireError {
    WireError::Malformed(m.into())
}

/// Element types that appear in perception messages, spelled like numpy dtype strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    U8,
    Bool,
    F32,
    F64,
}

impl DType {
    pub fn as_str(self) -> &'static str {
        match self {
            DType::U8 => "|u1",
            DType::Bool => "|b1",
            DType::F32 => "<f4",
            DType::F64 => "<f8",
        }
    }

    pub fn itemsize(self) -> usize {
        match self {
            DType::U8 | DType::Bool => 1,
            DType::F32 => 4,
            DType::F64 => 8,
        }
    }
}

/// Header descriptor of one array, in the order its bytes follow the header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArrayDesc {
    pub dtype: String,
    pub shape: Vec<u64>,
    pub nbytes: u64,
}

/// Identity of the backend that produced a result; lets clients and the cache notice when a
/// server's model changed under them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackendId {
    pub name: String,
    pub version: String,
}

/// How a segmentation prompt is spelled in a request header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum PromptWire {
    Text(String),
    BoxXywh([f64; 4]),
    Points {
        points: Vec<[f64; 2]>,
        labels: Vec<i32>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum CallWire {
    Reconstruct {
        frame_indices: Vec<i64>,
    },
    Segment {
        frame_index: i64,
        prompt: PromptWire,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestHeader {
    version: u32,
    call: CallWire,
    arrays: Vec<ArrayDesc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum ResultWire {
    Reconstruction {
        frames: usize,
        height: usize,
        width: usize,
        metric_scale: f64,
    },
    Masks {
        count: usize,
        height: usize,
        width: usize,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResponseHeader {
    version: u32,
    backend: BackendId,
    result: ResultWire,
    arrays: Vec<ArrayDesc>,
}

/// A decoded request.
#[derive(Debug, Clone)]
pub enum Request {
    Reconstruct(Vec<RgbFrame>),
    Segment(RgbFrame, SegmentPrompt),
}

/// A perception result, as the service returns it and the cache stores it.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    Reconstruction(Reconstruction),
    Masks(Masks),
}

impl Output {
    /// Approximate heap size, for the in-memory cache's budget.
    pub fn heap_bytes(&self) -> usize {
        match self {
            Output::Reconstruction(r) => {
                (r.points.len() + r.confidence.len()) * 4
                    + (r.camera_poses.len() + r.intrinsics.len()) * 8
            }
            Output::Masks(m) => m.data.len() + m.scores.len() * 4,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Framing

/// Assemble `u32 header_len | header | arrays`.
fn frame<H: Serialize>(header: &H, arrays: &[&[u8]]) -> Result<Vec<u8>, WireError> {
    let head = serde_json::to_vec(header).map_err(|e| WireError::Unencodable(e.to_string()))?;
    if head.len() > MAX_HEADER_BYTES {
        return Err(WireError::TooLarge(format!(
            "header of {} bytes (limit {MAX_HEADER_BYTES})",
            head.len()
        )));
    }
    let total = 4 + head.len() + arrays.iter().map(|a| a.len()).sum::<usize>();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&(head.len() as u32).to_le_bytes());
    out.extend_from_slice(&head);
    for a in arrays {
        out.extend_from_slice(a);
    }
    Ok(out)
}

/// A framed message: its parsed header and the byte slices of its arrays.
struct Split<'a, H> {
    header: H,
    arrays: Vec<(ArrayDesc, &'a [u8])>,
}

/// Split a framed message into header and arrays; checks that the descriptors account for
/// every byte exactly, before any array is interpreted.
fn split_message<'a, H>(
    body: &'a [u8],
    descs: fn(&H) -> &[ArrayDesc],
) -> Result<Split<'a, H>, WireError>
where
    H: for<'de> Deserialize<'de>,
{
    let len_bytes: [u8; 4] = body
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| malformed("shorter than its 4-byte header length"))?;
    let head_len = u32::from_le_bytes(len_bytes) as usize;
    if head_len > MAX_HEADER_BYTES {
        return Err(WireError::TooLarge(format!(
            "header of {head_len} bytes (limit {MAX_HEADER_BYTES})"
        )));
    }
    let head = body
        .get(4..4 + head_len)
        .ok_or_else(|| malformed("truncated header"))?;
    let header: H = serde_json::from_slice(head).map_err(|e| malformed(format!("header: {e}")))?;
    let mut rest = &body[4 + head_len..];
    let mut arrays = Vec::new();
    for d in descs(&header) {
        let dtype = parse_dtype(&d.dtype)?;
        let count = element_count(&d.shape)?;
        let expect = count
            .checked_mul(dtype.itemsize())
            .ok_or_else(|| malformed("array size overflows"))?;
        if d.nbytes != expect as u64 {
            return Err(malformed(format!(
                "array {:?} of shape {:?} declares {} bytes, expected {expect}",
                d.dtype, d.shape, d.nbytes
            )));
        }
        if rest.len() < expect {
            return Err(malformed(format!(
                "array {:?} of shape {:?} needs {expect} bytes, only {} remain",
                d.dtype,
                d.shape,
                rest.len()
            )));
        }
        let (a, r) = rest.split_at(expect);
        arrays.push((d.clone(), a));
        rest = r;
    }
    if !rest.is_empty() {
        return Err(malformed(format!(
            "{} trailing bytes after the last array",
            rest.len()
        )));
    }
    Ok(Split { header, arrays })
}

fn parse_dtype(s: &str) -> Result<DType, WireError> {
    Ok(match s {
        "|u1" => DType::U8,
        "|b1" => DType::Bool,
        "<f4" => DType::F32,
        "<f8" => DType::F64,
        other => return Err(malformed(format!("unsupported dtype {other:?}"))),
    })
}

fn element_count(shape: &[u64]) -> Result<usize, WireError> {
    if shape.len() > 8 {
        return Err(malformed(format!("{} dimensions (at most 8)", shape.len())));
    }
    shape.iter().try_fold(1usize, |acc, &d| {
        usize::try_from(d)
            .ok()
            .and_then(|d| acc.checked_mul(d))
            .ok_or_else(|| malformed(format!("shape {shape:?} overflows")))
    })
}

/// Check that an array has the dtype and shape the schema demands.
fn expect_array<'a>(
    got: &(ArrayDesc, &'a [u8]),
    name: &str,
    dtype: DType,
    shape: &[usize],
) -> Result<&'a [u8], WireError> {
    let (d, bytes) = got;
    let want: Vec<u64> = shape.iter().map(|&s| s as u64).collect();
    if d.dtype != dtype.as_str() || d.shape != want {
        return Err(malformed(format!(
            "{name} must be {} {:?}, got {} {:?}",
            dtype.as_str(),
            want,
            d.dtype,
            d.shape
        )));
    }
    Ok(bytes)
}

fn desc(dtype: DType, shape: &[usize]) -> ArrayDesc {
    ArrayDesc {
        dtype: dtype.as_str().into(),
        shape: shape.iter().map(|&s| s as u64).collect(),
        nbytes: (shape.iter().product::<usize>() * dtype.itemsize()) as u64,
    }
}

fn check_side(what: &str, v: usize) -> Result<(), WireError> {
    if v == 0 || v > MAX_SIDE {
        return Err(malformed(format!("{what} {v} outside 1..={MAX_SIDE}")));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Little-endian array conversions (no unsafe casts; the compiler turns these into copies).

pub(crate) fn f32s_to_le(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub(crate) fn f64s_to_le(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub(crate) fn le_to_f32s(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

pub(crate) fn le_to_f64s(b: &[u8]) -> Vec<f64> {
    b.chunks_exact(8)
        .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Requests

fn prompt_to_wire(p: &SegmentPrompt) -> PromptWire {
    match p {
        SegmentPrompt::Text(t) => PromptWire::Text(t.clone()),
        SegmentPrompt::Box(b) => PromptWire::BoxXywh(*b),
        SegmentPrompt::Points { points, labels } => PromptWire::Points {
            points: points.clone(),
            labels: labels.clone(),
        },
    }
}

fn prompt_from_wire(p: PromptWire) -> Result<SegmentPrompt, WireError> {
    Ok(match p {
        PromptWire::Text(t) => SegmentPrompt::Text(t),
        PromptWire::BoxXywh(b) => {
            if b.iter().any(|v| !v.is_finite()) {
                return Err(malformed("box coordinates must be finite"));
            }
            SegmentPrompt::Box(b)
        }
        PromptWire::Points { points, labels } => {
            if points.len() != labels.len() {
                return Err(malformed(format!(
                    "{} points but {} point labels",
                    points.len(),
                    labels.len()
                )));
            }
            if points.iter().flatten().any(|v| !v.is_finite()) {
                return Err(malformed("point coordinates must be finite"));
            }
            SegmentPrompt::Points { points, labels }
        }
    })
}

/// Encode a reconstruction request: the frames' pixels as one `(N, H, W, 3)` array.
pub fn encode_reconstruct_request(frames: &[RgbFrame]) -> Result<Vec<u8>, WireError> {
    let first = frames
        .first()
        .ok_or_else(|| WireError::Unencodable("no frames".into()))?;
    let (h, w) = (first.height, first.width);
    if frames.iter().any(|f| (f.height, f.width) != (h, w)) {
        return Err(WireError::Unencodable(
            "frames of one reconstruction must share one size".into(),
        ));
    }
    let header = RequestHeader {
        version: WIRE_VERSION,
        call: CallWire::Reconstruct {
            frame_indices: frames.iter().map(|f| f.frame_index).collect(),
        },
        arrays: vec![desc(DType::U8, &[frames.len(), h, w, 3])],
    };
    let slices: Vec<&[u8]> = frames.iter().map(|f| &f.pixels[..]).collect();
    frame(&header, &slices)
}

/// Encode a segmentation request: the frame's pixels as one `(H, W, 3)` array.
pub fn encode_segment_request(
    frame_: &RgbFrame,
    prompt: &SegmentPrompt,
) -> Result<Vec<u8>, WireError> {
    let header = RequestHeader {
        version: WIRE_VERSION,
        call: CallWire::Segment {
            frame_index: frame_.frame_index,
            prompt: prompt_to_wire(prompt),
        },
        arrays: vec![desc(DType::U8, &[frame_.height, frame_.width, 3])],
    };
    frame(&header, &[&frame_.pixels[..]])
}

/// Decode and schema-check a request.
pub fn decode_request(body: &[u8]) -> Result<Request, WireError> {
    let split: Split<'_, RequestHeader> =
        split_message(body, |h: &RequestHeader| h.arrays.as_slice())?;
    if split.header.version != WIRE_VERSION {
        return Err(malformed(format!(
            "version {} (this side speaks {WIRE_VERSION})",
            split.header.version
        )));
    }
    let [rgb] = split.arrays.as_slice() else {
        return Err(malformed(format!(
            "a request carries exactly one rgb array, got {}",
            split.arrays.len()
        )));
    };
    match split.header.call {
        CallWire::Reconstruct { frame_indices } => {
            let n = frame_indices.len();
            if n == 0 || n > MAX_FRAMES {
                return Err(malformed(format!("{n} frames (1..={MAX_FRAMES} accepted)")));
            }
            let shape = &rgb.0.shape;
            if shape.len() != 4 || shape[0] != n as u64 || shape[3] != 3 {
                return Err(malformed(format!(
                    "rgb must be |u1 ({n}, H, W, 3), got {} {shape:?}",
                    rgb.0.dtype
                )));
            }
            let (h, w) = (shape[1] as usize, shape[2] as usize);
            check_side("height", h)?;
            check_side("width", w)?;
            let bytes = expect_array(rgb, "rgb", DType::U8, &[n, h, w, 3])?;
            let per = h * w * 3;
            frame_indices
                .iter()
                .enumerate()
                .map(|(i, &fi)| {
                    RgbFrame::new(w, h, &bytes[i * per..(i + 1) * per], fi)
                        .map_err(|e| malformed(e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Request::Reconstruct)
        }
        CallWire::Segment {
            frame_index,
            prompt,
        } => {
            let shape = &rgb.0.shape;
            if shape.len() != 3 || shape[2] != 3 {
                return Err(malformed(format!(
                    "rgb must be |u1 (H, W, 3), got {} {shape:?}",
                    rgb.0.dtype
                )));
            }
            let (h, w) = (shape[0] as usize, shape[1] as usize);
            check_side("height", h)?;
            check_side("width", w)?;
            let bytes = expect_array(rgb, "rgb", DType::U8, &[h, w, 3])?;
            let frame_ =
                RgbFrame::new(w, h, bytes, frame_index).map_err(|e| malformed(e.to_string()))?;
            Ok(Request::Segment(frame_, prompt_from_wire(prompt)?))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Results

/// Check that a result's arrays agree with its declared dimensions (a buggy backend must not
/// produce a message the other side would misread).
pub fn validate_output(out: &Output) -> Result<(), WireError> {
    match out {
        Output::Reconstruction(r) => {
            let (n, h, w) = (r.frames, r.height, r.width);
            let px = n
                .checked_mul(h)
                .and_then(|v| v.checked_mul(w))
                .ok_or_else(|| malformed("reconstruction size overflows"))?;
            let ok = r.points.len() == px * 3
                && r.confidence.len() == px
                && r.camera_poses.len() == n * 16
                && r.intrinsics.len() == n * 9;
            if !ok {
                return Err(malformed(format!(
                    "reconstruction arrays do not match {n} frames of {w}x{h}"
                )));
            }
            if !r.metric_scale.is_finite() {
                return Err(WireError::Unencodable(format!(
                    "metric scale {} is not finite",
                    r.metric_scale
                )));
            }
        }
        Output::Masks(m) => {
            let px = m
                .count
                .checked_mul(m.height)
                .and_then(|v| v.checked_mul(m.width))
                .ok_or_else(|| malformed("mask size overflows"))?;
            if m.data.len() != px || m.scores.len() != m.count {
                return Err(malformed(format!(
                    "masks do not match {} instances of {}x{}",
                    m.count, m.width, m.height
                )));
            }
        }
    }
    Ok(())
}

/// Encode a result together with the identity of the backend that produced it.
pub fn encode_output(out: &Output, backend: &BackendId) -> Result<Vec<u8>, WireError> {
    validate_output(out)?;
    match out {
        Output::Reconstruction(r) => {
            let (n, h, w) = (r.frames, r.height, r.width);
            let header = ResponseHeader {
                version: WIRE_VERSION,
                backend: backend.clone(),
                result: ResultWire::Reconstruction {
                    frames: n,
                    height: h,
                    width: w,
                    metric_scale: r.metric_scale,
                },
                arrays: vec![
                    desc(DType::F32, &[n, h, w, 3]),
                    desc(DType::F32, &[n, h, w]),
                    desc(DType::F64, &[n, 4, 4]),
                    desc(DType::F64, &[n, 3, 3]),
                ],
            };
            frame(
                &header,
                &[
                    &f32s_to_le(&r.points),
                    &f32s_to_le(&r.confidence),
                    &f64s_to_le(&r.camera_poses),
                    &f64s_to_le(&r.intrinsics),
                ],
            )
        }
        Output::Masks(m) => {
            let header = ResponseHeader {
                version: WIRE_VERSION,
                backend: backend.clone(),
                result: ResultWire::Masks {
                    count: m.count,
                    height: m.height,
                    width: m.width,
                },
                arrays: vec![
                    desc(DType::Bool, &[m.count, m.height, m.width]),
                    desc(DType::F32, &[m.count]),
                ],
            };
            let data: Vec<u8> = m.data.iter().map(|&b| u8::from(b)).collect();
            frame(&header, &[&data, &f32s_to_le(&m.scores)])
        }
    }
}

/// Decode and schema-check a result; returns the producing backend's identity with it.
pub fn decode_output(body: &[u8]) -> Result<(BackendId, Output), WireError> {
    read_output(&mut &body[..], body.len() as u64)
}

/// Bytes converted per step when reading arrays: small enough to stay in cache, so a large
/// result costs one copy into its final vectors and no whole-body buffer.
const CHUNK: usize = 1 << 18;

fn read_array<T>(
    r: &mut dyn Read,
    count: usize,
    itemsize: usize,
    convert: impl Fn(&[u8]) -> T,
) -> Result<Vec<T>, WireError> {
    let mut out = Vec::with_capacity(count);
    let mut buf = vec![0u8; CHUNK.min(count * itemsize)];
    let mut left = count * itemsize;
    while left > 0 {
        let k = left.min(buf.len());
        r.read_exact(&mut buf[..k])
            .map_err(|e| malformed(format!("reading arrays: {e}")))?;
        out.extend(buf[..k].chunks_exact(itemsize).map(&convert));
        left -= k;
    }
    Ok(out)
}

fn f32_of(c: &[u8]) -> f32 {
    f32::from_le_bytes([c[0], c[1], c[2], c[3]])
}

fn f64_of(c: &[u8]) -> f64 {
    f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])
}

/// Read and schema-check a result message of exactly `len` bytes from `r`. The header is
/// checked completely (dtypes, shapes, byte counts adding up to `len`) before any array is
/// read, so a lying header cannot make us allocate more than the message holds.
pub fn read_output(r: &mut dyn Read, len: u64) -> Result<(BackendId, Output), WireError> {
    if len < 4 {
        return Err(malformed("shorter than its 4-byte header length"));
    }
    let mut b4 = [0u8; 4];
    r.read_exact(&mut b4)
        .map_err(|e| malformed(format!("reading the header length: {e}")))?;
    let head_len = u32::from_le_bytes(b4) as usize;
    if head_len > MAX_HEADER_BYTES {
        return Err(WireError::TooLarge(format!(
            "header of {head_len} bytes (limit {MAX_HEADER_BYTES})"
        )));
    }
    if 4 + head_len as u64 > len {
        return Err(malformed("truncated header"));
    }
    let mut head = vec![0u8; head_len];
    r.read_exact(&mut head)
        .map_err(|e| malformed(format!("reading the header: {e}")))?;
    let h: ResponseHeader =
        serde_json::from_slice(&head).map_err(|e| malformed(format!("header: {e}")))?;
    if h.version != WIRE_VERSION {
        return Err(malformed(format!(
            "version {} (this side speaks {WIRE_VERSION})",
            h.version
        )));
    }
    let want: Vec<(&str, DType, Vec<usize>)> = match h.result {
        ResultWire::Reconstruction {
            frames: n,
            height,
            width,
            ..
        } => {
            if n == 0 || n > MAX_FRAMES {
                return Err(malformed(format!("{n} frames (1..={MAX_FRAMES} accepted)")));
            }
            check_side("height", height)?;
            check_side("width", width)?;
            vec![
                ("points", DType::F32, vec![n, height, width, 3]),
                ("confidence", DType::F32, vec![n, height, width]),
                ("camera_poses", DType::F64, vec![n, 4, 4]),
                ("intrinsics", DType::F64, vec![n, 3, 3]),
            ]
        }
        ResultWire::Masks {
            count,
            height,
            width,
        } => {
            check_side("height", height)?;
            check_side("width", width)?;
            if count > 4096 {
                return Err(malformed(format!("{count} mask instances (at most 4096)")));
            }
            vec![
                ("masks", DType::Bool, vec![count, height, width]),
                ("scores", DType::F32, vec![count]),
            ]
        }
    };
    if h.arrays.len() != want.len() {
        return Err(malformed(format!(
            "this result carries {} arrays, got {}",
            want.len(),
            h.arrays.len()
        )));
    }
    let mut total = 4 + head_len as u64;
    for (d, (name, dtype, shape)) in h.arrays.iter().zip(&want) {
        let shape64: Vec<u64> = shape.iter().map(|&v| v as u64).collect();
        let nbytes = shape
            .iter()
            .try_fold(dtype.itemsize(), |a, &v| a.checked_mul(v))
            .ok_or_else(|| malformed(format!("{name} size overflows")))?;
        if d.dtype != dtype.as_str() || d.shape != shape64 || d.nbytes != nbytes as u64 {
            return Err(malformed(format!(
                "{name} must be {} {shape64:?} ({nbytes} bytes), got {} {:?} ({} bytes)",
                dtype.as_str(),
                d.dtype,
                d.shape,
                d.nbytes
            )));
        }
        total = total.saturating_add(nbytes as u64);
    }
    if total != len {
        return Err(malformed(format!(
            "header accounts for {total} bytes, the message has {len}"
        )));
    }
    let count = |i: usize| want[i].2.iter().product::<usize>();
    let out = match h.result {
        ResultWire::Reconstruction {
            frames,
            height,
            width,
            metric_scale,
        } => Output::Reconstruction(Reconstruction {
            frames,
            height,
            width,
            points: read_array(r, count(0), 4, f32_of)?,
            confidence: read_array(r, count(1), 4, f32_of)?,
            camera_poses: read_array(r, count(2), 8, f64_of)?,
            intrinsics: read_array(r, count(3), 8, f64_of)?,
            metric_scale,
        }),
        ResultWire::Masks {
            count: k,
            height,
            width,
        } => Output::Masks(Masks {
            count: k,
            height,
            width,
            data: read_array(r, count(0), 1, |c| c[0] != 0)?,
            scores: read_array(r, count(1), 4, f32_of)?,
        }),
    };
    Ok((h.backend, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(w: usize, h: usize, seed: u8, fi: i64) -> RgbFrame {
        let px: Vec<u8> = (0..w * h * 3).map(|i| (i as u8) ^ seed).collect();
        RgbFrame::new(w, h, px, fi).unwrap()
    }

    #[test]
    fn requests_round_trip() {
        let frames = vec![frame(5, 4, 1, 7), frame(5, 4, 2, 9)];
        let Request::Reconstruct(back) =
            decode_request(&encode_reconstruct_request(&frames).unwrap()).unwrap()
        else {
            panic!("wrong request kind")
        };
        assert_eq!(back.len(), 2);
        assert_eq!(
            (back[1].frame_index, &back[1].pixels),
            (9, &frames[1].pixels)
        );
        for p in [
            SegmentPrompt::Text("red chair".into()),
            SegmentPrompt::Box([0.1, 0.2, 0.3, 0.4]),
            SegmentPrompt::Points {
                points: vec![[0.5, 0.25]],
                labels: vec![0],
            },
        ] {
            let Request::Segment(f, q) =
                decode_request(&encode_segment_request(&frames[0], &p).unwrap()).unwrap()
            else {
                panic!("wrong request kind")
            };
            assert_eq!(
                (q, f.frame_index, f.pixels),
                (p, 7, frames[0].pixels.clone())
            );
        }
        let mixed = vec![frame(5, 4, 1, 0), frame(4, 5, 1, 1)];
        assert!(encode_reconstruct_request(&mixed).is_err());
    }

    #[test]
    fn outputs_round_trip_and_inconsistent_ones_are_refused() {
        let id = BackendId {
            name: "b".into(),
            version: "1".into(),
        };
        let m = Output::Masks(Masks {
            count: 2,
            height: 2,
            width: 3,
            data: vec![
                true, false, true, false, false, true, true, true, false, false, false, false,
            ],
            scores: vec![0.5, 0.25],
        });
        assert_eq!(
            decode_output(&encode_output(&m, &id).unwrap()).unwrap(),
            (id.clone(), m)
        );
        let bad = Output::Masks(Masks {
            count: 1,
            height: 2,
            width: 2,
            data: vec![true],
            scores: vec![1.0],
        });
        assert!(encode_output(&bad, &id).is_err());
        let r = Output::Reconstruction(Reconstruction {
            frames: 1,
            height: 1,
            width: 2,
            points: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.5],
            confidence: vec![0.0, 1.0],
            camera_poses: (0..16).map(f64::from).collect(),
            intrinsics: (0..9).map(f64::from).collect(),
            metric_scale: 2.0,
        });
        let bytes = encode_output(&r, &id).unwrap();
        assert_eq!(decode_output(&bytes).unwrap().1, r);
        // Truncation, extra bytes and a lying header are all refused.
        assert!(decode_output(&bytes[..bytes.len() - 1]).is_err());
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode_output(&longer).is_err());
        assert!(decode_output(&[1, 0]).is_err());
        assert!(decode_output(&[0xff, 0xff, 0xff, 0x7f]).is_err());
    }

    #[test]
    fn schema_violations_are_refused() {
        let send = |header: &str, arrays: usize| {
            let mut b = (header.len() as u32).to_le_bytes().to_vec();
            b.extend_from_slice(header.as_bytes());
            b.extend(vec![0u8; arrays]);
            decode_request(&b)
        };
        let ok = r#"{"version":1,"call":{"segment":{"frame_index":0,"prompt":{"text":"x"}}},"arrays":[{"dtype":"|u1","shape":[2,2,3],"nbytes":12}]}"#;
        assert!(send(ok, 12).is_ok());
        for (bad, why) in [
            (ok.replace(r#""version":1"#, r#""version":2"#), "version"),
            (ok.replace("|u1", "<f4"), "dtype"),
            (ok.replace("[2,2,3]", "[2,2,4]"), "nbytes"),
            (ok.replace(r#""nbytes":12"#, r#""nbytes":13"#), "nbytes"),
            (ok.replace("segment", "exec"), "method"),
            (
                ok.replace(r#""text":"x""#, r#""text":"x","code":"y""#),
                "unknown key",
            ),
            (
                ok.replace("[2,2,3]", "[0,2,3]")
                    .replace(r#""nbytes":12"#, r#""nbytes":0"#),
                "empty",
            ),
        ] {
            assert!(send(&bad, 12).is_err(), "{why}: {bad}");
        }
        let pts = r#"{"version":1,"call":{"segment":{"frame_index":0,"prompt":{"points":{"points":[[0.5,0.5]],"labels":[1,0]}}}},"arrays":[{"dtype":"|u1","shape":[2,2,3],"nbytes":12}]}"#;
        assert!(
            send(pts, 12)
                .unwrap_err()
                .to_string()
                .contains("1 points but 2 point labels")
        );
    }
}
