"""The agent-facing names, parameter names and defaults match the reference API."""

import inspect
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))

from fake_host import make_session  # noqa: E402

from spatialclaw_kernel.per_frame import PerFrameMask, Reconstruction  # noqa: E402
from spatialclaw_kernel.tools import TOOL_NAMES, tool_docs  # noqa: E402
from spatialclaw_kernel.types import FrameImage, InputImages  # noqa: E402

E = inspect.Parameter.empty

# name -> [(param, default)] ; E = required
EXPECTED = {
    "Reconstruct.Reconstruct": [("frames", E), ("frame_indices", None)],
    "SAM3.segment_image_by_text": [("image", E), ("prompt", E), ("label", None),
                                   ("confidence_threshold", 0.3)],
    "SAM3.segment_image_by_points": [("image", E), ("points", E), ("point_labels", E),
                                     ("label", "object")],
    "SAM3.segment_image_by_box": [("image", E), ("box", E), ("label", "object")],
    "SAM3.is_object_exist": [("images", E), ("object_name", E)],
    "SAM3.segment_image": [("image", E), ("prompts", E), ("frame_index", None)],
    "SAM3.segment_video": [("prompts", E), ("prompt_frame_idx", 0), ("frame_indices", None)],
    "SAM3.segment_video_by_text": [("prompts", E), ("labels", None), ("prompt_frame_idx", 0),
                                   ("frame_indices", None), ("start_frame", None),
                                   ("end_frame", None), ("video_index", 1)],
    "SAM3.segment_video_by_points": [("points_per_object", E), ("point_labels_per_object", E),
                                     ("labels", E), ("prompt_frame_idx", 0),
                                     ("frame_indices", None), ("start_frame", None),
                                     ("end_frame", None), ("video_index", 1)],
    "SAM3.segment_video_by_box": [("boxes", E), ("labels", E), ("prompt_frame_idx", 0),
                                  ("frame_indices", None), ("start_frame", None),
                                  ("end_frame", None), ("video_index", 1)],
    "Geometry.euclidean_distance": [("p1", E), ("p2", E)],
    "Geometry.angle_between_vectors": [("v1", E), ("v2", E)],
    "Geometry.project_point_to_camera": [("point_3d", E), ("extrinsic_c2w", E), ("fx", E),
                                         ("fy", E), ("cx", E), ("cy", E)],
    "Geometry.rotation_matrix_from_vectors": [("v_from", E), ("v_to", E)],
    "Geometry.transform_points": [("points", E), ("matrix", E)],
    "Geometry.fit_ground_plane_ransac": [("points", E), ("confidence", E),
                                         ("conf_threshold", 0.3), ("n_iterations", 1000),
                                         ("inlier_threshold", 0.05)],
    "Geometry.normalized_to_pixel": [("coords", E), ("width", E), ("height", E)],
    "Mask.centroid": [("mask", E)],
    "Mask.centroids": [("masks", E)],
    "Mask.area": [("mask", E)],
    "Mask.bounding_box": [("mask", E)],
    "Mask.iou": [("a", E), ("b", E)],
    "Mask.intersection": [("a", E), ("b", E)],
    "Mask.mask_to_bbox": [("mask", E)],
    "Time.frame_to_seconds": [("frame_index", E)],
    "Time.seconds_to_frame": [("seconds", E)],
    "Time.frame_range_to_seconds": [("start_frame", E), ("end_frame", E)],
    "Time.get_frame_at_time": [("seconds", E)],
    "Graph.plot": [("values", E), ("validity", None), ("x_label", "Frame"),
                   ("y_label", "Value"), ("title", None)],
    "Draw.draw_bbox": [("image", E), ("bboxes", E), ("colors", None), ("thickness", None)],
    "Draw.draw_line": [("image", E), ("lines", E), ("colors", None), ("thickness", None)],
    "Draw.draw_point": [("image", E), ("points", E), ("colors", None), ("radius", None)],
}

