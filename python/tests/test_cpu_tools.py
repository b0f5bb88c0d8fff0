"""Geometry, Mask, Time, Draw and Graph, including the edge cases of the reference."""

import contextlib
import io
import unittest

import numpy as np
from PIL import Image

from spatialclaw_kernel.tools.draw import DrawUtils
from spatialclaw_kernel.tools.geometry import GeometryUtils as G
from spatialclaw_kernel.tools.graph import GraphDrawer
from spatialclaw_kernel.tools.mask import MaskUtils as M
from spatialclaw_kernel.tools.time import TimeUtils
from spatialclaw_kernel.types import FrameImage, Metadata


class GeometryTest(unittest.TestCase):
    def test_distance(self):
        self.assertEqual(G.euclidean_distance([0, 0, 0], np.array([3, 4, 0], np.float32)), 5.0)
        self.assertIsInstance(G.euclidean_distance((1,), (2,)), float)
        self.assertTrue(np.isnan(G.euclidean_distance([np.nan, 0, 0], [0, 0, 0])))
        with self.assertRaises(ValueError):
            G.euclidean_distance([0, 0], [0, 0, 0])

    def test_angle(self):
        self.assertAlmostEqual(G.angle_between_vectors([1, 0, 0], [0, 1, 0]), 90.0)
        self.assertAlmostEqual(G.angle_between_vectors([1, 0, 0], [-2, 0, 0]), 180.0)
        with self.assertRaises(ValueError):
            G.angle_between_vectors([1, 0], [0, 1])
        with self.assertRaises(ValueError) as cm:
            G.angle_between_vectors(np.ones((2, 3)), [0, 1, 0])
        self.assertIn("index a batch", str(cm.exception))
        with self.assertRaises(ValueError):
            G.angle_between_vectors([0, 0, 0], [0, 1, 0])

    def test_projection(self):
        pose = np.eye(4)
        pose[:3, 3] = [1, 0, 0]
        u, v = G.project_point_to_camera([1, 0.5, 2], pose, 100, 100, 50, 40)
        self.assertEqual((u, v), (50.0, 65.0))
        self.assertIsNone(G.project_point_to_camera([1, 0, -1], pose, 100, 100, 50, 40))
        with self.assertRaises(ValueError):
            G.project_point_to_camera([1, 0], pose, 1, 1, 0, 0)
        with self.assertRaises(ValueError):
            G.project_point_to_camera([1, 0, 1], np.eye(3), 1, 1, 0, 0)

    def test_rotation(self):
        for a, b in (([1, 0, 0], [0, 1, 0]), ([0, 0, 1], [0, 0, 2]), ([1, 0, 0], [-1, 0, 0]),
                     ([0.95, 0.1, 0], [-0.95, -0.1, 0]), ([1, 2, 3], [-3, 1, 0.5])):
            R = G.rotation_matrix_from_vectors(a, b)
            np.testing.assert_allclose(R @ R.T, np.eye(3), atol=1e-9)
            self.assertAlmostEqual(np.linalg.det(R), 1.0)
            np.testing.assert_allclose(R @ (np.array(a) / np.linalg.norm(a)),
                                       np.array(b) / np.linalg.norm(b), atol=1e-9)

    def test_transform(self):
        T = np.eye(4)
        T[:3, 3] = [1, 2, 3]
        pts = np.zeros((2, 4, 3), np.float32)
        out = G.transform_points(pts, T)
        self.assertEqual((out.shape, out.dtype), ((2, 4, 3), np.float64))
        np.testing.assert_allclose(out[1, 2], [1, 2, 3])
        with self.assertRaises(TypeError):
            G.transform_points([[0, 0, 0]], T)
        with self.assertRaises(ValueError):
            G.transform_points(np.zeros((3, 2)), T)
        with self.assertRaises(ValueError):
            G.transform_points(np.zeros((3, 3)), np.eye(3))

    def test_ransac(self):
        rng = np.random.default_rng(0)
        floor = np.c_[rng.uniform(-3, 3, 2000), rng.normal(0, 0.005, 2000),
                      rng.uniform(-3, 3, 2000)]
        clutter = rng.uniform(-3, 3, (500, 3))
        pts = np.vstack([floor, clutter])
        conf = np.ones(len(pts))
        conf[:10] = 0.0
        n, inl = G.fit_ground_plane_ransac(pts, conf)
        self.assertGreater(abs(n[1]), 0.999)
        self.assertEqual(inl.shape, (len(pts) - 10,))  # over the confident points
        self.assertGreater(inl[:1990].mean(), 0.99)
        n2, _ = G.fit_ground_plane_ransac(pts, conf)
        np.testing.assert_array_equal(n, n2)  # seeded: deterministic
        self.assertEqual(G.fit_ground_plane_ransac(pts[:99], conf[:99]), (None, None))
        self.assertEqual(G.fit_ground_plane_ransac(pts, np.zeros(len(pts))), (None, None))
        noise = rng.uniform(-50, 50, (300, 3))
        self.assertEqual(G.fit_ground_plane_ransac(noise, np.ones(300)), (None, None))
        grid = pts.reshape(-1, 1, 3)[:2500].reshape(50, 50, 3)
        self.assertIsNotNone(G.fit_ground_plane_ransac(grid, np.ones((50, 50)))[0])

    def test_normalized_to_pixel(self):
        self.assertEqual(G.normalized_to_pixel([500, 250], 800, 400), [400.0, 100.0])
        self.assertEqual(G.normalized_to_pixel((0, 0, 1000, 1000), 640, 480),
                         [0.0, 0.0, 640.0, 480.0])
        self.assertEqual(G.normalized_to_pixel([100, 200, 300], 1000, 500), [100.0, 100.0, 300.0])
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(G.normalized_to_pixel([2000, 0], 100, 100), [200.0, 0.0])
        self.assertIn("WARNING", out.getvalue())


