//! Frames on the kernel pipe: a JSON header plus raw little-endian arrays (docs/kernel-protocol.md).
//!
//! No pickle and no JSON numbers for bulk data: a 32-frame point map crosses as bytes.

use serde_json::{Map, Value};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Largest header we accept; headers carry text and summaries, never bulk data.
pub const MAX_HEADER: usize = 16 << 20;
/// Largest total of array bytes in one frame.
pub const MAX_ARRAYS: u64 = 2 << 30;

#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("kernel pipe closed")]
    Closed,
    #[error("kernel pipe I/O failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("malformed kernel frame: {0}")]
    Malformed(String),
}

/// Element types that may cross the pipe (numpy's dtype strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    U8,
    Bool,
    U16,
    I32,
    I64,
    F32,
    F64,
}

impl DType {
    pub fn numpy(self) -> &'static str {
        match self {
            DType::U8 => "|u1",
            DType::Bool => "|b1",
            DType::U16 => "<u2",
            DType::I32 => "<i4",
            DType::I64 => "<i8",
            DType::F32 => "<f4",
            DType::F64 => "<f8",
        }
    }

    pub fn from_numpy(s: &str) -> Option<Self> {
        Some(match s {
            "|u1" => DType::U8,
            "|b1" => DType::Bool,
            "<u2" => DType::U16,
            "<i4" => DType::I32,
            "<i8" => DType::I64,
            "<f4" => DType::F32,
            "<f8" => DType::F64,
            _ => return None,
        })
    }

    pub fn size(self) -> usize {
        match self {
            DType::U8 | DType::Bool => 1,
            DType::U16 => 2,
            DType::I32 | DType::F32 => 4,
            DType::I64 | DType::F64 => 8,
        }
    }
}

/// An n-dimensional array in C order, little-endian.
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    pub dtype: DType,
    pub shape: Vec<usize>,
    pub data: Vec<u8>,
}

impl Array {
    pub fn new(dtype: DType, shape: Vec<usize>, data: Vec<u8>) -> Result<Self, WireError> {
        let expected = shape.iter().product::<usize>() * dtype.size();
        if expected != data.len() {
            return Err(WireError::Malformed(format!(
                "array of shape {shape:?} and dtype {} needs {expected} bytes, got {}",
                dtype.numpy(),
                data.len()
            )));
        }
        Ok(Self { dtype, shape, data })
    }

    pub fn bytes(data: Vec<u8>) -> Self {
        Self {
            dtype: DType::U8,
            shape: vec![data.len()],
            data,
        }
    }

    pub fn from_f32(shape: Vec<usize>, values: &[f32]) -> Result<Self, WireError> {
        Self::new(
            DType::F32,
            shape,
            values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        )
    }

    pub fn from_f64(shape: Vec<usize>, values: &[f64]) -> Result<Self, WireError> {
        Self::new(
            DType::F64,
            shape,
            values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        )
    }

    pub fn from_bool(shape: Vec<usize>, values: &[bool]) -> Result<Self, WireError> {
        Self::new(
            DType::Bool,
            shape,
            values.iter().map(|&b| b as u8).collect(),
        )
    }

    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Elements as f32 (only for F32 arrays).
    pub fn to_f32(&self) -> Option<Vec<f32>> {
        (self.dtype == DType::F32).then(|| {
            self.data
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
                .collect()
        })
    }

    pub fn to_f64(&self) -> Option<Vec<f64>> {
        (self.dtype == DType::F64).then(|| {
            self.data
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
                .collect()
        })
    }
}

/// One frame: a JSON object header and its arrays.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub header: Map<String, Value>,
    pub arrays: Vec<Array>,
}

impl Message {
    pub fn new(header: Value) -> Self {
        let header = match header {
            Value::Object(m) => m,
            other => {
                let mut m = Map::new();
                m.insert("value".into(), other);
                m
            }
        };
        Self {
            header,
            arrays: Vec::new(),
        }
    }

    pub fn with_arrays(mut self, arrays: Vec<Array>) -> Self {
        self.arrays = arrays;
        self
    }

    pub fn kind(&self) -> &str {
        self.header
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.header.get(key)
    }

    /// Serialise to the wire bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut header = self.header.clone();
        if !self.arrays.is_empty() {
            let descs: Vec<Value> = self
                .arrays
                .iter()
                .map(|a| {
                    serde_json::json!({"dtype": a.dtype.numpy(), "shape": a.shape, "nbytes": a.data.len()})
                })
                .collect();
            header.insert("arrays".into(), Value::Array(descs));
        }
        let raw = serde_json::to_vec(&Value::Object(header)).expect("JSON maps always serialise");
        let body: usize = self.arrays.iter().map(|a| a.data.len()).sum();
        let mut out = Vec::with_capacity(4 + raw.len() + body);
        out.extend_from_slice(&(raw.len() as u32).to_le_bytes());
        out.extend_from_slice(&raw);
        for a in &self.arrays {
            out.extend_from_slice(&a.data);
        }
        out
    }
}

pub async fn write_message<W: AsyncWrite + Unpin>(
    w: &mut W,
    msg: &Message,
) -> Result<(), WireError> {
    w.write_all(&msg.encode()).await?;
    w.flush().await?;
    Ok(())
}

async fn read_exact_or_closed<R: AsyncRead + Unpin>(
    r: &mut R,
    buf: &mut [u8],
) -> Result<(), WireError> {
    match r.read_exact(buf).await {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Err(WireError::Closed),
        Err(e) => Err(WireError::Io(e)),
    }
}

