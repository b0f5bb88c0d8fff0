//! `NoisyBackend`: degrade another backend's answers in controlled, reproducible ways.
//!
//! Exact ground truth tells us whether the agent reasons correctly; real models are not exact.
//! Wrapping the synthetic backend with this model lets `spatialclaw synth curve` measure how
//! accuracy falls as perception gets worse, one knob (`strength`) scaling every effect:
//!
//! | effect | at strength 1 |
//! |---|---|
//! | per-frame depth scale error (multiplicative, Gaussian) | σ = 3 % |
//! | per-pixel depth noise (multiplicative, Gaussian) | σ = 2 % |
//! | pose drift: random walk per frame after the first | σ = 0.5° rotation, 1 cm translation per axis |
//! | mask erosion or dilation (random per instance) | 2 px (square element) |
//! | missed detections (per instance) | 15 % |
//!
//! Depth noise moves each point along its camera ray (the camera centre stays put), drift
//! moves a frame's camera and its points together (a misregistered view), and the first
//! frame never drifts (it defines the raw output's frame). Noise is seeded by the wrapper's
//! seed and the request's content, so the same request always gets the same noise — results
//! stay cacheable and runs reproducible.

use crate::pose::{Mat4, mat_mul};
use std::sync::Arc;

use spatialclaw_synth::rng::SplitMix64;

use crate::backend::{Backend, PerceptionError};
use crate::cache::{RequestRef, request_key};
use crate::types::{Masks, Reconstruction, RgbFrame, SegmentPrompt};

/// Noise parameters; all effects scale linearly with `strength` (0 = exact pass-through).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoiseConfig {
    pub strength: f64,
    pub seed: u64,
}

impl NoiseConfig {
    pub fn new(strength: f64, seed: u64) -> Self {
        Self { strength, seed }
    }

    fn depth_scale_sigma(&self) -> f64 {
        0.03 * self.strength
    }
    fn depth_pixel_sigma(&self) -> f64 {
        0.02 * self.strength
    }
    fn rotation_sigma_rad(&self) -> f64 {
        (0.5 * self.strength).to_radians()
    }
    fn translation_sigma_m(&self) -> f64 {
        0.01 * self.strength
    }
    fn mask_radius(&self) -> usize {
        (2.0 * self.strength).round().max(0.0) as usize
    }
    fn miss_probability(&self) -> f64 {
        (0.15 * self.strength).clamp(0.0, 0.95)
    }
}

/// A backend whose answers carry the configured noise.
pub struct NoisyBackend {
    inner: Arc<dyn Backend>,
    cfg: NoiseConfig,
    name: String,
    version: String,
}

struct Rng(SplitMix64);

impl Rng {
    fn for_request(seed: u64, key: &[u8; 32]) -> Self {
        let mut k = [0u8; 8];
        k.copy_from_slice(&key[..8]);
        Rng(SplitMix64::derive(seed, u64::from_le_bytes(k)))
    }

    fn uniform(&mut self) -> f64 {
        self.0.next_f64()
    }

    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform(); // (0, 1]: ln is finite
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// Rigid transform: rotation by `angle` about unit `axis` (Rodrigues), then translation `t`.
fn rigid(axis: [f64; 3], angle: f64, t: [f64; 3]) -> Mat4 {
    let [x, y, z] = axis;
    let (s, c) = angle.sin_cos();
    let v = 1.0 - c;
    [
        [c + x * x * v, x * y * v - z * s, x * z * v + y * s, t[0]],
        [y * x * v + z * s, c + y * y * v, y * z * v - x * s, t[1]],
        [z * x * v - y * s, z * y * v + x * s, c + z * z * v, t[2]],
        [0.0, 0.0, 0.0, 1.0],
    ]
}

fn apply(m: &Mat4, p: [f64; 3]) -> [f64; 3] {
    let mut out = [0.0; 3];
    for (k, row) in m.iter().take(3).enumerate() {
        out[k] = row[0] * p[0] + row[1] * p[1] + row[2] * p[2] + row[3];
    }
    out
}

/// Dilate (`grow`) or erode one (H, W) mask by a square of radius `r` (separable max/min).
/// Outside the image counts as background, so masks erode at the border too.
fn morph(mask: &[bool], h: usize, w: usize, r: usize, grow: bool) -> Vec<bool> {
    fn window(mut vals: impl Iterator<Item = bool>, grow: bool, complete: bool) -> bool {
        if grow {
            vals.any(|b| b)
        } else {
            complete && vals.all(|b| b)
        }
    }
    let mut across = vec![false; h * w];
    for v in 0..h {
        let row = &mask[v * w..(v + 1) * w];
        for u in 0..w {
            let (lo, hi) = (u.saturating_sub(r), (u + r).min(w - 1));
            across[v * w + u] = window(row[lo..=hi].iter().copied(), grow, u >= r && u + r < w);
        }
    }
    let mut out = vec![false; h * w];
    for v in 0..h {
        let (lo, hi) = (v.saturating_sub(r), (v + r).min(h - 1));
        for u in 0..w {
            out[v * w + u] = window(
                (lo..=hi).map(|i| across[i * w + u]),
                grow,
                v >= r && v + r < h,
            );
        }
    }
    out
}

impl NoisyBackend {
    pub fn new(inner: Arc<dyn Backend>, cfg: NoiseConfig) -> Self {
        let name = format!("{}+noise", inner.name());
        let version = format!(
            "{}+noise1(strength={},seed={})",
            inner.version(),
            cfg.strength,
            cfg.seed
        );
        Self {
            inner,
            cfg,
            name,
            version,
        }
    }

