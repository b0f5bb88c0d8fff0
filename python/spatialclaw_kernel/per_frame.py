"""Per-frame result objects, all indexed by ABSOLUTE frame index.

`obj[fi]` / `get_*(frame=fi)` take the frame number of the original video
(`InputImages[k].frame_index`), never a list position. Lookups fail with instructive KeyError /
TypeError messages because the agent corrects itself from them. The batch arrays
(`recon.points.points`, `seg.masks`, ...) are ordered like `obj.frame_indices`.
"""

import numpy as np

from .types import FrameImage, VisualFeedback, abbreviate

# (variable name, InputImages) pairs of the session, used only to phrase hints such as
# "InputImages[3].frame_index is 90"; installed by tools.build_tools.
_INPUT_IMAGES = []


def set_input_images(named_lists):
    """Register the session's InputImages (list of (name, InputImages)) for error hints."""
    _INPUT_IMAGES[:] = list(named_lists)


class _CleanKeyError(KeyError):
    # KeyError's str() wraps the message in quotes; ours prints as written and still
    # reports itself as a plain KeyError (so `except KeyError` and feedback read naturally).
    def __str__(self):
        return str(self.args[0]) if self.args else ""


_CleanKeyError.__name__ = _CleanKeyError.__qualname__ = "KeyError"
_CleanKeyError.__module__ = "builtins"


def as_frame_index(value, owner="this result", batch_hint=""):
    """int from a Python/numpy integer, a 0-d integer array or a FrameImage (its
    frame_index); TypeError otherwise."""
    if isinstance(value, (bool, np.bool_)):
        pass
    elif isinstance(value, FrameImage):
        return value.frame_index
    elif isinstance(value, (int, np.integer)):
        return int(value)
    elif isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iu":
        return int(value)
    got = type(value).__name__
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        fix = f"Convert it with int(): {owner}[int({value!r})]."
    else:
        fix = f"For one frame use {owner}[InputImages[k].frame_index]."
    raise TypeError(
        f"{owner}[...] takes ONE absolute frame index (an int), got {got}. {fix} "
        + (batch_hint or "Loop over .frame_indices to visit every frame."))


def frame_not_found(fi, frame_indices, owner="this result"):
    """KeyError for an absent absolute frame, with hints for the usual mix-ups."""
    frames = list(frame_indices)
    present = set(frames)
    msg = (f"Frame {fi} not found in {owner}. Available frames: "
           f"{abbreviate(frames, 12)} (absolute video frame indices).")
    hints = []
    if 0 <= fi < len(frames):
        # Probably a list position where an absolute index was expected.
        for name, images in _INPUT_IMAGES:
            if fi < len(images) and images[fi].frame_index in present:
                hints.append(f"{fi} looks like a list position: {name}[{fi}].frame_index is "
                             f"{images[fi].frame_index}; pass that instead.")
                break
        else:
            hints.append(f"{fi} looks like a list position: position {fi} of this result is "
                         f"frame {frames[fi]} (.frame_indices[{fi}]).")
    elif fi < 0 and frames:
        hints.append(f"Negative positions are not supported; the last frame is "
                     f"{frames[-1]} (.frame_indices[-1]).")
    elif frames:
        nearest = sorted(frames, key=lambda f: abs(f - fi))[:2]
        hints.append(f"Nearest available frames: {sorted(nearest)}.")
    if fi == 0 and 0 not in present and frames:
        hints.append(f"The first available frame is {frames[0]}.")
    return _CleanKeyError(" ".join([msg] + hints))


def _own(arr, dtype):
    """`arr` as `dtype`, copied only when it is read-only (e.g. a view of a pipe buffer) so
    agent code may modify results in place."""
    out = np.asarray(arr, dtype=dtype)
    return out if out.flags.writeable else out.copy()


