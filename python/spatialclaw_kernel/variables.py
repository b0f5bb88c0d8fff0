"""Summaries of the agent's variables, so the feedback can say what a cell created or changed.

A summary is metadata (type, shape, dtype, len, keys, frame indices, size) plus the value
itself for scalars and short strings: the original compared metadata only, so a counter going
from 3 to 4 was invisible to the agent.
"""

import dataclasses
import types

import numpy as np

SHORT_STR = 200


def is_reportable(name, value):
    if name.startswith("_"):
        return False
    if isinstance(value, types.ModuleType):
        return False
    if callable(value) and not dataclasses.is_dataclass(value):
        return False
    return True


def _value_of(value):
    if value is None or isinstance(value, (bool, int, float)):
        if isinstance(value, float) and value != value:
            return "nan"
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
            return str(value)
        return value
    if isinstance(value, np.generic) and value.ndim == 0 and value.dtype.kind in "biuf":
        return _value_of(value.item())
    if isinstance(value, str) and len(value) <= SHORT_STR:
        return value
    return None


def summarize(name, value):
    s = {"name": name, "type": type(value).__name__}
    v = _value_of(value)
    if v is not None or value is None:
        s["value"] = v
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple):
        s["shape"] = list(shape)
        dtype = getattr(value, "dtype", None)
        if dtype is not None:
            s["dtype"] = str(dtype)
    if isinstance(value, (list, tuple, set, dict, str)):
        s["len"] = len(value)
    if isinstance(value, dict):
        s["keys"] = [repr(k) if not isinstance(k, str) else k for k in list(value)[:10]]
    fis = getattr(value, "frame_indices", None)
    if isinstance(fis, (list, tuple)) and all(isinstance(f, (int, np.integer)) for f in fis):
        s["frame_indices"] = [int(f) for f in fis]
    nbytes = getattr(value, "nbytes", None)
    if isinstance(nbytes, (int, np.integer)):
        s["size_mb"] = round(int(nbytes) / 1e6, 2)
    return s


def fingerprint(value):
    """Cheap identity of a value used to decide whether a name changed during a cell."""
    v = _value_of(value)
    shape = getattr(value, "shape", None)
    length = len(value) if isinstance(value, (list, tuple, set, dict, str)) else None
    return (id(value), type(value), v, shape if isinstance(shape, tuple) else None, length)


def snapshot(namespace, hidden):
    return {
        k: fingerprint(v)
        for k, v in namespace.items()
        if k not in hidden and is_reportable(k, v)
    }


def diff(before, namespace, hidden):
    """-> (summaries of new/changed names, names removed, fingerprints now).

    The fingerprints returned are the next cell's `before`: nothing touches the namespace
    between cells, and not walking it again saves a step the copy-on-write faults of every
    value's page after the crash snapshot is forked."""
    changed = []
    after = {}
    for k, v in namespace.items():
        if k in hidden or not is_reportable(k, v):
            continue
        fp = fingerprint(v)
        after[k] = fp
        if before.get(k) != fp:
            changed.append(summarize(k, v))
    removed = sorted(set(before) - set(after))
    return changed, removed, after
