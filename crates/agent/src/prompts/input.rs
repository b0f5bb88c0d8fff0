//! The per-sample part of the prompts: what the inputs are and where the key frames live.

use std::fmt::Write as _;

use crate::task::{InputSummary, KeyFrameRef};

fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e12 {
        format!("{}", x as i64)
    } else {
        format!("{x:.2}")
    }
}

/// One line (or, for several videos, one line per video) describing the inputs.
pub fn input_description(input: &InputSummary) -> String {
    if !input.videos.is_empty() {
        let mut s = format!("{} VIDEOS:\n", input.videos.len());
        for (i, v) in input.videos.iter().enumerate() {
            let _ = write!(
                s,
                "  Video {} ({}): {} sampled frames",
                i + 1,
                v.name,
                v.num_frames
            );
            if let Some(t) = v.total_frames {
                let _ = write!(s, " from {t} total");
            }
            if let Some(f) = v.fps {
                let _ = write!(s, " at {} FPS", num(f));
            }
            if let Some(d) = v.duration_sec {
                let _ = write!(s, ", {} s", num(d));
            }
            s.push_str(&format!(" -> InputImages_{}\n", i + 1));
        }
        return s.trim_end().to_owned();
    }
    if input.is_video {
        let mut s = format!("VIDEO: {} sampled frames", input.num_images);
        if let Some(t) = input.total_frames {
            let _ = write!(s, " from {t} total");
        }
        if let Some(f) = input.fps {
            let _ = write!(s, " at {} FPS", num(f));
        }
        s.push('.');
        if let Some(d) = input.duration_sec {
            let _ = write!(s, " Duration: {} s.", num(d));
        }
        return s;
    }
    match input.num_images {
        1 => "1 static image.".into(),
        n => format!("{n} static images."),
    }
}

fn list_name(video: usize) -> String {
    if video == 0 {
        "InputImages".into()
    } else {
        format!("InputImages_{video}")
    }
}

/// `#k -> InputImages[i] (frame f)` lines; more than 16 keep the first and last five.
pub fn key_frame_lines(key_frames: &[KeyFrameRef], prefix: &str) -> String {
    let line = |k: &KeyFrameRef| {
        format!(
            "{prefix}#{} -> {}[{}] (frame {})\n",
            k.number,
            list_name(k.video),
            k.list_index,
            k.frame_index
        )
    };
    if key_frames.len() <= 16 {
        return key_frames.iter().map(line).collect();
    }
    let mut s: String = key_frames[..5].iter().map(line).collect();
    let _ = writeln!(s, "... ({} more) ...", key_frames.len() - 10);
    s.extend(key_frames[key_frames.len() - 5..].iter().map(line));
    s
}

/// The `session_input` section shared by the code and react prompts.
pub(crate) fn session_input(
    input: &InputSummary,
    key_frames: &[KeyFrameRef],
    react: bool,
) -> String {
    let mut s = String::from("## This session's input\n");
    let look = if react {
        "call the `show` tool"
    } else {
        "use show()"
    };
    if key_frames.is_empty() {
        let _ = writeln!(
            s,
            "You have not been shown any frames: {look} to look at the inputs before you reason \
             about them."
        );
    } else {
        let _ = writeln!(
            s,
            "Your first message contains {} key frame(s), an overview chosen evenly from the \
             input; {look} to look at any other frame or at a frame in more detail.",
            key_frames.len()
        );
    }
    let _ = writeln!(s, "{}", input_description(input));
    let multi = !input.videos.is_empty();
    if multi {
        s.push_str(
            "Each video has its own list `InputImages_<n>` (there is no flat `InputImages`) and \
             its own entry `Metadata.videos[n-1]` (name, fps, num_frames, total_frames, \
             duration_sec). Pass `video_index=n` to the SAM3 video methods. Frame indices are \
             per video.\n",
        );
    } else {
        s.push_str("`InputImages` holds ALL sampled frames, not only the key frames.\n");
    }
    s.push_str(
        "Indexing: the list index is NOT the video frame number. `InputImages[i].frame_index` \
         is the absolute frame index, and every per-frame tool result (depth, poses, masks) is \
         keyed by it. Slices keep their frames' indices; `.frame_indices` lists them.\n",
    );
    if !key_frames.is_empty() {
        let _ = write!(
            s,
            "Key frames in the first message:\n{}",
            key_frame_lines(key_frames, "Key frame ")
        );
    }
    s.push_str(
        "`Metadata` has: is_video, fps, total_frames, num_images, duration_sec, num_videos, \
         video_source",
    );
    s.push_str(if multi { ", videos.\n" } else { ".\n" });
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::VideoSummary;

    #[test]
    fn descriptions() {
        let v = InputSummary {
            is_video: true,
            num_images: 64,
            fps: Some(2.0),
            total_frames: Some(1800),
            duration_sec: Some(60.0),
            videos: vec![],
        };
        assert_eq!(
            input_description(&v),
            "VIDEO: 64 sampled frames from 1800 total at 2 FPS. Duration: 60 s."
        );
        let multi = InputSummary {
            videos: vec![VideoSummary {
                name: "a.mp4".into(),
                num_frames: 8,
                ..Default::default()
            }],
            ..Default::default()
        };
        assert!(input_description(&multi).contains("-> InputImages_1"));
        let k = [KeyFrameRef {
            number: 1,
            list_index: 2,
            frame_index: 40,
            video: 2,
        }];
        assert_eq!(
            key_frame_lines(&k, ""),
            "#1 -> InputImages_2[2] (frame 40)\n"
        );
    }

    #[test]
    fn long_key_frame_lists_are_abbreviated() {
        let frames: Vec<_> = (0..32)
            .map(|k| KeyFrameRef {
                number: k + 1,
                list_index: k,
                frame_index: (k * 30) as i64,
                video: 0,
            })
            .collect();
        let text = key_frame_lines(&frames, "");
        assert_eq!(text.lines().count(), 11);
        assert!(text.contains("... (22 more) ..."));
        assert!(text.contains("#32 -> InputImages[31] (frame 930)"));
    }
}
