//! The original GPU server's value encoding (tools-perception.md §7.3, protocol version 1).
//!
//! Requests are JSON, responses MessagePack; both use the same tagged values: plain
//! null/bool/int/float/str/list/map, plus maps carrying the reserved key
//! `__spatialclaw_type__` for non-finite floats, numpy arrays, PNG images and whitelisted
//! result dataclasses. Decoding checks exact key sets, dtypes, shapes and byte lengths and
//! never instantiates anything the peer names: a dataclass stays a name plus fields that the
//! client reads by name.

use std::collections::BTreeMap;

use base64::Engine;
use rmpv::Value;

/// The reserved key of tagged values.
pub const TAG: &str = "__spatialclaw_type__";
/// Protocol version of the original's RPC.
pub const RPC_VERSION: i64 = 1;
/// Deepest nesting accepted (the original's limit).
pub const MAX_DEPTH: usize = 64;
/// Most array dimensions accepted (the original's limit).
pub const MAX_DIMS: usize = 16;

/// Dataclasses the original's codec accepts (`gpu_models/types.py`).
pub const DATACLASSES: &[&str] = &[
    "AgentToolOutput",
    "Pi3ReconstructionOutput",
    "DA3ReconstructionOutput",
    "MapAnythingReconstructionOutput",
    "Pi3TrajectoryOutput",
    "Pi3ProjectionOutput",
    "SAM3ImageDetectionOutput",
    "SAM3VideoSegmentationOutput",
];

/// Element kind and size of a numpy dtype string such as `<f4` or `|b1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NpDType {
    Bool,
    U8,
    I32,
    I64,
    F16,
    F32,
    F64,
}

impl NpDType {
    pub fn parse(s: &str) -> Result<Self, String> {
        Ok(match s {
            "|b1" => NpDType::Bool,
            "|u1" => NpDType::U8,
            "<i4" => NpDType::I32,
            "<i8" => NpDType::I64,
            "<f2" => NpDType::F16,
            "<f4" => NpDType::F32,
            "<f8" => NpDType::F64,
            other => return Err(format!("unsupported array dtype {other:?}")),
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NpDType::Bool => "|b1",
            NpDType::U8 => "|u1",
            NpDType::I32 => "<i4",
            NpDType::I64 => "<i8",
            NpDType::F16 => "<f2",
            NpDType::F32 => "<f4",
            NpDType::F64 => "<f8",
        }
    }

    pub fn itemsize(self) -> usize {
        match self {
            NpDType::Bool | NpDType::U8 => 1,
            NpDType::F16 => 2,
            NpDType::I32 | NpDType::F32 => 4,
            NpDType::I64 | NpDType::F64 => 8,
        }
    }
}

/// A numpy array as it came over the wire: dtype, shape and C-order little-endian bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct NdArray {
    pub dtype: NpDType,
    pub shape: Vec<usize>,
    pub data: Vec<u8>,
}

fn f16_to_f32(bits: u16) -> f32 {
    let exp = (bits >> 10) & 0x1f;
    let frac = f32::from(bits & 0x3ff);
    let mag = match exp {
        0 => frac * 2f32.powi(-24),
        0x1f if frac == 0.0 => f32::INFINITY,
        0x1f => f32::NAN,
        e => (1.0 + frac / 1024.0) * 2f32.powi(i32::from(e) - 15),
    };
    if bits & 0x8000 != 0 { -mag } else { mag }
}

impl NdArray {
    pub fn new(dtype: NpDType, shape: Vec<usize>, data: Vec<u8>) -> Result<Self, String> {
        if shape.len() > MAX_DIMS {
            return Err(format!("array with {} dimensions", shape.len()));
        }
        let count = shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .ok_or_else(|| format!("array shape {shape:?} overflows"))?;
        let need = count
            .checked_mul(dtype.itemsize())
            .ok_or_else(|| format!("array shape {shape:?} overflows"))?;
        if data.len() != need {
            return Err(format!(
                "array {} {shape:?} needs {need} bytes, got {}",
                dtype.as_str(),
                data.len()
            ));
        }
        Ok(Self { dtype, shape, data })
    }