class PerFrameData:
    """Base of per-frame results: absolute-index lookup, len(), alignment checks."""

    _owner = "PerFrameData"
    _batch_hint = ""

    def __init__(self, frame_indices, n):
        self.frame_indices = [int(f) for f in frame_indices]
        if len(self.frame_indices) != n:
            raise ValueError(f"{type(self).__name__}: {n} frames of data but "
                             f"{len(self.frame_indices)} frame indices")
        self._pos = {}
        for i, f in enumerate(self.frame_indices):
            self._pos.setdefault(f, i)  # first occurrence wins

    @property
    def num_frames(self):
        """Number of frames held."""
        return len(self.frame_indices)

    def __len__(self):
        return len(self.frame_indices)

    def __iter__(self):
        raise TypeError(
            f"{type(self).__name__} is not iterable; loop over its absolute frame indices: "
            f"`for fi in obj.frame_indices: obj[fi]`.")

    def get_by_frame_index(self, frame_index):
        """Position (0..num_frames-1) of absolute frame `frame_index` in the batch arrays."""
        fi = as_frame_index(frame_index, self._owner, self._batch_hint)
        pos = self._pos.get(fi)
        if pos is None:
            raise frame_not_found(fi, self.frame_indices, self._owner)
        return pos

    def validate_alignment(self, other, strict=True):
        """Check that `other` (a per-frame result or a list of frame indices) covers the same
        absolute frames. strict=True: the frame lists must be identical. strict=False: they
        must share at least one frame. Returns the shared frames (in this object's order);
        raises ValueError naming the offending frames."""
        theirs = list(other.frame_indices if hasattr(other, "frame_indices") else other)
        theirs = [int(f) for f in theirs]
        their_set = set(theirs)
        shared = [f for f in self.frame_indices if f in their_set]
        only_mine = [f for f in self.frame_indices if f not in their_set]
        mine = set(self.frame_indices)
        only_theirs = [f for f in theirs if f not in mine]
        if (strict and (only_mine or only_theirs or theirs != self.frame_indices)) or not shared:
            raise ValueError(
                f"Frame mismatch between {type(self).__name__} {abbreviate(self.frame_indices)} "
                f"and {type(other).__name__} {abbreviate(theirs)}: frames only in the first: "
                f"{abbreviate(only_mine, 10)}; only in the second: {abbreviate(only_theirs, 10)}."
                f" Shared frames: {abbreviate(shared, 10)}. Compute both on the same frames "
                f"(e.g. the same InputImages slice).")
        return shared

    def _repr_head(self):
        return f"frames={abbreviate(self.frame_indices)}, num_frames={self.num_frames}"


class PerFramePointMap(PerFrameData):
    """World XYZ point map per frame (metres, gravity-aligned world, +Y up).

    `recon.points[fi]` -> (H, W, 3) float32 for absolute frame fi.
    Batch arrays: `.points` (N, H, W, 3) float32 and `.confidence` (N, H, W) float32 (0 = no
    surface/sky; larger = more reliable), ordered like `.frame_indices`.
    `recon.points.confidence_at(fi)` -> (H, W) confidence of one frame.
    """

    _owner = "recon.points"
    _batch_hint = ("For all frames at once use the batch array recon.points.points "
                   "(N, H, W, 3), ordered like recon.points.frame_indices.")

    def __init__(self, points, confidence, frame_indices):
        self.points = _own(points, np.float32)
        self.confidence = _own(confidence, np.float32)
        super().__init__(frame_indices, self.points.shape[0])

    def __getitem__(self, frame_index):
        return self.points[self.get_by_frame_index(frame_index)]

    def confidence_at(self, frame_index):
        """(H, W) float32 confidence of absolute frame `frame_index`."""
        return self.confidence[self.get_by_frame_index(frame_index)]

    def __repr__(self):
        return (f"PerFramePointMap({self._repr_head()}, points={self.points.shape} float32)\n"
                f"  Use: recon.points[fi]  # (H, W, 3) float32 world XYZ in metres")


class PerFrameDepth(PerFrameData):
    """Depth per frame: camera-frame z (distance along the optical axis) in metres.

    `recon.depth[fi]` -> (H, W) float32. Batch: `.depth` (N, H, W) float32, `.confidence`
    (N, H, W) float32, ordered like `.frame_indices`.
    """

    _owner = "recon.depth"
    _batch_hint = ("For all frames at once use the batch array recon.depth.depth (N, H, W), "
                   "ordered like recon.depth.frame_indices.")

    def __init__(self, depth, frame_indices, confidence=None):
        self.depth = _own(depth, np.float32)
        self.confidence = None if confidence is None else _own(confidence, np.float32)
        super().__init__(frame_indices, self.depth.shape[0])

    def __getitem__(self, frame_index):
        return self.depth[self.get_by_frame_index(frame_index)]

    def confidence_at(self, frame_index):
        """(H, W) float32 confidence of absolute frame `frame_index`."""
        return self.confidence[self.get_by_frame_index(frame_index)]

    def __repr__(self):
        return (f"PerFrameDepth({self._repr_head()}, depth={self.depth.shape} float32)\n"
                f"  Use: recon.depth[fi]  # (H, W) float32 camera z in metres")


