"""The agent's channels back to the host: `show()`, `ReturnAnswer()` and `plt.show()`.

Both are protocol messages, not variables: the host records a submitted answer as it arrives,
so agent code cannot forge or overwrite it by assigning to some global.
"""

import ast
import io
import math
import sys

import numpy as np

from . import host

MAX_SHOW_EDGE = 1024

# Cell sources by code filename, registered by the session so show() can find its call site.
CELL_SOURCES = {}


def _call_site_label(depth):
    """Source text of the first argument of the show(...) call that called us.

    The original matched show() calls to markers by order, which breaks in loops and helpers;
    reading the caller's own line is exact.
    """
    frame = sys._getframe(depth)
    while frame is not None and frame.f_code.co_filename not in CELL_SOURCES:
        frame = frame.f_back
    if frame is None:
        return ""
    source = CELL_SOURCES[frame.f_code.co_filename]
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ""
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and node.lineno <= frame.f_lineno <= (node.end_lineno or node.lineno)
            and isinstance(node.func, (ast.Name, ast.Attribute))
            and (getattr(node.func, "id", None) or getattr(node.func, "attr", None)) == "show"
            and node.args
        ):
            return (ast.get_source_segment(source, node.args[0]) or "")[:120]
    return ""


def _to_pil(item):
    from PIL import Image

    from .types import FrameImage, VisualFeedback

    if isinstance(item, Image.Image):
        return item
    if isinstance(item, FrameImage):
        return item.image
    if isinstance(item, VisualFeedback):
        return item.image
    if isinstance(item, np.ndarray):
        arr = item
        if arr.dtype == np.bool_:
            arr = arr.astype(np.uint8) * 255
        if arr.dtype != np.uint8:
            raise TypeError(
                f"show() needs uint8 image arrays, got dtype {arr.dtype}; "
                "scale to 0-255 and use .astype(np.uint8), or plot it with plt and call plt.show()"
            )
        if arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (3, 4)):
            return Image.fromarray(arr)
        raise TypeError(f"show() cannot display an array of shape {arr.shape}; expected (H, W) or (H, W, 3)")
    raise TypeError(
        f"show() cannot display {type(item).__name__}; pass a FrameImage, PIL image, "
        "VisualFeedback, uint8 array, or a list of them"
    )


def _flatten(images):
    from PIL import Image

    from .types import FrameImage, VisualFeedback

    out = []
    for item in images:
        if isinstance(item, (Image.Image, FrameImage, VisualFeedback, np.ndarray)):
            out.append(item)
        elif isinstance(item, (list, tuple)) or hasattr(item, "__iter__") and not isinstance(item, (str, bytes, dict)):
            out.extend(_flatten(list(item)))
        else:
            out.append(item)
    return out


def _png(img):
    img = img.convert("RGB") if img.mode not in ("RGB", "L") else img
    w, h = img.size
    if max(w, h) > MAX_SHOW_EDGE:
        scale = MAX_SHOW_EDGE / max(w, h)
        img = img.resize((max(1, round(w * scale)), max(1, round(h * scale))))
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def show(*images, label=""):
    """Attach images to this step's feedback so you can look at them.

    Accepts FrameImage, PIL images, VisualFeedback (e.g. seg.visualize(fi), recon.render_bev()),
    uint8 arrays, or lists of them (e.g. show(InputImages[::8])). `label` names the picture;
    by default it is the source text of the first argument.
    """
    items = _flatten(images)
    if not items:
        print("[show] No images provided.")
        return None
    pictures = [_to_pil(it) for it in items]  # type errors before anything is sent
    label = str(label) if label else _call_site_label(2)
    for i, pic in enumerate(pictures):
        sub = f"{label} ({i + 1}/{len(pictures)})" if len(pictures) > 1 and label else label
        host.notify("show", {"label": sub, "index": i}, [_png(pic)])
    return None


def _answer_text(answer):
    if isinstance(answer, np.ndarray) and answer.ndim == 0:
        answer = answer.item()
    if isinstance(answer, np.generic):
        answer = answer.item()
    if isinstance(answer, bool):
        return str(answer), "bool"
    if isinstance(answer, int):
        return str(answer), "int"
    if isinstance(answer, float):
        if not math.isfinite(answer):
            raise ValueError(f"ReturnAnswer got {answer}; compute a finite number before submitting")
        return repr(answer) if answer != int(answer) or abs(answer) >= 1e16 else str(answer), "float"
    if isinstance(answer, str):
        text = answer.strip()
        if not text:
            raise ValueError("ReturnAnswer needs a non-empty answer, e.g. ReturnAnswer('B') or ReturnAnswer(2.4)")
        return text, "str"
    hint = ""
    if isinstance(answer, (list, tuple, np.ndarray)):
        hint = "; submit one value, e.g. ReturnAnswer(float(x[0])) or a string"
    raise TypeError(f"ReturnAnswer accepts a str, int or float, got {type(answer).__name__}{hint}")


def ReturnAnswer(answer):
    """Submit the final answer (a letter like 'B', a number like 2.4, or short text) and end.

    numpy scalars are accepted. Calling it again in the same cell replaces the answer.
    """
    text, kind = _answer_text(answer)
    host.notify("answer", {"text": text, "raw_type": kind})
    print(f"[ReturnAnswer] Answer submitted: {text}")
    return None


def patch_pyplot():
    """Route plt.show() into show(), one image per open figure, then close them."""
    import matplotlib.pyplot as plt

    def _plt_show(*_args, **_kwargs):
        from PIL import Image

        for num in plt.get_fignums():
            fig = plt.figure(num)
            title = ""
            for ax in fig.axes:
                if ax.get_title():
                    title = ax.get_title()
                    break
            if not title and fig._suptitle is not None:
                title = fig._suptitle.get_text()
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
            buf.seek(0)
            show(Image.open(buf).convert("RGB"), label=title or "matplotlib figure")
        plt.close("all")

    plt.show = _plt_show
