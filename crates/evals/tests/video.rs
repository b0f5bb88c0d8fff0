//! Frame extraction with the real ffmpeg on a tiny video that ffmpeg itself generates. Tests that need
//! ffmpeg print a notice and pass when it is not installed (`scripts/setup-ffmpeg.sh` installs it).

mod support;

use std::path::{Path, PathBuf};

use spatialclaw_evals::frames::sample_frames;
use spatialclaw_evals::loaders::{self, LoadOptions};
use spatialclaw_evals::video::{ExtractOptions, Ffmpeg, VideoError};
use support::*;

fn tools() -> Option<Ffmpeg> {
    match Ffmpeg::locate() {
        Ok(t) => Some(t),
        Err(e) => {
            eprintln!("SKIPPED: ffmpeg not installed ({e})");
            None
        }
    }
}

/// A 2 s, 10 fps, 64×48 test pattern.
fn make_video(t: &Ffmpeg, path: &Path) {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).unwrap();
    }
    t.write_test_pattern(path, (64, 48), 10, 2)
        .expect("ffmpeg generated the test video");
}

fn opts(cache: &Path, max_fps: Option<f64>) -> ExtractOptions {
    ExtractOptions {
        cache_dir: cache.to_path_buf(),
        ..ExtractOptions::new(max_fps)
    }
}

#[test]
fn missing_ffmpeg_says_how_to_install_it() {
    let t = Ffmpeg {
        ffmpeg: PathBuf::from("/nonexistent/ffmpeg"),
        ffprobe: PathBuf::from("/nonexistent/ffprobe"),
    };
    let dir = tempfile::tempdir().unwrap();
    let video = dir.path().join("v.mp4");
    std::fs::write(&video, b"x").unwrap();
    let e = t
        .extract(&video, &opts(dir.path(), None))
        .expect_err("no ffmpeg");
    assert!(matches!(e, VideoError::FfmpegMissing { .. }), "{e}");
    assert!(e.to_string().contains("apt-get install ffmpeg"), "{e}");
    let e = t
        .extract(&dir.path().join("gone.mp4"), &opts(dir.path(), None))
        .expect_err("no video");
    assert!(matches!(e, VideoError::VideoMissing { .. }), "{e}");
}

#[test]
fn extraction_at_native_and_capped_fps_with_absolute_indices() {
    let Some(t) = tools() else { return };
    let dir = tempfile::tempdir().unwrap();
    let video = dir.path().join("clip.mp4");
    make_video(&t, &video);
    let cache = dir.path().join("cache");

    let info = t.probe(&video).unwrap();
    assert!((info.fps - 10.0).abs() < 1e-9);
    assert_eq!(info.total_frames, 20);
    assert_eq!((info.width, info.height), (64, 48));

    let native = t.extract(&video, &opts(&cache, None)).unwrap();
    assert_eq!(native.files.len(), 20);
    assert_eq!(native.frame_indices, (0..20).collect::<Vec<u64>>());
    assert!(native.files.iter().all(|f| f.is_file()));

    // 2.5 fps out of 10: index round(i · 10 / 2.5) = 4i.
    let capped = t.extract(&video, &opts(&cache, Some(2.5))).unwrap();
    assert_eq!(capped.out_fps, 2.5);
    assert_eq!(capped.frame_indices, vec![0, 4, 8, 12, 16]);
    // The fps cap is part of the cache key: both extractions live side by side.
    assert_ne!(native.files[0].parent(), capped.files[0].parent());

    // A second request is served from the cache (same files, not rewritten).
    let before = std::fs::metadata(&capped.files[0])
        .unwrap()
        .modified()
        .unwrap();
    let again = t.extract(&video, &opts(&cache, Some(2.5))).unwrap();
    assert_eq!(again, capped);
    assert_eq!(
        std::fs::metadata(&again.files[0])
            .unwrap()
            .modified()
            .unwrap(),
        before
    );
    // A cap above the native rate changes nothing but the key.
    let high = t.extract(&video, &opts(&cache, Some(30.0))).unwrap();
    assert_eq!(high.frame_indices.len(), 20);

    // Short-edge resize: 64×48 → 32×24.
    let small = t
        .extract(
            &video,
            &ExtractOptions {
                resize_short_edge: Some(24),
                ..opts(&cache, Some(2.5))
            },
        )
        .unwrap();
    let jpg = t.probe(&small.files[0]).unwrap();
    assert_eq!((jpg.width, jpg.height), (32, 24));
    // No temporary folders are left behind.
    let leftovers: Vec<_> = walk(&cache)
        .into_iter()
        .filter(|p| p.to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            out.push(e.path());
            if e.path().is_dir() {
                out.extend(walk(&e.path()));
            }
        }
    }
    out
}

#[test]
fn loaded_video_sample_gets_frames_and_key_frames() {
    let Some(t) = tools() else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("VSI-Bench");
    make_video(&t, &d.join("scannet/scene0.mp4"));
    write_parquet(
        &d.join("test_debiased.parquet"),
        vec![
            ("id", ints(&[1])),
            ("dataset", s(&["scannet"])),
            ("scene_name", s(&["scene0"])),
            ("question_type", s(&["object_counting"])),
            ("question", s(&["How many?"])),
            ("options", str_lists(&[None])),
            ("ground_truth", s(&["4"])),
        ],
    );
    let v = loaders::load("vsibench_unbiased", dir.path(), &LoadOptions::default()).unwrap();
    let sample = v[0].as_ref().expect("loads");
    let frames = sample_frames(sample, Some(&t), &opts(&dir.path().join("cache"), None)).unwrap();
    assert!(frames.is_video && !frames.is_multi_video());
    let g = &frames.groups[0];
    assert_eq!(g.images.len(), 20);
    assert_eq!(g.fps, Some(10.0));
    assert_eq!(g.total_frames, Some(20));
    // 4 of 20: round(i · 19 / 3) = 0, 6.33→6, 12.67→13, 19.
    let k: Vec<u64> = frames.key_frames(4).iter().map(|k| k.frame_index).collect();
    assert_eq!(k, vec![0, 6, 13, 19]);
}
