"""Tiny ONNX graphs with the input/output signatures of real exports (Depth Anything style
depth, a multi-view depth+pose model, SAM encoder/decoder, OWL-ViT style detector), plus
manifests and a tokenizer vocabulary, for the onnx backend's tests and benchmark.

Usage: python tiny_graphs.py OUT_DIR

The graphs compute simple, known functions so tests can check layouts and conventions:
- depth: predicted_depth = 1 + R (R = red channel after normalisation to 0..1);
  intrinsics = [[20, 0, 16], [0, 24, 16], [0, 0, 1]] at the 32x32 input; confidence = G.
- depth_mv: images (1, N, 3, 32, 32) -> depth (1, N, 32, 32) = 1 + R and poses (1, N, 4, 4)
  camera-to-world, identity rotation, translation x = mean(R) of that frame.
- sam_encoder: image (1, 3, 64, 64) -> image_embeddings (1, 3, 16, 16) (4x4 average pool).
- sam_decoder: the first two prompt points are treated as box corners (x0, y0), (x1, y1) in
  input pixels; low_res_masks (1, 2, 32, 32) = [inside-box logit, its negation];
  iou_predictions = [0.5 + 0.01 * sum(point_labels), 0.25]; masks are upsampled to
  orig_im_size the way SAM's export does it (to 64x64, crop the unpadded part, resize).
  sam_decoder_lowres gives the low-res logits as `masks` (exports that skip upsampling).
- detector: logits (1, 4, 1) for the four image quadrants = 20 * mean(R in quadrant) - 10 when
  the query's first token is `chair`, else -10; pred_boxes are the quadrants' centres with
  size 0.4 (normalised cx, cy, w, h).
"""

import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
F = TensorProto.FLOAT
I64 = TensorProto.INT64


def const(name, array):
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.asarray(array), name))


