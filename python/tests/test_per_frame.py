"""Absolute-frame lookup, error messages and PerFrameMask behaviour."""

import contextlib
import io
import unittest

import numpy as np

from spatialclaw_kernel import per_frame
from spatialclaw_kernel.per_frame import (PerFrameDepth, PerFrameExtrinsics, PerFrameIntrinsics,
                                          PerFrameMask, PerFramePointMap, Reconstruction)
from spatialclaw_kernel.types import InputImages

FRAMES = [0, 30, 60, 90]


def tiny_recon(frames=FRAMES, h=4, w=5):
    n = len(frames)
    pts = np.zeros((n, h, w, 3), np.float32)
    pts[..., 0] = np.arange(w)  # x = column
    pts[..., 2] = -np.arange(n)[:, None, None] - 1  # z = -(position + 1)
    conf = np.ones((n, h, w), np.float32)
    poses = np.tile(np.eye(4), (n, 1, 1))
    poses[:, 0, 3] = np.arange(n)
    return Reconstruction(
        points=PerFramePointMap(pts, conf, frames),
        depth=PerFrameDepth(-pts[..., 2], frames, confidence=conf),
        intrinsics=PerFrameIntrinsics(np.full(n, 50.0), np.full(n, 51.0), np.full(n, 2.0),
                                      np.full(n, 1.5), frames),
        extrinsics=PerFrameExtrinsics(poses, frames), metric_scale=1.0, frame_indices=frames)


def tiny_mask(frames=FRAMES, h=4, w=5):
    m = np.zeros((len(frames), 2, h, w), bool)
    m[:, 0, :2, :2] = True
    m[:, 1, 2:, 3:] = True
    return PerFrameMask(m, ["chair", "table"], [0, 1], frames)


class LookupTest(unittest.TestCase):
    def setUp(self):
        self.recon = tiny_recon()

    def tearDown(self):
        per_frame.set_input_images([])

    def test_absolute_and_numpy_indices(self):
        self.assertEqual(self.recon.depth[30].shape, (4, 5))
        self.assertTrue(np.shares_memory(self.recon.depth[np.int64(60)], self.recon.depth.depth))
        self.assertEqual(self.recon.extrinsics[np.int32(90)][0, 3], 3.0)
        self.assertEqual(self.recon.points[np.array(30)].shape, (4, 5, 3))
        self.assertEqual(self.recon.intrinsics[np.uint8(0)],
                         {"fx": 50.0, "fy": 51.0, "cx": 2.0, "cy": 1.5})
        self.assertIsInstance(self.recon.intrinsics[0]["fx"], float)
        self.assertEqual(self.recon.extrinsics[0].dtype, np.float64)
        self.assertEqual(self.recon.get_by_frame_index(60), 2)
        frame = InputImages([np.zeros((2, 2, 3), np.uint8)], [60])[0]
        self.assertEqual(self.recon.get_by_frame_index(frame), 2)  # a FrameImage means its index
        self.assertEqual((len(self.recon), self.recon.num_frames), (4, 4))

    def test_local_index_hint(self):
        with self.assertRaises(KeyError) as cm:
            self.recon.depth[3]
        msg = str(cm.exception)
        self.assertTrue(msg.startswith("Frame 3 not found in recon.depth"), msg)
        self.assertIn("[0, 30, 60, 90]", msg)
        self.assertIn("position 3 of this result is frame 90", msg)
        self.assertEqual(type(cm.exception).__name__, "KeyError")

    def test_local_index_hint_names_input_images(self):
        per_frame.set_input_images([("InputImages", InputImages(
            [np.zeros((2, 2, 3), np.uint8)] * 4, FRAMES))])
        with self.assertRaises(KeyError) as cm:
            self.recon.extrinsics[np.int64(3)]
        self.assertIn("InputImages[3].frame_index is 90", str(cm.exception))

    def test_zero_and_far_hints(self):
        recon = tiny_recon([10, 20])
        with self.assertRaises(KeyError) as cm:
            recon.depth[0]
        self.assertIn("first available frame is 10", str(cm.exception))
        with self.assertRaises(KeyError) as cm:
            recon.depth[26]
        self.assertIn("Nearest available frames: [10, 20]", str(cm.exception))

    def test_type_errors(self):
        for bad in ("30", 30.5, [0, 30], slice(0, 2), None, True):
            with self.subTest(bad=bad), self.assertRaises(TypeError) as cm:
                self.recon.depth[bad]
            self.assertIn("absolute frame index", str(cm.exception))
        with self.assertRaises(TypeError) as cm:
            self.recon.depth[30.0]
        self.assertIn("int(", str(cm.exception))
        with self.assertRaises(TypeError) as cm:
            self.recon.points[[0, 30]]
        self.assertIn("recon.points.points", str(cm.exception))

    def test_not_iterable_and_not_subscriptable(self):
        for obj in (self.recon, self.recon.depth, tiny_mask()):
            with self.assertRaises(TypeError) as cm:
                iter(obj)
            self.assertIn(".frame_indices", str(cm.exception))
        with self.assertRaises(TypeError):
            self.recon[0]
        with self.assertRaises(AttributeError) as cm:
            self.recon.confidence
        self.assertIn("recon.points.confidence", str(cm.exception))

    def test_validate_alignment_names_frames(self):
        other = tiny_mask([0, 30, 45])
        with self.assertRaises(ValueError) as cm:
            self.recon.validate_alignment(other)
        msg = str(cm.exception)
        self.assertIn("only in the first: [60, 90]", msg)
        self.assertIn("only in the second: [45]", msg)
        self.assertEqual(self.recon.validate_alignment(other, strict=False), [0, 30])
        self.assertEqual(self.recon.validate_alignment(FRAMES), FRAMES)
        with self.assertRaises(ValueError):
            self.recon.validate_alignment([5], strict=False)

    def test_repr_has_usage_hints(self):
        r = repr(self.recon)
        self.assertIn("Reconstruction(frames=[0, 30, 60, 90], num_frames=4", r)
        self.assertIn("recon.depth[fi]", r)
        self.assertIn("PerFrameDepth(frames=[0, 30, 60, 90]", repr(self.recon.depth))

    def test_constructor_checks_lengths(self):
        with self.assertRaises(ValueError):
            PerFrameDepth(np.zeros((2, 3, 3)), [0])


