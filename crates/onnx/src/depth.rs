//! Depth model → `Reconstruction`, with the conventions of `tools.Reconstruct` (raw form, as
//! the GPU server returns it): points (N, H, W, 3) in the first camera's frame with OpenCV axes
//! (x right, y down, z forward), at the input frames' resolution; camera-to-world poses;
//! intrinsics at the input resolution.
//!
//! Intrinsics come from the model when the manifest names an intrinsics output, else from the
//! manifest's `focal_px`, else its `fov_deg`, else a 60° horizontal field of view; the
//! principal point is then the image centre.
//!
//! Poses come from a multi-view model's pose output when the manifest names one. Otherwise
//! (single-view models) there is no way to relate frames, and the fallback is documented and
//! plain: **every camera gets the identity pose**, i.e. each frame's points are in its own
//! camera frame and all frames are stacked as if taken from the first camera's position.
//! Geometry within one frame is right; across frames of a moving camera it is not, and users
//! who need that must provide a multi-view model.

use spatialclaw_perception::pose::{IDENTITY, Mat4, mat_mul, rigid_inverse, scale_intrinsics};
use spatialclaw_perception::resize::resize_nearest;
use spatialclaw_perception::{PerceptionError, Reconstruction, RgbFrame};

use crate::error::OnnxError;
use crate::manifest::{DepthKind, DepthSpec, Layout, PoseConvention};
use crate::model::{Input, Model, Output};
use crate::preprocess::{Prepared, prepare};
use crate::runtime::Runtime;

/// Horizontal field of view assumed when nothing better is known.
pub const DEFAULT_FOV_DEG: f64 = 60.0;

pub struct DepthModel {
    spec: DepthSpec,
    model: Model,
}

/// Per-frame model results at model resolution.
struct FrameOut {
    depth: Vec<f32>,
    conf: Option<Vec<f32>>,
    /// (dh, dw) of depth/conf.
    size: (usize, usize),
    /// Pinhole K at the model's input resolution.
    k_model: Option<[f64; 9]>,
}

/// Per-frame maps of one output and their (height, width).
type Maps = (Vec<Vec<f32>>, (usize, usize));
/// Per-frame results, the model's poses if it gives them, and the last frame's preparation.
type Inferred = (Vec<FrameOut>, Option<Vec<Mat4>>, Prepared);

/// Pinhole K for a `w`×`h` frame from the manifest's fallbacks.
pub fn fallback_intrinsics(spec: &DepthSpec, w: usize, h: usize) -> [f64; 9] {
    let f = spec.focal_px.unwrap_or_else(|| {
        let fov = spec.fov_deg.unwrap_or(DEFAULT_FOV_DEG).to_radians();
        (w as f64 / 2.0) / (fov / 2.0).tan()
    });
    [
        f,
        0.0,
        w as f64 / 2.0,
        0.0,
        f,
        h as f64 / 2.0,
        0.0,
        0.0,
        1.0,
    ]
}

/// Back-project a depth map (z along the optical axis) through `k`: pixel (u, v) with integer
/// coordinates at pixel centres, as OpenCV does.
pub fn unproject(depth: &[f32], (h, w): (usize, usize), k: &[f64; 9]) -> Vec<f32> {
    let (fx, fy, cx, cy) = (k[0], k[4], k[2], k[5]);
    let mut out = Vec::with_capacity(h * w * 3);
    for v in 0..h {
        let y = (v as f64 - cy) / fy;
        for u in 0..w {
            let z = f64::from(depth[v * w + u]);
            let x = (u as f64 - cx) / fx;
            out.extend_from_slice(&[(x * z) as f32, (y * z) as f32, z as f32]);
        }
    }
    out
}

/// Depth values from the model's output: inverse depth inverted, scaled, invalid values 0.
pub fn to_depth(raw: &[f32], kind: DepthKind, scale: f32) -> Vec<f32> {
    raw.iter()
        .map(|&v| {
            let d = match kind {
                DepthKind::Depth => v,
                DepthKind::InverseDepth if v > 0.0 => 1.0 / v,
                DepthKind::InverseDepth => 0.0,
            } * scale;
            if d.is_finite() && d > 0.0 { d } else { 0.0 }
        })
        .collect()
}