class PerFrameIntrinsics(PerFrameData):
    """Pinhole intrinsics per frame, in pixels of the InputImages resolution.

    `recon.intrinsics[fi]` -> {"fx": float, "fy": float, "cx": float, "cy": float}.
    Batch: `.fx .fy .cx .cy` each (N,) float64.
    """

    _owner = "recon.intrinsics"
    _batch_hint = ("For all frames use the batch arrays recon.intrinsics.fx/.fy/.cx/.cy (N,).")

    def __init__(self, fx, fy, cx, cy, frame_indices):
        self.fx = np.asarray(fx, dtype=np.float64).reshape(-1)
        self.fy = np.asarray(fy, dtype=np.float64).reshape(-1)
        self.cx = np.asarray(cx, dtype=np.float64).reshape(-1)
        self.cy = np.asarray(cy, dtype=np.float64).reshape(-1)
        super().__init__(frame_indices, self.fx.shape[0])

    def __getitem__(self, frame_index):
        i = self.get_by_frame_index(frame_index)
        return {"fx": float(self.fx[i]), "fy": float(self.fy[i]),
                "cx": float(self.cx[i]), "cy": float(self.cy[i])}

    def __repr__(self):
        return (f"PerFrameIntrinsics({self._repr_head()})\n"
                f"  Use: recon.intrinsics[fi]  # dict fx, fy, cx, cy (pixels)")


class PerFrameExtrinsics(PerFrameData):
    """Camera poses per frame: 4x4 float64 camera-to-world, OpenCV camera axes.

    `recon.extrinsics[fi]` -> (4, 4). Columns: 0 = camera right (+x image), 1 = camera DOWN
    (+y image), 2 = camera forward (optical axis), 3 = camera centre, all in world coordinates.
    Batch: `.camera_poses` (N, 4, 4) float64.
    """

    _owner = "recon.extrinsics"
    _batch_hint = ("For all frames use the batch array recon.extrinsics.camera_poses "
                   "(N, 4, 4), ordered like recon.extrinsics.frame_indices.")

    def __init__(self, camera_poses, frame_indices):
        self.camera_poses = _own(camera_poses, np.float64)
        super().__init__(frame_indices, self.camera_poses.shape[0])

    def __getitem__(self, frame_index):
        return self.camera_poses[self.get_by_frame_index(frame_index)]

    def __repr__(self):
        return (f"PerFrameExtrinsics({self._repr_head()})\n"
                f"  Use: recon.extrinsics[fi]  # (4, 4) float64 camera-to-world; columns: "
                f"right, down, forward, position")


# Names agents reach for that Reconstruction does not have, with where to look instead.
_RECON_ATTR_HINTS = {
    "confidence": "use recon.points.confidence (N, H, W) or recon.points.confidence_at(fi)",
    "rgb": "use the input frames, e.g. InputImages[k] (np.array(InputImages[k]) for pixels)",
    "camera_poses": "use recon.extrinsics.camera_poses (N, 4, 4) or recon.extrinsics[fi]",
    "poses": "use recon.extrinsics[fi] (4x4 camera-to-world)",
    "point_map": "use recon.points[fi] (H, W, 3)",
    "depths": "use recon.depth[fi] (H, W)",
    "K": "use recon.intrinsics[fi] (dict fx, fy, cx, cy)",
}


