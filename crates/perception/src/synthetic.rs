//! The `synthetic` backend: exact SynthSpatial ground truth served as if a model had predicted it.
//!
//! Frames are recognised by the content hash of their pixels, so the agent's code can pass any
//! `InputImages` frame (or a slice of them) exactly as it would to a real model. Geometry comes
//! back in the first camera's frame, like a DA3 server's raw output, so the kernel-side
//! alignment code runs for real.

use crate::pose::{mat_mul, rigid_inverse};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use spatialclaw_synth::{Frame, INSTANCE_FLOOR, INSTANCE_WALL, Scene};

use crate::backend::{Backend, PerceptionError};
use crate::types::{Masks, Reconstruction, RgbFrame, SegmentPrompt};

struct Truth {
    frame: Frame,
    /// (instance id, label) of the scene's objects.
    labels: Arc<Vec<(u16, String)>>,
}

/// Ground-truth perception for registered SynthSpatial frames.
#[derive(Default)]
pub struct SyntheticBackend {
    frames: RwLock<HashMap<[u8; 32], Arc<Truth>>>,
}

fn normalise(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !matches!(*w, "the" | "a" | "an" | "of"))
        .map(|w| {
            w.strip_suffix("es")
                .filter(|s| s.ends_with("sh") || s.ends_with("x"))
                .or_else(|| w.strip_suffix('s'))
                .unwrap_or(w)
                .to_owned()
        })
        .collect()
}

/// Whether a text prompt names an object with `label`: the label's words all appear in the
/// prompt ("the red chair" names "chair"; "chairs" names it too).
fn prompt_names(prompt: &[String], label: &str) -> bool {
    let label = normalise(label);
    !label.is_empty() && label.iter().all(|w| prompt.contains(w))
}

impl SyntheticBackend {
    pub fn new() -> Self {
        Self::default()
    }

    /// Make `frame` (rendered from `scene`) recognisable by its pixels.
    pub fn register(&self, scene: &Scene, frame: &Frame) {
        let labels = Arc::new(
            scene
                .objects
                .iter()
                .map(|o| (o.instance_id, o.label.clone()))
                .collect(),
        );
        let key = RgbFrame::new(
            frame.width as usize,
            frame.height as usize,
            frame.rgb.clone(),
            0,
        )
        .expect("a rendered frame has consistent size")
        .content_hash();
        self.frames.write().expect("registry lock").insert(
            key,
            Arc::new(Truth {
                frame: frame.clone(),
                labels,
            }),
        );
    }

    fn truth(&self, frame: &RgbFrame) -> Result<Arc<Truth>, PerceptionError> {
        self.frames.read().expect("registry lock").get(&frame.content_hash()).cloned().ok_or_else(|| {
            PerceptionError::Failed(format!(
                "frame {} is not a SynthSpatial frame this backend knows (pixels were changed, resized or come \
                 from another dataset); the synthetic backend serves only unmodified rendered frames",
                frame.frame_index
            ))
        })
    }

    fn instances_for(truth: &Truth, prompt: &SegmentPrompt) -> Vec<u16> {
        let f = &truth.frame;
        let (w, h) = (f.width as usize, f.height as usize);
        match prompt {
            SegmentPrompt::Text(text) => {
                let words = normalise(text);
                let mut ids: Vec<u16> = truth
                    .labels
                    .iter()
                    .filter(|(_, l)| prompt_names(&words, l))
                    .map(|(id, _)| *id)
                    .collect();
                if ids.is_empty() {
                    if words
                        .iter()
                        .any(|w| matches!(w.as_str(), "floor" | "ground"))
                    {
                        ids.push(INSTANCE_FLOOR);
                    } else if words.iter().any(|w| w == "wall") {
                        ids.push(INSTANCE_WALL);
                    }
                }
                ids
            }
            SegmentPrompt::Box([x, y, bw, bh]) => {
                let x0 = ((x * w as f64).floor().max(0.0) as usize).min(w);
                let y0 = ((y * h as f64).floor().max(0.0) as usize).min(h);
                let x1 = (((x + bw) * w as f64).ceil().max(0.0) as usize).min(w);
                let y1 = (((y + bh) * h as f64).ceil().max(0.0) as usize).min(h);
                let mut counts: HashMap<u16, usize> = HashMap::new();
                for v in y0..y1 {
                    for u in x0..x1 {
                        *counts.entry(f.instance[v * w + u]).or_default() += 1;
                    }
                }
                // The object the box is drawn around: most pixels inside, objects before room.
                let best = counts
                    .into_iter()
                    .filter(|(id, _)| *id != 0)
                    .max_by_key(|(id, n)| (truth.labels.iter().any(|(o, _)| o == id), *n, *id));
                best.map(|(id, _)| vec![id]).unwrap_or_default()
            }
            SegmentPrompt::Points { points, labels } => points
                .iter()
                .zip(labels)
                .find(|(_, l)| **l == 1)
                .map(|([px, py], _)| {
                    let u = ((px * w as f64) as usize).min(w - 1);
                    let v = ((py * h as f64) as usize).min(h - 1);
                    f.instance[v * w + u]
                })
                .filter(|id| *id != 0)
                .map(|id| vec![id])
                .unwrap_or_default(),
        }
    }
}

impl Backend for SyntheticBackend {
    fn name(&self) -> &str {
        "synthetic"
    }

    fn version(&self) -> &str {
        "1"
    }

