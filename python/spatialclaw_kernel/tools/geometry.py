"""tools.Geometry: small, exact geometry helpers (numpy only)."""

import numpy as np


def _vec(v, name):
    try:
        return np.asarray(v, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be numeric (list or numpy array), got "
                        f"{type(v).__name__}") from None


class GeometryUtils:
    """Geometry helpers: distances, angles, projection, rotations, plane fitting, 0-1000
    coordinate conversion. All methods are static: tools.Geometry.<method>(...)."""

    @staticmethod
    def euclidean_distance(p1, p2):
        """Straight-line distance between two points (any dimension), as a float.

        p1, p2: same-shape sequences or arrays, e.g. two get_centroid_3d() results (metres).
        NaN inputs give NaN. Example: d = tools.Geometry.euclidean_distance(c1, c2)
        """
        a, b = _vec(p1, "p1").reshape(-1), _vec(p2, "p2").reshape(-1)
        if a.shape != b.shape:
            raise ValueError(f"euclidean_distance: p1 has {a.size} values but p2 has {b.size}; "
                             f"pass two points of the same dimension")
        return float(np.linalg.norm(a - b))

    @staticmethod
    def angle_between_vectors(v1, v2):
        """Angle between two 3D vectors in degrees (0..180), as a float.

        v1, v2: length-3 vectors (one each, not batches). Zero-length vectors -> ValueError.
        Example: tools.Geometry.angle_between_vectors(pose_a[:3, 2], pose_b[:3, 2])
        """
        a, b = _vec(v1, "v1"), _vec(v2, "v2")
        for name, v in (("v1", a), ("v2", b)):
            if v.shape != (3,):
                raise ValueError(f"angle_between_vectors: {name} must be one 3D vector of "
                                 f"shape (3,), got {v.shape}; index a batch first, e.g. "
                                 f"vectors[0]")
        na, nb = np.linalg.norm(a), np.linalg.norm(b)
        if na < 1e-12 or nb < 1e-12:
            raise ValueError("angle_between_vectors: a zero-length vector has no direction")
        return float(np.degrees(np.arccos(np.clip(a @ b / (na * nb), -1.0, 1.0))))

    @staticmethod
    def project_point_to_camera(point_3d, extrinsic_c2w, fx, fy, cx, cy):
        """Project a world point into a camera image: (u, v) pixels as floats, or None when the
        point is behind the camera.

        extrinsic_c2w: recon.extrinsics[fi] (4x4 camera-to-world); fx, fy, cx, cy: from
        recon.intrinsics[fi]. Example:
          K = recon.intrinsics[fi]
          uv = tools.Geometry.project_point_to_camera(c, recon.extrinsics[fi], **K)
        """
        p = _vec(point_3d, "point_3d")
        pose = _vec(extrinsic_c2w, "extrinsic_c2w")
        if p.shape != (3,):
            raise ValueError(f"project_point_to_camera: point_3d must have shape (3,), got "
                             f"{p.shape}")
        if pose.shape != (4, 4):
            raise ValueError(f"project_point_to_camera: extrinsic_c2w must be 4x4 "
                             f"(recon.extrinsics[fi]), got {pose.shape}")
        r, t = pose[:3, :3], pose[:3, 3]
        x, y, z = r.T @ (p - t)  # world -> camera (rigid inverse)
        if z <= 0:
            return None
        return float(fx * x / z + cx), float(fy * y / z + cy)

    @staticmethod
    def rotation_matrix_from_vectors(v_from, v_to):
        """(3, 3) rotation matrix turning direction v_from onto direction v_to.

        Example: R = tools.Geometry.rotation_matrix_from_vectors(normal, [0, 1, 0])
        """
        a = _vec(v_from, "v_from").reshape(3)
        b = _vec(v_to, "v_to").reshape(3)
        a = a / (np.linalg.norm(a) + 1e-12)
        b = b / (np.linalg.norm(b) + 1e-12)
        v, c = np.cross(a, b), float(a @ b)
        if np.linalg.norm(v) < 1e-8:
            if c > 0:
                return np.eye(3)
            # opposite: rotate 180 degrees about any axis perpendicular to a
            helper = np.array([0.0, 1.0, 0.0]) if abs(a[0]) >= 0.9 else np.array([1.0, 0.0, 0.0])
            p = np.cross(a, helper)
            p /= np.linalg.norm(p)
            return 2.0 * np.outer(p, p) - np.eye(3)
        vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
        return np.eye(3) + vx + vx @ vx / (1.0 + c)

    @staticmethod
    def transform_points(points, matrix):
        """Apply a 4x4 rigid/affine transform to points (..., 3); returns float64, same shape.

        Example: cam_pts = tools.Geometry.transform_points(pts, np.linalg.inv(pose))
        """
        if not isinstance(points, np.ndarray):
            raise TypeError(f"transform_points: points must be a numpy array (..., 3), got "
                            f"{type(points).__name__}; wrap it with np.array(...)")
        if points.ndim == 0 or points.shape[-1] != 3:
            raise ValueError(f"transform_points: points must have last dimension 3, got shape "
                             f"{points.shape}")
        m = _vec(matrix, "matrix")
        if m.shape != (4, 4):
            raise ValueError(f"transform_points: matrix must be 4x4, got {m.shape}")
        flat = points.reshape(-1, 3).astype(np.float64)
        out = flat @ m[:3, :3].T + m[:3, 3]
        w = flat @ m[3, :3] + m[3, 3]
        if not np.allclose(w, 1.0):  # projective matrix: divide by w
            out = out / w[:, None]
        return out.reshape(points.shape)

    @staticmethod
    def fit_ground_plane_ransac(points, confidence, conf_threshold=0.3, n_iterations=1000,
                                inlier_threshold=0.05):
        """Fit the dominant plane (e.g. the floor) with RANSAC.

        points: (..., 3) world points (e.g. recon.points[fi]); confidence: matching (...).
        Uses points with confidence > conf_threshold (needs >= 100), n_iterations random
        3-point hypotheses (seed 42), inliers within inlier_threshold metres (needs >= 50),
        then a least-squares refit. Returns (normal (3,) unit float64 with arbitrary sign,
        inlier_mask over the confidence-filtered points), or (None, None) on failure.
        """
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        conf = np.asarray(confidence, dtype=np.float64).reshape(-1)
        if conf.shape[0] != pts.shape[0]:
            raise ValueError(f"fit_ground_plane_ransac: {pts.shape[0]} points but "
                             f"{conf.shape[0]} confidence values")
        pts = pts[(conf > conf_threshold) & np.isfinite(pts).all(axis=1)]
        m = len(pts)
        if m < 100:
            return None, None
        rng = np.random.default_rng(42)
        # Hypotheses are scored on a fixed subsample (fast on full frames); the winner's
        # inliers are then counted on every point.
        score_pts = pts if m <= 8192 else pts[rng.integers(0, m, 8192)]
        idx = rng.integers(0, m, size=(int(n_iterations), 3))
        while True:  # each hypothesis uses 3 distinct points
            dup = (idx[:, 0] == idx[:, 1]) | (idx[:, 0] == idx[:, 2]) | (idx[:, 1] == idx[:, 2])
            if not dup.any():
                break
            idx[dup] = rng.integers(0, m, size=(int(dup.sum()), 3))
        p0, p1, p2 = pts[idx[:, 0]], pts[idx[:, 1]], pts[idx[:, 2]]
        normals = np.cross(p1 - p0, p2 - p0)
        norms = np.linalg.norm(normals, axis=1)
        ok = norms > 1e-10  # skip degenerate (collinear) samples
        if not ok.any():
            return None, None
        normals, p0 = normals[ok] / norms[ok, None], p0[ok]
        offsets = np.einsum("ij,ij->i", normals, p0)
        # Score in float32 around the centroid (precise enough for cm thresholds, 2x faster).
        centre = score_pts.mean(axis=0)
        sp = (score_pts - centre).astype(np.float32)
        nrm = normals.astype(np.float32)
        off = (offsets - normals @ centre).astype(np.float32)
        counts = np.empty(len(normals), dtype=np.int64)
        for s in range(0, len(normals), 256):
            d = sp @ nrm[s:s + 256].T
            d -= off[s:s + 256]
            np.abs(d, out=d)
            counts[s:s + 256] = np.count_nonzero(d < inlier_threshold, axis=0)
        best = int(np.argmax(counts))  # first best, like a sequential scan
        inliers = np.abs(pts @ normals[best] - offsets[best]) < inlier_threshold
        if inliers.sum() < 50:
            return None, None
        q = pts[inliers]
        q = q - q.mean(axis=0)
        _, vecs = np.linalg.eigh(q.T @ q)
        normal = vecs[:, 0]  # direction of least spread = plane normal
        return normal / np.linalg.norm(normal), inliers

    @staticmethod
    def normalized_to_pixel(coords, width, height):
        """Convert 0-1000 normalised coordinates (as vlm.locate returns) to pixels.

        coords: [x, y] or [x1, y1, x2, y2] (any even length; x uses width, y uses height).
        Returns a list of floats. Example:
          box = tools.Geometry.normalized_to_pixel([120, 340, 560, 900], img.width, img.height)
        """
        vals = _vec(coords, "coords").reshape(-1)
        if np.any(vals > 1000):
            print(f"[WARNING] normalized_to_pixel: values above 1000 in {vals.tolist()}; "
                  f"coords should be on the 0-1000 scale (are they already pixels?)")
        dims = np.where(np.arange(vals.size) % 2 == 0, float(width), float(height))
        return [float(v) for v in vals / 1000.0 * dims]

    def __repr__(self):
        return ("GeometryUtils(euclidean_distance, angle_between_vectors, "
                "project_point_to_camera, rotation_matrix_from_vectors, transform_points, "
                "fit_ground_plane_ransac, normalized_to_pixel)")