class MaskTest(unittest.TestCase):
    def setUp(self):
        self.m = np.zeros((20, 30), bool)
        self.m[5:10, 10:20] = True

    def test_measures(self):
        self.assertEqual(M.centroid(self.m), (14.5, 7.0))
        self.assertEqual(M.area(self.m), 50)
        self.assertEqual(M.bounding_box(self.m), (10, 5, 19, 9))
        np.testing.assert_array_equal(M.mask_to_bbox(self.m), [10, 5, 19, 9])
        self.assertEqual(M.mask_to_bbox(self.m).dtype, np.float64)
        self.assertEqual(M.centroids(np.stack([self.m, self.m])), [(14.5, 7.0)] * 2)

    def test_robust_bbox_for_large_masks(self):
        m = np.zeros((200, 200), bool)
        m[50:150, 50:150] = True
        m[0, 0] = True  # a stray pixel
        x1, y1, x2, y2 = M.bounding_box(m)
        self.assertGreaterEqual(x1, 50)
        self.assertTrue(all(isinstance(v, int) for v in (x1, y1, x2, y2)))

    def test_empty(self):
        e = np.zeros((4, 4), bool)
        c = M.centroid(e)
        self.assertTrue(np.isnan(c[0]) and np.isnan(c[1]))
        self.assertIsNone(M.bounding_box(e))
        self.assertIsNone(M.mask_to_bbox(e))
        self.assertEqual(M.iou(e, e), 0.0)
        self.assertEqual(M.area(e), 0)

    def test_iou_and_intersection(self):
        other = np.zeros_like(self.m)
        other[5:10, 15:25] = True
        self.assertAlmostEqual(M.iou(self.m, other), 25 / 75)
        self.assertEqual(M.intersection(self.m, other).sum(), 25)
        with self.assertRaises(ValueError):
            M.iou(self.m, other[:, :10])

    def test_validation(self):
        with self.assertRaises(TypeError) as cm:
            M.area([[1, 0]])
        self.assertIn("get_mask", str(cm.exception))
        with self.assertRaises(ValueError):
            M.centroid(np.zeros((1, 4, 4), bool))
        with self.assertRaises(ValueError) as cm:
            M.centroids(np.zeros((1, 2, 4, 4), bool))
        self.assertIn("seg[fi]", str(cm.exception))