    pub fn len(&self) -> usize {
        self.data.len() / self.dtype.itemsize()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Values as f64, whatever the numeric dtype.
    pub fn to_f64(&self) -> Vec<f64> {
        let d = &self.data;
        match self.dtype {
            NpDType::Bool | NpDType::U8 => d.iter().map(|&b| f64::from(b)).collect(),
            NpDType::I32 => d
                .chunks_exact(4)
                .map(|c| f64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])))
                .collect(),
            NpDType::I64 => d
                .chunks_exact(8)
                .map(|c| {
                    i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f64
                })
                .collect(),
            NpDType::F16 => d
                .chunks_exact(2)
                .map(|c| f64::from(f16_to_f32(u16::from_le_bytes([c[0], c[1]]))))
                .collect(),
            NpDType::F32 => crate::wire::le_to_f32s(d)
                .into_iter()
                .map(f64::from)
                .collect(),
            NpDType::F64 => crate::wire::le_to_f64s(d),
        }
    }

    /// Values as f32 (copy-free conversion for `<f4`).
    pub fn to_f32(&self) -> Vec<f32> {
        match self.dtype {
            NpDType::F32 => crate::wire::le_to_f32s(&self.data),
            _ => self.to_f64().into_iter().map(|v| v as f32).collect(),
        }
    }

    /// Values as booleans (non-zero = true).
    pub fn to_bool(&self) -> Vec<bool> {
        match self.dtype {
            NpDType::Bool | NpDType::U8 => self.data.iter().map(|&b| b != 0).collect(),
            _ => self.to_f64().into_iter().map(|v| v != 0.0).collect(),
        }
    }
}

/// A decoded value.
#[derive(Debug, Clone, PartialEq)]
pub enum Tagged {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Tagged>),
    Map(BTreeMap<String, Tagged>),
    Array(NdArray),
    /// PNG bytes.
    Image(Vec<u8>),
    Dataclass {
        name: String,
        fields: BTreeMap<String, Tagged>,
    },
}

