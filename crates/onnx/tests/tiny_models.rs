//! The whole path with real onnxruntime and tiny graphs: manifest → dynamically loaded library
//! → sessions → tensor layouts → output conventions, embedding cache, text → boxes → masks.

mod common;

use common::{fixture, frame, open};
use spatialclaw_onnx::{OnnxError, Provider};
use spatialclaw_perception::resize::nearest_indices;
use spatialclaw_perception::{Backend, Masks, PerceptionError, SegmentPrompt};

fn fx() -> &'static common::Fixture {
    fixture("tiny-models")
}

fn close(a: f32, b: f32, tol: f32) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn loads_the_library_found_in_the_venv() {
    let b = open(fx(), "tiny.toml").unwrap();
    let rt = b.runtime();
    assert!(
        rt.library.starts_with(&fx().venv),
        "{} is not from the venv",
        rt.library.display()
    );
    assert!(rt.version.starts_with("1."), "version {}", rt.version);
    // The CPU wheel is what the tests install; it has no CUDA provider.
    assert_eq!(rt.provider, Provider::Cpu);
    assert!(rt.cuda_note.contains("onnxruntime-gpu"), "{}", rt.cuda_note);
    assert_eq!(b.name(), "onnx");
    assert_eq!(b.version(), format!("tiny-v1/ort{}/CPU", rt.version));
}

#[test]
fn single_view_depth_follows_the_reconstruct_conventions() {
    let b = open(fx(), "tiny.toml").unwrap();
    // Red grows along x, green is constant: depth = 1 + red tells whether channels and axes
    // reached the model in NCHW order; confidence = green.
    let (w, h) = (64usize, 48usize);
    let f0 = frame(w, h, 0, |x, _| [(x * 4) as u8, 128, 0]);
    let f1 = frame(w, h, 30, |x, _| [(x * 4) as u8, 128, 0]);
    let r = b.reconstruct(&[f0, f1]).unwrap();
    assert_eq!((r.frames, r.height, r.width), (2, h, w));
    assert_eq!(r.points.len(), 2 * h * w * 3);
    assert_eq!(r.confidence.len(), 2 * h * w);
    assert_eq!(r.metric_scale, 1.0);
    // Intrinsics predicted at 32x32 ([[20,0,16],[0,24,16]]) rescaled to 64x48.
    assert_eq!(
        &r.intrinsics[..9],
        &[40.0, 0.0, 32.0, 0.0, 36.0, 24.0, 0.0, 0.0, 1.0]
    );
    // Single-view fallback: identity poses for every frame.
    let eye = [
        1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0,
    ];
    assert_eq!(&r.camera_poses[..16], &eye);
    assert_eq!(&r.camera_poses[16..], &eye);
    // Bilinear 64 -> 32 averages column pairs: red at model column c is 8c + 2; the map comes
    // back to 64 columns nearest-neighbour.
    let cols = nearest_indices(32, w);
    for v in [0, 17, 47] {
        for u in [0, 5, 31, 32, 63] {
            let z = 1.0 + (8 * cols[u] + 2) as f32 / 255.0;
            let p = &r.points[(v * w + u) * 3..][..3];
            assert!(close(p[2], z, 1e-5), "z at ({u},{v}) = {} != {z}", p[2]);
            let x = (u as f32 - 32.0) / 40.0 * z;
            let y = (v as f32 - 24.0) / 36.0 * z;
            assert!(
                close(p[0], x, 1e-5) && close(p[1], y, 1e-5),
                "{p:?} vs {x},{y}"
            );
            assert!(close(r.confidence[v * w + u], 128.0 / 255.0, 1e-5));
        }
    }
}