fn bad(what: &str, why: String) -> OnnxError {
    OnnxError::Run {
        model: what.to_owned(),
        why,
    }
}

/// Crop the content part of a model-resolution map (inputs fitted with padding) and resize it
/// to the frame, nearest-neighbour as the tools promise.
fn to_frame_res(
    map: &[f32],
    (dh, dw): (usize, usize),
    content: (f64, f64),
    frame: (usize, usize),
) -> Vec<f32> {
    let ch = ((dh as f64 * content.0).round() as usize).clamp(1, dh);
    let cw = ((dw as f64 * content.1).round() as usize).clamp(1, dw);
    let mut crop = Vec::with_capacity(ch * cw);
    for y in 0..ch {
        crop.extend_from_slice(&map[y * dw..y * dw + cw]);
    }
    resize_nearest(&crop, 1, (ch, cw), 1, frame)
}

impl DepthModel {
    pub fn open(rt: &Runtime, spec: &DepthSpec) -> Result<Self, OnnxError> {
        let mut outputs = vec![spec.output.as_str()];
        outputs.extend(spec.intrinsics_output.as_deref());
        outputs.extend(spec.confidence_output.as_deref());
        outputs.extend(spec.poses_output.as_deref());
        let model = Model::open(
            rt,
            &spec.model,
            "depth.model",
            &[spec.input_name.as_str()],
            &outputs,
        )?;
        Ok(Self {
            spec: spec.clone(),
            model,
        })
    }

    fn output_names(&self) -> Vec<&str> {
        let s = &self.spec;
        let mut names = vec![s.output.as_str()];
        names.extend(s.intrinsics_output.as_deref());
        names.extend(s.confidence_output.as_deref());
        names.extend(s.poses_output.as_deref());
        names
    }

    /// Split one output holding `n` frames into per-frame maps.
    fn maps(&self, name: &str, out: &Output, n: usize) -> Result<Maps, OnnxError> {
        let shape = &out.shape;
        let (h, w) = match shape[..] {
            [.., h, w] if shape.len() >= 2 => (h, w),
            _ => {
                return Err(bad(
                    "depth.model",
                    format!("output {name} has shape {shape:?}"),
                ));
            }
        };
        let lead: usize = shape[..shape.len() - 2].iter().product();
        if lead != n || h == 0 || w == 0 {
            return Err(bad(
                "depth.model",
                format!(
                    "output {name} has shape {shape:?}; expected {n} map(s) of H×W (leading axes multiplying to {n})"
                ),
            ));
        }
        Ok((
            out.data.chunks_exact(h * w).map(<[f32]>::to_vec).collect(),
            (h, w),
        ))
    }

    fn intrinsics_of(&self, out: &Output, n: usize) -> Result<Vec<[f64; 9]>, OnnxError> {
        if out.data.len() != 9 * n || out.shape.iter().rev().take(2).ne([3usize, 3].iter()) {
            return Err(bad(
                "depth.model",
                format!(
                    "intrinsics output has shape {:?}, expected ({n}, 3, 3)",
                    out.shape
                ),
            ));
        }
        Ok(out
            .data
            .chunks_exact(9)
            .map(|k| std::array::from_fn(|i| f64::from(k[i])))
            .collect())
    }

