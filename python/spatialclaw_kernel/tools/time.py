"""tools.Time: convert between absolute frame indices and seconds using the native fps."""

import math

import numpy as np


def _number(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                    np.floating)):
        if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
            value = value.item()
        else:
            raise TypeError(f"{name} must be a number (int or float), got "
                            f"{type(value).__name__}")
    value = float(value)
    if math.isnan(value):
        raise ValueError(f"{name} is NaN")
    return value


class TimeUtils:
    """Frame <-> time conversion with the video's native fps (Metadata.fps).

    Frame indices are ABSOLUTE (InputImages[k].frame_index), so frame 60 of a 30-fps video is
    2.0 s. Attributes: fps (1.0 when unknown), total_frames (0 when unknown).
    Multi-video samples: pass video_index=k (1-based) to use video k's fps.
    """

    def __init__(self, metadata=None):
        self._videos = list(getattr(metadata, "videos", None) or [])
        fps = getattr(metadata, "fps", None)
        total = getattr(metadata, "total_frames", None)
        if fps is None and self._videos:
            rates = {v.get("fps") for v in self._videos}
            if len(rates) == 1 and None not in rates:
                fps = rates.pop()
        if self._videos:
            totals = {v.get("total_frames") for v in self._videos}
            total = totals.pop() if len(totals) == 1 else None
        self.fps = float(fps) if fps else 1.0
        self.total_frames = int(total) if total else 0

    def _rate(self, video_index):
        if video_index is None:
            return self.fps, self.total_frames
        if not self._videos:
            return self.fps, self.total_frames
        k = int(video_index)
        if not 1 <= k <= len(self._videos):
            raise ValueError(f"video_index must be 1..{len(self._videos)}, got {video_index}")
        v = self._videos[k - 1]
        return float(v.get("fps") or 1.0), int(v.get("total_frames") or 0)

    def frame_to_seconds(self, frame_index, *, video_index=None):
        """Time in seconds (float) of absolute frame `frame_index` (= frame_index / fps).

        Example: t = tools.Time.frame_to_seconds(InputImages[5].frame_index)
        """
        f = _number(frame_index, "frame_index")
        fps, _ = self._rate(video_index)
        return 0.0 if fps <= 0 else f / fps

    def seconds_to_frame(self, seconds, *, video_index=None):
        """Absolute frame index (int) at time `seconds`: round(seconds * fps), clamped to
        [0, total_frames - 1] when total_frames is known."""
        s = _number(seconds, "seconds")
        fps, total = self._rate(video_index)
        if fps <= 0:
            return 0
        frame = max(int(round(s * fps)), 0)
        return min(frame, total - 1) if total > 0 else frame

    def frame_range_to_seconds(self, start_frame, end_frame, *, video_index=None):
        """Duration in seconds (float) between two absolute frames: (end - start) / fps."""
        a, b = _number(start_frame, "start_frame"), _number(end_frame, "end_frame")
        fps, _ = self._rate(video_index)
        return 0.0 if fps <= 0 else (b - a) / fps

    def get_frame_at_time(self, seconds, *, video_index=None):
        """Same as seconds_to_frame: absolute frame index (int) at time `seconds`."""
        return self.seconds_to_frame(seconds, video_index=video_index)

    def __repr__(self):
        return f"TimeUtils(fps={self.fps}, total_frames={self.total_frames})"