impl Tagged {
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Tagged::Int(i) => Some(*i as f64),
            Tagged::Float(f) => Some(*f),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Tagged::Str(s) => Some(s),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// MessagePack (responses)

fn key_set(map: &BTreeMap<String, Value>) -> Vec<&str> {
    map.keys().map(String::as_str).collect()
}

fn expect_keys(map: &BTreeMap<String, Value>, want: &[&str], what: &str) -> Result<(), String> {
    let mut have = key_set(map);
    have.sort_unstable();
    let mut want = want.to_vec();
    want.sort_unstable();
    if have != want {
        return Err(format!("{what} has keys {have:?}, expected {want:?}"));
    }
    Ok(())
}

fn string_map(entries: Vec<(Value, Value)>) -> Result<BTreeMap<String, Value>, String> {
    let mut out = BTreeMap::new();
    for (k, v) in entries {
        let Value::String(k) = k else {
            return Err("map key is not a string".into());
        };
        let k = k
            .into_str()
            .ok_or_else(|| "map key is not valid UTF-8".to_string())?;
        if out.insert(k.clone(), v).is_some() {
            return Err(format!("duplicate map key {k:?}"));
        }
    }
    Ok(out)
}

fn value_to_tagged(v: Value, depth: usize) -> Result<Tagged, String> {
    if depth > MAX_DEPTH {
        return Err(format!("nesting deeper than {MAX_DEPTH}"));
    }
    Ok(match v {
        Value::Nil => Tagged::Nil,
        Value::Boolean(b) => Tagged::Bool(b),
        Value::Integer(i) => Tagged::Int(
            i.as_i64()
                .ok_or_else(|| format!("integer {i} out of range"))?,
        ),
        Value::F32(f) => Tagged::Float(f64::from(f)),
        Value::F64(f) => Tagged::Float(f),
        Value::String(s) => Tagged::Str(
            s.into_str()
                .ok_or_else(|| "string is not valid UTF-8".to_string())?,
        ),
        Value::Binary(_) => return Err("bare binary outside an array or image".into()),
        Value::Ext(..) => return Err("msgpack extension types are not accepted".into()),
        Value::Array(items) => Tagged::List(
            items
                .into_iter()
                .map(|v| value_to_tagged(v, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(entries) => {
            let mut map = string_map(entries)?;
            let Some(tag) = map.remove(TAG) else {
                return Ok(Tagged::Map(
                    map.into_iter()
                        .map(|(k, v)| Ok((k, value_to_tagged(v, depth + 1)?)))
                        .collect::<Result<_, String>>()?,
                ));
            };
            let Value::String(tag) = tag else {
                return Err("type tag is not a string".into());
            };
            match tag.as_str() {
                Some("float") => {
                    expect_keys(&map, &["value"], "tagged float")?;
                    match map.remove("value").as_ref().and_then(Value::as_str) {
                        Some("nan") => Tagged::Float(f64::NAN),
                        Some("inf") => Tagged::Float(f64::INFINITY),
                        Some("-inf") => Tagged::Float(f64::NEG_INFINITY),
                        other => return Err(format!("tagged float value {other:?}")),
                    }
                }
                Some("ndarray") => {
                    expect_keys(&map, &["dtype", "shape", "data"], "tagged ndarray")?;
                    let dtype = map
                        .get("dtype")
                        .and_then(Value::as_str)
                        .ok_or("ndarray dtype is not a string")?;
                    let dtype = NpDType::parse(dtype)?;
                    let Some(Value::Array(dims)) = map.remove("shape") else {
                        return Err("ndarray shape is not a list".into());
                    };
                    if dims.len() > MAX_DIMS {
                        return Err(format!("ndarray with {} dimensions", dims.len()));
                    }
                    let shape = dims
                        .iter()
                        .map(|d| match d {
                            Value::Integer(i) => i.as_u64().and_then(|u| usize::try_from(u).ok()),
                            _ => None,
                        })
                        .collect::<Option<Vec<usize>>>()
                        .ok_or("ndarray shape must be non-negative integers")?;
                    let Some(Value::Binary(data)) = map.remove("data") else {
                        return Err("ndarray data is not binary".into());
                    };
                    Tagged::Array(NdArray::new(dtype, shape, data)?)
                }
                Some("image") => {
                    expect_keys(&map, &["data"], "tagged image")?;
                    let Some(Value::Binary(data)) = map.remove("data") else {
                        return Err("image data is not binary".into());
                    };
                    Tagged::Image(data)
                }
                Some("dataclass") => {
                    expect_keys(&map, &["name", "fields"], "tagged dataclass")?;
                    let name = map
                        .get("name")
                        .and_then(Value::as_str)
                        .ok_or("dataclass name is not a string")?
                        .to_owned();
                    if !DATACLASSES.contains(&name.as_str()) {
                        return Err(format!("dataclass {name:?} is not on the allow-list"));
                    }
                    let Some(Value::Map(fields)) = map.remove("fields") else {
                        return Err("dataclass fields are not a map".into());
                    };
                    let fields = string_map(fields)?
                        .into_iter()
                        .map(|(k, v)| Ok((k, value_to_tagged(v, depth + 1)?)))
                        .collect::<Result<_, String>>()?;
                    Tagged::Dataclass { name, fields }
                }
                other => return Err(format!("unknown type tag {other:?}")),
            }
        }
    })
}

/// Decode a MessagePack body into tagged values, enforcing the original's limits.
pub fn decode_msgpack(mut bytes: &[u8]) -> Result<Tagged, String> {
    let v = rmpv::decode::read_value_with_max_depth(&mut bytes, MAX_DEPTH * 2 + 4)
        .map_err(|e| format!("invalid MessagePack: {e}"))?;
    if !bytes.is_empty() {
        return Err(format!(
            "{} trailing bytes after the MessagePack value",
            bytes.len()
        ));
    }
    value_to_tagged(v, 0)
}

fn tag_map(kind: &str, rest: Vec<(&str, Value)>) -> Value {
    let mut entries = vec![(Value::from(TAG), Value::from(kind))];
    entries.extend(rest.into_iter().map(|(k, v)| (Value::from(k), v)));
    Value::Map(entries)
}

fn tagged_to_value(t: &Tagged) -> Value {
    match t {
        Tagged::Nil => Value::Nil,
        Tagged::Bool(b) => Value::from(*b),
        Tagged::Int(i) => Value::from(*i),
        Tagged::Float(f) if f.is_finite() => Value::from(*f),
        Tagged::Float(f) => {
            let s = if f.is_nan() {
                "nan"
            } else if *f > 0.0 {
                "inf"
            } else {
                "-inf"
            };
            tag_map("float", vec![("value", Value::from(s))])
        }
        Tagged::Str(s) => Value::from(s.as_str()),
        Tagged::List(items) => Value::Array(items.iter().map(tagged_to_value).collect()),
        Tagged::Map(m) => Value::Map(
            m.iter()
                .map(|(k, v)| (Value::from(k.as_str()), tagged_to_value(v)))
                .collect(),
        ),
        Tagged::Array(a) => tag_map(
            "ndarray",
            vec![
                ("dtype", Value::from(a.dtype.as_str())),
                (
                    "shape",
                    Value::Array(a.shape.iter().map(|&d| Value::from(d as u64)).collect()),
                ),
                ("data", Value::Binary(a.data.clone())),
            ],
        ),
        Tagged::Image(png) => tag_map("image", vec![("data", Value::Binary(png.clone()))]),
        Tagged::Dataclass { name, fields } => tag_map(
            "dataclass",
            vec![
                ("name", Value::from(name.as_str())),
                (
                    "fields",
                    Value::Map(
                        fields
                            .iter()
                            .map(|(k, v)| (Value::from(k.as_str()), tagged_to_value(v)))
                            .collect(),
                    ),
                ),
            ],
        ),
    }
}

/// Encode tagged values as MessagePack the way the original server does (binary data as
/// msgpack bin). Used by the fake server in the tests and by anyone re-serving results.
pub fn encode_msgpack(t: &Tagged) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = rmpv::encode::write_value(&mut out, &tagged_to_value(t));
    out
}

// ---------------------------------------------------------------------------------------------
// JSON (requests)

/// A PNG image as a tagged JSON value (base64 data).
pub fn image_json(png: &[u8]) -> serde_json::Value {
    serde_json::json!({TAG: "image", "data": base64::engine::general_purpose::STANDARD.encode(png)})
}

/// Decode a tagged JSON request value (the fake server's side of the protocol).
pub fn json_to_tagged(v: &serde_json::Value, depth: usize) -> Result<Tagged, String> {
    use serde_json::Value as J;
    if depth > MAX_DEPTH {
        return Err(format!("nesting deeper than {MAX_DEPTH}"));
    }
    Ok(match v {
        J::Null => Tagged::Nil,
        J::Bool(b) => Tagged::Bool(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => Tagged::Int(i),
            None => Tagged::Float(n.as_f64().ok_or("number out of range")?),
        },
        J::String(s) => Tagged::Str(s.clone()),
        J::Array(a) => Tagged::List(
            a.iter()
                .map(|v| json_to_tagged(v, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        J::Object(m) => match m.get(TAG).and_then(J::as_str) {
            None if m.contains_key(TAG) => return Err("type tag is not a string".into()),
            None => Tagged::Map(
                m.iter()
                    .map(|(k, v)| Ok((k.clone(), json_to_tagged(v, depth + 1)?)))
                    .collect::<Result<_, String>>()?,
            ),
            Some("image") => {
                let mut keys: Vec<&str> = m.keys().map(String::as_str).collect();
                keys.sort_unstable();
                if keys != [TAG, "data"] {
                    return Err(format!("tagged image has keys {keys:?}"));
                }
                let data = m
                    .get("data")
                    .and_then(J::as_str)
                    .ok_or("image data is not a string")?;
                Tagged::Image(
                    base64::engine::general_purpose::STANDARD
                        .decode(data)
                        .map_err(|e| format!("image data is not base64: {e}"))?,
                )
            }
            Some(other) => return Err(format!("request tag {other:?} is not supported here")),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tagged_values_round_trip_through_msgpack() {
        let arr = NdArray::new(
            NpDType::F32,
            vec![2, 2],
            crate::wire::f32s_to_le(&[1.0, 2.0, 3.0, 4.5]),
        )
        .unwrap();
        let v = Tagged::Dataclass {
            name: "AgentToolOutput".into(),
            fields: BTreeMap::from([
                ("result".into(), Tagged::Array(arr.clone())),
                ("err_msg".into(), Tagged::Nil),
                ("err_src".into(), Tagged::Float(f64::INFINITY)),
            ]),
        };
        let back = decode_msgpack(&encode_msgpack(&v)).unwrap();
        assert_eq!(back, v);
        assert_eq!(arr.to_f32(), vec![1.0, 2.0, 3.0, 4.5]);
    }

    #[test]
    fn unknown_dataclasses_and_bad_arrays_are_refused() {
        let bad = Tagged::Dataclass {
            name: "os.system".into(),
            fields: BTreeMap::new(),
        };
        let err = decode_msgpack(&encode_msgpack(&bad)).unwrap_err();
        assert!(err.contains("allow-list"), "{err}");
        let v = tag_map(
            "ndarray",
            vec![
                ("dtype", Value::from("<f4")),
                ("shape", Value::Array(vec![Value::from(3u64)])),
                ("data", Value::Binary(vec![0; 8])),
            ],
        );
        let mut buf = Vec::new();
        rmpv::encode::write_value(&mut buf, &v).unwrap();
        assert!(decode_msgpack(&buf).unwrap_err().contains("needs 12 bytes"));
        let obj = tag_map(
            "ndarray",
            vec![
                ("dtype", Value::from("|O")),
                ("shape", Value::Array(vec![])),
                ("data", Value::Binary(vec![])),
            ],
        );
        buf.clear();
        rmpv::encode::write_value(&mut buf, &obj).unwrap();
        assert!(
            decode_msgpack(&buf)
                .unwrap_err()
                .contains("unsupported array dtype")
        );
    }

    #[test]
    fn half_floats_convert() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x3555), 0.333_251_95);
        assert!(f16_to_f32(0x7e00).is_nan());
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x8001), -(2f32.powi(-24)));
    }
}
