//! Pre- and post-processing in Rust against numpy implementations of the same steps
//! (`testkit/numpy_steps.py`), run in the onnx environment.

mod common;

use std::fs;

use spatialclaw_onnx::depth::unproject;
use spatialclaw_onnx::manifest::{ImageInput, Layout, ResizeMode};
use spatialclaw_onnx::preprocess::{longest_side_shape, prepare, upsample_sam_mask};
use spatialclaw_onnx::testkit::run_numpy_steps;

fn read_f32(path: &std::path::Path) -> Vec<f32> {
    fs::read(path)
        .unwrap()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

fn assert_close(name: &str, ours: &[f32], theirs: &[f32], tol: f32) {
    assert_eq!(ours.len(), theirs.len(), "{name}: lengths");
    let worst = ours
        .iter()
        .zip(theirs)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(worst <= tol, "{name}: max difference {worst} > {tol}");
}

#[test]
fn rust_steps_match_numpy() {
    let f = common::fixture("numpy-reference");
    let dir = f.dir.join("case");
    fs::create_dir_all(&dir).unwrap();
    let (w, h) = (37usize, 23usize);
    // Deterministic, non-smooth pixels so interpolation errors show.
    let pixels: Vec<u8> = (0..w * h * 3).map(|i| ((i * 7919) % 251) as u8).collect();
    let frame = common::frame(w, h, 0, |x, y| {
        let i = (y * w + x) * 3;
        [pixels[i], pixels[i + 1], pixels[i + 2]]
    });
    fs::write(dir.join("frame.u8"), &pixels).unwrap();
    let specs = [
        (
            "stretch",
            ImageInput {
                size: [17, 53],
                resize: ResizeMode::Stretch,
                layout: Layout::Nchw,
                pixel_scale: 1.0 / 255.0,
                mean: [0.485, 0.456, 0.406],
                std: [0.229, 0.224, 0.225],
            },
        ),
        (
            "longest",
            ImageInput {
                size: [64, 64],
                resize: ResizeMode::LongestSide,
                layout: Layout::Nchw,
                pixel_scale: 1.0,
                mean: [123.675, 116.28, 103.53],
                std: [58.395, 57.12, 57.375],
            },
        ),
    ];
    let (lh, lw) = (16usize, 16usize);
    let low: Vec<f32> = (0..lh * lw)
        .map(|i| ((i * 37) % 29) as f32 - 14.0)
        .collect();
    fs::write(
        dir.join("low.f32"),
        low.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<_>>(),
    )
    .unwrap();
    let depth: Vec<f32> = (0..w * h).map(|i| 0.5 + (i % 13) as f32 * 0.25).collect();
    fs::write(
        dir.join("depth.f32"),
        depth
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let k = [30.0, 0.0, 18.5, 0.0, 28.0, 11.0, 0.0, 0.0, 1.0];
    let prepare_json: serde_json::Map<String, serde_json::Value> = specs
        .iter()
        .map(|(name, s)| {
            (
                name.to_string(),
                serde_json::json!({"size": s.size, "longest_side": s.resize == ResizeMode::LongestSide,
                                   "mean": s.mean, "std": s.std, "pixel_scale": s.pixel_scale}),
            )
        })
        .collect();
    let case = serde_json::json!({"width": w, "height": h, "prepare": prepare_json,
                                  "low_size": [lh, lw], "side": 64, "k": k});
    fs::write(dir.join("case.json"), case.to_string()).unwrap();
    run_numpy_steps(&f.python, &f.dir, &["check", &dir.to_string_lossy()]).unwrap();

    for (name, spec) in &specs {
        let ours = prepare(&frame, spec);
        assert_close(
            name,
            &ours.data,
            &read_f32(&dir.join(format!("{name}.f32"))),
            2e-4,
        );
    }
    let content = longest_side_shape(h, w, 64);
    let mask = upsample_sam_mask(&low, (lh, lw), 64, content, (h, w));
    assert_close("mask", &mask, &read_f32(&dir.join("mask.f32")), 1e-4);
    let points = unproject(&depth, (h, w), &k);
    assert_close("points", &points, &read_f32(&dir.join("points.f32")), 1e-5);
}