pub async fn read_message<R: AsyncRead + Unpin>(r: &mut R) -> Result<Message, WireError> {
    let mut len = [0u8; 4];
    read_exact_or_closed(r, &mut len).await?;
    let hlen = u32::from_le_bytes(len) as usize;
    if hlen > MAX_HEADER {
        return Err(WireError::Malformed(format!(
            "header of {hlen} bytes exceeds {MAX_HEADER}"
        )));
    }
    let mut raw = vec![0u8; hlen];
    read_exact_or_closed(r, &mut raw).await?;
    let (header, descs) = decode_header(&raw)?;
    let mut arrays = Vec::with_capacity(descs.len());
    for (dtype, shape, nbytes) in descs {
        let mut data = vec![0u8; nbytes];
        read_exact_or_closed(r, &mut data).await?;
        arrays.push(Array { dtype, shape, data });
    }
    Ok(Message { header, arrays })
}

type ArrayDesc = (DType, Vec<usize>, usize);

/// Parse and validate a header; separated from I/O so it can be fuzzed and tested directly.
pub fn decode_header(raw: &[u8]) -> Result<(Map<String, Value>, Vec<ArrayDesc>), WireError> {
    let value: Value = serde_json::from_slice(raw)
        .map_err(|e| WireError::Malformed(format!("header is not JSON: {e}")))?;
    let Value::Object(mut header) = value else {
        return Err(WireError::Malformed("header is not a JSON object".into()));
    };
    let mut descs = Vec::new();
    let mut total: u64 = 0;
    if let Some(list) = header.remove("arrays") {
        let Value::Array(list) = list else {
            return Err(WireError::Malformed("`arrays` must be a list".into()));
        };
        for d in list {
            let dtype_s = d.get("dtype").and_then(Value::as_str).unwrap_or("");
            let dtype = DType::from_numpy(dtype_s)
                .ok_or_else(|| WireError::Malformed(format!("unsupported dtype {dtype_s:?}")))?;
            let shape: Vec<usize> = d
                .get("shape")
                .and_then(Value::as_array)
                .ok_or_else(|| WireError::Malformed("array descriptor lacks a shape".into()))?
                .iter()
                .map(|s| s.as_u64().map(|v| v as usize))
                .collect::<Option<_>>()
                .ok_or_else(|| {
                    WireError::Malformed("shape entries must be non-negative integers".into())
                })?;
            let nbytes = d
                .get("nbytes")
                .and_then(Value::as_u64)
                .ok_or_else(|| WireError::Malformed("array descriptor lacks nbytes".into()))?;
            let expected = shape
                .iter()
                .try_fold(dtype.size() as u64, |acc, &s| acc.checked_mul(s as u64))
                .ok_or_else(|| WireError::Malformed("array shape overflows".into()))?;
            if expected != nbytes {
                return Err(WireError::Malformed(format!(
                    "array of shape {shape:?} and dtype {dtype_s} cannot hold {nbytes} bytes"
                )));
            }
            total = total.saturating_add(nbytes);
            if total > MAX_ARRAYS {
                return Err(WireError::Malformed(
                    "arrays exceed the 2 GiB frame limit".into(),
                ));
            }
            descs.push((dtype, shape, nbytes as usize));
        }
    }
    Ok((header, descs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn round_trip_keeps_header_and_arrays() {
        let a = Array::from_f32(vec![2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, f32::NAN]).unwrap();
        let b = Array::bytes(vec![9, 8, 7]);
        let msg = Message::new(serde_json::json!({"type": "exec", "id": 4, "code": "x = 1\n"}))
            .with_arrays(vec![a.clone(), b.clone()]);
        let bytes = msg.encode();
        let back = read_message(&mut bytes.as_slice()).await.unwrap();
        assert_eq!(back.kind(), "exec");
        assert_eq!(back.get("code").unwrap(), "x = 1\n");
        assert_eq!(back.arrays.len(), 2);
        assert_eq!(back.arrays[1], b);
        let f = back.arrays[0].to_f32().unwrap();
        assert_eq!(&f[..5], &[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert!(f[5].is_nan());
    }

    #[tokio::test]
    async fn truncated_stream_reports_closed() {
        let msg = Message::new(serde_json::json!({"type": "x"}))
            .with_arrays(vec![Array::bytes(vec![1; 100])]);
        let bytes = msg.encode();
        let err = read_message(&mut &bytes[..bytes.len() - 1])
            .await
            .unwrap_err();
        assert!(matches!(err, WireError::Closed));
    }

    #[test]
    fn inconsistent_descriptor_is_rejected() {
        let raw = br#"{"type":"x","arrays":[{"dtype":"<f4","shape":[3],"nbytes":11}]}"#;
        let err = decode_header(raw).unwrap_err().to_string();
        assert!(err.contains("cannot hold 11 bytes"), "{err}");
        let raw = br#"{"type":"x","arrays":[{"dtype":"O","shape":[3],"nbytes":3}]}"#;
        assert!(
            decode_header(raw)
                .unwrap_err()
                .to_string()
                .contains("unsupported dtype")
        );
        let raw = br#"{"type":"x","arrays":[{"dtype":"<f8","shape":[4294967296,4294967296,16],"nbytes":8}]}"#;
        assert!(decode_header(raw).is_err());
        assert!(decode_header(b"[1,2]").is_err());
        assert!(decode_header(b"\xff").is_err());
    }

    #[tokio::test]
    async fn oversized_header_is_refused_before_allocation() {
        let mut bytes = ((MAX_HEADER + 1) as u32).to_le_bytes().to_vec();
        bytes.extend_from_slice(b"{}");
        let err = read_message(&mut bytes.as_slice()).await.unwrap_err();
        assert!(err.to_string().contains("exceeds"), "{err}");
    }
}
