"""The seven agent-facing tool namespaces and the generator of their prompt documentation.

`build_tools(metadata, input_images, options)` makes the instances the session exposes as
`tools.<Name>` and as top-level names; `tool_docs()` renders their docstrings (the agent's
system prompt is generated from them, so docstrings are written for the agent).
"""

import inspect

from .. import per_frame
from ..types import InputImages, Metadata
from .draw import DrawUtils
from .geometry import GeometryUtils
from .graph import GraphDrawer
from .mask import MaskUtils
from .reconstruct import ReconstructTool
from .sam3 import SAM3Tool
from .time import TimeUtils

TOOL_NAMES = ("Reconstruct", "SAM3", "Graph", "Time", "Mask", "Geometry", "Draw")

# Documented methods per namespace, in prompt order (disabled/internal ones are left out).
_DOC_METHODS = {
    "Reconstruct": ["Reconstruct"],
    "SAM3": ["segment_image_by_text", "segment_image_by_box", "segment_image_by_points",
             "is_object_exist", "segment_video_by_text", "segment_video_by_box",
             "segment_video_by_points"],
    "Graph": ["plot"],
    "Time": ["frame_to_seconds", "seconds_to_frame", "frame_range_to_seconds",
             "get_frame_at_time"],
    "Mask": ["centroid", "centroids", "area", "bounding_box", "iou", "intersection",
             "mask_to_bbox"],
    "Geometry": ["euclidean_distance", "angle_between_vectors", "project_point_to_camera",
                 "rotation_matrix_from_vectors", "transform_points", "fit_ground_plane_ransac",
                 "normalized_to_pixel"],
    "Draw": ["draw_bbox", "draw_line", "draw_point"],
}
_CLASSES = {"Reconstruct": ReconstructTool, "SAM3": SAM3Tool, "Graph": GraphDrawer,
            "Time": TimeUtils, "Mask": MaskUtils, "Geometry": GeometryUtils, "Draw": DrawUtils}
_VIDEO_METHODS = {"segment_video_by_text", "segment_video_by_box", "segment_video_by_points"}


def build_tools(metadata, input_images, options=None):
    """Instances of the seven tool namespaces, keyed by name (see TOOL_NAMES).

    metadata: Metadata (or a dict of its fields). input_images: the sample's InputImages, or a
    list of InputImages (one per video) in multi-video samples. options: may carry
    `reconstruct_max_frames` (default 64) and `sam3_max_video_frames` (default 1000).
    """
    options = dict(options or {})
    if isinstance(metadata, dict):
        metadata = Metadata(**metadata)
    if input_images is None:
        videos = []
    elif isinstance(input_images, InputImages):
        videos = [input_images]
    elif input_images and not isinstance(input_images[0], (list, tuple)):
        videos = [InputImages(input_images)]  # a plain list of frames
    else:
        videos = [v if isinstance(v, InputImages) else InputImages(v) for v in input_images]
    if len(videos) == 1:
        per_frame.set_input_images([("InputImages", videos[0])])
    else:
        per_frame.set_input_images([(f"InputImages_{k + 1}", v) for k, v in enumerate(videos)])
    max_frames = options.get("reconstruct_max_frames",
                             getattr(metadata, "reconstruct_max_frames", None)) or 64
    sam3_frames = options.get("sam3_max_video_frames") or 1000
    return {
        "Reconstruct": ReconstructTool(max_frames=max_frames, metadata=metadata),
        "SAM3": SAM3Tool(metadata, videos[0] if len(videos) == 1 else videos,
                         max_video_frames=sam3_frames),
        "Graph": GraphDrawer(),
        "Time": TimeUtils(metadata),
        "Mask": MaskUtils(),
        "Geometry": GeometryUtils(),
        "Draw": DrawUtils(),
    }


def _signature(cls, name):
    fn = getattr(cls, name)
    sig = inspect.signature(fn)
    params = list(sig.parameters.values())
    if not isinstance(inspect.getattr_static(cls, name), staticmethod) and params:
        params = params[1:]  # drop self
    return str(sig.replace(parameters=params))


def _indent(text, prefix="    "):
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def _entry(title, doc):
    return f"{title}\n{_indent(inspect.cleandoc(doc or ''))}"


def tool_docs(names=TOOL_NAMES, video=True, include_types=True, reconstruct_max_frames=64,
              sam3_max_video_frames=1000):
    """Prompt documentation of the tools: per namespace its summary, then every documented
    method as `tools.<Name>.<method>(signature)` followed by its docstring.

    names: which namespaces (in TOOL_NAMES order). video=False leaves out the SAM3 video
    methods (image-set samples). include_types=True appends the result types
    (Reconstruction, PerFrameMask, VisualFeedback) with their methods. The frame limits
    are written into the text (pass the session's options).
    """
    parts = []
    for name in TOOL_NAMES:
        if name not in names:
            continue
        cls = _CLASSES[name]
        parts.append(f"## tools.{name}\n{inspect.cleandoc(cls.__doc__ or '')}")
        for meth in _DOC_METHODS[name]:
            if not video and meth in _VIDEO_METHODS:
                continue
            fn = getattr(cls, meth)
            parts.append(_entry(f"tools.{name}.{meth}{_signature(cls, meth)}", fn.__doc__))
    if include_types:
        parts.append(_types_docs(with_recon="Reconstruct" in names))
    text = "\n\n".join(parts) + "\n"
    text = text.replace("MAX_FRAMES (64)", f"MAX_FRAMES ({int(reconstruct_max_frames)})")
    return text.replace("max_video_frames (1000)",
                        f"max_video_frames ({int(sam3_max_video_frames)})")


def _types_docs(with_recon=True):
    from ..per_frame import PerFrameMask, Reconstruction
    from ..types import VisualFeedback
    parts = ["## Result types"]
    if with_recon:
        parts.append(_entry("Reconstruction", Reconstruction.__doc__))
        parts.append(_entry(f"recon.render_bev{_signature(Reconstruction, 'render_bev')}",
                            Reconstruction.render_bev.__doc__))
    parts.append(_entry("PerFrameMask", PerFrameMask.__doc__))
    for meth, var in (("get_mask", "seg"), ("get_masked_points", "seg"),
                      ("get_centroid_3d", "seg"), ("visualize", "seg")):
        parts.append(_entry(f"{var}.{meth}{_signature(PerFrameMask, meth)}",
                            getattr(PerFrameMask, meth).__doc__))
    parts.append(_entry("VisualFeedback", VisualFeedback.__doc__))
    return "\n\n".join(parts)
