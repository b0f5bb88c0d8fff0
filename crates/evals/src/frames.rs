//! A sample's visual input as the agent receives it (evals-runs.md §1.4): one frame group per video
//! (or one group of still images), each frame with its absolute frame index, plus the key frames
//! shown inline to the model.

use std::path::PathBuf;

use serde::Serialize;

use crate::loaders::{ImageRef, Sample, VideoRef};
use crate::video::{ExtractOptions, Ffmpeg, VideoError, round_half_even};

/// The frames of one video (`InputImages`, or `InputImages_<n>` in a multi-video sample), or a set
/// of still images.
#[derive(Debug, Clone)]
pub struct FrameGroup {
    pub name: String,
    /// Every sampled frame, in order (the kernel keeps all of them).
    pub images: Vec<ImageRef>,
    /// Absolute frame index of each image (0..n for still images and pre-extracted frames).
    pub frame_indices: Vec<u64>,
    pub fps: Option<f64>,
    pub total_frames: Option<u64>,
    pub duration_sec: Option<f64>,
    /// The video file, for video tools.
    pub source: Option<PathBuf>,
}

/// A key frame: where it lives in the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KeyFrame {
    /// 1-based video number in a multi-video sample; 0 otherwise.
    pub video: usize,
    /// Position in `InputImages` (or `InputImages_<video>`).
    pub list_index: usize,
    /// Absolute frame index.
    pub frame_index: u64,
}

/// All visual input of a sample.
#[derive(Debug, Clone)]
pub struct SampleFrames {
    pub groups: Vec<FrameGroup>,
    pub ref_images: Vec<ImageRef>,
    pub is_video: bool,
}

impl SampleFrames {
    /// Several videos: one `InputImages_<n>` per video and no flat `InputImages`.
    pub fn is_multi_video(&self) -> bool {
        self.is_video && self.groups.len() > 1
    }

    /// Up to `k` key frames **per group**, evenly spread (see [`key_frame_indices`]).
    pub fn key_frames(&self, k: usize) -> Vec<KeyFrame> {
        let multi = self.is_multi_video();
        self.groups
            .iter()
            .enumerate()
            .flat_map(|(g, group)| {
                key_frame_indices(group.images.len(), k)
                    .into_iter()
                    .map(move |i| KeyFrame {
                        video: if multi { g + 1 } else { 0 },
                        list_index: i,
                        frame_index: group.frame_indices.get(i).copied().unwrap_or(i as u64),
                    })
            })
            .collect()
    }
}

/// Which of `n` frames become key frames: `k' = min(k, n)`; all frames when `k' = n`; otherwise
/// `round(i · (n−1) / (k'−1))` for `i` in `0..k'` (Python rounding, half to even). `k = 0` is the
/// original's "blind mode" (none). For `k' = 1` the original divides by zero; we take the middle
/// frame.
pub fn key_frame_indices(n: usize, k: usize) -> Vec<usize> {
    let k = k.min(n);
    if k == 0 {
        return Vec::new();
    }
    if k >= n {
        return (0..n).collect();
    }
    if k == 1 {
        return vec![round_half_even((n - 1) as f64 / 2.0) as usize];
    }
    (0..k)
        .map(|i| round_half_even((i * (n - 1)) as f64 / (k - 1) as f64) as usize)
        .collect()
}

/// Resolves a sample's frames: still images as they are, shipped frames as they are, and videos
/// through ffmpeg into the cache (locating ffmpeg only when a video needs it).
pub fn sample_frames(
    sample: &Sample,
    ffmpeg: Option<&Ffmpeg>,
    opts: &ExtractOptions,
) -> Result<SampleFrames, VideoError> {
    let mut located: Option<Ffmpeg> = None;
    let mut groups = Vec::new();
    for v in &sample.videos {
        groups.push(video_group(v, ffmpeg, &mut located, opts)?);
    }
    if groups.is_empty() {
        groups.push(FrameGroup {
            name: "images".into(),
            frame_indices: (0..sample.images.len() as u64).collect(),
            images: sample.images.clone(),
            fps: None,
            total_frames: Some(sample.images.len() as u64),
            duration_sec: None,
            source: None,
        });
    }
    Ok(SampleFrames {
        groups,
        ref_images: sample.ref_images.clone(),
        is_video: sample.is_video(),
    })
}

fn video_group(
    v: &VideoRef,
    ffmpeg: Option<&Ffmpeg>,
    located: &mut Option<Ffmpeg>,
    opts: &ExtractOptions,
) -> Result<FrameGroup, VideoError> {
    if let Some(frames) = &v.frames {
        let duration = match (v.start_sec, v.end_sec) {
            (Some(s), Some(e)) if e >= s => Some(e - s),
            _ => None,
        };
        return Ok(FrameGroup {
            name: v.name.clone(),
            images: frames.iter().cloned().map(ImageRef::Path).collect(),
            frame_indices: v
                .frame_indices
                .clone()
                .filter(|f| f.len() == frames.len())
                .unwrap_or_else(|| (0..frames.len() as u64).collect()),
            fps: v.fps,
            total_frames: Some(v.total_frames.unwrap_or(frames.len() as u64)),
            duration_sec: duration,
            source: v.path.clone(),
        });
    }
    let path = v.path.clone().ok_or_else(|| VideoError::VideoMissing {
        path: PathBuf::from(&v.name),
    })?;
    let tools = match ffmpeg {
        Some(t) => t,
        None => {
            if located.is_none() {
                *located = Some(Ffmpeg::locate()?);
            }
            located
                .as_ref()
                .ok_or(VideoError::FfmpegMissing { tool: "ffmpeg" })?
        }
    };
    let frames = tools.extract(&path, opts)?;
    Ok(FrameGroup {
        name: v.name.clone(),
        images: frames.files.into_iter().map(ImageRef::Path).collect(),
        frame_indices: frames.frame_indices,
        fps: Some(frames.native_fps),
        total_frames: Some(frames.total_frames),
        duration_sec: Some(frames.duration_sec),
        source: Some(path),
    })
}

#[cfg(test)]
mod tests {
    use super::key_frame_indices;

    #[test]
    fn key_frames_match_the_reference_formula() {
        assert_eq!(key_frame_indices(10, 32), (0..10).collect::<Vec<_>>());
        assert_eq!(key_frame_indices(10, 0), Vec::<usize>::new());
        assert_eq!(key_frame_indices(0, 32), Vec::<usize>::new());
        // round(i*9/3): 0, 3, 6, 9
        assert_eq!(key_frame_indices(10, 4), vec![0, 3, 6, 9]);
        // round(i*4/3) = 0, 1.33→1, 2.67→3, 4
        assert_eq!(key_frame_indices(5, 4), vec![0, 1, 3, 4]);
        // round(i*5/4) = 0, 1.25→1, 2.5→2 (half to even), 3.75→4, 5
        assert_eq!(key_frame_indices(6, 5), vec![0, 1, 2, 4, 5]);
        // k = 1: the middle frame instead of a division by zero; (n-1)/2 = 2.5 → 2
        assert_eq!(key_frame_indices(6, 1), vec![2]);
        assert_eq!(key_frame_indices(1, 1), vec![0]);
    }
}