class PerFrameMaskTest(unittest.TestCase):
    def setUp(self):
        self.recon = tiny_recon()
        self.seg = tiny_mask()

    def test_basic_accessors(self):
        s = self.seg
        self.assertEqual((s.num_frames, s.num_objects, s.object_ids), (4, 2, [0, 1]))
        self.assertEqual(s[30].shape, (2, 4, 5))
        self.assertEqual(s.get_mask(frame=np.int64(60), object="table").sum(), 4)
        self.assertEqual(s.get_mask(60, np.int64(0)).dtype, bool)
        self.assertIn("labels=['chair', 'table']", repr(s))

    def test_object_errors(self):
        with self.assertRaises(IndexError) as cm:
            self.seg.get_mask(0, 2)
        self.assertIn("['chair', 'table']", str(cm.exception))
        with self.assertRaises(KeyError) as cm:
            self.seg.get_mask(0, "Chair")
        self.assertIn("Did you mean 'chair'", str(cm.exception))
        with self.assertRaises(TypeError):
            self.seg.get_mask(0, 1.0)
        seg = PerFrameMask(np.zeros((1, 2, 2, 2)), ["cup_0", "cup_1"], None, [5])
        with self.assertRaises(KeyError) as cm:
            seg.get_mask(5, "cup")
        self.assertIn("'cup_0'", str(cm.exception))

    def test_masked_points_and_centroid(self):
        pts = self.seg.get_masked_points(self.recon, 30, "chair")
        self.assertEqual((pts.shape, pts.dtype), ((4, 3), np.float32))
        c = self.seg.get_centroid_3d(self.recon, frame=30, object=1)
        self.assertEqual(c.dtype, np.float32)
        np.testing.assert_allclose(c, [3.5, 0.0, -2.0])

    def test_centroid_uses_confident_points_then_falls_back(self):
        self.recon.points.confidence[1, 0, 0] = 0.0  # chair pixel (0, 0) is unreliable
        c = self.seg.get_centroid_3d(self.recon, 30, 0)
        np.testing.assert_allclose(c[0], 1.0)  # median of x over the 3 confident pixels
        self.recon.points.confidence[1] = 0.0
        c = self.seg.get_centroid_3d(self.recon, 30, 0)
        np.testing.assert_allclose(c[0], 0.5)  # nothing confident: all masked points

    def test_empty_mask_gives_nan_and_warning(self):
        seg = PerFrameMask(np.zeros((4, 1, 4, 5), bool), ["ghost"], None, FRAMES)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            c = seg.get_centroid_3d(self.recon, 0)
        self.assertTrue(np.isnan(c).all() and c.dtype == np.float32)
        self.assertIn("get_centroid_3d: mask for 'ghost' at frame 0 is empty", out.getvalue())

    def test_shape_mismatch_is_a_clear_value_error(self):
        seg = PerFrameMask(np.ones((4, 1, 8, 10), bool), ["x"], None, FRAMES)
        with self.assertRaises(ValueError) as cm:
            seg.get_masked_points(self.recon, 0)
        self.assertIn("10x8", str(cm.exception))
        self.assertIn("5x4", str(cm.exception))

    def test_frame_missing_from_recon(self):
        seg = tiny_mask([0, 45])
        with self.assertRaises(KeyError) as cm:
            seg.get_centroid_3d(self.recon, 45)
        msg = str(cm.exception)
        self.assertIn("Reconstruction", msg)
        self.assertIn("Frames in both the mask and the reconstruction: [0]", msg)
        with self.assertRaises(TypeError):
            seg.get_centroid_3d(np.zeros(3), 0)

    def test_visualize(self):
        vf = self.seg.visualize(30)
        self.assertEqual(vf.image.size, (5, 4))
        self.assertEqual(vf.frame_index, 30)
        self.assertEqual(vf.description, "Segmentation masks for frame 30: ['chair', 'table']")
        self.assertEqual(self.seg.visualize(frame=np.int64(60)).frame_index, 60)
        bg = np.full((40, 50, 3), 255, np.uint8)  # resized to the mask size
        self.assertEqual(self.seg.visualize(0, background=bg).image.size, (5, 4))
        with self.assertRaises(TypeError):
            self.seg.visualize()
        with self.assertRaises(TypeError):
            self.seg.visualize(0, colour="red")
        single = tiny_mask([7])
        self.assertEqual(single.visualize().frame_index, 7)
        big = PerFrameMask(np.zeros((1, 3, 120, 160), bool), ["a", "b", "c"], None, [0])
        big.masks[0, 0, 10:50, 10:60] = True
        img = np.asarray(big.visualize(0).image)
        self.assertEqual(img.shape, (120, 160, 3))
        self.assertFalse((img[30, 30] == 128).all())  # object pixel is tinted
        self.assertTrue((img[100, 150] == 128).all())  # grey background elsewhere