#[test]
fn depth_without_predicted_intrinsics_uses_the_field_of_view() {
    let b = open(fx(), "tiny_fov.toml").unwrap();
    let r = b
        .reconstruct(&[frame(64, 48, 0, |_, _| [0, 0, 0])])
        .unwrap();
    // 90° horizontal: fx = 32 / tan(45°) = 32; principal point at the centre.
    let k = &r.intrinsics;
    assert!(
        (k[0] - 32.0).abs() < 1e-9 && (k[4] - 32.0).abs() < 1e-9,
        "{k:?}"
    );
    assert_eq!((k[2], k[5]), (32.0, 24.0));
    // No confidence output: 1 wherever the depth is valid (here depth = 1 everywhere).
    assert!(r.confidence.iter().all(|&c| c == 1.0));
    let err = b
        .reconstruct(&[
            frame(64, 48, 0, |_, _| [0; 3]),
            frame(32, 32, 1, |_, _| [0; 3]),
        ])
        .unwrap_err();
    assert!(
        matches!(err, PerceptionError::BadInput(ref m) if m.contains("share one size")),
        "{err}"
    );
}

#[test]
fn multiview_poses_are_expressed_in_the_first_camera_frame() {
    let b = open(fx(), "tiny_mv.toml").unwrap();
    // The tiny model puts camera i at x = mean red of frame i: 0.2 and 1.0.
    let f0 = frame(32, 32, 0, |_, _| [51, 0, 0]);
    let f1 = frame(32, 32, 10, |_, _| [255, 0, 0]);
    let r = b.reconstruct(&[f0, f1]).unwrap();
    let p = &r.camera_poses;
    assert!(
        (p[3]).abs() < 1e-6,
        "first camera at the origin: {:?}",
        &p[..16]
    );
    assert!(
        (p[16 + 3] - 0.8).abs() < 1e-6,
        "second camera 0.8 m along x: {:?}",
        &p[16..]
    );
    assert_eq!(p[16], 1.0);
    // focal_px = 50, principal point at 16: pixel (0, 0) of frame 1 at depth 2.
    let q = &r.points[32 * 32 * 3..][..3];
    let (x, y) = (-16.0 / 50.0 * 2.0 + 0.8, -16.0 / 50.0 * 2.0);
    assert!(
        close(q[0], x, 1e-5) && close(q[1], y, 1e-5) && close(q[2], 2.0, 1e-5),
        "{q:?}"
    );
    let q0 = &r.points[..3];
    assert!(
        close(q0[2], 1.2, 1e-5) && close(q0[0], -16.0 / 50.0 * 1.2, 1e-5),
        "{q0:?}"
    );
}

/// Pixels at least `margin` inside the rectangle [x0, x1) × [y0, y1) are set, pixels at least
/// `margin` outside are not.
fn assert_rect(m: &Masks, k: usize, (x0, y0, x1, y1): (f64, f64, f64, f64), margin: f64) {
    let (w, h) = (m.width, m.height);
    let plane = &m.data[k * w * h..(k + 1) * w * h];
    for v in 0..h {
        for u in 0..w {
            let (x, y) = (u as f64 + 0.5, v as f64 + 0.5);
            let inside = x > x0 + margin && x < x1 - margin && y > y0 + margin && y < y1 - margin;
            let outside = x < x0 - margin || x > x1 + margin || y < y0 - margin || y > y1 + margin;
            if inside {
                assert!(plane[v * w + u], "({u},{v}) should be in the mask");
            }
            if outside {
                assert!(!plane[v * w + u], "({u},{v}) should not be in the mask");
            }
        }
    }
}

#[test]
fn box_prompts_become_sam_corner_points_and_masks_land_on_the_frame() {
    let b = open(fx(), "tiny.toml").unwrap();
    let f = frame(40, 30, 0, |x, y| [x as u8, y as u8, 7]);
    let m = b
        .segment(&f, &SegmentPrompt::Box([0.25, 0.2, 0.5, 0.5]))
        .unwrap();
    assert_eq!((m.count, m.width, m.height), (1, 40, 30));
    // Labels 2 and 3: iou = 0.5 + 0.01 * 5.
    assert!(close(m.scores[0], 0.55, 1e-6), "{:?}", m.scores);
    assert_rect(&m, 0, (10.0, 6.0, 30.0, 21.0), 1.5);

    // The same through the decoder that returns low-resolution masks only: the Rust upsampling
    // gives the same mask.
    let low = open(fx(), "tiny_fov.toml").unwrap();
    let m2 = low
        .segment(&f, &SegmentPrompt::Box([0.25, 0.2, 0.5, 0.5]))
        .unwrap();
    assert_rect(&m2, 0, (10.0, 6.0, 30.0, 21.0), 1.5);
    let differ = m.data.iter().zip(&m2.data).filter(|(a, b)| a != b).count();
    assert!(
        differ <= 4,
        "{differ} pixels differ between graph and Rust upsampling"
    );
}

