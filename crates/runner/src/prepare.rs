//! Turning a benchmark sample into what the agent and the kernel take: frame files with
//! absolute indices, the `Metadata` attributes, and the key frames of the first message.

use std::path::Path;

use serde_json::{Value, json};
use spatialclaw_agent::{InputSummary, KeyFrame, Task, VideoSummary};
use spatialclaw_evals::frames::{SampleFrames, sample_frames};
use spatialclaw_evals::image_check::check_image;
use spatialclaw_evals::loaders::{ImageRef, Sample};
use spatialclaw_evals::video::{ExtractOptions, Ffmpeg};
use spatialclaw_kernel::{InputFrame, SessionInputs, VideoInput};
use spatialclaw_llm::ImagePart;

/// A sample ready to run.
pub struct Prepared {
    pub inputs: SessionInputs,
    pub task: Task,
}

fn materialize(
    images: &[ImageRef],
    indices: &[u64],
    dir: &Path,
) -> Result<Vec<InputFrame>, String> {
    images
        .iter()
        .zip(indices)
        .map(|(img, &fi)| {
            let path = img.materialize(dir).map_err(|e| {
                format!(
                    "cannot write an image of the sample to {}: {e}",
                    dir.display()
                )
            })?;
            Ok(InputFrame {
                path,
                frame_index: fi as i64,
            })
        })
        .collect()
}

fn metadata(frames: &SampleFrames) -> (Value, InputSummary) {
    let groups = &frames.groups;
    let num_images: usize = groups.iter().map(|g| g.images.len()).sum();
    let videos: Vec<VideoSummary> = if frames.is_video {
        groups
            .iter()
            .map(|g| VideoSummary {
                name: g.name.clone(),
                num_frames: g.images.len(),
                total_frames: g.total_frames.map(|t| t as i64),
                fps: g.fps,
                duration_sec: g.duration_sec,
            })
            .collect()
    } else {
        Vec::new()
    };
    let single = groups.first().filter(|_| !frames.is_multi_video());
    let summary = InputSummary {
        is_video: frames.is_video,
        num_images,
        fps: single.and_then(|g| g.fps),
        total_frames: if frames.is_multi_video() {
            Some(num_images as i64)
        } else {
            single.and_then(|g| g.total_frames).map(|t| t as i64)
        },
        duration_sec: single.and_then(|g| g.duration_sec),
        videos: if frames.is_multi_video() {
            videos.clone()
        } else {
            Vec::new()
        },
    };
    let meta = json!({
        "is_video": summary.is_video,
        "fps": summary.fps,
        "total_frames": summary.total_frames,
        "duration_sec": summary.duration_sec,
        "num_images": num_images,
        "video_source": single.and_then(|g| g.source.as_ref()).map(|p| p.display().to_string()),
        "num_videos": if frames.is_multi_video() { groups.len() } else { 1 },
        "videos": if frames.is_multi_video() {
            Value::Array(groups.iter().map(|g| json!({
                "name": g.name, "fps": g.fps, "num_frames": g.images.len(),
                "total_frames": g.total_frames, "duration_sec": g.duration_sec,
            })).collect())
        } else {
            Value::Null
        },
    });
    (meta, summary)
}

/// Resolve frames (extracting video frames with ffmpeg into the cache), write embedded images
/// under `media_dir`, and build the session inputs and the task. Errors are per-sample reasons.
pub fn prepare(
    sample: &Sample,
    media_dir: &Path,
    extract: &ExtractOptions,
    ffmpeg: Option<&Ffmpeg>,
    num_key_frames: usize,
) -> Result<Prepared, String> {
    if let Some(missing) = sample.first_missing_file() {
        return Err(format!("input file {} does not exist", missing.display()));
    }
    // The dataset's own images (not frames ffmpeg extracts, which it writes itself) are checked
    // before the kernel, the model or a perception backend decodes them: an empty, truncated,
    // corrupt or oversized image fails this sample with a reason, never the run.
    let shipped_frames = sample
        .videos
        .iter()
        .flat_map(|v| v.frames.iter().flatten().cloned().map(ImageRef::Path));
    for image in sample
        .images
        .iter()
        .chain(&sample.ref_images)
        .cloned()
        .chain(shipped_frames)
    {
        check_image(&image)?;
    }
    let frames = sample_frames(sample, ffmpeg, extract).map_err(|e| e.to_string())?;
    if frames.groups.iter().all(|g| g.images.is_empty()) {
        return Err("the sample has no images or video frames".into());
    }
    let (meta, input) = metadata(&frames);
    let mut inputs = SessionInputs {
        metadata: meta,
        ..Default::default()
    };
    if frames.is_multi_video() {
        let mut videos = Vec::new();
        for g in &frames.groups {
            videos.push(VideoInput {
                name: g.name.clone(),
                frames: materialize(&g.images, &g.frame_indices, media_dir)?,
            });
        }
        inputs.videos = Some(videos);
    } else {
        let g = &frames.groups[0];
        inputs.frames = materialize(&g.images, &g.frame_indices, media_dir)?;
    }
    let ref_indices: Vec<u64> = (0..frames.ref_images.len() as u64).collect();
    inputs.ref_frames = materialize(&frames.ref_images, &ref_indices, media_dir)?;

    let mut key_frames = Vec::new();
    for k in frames.key_frames(num_key_frames) {
        let group = &frames.groups[if k.video == 0 { 0 } else { k.video - 1 }];
        let bytes = group.images[k.list_index]
            .bytes()
            .map_err(|e| format!("cannot read a key frame: {e}"))?;
        let image = ImagePart::from_bytes(bytes).map_err(|e| {
            format!(
                "key frame {} is not a PNG or JPEG image: {e}",
                k.frame_index
            )
        })?;
        key_frames.push(KeyFrame {
            image,
            list_index: k.list_index,
            frame_index: k.frame_index as i64,
            video: k.video,
        });
    }
    let task = Task {
        id: sample.id.clone(),
        instruction: sample.instruction.clone(),
        key_frames,
        input,
    };
    Ok(Prepared { inputs, task })
}
