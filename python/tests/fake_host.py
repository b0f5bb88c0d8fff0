"""An analytic fake of the Rust host's perception requests, for tests.

Scene (scene world: metres, +Y up, floor Y = 0): a floor patch and two axis-aligned boxes,
"red box" (A) and "blue box" (B), 1.0 m apart along X. Cameras are OpenCV pinholes placed by
look-at (optionally rolled), keyed by absolute frame index. Rendering is exact ray casting in
numpy, so depth, points and instance masks are ground truth.

Protocol semantics reproduced (docs/kernel-protocol.md):
- perception.reconstruct: points / poses in the FIRST requested camera's frame, confidence
  1 on surfaces and 0 on sky, K at the returned resolution. `model_scale` != 1 answers at a
  different resolution to exercise the client's nearest-neighbour resize.
- perception.segment: text ("floor"/"ground", "red box", "blue box", "box"), box (xywh
  normalised: the instance with the best IoU against the box) and points (instance under the
  first foreground point); masks (K, H, W) at the image's resolution, K = 0 when nothing.
"""

import numpy as np

FLOOR, BOX_A, BOX_B = 1, 2, 3
BOXES = {
    BOX_A: (np.array([-1.6, 0.0, -4.5]), np.array([-0.6, 0.8, -3.5])),
    BOX_B: (np.array([0.4, 0.0, -5.0]), np.array([1.2, 1.2, -4.0])),
}
FLOOR_EXTENT = (np.array([-6.0, -12.0]), np.array([6.0, 3.0]))  # x, z
COLOURS = {0: (200, 220, 255), FLOOR: (120, 120, 120), BOX_A: (220, 40, 40),
           BOX_B: (40, 60, 220)}


def look_at(eye, target, roll_deg=0.0):
    """4x4 camera-to-world pose, OpenCV axes (x right, y down, z forward)."""
    eye, target = np.asarray(eye, float), np.asarray(target, float)
    z = target - eye
    z /= np.linalg.norm(z)
    x = np.cross(z, [0.0, 1.0, 0.0])
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    r = np.radians(roll_deg)
    x, y = np.cos(r) * x + np.sin(r) * y, -np.sin(r) * x + np.cos(r) * y
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = x, y, z, eye
    return pose


class Camera:
    def __init__(self, pose, width=96, height=72, focal=80.0):
        self.pose = pose
        self.w, self.h = width, height
        self.K = np.array([[focal, 0, (width - 1) / 2], [0, focal, (height - 1) / 2],
                           [0, 0, 1.0]])

    def render(self):
        """(world points (H, W, 3), camera depth (H, W), instance ids (H, W))."""
        u, v = np.meshgrid(np.arange(self.w, dtype=float), np.arange(self.h, dtype=float))
        rays_c = np.stack([(u - self.K[0, 2]) / self.K[0, 0],
                           (v - self.K[1, 2]) / self.K[1, 1], np.ones_like(u)], axis=-1)
        rays = rays_c @ self.pose[:3, :3].T  # world directions; camera z component = 1
        eye = self.pose[:3, 3]
        t_best = np.full(u.shape, np.inf)
        ids = np.zeros(u.shape, dtype=int)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = -eye[1] / rays[..., 1]
            p = eye + t[..., None] * rays
            lo, hi = FLOOR_EXTENT
            hit = (t > 0) & (p[..., 0] >= lo[0]) & (p[..., 0] <= hi[0]) & \
                (p[..., 2] >= lo[1]) & (p[..., 2] <= hi[1])
            t_best[hit], ids[hit] = t[hit], FLOOR
            for oid, (bmin, bmax) in BOXES.items():
                t1 = (bmin - eye) / rays
                t2 = (bmax - eye) / rays
                tn = np.nanmax(np.minimum(t1, t2), axis=-1)
                tf = np.nanmin(np.maximum(t1, t2), axis=-1)
                hit = (tn <= tf) & (tn > 0) & (tn < t_best)
                t_best[hit], ids[hit] = tn[hit], oid
        t_best[ids == 0] = 100.0  # sky: far away, confidence 0
        points = eye + t_best[..., None] * rays
        return points, t_best, ids

    def rgb(self):
        _, _, ids = self.render()
        img = np.zeros(ids.shape + (3,), dtype=np.uint8)
        for oid, col in COLOURS.items():
            img[ids == oid] = col
        return img


def default_cameras():
    """Frame index -> Camera: a pitched, rolled first camera and a second one to its right."""
    target = [-0.2, 0.4, -4.2]
    return {
        0: Camera(look_at([0.5, 1.5, 1.0], target, roll_deg=4.0)),
        30: Camera(look_at([1.5, 1.4, 0.5], target)),
        60: Camera(look_at([2.2, 1.3, -0.5], target)),
    }