    /// Run the model: per frame (single-view) or once for all frames (multi-view).
    fn infer(&self, frames: &[RgbFrame]) -> Result<Inferred, OnnxError> {
        let s = &self.spec;
        let names = self.output_names();
        let n = frames.len();
        let mut results = Vec::with_capacity(n);
        let mut poses = None;
        let mut last = None;
        let mut take = |outs: &[Output], count: usize| -> Result<Vec<FrameOut>, OnnxError> {
            let (depths, size) = self.maps(&s.output, &outs[0], count)?;
            let mut i = 1;
            let ks = match &s.intrinsics_output {
                Some(_) => {
                    i += 1;
                    Some(self.intrinsics_of(&outs[i - 1], count)?)
                }
                None => None,
            };
            let confs = match &s.confidence_output {
                Some(name) => {
                    i += 1;
                    let (c, csize) = self.maps(name, &outs[i - 1], count)?;
                    if csize != size {
                        return Err(bad(
                            "depth.model",
                            format!("confidence is {csize:?} but depth is {size:?}"),
                        ));
                    }
                    Some(c)
                }
                None => None,
            };
            if let Some(p) = &s.poses_output {
                poses = Some(self.poses_of(p, &outs[i], count)?);
            }
            Ok(depths
                .into_iter()
                .enumerate()
                .map(|(j, d)| FrameOut {
                    depth: to_depth(&d, s.kind, s.depth_scale),
                    conf: confs.as_ref().map(|c| c[j].clone()),
                    size,
                    k_model: ks.as_ref().map(|k| k[j]),
                })
                .collect())
        };
        if s.multiview {
            let prepared: Vec<Prepared> = frames.iter().map(|f| prepare(f, &s.input)).collect();
            let mut shape = prepared[0].shape.clone();
            if s.input.layout == Layout::Hwc {
                shape.insert(0, 1);
            }
            shape.insert(1, n as i64);
            let data: Vec<f32> = prepared
                .iter()
                .flat_map(|p| p.data.iter().copied())
                .collect();
            let outs = self.model.run(
                vec![(s.input_name.as_str(), Input::F32(shape, data))],
                &names,
            )?;
            results = take(&outs, n)?;
            last = prepared.into_iter().next();
        } else {
            for f in frames {
                let p = prepare(f, &s.input);
                let outs = self.model.run(
                    vec![(
                        s.input_name.as_str(),
                        Input::F32(p.shape.clone(), p.data.clone()),
                    )],
                    &names,
                )?;
                results.extend(take(&outs, 1)?);
                last = Some(p);
            }
        }
        let last = last.ok_or_else(|| bad("depth.model", "no frames".into()))?;
        Ok((results, poses, last))
    }

    fn poses_of(&self, name: &str, out: &Output, n: usize) -> Result<Vec<Mat4>, OnnxError> {
        let rows = match out.shape.iter().rev().take(2).collect::<Vec<_>>()[..] {
            [4, 4] => 4,
            [4, 3] => 3,
            _ => 0,
        };
        if rows == 0 || out.data.len() != n * rows * 4 {
            return Err(bad(
                "depth.model",
                format!(
                    "pose output {name} has shape {:?}, expected ({n}, 4, 4) or ({n}, 3, 4)",
                    out.shape
                ),
            ));
        }
        let mut poses = Vec::with_capacity(n);
        for chunk in out.data.chunks_exact(rows * 4) {
            let mut m = IDENTITY;
            for r in 0..rows {
                for c in 0..4 {
                    m[r][c] = f64::from(chunk[r * 4 + c]);
                }
            }
            if m.iter().flatten().any(|v| !v.is_finite()) {
                return Err(bad(
                    "depth.model",
                    format!("pose output {name} is not finite"),
                ));
            }
            poses.push(match self.spec.pose_convention {
                PoseConvention::CamToWorld => m,
                PoseConvention::WorldToCam => rigid_inverse(&m),
            });
        }
        Ok(poses)
    }

