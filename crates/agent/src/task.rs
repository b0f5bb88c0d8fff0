//! One question and what the agent is told about its inputs.

use serde::Serialize;
use spatialclaw_llm::ImagePart;

/// An image shown in the first message, with where it lives in the kernel.
#[derive(Debug, Clone)]
pub struct KeyFrame {
    pub image: ImagePart,
    /// Position in `InputImages` (or `InputImages_<video>`).
    pub list_index: usize,
    /// Absolute frame index (the number every tool result is keyed by).
    pub frame_index: i64,
    /// 1-based video number in multi-video samples; 0 for a single video or an image set.
    pub video: usize,
}

/// One video of a multi-video sample.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VideoSummary {
    pub name: String,
    /// Frames sampled into `InputImages_<n>`.
    pub num_frames: usize,
    pub total_frames: Option<i64>,
    pub fps: Option<f64>,
    pub duration_sec: Option<f64>,
}

/// What the prompt says about the inputs (mirrors the kernel's `Metadata`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct InputSummary {
    pub is_video: bool,
    /// Frames in `InputImages` (all sampled frames, not only the key frames).
    pub num_images: usize,
    pub fps: Option<f64>,
    pub total_frames: Option<i64>,
    pub duration_sec: Option<f64>,
    /// Non-empty for multi-video samples (then there is no flat `InputImages`).
    pub videos: Vec<VideoSummary>,
}

/// The question and its inputs.
#[derive(Debug, Clone, Default)]
pub struct Task {
    /// Sample id: keys sticky routing and usage accounting.
    pub id: String,
    /// The full instruction (question, answer-format rules, choices).
    pub instruction: String,
    pub key_frames: Vec<KeyFrame>,
    pub input: InputSummary,
}

impl Task {
    /// (key-frame number, list index, frame index, video) for the prompt's mapping lines.
    pub fn key_frame_map(&self) -> Vec<KeyFrameRef> {
        self.key_frames
            .iter()
            .enumerate()
            .map(|(k, f)| KeyFrameRef {
                number: k + 1,
                list_index: f.list_index,
                frame_index: f.frame_index,
                video: f.video,
            })
            .collect()
    }
}

/// Where key frame `#number` lives in the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KeyFrameRef {
    pub number: usize,
    pub list_index: usize,
    pub frame_index: i64,
    pub video: usize,
}

/// Which of `n` frames become key frames, at most `k`, evenly spread and including both ends.
/// `k == 1` picks the middle frame (the original divided by zero there; §9.15).
pub fn key_frame_indices(n: usize, k: usize) -> Vec<usize> {
    if k == 0 || n == 0 {
        return Vec::new();
    }
    if k >= n {
        return (0..n).collect();
    }
    if k == 1 {
        return vec![(n - 1) / 2];
    }
    let mut out: Vec<usize> = (0..k)
        .map(|i| ((i * (n - 1)) as f64 / (k - 1) as f64).round_ties_even() as usize)
        .collect();
    out.dedup();
    out
}

/// The chain-of-thought baseline's frame sampling: `floor(i * n / k)` for `i < k`.
pub fn uniform_indices(n: usize, k: usize) -> Vec<usize> {
    if k == 0 || n == 0 {
        return Vec::new();
    }
    if k >= n {
        return (0..n).collect();
    }
    (0..k).map(|i| i * n / k).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_frames_cover_both_ends() {
        assert_eq!(key_frame_indices(10, 4), vec![0, 3, 6, 9]);
        assert_eq!(key_frame_indices(3, 32), vec![0, 1, 2]);
        assert_eq!(key_frame_indices(9, 1), vec![4]);
        // Python's round(): halves go to the even neighbour (2.5 -> 2), as in the original.
        assert_eq!(key_frame_indices(6, 3), vec![0, 2, 5]);
        assert!(key_frame_indices(5, 0).is_empty());
        assert_eq!(key_frame_indices(100, 32).len(), 32);
    }

    #[test]
    fn uniform_sampling_matches_the_baseline() {
        assert_eq!(uniform_indices(10, 4), vec![0, 2, 5, 7]);
        assert_eq!(uniform_indices(2, 32), vec![0, 1]);
    }
}