class TimeTest(unittest.TestCase):
    def test_conversions(self):
        t = TimeUtils(Metadata(fps=30.0, total_frames=300))
        self.assertEqual((t.fps, t.total_frames), (30.0, 300))
        self.assertEqual(t.frame_to_seconds(60), 2.0)
        self.assertEqual(t.frame_to_seconds(np.int64(45)), 1.5)  # numpy ints accepted
        self.assertEqual(t.frame_to_seconds(np.float64(15.0)), 0.5)
        self.assertEqual(t.seconds_to_frame(2.0), 60)
        self.assertEqual(t.seconds_to_frame(np.float32(0.5)), 15)
        half = TimeUtils(Metadata(fps=2.0, total_frames=100))
        self.assertEqual(half.seconds_to_frame(1.25), 2)  # round(2.5) = 2 (Python rounding)
        self.assertEqual(half.seconds_to_frame(1.75), 4)  # round(3.5) = 4
        self.assertEqual(t.seconds_to_frame(100.0), 299)  # clamped
        self.assertEqual(t.seconds_to_frame(-3), 0)
        self.assertEqual(t.get_frame_at_time(1.0), 30)
        self.assertEqual(t.frame_range_to_seconds(30, 90), 2.0)
        with self.assertRaises(TypeError):
            t.frame_to_seconds("60")
        with self.assertRaises(TypeError):
            t.seconds_to_frame(None)

    def test_unknown_fps_and_multi_video(self):
        t = TimeUtils(Metadata(num_images=4, total_frames=4, is_video=False))
        self.assertEqual(t.fps, 1.0)
        self.assertEqual(t.frame_to_seconds(3), 3.0)
        multi = Metadata(videos=[{"fps": 25.0, "total_frames": 100},
                                 {"fps": 50.0, "total_frames": 400}], num_videos=2)
        t = TimeUtils(multi)
        self.assertEqual(t.frame_to_seconds(50, video_index=2), 1.0)
        self.assertEqual(t.frame_to_seconds(50, video_index=1), 2.0)
        self.assertEqual(t.seconds_to_frame(100, video_index=1), 99)
        with self.assertRaises(ValueError):
            t.frame_to_seconds(1, video_index=3)


class DrawTest(unittest.TestCase):
    def setUp(self):
        self.img = Image.new("RGB", (100, 80), (0, 0, 0))

    def test_returns_new_images(self):
        out = DrawUtils.draw_bbox(self.img, [10, 10, 50, 40])
        self.assertIsNot(out, self.img)
        self.assertEqual(self.img.getpixel((10, 10)), (0, 0, 0))
        self.assertEqual(out.getpixel((10, 20)), (255, 0, 0))
        out = DrawUtils.draw_line(FrameImage(self.img, 3), [(0, 40, 99, 40)], colors="blue")
        self.assertEqual(out.getpixel((50, 40)), (0, 0, 255))
        out = DrawUtils.draw_point(np.zeros((80, 100, 3), np.uint8), [[20, 20], (70, 60)],
                                   colors=["red", (0, 255, 0)], radius=4)
        self.assertEqual(out.getpixel((20, 20)), (255, 0, 0))
        self.assertEqual(out.getpixel((70, 60)), (0, 255, 0))
        out = DrawUtils.draw_point(self.img, np.array([50, 40]))
        self.assertEqual(out.getpixel((50, 40)), (0, 0, 255))
        self.assertIsInstance(DrawUtils.draw_bbox(self.img, []), Image.Image)

    def test_errors(self):
        with self.assertRaises(ValueError):
            DrawUtils.draw_bbox(self.img, [1, 2, 3])
        with self.assertRaises(ValueError):
            DrawUtils.draw_point(self.img, [[1, 2], [3, 4]], colors=["red"])
        with self.assertRaises(TypeError):
            DrawUtils.draw_point("img.png", [1, 2])
        with self.assertRaises(ValueError):
            DrawUtils.draw_point(np.zeros((4, 4)), [1, 2])
        with self.assertRaises(ValueError):
            DrawUtils.draw_point(self.img, [1, 2], colors="no-such-colour")


class GraphTest(unittest.TestCase):
    def test_plot(self):
        vf = GraphDrawer().plot([1.0, 2.0, 3.0, 4.0], y_label="dist", title="t")
        self.assertEqual(vf.image.size, (1000, 400))
        self.assertEqual(vf.source, "GraphDrawer.plot")
        self.assertEqual(vf.description, "Plot of dist vs Frame: min=1.0000, max=4.0000, "
                                         "mean=2.5000, first=1.0000, last=4.0000, "
                                         "trend=increasing")
        vf = GraphDrawer().plot(np.array([5.0, 1.0, 5.0]), validity=[True, False, True])
        self.assertIn("trend=stable", vf.description)
        self.assertIn("min=5.0000", vf.description)
        vf = GraphDrawer().plot([1.0], validity=[False])
        self.assertEqual(vf.description, "Plot of Value vs Frame: no valid data")

    def test_errors(self):
        for bad in (3.0, [], np.zeros((2, 2))):
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                GraphDrawer().plot(bad)
        with self.assertRaises(ValueError):
            GraphDrawer().plot([1, 2], validity=[True])


if __name__ == "__main__":
    unittest.main()
