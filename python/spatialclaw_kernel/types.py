"""The kernel's input objects: FrameImage, InputImages, Metadata and VisualFeedback.

Every frame carries its ABSOLUTE frame index (the frame number in the original video at native
fps; 0..n-1 for image sets). Slicing InputImages keeps those indices, and every tool result is
indexed by them, so `InputImages[k].frame_index` is the key to use with `recon.depth[...]`,
`seg.get_mask(frame=...)` and friends.
"""

import math
import os

import numpy as np
from PIL import Image

# DA3 model input shapes (W, H); InputImages are snapped to the closest aspect so the
# reconstruction backend never has to crop (tools-perception.md §9.1).
_DA3_SHAPES = [(504, 504), (504, 378), (504, 336), (504, 280), (336, 504), (896, 504),
               (756, 504), (672, 504)]


def resize_for_backend(img, max_edge=768, backend="da3"):
    """Resize a PIL image the way the agent's InputImages are prepared.

    backend "da3": snap to the DA3 shape whose aspect is closest (ties: larger area),
    centre-crop to that aspect, then resize to a long edge of about `max_edge` keeping the
    shape's reduced ratio (16:9 -> 768x432). Any other backend: keep the aspect and scale the
    long edge to `max_edge`.
    """
    if max_edge is None:
        return img
    w, h = img.size
    if backend == "da3":
        aspect = w / h
        tw, th = min(_DA3_SHAPES, key=lambda s: (abs(s[0] / s[1] - aspect), -s[0] * s[1]))
        # centre-crop to the target aspect
        if w * th > h * tw:
            cw, ch = round(h * tw / th), h
        else:
            cw, ch = w, round(w * th / tw)
        left, top = (w - cw) // 2, (h - ch) // 2
        if (cw, ch) != (w, h):
            img = img.crop((left, top, left + cw, top + ch))
        g = math.gcd(tw, th)
        k, m = tw // g, th // g
        s = max(1, max_edge // max(k, m))
        size = (k * s, m * s)
    else:
        scale = max_edge / max(w, h)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
    if size != img.size:
        img = img.resize(size, Image.LANCZOS)
    return img


def to_pil(image, what="image"):
    """PIL image from a PIL image, FrameImage or uint8 (H, W, 3) array; TypeError otherwise."""
    if isinstance(image, FrameImage):
        return image.image
    if isinstance(image, Image.Image):
        return image
    if isinstance(image, np.ndarray):
        arr = image
        if arr.ndim == 3 and arr.shape[2] in (3, 4) or arr.ndim == 2:
            if arr.dtype != np.uint8:
                if np.issubdtype(arr.dtype, np.floating) and arr.size and np.nanmax(arr) <= 1.0:
                    arr = arr * 255.0
                arr = np.clip(np.nan_to_num(arr), 0, 255).astype(np.uint8)
            return Image.fromarray(np.ascontiguousarray(arr))
        raise ValueError(f"{what} array must be (H, W, 3) RGB, got shape {arr.shape}")
    raise TypeError(
        f"{what} must be a PIL image or FrameImage (e.g. InputImages[0]), "
        f"got {type(image).__name__}")


def to_rgb_array(image, what="image"):
    """(H, W, 3) uint8 RGB pixels of a PIL image, FrameImage or array."""
    if isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 3 \
            and image.shape[2] == 3:
        return np.ascontiguousarray(image)
    pil = to_pil(image, what)
    if pil.mode != "RGB":
        pil = pil.convert("RGB")
    return np.asarray(pil)


class FrameImage:
    """One input frame: behaves like a PIL image and knows its absolute `frame_index`.

    `frame.frame_index` is the frame number in the original video (image sets: 0..n-1); use it
    (not the list position) to index tool results. PIL attributes are delegated:
    `frame.width`, `frame.height`, `frame.size`, `frame.crop(...)`, and `np.array(frame)`
    gives (H, W, 3) uint8. Pass frames directly to tools and show().
    Example: fi = InputImages[3].frame_index; depth = recon.depth[fi]
    """

    __slots__ = ("frame_index", "_image", "_path", "_max_edge", "_backend")

    def __init__(self, image_or_path, frame_index, max_edge=None, backend="pi3"):
        self._image = None
        self._path = None
        self._max_edge = max_edge
        self._backend = backend
        if isinstance(image_or_path, FrameImage):
            self._image = image_or_path._image
            self._path = image_or_path._path
            self._max_edge = image_or_path._max_edge if max_edge is None else max_edge
            self._backend = image_or_path._backend
        elif isinstance(image_or_path, Image.Image):
            self._image = image_or_path
        elif isinstance(image_or_path, np.ndarray):
            self._image = to_pil(image_or_path)
        elif isinstance(image_or_path, (str, os.PathLike)):
            self._path = os.fspath(image_or_path)
        else:
            raise TypeError(
                f"FrameImage needs a PIL image, an (H, W, 3) array or a path, "
                f"got {type(image_or_path).__name__}")
        self.frame_index = int(frame_index)

    @property
    def image(self):
        """The decoded PIL image (RGB), loaded on first access."""
        if self._image is None:
            with Image.open(self._path) as f:
                img = f.convert("RGB")
            if self._max_edge is not None:
                img = resize_for_backend(img, self._max_edge, self._backend)
            self._image = img
        return self._image

    @property
    def is_loaded(self):
        return self._image is not None

    def __getattr__(self, name):
        # Only reached for names not defined here: delegate to the PIL image. Private and
        # dunder names are not delegated (copy/pickle probe those before slots are set).
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.image, name)

    @property
    def __array_interface__(self):
        return self.image.__array_interface__

    def __array__(self, dtype=None, copy=None):
        arr = np.asarray(self.image)
        if dtype is not None:
            arr = arr.astype(dtype)
        elif copy:
            arr = arr.copy()
        return arr

    def __reduce__(self):
        # Lightweight pickling: by path when there is one.
        src = self._path if self._path is not None else self._image
        return (FrameImage, (src, self.frame_index, self._max_edge, self._backend))

    def __repr__(self):
        if self._image is not None:
            return f"FrameImage(frame_index={self.frame_index}, size={self._image.size})"
        return f"FrameImage(frame_index={self.frame_index}, path={self._path!r})"


