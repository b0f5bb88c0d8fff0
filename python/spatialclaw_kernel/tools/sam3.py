"""tools.SAM3: text / point / box segmentation through the host's `perception.segment`.

Image methods send one request per call. Video methods currently run the image request on
every SAMPLED frame (InputImages) inside the window and link instances across frames by mask
overlap, so channel i always belongs to prompt i (quirk 2 fixed). Masks are always returned at
the resolution of the frames that were passed in, so they index point maps directly.
"""

import numpy as np
from PIL import Image

from .. import host
from ..per_frame import PerFrameMask
from ..types import FrameImage, InputImages, abbreviate, to_rgb_array
from .common import resize_nearest

_GENERIC_LABELS = {"", "object", "obj", "thing", "item", "target"}


def _is_number(v):
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def _is_pair(p):
    return isinstance(p, (list, tuple)) and len(p) == 2 and all(_is_number(v) for v in p)


def _as_list(x):
    return x.tolist() if isinstance(x, np.ndarray) else x


def _iou(a, b):
    union = np.count_nonzero(a | b)
    return np.count_nonzero(a & b) / union if union else 0.0


def _centre(m):
    ys, xs = np.nonzero(m)
    return np.array([xs.mean(), ys.mean()])


def _link(prev, cands, diag, allow_far=True):
    """Index of the candidate mask that continues `prev`, or None.

    Overlap (IoU >= 0.1) wins; otherwise, when the camera moved a lot between sampled frames,
    a lone candidate or a clearly nearest one (by centre) is taken; ambiguous cases give None
    rather than a wrong identity.
    """
    if not len(cands):
        return None
    ious = [_iou(prev, c) for c in cands]
    k = int(np.argmax(ious))
    if ious[k] >= 0.1:
        return k
    if not allow_far:
        return None
    if len(cands) == 1:
        return 0
    d = np.array([np.linalg.norm(_centre(c) - _centre(prev)) for c in cands]) / diag
    order = np.argsort(d)
    if d[order[0]] <= 0.6 * d[order[1]]:
        return int(order[0])
    return None


