"""Framing for the host <-> session pipe: a JSON header plus raw little-endian arrays.

See docs/kernel-protocol.md. No pickle: arrays are (dtype, shape, bytes) only.
"""

import json
import struct

import numpy as np

MAX_HEADER = 16 << 20
MAX_ARRAYS = 2 << 30
ALLOWED_DTYPES = {"|u1", "|b1", "<u2", "<i4", "<i8", "<f4", "<f8"}


class WireError(Exception):
    """The peer sent something that is not a valid frame."""


def _normalise(array):
    arr = np.ascontiguousarray(array)
    if arr.dtype == np.bool_:
        return arr
    if arr.dtype.kind in "iu" and arr.dtype.itemsize == 1:
        return arr.astype(np.uint8, copy=False)
    native = arr.dtype.newbyteorder("<")
    arr = arr.astype(native, copy=False)
    if arr.dtype.str not in ALLOWED_DTYPES:
        raise WireError(f"dtype {arr.dtype} cannot cross the kernel pipe")
    return arr


def write_message(stream, header, arrays=()):
    """Write one frame; `arrays` are numpy arrays (or bytes, sent as |u1)."""
    descs, payloads = [], []
    for a in arrays:
        if isinstance(a, (bytes, bytearray, memoryview)):
            a = np.frombuffer(a, dtype=np.uint8)
        a = _normalise(a)
        descs.append({"dtype": a.dtype.str, "shape": list(a.shape), "nbytes": a.nbytes})
        payloads.append(a)
    header = dict(header)
    if descs:
        header["arrays"] = descs
    raw = json.dumps(header, separators=(",", ":"), allow_nan=True).encode()
    stream.write(struct.pack("<I", len(raw)))
    stream.write(raw)
    for p in payloads:
        stream.write(memoryview(p).cast("B"))
    stream.flush()


def _read_exact(stream, n):
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = stream.readinto(view[got:])
        if not k:
            raise EOFError("kernel pipe closed")
        got += k
    return buf


def read_message(stream):
    """Read one frame -> (header dict, list of numpy arrays)."""
    (hlen,) = struct.unpack("<I", _read_exact(stream, 4))
    if hlen > MAX_HEADER:
        raise WireError(f"header of {hlen} bytes exceeds the {MAX_HEADER} limit")
    header = json.loads(_read_exact(stream, hlen))
    arrays = []
    total = 0
    for d in header.pop("arrays", None) or []:
        dtype = d.get("dtype")
        if dtype not in ALLOWED_DTYPES:
            raise WireError(f"unsupported dtype {dtype!r}")
        shape = tuple(int(s) for s in d["shape"])
        nbytes = int(d["nbytes"])
        if nbytes != int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize:
            raise WireError(f"array of shape {shape} and dtype {dtype} cannot hold {nbytes} bytes")
        total += nbytes
        if total > MAX_ARRAYS:
            raise WireError("arrays exceed the 2 GiB frame limit")
        arrays.append(np.frombuffer(_read_exact(stream, nbytes), dtype=dtype).reshape(shape))
    return header, arrays