    pub fn config(&self) -> NoiseConfig {
        self.cfg
    }

    fn noisy_reconstruction(&self, mut r: Reconstruction, rng: &mut Rng) -> Reconstruction {
        let (hw, c) = (r.height * r.width, &self.cfg);
        let mut drift: Mat4 = rigid([1.0, 0.0, 0.0], 0.0, [0.0; 3]);
        for i in 0..r.frames {
            let pose = &mut r.camera_poses[i * 16..(i + 1) * 16];
            let centre = [pose[3], pose[7], pose[11]];
            let scale = 1.0 + c.depth_scale_sigma() * rng.normal();
            if i > 0 {
                let axis = [rng.normal(), rng.normal(), rng.normal()];
                let norm = axis.iter().map(|a| a * a).sum::<f64>().sqrt().max(1e-12);
                let step = rigid(
                    axis.map(|a| a / norm),
                    c.rotation_sigma_rad() * rng.normal(),
                    [0.0; 3].map(|_| c.translation_sigma_m() * rng.normal()),
                );
                drift = mat_mul(&step, &drift);
            }
            let points = &mut r.points[i * hw * 3..(i + 1) * hw * 3];
            let conf = &r.confidence[i * hw..(i + 1) * hw];
            for (p, &cf) in points.chunks_exact_mut(3).zip(conf) {
                if cf <= 0.0 {
                    continue; // no surface: nothing to perturb
                }
                let f = scale * (1.0 + c.depth_pixel_sigma() * rng.normal());
                let q = [0, 1, 2].map(|k| centre[k] + (f64::from(p[k]) - centre[k]) * f);
                let q = apply(&drift, q);
                for k in 0..3 {
                    p[k] = q[k] as f32;
                }
            }
            let mut m: Mat4 = [[0.0; 4]; 4];
            for (a, row) in m.iter_mut().enumerate() {
                row.copy_from_slice(&pose[a * 4..a * 4 + 4]);
            }
            let moved = mat_mul(&drift, &m);
            for (a, row) in moved.iter().enumerate() {
                pose[a * 4..a * 4 + 4].copy_from_slice(row);
            }
        }
        r
    }

    fn noisy_masks(&self, m: Masks, rng: &mut Rng) -> Masks {
        let (h, w) = (m.height, m.width);
        let r = self.cfg.mask_radius();
        let mut out = Masks {
            count: 0,
            height: h,
            width: w,
            data: Vec::with_capacity(m.data.len()),
            scores: Vec::new(),
        };
        for (i, chunk) in m.data.chunks_exact(h * w).enumerate() {
            let missed = rng.uniform() < self.cfg.miss_probability();
            let grow = rng.uniform() < 0.5;
            if missed {
                continue;
            }
            let mask = if r > 0 {
                morph(chunk, h, w, r, grow)
            } else {
                chunk.to_vec()
            };
            if !mask.iter().any(|&b| b) {
                continue; // eroded away: the detector missed it
            }
            out.data.extend(mask);
            out.scores.push(m.scores.get(i).copied().unwrap_or(1.0));
            out.count += 1;
        }
        out
    }
}

impl Backend for NoisyBackend {
    fn name(&self) -> &str {
        &self.name
    }

    fn version(&self) -> &str {
        &self.version
    }

    fn reconstruct(&self, frames: &[RgbFrame]) -> Result<Reconstruction, PerceptionError> {
        let r = self.inner.reconstruct(frames)?;
        if self.cfg.strength == 0.0 {
            return Ok(r);
        }
        let key = request_key(&self.name, &self.version, RequestRef::Reconstruct(frames));
        Ok(self.noisy_reconstruction(r, &mut Rng::for_request(self.cfg.seed, &key)))
    }