class Reconstruction(PerFrameData):
    """Metric 3D reconstruction of the frames, indexed by ABSOLUTE frame index fi.

    World frame: metres, gravity-aligned, +Y up, floor at Y = 0; the first frame's camera looks
    along -Z (its right is +X).
    - recon.points[fi] -> (H, W, 3) float32 world XYZ; recon.points.confidence (N, H, W)
    - recon.depth[fi] -> (H, W) float32 camera-z depth in metres
    - recon.extrinsics[fi] -> (4, 4) float64 camera-to-world; columns: right, down, forward,
      position (OpenCV). Right-of-camera test: np.dot(p - pose[:3, 3], pose[:3, 0]) > 0;
      in front: np.dot(p - pose[:3, 3], pose[:3, 2]) > 0.
    - recon.intrinsics[fi] -> dict fx, fy, cx, cy (pixels at InputImages resolution)
    - recon.frame_indices, recon.num_frames, recon.metric_scale (informational; points are
      already metric), recon.gravity_direction (~[0, 1, 0])
    Point maps and depth have the InputImages resolution, so a SAM3 mask of the same frame
    indexes them directly: recon.points[fi][mask].
    Example: fi = InputImages[0].frame_index; cam_pos = recon.extrinsics[fi][:3, 3]
    """

    _owner = "Reconstruction"
    _batch_hint = ("Use recon.points[fi], recon.depth[fi], recon.extrinsics[fi] or "
                   "recon.intrinsics[fi].")

    def __init__(self, points, depth, intrinsics, extrinsics, metric_scale=1.0,
                 gravity_direction=(0.0, 1.0, 0.0), frame_indices=None, rgb=None,
                 is_video=False, input_images=None):
        frame_indices = list(points.frame_indices if frame_indices is None else frame_indices)
        super().__init__(frame_indices, len(points.frame_indices))
        for part in (depth, intrinsics, extrinsics):
            if part.frame_indices != self.frame_indices:
                raise ValueError(f"Reconstruction parts disagree on frames: "
                                 f"{abbreviate(part.frame_indices)} vs "
                                 f"{abbreviate(self.frame_indices)}")
        self.points = points
        self.depth = depth
        self.intrinsics = intrinsics
        self.extrinsics = extrinsics
        self.metric_scale = float(metric_scale)
        self.gravity_direction = np.asarray(gravity_direction, dtype=np.float64)
        self._rgb = rgb
        self._is_video = bool(is_video)
        self._input_images = input_images

    def __getitem__(self, key):
        raise TypeError(
            "Reconstruction itself is not indexable; index its parts by absolute frame: "
            "recon.points[fi], recon.depth[fi], recon.extrinsics[fi], recon.intrinsics[fi].")

    def __getattr__(self, name):
        hint = _RECON_ATTR_HINTS.get(name)
        if hint is None:
            raise AttributeError(name)
        raise AttributeError(f"'Reconstruction' object has no attribute '{name}'; {hint}")

    def render_bev(self, masks=None, labels=None, prompts=None, conf_threshold=0.1,
                   ref_frame=0, ego_trajectory=True):
        """Top-down (bird's-eye) view of objects and cameras, relative to one camera.

        masks: PerFrameMask (or bool array (T, N_obj, H, W)) of the objects to draw; mask
          frames are matched to reconstruction frames by ABSOLUTE frame index (frames present
          in only one of them are skipped; a raw array must have one entry per recon frame).
        labels: names per object (default: masks.labels / obj_<i>).
        prompts: not supported; segment first with tools.SAM3 and pass masks=.
        conf_threshold: keep points with confidence above this.
        ref_frame: absolute frame index of the reference camera (if absent, a position
          0..N-1; default 0 = the first reconstructed frame).
        ego_trajectory: draw the other cameras (video: path green->yellow; images: wedges).
        The reference camera sits at the bottom looking UP the image: up = its forward,
        right = its right. Stationary objects are boxes; moving objects are red->blue paths.
        Returns VisualFeedback (about 800x800) whose .description lists each object's
        position (metres right/forward of the reference camera).
        Example: show(recon.render_bev(masks=seg))
        """
        from .tools.render import render_bev
        return render_bev(self, masks=masks, labels=labels, prompts=prompts,
                          conf_threshold=conf_threshold, ref_frame=ref_frame,
                          ego_trajectory=ego_trajectory)

    def __repr__(self):
        h, w = self.depth.depth.shape[1:3] if self.depth.depth.ndim == 3 else (0, 0)
        return (
            f"Reconstruction(frames={abbreviate(self.frame_indices)}, "
            f"num_frames={self.num_frames}, size=(W={w}, H={h}), "
            f"metric_scale={self.metric_scale:.4f})\n"
            f"  Use (fi = absolute frame index, e.g. InputImages[k].frame_index):\n"
            f"    recon.points[fi]      # (H, W, 3) float32 world XYZ, metres, +Y up\n"
            f"    recon.depth[fi]       # (H, W) float32 camera z, metres\n"
            f"    recon.extrinsics[fi]  # (4, 4) float64 camera-to-world (cols: right, down, "
            f"forward, position)\n"
            f"    recon.intrinsics[fi]  # dict fx, fy, cx, cy\n"
            f"    recon.points.confidence_at(fi)  # (H, W) float32")