class SAM3Tool:
    """Segment objects with SAM 3 by text, points or box; results are PerFrameMask.

    Masks have the resolution of the frames passed in and are indexed by absolute frame
    index. Pixel coordinates are (x = column, y = row) of the image passed in; convert
    vlm.locate's 0-1000 output with tools.Geometry.normalized_to_pixel first.
    """

    def __init__(self, metadata=None, input_images=None, max_video_frames=1000):
        self._metadata = metadata
        if input_images is None:
            self._videos = []
        elif isinstance(input_images, InputImages) or (
                input_images and isinstance(input_images[0], FrameImage)):
            self._videos = [input_images]
        else:
            self._videos = list(input_images)  # multi-video: one InputImages per video
        self.max_video_frames = int(max_video_frames)

    # ================================================================== image requests

    @staticmethod
    def _single_image(image, method):
        if isinstance(image, (FrameImage, Image.Image)):
            return image
        if isinstance(image, np.ndarray) and image.ndim == 3 and image.shape[2] == 3:
            return image
        raise TypeError(f"{method}: 'image' must be a single PIL Image or FrameImage, got "
                        f"{type(image).__name__}. Pass one frame, e.g. InputImages[0].")

    @staticmethod
    def _detect(image, params):
        """One perception.segment request -> (masks (K, H, W) bool sorted by score, scores)."""
        rgb = to_rgb_array(image)
        h, w = rgb.shape[:2]
        fi = int(getattr(image, "frame_index", 0))
        header, arrays = host.call("perception.segment", dict(params, frame_index=fi), [rgb])
        masks = np.asarray(arrays[0]) if arrays else np.zeros((0, h, w), bool)
        if masks.ndim == 2:
            masks = masks[None]
        if masks.ndim != 3:
            raise RuntimeError(f"SAM3: the host returned masks of shape {masks.shape}")
        masks = resize_nearest(masks.astype(bool, copy=False), (h, w))
        scores = np.asarray(header.get("scores") or [], dtype=float)
        if scores.shape != (len(masks),):
            scores = np.ones(len(masks))
        order = np.argsort(-scores, kind="stable")
        return masks[order], scores[order]

    @staticmethod
    def _pixel_bounds_hint(what, values, w, h):
        return (f"{what} {values} lies outside the {w}x{h} image. Coordinates are PIXELS of "
                f"this image; convert vlm.locate's 0-1000 values with "
                f"tools.Geometry.normalized_to_pixel(coords, image.width, image.height).")

    def segment_image_by_text(self, image, prompt, label=None, confidence_threshold=0.3):
        """Segment every instance matching a text prompt in ONE image (~0.5 s).

        image: one frame (InputImages[k] or a PIL image), not a list.
        prompt: short noun phrase, e.g. "chair" or "red mug".
        label: object name; default = prompt. Several instances -> label_0, label_1, ...
          ordered by confidence.
        confidence_threshold: keep detections scoring >= this.
        Returns PerFrameMask, masks (1, N_obj, H, W) bool at the image's resolution, frame =
        image.frame_index. Raises RuntimeError when nothing is found (try another frame, a
        different prompt, a lower threshold, or vlm.locate + segment_image_by_box).
        Example: seg = tools.SAM3.segment_image_by_text(InputImages[3], "chair")
                 fi = InputImages[3].frame_index; m = seg.get_mask(frame=fi, object=0)
        """
        image = self._single_image(image, "segment_image_by_text")
        if not isinstance(prompt, str) or not prompt.strip():
            raise ValueError("segment_image_by_text: prompt must be a non-empty string, "
                             "e.g. 'chair'")
        label = prompt if label is None else str(label)
        fi = int(getattr(image, "frame_index", 0))
        masks, scores = self._detect(image, {"mode": "text", "prompt": prompt})
        keep = (scores >= confidence_threshold) & masks.any(axis=(1, 2))
        if not keep.any():
            best = f" (best candidate scored {scores.max():.2f})" if len(scores) else ""
            raise RuntimeError(
                f"SAM3.segment_image_by_text(prompt={prompt!r}) produced no usable mask on this "
                f"image (frame_index={fi}, confidence_threshold={confidence_threshold})"
                f"{best}. Try another frame where the object is clearly visible, a more "
                f"specific or more generic prompt, a lower confidence_threshold, or locate it "
                f"with vlm.locate and use segment_image_by_box.")
        masks, scores = masks[keep], scores[keep]
        n = len(masks)
        labels = [label] if n == 1 else [f"{label}_{i}" for i in range(n)]
        return PerFrameMask(masks[None], labels, list(range(n)), [fi], frames={fi: image},
                            scores=scores.tolist())

    def segment_image_by_points(self, image, points, point_labels, label="object"):
        """Segment the object under given pixel points in ONE image.

        points: [[x, y], ...] in pixels of this image (a single [x, y] also works).
        point_labels: one per point, 1 = on the object, 0 = background.
        Returns PerFrameMask (1, 1, H, W) with labels [label]; RuntimeError if nothing found.
        Example: seg = tools.SAM3.segment_image_by_points(InputImages[0], [[320, 240]], [1],
                                                          label="cup")
        """
        image = self._single_image(image, "segment_image_by_points")
        w, h = _size(image)
        pts = _as_list(points)
        if _is_pair(pts):
            print(f"[SAM3] segment_image_by_points: treating {pts} as one point [[x, y]]")
            pts = [pts]
        if not isinstance(pts, (list, tuple)) or not pts or not all(_is_pair(p) for p in pts):
            raise ValueError("segment_image_by_points: points must be a non-empty list of "
                             "[x, y] pixel pairs, e.g. [[320, 240]]")
        pl = _as_list(point_labels)
        if _is_number(pl):
            pl = [pl]
        if not isinstance(pl, (list, tuple)) or len(pl) != len(pts):
            raise ValueError(f"segment_image_by_points: point_labels needs one entry (1 or 0) "
                             f"per point: {len(pts)} points, got {point_labels!r}")
        pl = [int(v) for v in pl]
        if not any(v == 1 for v in pl):
            raise ValueError("segment_image_by_points: at least one point must have label 1 "
                             "(on the object)")
        for x, y in pts:
            if not (0 <= x <= w and 0 <= y <= h):
                raise ValueError(self._pixel_bounds_hint("point", [x, y], w, h))
        norm = [[float(x) / w, float(y) / h] for x, y in pts]
        masks, scores = self._detect(image, {"mode": "points", "points": norm,
                                             "point_labels": pl})
        return self._first_mask(masks, scores, image, label,
                                 f"segment_image_by_points produced no mask for points={pts}")

    def segment_image_by_box(self, image, box, label="object"):
        """Segment the object inside a pixel box in ONE image.

        box: [x1, y1, x2, y2] in pixels of this image (e.g. from vlm.locate converted with
        tools.Geometry.normalized_to_pixel). Returns PerFrameMask (1, 1, H, W) with labels
        [label]; RuntimeError if nothing found.
        Example: box = tools.Geometry.normalized_to_pixel([100, 200, 400, 700], img.width,
                                                          img.height)
                 seg = tools.SAM3.segment_image_by_box(img, box, label="lamp")
        """
        image = self._single_image(image, "segment_image_by_box")
        w, h = _size(image)
        try:
            b = np.asarray(_as_list(box), dtype=float).reshape(-1)
        except (TypeError, ValueError):
            b = np.zeros(0)
        if b.size != 4:
            raise ValueError("'box' must be [x1, y1, x2, y2] in pixel coordinates.")
        x1, x2 = sorted(np.clip(b[[0, 2]], 0, w))
        y1, y2 = sorted(np.clip(b[[1, 3]], 0, h))
        if x2 - x1 < 1 or y2 - y1 < 1:
            raise ValueError(self._pixel_bounds_hint("box", b.tolist(), w, h)
                             + " (after clipping to the image it has no area)")
        xywh = [x1 / w, y1 / h, (x2 - x1) / w, (y2 - y1) / h]
        masks, scores = self._detect(image, {"mode": "box", "box_xywh": xywh})
        return self._first_mask(masks, scores, image, label,
                                f"segment_image_by_box produced no mask for box={b.tolist()}")

    @staticmethod
    def _first_mask(masks, scores, image, label, what):
        fi = int(getattr(image, "frame_index", 0))
        nonempty = masks.any(axis=(1, 2))
        if not nonempty.any():
            raise RuntimeError(
                f"SAM3.{what} on this image (frame_index={fi}). The detector found nothing "
                f"there: check the coordinates on the image (show(tools.Draw.draw_bbox(...)) or "
                f"draw_point), make sure they are pixels of this image, or try "
                f"segment_image_by_text.")
        k = int(np.argmax(nonempty))  # best-scoring non-empty mask
        return PerFrameMask(masks[k][None, None], [str(label)], [0], [fi],
                            frames={fi: image}, scores=[float(scores[k])])

    def is_object_exist(self, images, object_name):
        """Check which images contain an object (one text detection per image).

        images: one frame or a list (e.g. InputImages[::4]). object_name: text prompt.
        Returns {"exists": [bool, ...], "counts": [int, ...], "summary": str}; counts are
        instances scoring >= 0.3 (what segment_image_by_text would return by default).
        Example: r = tools.SAM3.is_object_exist(InputImages[::8], "dog"); print(r["summary"])
        """
        if isinstance(images, (FrameImage, Image.Image, np.ndarray)):
            images = [images]
        images = list(images)
        if not images:
            raise ValueError("is_object_exist: images is empty")
        if not isinstance(object_name, str) or not object_name.strip():
            raise ValueError("is_object_exist: object_name must be a non-empty string")
        exists, counts, errors = [], [], []
        for img in images:
            try:
                img = self._single_image(img, "is_object_exist")
                masks, scores = self._detect(img, {"mode": "text", "prompt": object_name})
                k = int(((scores >= 0.3) & masks.any(axis=(1, 2))).sum())
            except Exception as e:  # one bad image must not sink the whole scan
                errors.append(e)
                k = 0
            exists.append(k > 0)
            counts.append(k)
        if len(errors) == len(images):
            raise errors[-1]  # every request failed: an error, not a "not found"
        found = [c for c in counts if c > 0]
        avg = sum(found) / len(found) if found else 0.0
        summary = (f"Object '{object_name}' found in {len(found)}/{len(images)} images, "
                   f"avg {avg:.1f} instances per image where found.")
        if errors:
            summary += f" ({len(errors)} image(s) could not be checked.)"
        return {"exists": exists, "counts": counts, "summary": summary}

    def segment_image(self, image, prompts, frame_index=None):
        """Disabled: use segment_image_by_text / segment_image_by_box / segment_image_by_points."""
        raise RuntimeError(
            "SAM3.segment_image is disabled. Use tools.SAM3.segment_image_by_text(image, "
            "prompt), segment_image_by_box(image, box) or segment_image_by_points(image, "
            "points, point_labels) instead.")

    def segment_video(self, prompts, prompt_frame_idx=0, frame_indices=None):
        """Disabled: use segment_video_by_text / segment_video_by_points / segment_video_by_box."""
        raise RuntimeError(
            "SAM3.segment_video is disabled. Use tools.SAM3.segment_video_by_text(prompts), "
            "segment_video_by_box(boxes, labels) or segment_video_by_points(points_per_object,"
            " point_labels_per_object, labels) instead (or segment_image_* per frame).")

    # ================================================================== video

    def segment_video_by_text(self, prompts, labels=None, prompt_frame_idx=0,
                              frame_indices=None, start_frame=None, end_frame=None,
                              video_index=1):
        """Segment and follow objects named by text across the video's frames.

        prompts: list of noun phrases, one object per prompt, e.g. ["person", "door"].
        labels: names per prompt (default = prompts). Channel i is always prompt i; if a
          prompt matches several instances, channel i follows the most confident one on the
          prompt frame; a prompt never found gives an all-False channel.
        start_frame / end_frame: ABSOLUTE video frames, window [start, end) of at most
          max_video_frames (1000) frames; needed when the video is longer than that.
        prompt_frame_idx: frame to start from, counted from start_frame.
        frame_indices: optional absolute frames to return (default: every sampled frame in
          the window). video_index: which video (1-based) in multi-video samples.
        Returns PerFrameMask (T, len(prompts), H, W) bool indexed by absolute frame index.
        Example: seg = tools.SAM3.segment_video_by_text(["person"], start_frame=0,
                                                        end_frame=300)
        """
        if isinstance(prompts, str):
            prompts = [prompts]
        prompts = _as_list(prompts)
        if not isinstance(prompts, (list, tuple)) or not prompts or \
                not all(isinstance(p, str) and p.strip() for p in prompts):
            raise ValueError("segment_video_by_text: prompts must be a non-empty list of "
                             "non-empty strings, e.g. ['person', 'chair']")
        labels = self._labels(labels, len(prompts), list(prompts), "prompts")
        video = self._video_window(video_index, start_frame, end_frame, prompt_frame_idx,
                                   "segment_video_by_text")
        frames, p0 = video
        channels = [self._follow(frames, p0, None, prompt) for prompt in prompts]
        return self._video_result(frames, channels, labels, frame_indices,
                                  "segment_video_by_text")

    def segment_video_by_points(self, points_per_object, point_labels_per_object, labels,
                                prompt_frame_idx=0, frame_indices=None, start_frame=None,
                                end_frame=None, video_index=1):
        """Segment objects marked by pixel points on the prompt frame and follow them.

        points_per_object: per object a list of [x, y] pixels on the prompt frame, e.g.
          [[[120, 300]], [[400, 220], [410, 260]]] for two objects.
        point_labels_per_object: matching 1 (on object) / 0 (background) lists, e.g.
          [[1], [1, 1]]. labels: one name per object (channel i = object i).
        Window and frame parameters as in segment_video_by_text. Returns PerFrameMask
        (T, len(labels), H, W) bool indexed by absolute frame index.
        """
        labels = _as_list(labels)
        if isinstance(labels, str):
            labels = [labels]
        n_hint = len(labels) if isinstance(labels, (list, tuple)) else None
        objs, obj_labels = _points_per_object(points_per_object, point_labels_per_object,
                                              n_hint)
        labels = self._labels(labels, len(objs), None, "points_per_object")
        frames, p0 = self._video_window(video_index, start_frame, end_frame, prompt_frame_idx,
                                        "segment_video_by_points")
        img = frames[p0]
        w, h = _size(img)
        channels = []
        for pts, pl, lab in zip(objs, obj_labels, labels):
            for x, y in pts:
                if not (0 <= x <= w and 0 <= y <= h):
                    raise ValueError(self._pixel_bounds_hint("point", [x, y], w, h))
            norm = [[float(x) / w, float(y) / h] for x, y in pts]
            seed = self._seed(img, {"mode": "points", "points": norm, "point_labels": pl},
                              f"points {pts} for {lab!r}")
            channels.append(self._follow(frames, p0, seed, lab))
        return self._video_result(frames, channels, labels, frame_indices,
                                  "segment_video_by_points")

    def segment_video_by_box(self, boxes, labels, prompt_frame_idx=0, frame_indices=None,
                             start_frame=None, end_frame=None, video_index=1):
        """Segment objects inside pixel boxes on the prompt frame and follow them.

        boxes: one [x1, y1, x2, y2] pixel box per object (on the prompt frame).
        labels: one name per box (channel i = box i).
        Window and frame parameters as in segment_video_by_text. Returns PerFrameMask
        (T, len(labels), H, W) bool indexed by absolute frame index.
        Example: seg = tools.SAM3.segment_video_by_box([[50, 80, 200, 300]], ["cart"],
                                                       start_frame=0, end_frame=600)
        """
        boxes = _as_list(boxes)
        if isinstance(boxes, (list, tuple)) and len(boxes) == 4 and \
                all(_is_number(v) for v in boxes):
            boxes = [boxes]
        if not isinstance(boxes, (list, tuple)) or not boxes or \
                not all(isinstance(b, (list, tuple)) and len(b) == 4 for b in boxes):
            raise ValueError("segment_video_by_box: boxes must be a list of [x1, y1, x2, y2] "
                             "pixel boxes, one per object")
        labels = _as_list(labels)
        if isinstance(labels, str):
            labels = [labels]
        labels = self._labels(labels, len(boxes), None, "boxes")
        frames, p0 = self._video_window(video_index, start_frame, end_frame, prompt_frame_idx,
                                        "segment_video_by_box")
        img = frames[p0]
        w, h = _size(img)
        channels = []
        for b, lab in zip(boxes, labels):
            x1, x2 = sorted(np.clip([float(b[0]), float(b[2])], 0, w))
            y1, y2 = sorted(np.clip([float(b[1]), float(b[3])], 0, h))
            if x2 - x1 < 1 or y2 - y1 < 1:
                raise ValueError(self._pixel_bounds_hint("box", list(b), w, h))
            seed = self._seed(img, {"mode": "box",
                                    "box_xywh": [x1 / w, y1 / h, (x2 - x1) / w, (y2 - y1) / h]},
                              f"box {list(b)} for {lab!r}")
            channels.append(self._follow(frames, p0, seed, lab))
        return self._video_result(frames, channels, labels, frame_indices,
                                  "segment_video_by_box")

    # ------------------------------------------------------------------ video helpers

    @staticmethod
    def _labels(labels, n, default, what):
        if labels is None:
            if default is None:
                raise ValueError(f"labels are required: one name per object ({n})")
            return [str(l) for l in default]
        labels = _as_list(labels)
        if isinstance(labels, str):
            labels = [labels]
        if len(labels) != n:
            raise ValueError(f"labels has {len(labels)} entries but {what} describes {n} "
                             f"object(s); give one label per object")
        return [str(l) for l in labels]

    def _video_window(self, video_index, start_frame, end_frame, prompt_frame_idx, method):
        """(sampled frames inside [start, end), position of the prompt frame among them)."""
        md = self._metadata
        k = len(self._videos)
        if k > 1:
            if isinstance(video_index, (bool, np.bool_)) or \
                    not isinstance(video_index, (int, np.integer)) or not 1 <= video_index <= k:
                raise ValueError(f"{method}: video_index must be an int in 1..{k} "
                                 f"(InputImages_1..InputImages_{k}), got {video_index!r}")
            images = self._videos[int(video_index) - 1]
            info = (getattr(md, "videos", None) or [{}] * k)[int(video_index) - 1] or {}
            total = info.get("total_frames")
        else:
            images = self._videos[0] if self._videos else None
            total = getattr(md, "total_frames", None)
        if not getattr(md, "is_video", False) or not images:
            raise RuntimeError(f"{method} works on video inputs only; this sample is a set of "
                               f"images. Use segment_image_by_text / _by_box / _by_points on "
                               f"each image instead.")
        lo, hi = self._window(start_frame, end_frame, total, method)
        frames = [f for f in images if lo <= f.frame_index < hi]
        if not frames:
            raise ValueError(
                f"{method}: the window [{lo}, {hi}) contains none of the sampled frames "
                f"{abbreviate([f.frame_index for f in images], 10)}; choose start_frame/"
                f"end_frame around InputImages[k].frame_index values.")
        if isinstance(prompt_frame_idx, (bool, np.bool_)) or \
                not isinstance(prompt_frame_idx, (int, np.integer)) or prompt_frame_idx < 0:
            raise ValueError(f"{method}: prompt_frame_idx must be an int >= 0 (frames after "
                             f"start_frame), got {prompt_frame_idx!r}")
        target = lo + int(prompt_frame_idx)
        if target >= hi:
            raise ValueError(f"{method}: prompt_frame_idx={prompt_frame_idx} points at frame "
                             f"{target}, outside the window [{lo}, {hi})")
        p0 = int(np.argmin([abs(f.frame_index - target) for f in frames]))
        if frames[p0].frame_index != target:
            print(f"[SAM3] {method}: frame {target} (start_frame + prompt_frame_idx) is not a "
                  f"sampled frame; prompting on the nearest sampled frame "
                  f"{frames[p0].frame_index}.")
        return frames, p0

    def _window(self, start_frame, end_frame, total, method):
        for name, v in (("start_frame", start_frame), ("end_frame", end_frame)):
            if v is not None and (isinstance(v, (bool, np.bool_)) or
                                  not isinstance(v, (int, np.integer)) or v < 0):
                raise ValueError(f"{method}: {name} must be a non-negative int (absolute video "
                                 f"frame), got {v!r}")
        cap = self.max_video_frames
        if start_frame is not None and end_frame is not None:
            span = int(end_frame) - int(start_frame)
            if span <= 0:
                raise ValueError(f"{method}: end_frame ({end_frame}) must be greater than "
                                 f"start_frame ({start_frame}); end_frame is exclusive.")
            if span > cap:
                raise ValueError(
                    f"Requested frame range ({start_frame}–{end_frame}) is {span} frames, which "
                    f"exceeds the maximum of {cap}. Use a narrower start_frame/end_frame window.")
        elif total:
            lo = int(start_frame or 0)
            hi = int(end_frame) if end_frame is not None else int(total)
            if hi - lo > cap:
                raise ValueError(
                    f"Video has {total} frames (indices 0–{int(total) - 1}), which exceeds the "
                    f"maximum of {cap}. You MUST specify start_frame and end_frame to select a "
                    f"window of at most {cap} frames, e.g. start_frame={lo}, "
                    f"end_frame={lo + cap}.")
        lo = int(start_frame) if start_frame is not None else 0
        hi = int(end_frame) if end_frame is not None else \
            (int(total) if total else np.iinfo(np.int64).max)
        return lo, hi

    def _seed(self, image, params, what):
        masks, _ = self._detect(image, params)
        nonempty = masks.any(axis=(1, 2))
        if not nonempty.any():
            fi = getattr(image, "frame_index", 0)
            raise RuntimeError(f"SAM3: {what} found no object on the prompt frame {fi}; check "
                               f"the pixel coordinates on that frame (show it) or use "
                               f"segment_video_by_text.")
        return masks[int(np.argmax(nonempty))]

    def _candidates(self, image, prompt, thr=0.3):
        masks, scores = self._detect(image, {"mode": "text", "prompt": prompt})
        keep = (scores >= thr) & masks.any(axis=(1, 2))
        return masks[keep], scores[keep]

    def _follow(self, frames, p0, seed, label):
        """Masks (T, H, W) of one object over the window's sampled frames.

        seed None (text prompt): the most confident instance on the prompt frame (or on the
        frame where the prompt scores best). With a seed mask (point/box prompt), other frames
        are searched by re-prompting with the previous box and, when the label is a real name,
        by text; the candidate that continues the track is kept.
        """
        t_count = len(frames)
        w, h = _size(frames[p0])
        out = np.zeros((t_count, h, w), dtype=bool)
        diag = float(np.hypot(w, h))
        use_text = seed is None or label.strip().lower().rstrip("_0123456789") \
            not in _GENERIC_LABELS
        cache = {}

        def cands(t, prev):
            if t not in cache:
                cache[t] = self._candidates(frames[t], label)[0] if use_text else \
                    np.zeros((0, h, w), bool)
            c = cache[t]
            if prev is not None and seed is not None:
                ys, xs = np.nonzero(prev)
                pad_x, pad_y = 0.1 * (xs.max() - xs.min() + 1), 0.1 * (ys.max() - ys.min() + 1)
                x1, x2 = max(xs.min() - pad_x, 0), min(xs.max() + 1 + pad_x, w)
                y1, y2 = max(ys.min() - pad_y, 0), min(ys.max() + 1 + pad_y, h)
                m, _ = self._detect(frames[t], {"mode": "box", "box_xywh": [
                    x1 / w, y1 / h, (x2 - x1) / w, (y2 - y1) / h]})
                m = m[m.any(axis=(1, 2))][:1]
                return np.concatenate([c, m]), len(c)
            return c, len(c)

        if seed is None:
            first = cands(p0, None)[0]
            start = p0
            if not len(first):  # not on the prompt frame: start where the prompt scores best
                best = None
                for t in range(t_count):
                    if t == p0:
                        continue
                    m, s = self._candidates(frames[t], label)
                    cache[t] = m
                    if len(m) and (best is None or s[0] > best[0]):
                        best = (s[0], t)
                if best is None:
                    return out
                start = best[1]
            out[start] = resize_nearest(cache[start][0], (h, w))
        else:
            start = p0
            out[start] = seed
        for step in (1, -1):
            prev = out[start]
            t = start + step
            while 0 <= t < t_count:
                c, n_text = cands(t, prev if seed is not None else None)
                k = _link(prev, c, diag)
                # a re-prompted box must overlap the track; only text instances may jump
                if k is not None and k >= n_text and _iou(prev, c[k]) < 0.1:
                    k = None
                if k is not None:
                    out[t] = resize_nearest(c[k], (h, w))  # frames of a video share a size
                    prev = out[t]
                t += step
        return out

    def _video_result(self, frames, channels, labels, frame_indices, method):
        fis = [f.frame_index for f in frames]
        stack = np.stack(channels, axis=1)  # (T, N_obj, H, W)
        if frame_indices is not None:
            wanted = [int(f) for f in _as_list(frame_indices)]
            pos = {f: i for i, f in enumerate(fis)}
            missing = [f for f in wanted if f not in pos]
            if missing:
                print(f"[SAM3] {method}: frames {abbreviate(missing, 8)} are not sampled frames "
                      f"in the window; their masks are empty. Sampled frames: "
                      f"{abbreviate(fis, 8)}")
            sel = np.zeros((len(wanted),) + stack.shape[1:], dtype=bool)
            for i, f in enumerate(wanted):
                if f in pos:
                    sel[i] = stack[pos[f]]
            stack, out_fis = sel, wanted
        else:
            out_fis = fis
        by_fi = {f.frame_index: f for f in frames}
        found = [int(stack[:, i].any(axis=(1, 2)).sum())
                 for i in range(len(labels))]
        print(f"[SAM3] {method}: {len(out_fis)} frames "
              f"{abbreviate(out_fis, 6)}; found " +
              ", ".join(f"{lab!r} in {k}/{len(out_fis)}" for lab, k in zip(labels, found)))
        return PerFrameMask(stack, labels, list(range(len(labels))), out_fis,
                            frames={f: by_fi[f] for f in out_fis if f in by_fi})

    def __repr__(self):
        return ("SAM3Tool(segment_image_by_text, segment_image_by_points, segment_image_by_box, "
                "is_object_exist, segment_video_by_text, segment_video_by_points, "
                "segment_video_by_box)")


