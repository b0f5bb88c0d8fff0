"""Reconstruct against the analytic fake host: alignment, depth, intrinsics, errors."""

import os
import sys
import unittest

import numpy as np
from scipy.spatial import cKDTree

sys.path.insert(0, os.path.dirname(__file__))

from fake_host import BOX_A, BOX_B, FLOOR, make_session  # noqa: E402

from spatialclaw_kernel import host  # noqa: E402
from spatialclaw_kernel.types import FrameImage  # noqa: E402


class ReconstructGeometryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake, cls.images, cls.meta, cls.tools = make_session()
        cls.recon = cls.tools["Reconstruct"].Reconstruct(cls.images)
        cls.ids = {fi: cls.fake.cameras[fi].render()[2] for fi in (0, 30, 60)}

    def test_requests(self):
        methods = [c[0] for c in self.fake.calls[:2]]  # made in setUpClass
        self.assertEqual(methods, ["perception.reconstruct", "perception.segment"])
        self.assertEqual(self.fake.calls[0][1], {"frame_indices": [0, 30, 60]})
        self.assertEqual(self.fake.calls[0][2], [(3, 72, 96, 3)])
        self.assertEqual(self.fake.calls[1][1]["prompt"], "ground floor surface")

    def test_shapes_and_dtypes(self):
        r = self.recon
        self.assertEqual(r.frame_indices, [0, 30, 60])
        self.assertEqual((r.points.points.shape, r.points.points.dtype),
                         ((3, 72, 96, 3), np.float32))
        self.assertEqual(r.points.confidence.shape, (3, 72, 96))
        self.assertEqual((r.depth.depth.shape, r.depth.depth.dtype), ((3, 72, 96), np.float32))
        self.assertEqual(r.extrinsics.camera_poses.dtype, np.float64)
        self.assertEqual(r.intrinsics.fx.shape, (3,))
        self.assertEqual(r.metric_scale, 1.0)

    def test_floor_is_y0_and_up_is_plus_y(self):
        for fi in (0, 30, 60):
            floor = self.recon.points[fi][self.ids[fi] == FLOOR]
            self.assertLess(np.abs(floor[:, 1]).max(), 1e-3)
        np.testing.assert_allclose(self.recon.gravity_direction, [0, 1, 0], atol=1e-6)
        top_a = self.recon.points[0][self.ids[0] == BOX_A][:, 1].max()
        top_b = self.recon.points[0][self.ids[0] == BOX_B][:, 1].max()
        self.assertAlmostEqual(top_a, 0.8, places=3)
        self.assertAlmostEqual(top_b, 1.2, places=3)
        self.assertAlmostEqual(self.recon.extrinsics[0][1, 3], 1.5, places=3)  # camera height

    def test_first_camera_forward_is_minus_z(self):
        pose = self.recon.extrinsics[0]
        f = pose[:3, 2]
        fxz = np.array([f[0], f[2]]) / np.hypot(f[0], f[2])
        np.testing.assert_allclose(fxz, [0, -1], atol=1e-6)
        self.assertGreater(pose[0, 0], 0.99)  # its right is +X (up to the small roll)
        self.assertLess(f[1], 0)  # pitched down towards the boxes

    def test_poses_are_rigid(self):
        for P in self.recon.extrinsics.camera_poses:
            np.testing.assert_allclose(P[:3, :3] @ P[:3, :3].T, np.eye(3), atol=1e-9)
            self.assertAlmostEqual(np.linalg.det(P[:3, :3]), 1.0, places=9)

    def test_depth_is_camera_z(self):
        for fi in (0, 30):
            _, depth, ids = self.fake.cameras[fi].render()
            hit = ids > 0
            np.testing.assert_allclose(self.recon.depth[fi][hit], depth[hit], rtol=1e-4)
            pose = self.recon.extrinsics[fi]
            cam = (self.recon.points[fi][hit] - pose[:3, 3]) @ pose[:3, :3]
            np.testing.assert_allclose(cam[:, 2], self.recon.depth[fi][hit], rtol=1e-4)

    def test_intrinsics_and_projection(self):
        K = self.recon.intrinsics[30]
        self.assertEqual(K, {"fx": 80.0, "fy": 80.0, "cx": 47.5, "cy": 35.5})
        geo = self.tools["Geometry"]
        v, u = 40, 20
        uv = geo.project_point_to_camera(self.recon.points[30][v, u],
                                         self.recon.extrinsics[30], **K)
        np.testing.assert_allclose(uv, (u, v), atol=1e-3)

    def test_box_distances_and_sides(self):
        seg = self.tools["SAM3"].segment_image_by_text(self.images[0], "box")
        self.assertEqual(seg.labels, ["box_0", "box_1"])  # most confident (red, A) first
        a = seg.get_masked_points(self.recon, 0, "box_0")
        b = seg.get_masked_points(self.recon, 0, "box_1")
        gap = cKDTree(a).query(b)[0].min()
        self.assertAlmostEqual(gap, 1.0, delta=0.1)  # boxes are 1.0 m apart along X
        pose = self.recon.extrinsics[0]
        ca = seg.get_centroid_3d(self.recon, 0, 0)
        cb = seg.get_centroid_3d(self.recon, 0, 1)
        self.assertLess(np.dot(ca - pose[:3, 3], pose[:3, 0]), 0)  # red box on the left
        self.assertGreater(np.dot(cb - pose[:3, 3], pose[:3, 0]), 0)  # blue box on the right
        self.assertGreater(np.dot(ca - pose[:3, 3], pose[:3, 2]), 3.0)  # in front
        # world distances are preserved by the alignment
        d_world = np.linalg.norm(ca - cb)
        ids = self.ids[0]
        p_scene, _, _ = self.fake.cameras[0].render()
        d_scene = np.linalg.norm(np.median(p_scene[ids == BOX_A], 0) -
                                 np.median(p_scene[ids == BOX_B], 0))
        self.assertAlmostEqual(d_world, d_scene, delta=0.05)

    def test_render_bev(self):
        seg = self.tools["SAM3"].segment_video_by_text(["red box", "blue box"])
        vf = self.recon.render_bev(masks=seg, labels=["red box", "blue box"])
        self.assertEqual(vf.image.size, (800, 800))
        self.assertEqual(vf.source, "Reconstruction.render_bev")
        self.assertIn("Bird's eye view", vf.description)
        self.assertIn("red box", vf.description)
        self.assertIn("left", vf.description.split("red box:")[1].split(";")[0])
        self.assertIn("right", vf.description.split("blue box:")[1].split(";")[0])
        self.assertNotIn("moving", vf.description.split("Objects (relative")[1])
        vf2 = self.recon.render_bev(masks=seg, ref_frame=60, ego_trajectory=False)
        self.assertEqual(vf2.frame_index, 60)

    def test_bev_pairs_frames_by_absolute_index(self):
        # masks for frames [30, 60] only: paired with recon frames 30 and 60, not 0 and 30
        seg = self.tools["SAM3"].segment_video_by_text(["red box"], start_frame=30,
                                                       end_frame=90)
        self.assertEqual(seg.frame_indices, [30, 60])
        vf = self.recon.render_bev(masks=seg)
        self.assertIn("red box: ", vf.description)
        self.assertIn("left", vf.description.split("red box:")[1])