class PerFrameMask(PerFrameData):
    """Segmentation masks per frame and object, indexed by ABSOLUTE frame index.

    - seg.masks: (T, N_obj, H, W) bool, T ordered like seg.frame_indices
    - seg.labels (list of str), seg.object_ids (0..N_obj-1), seg.num_frames, seg.num_objects
    - seg[fi] -> (N_obj, H, W) bool; seg.get_mask(frame=fi, object=0) -> (H, W) bool
    - object= is a channel number 0..N_obj-1 or a label string (e.g. "chair_1")
    Masks have the InputImages resolution, so they index recon.points[fi] directly.
    Example: c = seg.get_centroid_3d(recon, frame=InputImages[2].frame_index, object="chair")
    """

    _owner = "PerFrameMask"
    _batch_hint = ("For all frames use the batch array seg.masks (T, N_obj, H, W), ordered "
                   "like seg.frame_indices.")

    def __init__(self, masks, labels=None, object_ids=None, frame_indices=None, frames=None,
                 scores=None):
        masks = np.asarray(masks)
        if masks.ndim != 4:
            raise ValueError(f"PerFrameMask needs masks of shape (T, N_obj, H, W), got "
                             f"{masks.shape}")
        self.masks = _own(masks, bool)
        n_obj = self.masks.shape[1]
        if frame_indices is None:
            frame_indices = list(range(self.masks.shape[0]))
        super().__init__(frame_indices, self.masks.shape[0])
        self.labels = [str(l) for l in labels] if labels is not None else \
            [f"object_{i}" for i in range(n_obj)]
        if len(self.labels) != n_obj:
            raise ValueError(f"PerFrameMask: {n_obj} mask channels but {len(self.labels)} "
                             f"labels")
        self.object_ids = list(range(n_obj)) if object_ids is None else \
            [int(o) for o in object_ids]
        self._frames = dict(frames or {})
        self._scores = scores

    @property
    def num_objects(self):
        """Number of object channels (masks.shape[1])."""
        return self.masks.shape[1]

    def __getitem__(self, frame_index):
        return self.masks[self.get_by_frame_index(frame_index)]

    def _object_position(self, obj):
        if isinstance(obj, (bool, np.bool_)):
            raise TypeError("object must be an int channel number or a label string, got bool")
        if isinstance(obj, (int, np.integer)):
            o = int(obj)
            if not 0 <= o < self.num_objects:
                raise IndexError(
                    f"object={o} is out of range: this PerFrameMask has {self.num_objects} "
                    f"object(s), channels 0..{self.num_objects - 1} with labels {self.labels}.")
            return o
        if isinstance(obj, str):
            if obj in self.labels:
                return self.labels.index(obj)
            similar = [l for l in self.labels
                       if l.lower() == obj.lower() or l.rsplit("_", 1)[0] == obj]
            hint = f" Did you mean {similar[0]!r}?" if similar else ""
            raise _CleanKeyError(
                f"No object labelled {obj!r}. Labels: {self.labels}.{hint} You can also pass "
                f"the channel number (0..{self.num_objects - 1}).")
        raise TypeError(f"object must be an int channel number or a label string, got "
                        f"{type(obj).__name__}")

    def get_mask(self, frame, object=0):
        """(H, W) bool mask of one object at absolute frame `frame`.

        object: channel number or label. Example: m = seg.get_mask(frame=fi, object=0)
        """
        return self.masks[self.get_by_frame_index(frame), self._object_position(object)]

    def _points_for(self, recon, frame, object, what):
        pos = self._lookup_shared(recon, frame, what)
        mask = self.masks[pos, self._object_position(object)]
        rpos = recon.points.get_by_frame_index(frame)
        pts = recon.points.points[rpos]
        if pts.shape[:2] != mask.shape:
            raise ValueError(
                f"{what}: mask is {mask.shape[1]}x{mask.shape[0]} (WxH) but the point map is "
                f"{pts.shape[1]}x{pts.shape[0]}; segment and reconstruct the same frames at "
                f"the same resolution (pass InputImages frames to both tools).")
        return mask, pts, recon.points.confidence[rpos]

    def _lookup_shared(self, recon, frame, what):
        fi = as_frame_index(frame, f"{what}(frame=...)")
        if not isinstance(recon, Reconstruction):
            raise TypeError(f"{what} needs the Reconstruction as first argument (recon), got "
                            f"{type(recon).__name__}")
        if fi not in recon._pos or fi not in self._pos:
            shared = [f for f in self.frame_indices if f in recon._pos]
            where = "the Reconstruction" if fi not in recon._pos else "this PerFrameMask"
            err = frame_not_found(fi, recon.frame_indices if fi not in recon._pos
                                  else self.frame_indices, where)
            raise _CleanKeyError(
                f"{what}: {err} Frames in both the mask and the reconstruction: "
                f"{abbreviate(shared, 10)}.")
        return self._pos[fi]

    def get_masked_points(self, recon, frame, object=0):
        """World points under the mask: (K, 3) float32, metres (no confidence filter).

        recon: Reconstruction containing absolute frame `frame`. object: channel or label.
        Example: pts = seg.get_masked_points(recon, frame=fi, object="chair")
        """
        mask, pts, _ = self._points_for(recon, frame, object, "get_masked_points")
        return pts[mask]

    def get_centroid_3d(self, recon, frame, object=0, conf_threshold=0.3):
        """3D centre of an object: per-axis MEDIAN of its world points, (3,) float32.

        Uses masked points with confidence > conf_threshold (all masked points if none pass).
        Empty mask -> prints a warning and returns [nan, nan, nan] (check np.isnan).
        Example: c = seg.get_centroid_3d(recon, frame=fi, object=0)  # array([x, y, z])
        """
        mask, pts, conf = self._points_for(recon, frame, object, "get_centroid_3d")
        sel = pts[mask]
        if sel.shape[0]:
            good = conf[mask] > conf_threshold
            if good.any():
                sel = sel[good]
            sel = sel[np.isfinite(sel).all(axis=1)]
        if sel.shape[0] == 0:
            label = self.labels[self._object_position(object)]
            print(f"[WARNING] get_centroid_3d: mask for '{label}' at frame {int(frame)} is "
                  f"empty — returning [nan, nan, nan]")
            return np.full(3, np.nan, dtype=np.float32)
        return np.median(sel, axis=0).astype(np.float32)

    def visualize(self, frame_idx=None, background=None, **kwargs):
        """Overlay the masks of one frame on its image; returns VisualFeedback (W x H).

        frame_idx (alias frame=): absolute frame index; may be omitted when the result has a
        single frame. background: optional image to draw on (default: the segmented frame).
        Each object gets a colour and a "<id>: <label>" tag. Example: show(seg.visualize(fi))
        """
        if "frame" in kwargs:
            if frame_idx is not None:
                raise TypeError("visualize() got both frame_idx and frame; pass one")
            frame_idx = kwargs.pop("frame")
        if kwargs:
            raise TypeError(f"visualize() got unexpected keyword argument(s) {sorted(kwargs)}; "
                            f"use visualize(frame_idx, background=None)")
        if frame_idx is None:
            if self.num_frames != 1:
                raise TypeError(
                    f"visualize() needs the absolute frame index to draw, e.g. "
                    f"seg.visualize({self.frame_indices[0] if self.frame_indices else 0}); "
                    f"frames: {abbreviate(self.frame_indices)}")
            frame_idx = self.frame_indices[0]
        pos = self.get_by_frame_index(frame_idx)
        fi = self.frame_indices[pos]
        if background is None:
            background = self._frames.get(fi)
        from .tools.render import render_masks
        image = render_masks(self.masks[pos], self.labels, self.object_ids, background)
        return VisualFeedback(
            image, source="PerFrameMask.visualize",
            description=f"Segmentation masks for frame {fi}: {self.labels}", frame_index=fi)

    def __repr__(self):
        shape = tuple(self.masks.shape)
        scores = ""
        if self._scores is not None and len(self._scores) == self.num_objects:
            scores = ", scores=[" + ", ".join(f"{s:.2f}" for s in self._scores) + "]"
        fi = self.frame_indices[0] if self.frame_indices else 0
        return (f"PerFrameMask(frames={abbreviate(self.frame_indices)}, labels={self.labels}, "
                f"shape={shape}{scores})\n"
                f"  Use: seg.get_mask(frame={fi}, object=0)  # (H, W) bool\n"
                f"       seg.get_centroid_3d(recon, frame={fi}, object=0)  # (3,) float32\n"
                f"       show(seg.visualize({fi}))")