#[test]
fn point_prompts_carry_labels_and_sams_padding_point() {
    let b = open(fx(), "tiny.toml").unwrap();
    let f = frame(40, 30, 0, |x, y| [y as u8, x as u8, 0]);
    // The tiny decoder spans a box over the first two points.
    let m = b
        .segment(
            &f,
            &SegmentPrompt::Points {
                points: vec![[0.1, 0.1], [0.6, 0.7]],
                labels: vec![1, 0],
            },
        )
        .unwrap();
    assert_eq!(m.count, 1);
    // Labels 1 + 0 - 1 (padding point): iou = 0.5.
    assert!(close(m.scores[0], 0.5, 1e-6), "{:?}", m.scores);
    assert_rect(&m, 0, (4.0, 3.0, 24.0, 21.0), 1.5);
    let err = b
        .segment(
            &f,
            &SegmentPrompt::Points {
                points: vec![[0.1, 0.1]],
                labels: vec![5],
            },
        )
        .unwrap_err();
    assert!(matches!(err, PerceptionError::BadInput(_)), "{err}");
    let err = b
        .segment(&f, &SegmentPrompt::Box([2.0, 0.0, 0.1, 0.1]))
        .unwrap_err();
    assert!(matches!(err, PerceptionError::BadInput(_)), "{err}");
}

#[test]
fn image_embeddings_are_cached_per_frame_content() {
    let b = open(fx(), "tiny.toml").unwrap();
    let sam = b.segmenter().unwrap();
    let prompt = SegmentPrompt::Box([0.1, 0.1, 0.5, 0.5]);
    let frames: Vec<_> = (0..5u8)
        .map(|i| frame(24, 24, i64::from(i), move |x, y| [i * 40, x as u8, y as u8]))
        .collect();
    b.segment(&frames[0], &prompt).unwrap();
    b.segment(&frames[0], &SegmentPrompt::Box([0.3, 0.3, 0.2, 0.2]))
        .unwrap();
    assert_eq!(
        sam.encoder_runs(),
        1,
        "second prompt on the same frame reuses the embedding"
    );
    // Same pixels under another frame index: same content, no new encoding.
    let same = frame(24, 24, 99, |x, y| [0, x as u8, y as u8]);
    b.segment(&same, &prompt).unwrap();
    assert_eq!(sam.encoder_runs(), 1);
    for f in &frames[1..] {
        b.segment(f, &prompt).unwrap();
    }
    assert_eq!(sam.encoder_runs(), 5);
    // The cache holds 4 (manifest): frame 0 was evicted, frame 4 was not.
    b.segment(&frames[4], &prompt).unwrap();
    assert_eq!(sam.encoder_runs(), 5);
    b.segment(&frames[0], &prompt).unwrap();
    assert_eq!(sam.encoder_runs(), 6);
}

