"""SAM3 client: argument handling, errors, empty results, video windows and channels."""

import contextlib
import io
import os
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))

from fake_host import BOX_A, BOX_B, make_session  # noqa: E402

from spatialclaw_kernel import host  # noqa: E402
from spatialclaw_kernel.tools import build_tools  # noqa: E402
from spatialclaw_kernel.types import InputImages, Metadata  # noqa: E402


def quiet(fn, *a, **k):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        return fn(*a, **k), out.getvalue()


class ImageMethodsTest(unittest.TestCase):
    def setUp(self):
        self.fake, self.images, self.meta, self.tools = make_session()
        self.sam = self.tools["SAM3"]
        self.ids = self.fake.cameras[0].render()[2]

    def test_text(self):
        seg = self.sam.segment_image_by_text(self.images[0], "red box")
        self.assertEqual((seg.masks.shape, seg.labels, seg.frame_indices),
                         ((1, 1, 72, 96), ["red box"], [0]))
        np.testing.assert_array_equal(seg.get_mask(0), self.ids == BOX_A)
        seg = self.sam.segment_image_by_text(image=self.images[1], prompt="box", label="crate")
        self.assertEqual(seg.labels, ["crate_0", "crate_1"])
        self.assertEqual(seg.frame_indices, [30])
        seg = self.sam.segment_image_by_text(self.images[0], "box", confidence_threshold=0.85)
        self.assertEqual(seg.num_objects, 1)
        vf = seg.visualize(0)  # background = the segmented frame
        self.assertEqual(vf.image.size, (96, 72))

    def test_text_errors(self):
        with self.assertRaises(RuntimeError) as cm:
            self.sam.segment_image_by_text(self.images[0], "sofa")
        self.assertIn("produced no usable mask", str(cm.exception))
        self.assertIn("frame_index=0", str(cm.exception))
        with self.assertRaises(RuntimeError) as cm:
            self.sam.segment_image_by_text(self.images[0], "box", confidence_threshold=0.95)
        self.assertIn("best candidate scored 0.90", str(cm.exception))
        with self.assertRaises(TypeError) as cm:
            self.sam.segment_image_by_text(self.images, "box")
        self.assertIn("got InputImages", str(cm.exception))
        with self.assertRaises(ValueError):
            self.sam.segment_image_by_text(self.images[0], "  ")

    def test_masks_follow_input_resolution(self):
        small = self.images[0].image.resize((48, 36))
        seg = self.sam.segment_image_by_text(small, "red box")
        self.assertEqual(seg.masks.shape, (1, 1, 36, 48))
        self.assertEqual(seg.frame_indices, [0])  # plain PIL: frame 0

    def test_box(self):
        ys, xs = np.nonzero(self.ids == BOX_B)
        box = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
        seg = self.sam.segment_image_by_box(self.images[0], box, "blue")
        self.assertEqual(seg.labels, ["blue"])
        np.testing.assert_array_equal(seg.get_mask(0, "blue"), self.ids == BOX_B)
        seg = self.sam.segment_image_by_box(self.images[0], np.array([box[2], box[3], box[0],
                                                                      box[1]]))
        self.assertEqual(seg.labels, ["object"])
        call = self.fake.calls[-1][1]
        self.assertEqual(call["mode"], "box")
        self.assertAlmostEqual(call["box_xywh"][0], box[0] / 96)
        for bad in ([1, 2, 3], "box", [[1, 2], [3, 4, 5]]):
            with self.subTest(bad=bad), self.assertRaises(ValueError) as cm:
                self.sam.segment_image_by_box(self.images[0], bad)
            self.assertEqual(str(cm.exception),
                             "'box' must be [x1, y1, x2, y2] in pixel coordinates.")
        with self.assertRaises(ValueError) as cm:
            self.sam.segment_image_by_box(self.images[0], [500, 500, 900, 900])
        self.assertIn("normalized_to_pixel", str(cm.exception))

    def test_points(self):
        ys, xs = np.nonzero(self.ids == BOX_A)
        p = [int(xs.mean()), int(ys.mean())]
        seg, out = quiet(self.sam.segment_image_by_points, self.images[0], p, 1, label="red")
        self.assertIn("treating", out)
        np.testing.assert_array_equal(seg.get_mask(0), self.ids == BOX_A)
        seg = self.sam.segment_image_by_points(self.images[0], [[5, 5], p], [0, 1])
        self.assertEqual(self.fake.calls[-1][1]["point_labels"], [0, 1])
        with self.assertRaises(ValueError):
            self.sam.segment_image_by_points(self.images[0], [p], [1, 1])
        with self.assertRaises(ValueError):
            self.sam.segment_image_by_points(self.images[0], [p], [0])
        with self.assertRaises(ValueError) as cm:
            self.sam.segment_image_by_points(self.images[0], [[500, 800]], [1])
        self.assertIn("PIXELS", str(cm.exception))
        with self.assertRaises(RuntimeError) as cm:  # sky: nothing there
            self.sam.segment_image_by_points(self.images[0], [[48, 0]], [1])
        self.assertIn("segment_image_by_points produced no mask", str(cm.exception))

    def test_is_object_exist(self):
        r = self.sam.is_object_exist(self.images, "box")
        self.assertEqual(r["exists"], [True, True, True])
        self.assertEqual(r["counts"], [2, 2, 2])
        self.assertEqual(r["summary"], "Object 'box' found in 3/3 images, avg 2.0 instances "
                                       "per image where found.")
        r = self.sam.is_object_exist(self.images[0], "sofa")
        self.assertEqual((r["exists"], r["counts"]), ([False], [0]))
        self.assertIn("avg 0.0", r["summary"])
        with self.assertRaises(ValueError):
            self.sam.is_object_exist([], "box")
        host.set_transport(None)
        with self.assertRaises(RuntimeError):  # no host at all: an error, not "not found"
            self.sam.is_object_exist(self.images, "box")

    def test_disabled_methods(self):
        with self.assertRaises(RuntimeError) as cm:
            self.sam.segment_image(self.images[0], ["box"])
        self.assertIn("segment_image_by_text", str(cm.exception))
        with self.assertRaises(RuntimeError) as cm:
            self.sam.segment_video(["box"])
        self.assertIn("segment_video_by_text", str(cm.exception))


