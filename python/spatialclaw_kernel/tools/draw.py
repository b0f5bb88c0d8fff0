"""tools.Draw: annotate an image; every method returns a NEW PIL image."""

import numpy as np
from PIL import Image, ImageDraw

from ..types import FrameImage


def _canvas(image):
    if isinstance(image, (Image.Image, FrameImage)) or hasattr(image, "convert"):
        return image.convert("RGB")  # always a new image, so the input stays untouched
    if isinstance(image, np.ndarray):
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"image array must be (H, W, 3), got shape {image.shape}")
        arr = image
        if arr.dtype != np.uint8:
            if np.issubdtype(arr.dtype, np.floating) and arr.size and np.nanmax(arr) <= 1.0:
                arr = arr * 255.0
            arr = np.clip(np.nan_to_num(arr), 0, 255).astype(np.uint8)
        return Image.fromarray(np.ascontiguousarray(arr))
    raise TypeError(f"image must be a PIL image, FrameImage or (H, W, 3) array, got "
                    f"{type(image).__name__}")


def _colour(c):
    if isinstance(c, str):
        from matplotlib.colors import to_rgb
        try:
            return tuple(int(round(v * 255)) for v in to_rgb(c))
        except ValueError:
            raise ValueError(f"unknown colour name {c!r}; use e.g. 'red' or (255, 0, 0)") from None
    vals = list(np.asarray(c, dtype=float).reshape(-1))
    if len(vals) not in (3, 4):
        raise ValueError(f"colour must be a name or an (R, G, B) tuple, got {c!r}")
    vals = vals[:3]
    if all(v <= 1.0 for v in vals) and any(not float(v).is_integer() for v in vals):
        vals = [v * 255 for v in vals]  # 0-1 floats
    return tuple(int(np.clip(round(v), 0, 255)) for v in vals)


def _items(items, size, what):
    """Normalise one primitive or a list of them to a list of `size`-tuples of ints."""
    if isinstance(items, np.ndarray):
        items = [items] if items.ndim == 1 else list(items)
    elif isinstance(items, (list, tuple)) and items and \
            all(isinstance(v, (int, float, np.integer, np.floating)) for v in items):
        items = [items]
    out = []
    for it in items:
        vals = list(np.asarray(it, dtype=float).reshape(-1))
        if len(vals) != size:
            raise ValueError(f"each {what} needs {size} numbers, got {len(vals)}: {it!r}")
        out.append(tuple(int(v) for v in vals))
    return out


def _colours(colors, n, default):
    if colors is None:
        return [_colour(default)] * n
    if isinstance(colors, str) or (isinstance(colors, (tuple, list, np.ndarray)) and
                                   len(colors) in (3, 4) and
                                   all(isinstance(v, (int, float, np.integer, np.floating))
                                       for v in colors)):
        return [_colour(colors)] * n
    colors = list(colors)
    if len(colors) != n:
        raise ValueError(f"got {len(colors)} colours for {n} items; pass one colour or one "
                         f"per item")
    return [_colour(c) for c in colors]


class DrawUtils:
    """Draw boxes, lines and points on an image (PIL, FrameImage or (H, W, 3) array).
    Returns a new PIL image; the input is untouched. Colours: names ('red') or (R, G, B)."""

    @staticmethod
    def draw_bbox(image, bboxes, colors=None, thickness=None):
        """Draw rectangle outlines. bboxes: one (x1, y1, x2, y2) in pixels or a list of them.
        Default colour red. Example: show(tools.Draw.draw_bbox(InputImages[0], [10, 20, 200, 180]))
        """
        img = _canvas(image)
        boxes = _items(bboxes, 4, "bbox")
        cols = _colours(colors, len(boxes), "red")
        width = thickness or max(2, round(0.004 * min(img.size)))
        draw = ImageDraw.Draw(img)
        for (x1, y1, x2, y2), col in zip(boxes, cols):
            draw.rectangle((min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)), outline=col,
                           width=int(width))
        return img

    @staticmethod
    def draw_line(image, lines, colors=None, thickness=None):
        """Draw line segments. lines: one (x1, y1, x2, y2) or a list. Default colour green."""
        img = _canvas(image)
        segs = _items(lines, 4, "line")
        cols = _colours(colors, len(segs), "green")
        width = thickness or max(2, round(0.004 * min(img.size)))
        draw = ImageDraw.Draw(img)
        for (x1, y1, x2, y2), col in zip(segs, cols):
            draw.line((x1, y1, x2, y2), fill=col, width=int(width))
        return img

    @staticmethod
    def draw_point(image, points, colors=None, radius=None):
        """Draw filled circles. points: one (x, y) or a list. Default colour blue."""
        img = _canvas(image)
        pts = _items(points, 2, "point")
        cols = _colours(colors, len(pts), "blue")
        r = radius or max(3, round(0.008 * min(img.size)))
        draw = ImageDraw.Draw(img)
        for (x, y), col in zip(pts, cols):
            draw.ellipse((x - r, y - r, x + r, y + r), fill=col)
        return img

    def __repr__(self):
        return "DrawUtils(draw_bbox, draw_line, draw_point)"
