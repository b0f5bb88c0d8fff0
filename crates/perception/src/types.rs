//! What perception takes and gives: frames as pixels, geometry as flat arrays.
//!
//! Flat `Vec`s in C order keep the hand-off to the kernel pipe a copy, not a conversion.

use std::sync::Arc;

use sha2::{Digest, Sha256};

/// An RGB8 frame, row-major, 3 bytes a pixel.
#[derive(Debug, Clone)]
pub struct RgbFrame {
    pub width: usize,
    pub height: usize,
    pub pixels: Arc<[u8]>,
    /// Absolute frame index in the source video (0.. for image sets).
    pub frame_index: i64,
}

impl RgbFrame {
    pub fn new(
        width: usize,
        height: usize,
        pixels: impl Into<Arc<[u8]>>,
        frame_index: i64,
    ) -> Result<Self, crate::PerceptionError> {
        let pixels = pixels.into();
        if pixels.len() != width * height * 3 {
            return Err(crate::PerceptionError::BadInput(format!(
                "a {width}x{height} RGB frame needs {} bytes, got {}",
                width * height * 3,
                pixels.len()
            )));
        }
        Ok(Self {
            width,
            height,
            pixels,
            frame_index,
        })
    }

    /// Content hash of the pixels (and size): the identity perception results are keyed on.
    pub fn content_hash(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update((self.width as u64).to_le_bytes());
        h.update((self.height as u64).to_le_bytes());
        h.update(&self.pixels);
        h.finalize().into()
    }
}

/// The first frame, once every frame is known to have its size: reconstruction takes one size.
pub fn common_size(frames: &[RgbFrame]) -> Result<&RgbFrame, crate::PerceptionError> {
    let first = frames
        .first()
        .ok_or_else(|| crate::PerceptionError::BadInput("no frames to reconstruct".into()))?;
    if let Some(odd) = frames
        .iter()
        .find(|f| (f.width, f.height) != (first.width, first.height))
    {
        return Err(crate::PerceptionError::BadInput(format!(
            "all frames must share one size: frame {} is {}x{}, frame {} is {}x{}",
            odd.frame_index, odd.width, odd.height, first.frame_index, first.width, first.height
        )));
    }
    Ok(first)
}

/// Raw multi-view reconstruction, like a DA3 server returns it: geometry in the first camera's
/// frame (OpenCV axes), at the input resolution. The kernel-side tool aligns it to gravity.
#[derive(Debug, Clone, PartialEq)]
pub struct Reconstruction {
    pub frames: usize,
    pub height: usize,
    pub width: usize,
    /// (N, H, W, 3) metres.
    pub points: Vec<f32>,
    /// (N, H, W); 0 where there is no surface.
    pub confidence: Vec<f32>,
    /// (N, 4, 4) camera-to-world, row-major.
    pub camera_poses: Vec<f64>,
    /// (N, 3, 3) pinhole K at the input resolution, row-major.
    pub intrinsics: Vec<f64>,
    pub metric_scale: f64,
}

/// How to say what to segment.
#[derive(Debug, Clone, PartialEq)]
pub enum SegmentPrompt {
    Text(String),
    /// Normalised top-left x, y, width, height in 0..1.
    Box([f64; 4]),
    /// Normalised points with labels (1 foreground, 0 background).
    Points {
        points: Vec<[f64; 2]>,
        labels: Vec<i32>,
    },
}

/// Instance masks for one frame: (K, H, W), one channel per detected instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Masks {
    pub count: usize,
    pub height: usize,
    pub width: usize,
    pub data: Vec<bool>,
    pub scores: Vec<f32>,
}