class ReconstructClientTest(unittest.TestCase):
    def setUp(self):
        self.fake, self.images, self.meta, self.tools = make_session()
        self.tool = self.tools["Reconstruct"]

    def test_single_frame_and_list(self):
        r = self.tool.Reconstruct(self.images[1])
        self.assertEqual(r.frame_indices, [30])
        r = self.tool.Reconstruct([self.images[2], self.images[0]])
        self.assertEqual(r.frame_indices, [60, 0])
        np.testing.assert_allclose(r.extrinsics[60][[0, 2], 2] / np.hypot(
            *r.extrinsics[60][[0, 2], 2]), [0, -1], atol=1e-6)  # first given frame is "camera 0"

    def test_duplicate_indices_warn(self):
        import contextlib
        import io
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            r = self.tool.Reconstruct([self.images[0], self.images[0]])
        self.assertIn("share absolute indices [0]", out.getvalue())
        self.assertEqual(r.frame_indices, [0, 0])

    def test_explicit_and_plain_pil_indices(self):
        pil = [f.image for f in self.images[:2]]
        with self.assertRaises(ValueError):  # plain PILs get 0..n-1; the fake knows 0 and 30
            self.tool.Reconstruct(pil)
        r = self.tool.Reconstruct(pil, frame_indices=np.array([0, 30]))
        self.assertEqual(r.frame_indices, [0, 30])
        with self.assertRaises(ValueError):
            self.tool.Reconstruct(pil, frame_indices=[0])
        with self.assertRaises(ValueError):
            self.tool.Reconstruct([self.images[0], pil[1]])

    def test_argument_errors_send_no_request(self):
        with self.assertRaises(TypeError):
            self.tool.Reconstruct("frame.png")
        with self.assertRaises(TypeError) as cm:
            self.tool.Reconstruct(np.zeros((2, 4, 4, 3), np.uint8))
        self.assertIn("numpy array", str(cm.exception))
        with self.assertRaises(TypeError):
            self.tool.Reconstruct([self.images[0], 3])
        with self.assertRaises(ValueError):
            self.tool.Reconstruct([])
        self.tool.MAX_FRAMES = 2
        with self.assertRaises(ValueError) as cm:
            self.tool.Reconstruct(self.images)
        self.assertIn("at most 2 frames, got 3", str(cm.exception))
        self.assertIn("InputImages[::2]", str(cm.exception))
        mixed = [self.images[0], FrameImage(np.zeros((10, 12, 3), np.uint8), 30)]
        self.tool.MAX_FRAMES = 64
        with self.assertRaises(ValueError) as cm:
            self.tool.Reconstruct(mixed)
        self.assertIn("96x72: frames [0]", str(cm.exception))
        self.assertIn("12x10: frames [30]", str(cm.exception))
        self.assertEqual(self.fake.calls, [])

    def test_host_at_model_resolution_is_resized(self):
        fake, images, _, tools = make_session(model_scale=0.5)
        r = tools["Reconstruct"].Reconstruct(images[:2])
        self.assertEqual(r.points.points.shape, (2, 72, 96, 3))
        self.assertAlmostEqual(r.intrinsics[0]["fx"], 80.0, places=6)
        floor = r.points[0][fake.cameras[0].render()[2] == FLOOR]
        self.assertLess(np.abs(np.median(floor[:, 1])), 0.02)

    def test_gravity_fallback_without_floor_mask(self):
        fake, images, _, tools = make_session(ground_ok=False)
        r = tools["Reconstruct"].Reconstruct(images)
        # RANSAC on the whole first frame still finds the dominant (floor) plane
        floor = r.points[0][fake.cameras[0].render()[2] == FLOOR]
        self.assertLess(np.abs(floor[:, 1]).max(), 0.01)

    def test_segmenter_failure_falls_back_to_camera_axes(self):
        calls = []

        def no_segment(method, params, arrays):
            calls.append(method)
            if method == "perception.segment":
                return {"ok": False, "error": {"type": "RuntimeError", "message": "down"}}, []
            return self.fake(method, params, arrays)

        host.set_transport(no_segment)
        r = self.tool.Reconstruct(self.images[:1])
        self.assertEqual(calls, ["perception.reconstruct", "perception.segment"])
        self.assertTrue(np.all(np.isfinite(r.points.points)))
        np.testing.assert_allclose(r.gravity_direction, [0, 1, 0], atol=1e-9)

    def test_host_errors(self):
        host.set_transport(lambda m, p, a: ({"ok": False, "error": {
            "type": "RuntimeError", "message": "GPU busy"}}, []))
        with self.assertRaises(RuntimeError) as cm:
            self.tool.Reconstruct(self.images)
        self.assertEqual(str(cm.exception), "Reconstruction failed: GPU busy")
        host.set_transport(lambda m, p, a: ({"ok": True}, [np.zeros(3)]))
        with self.assertRaises(RuntimeError):
            self.tool.Reconstruct(self.images)
        host.set_transport(None)
        self.assertFalse(self.tool.is_available)
        with self.assertRaises(RuntimeError):
            self.tool.Reconstruct(self.images)

    def test_image_set_is_not_video(self):
        _, images, meta, tools = make_session(is_video=False)
        r = tools["Reconstruct"].Reconstruct(images)
        self.assertFalse(r._is_video)
        vf = r.render_bev()
        self.assertIn("blue wedges", vf.description)


if __name__ == "__main__":
    unittest.main()
