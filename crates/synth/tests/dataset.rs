//! The on-disk format: agent-visible files hold no answer, re-rendering from the ground truth
//! is pixel-identical to the PNGs, the same seed writes the same bytes.

use std::path::Path;

use sha2::{Digest, Sha256};
use spatialclaw_synth::dataset::{self, DatasetError, WriteOptions};
use spatialclaw_synth::questions::Family;

fn decode_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// SHA-256 over every file's relative path and bytes, in sorted order.
fn tree_hash(root: &Path) -> String {
    let mut files = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut h = Sha256::new();
    for f in files {
        h.update(f.strip_prefix(root).unwrap().to_string_lossy().as_bytes());
        h.update(std::fs::read(&f).unwrap());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn round_trip_rerenders_pixel_identical_frames_and_keeps_truth_apart() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dataset::write(dir.path(), 7, 14, &WriteOptions::default()).unwrap();
    assert_eq!(summary.samples, 14);
    // One of each family in the first block of 14.
    assert_eq!(summary.per_family.len(), Family::ALL.len());
    assert!(summary.per_family.iter().all(|(_, n)| *n == 1));

    let samples = dataset::read(dir.path()).unwrap();
    assert_eq!(samples.len(), 14);
    let mut kinds = std::collections::HashSet::new();
    for s in &samples {
        kinds.insert(s.meta.input_kind);
        let visible = std::fs::read_to_string(s.dir.join("sample.json")).unwrap();
        assert!(!visible.contains("\"answer\""), "{visible}");
        assert!(!visible.contains("instance_id"));
        assert!(s.meta.prompt.starts_with(&s.meta.question));
        let rendered = s.render().unwrap();
        assert_eq!(rendered.len(), s.meta.frames.len());
        for ((scene, frame), (path, fi)) in rendered.iter().zip(s.frame_paths()) {
            let (w, h, rgb) = decode_png(&path);
            assert_eq!((w, h), (frame.width, frame.height));
            assert!(rgb == frame.rgb, "{} frame {fi} differs", s.meta.id);
            assert_eq!(scene.objects.len(), s.truth.scene.objects.len());
        }
        if s.meta.is_video {
            let idx: Vec<i64> = s.meta.frames.iter().map(|f| f.frame_index).collect();
            let stride = idx[1] - idx[0];
            assert!(stride == 15 || stride == 30, "{idx:?}");
            assert!(idx.windows(2).all(|w| w[1] - w[0] == stride));
            assert!((16..=128).contains(&idx.len()));
            assert_eq!(s.meta.fps, Some(30.0));
        }
    }
    assert_eq!(kinds.len(), 4, "all input kinds appear: {kinds:?}");

    // A tampered ground truth no longer matches the frames it claims to describe.
    let s = &samples[0];
    let mut t = s.truth.clone();
    t.scene.objects[0].center.x += 0.05;
    let tampered = dataset::LoadedSample {
        truth: t,
        ..s.clone()
    };
    assert!(matches!(
        tampered.render(),
        Err(DatasetError::RenderMismatch { .. })
    ));
}

#[test]
fn same_seed_same_bytes_and_families_filter() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let options = WriteOptions {
        families: vec![
            Family::RoomSize,
            Family::ObjectCount,
            Family::CameraRotation,
        ],
        ..WriteOptions::default()
    };
    dataset::write(a.path(), 3, 4, &options).unwrap();
    dataset::write(b.path(), 3, 4, &options).unwrap();
    assert_eq!(tree_hash(a.path()), tree_hash(b.path()));
    let read = dataset::read(a.path()).unwrap();
    assert!(
        read.iter()
            .all(|s| options.families.contains(&s.truth.family))
    );
}

#[test]
fn malformed_index_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        dataset::read(dir.path()),
        Err(DatasetError::Io { .. })
    ));
    std::fs::write(dir.path().join("samples.jsonl"), "{not json}\n").unwrap();
    assert!(matches!(
        dataset::read(dir.path()),
        Err(DatasetError::Json { .. })
    ));
    let line = r#"{"id":"x","dir":"../etc","family":"room_size","category":"size","input_kind":"video","num_frames":1,"question":"q"}"#;
    std::fs::write(dir.path().join("samples.jsonl"), format!("{line}\n")).unwrap();
    assert!(matches!(
        dataset::read(dir.path()),
        Err(DatasetError::Invalid(_))
    ));
}
