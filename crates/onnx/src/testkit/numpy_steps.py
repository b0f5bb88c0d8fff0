"""numpy implementations of the onnx backend's pre- and post-processing, the reference the Rust
code is tested against and benchmarked beside.

  python numpy_steps.py check DIR        read DIR/case.json + DIR/frame.u8 + DIR/low.f32 +
                                         DIR/depth.f32, write DIR/<step>.f32 results
  python numpy_steps.py bench W H N      time each step on a W x H frame, N repetitions; prints
                                         one JSON object of median milliseconds per frame
"""

import json
import os
import sys
import time

import numpy as np


def bilinear_axis(n_in, n_out):
    # Half-pixel centres, clamped at 0 (PyTorch interpolate, align_corners=False).
    src = np.maximum((np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    return i0, i1, (src - i0).astype(np.float32)


def resize_bilinear(img, oh, ow):
    """img: (H, W, C) float32."""
    h, w = img.shape[:2]
    if (h, w) == (oh, ow):
        return img.copy()
    r0, r1, wy = bilinear_axis(h, oh)
    c0, c1, wx = bilinear_axis(w, ow)
    wx = wx[None, :, None]
    top = img[r0][:, c0] * (1 - wx) + img[r0][:, c1] * wx
    bottom = img[r1][:, c0] * (1 - wx) + img[r1][:, c1] * wx
    return top * (1 - wy[:, None, None]) + bottom * wy[:, None, None]


def longest_side_shape(h, w, side):
    scale = side / max(h, w)
    return max(int(np.floor(h * scale + 0.5)), 1), max(int(np.floor(w * scale + 0.5)), 1)


def prepare(frame, size, longest_side, mean, std, pixel_scale):
    ih, iw = size
    rh, rw = longest_side_shape(frame.shape[0], frame.shape[1], ih) if longest_side else (ih, iw)
    x = resize_bilinear(frame.astype(np.float32), rh, rw)
    x = (x * np.float32(pixel_scale) - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    out = np.zeros((1, 3, ih, iw), np.float32)
    out[0, :, :rh, :rw] = x.transpose(2, 0, 1)
    return out


def upsample_sam_mask(low, side, content, frame_hw):
    full = resize_bilinear(low[:, :, None], side, side)[:, :, 0]
    crop = full[: content[0], : content[1]]
    return resize_bilinear(crop[:, :, None], frame_hw[0], frame_hw[1])[:, :, 0]


def unproject(depth, k):
    h, w = depth.shape
    u = np.arange(w, dtype=np.float64)[None, :]
    v = np.arange(h, dtype=np.float64)[:, None]
    z = depth.astype(np.float64)
    x = (u - k[0, 2]) / k[0, 0] * z
    y = (v - k[1, 2]) / k[1, 1] * z
    return np.stack([x, y, z], axis=-1).astype(np.float32)


def check(d):
    case = json.load(open(os.path.join(d, "case.json")))
    h, w = case["height"], case["width"]
    frame = np.fromfile(os.path.join(d, "frame.u8"), np.uint8).reshape(h, w, 3)
    for name, spec in case["prepare"].items():
        out = prepare(frame, spec["size"], spec["longest_side"], spec["mean"], spec["std"], spec["pixel_scale"])
        out.astype(np.float32).tofile(os.path.join(d, name + ".f32"))
    lh, lw = case["low_size"]
    low = np.fromfile(os.path.join(d, "low.f32"), np.float32).reshape(lh, lw)
    side = case["side"]
    content = longest_side_shape(h, w, side)
    upsample_sam_mask(low, side, content, (h, w)).astype(np.float32).tofile(os.path.join(d, "mask.f32"))
    depth = np.fromfile(os.path.join(d, "depth.f32"), np.float32).reshape(h, w)
    k = np.asarray(case["k"], np.float64).reshape(3, 3)
    unproject(depth, k).tofile(os.path.join(d, "points.f32"))


def bench(w, h, n):
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    low = rng.standard_normal((256, 256)).astype(np.float32)
    depth = rng.uniform(0.5, 5.0, (h, w)).astype(np.float32)
    k = np.array([[500.0, 0, w / 2], [0, 500.0, h / 2], [0, 0, 1]])
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    steps = {
        "depth_prepare_518": lambda: prepare(frame, (518, 518), False, mean, std, 1 / 255),
        "sam_prepare_1024": lambda: prepare(frame, (1024, 1024), True, mean, std, 1 / 255),
        "sam_mask_upsample": lambda: upsample_sam_mask(low, 1024, longest_side_shape(h, w, 1024), (h, w)),
        "unproject": lambda: unproject(depth, k),
    }
    out = {}
    for name, fn in steps.items():
        fn()
        times = []
        for _ in range(n):
            t = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t) * 1000)
        out[name] = float(np.median(times))
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "check":
        check(sys.argv[2])
    else:
        bench(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