def abbreviate(indices, limit=6):
    """'[a, b, c]' or '[a, b, ..., y, z]' for long frame lists."""
    indices = list(indices)
    if len(indices) <= limit:
        return "[" + ", ".join(str(i) for i in indices) + "]"
    return (f"[{indices[0]}, {indices[1]}, ..., {indices[-2]}, {indices[-1]}]")


class InputImages(list):
    """All sampled frames of the sample, as a list of FrameImage.

    `InputImages[k]` is the k-th sampled frame (a list position); its absolute frame number is
    `InputImages[k].frame_index`. Slices keep absolute indices: `InputImages[::4]`,
    `InputImages[:32]` are InputImages you can pass to tools. A list of positions also works:
    `InputImages[[0, 5, 9]]`. `InputImages.frame_indices` lists all absolute indices.
    Example: recon = tools.Reconstruct.Reconstruct(InputImages[::2])
    """

    def __init__(self, images=(), frame_indices=None, max_edge=None, backend="pi3"):
        images = list(images or [])
        if frame_indices is None or len(frame_indices) == 0:
            frame_indices = [getattr(im, "frame_index", i) if isinstance(im, FrameImage) else i
                             for i, im in enumerate(images)]
        if len(frame_indices) != len(images):
            raise ValueError(
                f"InputImages got {len(images)} images but {len(frame_indices)} frame indices")
        frames = []
        for im, fi in zip(images, frame_indices):
            if isinstance(im, FrameImage) and im.frame_index == int(fi) and max_edge is None:
                frames.append(im)
            else:
                frames.append(FrameImage(im, int(fi), max_edge=max_edge, backend=backend))
        super().__init__(frames)

    @property
    def frame_indices(self):
        """Absolute frame index of every element, in order (list of int)."""
        return [f.frame_index for f in self]

    def __getitem__(self, key):
        if isinstance(key, slice):
            return InputImages(list.__getitem__(self, key))
        if isinstance(key, (list, tuple, np.ndarray)) and not isinstance(key, str):
            arr = np.asarray(key)
            if arr.dtype == bool:
                if arr.shape != (len(self),):
                    raise IndexError(
                        f"boolean selection needs {len(self)} entries, got {arr.shape}")
                arr = np.flatnonzero(arr)
            if arr.size and not np.issubdtype(arr.dtype, np.integer):
                raise TypeError(
                    f"InputImages positions must be integers, got {arr.dtype} values")
            return InputImages([list.__getitem__(self, int(i)) for i in arr.reshape(-1)])
        if isinstance(key, (float, np.floating)):
            raise TypeError(
                f"InputImages positions must be integers, got {key!r}; use int(...). "
                "Positions count sampled frames (0..len-1); absolute video frame numbers are "
                "in InputImages[k].frame_index.")
        try:
            return list.__getitem__(self, key)
        except IndexError:
            raise IndexError(
                f"InputImages has {len(self)} frames (positions 0..{len(self) - 1}); got "
                f"position {key}. If {key} is an absolute frame number, use "
                f"InputImages.frame_indices.index({key}) to find its position.") from None

    def __add__(self, other):
        items = list(self) + list(other)
        if all(isinstance(f, FrameImage) for f in items):
            return InputImages(items)
        return items

    def __repr__(self):
        return f"InputImages({len(self)} images, frame_indices={abbreviate(self.frame_indices)})"