class FakeHost:
    """Callable transport for spatialclaw_kernel.host.set_transport."""

    def __init__(self, cameras=None, model_scale=1.0, ground_ok=True):
        self.cameras = cameras or default_cameras()
        self.model_scale = model_scale
        self.ground_ok = ground_ok
        self.calls = []

    def frame(self, fi):
        return self.cameras[fi].rgb()

    def __call__(self, method, params, arrays):
        self.calls.append((method, dict(params), [a.shape for a in arrays]))
        try:
            if method == "perception.reconstruct":
                return self._reconstruct(params, arrays)
            if method == "perception.segment":
                return self._segment(params, arrays)
        except (KeyError, ValueError) as e:
            return {"ok": False, "error": {"type": "ValueError", "message": str(e)}}, []
        return {"ok": False, "error": {"type": "RuntimeError",
                                       "message": f"unknown method {method}"}}, []

    def _reconstruct(self, params, arrays):
        fis = params["frame_indices"]
        rgb = arrays[0]
        assert rgb.dtype == np.uint8 and rgb.shape[0] == len(fis)
        inv0 = np.linalg.inv(self.cameras[fis[0]].pose)
        pts, confs, poses, Ks = [], [], [], []
        for fi in fis:
            cam = self.cameras[fi]
            if self.model_scale != 1.0:
                cam = Camera(cam.pose, round(cam.w * self.model_scale),
                             round(cam.h * self.model_scale), cam.K[0, 0] * self.model_scale)
            p, _, ids = cam.render()
            pts.append(p @ inv0[:3, :3].T + inv0[:3, 3])
            confs.append((ids > 0).astype(np.float32) * 2.0)  # DA3-like: > 1 on surfaces
            poses.append(inv0 @ cam.pose)
            Ks.append(cam.K)
        return ({"ok": True, "metric_scale": 1.0, "backend": "fake"},
                [np.asarray(pts, np.float32), np.asarray(confs, np.float32),
                 np.asarray(poses), np.asarray(Ks)])

    def _segment(self, params, arrays):
        fi = params["frame_index"]
        cam = self.cameras[fi]
        _, _, ids = cam.render()
        img = arrays[0]
        if img.shape[:2] != ids.shape:  # answer at the image's resolution
            rows = (np.arange(img.shape[0]) * ids.shape[0]) // img.shape[0]
            cols = (np.arange(img.shape[1]) * ids.shape[1]) // img.shape[1]
            ids = ids[rows[:, None], cols[None, :]]
        h, w = ids.shape
        found = []  # (instance id, score)
        mode = params["mode"]
        if mode == "text":
            p = params["prompt"].lower()
            if ("floor" in p or "ground" in p) and self.ground_ok:
                found = [(FLOOR, 0.95)]
            elif "red" in p and "box" in p:
                found = [(BOX_A, 0.9)]
            elif "blue" in p and "box" in p:
                found = [(BOX_B, 0.85)]
            elif "box" in p or "cube" in p:
                found = [(BOX_B, 0.8), (BOX_A, 0.9)]  # unsorted on purpose
        elif mode == "box":
            x, y, bw, bh = params["box_xywh"]
            rect = np.zeros((h, w), bool)
            rect[int(y * h):int(np.ceil((y + bh) * h)),
                 int(x * w):int(np.ceil((x + bw) * w))] = True
            best = max((np.count_nonzero(rect & (ids == k)) / np.count_nonzero(rect | (ids == k)),
                        k) for k in (FLOOR, BOX_A, BOX_B))
            if best[0] > 0:
                found = [(best[1], 0.9)]
        elif mode == "points":
            for (px, py), lab in zip(params["points"], params["point_labels"]):
                if lab == 1:
                    k = ids[min(int(py * h), h - 1), min(int(px * w), w - 1)]
                    if k:
                        found = [(int(k), 0.9)]
                    break
        masks = [ids == k for k, _ in found if (ids == k).any()]
        scores = [s for k, s in found if (ids == k).any()]
        return ({"ok": True, "scores": scores},
                [np.asarray(masks, bool).reshape(len(masks), h, w)])


def make_session(frames=(0, 30, 60), is_video=True, fps=30.0, total_frames=90, options=None,
                 **fake_kwargs):
    """(fake host installed as transport, InputImages, Metadata, tools dict) for a test."""
    from spatialclaw_kernel import host
    from spatialclaw_kernel.tools import build_tools
    from spatialclaw_kernel.types import InputImages, Metadata

    fake = FakeHost(**fake_kwargs)
    host.set_transport(fake)
    images = InputImages([fake.frame(f) for f in frames], list(frames))
    meta = Metadata(is_video=is_video, fps=fps if is_video else None,
                    total_frames=total_frames if is_video else len(frames),
                    num_images=len(frames))
    return fake, images, meta, build_tools(meta, images, options or {})