class RenderHelpersTest(unittest.TestCase):
    def test_fast_erosion_matches_scipy(self):
        from scipy import ndimage

        from spatialclaw_kernel.tools.render import _CROSS, _erode_cross
        rng = np.random.default_rng(1)
        for _ in range(10):
            m = ndimage.binary_dilation(rng.random((40, 57)) > 0.9, iterations=2)
            np.testing.assert_array_equal(_erode_cross(m, 3),
                                          ndimage.binary_erosion(m, _CROSS, iterations=3))

    def test_read_only_inputs_are_copied(self):
        m = np.zeros((1, 1, 2, 2), bool)
        m.flags.writeable = False
        seg = PerFrameMask(m, ["a"], None, [0])
        seg.masks[0, 0, 0, 0] = True  # agents may edit results in place


class RenderBevOfflineTest(unittest.TestCase):
    def test_raw_array_needs_one_entry_per_frame(self):
        recon = tiny_recon()
        with self.assertRaises(ValueError):
            recon.render_bev(masks=np.zeros((2, 1, 4, 5), bool))
        with self.assertRaises(RuntimeError):
            recon.render_bev(prompts=["chair"])
        vf = recon.render_bev(masks=np.ones((4, 1, 4, 5), bool), ego_trajectory=False)
        self.assertEqual(vf.image.size, (800, 800))
        with self.assertRaises(ValueError) as cm:
            recon.render_bev(masks=tiny_mask([5, 6]))
        self.assertIn("share no frame", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