def _size(image):
    if isinstance(image, np.ndarray):
        return image.shape[1], image.shape[0]
    return image.size


def _points_per_object(points, point_labels, n_labels):
    """Normalise the forms agents write into ([[(x, y), ...] per object], [[0/1, ...]])."""
    P = _as_list(points)
    if _is_pair(P):
        objs = [[P]]
    elif isinstance(P, (list, tuple)) and P and all(_is_pair(p) for p in P):
        # [[x, y], ...]: one point per object when that matches the labels, else one object
        objs = [[p] for p in P] if n_labels == len(P) and n_labels > 1 else [list(P)]
    elif isinstance(P, (list, tuple)) and P and all(
            isinstance(o, (list, tuple)) and o and all(_is_pair(p) for p in o) for o in P):
        objs = [list(o) for o in P]
    else:
        raise ValueError("points_per_object must hold, per object, a list of [x, y] pixel "
                         "points, e.g. [[[120, 300]], [[400, 220]]] for two objects")
    L = _as_list(point_labels)
    if _is_number(L):
        L = [[L]]
    elif isinstance(L, (list, tuple)) and L and all(_is_number(v) for v in L):
        if len(objs) == 1 and len(L) == len(objs[0]):
            L = [L]
        elif all(len(o) == 1 for o in objs) and len(L) == len(objs):
            L = [[v] for v in L]
    if not isinstance(L, (list, tuple)) or len(L) != len(objs):
        raise ValueError(f"point_labels_per_object must give one list of 1/0 labels per "
                         f"object ({len(objs)} objects), got {point_labels!r}")
    labels = []
    for i, (o, l) in enumerate(zip(objs, L)):
        l = [l] if _is_number(l) else list(l)
        if len(l) != len(o):
            raise ValueError(f"object {i}: {len(o)} points but {len(l)} point labels")
        if not any(int(v) == 1 for v in l):
            raise ValueError(f"object {i}: needs at least one point labelled 1 (on the object)")
        labels.append([int(v) for v in l])
    return [[(float(x), float(y)) for x, y in o] for o in objs], labels
