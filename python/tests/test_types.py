"""FrameImage, InputImages, Metadata and VisualFeedback."""

import os
import pickle
import tempfile
import unittest

import numpy as np
from PIL import Image

from spatialclaw_kernel.types import (FrameImage, InputImages, Metadata, VisualFeedback,
                                      resize_for_backend)


def rgb(w=8, h=6, value=10):
    return Image.fromarray(np.full((h, w, 3), value, np.uint8))


class FrameImageTest(unittest.TestCase):
    def test_delegation_and_array(self):
        f = FrameImage(rgb(8, 6), 90)
        self.assertEqual(f.frame_index, 90)
        self.assertEqual((f.width, f.height, f.size), (8, 6, (8, 6)))
        arr = np.array(f)
        self.assertEqual((arr.shape, arr.dtype), ((6, 8, 3), np.uint8))
        self.assertEqual(np.asarray(f, dtype=np.float32).dtype, np.float32)
        self.assertFalse(isinstance(f, Image.Image))
        self.assertIsInstance(f.crop((0, 0, 2, 2)), Image.Image)
        self.assertEqual(repr(f), "FrameImage(frame_index=90, size=(8, 6))")
        with self.assertRaises(AttributeError):
            f.no_such_attribute

    def test_lazy_path_and_pickle(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "f.png")
            rgb(20, 10).save(path)
            f = FrameImage(path, 3)
            self.assertFalse(f.is_loaded)
            self.assertIn("path=", repr(f))
            self.assertEqual(f.size, (20, 10))
            self.assertTrue(f.is_loaded)
            g = pickle.loads(pickle.dumps(FrameImage(path, 4)))
            self.assertEqual((g.frame_index, g.size), (4, (20, 10)))
            h = FrameImage(path, 5, max_edge=16, backend="other")
            self.assertEqual(h.size, (16, 8))

    def test_copy_constructor_and_array_input(self):
        f = FrameImage(np.zeros((4, 5, 3), np.uint8), 7)
        g = FrameImage(f, 8)
        self.assertIs(g.image, f.image)
        with self.assertRaises(TypeError):
            FrameImage(3.5, 0)

    def test_da3_resize(self):
        self.assertEqual(resize_for_backend(rgb(1920, 1080), 768, "da3").size, (768, 432))
        self.assertEqual(resize_for_backend(rgb(640, 480), 768, "da3").size, (768, 576))
        self.assertEqual(resize_for_backend(rgb(500, 500), 768, "da3").size, (768, 768))
        self.assertEqual(resize_for_backend(rgb(1080, 1920), 768, "da3").size, (512, 768))


class InputImagesTest(unittest.TestCase):
    def setUp(self):
        self.ii = InputImages([rgb() for _ in range(8)], [i * 30 for i in range(8)])

    def test_indices_and_slicing(self):
        self.assertEqual(self.ii.frame_indices, [0, 30, 60, 90, 120, 150, 180, 210])
        s = self.ii[::3]
        self.assertIsInstance(s, InputImages)
        self.assertEqual(s.frame_indices, [0, 90, 180])
        self.assertEqual(self.ii[np.int64(2)].frame_index, 60)
        self.assertEqual(self.ii[-1].frame_index, 210)
        self.assertEqual(self.ii[[1, 4]].frame_indices, [30, 120])
        self.assertEqual(self.ii[np.array([0, 7])].frame_indices, [0, 210])
        self.assertEqual((self.ii[:2] + self.ii[6:]).frame_indices, [0, 30, 180, 210])

    def test_default_indices_and_repr(self):
        ii = InputImages([rgb(), rgb()])
        self.assertEqual(ii.frame_indices, [0, 1])
        self.assertEqual(repr(ii), "InputImages(2 images, frame_indices=[0, 1])")
        self.assertEqual(repr(self.ii),
                         "InputImages(8 images, frame_indices=[0, 30, ..., 180, 210])")

    def test_index_errors_are_helpful(self):
        with self.assertRaises(IndexError) as cm:
            self.ii[90]
        self.assertIn("frame_indices.index(90)", str(cm.exception))
        with self.assertRaises(TypeError):
            self.ii[1.0]
        with self.assertRaises(ValueError):
            InputImages([rgb()], [1, 2])


class MetadataTest(unittest.TestCase):
    def test_attributes(self):
        m = Metadata(fps=30, total_frames=900, duration_sec=30.0, num_images=32,
                     reconstruct_max_frames=64)
        self.assertTrue(m.is_video)
        self.assertEqual(m.fps, 30.0)
        self.assertEqual(m.to_dict()["reconstruct_max_frames"], 64)
        self.assertIn("fps=30.0", repr(m))
        self.assertFalse(Metadata(num_images=3, total_frames=3).is_video)
        self.assertFalse(Metadata(is_video=False, fps=None).is_video)
        multi = Metadata(videos=[{"name": "a"}, {"name": "b"}], num_videos=2)
        self.assertTrue(multi.is_video)
        self.assertIn("'a'", repr(multi))


class VisualFeedbackTest(unittest.TestCase):
    def test_construct(self):
        v = VisualFeedback(rgb(), source="x", description="d", frame_index=np.int64(3))
        self.assertEqual(v.frame_index, 3)
        self.assertIn("size=(8, 6)", repr(v))
        self.assertEqual(VisualFeedback(FrameImage(rgb(), 0)).image.size, (8, 6))
        with self.assertRaises(TypeError):
            VisualFeedback(np.zeros((2, 2, 3)))


if __name__ == "__main__":
    unittest.main()
