//! Fuzzing entry points shared by the cargo-fuzz targets in `fuzz/` and the seeded regression
//! test `tests/fuzz_seeded.rs`, so both run exactly the same code (docs/fuzzing.md).
//!
//! Each entry takes arbitrary bytes and panics when an invariant is broken. Not part of the
//! crate's API.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use serde_json::json;

use crate::protocol::{Array, DType, Message, WireError, decode_header, read_message};

/// Runs a future that never waits (reading from a byte slice) to completion.
fn block_on_ready<F: Future>(f: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(f).poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("reading from a slice never waits"),
    }
}

/// Reads one frame from the front of `bytes`; the message and the bytes it took.
pub fn read_frame(bytes: &[u8]) -> Result<(Message, usize), WireError> {
    let mut rest = bytes;
    let msg = block_on_ready(read_message(&mut rest))?;
    Ok((msg, bytes.len() - rest.len()))
}

/// Valid frames as seeds for mutation.
pub fn seeds() -> Vec<Vec<u8>> {
    let f32s = Array::from_f32(vec![2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, f32::NAN]).expect("shape");
    let f64s = Array::from_f64(vec![1, 2], &[0.5, -1e300]).expect("shape");
    let bools = Array::from_bool(vec![3], &[true, false, true]).expect("shape");
    let ints =
        Array::new(DType::I32, vec![2], vec![1, 0, 0, 0, 255, 255, 255, 255]).expect("shape");
    let empty = Array::new(DType::U16, vec![0, 4], Vec::new()).expect("shape");
    vec![
        Message::new(json!({"type": "exec", "id": 4, "code": "x = 1\n"})).encode(),
        Message::new(json!({"type": "result", "id": 4, "stdout": "é\n", "vars": [{"name": "x"}]}))
            .with_arrays(vec![f32s, Array::bytes(vec![9, 8, 7])])
            .encode(),
        Message::new(json!({"type": "request", "op": "reconstruct", "frames": [0, 1]}))
            .with_arrays(vec![f64s, bools, ints, empty])
            .encode(),
        Message::new(json!({"type": "ready", "pid": 1})).encode(),
    ]
}

/// The kernel pipe decoder on arbitrary bytes.
///
/// Invariants for an accepted frame: every array holds exactly `shape × itemsize` bytes and the
/// frame's trailing bytes are the arrays' bytes verbatim; re-encoding gives a frame that decodes
/// to the same message and re-encodes to the same bytes; every strict prefix of the frame is
/// refused as a closed pipe (never decoded as something else); the header parser alone agrees.
pub fn protocol(data: &[u8]) {
    let header_only = decode_header(data);
    if let Ok((header, descs)) = &header_only {
        assert!(
            !header.contains_key("arrays"),
            "descriptors stay out of the header"
        );
        let mut total = 0u64;
        for (dtype, shape, nbytes) in descs {
            let want = shape
                .iter()
                .try_fold(dtype.size() as u64, |a, &s| a.checked_mul(s as u64));
            assert_eq!(want, Some(*nbytes as u64), "descriptor byte count");
            total += *nbytes as u64;
        }
        assert!(
            total <= crate::protocol::MAX_ARRAYS,
            "array total over the limit"
        );
    }

    let Ok((msg, used)) = read_frame(data) else {
        return;
    };
    check_message(&msg);
    let hlen = u32::from_le_bytes(data[..4].try_into().expect("4 bytes")) as usize;
    let body: Vec<u8> = msg.arrays.iter().flat_map(|a| a.data.clone()).collect();
    assert_eq!(
        &data[4 + hlen..used],
        &body[..],
        "array bytes are taken verbatim"
    );

    let encoded = msg.encode();
    let (again, used_again) = read_frame(&encoded).expect("a decoded frame re-encodes");
    assert_eq!(used_again, encoded.len(), "re-encoded frame is read whole");
    assert_eq!(again, msg, "decode(encode(msg)) == msg");
    assert_eq!(again.encode(), encoded, "encoding is a fixed point");

    for cut in prefix_cuts(used, hlen) {
        match read_frame(&data[..cut]) {
            Err(WireError::Closed) => {}
            other => panic!("prefix of {cut}/{used} bytes gave {other:?}"),
        }
    }
}

/// Strict prefix lengths worth trying: all of them for a short frame, else the edges of each
/// part plus an even spread.
fn prefix_cuts(used: usize, hlen: usize) -> Vec<usize> {
    if used <= 96 {
        return (0..used).collect();
    }
    let mut cuts: Vec<usize> = vec![0, 1, 3, 4, 5, 3 + hlen, 4 + hlen, 5 + hlen, used - 1];
    cuts.extend((1..32).map(|k| used * k / 32));
    cuts.retain(|&c| c < used);
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

/// Invariants of a message that came off the wire (or is about to go onto it).
pub fn check_message(msg: &Message) {
    assert!(
        !msg.header.contains_key("arrays"),
        "descriptors stay out of the header"
    );
    for a in &msg.arrays {
        let want = a
            .shape
            .iter()
            .try_fold(a.dtype.size(), |acc, &s| acc.checked_mul(s));
        assert_eq!(want, Some(a.data.len()), "array {:?} byte count", a.shape);
    }
}