#[test]
fn text_prompts_detect_boxes_and_segment_them() {
    let b = open(fx(), "tiny.toml").unwrap();
    // A red top-right quadrant: the tiny detector scores the quadrants by their red.
    let f = frame(64, 64, 0, |x, y| {
        if x >= 32 && y < 32 {
            [255, 0, 0]
        } else {
            [0, 0, 40]
        }
    });
    let dets = b.detect(&f, "chair").unwrap();
    assert_eq!(dets.len(), 1, "{dets:?}");
    let bb = dets[0].bbox;
    assert!(
        (bb[0] - 0.55).abs() < 1e-6 && (bb[1] - 0.05).abs() < 1e-6,
        "{bb:?}"
    );
    assert!(
        (bb[2] - 0.4).abs() < 1e-6 && (bb[3] - 0.4).abs() < 1e-6,
        "{bb:?}"
    );
    let m = b.segment(&f, &SegmentPrompt::Text("Chair".into())).unwrap();
    assert_eq!(m.count, 1);
    assert!(m.scores[0] > 0.99, "detector score kept: {:?}", m.scores);
    assert_rect(&m, 0, (35.2, 3.2, 60.8, 28.8), 1.5);
    // Another word: the tiny detector finds nothing, so no masks.
    let none = b.segment(&f, &SegmentPrompt::Text("table".into())).unwrap();
    assert_eq!(none.count, 0);
    assert!(none.data.is_empty());
    let err = b
        .segment(&f, &SegmentPrompt::Text("  ".into()))
        .unwrap_err();
    assert!(matches!(err, PerceptionError::BadInput(_)));
    // Without a detector in the manifest, text prompts say what is missing.
    let no_det = open(fx(), "tiny_fov.toml").unwrap();
    let err = no_det
        .segment(&f, &SegmentPrompt::Text("chair".into()))
        .unwrap_err();
    assert!(err.to_string().contains("[detector]"), "{err}");
}

#[test]
fn wrong_manifests_are_refused_with_what_to_fix() {
    let dir = &fx().dir;
    let write = |name: &str, text: &str| {
        std::fs::write(dir.join(name), text).unwrap();
        name.to_owned()
    };
    // A missing model file.
    let m = write(
        "bad_missing.toml",
        "name = \"x\"\n[depth]\nmodel = \"nope.onnx\"\ninput = { size = [32, 32] }\n",
    );
    let err = open(fx(), &m).err().expect("must fail");
    assert!(matches!(err, OnnxError::MissingModel { .. }), "{err}");
    assert!(err.to_string().contains("nope.onnx"), "{err}");
    // An output the model does not have: the message lists what it has.
    let m = write(
        "bad_output.toml",
        "name = \"x\"\n[depth]\nmodel = \"depth.onnx\"\noutput = \"depth_map\"\ninput = { size = [32, 32] }\n",
    );
    let err = open(fx(), &m).err().expect("must fail");
    let text = err.to_string();
    assert!(matches!(err, OnnxError::Signature { .. }), "{text}");
    assert!(
        text.contains("depth_map") && text.contains("predicted_depth"),
        "{text}"
    );
    // A decoder that is not a SAM decoder.
    let m = write(
        "bad_decoder.toml",
        "name = \"x\"\n[segmenter]\nencoder = \"sam_encoder.onnx\"\ndecoder = \"depth.onnx\"\n\
         input = { size = [64, 64], resize = \"longest_side\" }\n",
    );
    let err = open(fx(), &m).err().expect("must fail");
    assert!(err.to_string().contains("point_coords"), "{err}");
    // Not TOML / wrong types.
    let m = write("bad_syntax.toml", "name = \"x\"\n[depth\n");
    let err = open(fx(), &m).err().expect("must fail");
    assert!(matches!(err, OnnxError::Manifest { .. }), "{err}");
    let m = write(
        "bad_type.toml",
        "name = \"x\"\n[depth]\nmodel = \"depth.onnx\"\ninput = { size = \"big\" }\n",
    );
    let err = open(fx(), &m).err().expect("must fail");
    assert!(err.to_string().contains("bad_type.toml"), "{err}");
    // A manifest for depth only cannot segment, and says so.
    let m = write(
        "depth_only.toml",
        "name = \"x\"\n[depth]\nmodel = \"depth.onnx\"\ninput = { size = [32, 32] }\n",
    );
    let b = open(fx(), &m).unwrap();
    let err = b
        .segment(
            &frame(8, 8, 0, |_, _| [0; 3]),
            &SegmentPrompt::Box([0.0, 0.0, 0.5, 0.5]),
        )
        .unwrap_err();
    assert!(err.to_string().contains("[segmenter]"), "{err}");
}
