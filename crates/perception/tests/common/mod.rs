//! A small, fast, counting test backend shared by the integration tests.
#![allow(dead_code)]

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use spatialclaw_perception::{
    Backend, Masks, PerceptionError, Reconstruction, RgbFrame, SegmentPrompt,
};

/// Deterministic outputs computed from the pixels; counts calls and the most calls it ever
/// saw running at once.
pub struct FakeBackend {
    pub version: String,
    pub delay: Duration,
    calls: AtomicUsize,
    running: AtomicUsize,
    pub max_running: AtomicUsize,
    pub log: Mutex<Vec<String>>,
}

impl FakeBackend {
    pub fn new(version: &str) -> Self {
        Self {
            version: version.into(),
            delay: Duration::ZERO,
            calls: AtomicUsize::new(0),
            running: AtomicUsize::new(0),
            max_running: AtomicUsize::new(0),
            log: Mutex::new(Vec::new()),
        }
    }

    pub fn with_delay(mut self, d: Duration) -> Self {
        self.delay = d;
        self
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn enter(&self, what: String) {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_running.fetch_max(now, Ordering::SeqCst);
        self.log.lock().unwrap().push(what);
        if !self.delay.is_zero() {
            std::thread::sleep(self.delay);
        }
    }

    fn leave(&self) {
        self.running.fetch_sub(1, Ordering::SeqCst);
    }
}

pub fn frame(w: usize, h: usize, seed: u8, index: i64) -> RgbFrame {
    let px: Vec<u8> = (0..w * h * 3)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect();
    RgbFrame::new(w, h, px, index).unwrap()
}

pub fn expected_reconstruction(frames: &[RgbFrame]) -> Reconstruction {
    let (h, w) = (frames[0].height, frames[0].width);
    let mut r = Reconstruction {
        frames: frames.len(),
        height: h,
        width: w,
        points: Vec::new(),
        confidence: Vec::new(),
        camera_poses: Vec::new(),
        intrinsics: Vec::new(),
        metric_scale: 1.5,
    };
    for (i, f) in frames.iter().enumerate() {
        for p in f.pixels.chunks_exact(3) {
            r.points.extend([
                f32::from(p[0]) / 10.0,
                f32::from(p[1]) / 10.0,
                1.0 + f32::from(p[2]) / 100.0,
            ]);
            r.confidence.push(if p[0] % 7 == 0 { 0.0 } else { 1.0 });
        }
        let mut pose = [0.0; 16];
        pose[0] = 1.0;
        pose[5] = 1.0;
        pose[10] = 1.0;
        pose[15] = 1.0;
        pose[3] = i as f64 * 0.25;
        r.camera_poses.extend(pose);
        r.intrinsics.extend([
            100.0,
            0.0,
            w as f64 / 2.0,
            0.0,
            100.0,
            h as f64 / 2.0,
            0.0,
            0.0,
            1.0,
        ]);
    }
    r
}

pub fn expected_masks(frame: &RgbFrame, prompt: &SegmentPrompt) -> Masks {
    let threshold = match prompt {
        SegmentPrompt::Text(t) if t == "nothing" => None,
        SegmentPrompt::Text(t) => Some(t.len() as u8 * 20),
        SegmentPrompt::Box(b) => Some((b[0] * 255.0) as u8),
        SegmentPrompt::Points { points, .. } => Some((points.len() * 40) as u8),
    };
    let (h, w) = (frame.height, frame.width);
    match threshold {
        None => Masks {
            count: 0,
            height: h,
            width: w,
            data: vec![],
            scores: vec![],
        },
        Some(t) => Masks {
            count: 1,
            height: h,
            width: w,
            data: frame.pixels.chunks_exact(3).map(|p| p[0] > t).collect(),
            scores: vec![0.75],
        },
    }
}

impl Backend for FakeBackend {
    fn name(&self) -> &str {
        "fake"
    }

    fn version(&self) -> &str {
        &self.version
    }

    fn reconstruct(&self, frames: &[RgbFrame]) -> Result<Reconstruction, PerceptionError> {
        self.enter(format!("reconstruct {}", frames.len()));
        let r = if frames[0].width == 1 {
            Err(PerceptionError::BadInput(
                "frames must be wider than one pixel".into(),
            ))
        } else {
            Ok(expected_reconstruction(frames))
        };
        self.leave();
        r
    }

    fn segment(&self, frame: &RgbFrame, prompt: &SegmentPrompt) -> Result<Masks, PerceptionError> {
        self.enter(format!("segment {prompt:?}"));
        let r = match prompt {
            SegmentPrompt::Text(t) if t == "fail" => Err(PerceptionError::Failed(
                "the model failed on purpose".into(),
            )),
            _ => Ok(expected_masks(frame, prompt)),
        };
        self.leave();
        r
    }
}