    fn reconstruct(&self, frames: &[RgbFrame]) -> Result<Reconstruction, PerceptionError> {
        let first = frames
            .first()
            .ok_or_else(|| PerceptionError::BadInput("no frames to reconstruct".into()))?;
        let (w, h) = (first.width, first.height);
        if let Some(odd) = frames.iter().find(|f| (f.width, f.height) != (w, h)) {
            return Err(PerceptionError::BadInput(format!(
                "all frames must share one size: frame {} is {}x{}, frame {} is {w}x{h}",
                odd.frame_index, odd.width, odd.height, first.frame_index
            )));
        }
        let truths: Vec<Arc<Truth>> = frames
            .iter()
            .map(|f| self.truth(f))
            .collect::<Result<_, _>>()?;
        let world_to_first = rigid_inverse(&truths[0].frame.camera.pose());
        let n = frames.len();
        let mut out = Reconstruction {
            frames: n,
            height: h,
            width: w,
            points: Vec::with_capacity(n * h * w * 3),
            confidence: Vec::with_capacity(n * h * w),
            camera_poses: Vec::with_capacity(n * 16),
            intrinsics: Vec::with_capacity(n * 9),
            metric_scale: 1.0,
        };
        for t in &truths {
            let cam = &t.frame.camera;
            let pose = mat_mul(&world_to_first, &cam.pose());
            let k = cam.intrinsics();
            for v in 0..h {
                for u in 0..w {
                    let z = t.frame.depth[v * w + u];
                    if !z.is_finite() {
                        out.points.extend_from_slice(&[0.0; 3]);
                        out.confidence.push(0.0);
                        continue;
                    }
                    let z = z as f64;
                    let c = [
                        (u as f64 - k.cx) * z / k.fx,
                        (v as f64 - k.cy) * z / k.fy,
                        z,
                    ];
                    for row in pose.iter().take(3) {
                        out.points
                            .push((row[0] * c[0] + row[1] * c[1] + row[2] * c[2] + row[3]) as f32);
                    }
                    out.confidence.push(1.0);
                }
            }
            out.camera_poses.extend(pose.iter().flatten());
            out.intrinsics.extend(k.k_matrix().iter().flatten());
        }
        Ok(out)
    }

    fn segment(&self, frame: &RgbFrame, prompt: &SegmentPrompt) -> Result<Masks, PerceptionError> {
        let truth = self.truth(frame)?;
        let ids = Self::instances_for(&truth, prompt);
        let (w, h) = (frame.width, frame.height);
        let mut data = Vec::new();
        let mut count = 0;
        for id in ids {
            let start = data.len();
            data.extend(truth.frame.instance.iter().map(|&i| i == id));
            if data[start..].iter().any(|&b| b) {
                count += 1;
            } else {
                data.truncate(start); // not visible in this frame
            }
        }
        Ok(Masks {
            count,
            height: h,
            width: w,
            data,
            scores: vec![1.0; count],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spatialclaw_synth::{demo_sample, render};

    fn rgb(frame: &Frame, fi: i64) -> RgbFrame {
        RgbFrame::new(
            frame.width as usize,
            frame.height as usize,
            frame.rgb.clone(),
            fi,
        )
        .unwrap()
    }

    #[test]
    fn points_are_exact_in_the_first_camera_frame() {
        let s = demo_sample(7).unwrap();
        let backend = SyntheticBackend::new();
        backend.register(&s.scene, &s.frame);
        let r = backend.reconstruct(&[rgb(&s.frame, 0)]).unwrap();
        assert_eq!(
            (r.frames, r.height, r.width),
            (1, s.frame.height as usize, s.frame.width as usize)
        );
        // First camera at the origin looking down +Z: point z equals rendered depth.
        assert!((r.camera_poses[0] - 1.0).abs() < 1e-9 && r.camera_poses[3].abs() < 1e-9);
        let (u, v) = (s.frame.width as usize / 2, s.frame.height as usize / 2);
        let i = v * s.frame.width as usize + u;
        assert!((r.points[i * 3 + 2] - s.frame.depth[i]).abs() < 1e-4);
        // Distances between points match world distances.
        let j = i + 37;
        let d_cam = (0..3)
            .map(|k| (r.points[i * 3 + k] - r.points[j * 3 + k]).powi(2))
            .sum::<f32>()
            .sqrt();
        let (pi, pj) = (
            s.frame.world_point(u as u32, v as u32).unwrap(),
            s.frame.world_point(u as u32 + 37, v as u32).unwrap(),
        );
        assert!((d_cam as f64 - (pi - pj).norm()).abs() < 1e-3);
    }

    #[test]
    fn text_prompts_find_objects_by_label_and_unknown_frames_fail() {
        let s = demo_sample(7).unwrap();
        let backend = SyntheticBackend::new();
        backend.register(&s.scene, &s.frame);
        let frame = rgb(&s.frame, 0);
        let a = backend
            .segment(
                &frame,
                &SegmentPrompt::Text(format!("the {}", s.question.label_a)),
            )
            .unwrap();
        assert_eq!(a.count, 1);
        let id = s
            .scene
            .object_by_label(&s.question.label_a)
            .unwrap()
            .instance_id;
        let expected = s.frame.instance.iter().filter(|&&i| i == id).count();
        assert_eq!(a.data.iter().filter(|&&b| b).count(), expected);
        let none = backend
            .segment(&frame, &SegmentPrompt::Text("unicorn".into()))
            .unwrap();
        assert_eq!(none.count, 0);
        let floor = backend
            .segment(&frame, &SegmentPrompt::Text("ground floor surface".into()))
            .unwrap();
        assert_eq!(floor.count, 1);
        let mut other = s.frame.clone();
        other.rgb[0] ^= 1;
        let err = backend.reconstruct(&[rgb(&other, 5)]).unwrap_err();
        assert!(err.to_string().contains("frame 5"), "{err}");
        let _ = render; // the renderer is exercised through demo_sample
    }
}