class VideoMethodsTest(unittest.TestCase):
    def setUp(self):
        self.fake, self.images, self.meta, self.tools = make_session()
        self.sam = self.tools["SAM3"]

    def ids(self, fi):
        return self.fake.cameras[fi].render()[2]

    def test_channels_follow_prompts(self):
        seg, out = quiet(self.sam.segment_video_by_text, ["sofa", "blue box", "red box"])
        self.assertEqual(seg.masks.shape, (3, 3, 72, 96))
        self.assertEqual(seg.labels, ["sofa", "blue box", "red box"])
        self.assertEqual(seg.frame_indices, [0, 30, 60])
        self.assertFalse(seg.masks[:, 0].any())  # never found: empty channel kept in place
        for fi in (0, 30, 60):
            np.testing.assert_array_equal(seg.get_mask(fi, "blue box"), self.ids(fi) == BOX_B)
            np.testing.assert_array_equal(seg.get_mask(fi, 2), self.ids(fi) == BOX_A)
        self.assertIn("'sofa' in 0/3", out)
        self.assertEqual(set(seg._frames), {0, 30, 60})

    def test_multi_instance_prompt_follows_one_instance(self):
        seg, _ = quiet(self.sam.segment_video_by_text, ["box"], labels=["thing"])
        self.assertEqual(seg.labels, ["thing"])
        for fi in (0, 30, 60):  # the most confident instance (red box) throughout
            np.testing.assert_array_equal(seg.get_mask(fi), self.ids(fi) == BOX_A)

    def test_box_and_points(self):
        ys, xs = np.nonzero(self.ids(30) == BOX_B)
        box = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
        seg, _ = quiet(self.sam.segment_video_by_box, [box], ["blue box"],
                       prompt_frame_idx=30)
        self.assertEqual(seg.labels, ["blue box"])
        for fi in (0, 30, 60):
            np.testing.assert_array_equal(seg.get_mask(fi), self.ids(fi) == BOX_B)
        seg, _ = quiet(self.sam.segment_video_by_box, box, "obj", frame_indices=[60, 45])
        self.assertEqual(seg.frame_indices, [60, 45])
        self.assertFalse(seg.get_mask(45).any())
        ys, xs = np.nonzero(self.ids(0) == BOX_A)
        p = [int(xs.mean()), int(ys.mean())]
        seg, _ = quiet(self.sam.segment_video_by_points, [[p]], [[1]], ["red box"])
        np.testing.assert_array_equal(seg.get_mask(60), self.ids(60) == BOX_A)
        ys, xs = np.nonzero(self.ids(0) == BOX_B)
        q = [int(xs.mean()), int(ys.mean())]
        seg, _ = quiet(self.sam.segment_video_by_points, [p, q], [1, 1], ["red", "blue"])
        self.assertEqual(seg.num_objects, 2)  # one point per object, matched to labels
        np.testing.assert_array_equal(seg.get_mask(30, "blue"), self.ids(30) == BOX_B)
        with self.assertRaises(ValueError):
            self.sam.segment_video_by_points([[p]], [[1]], ["a", "b"])
        with self.assertRaises(RuntimeError):  # nothing under the point on the prompt frame
            self.sam.segment_video_by_points([[[48, 0]]], [[1]], ["sky"])

    def test_window_validation(self):
        _, images, _, tools = make_session(total_frames=5000)
        sam = tools["SAM3"]
        with self.assertRaises(ValueError) as cm:
            sam.segment_video_by_text(["box"])
        self.assertIn("You MUST specify start_frame and end_frame", str(cm.exception))
        with self.assertRaises(ValueError) as cm:
            sam.segment_video_by_text(["box"], start_frame=0, end_frame=1500)
        self.assertIn("exceeds the maximum of 1000", str(cm.exception))
        with self.assertRaises(ValueError):
            sam.segment_video_by_text(["box"], start_frame=60, end_frame=30)
        with self.assertRaises(ValueError) as cm:
            sam.segment_video_by_text(["box"], start_frame=1, end_frame=29)
        self.assertIn("none of the sampled frames", str(cm.exception))
        seg, out = quiet(sam.segment_video_by_text, ["box"], start_frame=np.int64(20),
                         end_frame=61, prompt_frame_idx=np.int64(5))
        self.assertEqual(seg.frame_indices, [30, 60])
        self.assertIn("nearest sampled frame 30", out)
        with self.assertRaises(ValueError):
            sam.segment_video_by_text(["box"], start_frame=0, end_frame=90, prompt_frame_idx=90)
        with self.assertRaises(ValueError):
            sam.segment_video_by_text([], start_frame=0, end_frame=90)
        with self.assertRaises(ValueError):
            sam.segment_video_by_text(["a", "b"], labels=["x"], start_frame=0, end_frame=90)

    def test_image_sets_have_no_video_methods(self):
        _, images, _, tools = make_session(is_video=False)
        with self.assertRaises(RuntimeError) as cm:
            tools["SAM3"].segment_video_by_text(["box"])
        self.assertIn("segment_image_by_text", str(cm.exception))

    def test_multi_video(self):
        v1 = InputImages([self.fake.frame(0), self.fake.frame(30)], [0, 30])
        v2 = InputImages([self.fake.frame(60)], [60])
        meta = Metadata(videos=[{"name": "a", "fps": 30.0, "total_frames": 40},
                                {"name": "b", "fps": 30.0, "total_frames": 3000}],
                        num_videos=2, total_frames=3)
        sam = build_tools(meta, [v1, v2], {})["SAM3"]
        seg, _ = quiet(sam.segment_video_by_text, ["red box"], video_index=1)
        self.assertEqual(seg.frame_indices, [0, 30])
        with self.assertRaises(ValueError) as cm:  # video 2 is long: its own length counts
            sam.segment_video_by_text(["red box"], video_index=2)
        self.assertIn("Video has 3000 frames", str(cm.exception))
        seg, _ = quiet(sam.segment_video_by_text, ["red box"], video_index=2, start_frame=0,
                       end_frame=100)
        self.assertEqual(seg.frame_indices, [60])
        for bad in (0, 3, "1", 1.0):
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                sam.segment_video_by_text(["red box"], video_index=bad)


if __name__ == "__main__":
    unittest.main()