EXPECTED_TYPES = {
    (Reconstruction, "render_bev"): [("masks", None), ("labels", None), ("prompts", None),
                                     ("conf_threshold", 0.1), ("ref_frame", 0),
                                     ("ego_trajectory", True)],
    (PerFrameMask, "get_mask"): [("frame", E), ("object", 0)],
    (PerFrameMask, "get_masked_points"): [("recon", E), ("frame", E), ("object", 0)],
    (PerFrameMask, "get_centroid_3d"): [("recon", E), ("frame", E), ("object", 0),
                                        ("conf_threshold", 0.3)],
    (PerFrameMask, "visualize"): [("frame_idx", None), ("background", None)],
    (FrameImage, "__init__"): [("image_or_path", E), ("frame_index", E), ("max_edge", None),
                               ("backend", "pi3")],
    (InputImages, "__init__"): [("images", ()), ("frame_indices", None), ("max_edge", None),
                                ("backend", "pi3")],
}


def positional(sig):
    return [(p.name, p.default) for p in sig.parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "self"]


class ApiSurfaceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake, cls.images, cls.meta, cls.tools = make_session()

    def test_seven_tools(self):
        self.assertEqual(set(self.tools), set(TOOL_NAMES))
        self.assertEqual(len(TOOL_NAMES), 7)
        self.assertEqual(self.tools["Reconstruct"].MAX_FRAMES, 64)
        self.assertEqual(repr(self.tools["Reconstruct"]), "ReconstructTool(MAX_FRAMES=64)")

    def test_tool_signatures(self):
        for dotted, expected in EXPECTED.items():
            ns, meth = dotted.split(".")
            with self.subTest(dotted):
                fn = getattr(self.tools[ns], meth)
                self.assertEqual(positional(inspect.signature(fn)), expected)

    def test_result_type_signatures(self):
        for (cls, meth), expected in EXPECTED_TYPES.items():
            with self.subTest(f"{cls.__name__}.{meth}"):
                self.assertEqual(positional(inspect.signature(getattr(cls, meth))), expected)

    def test_every_documented_method_has_a_docstring(self):
        for dotted in EXPECTED:
            ns, meth = dotted.split(".")
            fn = getattr(self.tools[ns], meth)
            self.assertTrue(fn.__doc__ and len(fn.__doc__.strip()) > 20, dotted)

    def test_tool_docs_is_stable_and_complete(self):
        docs = tool_docs()
        self.assertEqual(docs, tool_docs())
        for dotted in EXPECTED:
            ns, meth = dotted.split(".")
            if meth in ("segment_image", "segment_video"):
                self.assertNotIn(f"tools.{dotted}(", docs)  # disabled: not advertised
            else:
                self.assertIn(f"tools.{dotted}(", docs)
        self.assertIn("seg.get_centroid_3d(recon, frame, object=0, conf_threshold=0.3)", docs)
        self.assertIn("recon.render_bev(", docs)
        no_video = tool_docs(video=False, reconstruct_max_frames=32)
        self.assertNotIn("segment_video_by_text", no_video)
        self.assertIn("MAX_FRAMES (32)", no_video)
        self.assertLess(docs.index("tools.Reconstruct"), docs.index("tools.SAM3"))

    def test_build_tools_accepts_plain_frame_lists_and_dict_metadata(self):
        from spatialclaw_kernel.tools import build_tools
        tools = build_tools({"is_video": True, "fps": 30.0, "total_frames": 90,
                             "num_images": 3}, list(self.images), {})
        self.assertEqual(tools["Time"].fps, 30.0)
        self.assertEqual(tools["SAM3"]._videos[0].frame_indices, [0, 30, 60])

    def test_options_are_applied(self):
        _, _, _, tools = make_session(options={"reconstruct_max_frames": 8,
                                               "sam3_max_video_frames": 50})
        self.assertEqual(tools["Reconstruct"].MAX_FRAMES, 8)
        self.assertEqual(tools["SAM3"].max_video_frames, 50)


if __name__ == "__main__":
    unittest.main()
