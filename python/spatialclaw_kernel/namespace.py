"""Builds the namespace the agent's cells run in: inputs, tools, show, vlm, ReturnAnswer and
the pre-imported libraries the prompt promises."""

import functools
import sys
import types

from . import feedback
from .vlm import VLM

PREIMPORTED = (
    "np", "numpy", "math", "collections", "itertools", "functools", "matplotlib", "plt",
    "scipy", "ndimage", "spatial", "signal", "optimize",
)
TOOL_NAMES = ("Reconstruct", "SAM3", "Geometry", "Mask", "Time", "Graph", "Draw")
# Names the agent must not rebind; restored (with a warning) if a cell does.
RESERVED = ("ReturnAnswer", "show", "tools", "vlm", "feedback", "Metadata", "InputImages", "RefImages")


def preimport():
    """Heavy imports done once (in the zygote, later) so sessions start in milliseconds."""
    import collections  # noqa: F401
    import functools  # noqa: F401
    import itertools  # noqa: F401
    import math  # noqa: F401

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    import numpy  # noqa: F401
    import PIL.Image  # noqa: F401
    import scipy  # noqa: F401
    from scipy import ndimage, optimize, signal, spatial  # noqa: F401

    from . import per_frame, sandbox, session, tools, types  # noqa: F401  (imported once, not per fork)


def prewarm():
    """Work every session would repeat, done once in the zygote: the generated tool docs."""
    for video in (False, True):
        cached_tool_docs(video, (), ())
    from . import sandbox

    sandbox.prewarm()


@functools.lru_cache(maxsize=16)
def cached_tool_docs(video, keys, values):
    from .tools import tool_docs

    return tool_docs(video=video, **dict(zip(keys, values)))


def _library_names():
    import collections
    import functools
    import itertools
    import math

    import matplotlib
    import matplotlib.pyplot as plt
    import numpy as np
    import scipy
    from scipy import ndimage, optimize, signal, spatial

    return {
        "np": np, "numpy": np, "math": math, "collections": collections,
        "itertools": itertools, "functools": functools, "matplotlib": matplotlib, "plt": plt,
        "scipy": scipy, "ndimage": ndimage, "spatial": spatial, "signal": signal,
        "optimize": optimize,
    }


def _tools_module(instances):
    """A real module `tools` with one submodule per tool so every import form works:
    `import tools`, `from tools import SAM3`, `from tools.SAM3 import segment_image_by_text`."""
    mod = types.ModuleType("tools", "SpatialClaw perception and geometry tools.")
    mod.__path__ = []  # a package, so `tools.X` submodule imports resolve
    sys.modules["tools"] = mod
    for name, inst in instances.items():
        setattr(mod, name, inst)
        sub = types.ModuleType(f"tools.{name}", type(inst).__doc__)
        for attr in dir(inst):
            if not attr.startswith("_"):
                try:
                    setattr(sub, attr, getattr(inst, attr))
                except Exception:  # a property that needs the host; skip for the alias module
                    continue
        sys.modules[f"tools.{name}"] = sub
    return mod


def _input_images(frames, options):
    from .types import FrameImage, InputImages

    items = [FrameImage(f["path"], int(f["frame_index"])) for f in frames]
    return InputImages(items, [int(f["frame_index"]) for f in frames])


def build(inputs, options):
    """-> (namespace dict, set of injected names hidden from variable reports)."""
    from .tools import build_tools
    from .types import Metadata

    ns = {"__name__": "__main__", "__builtins__": __builtins__}
    ns.update(_library_names())

    meta_fields = dict(inputs.get("metadata") or {})
    metadata = Metadata(**meta_fields)
    videos = inputs.get("videos")
    if videos:
        groups = [_input_images(v["frames"], options) for v in videos]
        for i, group in enumerate(groups, start=1):
            ns[f"InputImages_{i}"] = group
        images = groups  # every video, so SAM3's video_index and error hints work
    else:
        images = _input_images(inputs.get("frames") or [], options)
        ns["InputImages"] = images
    if inputs.get("ref_frames"):
        ns["RefImages"] = [f.image for f in _input_images(inputs["ref_frames"], options)]
    ns["Metadata"] = metadata

    instances = build_tools(metadata, images, dict(options or {}))
    ns["tools"] = _tools_module(instances)
    for name, inst in instances.items():
        ns[name] = inst

    feedback.patch_pyplot()
    ns["show"] = feedback.show
    ns["ReturnAnswer"] = feedback.ReturnAnswer
    ns["vlm"] = VLM()
    sys.modules["vlm"] = ns["vlm"]  # `import vlm` works, as the original documents
    fb = types.ModuleType("feedback", "show() lives here too: feedback.show(...)")
    fb.show = feedback.show
    ns["feedback"] = sys.modules["feedback"] = fb
    hidden = set(ns) | set(TOOL_NAMES)
    return ns, hidden