def save(nodes, inputs, outputs, path):
    graph = helper.make_graph(nodes, os.path.basename(path), inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


def i64(*v):
    return np.array(v, dtype=np.int64)


def f32(v):
    return np.array(v, dtype=np.float32)


def depth(out):
    nodes = [
        const("s0", i64(0)), const("s1", i64(1)), const("s2", i64(2)), const("ax1", i64(1)),
        helper.make_node("Slice", ["pixel_values", "s0", "s1", "ax1"], ["r4"]),
        helper.make_node("Slice", ["pixel_values", "s1", "s2", "ax1"], ["g4"]),
        helper.make_node("Squeeze", ["r4", "ax1"], ["r"]),
        helper.make_node("Squeeze", ["g4", "ax1"], ["confidence"]),
        const("one", f32(1.0)),
        helper.make_node("Add", ["r", "one"], ["predicted_depth"]),
        const("intrinsics", f32([[[20, 0, 16], [0, 24, 16], [0, 0, 1]]])),
    ]
    save(
        nodes,
        [helper.make_tensor_value_info("pixel_values", F, [1, 3, 32, 32])],
        [
            helper.make_tensor_value_info("predicted_depth", F, [1, 32, 32]),
            helper.make_tensor_value_info("intrinsics", F, [1, 3, 3]),
            helper.make_tensor_value_info("confidence", F, [1, 32, 32]),
        ],
        os.path.join(out, "depth.onnx"),
    )


def depth_mv(out):
    e03 = np.zeros((4, 4), np.float32)
    e03[0, 3] = 1
    nodes = [
        const("s0", i64(0)), const("s1", i64(1)), const("ax2", i64(2)), const("ax4", i64(4)),
        helper.make_node("Slice", ["images", "s0", "s1", "ax2"], ["r5"]),
        helper.make_node("Squeeze", ["r5", "ax2"], ["r"]),
        const("one", f32(1.0)),
        helper.make_node("Add", ["r", "one"], ["depth"]),
        helper.make_node("ReduceMean", ["r5"], ["t5"], axes=[2, 3, 4], keepdims=1),
        helper.make_node("Squeeze", ["t5", "ax4"], ["t"]),
        const("e03", e03),
        const("eye", np.eye(4, dtype=np.float32)),
        helper.make_node("Mul", ["t", "e03"], ["tm"]),
        helper.make_node("Add", ["tm", "eye"], ["poses"]),
    ]
    save(
        nodes,
        [helper.make_tensor_value_info("images", F, [1, "N", 3, 32, 32])],
        [
            helper.make_tensor_value_info("depth", F, [1, "N", 32, 32]),
            helper.make_tensor_value_info("poses", F, [1, "N", 4, 4]),
        ],
        os.path.join(out, "depth_mv.onnx"),
    )


def sam_encoder(out):
    nodes = [helper.make_node("AveragePool", ["image"], ["image_embeddings"], kernel_shape=[4, 4], strides=[4, 4])]
    save(
        nodes,
        [helper.make_tensor_value_info("image", F, [1, 3, 64, 64])],
        [helper.make_tensor_value_info("image_embeddings", F, [1, 3, 16, 16])],
        os.path.join(out, "sam_encoder.onnx"),
    )


def sam_decoder(out, lowres_only):
    side, low = 64, 32
    centres = (np.arange(low, dtype=np.float32) + 0.5) * (side / low)
    gx = np.broadcast_to(centres[None, :], (low, low)).reshape(1, 1, low, low).copy()
    gy = np.broadcast_to(centres[:, None], (low, low)).reshape(1, 1, low, low).copy()
    nodes = [const("gx", gx), const("gy", gy), const("ax12", i64(1, 2)), const("shape4", i64(1, 1, 1, 1))]

    def coord(name, point, axis):
        nodes.append(const(name + "_s", i64(point, axis)))
        nodes.append(const(name + "_e", i64(point + 1, axis + 1)))
        nodes.append(helper.make_node("Slice", ["point_coords", name + "_s", name + "_e", "ax12"], [name + "_3"]))
        nodes.append(helper.make_node("Reshape", [name + "_3", "shape4"], [name]))

    coord("x0", 0, 0)
    coord("y0", 0, 1)
    coord("x1", 1, 0)
    coord("y1", 1, 1)
    nodes += [
        helper.make_node("Sub", ["gx", "x0"], ["d0"]),
        helper.make_node("Sub", ["x1", "gx"], ["d1"]),
        helper.make_node("Sub", ["gy", "y0"], ["d2"]),
        helper.make_node("Sub", ["y1", "gy"], ["d3"]),
        helper.make_node("Min", ["d0", "d1", "d2", "d3"], ["logit"]),
        helper.make_node("Neg", ["logit"], ["neg"]),
        helper.make_node("Concat", ["logit", "neg"], ["low_res_masks"], axis=1),
        # iou = 0.5 + 0.01 * sum(labels) (+ 0 * the other inputs, so every input is used)
        const("ax1", i64(1)),
        helper.make_node("ReduceSum", ["point_labels", "ax1"], ["lsum"], keepdims=1),
        const("c001", f32(0.01)),
        const("c05", f32(0.5)),
        const("zero", f32(0.0)),
        helper.make_node("Mul", ["lsum", "c001"], ["l1"]),
        helper.make_node("Add", ["l1", "c05"], ["l2"]),
        helper.make_node("ReduceMean", ["image_embeddings"], ["em"], axes=[1, 2, 3], keepdims=0),
        helper.make_node("ReduceMean", ["mask_input"], ["mm"], axes=[1, 2, 3], keepdims=0),
        helper.make_node("Add", ["em", "mm"], ["emm"]),
        helper.make_node("Add", ["emm", "has_mask_input"], ["emh"]),
        helper.make_node("Mul", ["emh", "zero"], ["z"]),
        helper.make_node("Add", ["l2", "z"], ["iou0"]),
        const("iou1", f32([[0.25]])),
        helper.make_node("Concat", ["iou0", "iou1"], ["iou_predictions"], axis=1),
    ]
    if lowres_only:
        nodes.append(helper.make_node("Identity", ["low_res_masks"], ["masks"]))
    else:
        # SAM's postprocess: upsample to the square input, crop the unpadded part, resize.
        nodes += [
            const("up_sizes", i64(1, 2, side, side)),
            helper.make_node("Resize", ["low_res_masks", "", "", "up_sizes"], ["up"], mode="linear"),
            helper.make_node("ReduceMax", ["orig_im_size"], ["longest"], keepdims=1),
            const("side_f", f32([float(side)])),
            helper.make_node("Div", ["side_f", "longest"], ["scale"]),
            helper.make_node("Mul", ["orig_im_size", "scale"], ["content_f"]),
            const("half", f32(0.5)),
            helper.make_node("Add", ["content_f", "half"], ["content_h"]),
            helper.make_node("Floor", ["content_h"], ["content_r"]),
            helper.make_node("Cast", ["content_r"], ["content"], to=I64),
            const("zeros2", i64(0, 0)),
            const("ax23", i64(2, 3)),
            helper.make_node("Slice", ["up", "zeros2", "content", "ax23"], ["crop"]),
            helper.make_node("Cast", ["orig_im_size"], ["orig_i"], to=I64),
            const("lead", i64(1, 2)),
            helper.make_node("Concat", ["lead", "orig_i"], ["out_sizes"], axis=0),
            helper.make_node("Resize", ["crop", "", "", "out_sizes"], ["masks"], mode="linear"),
        ]
    save(
        nodes,
        [
            helper.make_tensor_value_info("image_embeddings", F, [1, 3, 16, 16]),
            helper.make_tensor_value_info("point_coords", F, [1, "N", 2]),
            helper.make_tensor_value_info("point_labels", F, [1, "N"]),
            helper.make_tensor_value_info("mask_input", F, [1, 1, 64, 64]),
            helper.make_tensor_value_info("has_mask_input", F, [1]),
            helper.make_tensor_value_info("orig_im_size", F, [2]),
        ],
        [
            helper.make_tensor_value_info("masks", F, [1, 2, "H", "W"]),
            helper.make_tensor_value_info("iou_predictions", F, [1, 2]),
            helper.make_tensor_value_info("low_res_masks", F, [1, 2, low, low]),
        ],
        os.path.join(out, "sam_decoder_lowres.onnx" if lowres_only else "sam_decoder.onnx"),
    )


CHAIR_ID = 8


def detector(out):
    boxes = f32([[[0.25, 0.25, 0.4, 0.4], [0.75, 0.25, 0.4, 0.4], [0.25, 0.75, 0.4, 0.4], [0.75, 0.75, 0.4, 0.4]]])
    nodes = [
        const("s0", i64(0)), const("s1", i64(1)), const("s2", i64(2)), const("ax1", i64(1)),
        helper.make_node("Slice", ["pixel_values", "s0", "s1", "ax1"], ["r"]),
        helper.make_node("AveragePool", ["r"], ["q4"], kernel_shape=[16, 16], strides=[16, 16]),
        const("qshape", i64(1, 4, 1)),
        helper.make_node("Reshape", ["q4", "qshape"], ["q"]),
        helper.make_node("Slice", ["input_ids", "s1", "s2", "ax1"], ["first"]),
        const("chair", i64(CHAIR_ID)),
        helper.make_node("Equal", ["first", "chair"], ["is_chair"]),
        helper.make_node("Cast", ["is_chair"], ["m"], to=F),
        helper.make_node("Cast", ["attention_mask"], ["am"], to=F),
        helper.make_node("ReduceSum", ["am", "ax1"], ["ams"], keepdims=1),
        const("zero", f32(0.0)),
        helper.make_node("Mul", ["ams", "zero"], ["amz"]),
        helper.make_node("Add", ["m", "amz"], ["mq"]),
        const("c20", f32(20.0)),
        const("c10", f32(10.0)),
        helper.make_node("Mul", ["q", "mq"], ["qm"]),
        helper.make_node("Mul", ["qm", "c20"], ["q20"]),
        helper.make_node("Sub", ["q20", "c10"], ["logits"]),
        const("pred_boxes", boxes),
    ]
    save(
        nodes,
        [
            helper.make_tensor_value_info("pixel_values", F, [1, 3, 32, 32]),
            helper.make_tensor_value_info("input_ids", I64, [1, 16]),
            helper.make_tensor_value_info("attention_mask", I64, [1, 16]),
        ],
        [
            helper.make_tensor_value_info("logits", F, [1, 4, 1]),
            helper.make_tensor_value_info("pred_boxes", F, [1, 4, 4]),
        ],
        os.path.join(out, "detector.onnx"),
    )
    vocab = {"!": 0, "<|startoftext|>": 100, "<|endoftext|>": 101, "c": 1, "h": 2, "a": 3, "i": 4,
             "r</w>": 5, "ch": 6, "air</w>": 7, "chair</w>": CHAIR_ID, "t": 9, "b": 10, "l": 11, "e</w>": 12}
    with open(os.path.join(out, "vocab.json"), "w") as f:
        json.dump(vocab, f)
    with open(os.path.join(out, "merges.txt"), "w") as f:
        f.write("#version: 0.2\nc h\na i\nai r</w>\nch air</w>\n")


SAM = """
[segmenter]
encoder = "sam_encoder.onnx"
decoder = "{decoder}"
input = {{ size = [64, 64], resize = "longest_side", mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225] }}
embedding_cache = 4
"""

DETECTOR = """
[detector]
model = "detector.onnx"
vocab = "vocab.json"
merges = "merges.txt"
input = { size = [32, 32] }
score_threshold = 0.5
"""


def manifests(out):
    files = {
        # Single-view depth with predicted intrinsics and confidence, SAM, detector.
        "tiny.toml": 'name = "tiny-v1"\n\n[depth]\nmodel = "depth.onnx"\ninput = { size = [32, 32] }\n'
        'intrinsics_output = "intrinsics"\nconfidence_output = "confidence"\n'
        + SAM.format(decoder="sam_decoder.onnx") + DETECTOR,
        # Single-view depth without intrinsics (field-of-view fallback), low-res decoder.
        "tiny_fov.toml": 'name = "tiny-fov"\n\n[depth]\nmodel = "depth.onnx"\ninput = { size = [32, 32] }\n'
        "fov_deg = 90.0\n" + SAM.format(decoder="sam_decoder_lowres.onnx"),
        # Multi-view depth with poses.
        "tiny_mv.toml": 'name = "tiny-mv"\n\n[depth]\nmodel = "depth_mv.onnx"\ninput_name = "images"\n'
        'output = "depth"\ninput = { size = [32, 32] }\nmultiview = true\nposes_output = "poses"\n'
        "focal_px = 50.0\n",
    }
    for name, text in files.items():
        with open(os.path.join(out, name), "w") as f:
            f.write(text)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    depth(out)
    depth_mv(out)
    sam_encoder(out)
    sam_decoder(out, lowres_only=False)
    sam_decoder(out, lowres_only=True)
    detector(out)
    manifests(out)
    print("ok")


if __name__ == "__main__":
    main()
