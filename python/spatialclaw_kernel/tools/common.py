"""Small helpers shared by the tools."""

import numpy as np


def resize_nearest(arr, shape):
    """Nearest-neighbour resize of the last two axes of `arr` (..., h, w) to `shape`.

    A pure stretch, like the original client (no crop compensation).
    """
    h, w = shape
    sh, sw = arr.shape[-2], arr.shape[-1]
    if (sh, sw) == (h, w):
        return arr
    rows = np.minimum((np.arange(h) * sh) // h, sh - 1)
    cols = np.minimum((np.arange(w) * sw) // w, sw - 1)
    return arr[..., rows[:, None], cols[None, :]]


def resize_nearest_hw(arr, shape):
    """Nearest-neighbour resize of axes 1 and 2 of an (N, h, w, ...) array to `shape`."""
    h, w = shape
    sh, sw = arr.shape[1], arr.shape[2]
    if (sh, sw) == (h, w):
        return arr
    rows = np.minimum((np.arange(h) * sh) // h, sh - 1)
    cols = np.minimum((np.arange(w) * sw) // w, sw - 1)
    return np.ascontiguousarray(arr[:, rows[:, None], cols[None, :]])


def int_list(values, name):
    """List of Python ints from ints / numpy integers; TypeError naming the bad entry."""
    if isinstance(values, np.ndarray):
        values = values.reshape(-1).tolist()
    out = []
    for i, v in enumerate(values):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{name}[{i}] must be an int frame index, got {type(v).__name__} "
                            f"({v!r})")
        out.append(int(v))
    return out