class Metadata:
    """Facts about the sample's input.

    Attributes: is_video (bool), fps (native video fps or None), total_frames (native frame
    count; image sets: number of images), duration_sec, num_images (= len(InputImages)),
    video_source, num_videos, videos (multi-video: list of dicts with name, fps, num_frames,
    total_frames, duration_sec). `Metadata.to_dict()` returns them all.
    """

    def __init__(self, is_video=None, fps=None, total_frames=None, duration_sec=None,
                 num_images=0, video_source=None, videos=None, num_videos=1, **extra):
        if is_video is None:
            is_video = fps is not None or video_source is not None or bool(videos)
        self.is_video = bool(is_video)
        self.fps = None if fps is None else float(fps)
        self.total_frames = None if total_frames is None else int(total_frames)
        self.duration_sec = None if duration_sec is None else float(duration_sec)
        self.num_images = int(num_images)
        self.video_source = video_source
        self.videos = videos
        self.num_videos = int(num_videos)
        for key, value in extra.items():
            setattr(self, key, value)

    def to_dict(self):
        """All public attributes as a dict."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def __repr__(self):
        if self.videos:
            names = [v.get("name", f"video_{i + 1}") for i, v in enumerate(self.videos)]
            return (f"Metadata(num_videos={self.num_videos}, videos={names}, "
                    f"num_images={self.num_images})")
        return (f"Metadata(is_video={self.is_video}, fps={self.fps}, "
                f"total_frames={self.total_frames}, duration_sec={self.duration_sec}, "
                f"num_images={self.num_images})")


class VisualFeedback:
    """An image produced by a tool (mask overlay, BEV, plot) plus a text description.

    Pass it to show() to look at it. Attributes: image (PIL), source (str), description (str),
    frame_index (int or None).
    """

    def __init__(self, image, source="", description="", frame_index=None):
        if isinstance(image, FrameImage):
            image = image.image
        if not isinstance(image, Image.Image):
            raise TypeError(f"VisualFeedback needs a PIL image, got {type(image).__name__}")
        self.image = image
        self.source = str(source)
        self.description = str(description)
        self.frame_index = None if frame_index is None else int(frame_index)

    def __repr__(self):
        return (f"VisualFeedback(source={self.source!r}, description={self.description!r}, "
                f"size={self.image.size}, frame_index={self.frame_index})")