    pub fn reconstruct(&self, frames: &[RgbFrame]) -> Result<Reconstruction, PerceptionError> {
        spatialclaw_perception::types::common_size(frames)?;
        let (outs, poses, prepared) = self.infer(frames)?;
        let n = frames.len();
        let (h, w) = (frames[0].height, frames[0].width);
        let [ih, iw] = self.spec.input.size;
        // Part of the model input holding the image, as fractions (1.0 unless padded).
        let content = (
            prepared.content.0 as f64 / ih as f64,
            prepared.content.1 as f64 / iw as f64,
        );
        // Model-input pixels per frame pixel.
        let (sx, sy) = (
            w as f64 / prepared.content.1 as f64,
            h as f64 / prepared.content.0 as f64,
        );
        // Poses relative to the first camera (our raw contract).
        let c2w: Vec<Mat4> = match poses {
            Some(p) => {
                let to_first = rigid_inverse(&p[0]);
                p.iter().map(|m| mat_mul(&to_first, m)).collect()
            }
            None => vec![IDENTITY; n],
        };
        let mut points = Vec::with_capacity(n * h * w * 3);
        let mut confidence = Vec::with_capacity(n * h * w);
        let mut intrinsics = Vec::with_capacity(n * 9);
        for (i, o) in outs.iter().enumerate() {
            let depth = to_frame_res(&o.depth, o.size, content, (h, w));
            let k = match o.k_model {
                Some(k) => scale_intrinsics(&k, sx, sy),
                None => fallback_intrinsics(&self.spec, w, h),
            };
            if !(k[0] > 0.0 && k[4] > 0.0 && k.iter().all(|v| v.is_finite())) {
                return Err(PerceptionError::Failed(format!(
                    "onnx backend: depth.model predicted unusable intrinsics {k:?} for frame {}",
                    frames[i].frame_index
                )));
            }
            let conf: Vec<f32> = match &o.conf {
                Some(c) => to_frame_res(c, o.size, content, (h, w))
                    .into_iter()
                    .zip(&depth)
                    .map(|(c, &d)| if d > 0.0 { c } else { 0.0 })
                    .collect(),
                None => depth
                    .iter()
                    .map(|&d| if d > 0.0 { 1.0 } else { 0.0 })
                    .collect(),
            };
            let mut pts = unproject(&depth, (h, w), &k);
            let m = &c2w[i];
            if *m != IDENTITY {
                for p in pts.chunks_exact_mut(3) {
                    let (x, y, z) = (f64::from(p[0]), f64::from(p[1]), f64::from(p[2]));
                    for (r, row) in m.iter().take(3).enumerate() {
                        p[r] = (row[0] * x + row[1] * y + row[2] * z + row[3]) as f32;
                    }
                }
            }
            points.extend(pts);
            confidence.extend(conf);
            intrinsics.extend(k);
        }
        Ok(Reconstruction {
            frames: n,
            height: h,
            width: w,
            points,
            confidence,
            camera_poses: c2w
                .iter()
                .flat_map(|m| m.iter().flatten().copied())
                .collect(),
            intrinsics,
            metric_scale: if self.spec.metric { 1.0 } else { 0.0 },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unprojects_with_opencv_axes() {
        let k = [2.0, 0.0, 1.0, 0.0, 4.0, 1.0, 0.0, 0.0, 1.0];
        let p = unproject(&[2.0; 4], (2, 2), &k);
        // (u, v) = (0, 0): x = (0 - 1) / 2 * 2 = -1, y = (0 - 1) / 4 * 2 = -0.5.
        assert_eq!(&p[..3], &[-1.0, -0.5, 2.0]);
        // (1, 1) is the principal point.
        assert_eq!(&p[9..], &[0.0, 0.0, 2.0]);
    }

    #[test]
    fn inverse_depth_and_invalid_values() {
        let d = to_depth(&[0.5, 0.0, f32::NAN, -1.0], DepthKind::InverseDepth, 2.0);
        assert_eq!(d, vec![4.0, 0.0, 0.0, 0.0]);
        assert_eq!(to_depth(&[3.0], DepthKind::Depth, 0.5), vec![1.5]);
    }

    #[test]
    fn world_to_cam_poses_are_inverted() {
        let m: Mat4 = [
            [0.0, -1.0, 0.0, 1.0],
            [1.0, 0.0, 0.0, 2.0],
            [0.0, 0.0, 1.0, 3.0],
            [0.0, 0.0, 0.0, 1.0],
        ];
        let back = mat_mul(&m, &rigid_inverse(&m));
        for (i, row) in back.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                assert!((v - f64::from(u8::from(i == j))).abs() < 1e-12);
            }
        }
    }
}
