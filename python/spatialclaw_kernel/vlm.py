"""`vlm`: ask the vision-language model a focused question about some images.

Calls go to the host, which owns endpoints, credentials and usage accounting; the session has
no network. Errors come back as the answer text "[VLM Error] ...", as in the original, so a cell
does not die because a query failed.
"""

import numpy as np

from . import host
from .feedback import _flatten, _png, _to_pil

LOCATE_MAX_IMAGES = 8
THINKING_MAX_IMAGES = 64


def _images(visual_input, cap, kind):
    items = _flatten([visual_input])
    if not items:
        raise ValueError(f"vlm.{kind} needs at least one image")
    pictures = [_to_pil(it) for it in items]
    if len(pictures) > cap:
        print(f"[vlm.{kind}] Showing first {cap} images; remaining were truncated.")
        pictures = pictures[:cap]
    return [np.frombuffer(_png(p), dtype=np.uint8) for p in pictures]


def _ask(kind, visual_input, question, cap):
    if not isinstance(question, str) or not question.strip():
        raise ValueError(f"vlm.{kind} needs a non-empty question string")
    arrays = _images(visual_input, cap, kind)
    print(f"[VLM Q | {kind}] {question}")
    try:
        header, _ = host.call("vlm.query", {"kind": kind, "question": question}, arrays)
        answer = str(header.get("answer", ""))
    except Exception as exc:  # the agent reads the failure instead of losing the cell
        answer = f"[VLM Error] {exc}"
    print(f"[VLM A | {kind}] {answer}")
    return answer


class VLM:
    """Focused questions to the vision-language model, independent of your conversation."""

    def locate(self, visual_input, question):
        """Ground something in up to 8 images; ask for 0-1000 normalised coordinates.

        Returns the model's text (e.g. "412 530" or "Not visible"); parse the numbers yourself
        and convert with tools.Geometry.normalized_to_pixel.
        """
        return _ask("locate", visual_input, question, LOCATE_MAX_IMAGES)

    def ask_with_thinking(self, visual_input, question):
        """Ask a reasoning question about up to 64 images; returns the answer text.

        Each call is independent: state everything the model needs in the question, and do not
        leak your own conclusion into it.
        """
        return _ask("ask_with_thinking", visual_input, question, THINKING_MAX_IMAGES)

    def __repr__(self):
        return "vlm(locate, ask_with_thinking)"