    fn segment(&self, frame: &RgbFrame, prompt: &SegmentPrompt) -> Result<Masks, PerceptionError> {
        let m = self.inner.segment(frame, prompt)?;
        if self.cfg.strength == 0.0 {
            return Ok(m);
        }
        let key = request_key(
            &self.name,
            &self.version,
            RequestRef::Segment(frame, prompt),
        );
        Ok(self.noisy_masks(m, &mut Rng::for_request(self.cfg.seed, &key)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erosion_and_dilation_change_a_square_by_the_radius() {
        let (h, w) = (10, 10);
        let mut mask = vec![false; h * w];
        for v in 3..7 {
            for u in 3..7 {
                mask[v * w + u] = true;
            }
        }
        let grown = morph(&mask, h, w, 1, true);
        assert_eq!(grown.iter().filter(|&&b| b).count(), 36);
        let shrunk = morph(&mask, h, w, 1, false);
        assert_eq!(shrunk.iter().filter(|&&b| b).count(), 4);
        let full = vec![true; h * w];
        assert_eq!(
            morph(&full, h, w, 1, false).iter().filter(|&&b| b).count(),
            64
        );
    }

    use crate::synthetic::SyntheticBackend;
    use spatialclaw_synth::demo_sample;

    fn setup() -> (Arc<SyntheticBackend>, Vec<RgbFrame>, String) {
        let s = demo_sample(3).unwrap();
        let synth = Arc::new(SyntheticBackend::new());
        synth.register(&s.scene, &s.frame);
        let (w, h) = (s.frame.width as usize, s.frame.height as usize);
        let f = |i| RgbFrame::new(w, h, s.frame.rgb.clone(), i).unwrap();
        (synth, vec![f(0), f(1), f(2)], s.question.label_a.clone())
    }

    #[test]
    fn strength_zero_is_exact_and_noise_is_reproducible() {
        let (synth, frames, label) = setup();
        let exact = synth.reconstruct(&frames).unwrap();
        let zero = NoisyBackend::new(synth.clone(), NoiseConfig::new(0.0, 1));
        assert_eq!(zero.reconstruct(&frames).unwrap(), exact);
        let prompt = SegmentPrompt::Text(label);
        assert_eq!(
            zero.segment(&frames[0], &prompt).unwrap(),
            synth.segment(&frames[0], &prompt).unwrap()
        );

        let noisy = NoisyBackend::new(synth.clone(), NoiseConfig::new(1.0, 1));
        assert_ne!(noisy.version(), synth.version());
        let a = noisy.reconstruct(&frames).unwrap();
        assert_eq!(
            a,
            noisy.reconstruct(&frames).unwrap(),
            "same request, same noise"
        );
        let other = NoisyBackend::new(synth.clone(), NoiseConfig::new(1.0, 2));
        assert_ne!(
            a,
            other.reconstruct(&frames).unwrap(),
            "another seed, other noise"
        );
    }

    #[test]
    fn depth_noise_and_drift_have_the_configured_size() {
        let (synth, frames, _) = setup();
        let exact = synth.reconstruct(&frames).unwrap();
        let noisy = NoisyBackend::new(synth.clone(), NoiseConfig::new(1.0, 9))
            .reconstruct(&frames)
            .unwrap();
        // Frame 0 keeps its pose; its points only move along their rays.
        assert_eq!(&noisy.camera_poses[..16], &exact.camera_poses[..16]);
        let hw = exact.height * exact.width;
        let mut ratios: Vec<f64> = (0..hw)
            .filter(|&i| exact.confidence[i] > 0.0)
            .map(|i| f64::from(noisy.points[i * 3 + 2]) / f64::from(exact.points[i * 3 + 2]))
            .collect();
        ratios.sort_by(f64::total_cmp);
        let median = ratios[ratios.len() / 2];
        let spread = ratios[ratios.len() * 84 / 100] - median;
        assert!((median - 1.0).abs() < 0.12, "frame scale error {median}");
        assert!(
            spread > 0.01 && spread < 0.04,
            "per-pixel sigma ~2%: {spread}"
        );
        // Later frames drift.
        let moved: f64 = (0..16)
            .map(|k| (noisy.camera_poses[32 + k] - exact.camera_poses[32 + k]).abs())
            .sum();
        assert!(moved > 1e-4 && moved < 0.5, "drift {moved}");
        assert_eq!(noisy.confidence, exact.confidence);
    }

    #[test]
    fn masks_erode_dilate_and_go_missing() {
        let (synth, frames, label) = setup();
        let prompt = SegmentPrompt::Text(label);
        let exact = synth.segment(&frames[0], &prompt).unwrap();
        let area = exact.data.iter().filter(|&&b| b).count();
        let (mut missed, mut grew, mut shrank) = (0, 0, 0);
        for seed in 0..40 {
            let m = NoisyBackend::new(synth.clone(), NoiseConfig::new(1.0, seed))
                .segment(&frames[0], &prompt)
                .unwrap();
            if m.count == 0 {
                missed += 1;
                continue;
            }
            let a = m.data.iter().filter(|&&b| b).count();
            if a > area {
                grew += 1;
            } else if a < area {
                shrank += 1;
            }
        }
        assert!((1..=15).contains(&missed), "missed {missed}/40");
        assert!(grew > 5 && shrank > 5, "grew {grew}, shrank {shrank}");
    }
}
