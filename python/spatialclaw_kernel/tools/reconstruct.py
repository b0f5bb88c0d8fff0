"""tools.Reconstruct: metric 3D reconstruction through the host, aligned to gravity here.

The host answers `perception.reconstruct` with points and poses in the FIRST camera's frame
(docs/kernel-protocol.md). This client derives depth, finds the floor (a `perception.segment`
text request + RANSAC) and rotates/shifts everything into the agent's world frame: +Y up, floor
at Y = 0, first camera looking along -Z (tools-perception.md §4.2).
"""

import numpy as np
from PIL import Image

from .. import host
from ..per_frame import (PerFrameDepth, PerFrameExtrinsics, PerFrameIntrinsics,
                         PerFramePointMap, Reconstruction)
from ..types import FrameImage, to_rgb_array
from .common import int_list, resize_nearest, resize_nearest_hw
from .geometry import GeometryUtils

GROUND_PROMPT = "ground floor surface"
CONF_THRESHOLD = 0.3


class ReconstructTool:
    """Metric 3D reconstruction (depth, point maps, camera poses) of a set of frames.

    Usage: recon = tools.Reconstruct.Reconstruct(InputImages[::2]); at most MAX_FRAMES (64)
    frames per call (8-32 is the sweet spot: more frames = slower; subsample with a slice).
    """

    MAX_FRAMES = 64

    def __init__(self, max_frames=None, metadata=None):
        if max_frames is not None:
            self.MAX_FRAMES = int(max_frames)
        self._is_video = bool(getattr(metadata, "is_video", False))

    @property
    def is_available(self):
        """True when a perception host is connected (never blocks)."""
        return getattr(host, "_transport", None) is not None

    def Reconstruct(self, frames, frame_indices=None):
        """Reconstruct frames jointly in 3D -> Reconstruction, indexed by absolute frame index.

        frames: InputImages, a slice such as InputImages[::4], a list of frames, or one frame;
          at most MAX_FRAMES (64) frames, all the same size.
        frame_indices: optional absolute indices; default = each frame's .frame_index.
        World frame: metres, +Y up, floor at Y = 0, first frame's camera looking along -Z.
        Returns Reconstruction: recon.points[fi] (H, W, 3) float32, recon.depth[fi] (H, W)
        float32, recon.extrinsics[fi] (4, 4) float64 camera-to-world (cols: right, down,
        forward, position), recon.intrinsics[fi] dict fx, fy, cx, cy; all at the frames'
        resolution.
        Example: recon = tools.Reconstruct.Reconstruct(InputImages[::4])
                 fi = recon.frame_indices[0]; cam = recon.extrinsics[fi][:3, 3]
        """
        frames = self._frame_list(frames)
        fis = self._frame_indices(frames, frame_indices)
        dups = sorted({f for f in fis if fis.count(f) > 1})
        if dups:
            print(f"[WARNING] Reconstruct: frames share absolute indices {dups[:8]} (the same "
                  f"frame twice, or frames of different videos); recon.<part>[fi] returns the "
                  f"first. Pass frame_indices=[...] with distinct values to address each.")
        sizes = [f.size for f in frames]
        if len(set(sizes)) > 1:
            groups = {}
            for fi, s in zip(fis, sizes):
                groups.setdefault(s, []).append(fi)
            listing = "; ".join(f"{w}x{h}: frames {v[:8]}{' ...' if len(v) > 8 else ''}"
                                for (w, h), v in groups.items())
            raise ValueError(
                f"Reconstruct needs frames of one size, got {len(groups)} sizes ({listing}). "
                f"Reconstruct each size group separately.")
        rgb = np.stack([to_rgb_array(f) for f in frames])
        n, h, w = rgb.shape[:3]

        try:
            header, arrays = host.call("perception.reconstruct", {"frame_indices": fis}, [rgb])
        except RuntimeError as e:
            raise RuntimeError(f"Reconstruction failed: {e}") from None
        points, conf, poses, K = self._check_reply(arrays, n)

        hm, wm = conf.shape[1:3]
        if (hm, wm) != (h, w):  # host answered at model resolution: stretch back (nearest)
            points = resize_nearest_hw(points, (h, w))
            conf = resize_nearest_hw(conf, (h, w))
            K = K.copy()
            K[:, 0, :] *= w / wm
            K[:, 1, :] *= h / hm

        points = np.ascontiguousarray(points)
        depth = self._camera_depth(points, poses)
        ground = self._ground_mask(rgb[0], fis[0], (h, w))
        A, gravity, height = self._alignment(points, conf, poses[0], ground)

        # One affine pass over all points: p' = A p + (0, -height, 0).
        world = np.empty(points.shape, dtype=np.float32)  # C order: reshape below is a view
        np.matmul(points.reshape(-1, 3), A.T.astype(np.float32), out=world.reshape(-1, 3))
        world[..., 1] -= np.float32(height)
        T = np.eye(4)
        T[:3, :3] = A
        T[1, 3] = -height
        world_poses = T @ poses

        fx, fy, cx, cy = K[:, 0, 0], K[:, 1, 1], K[:, 0, 2], K[:, 1, 2]
        return Reconstruction(
            points=PerFramePointMap(world, conf, fis),
            depth=PerFrameDepth(depth, fis, confidence=conf),
            intrinsics=PerFrameIntrinsics(fx, fy, cx, cy, fis),
            extrinsics=PerFrameExtrinsics(world_poses, fis),
            metric_scale=float(header.get("metric_scale", 1.0)),
            gravity_direction=gravity, frame_indices=fis, rgb=rgb, is_video=self._is_video)

    # ------------------------------------------------------------------ argument handling

    def _frame_list(self, frames):
        if isinstance(frames, (Image.Image, FrameImage)):
            return [frames]
        if not isinstance(frames, (list, tuple)):
            hint = " (a numpy array: pass the frames themselves, e.g. InputImages[::2])" \
                if isinstance(frames, np.ndarray) else ""
            raise TypeError(f"Reconstruct(frames) takes a list of frames (InputImages, "
                            f"InputImages[::2], [InputImages[0], InputImages[5]]) or one frame, "
                            f"got {type(frames).__name__}{hint}")
        frames = list(frames)
        if not frames:
            raise ValueError("Reconstruct needs at least one frame; got an empty list")
        if len(frames) > self.MAX_FRAMES:
            step = len(frames) // self.MAX_FRAMES + 1
            kept = len(range(0, len(frames), step))
            raise ValueError(
                f"Reconstruct accepts at most {self.MAX_FRAMES} frames, got {len(frames)}. "
                f"Subsample first, e.g.:\n  recon = tools.Reconstruct.Reconstruct("
                f"InputImages[::{step}])  # {kept} frames")
        for i, f in enumerate(frames):
            if not isinstance(f, (Image.Image, FrameImage)):
                raise TypeError(f"frames[{i}] is a {type(f).__name__}; Reconstruct takes "
                                f"FrameImage or PIL images such as InputImages[k]")
        return frames

    @staticmethod
    def _frame_indices(frames, frame_indices):
        if frame_indices is not None:
            fis = int_list(frame_indices, "frame_indices")
            if len(fis) != len(frames):
                raise ValueError(f"frame_indices has {len(fis)} entries for {len(frames)} "
                                 f"frames")
            return fis
        tagged = [isinstance(f, FrameImage) for f in frames]
        if all(tagged):
            return [f.frame_index for f in frames]
        if not any(tagged):
            return list(range(len(frames)))
        raise ValueError("frames mix FrameImages and plain PIL images, so their absolute frame "
                         "indices are unknown; pass frame_indices=[...] explicitly")

    @staticmethod
    def _check_reply(arrays, n):
        if len(arrays) < 4:
            raise RuntimeError(f"Reconstruction failed: the host returned {len(arrays)} arrays, "
                               f"expected points, confidence, camera_poses, intrinsics")
        points = np.asarray(arrays[0], dtype=np.float32)
        conf = np.asarray(arrays[1], dtype=np.float32)
        poses = np.asarray(arrays[2], dtype=np.float64)
        K = np.asarray(arrays[3], dtype=np.float64)
        ok = (points.ndim == 4 and points.shape[0] == n and points.shape[3] == 3 and
              conf.shape == points.shape[:3] and poses.shape == (n, 4, 4) and
              K.shape == (n, 3, 3))
        if not ok:
            raise RuntimeError(
                f"Reconstruction failed: unexpected reply shapes points {points.shape}, "
                f"confidence {conf.shape}, poses {poses.shape}, intrinsics {K.shape}")
        return points, conf, poses, K

    # ------------------------------------------------------------------ geometry

    @staticmethod
    def _camera_depth(points, poses):
        """Camera-frame z of every point: (p - centre) . forward, per frame (rigid-invariant)."""
        n, h, w = points.shape[:3]
        depth = np.empty((n, h * w), dtype=np.float32)
        for i in range(n):
            forward = poses[i, :3, 2].astype(np.float32)
            np.matmul(points[i].reshape(-1, 3), forward, out=depth[i])
            depth[i] -= np.float32(poses[i, :3, 3] @ poses[i, :3, 2])
        return depth.reshape(n, h, w)

    @staticmethod
    def _ground_mask(rgb0, frame_index, shape):
        """Union of confident 'ground floor surface' masks on frame 0, or None."""
        try:
            header, arrays = host.call(
                "perception.segment",
                {"frame_index": int(frame_index), "mode": "text", "prompt": GROUND_PROMPT},
                [rgb0])
        except Exception:  # no floor found or segmenter down: gravity falls back to camera 0
            return None
        if not arrays or np.asarray(arrays[0]).ndim != 3 or len(arrays[0]) == 0:
            return None
        masks = np.asarray(arrays[0]).astype(bool, copy=False)
        scores = np.asarray(header.get("scores") or [], dtype=float)
        if scores.shape == (len(masks),):
            keep = scores >= CONF_THRESHOLD
            masks = masks[keep] if keep.any() else masks[[int(np.argmax(scores))]]
        ground = resize_nearest(masks.any(axis=0), shape)  # fixes quirk 9 (size mismatch)
        return ground if ground.any() else None

    @staticmethod
    def _alignment(points, conf, pose0, ground):
        """(rotation A, gravity_direction, ground height) mapping first-camera coordinates to
        the gravity-aligned world."""
        geo = GeometryUtils
        conf0 = conf[0] if ground is None else np.where(ground, conf[0], 0.0)
        normal, _ = geo.fit_ground_plane_ransac(points[0], conf0, CONF_THRESHOLD)
        up0 = -pose0[:3, 1]  # camera 0's "up" = minus its image-down axis
        if normal is not None:
            if normal @ up0 < 0:
                normal = -normal
            # Without a floor mask the dominant plane may be a wall: accept only planes
            # within 45 degrees of camera 0's up.
            if ground is None and normal @ up0 / np.linalg.norm(up0) < np.cos(np.radians(45)):
                normal = None
        if normal is not None:
            R = geo.rotation_matrix_from_vectors(normal, [0.0, 1.0, 0.0])
            gravity = R @ normal
        else:
            R = geo.rotation_matrix_from_vectors(pose0[:3, 1], [0.0, -1.0, 0.0])
            gravity = np.array([0.0, 1.0, 0.0])

        height = None
        ry = R[1].astype(np.float32)
        if ground is not None and normal is not None:
            sel = ground & (conf[0] > CONF_THRESHOLD)
            if sel.sum() > 50:
                height = float(np.median(points[0][sel] @ ry))
        if height is None:
            # 5th percentile of heights over all frames (subsampled to ~2M points).
            step = max(1, int(np.sqrt(conf.size / 2e6)))
            sub_c = conf[:, ::step, ::step]
            valid = sub_c > CONF_THRESHOLD
            if valid.sum() >= 100:
                height = float(np.percentile(points[:, ::step, ::step][valid] @ ry, 5))
            else:
                height = 0.0

        # Yaw about +Y so that camera 0's forward, projected on XZ, is -Z.
        f = R @ pose0[:3, 2]
        nxz = np.hypot(f[0], f[2])
        A = R
        if nxz >= 1e-6:
            c, s = -f[2] / nxz, f[0] / nxz
            yaw = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
            A = yaw @ R
        return A, np.asarray(gravity, dtype=np.float64), height

    def __repr__(self):
        return f"ReconstructTool(MAX_FRAMES={self.MAX_FRAMES})"
