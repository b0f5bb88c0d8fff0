"""tools.Mask: measurements on 2D boolean masks (e.g. seg.get_mask(frame=fi, object=0))."""

import numpy as np


def _mask2d(mask, name="mask"):
    if not isinstance(mask, np.ndarray):
        raise TypeError(
            f"{name} must be a 2D numpy bool array, got {type(mask).__name__}; get one with "
            f"seg.get_mask(frame=fi, object=0)")
    if mask.ndim != 2:
        raise ValueError(
            f"{name} must be 2D (H, W), got shape {mask.shape}; index the leading axes first, "
            f"e.g. seg[fi][0] or seg.masks[t, obj]")
    return mask.astype(bool, copy=False)


def _pair(a, b):
    a, b = _mask2d(a, "a"), _mask2d(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"masks differ in shape: {a.shape} vs {b.shape}")
    return a, b


class MaskUtils:
    """2D mask helpers in pixel coordinates (x = column, y = row). All methods are static:
    tools.Mask.<method>(...)."""

    @staticmethod
    def centroid(mask):
        """(cx, cy) pixel centre of a mask = median x and median y of its pixels (floats);
        (nan, nan) if empty. Example: cx, cy = tools.Mask.centroid(seg.get_mask(frame=fi))
        """
        ys, xs = np.nonzero(_mask2d(mask))
        if xs.size == 0:
            return (float("nan"), float("nan"))
        return (float(np.median(xs)), float(np.median(ys)))

    @staticmethod
    def centroids(masks):
        """List of (cx, cy) for each mask of an (N, H, W) stack, e.g. seg[fi]."""
        if not isinstance(masks, np.ndarray):
            raise TypeError(f"masks must be a numpy array (N, H, W), got "
                            f"{type(masks).__name__}")
        if masks.ndim != 3:
            hint = " For seg.masks (T, N, H, W) pass one frame: seg[fi]." if masks.ndim == 4 \
                else ""
            raise ValueError(f"centroids needs an (N, H, W) stack, got shape {masks.shape}."
                             + hint)
        return [MaskUtils.centroid(m) for m in masks]

    @staticmethod
    def area(mask):
        """Number of True pixels (int)."""
        return int(np.count_nonzero(_mask2d(mask)))

    @staticmethod
    def bounding_box(mask):
        """(x1, y1, x2, y2) ints around the mask, or None if empty. For masks over 100 pixels
        the 1st-99th percentile extent is used (robust to stray pixels)."""
        ys, xs = np.nonzero(_mask2d(mask))
        if xs.size == 0:
            return None
        if xs.size > 100:
            x1, x2 = np.percentile(xs, [1, 99])
            y1, y2 = np.percentile(ys, [1, 99])
            return (int(np.floor(x1)), int(np.floor(y1)), int(np.ceil(x2)), int(np.ceil(y2)))
        return (int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max()))

    @staticmethod
    def iou(a, b):
        """Intersection over union of two same-shape masks (float; 0.0 if both empty)."""
        a, b = _pair(a, b)
        union = np.count_nonzero(a | b)
        return float(np.count_nonzero(a & b) / union) if union else 0.0

    @staticmethod
    def intersection(a, b):
        """Pixel-wise AND of two same-shape masks: (H, W) bool."""
        a, b = _pair(a, b)
        return a & b

    @staticmethod
    def mask_to_bbox(mask):
        """Exact bounding box as np.array([x1, y1, x2, y2], float64), or None if empty."""
        ys, xs = np.nonzero(_mask2d(mask))
        if xs.size == 0:
            return None
        return np.array([xs.min(), ys.min(), xs.max(), ys.max()], dtype=np.float64)

    def __repr__(self):
        return "MaskUtils(centroid, centroids, area, bounding_box, iou, intersection, mask_to_bbox)"
