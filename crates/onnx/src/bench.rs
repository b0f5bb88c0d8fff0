//! Timing for `spatialclaw bench onnx`: the Rust pre/post-processing steps per frame (the
//! numpy side runs `testkit::NUMPY_STEPS_PY bench` with the same steps and sizes), and
//! end-to-end calls through the backend with the tiny graphs.

use std::time::Instant;

use spatialclaw_perception::{Backend, PerceptionError, RgbFrame, SegmentPrompt};

use crate::OnnxBackend;
use crate::depth::unproject;
use crate::manifest::{ImageInput, Layout, ResizeMode};
use crate::preprocess::{longest_side_shape, prepare, upsample_sam_mask};

/// The steps timed, in the order printed; the names match the numpy script's keys.
pub const STEPS: [&str; 4] = [
    "depth_prepare_518",
    "sam_prepare_1024",
    "sam_mask_upsample",
    "unproject",
];

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time(repeats: usize, mut f: impl FnMut()) -> f64 {
    f();
    median(
        (0..repeats.max(1))
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect(),
    )
}

/// Pseudo-random bytes (xorshift), so no frame is trivially compressible by the caches.
fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut s = seed | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 24) as u8
        })
        .collect()
}

/// A `w`×`h` frame of noise.
pub fn noise_frame(w: usize, h: usize, seed: u64) -> RgbFrame {
    RgbFrame::new(w, h, noise(w * h * 3, seed), seed as i64).expect("sized to fit")
}

/// Median milliseconds per frame of each step in `STEPS`, on a `w`×`h` frame.
pub fn rust_steps(w: usize, h: usize, repeats: usize) -> Vec<(&'static str, f64)> {
    let frame = noise_frame(w, h, 7);
    let imagenet = |size: usize, resize| ImageInput {
        size: [size, size],
        resize,
        layout: Layout::Nchw,
        pixel_scale: 1.0 / 255.0,
        mean: [0.485, 0.456, 0.406],
        std: [0.229, 0.224, 0.225],
    };
    let depth_in = imagenet(518, ResizeMode::Stretch);
    let sam_in = imagenet(1024, ResizeMode::LongestSide);
    let low: Vec<f32> = noise(256 * 256, 3)
        .iter()
        .map(|&b| f32::from(b) - 128.0)
        .collect();
    let depth: Vec<f32> = noise(w * h, 5)
        .iter()
        .map(|&b| 0.5 + f32::from(b) / 50.0)
        .collect();
    let k = [
        500.0,
        0.0,
        w as f64 / 2.0,
        0.0,
        500.0,
        h as f64 / 2.0,
        0.0,
        0.0,
        1.0,
    ];
    let content = longest_side_shape(h, w, 1024);
    vec![
        (STEPS[0], time(repeats, || drop(prepare(&frame, &depth_in)))),
        (STEPS[1], time(repeats, || drop(prepare(&frame, &sam_in)))),
        (
            STEPS[2],
            time(repeats, || {
                drop(upsample_sam_mask(&low, (256, 256), 1024, content, (h, w)))
            }),
        ),
        (
            STEPS[3],
            time(repeats, || drop(unproject(&depth, (h, w), &k))),
        ),
    ]
}

/// End-to-end medians through the backend with the tiny graphs (`tiny.toml`), on `w`×`h`
/// frames: preparation, onnxruntime and post-processing together.
#[derive(Debug, Clone)]
pub struct EndToEnd {
    pub reconstruct_per_frame_ms: f64,
    /// A box prompt on a frame whose embedding is cached (decoder only).
    pub segment_box_cached_ms: f64,
    /// A box prompt on a new frame (encoder + decoder).
    pub segment_box_new_frame_ms: f64,
    /// A text prompt: detector, then the segmenter on its boxes.
    pub segment_text_ms: f64,
}

pub fn end_to_end(
    backend: &OnnxBackend,
    w: usize,
    h: usize,
    repeats: usize,
) -> Result<EndToEnd, PerceptionError> {
    let frames: Vec<RgbFrame> = (0..4).map(|i| noise_frame(w, h, 11 + i)).collect();
    let mut err = None;
    let mut keep = |r: Result<(), PerceptionError>| {
        if let Err(e) = r {
            err.get_or_insert(e);
        }
    };
    let boxed = SegmentPrompt::Box([0.2, 0.2, 0.5, 0.5]);
    let reconstruct = time(repeats, || keep(backend.reconstruct(&frames).map(drop))) / 4.0;
    let cached = time(repeats, || {
        keep(backend.segment(&frames[0], &boxed).map(drop))
    });
    // Fresh frames made beforehand, so only the segmentation is timed.
    let fresh: Vec<RgbFrame> = (0..repeats.max(1) as u64 + 1)
        .map(|i| noise_frame(w, h, 1000 + i))
        .collect();
    let mut next = fresh.iter().cycle();
    let new_frame = time(repeats, || {
        if let Some(f) = next.next() {
            keep(backend.segment(f, &boxed).map(drop));
        }
    });
    let text = time(repeats, || {
        keep(
            backend
                .segment(&frames[1], &SegmentPrompt::Text("chair".into()))
                .map(drop),
        )
    });
    if let Some(e) = err {
        return Err(e);
    }
    Ok(EndToEnd {
        reconstruct_per_frame_ms: reconstruct,
        segment_box_cached_ms: cached,
        segment_box_new_frame_ms: new_frame,
        segment_text_ms: text,
    })
}
