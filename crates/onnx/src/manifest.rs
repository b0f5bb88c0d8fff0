//! The model manifest: a small TOML file that says which ONNX files to run and how to feed
//! them, so community exports plug in without code (format and an example: docs/onnx.md).
//!
//! Paths are relative to the manifest's directory. Every section is optional, but a backend
//! with neither depth nor segmenter can do nothing and is refused; text prompts need both a
//! detector and a segmenter.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::OnnxError;

/// How a frame is fitted into the model's input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResizeMode {
    /// Stretch to the input size (Depth Anything, OWL-ViT exports).
    Stretch,
    /// Scale the longer side to the input size and pad bottom/right with zeros after
    /// normalisation (SAM's encoder).
    LongestSide,
}

/// Memory layout of the image tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// (1, 3, H, W): the common export.
    Nchw,
    /// (1, H, W, 3), e.g. SAM encoders that normalise inside the graph.
    Nhwc,
    /// (H, W, 3) without a batch axis.
    Hwc,
}

/// How an image is turned into the model's input tensor.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageInput {
    /// Input size as [height, width]; for `longest_side` both must be equal.
    pub size: [usize; 2],
    #[serde(default = "default_resize")]
    pub resize: ResizeMode,
    #[serde(default = "default_layout")]
    pub layout: Layout,
    /// Pixel values are first multiplied by this (1/255 gives 0..1) ...
    #[serde(default = "default_pixel_scale")]
    pub pixel_scale: f32,
    /// ... then have `mean` subtracted and are divided by `std`, per RGB channel.
    #[serde(default = "zero3")]
    pub mean: [f32; 3],
    #[serde(default = "one3")]
    pub std: [f32; 3],
}

fn default_resize() -> ResizeMode {
    ResizeMode::Stretch
}
fn default_layout() -> Layout {
    Layout::Nchw
}
fn default_pixel_scale() -> f32 {
    1.0 / 255.0
}
fn zero3() -> [f32; 3] {
    [0.0; 3]
}
fn one3() -> [f32; 3] {
    [1.0; 3]
}

/// What a depth model's main output holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DepthKind {
    /// Distance along the optical axis (z).
    Depth,
    /// 1 / depth (disparity-like outputs of relative models).
    InverseDepth,
}

/// Which way a multi-view model's pose output maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoseConvention {
    CamToWorld,
    WorldToCam,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepthSpec {
    pub model: PathBuf,
    /// Name of the image input.
    #[serde(default = "default_depth_input")]
    pub input_name: String,
    pub input: ImageInput,
    /// Name of the depth output.
    #[serde(default = "default_depth_output")]
    pub output: String,
    #[serde(default = "default_depth_kind")]
    pub kind: DepthKind,
    /// Metric models give metres; relative ones are reported with `metric_scale` 0 so tools
    /// and users can tell (points are then in the model's arbitrary unit).
    #[serde(default = "yes")]
    pub metric: bool,
    /// Multiplies the model's depth (unit conversion, e.g. 0.001 for millimetres).
    #[serde(default = "one")]
    pub depth_scale: f32,
    /// Optional output with pinhole intrinsics (1, 3, 3) or (3, 3) at the model's input
    /// resolution; without it `focal_px` or `fov_deg` decide.
    pub intrinsics_output: Option<String>,
    /// Optional per-pixel confidence output at the depth's resolution.
    pub confidence_output: Option<String>,
    /// Horizontal field of view used when the model predicts no intrinsics.
    pub fov_deg: Option<f64>,
    /// Focal length in pixels of the input frames, used when the model predicts no intrinsics
    /// (takes precedence over `fov_deg`).
    pub focal_px: Option<f64>,
    /// Multi-view model: the input is (1, N, 3, H, W) and all frames go in one call.
    #[serde(default)]
    pub multiview: bool,
    /// Multi-view only: output with (N, 4, 4) or (N, 3, 4) poses (a leading batch axis of 1 is
    /// accepted). Without it every frame gets the single-view fallback pose.
    pub poses_output: Option<String>,
    #[serde(default = "default_pose_convention")]
    pub pose_convention: PoseConvention,
}

fn default_depth_input() -> String {
    "pixel_values".into()
}
fn default_depth_output() -> String {
    "predicted_depth".into()
}
fn default_depth_kind() -> DepthKind {
    DepthKind::Depth
}
fn default_pose_convention() -> PoseConvention {
    PoseConvention::CamToWorld
}
fn yes() -> bool {
    true
}
fn one() -> f32 {
    1.0
}

/// A SAM-family model split into image encoder and prompt decoder, with the decoder signature of
/// segment-anything's ONNX export.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmenterSpec {
    pub encoder: PathBuf,
    pub decoder: PathBuf,
    #[serde(default = "default_encoder_input")]
    pub encoder_input: String,
    #[serde(default = "default_encoder_output")]
    pub encoder_output: String,
    /// The encoder's image input; `resize` must be `longest_side` with a square `size`.
    pub input: ImageInput,
    /// Mask logits above this are foreground.
    #[serde(default)]
    pub mask_threshold: f32,
    /// Image embeddings kept in memory, keyed by frame content.
    #[serde(default = "default_embedding_cache")]
    pub embedding_cache: usize,
}

fn default_encoder_input() -> String {
    "image".into()
}
fn default_encoder_output() -> String {
    "image_embeddings".into()
}
fn default_embedding_cache() -> usize {
    16
}

/// An OWL-ViT style open-vocabulary detector: text queries and an image in, per-box logits
/// and normalised centre-size boxes out.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectorSpec {
    pub model: PathBuf,
    pub input: ImageInput,
    /// CLIP byte-level BPE tokenizer files (vocab.json and merges.txt of the export).
    pub vocab: PathBuf,
    pub merges: PathBuf,
    /// Token sequence length the model expects (16 for OWL-ViT).
    #[serde(default = "default_max_length")]
    pub max_length: usize,
    /// Token id used for padding (OWL-ViT pads with 0).
    #[serde(default)]
    pub pad_id: i64,
    #[serde(default = "default_pixel_name")]
    pub pixel_input: String,
    #[serde(default = "default_ids_name")]
    pub ids_input: String,
    #[serde(default = "default_mask_name")]
    pub attention_input: String,
    #[serde(default = "default_logits_name")]
    pub logits_output: String,
    #[serde(default = "default_boxes_name")]
    pub boxes_output: String,
    /// Detections whose sigmoid score is below this are dropped.
    #[serde(default = "default_score_threshold")]
    pub score_threshold: f32,
    /// Overlapping detections above this IoU are merged (greedy NMS).
    #[serde(default = "default_nms_iou")]
    pub nms_iou: f32,
    #[serde(default = "default_max_detections")]
    pub max_detections: usize,
}

fn default_max_length() -> usize {
    16
}
fn default_pixel_name() -> String {
    "pixel_values".into()
}
fn default_ids_name() -> String {
    "input_ids".into()
}
fn default_mask_name() -> String {
    "attention_mask".into()
}
fn default_logits_name() -> String {
    "logits".into()
}
fn default_boxes_name() -> String {
    "pred_boxes".into()
}
fn default_score_threshold() -> f32 {
    0.1
}
fn default_nms_iou() -> f32 {
    0.5
}
fn default_max_detections() -> usize {
    20
}

/// The whole manifest, paths resolved against its directory.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Names the models in cache keys: change it when any model file changes.
    pub name: String,
    pub depth: Option<DepthSpec>,
    pub segmenter: Option<SegmenterSpec>,
    pub detector: Option<DetectorSpec>,
}

impl Manifest {
    /// Read and check a manifest file.
    pub fn load(path: &Path) -> Result<Self, OnnxError> {
        let text = std::fs::read_to_string(path).map_err(|e| OnnxError::Manifest {
            path: path.to_owned(),
            why: format!("cannot read it: {e}"),
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        Self::parse(&text, dir).map_err(|why| OnnxError::Manifest {
            path: path.to_owned(),
            why,
        })
    }

    /// Parse manifest text; relative paths are taken against `dir`.
    pub fn parse(text: &str, dir: &Path) -> Result<Self, String> {
        let mut m: Manifest = toml::from_str(text).map_err(|e| e.to_string())?;
        if m.name.trim().is_empty() {
            return Err("`name` must not be empty".into());
        }
        if m.depth.is_none() && m.segmenter.is_none() {
            return Err("declares neither [depth] nor [segmenter]: nothing to serve".into());
        }
        if m.detector.is_some() && m.segmenter.is_none() {
            return Err("[detector] needs a [segmenter] to turn its boxes into masks".into());
        }
        let resolve = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = dir.join(&*p);
            }
        };
        if let Some(d) = &mut m.depth {
            resolve(&mut d.model);
            check_input("depth.input", &d.input)?;
            if d.poses_output.is_some() && !d.multiview {
                return Err("depth.poses_output needs depth.multiview = true".into());
            }
            if let Some(f) = d.fov_deg
                && !(f > 1.0 && f < 179.0)
            {
                return Err(format!(
                    "depth.fov_deg = {f} is not a field of view in degrees"
                ));
            }
            if let Some(f) = d.focal_px
                && !(f.is_finite() && f > 0.0)
            {
                return Err(format!("depth.focal_px = {f} must be positive"));
            }
            if !(d.depth_scale.is_finite() && d.depth_scale > 0.0) {
                return Err("depth.depth_scale must be positive".into());
            }
        }
        if let Some(s) = &mut m.segmenter {
            resolve(&mut s.encoder);
            resolve(&mut s.decoder);
            check_input("segmenter.input", &s.input)?;
            if s.input.resize != ResizeMode::LongestSide || s.input.size[0] != s.input.size[1] {
                return Err(
                    "segmenter.input must use resize = \"longest_side\" with a square size, as SAM does"
                        .into(),
                );
            }
        }
        if let Some(d) = &mut m.detector {
            resolve(&mut d.model);
            resolve(&mut d.vocab);
            resolve(&mut d.merges);
            check_input("detector.input", &d.input)?;
            if d.max_length < 2 {
                return Err(
                    "detector.max_length must hold at least the start and end tokens".into(),
                );
            }
        }
        Ok(m)
    }

    /// Model files that must exist, with the section naming them.
    pub fn files(&self) -> Vec<(&'static str, &Path)> {
        let mut out = Vec::new();
        if let Some(d) = &self.depth {
            out.push(("depth.model", d.model.as_path()));
        }
        if let Some(s) = &self.segmenter {
            out.push(("segmenter.encoder", s.encoder.as_path()));
            out.push(("segmenter.decoder", s.decoder.as_path()));
        }
        if let Some(d) = &self.detector {
            out.push(("detector.model", d.model.as_path()));
            out.push(("detector.vocab", d.vocab.as_path()));
            out.push(("detector.merges", d.merges.as_path()));
        }
        out
    }
}

fn check_input(what: &str, i: &ImageInput) -> Result<(), String> {
    let [h, w] = i.size;
    if h == 0 || w == 0 || h > 8192 || w > 8192 {
        return Err(format!(
            "{what}.size = [{h}, {w}] is not a usable input size"
        ));
    }
    if i.std.iter().any(|s| !s.is_finite() || *s == 0.0) {
        return Err(format!("{what}.std must be finite and non-zero"));
    }
    if !i.pixel_scale.is_finite() || i.pixel_scale == 0.0 {
        return Err(format!("{what}.pixel_scale must be finite and non-zero"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"
name = "tiny-v1"

[depth]
model = "depth.onnx"
input = { size = [32, 32], mean = [0.5, 0.5, 0.5], std = [0.25, 0.25, 0.25] }
intrinsics_output = "intrinsics"

[segmenter]
encoder = "enc.onnx"
decoder = "/abs/dec.onnx"
input = { size = [64, 64], resize = "longest_side" }

[detector]
model = "det.onnx"
vocab = "vocab.json"
merges = "merges.txt"
input = { size = [32, 32] }
"#;

    #[test]
    fn parses_defaults_and_resolves_paths() {
        let m = Manifest::parse(FULL, Path::new("/models")).unwrap();
        assert_eq!(m.name, "tiny-v1");
        let d = m.depth.as_ref().unwrap();
        assert_eq!(d.model, Path::new("/models/depth.onnx"));
        assert_eq!(d.input_name, "pixel_values");
        assert_eq!(d.output, "predicted_depth");
        assert_eq!(d.kind, DepthKind::Depth);
        assert!(d.metric && !d.multiview);
        assert_eq!(d.input.resize, ResizeMode::Stretch);
        assert_eq!(d.input.layout, Layout::Nchw);
        assert!((d.input.pixel_scale - 1.0 / 255.0).abs() < 1e-9);
        let s = m.segmenter.as_ref().unwrap();
        assert_eq!(s.decoder, Path::new("/abs/dec.onnx"));
        assert_eq!(s.encoder_output, "image_embeddings");
        assert_eq!(s.embedding_cache, 16);
        let t = m.detector.as_ref().unwrap();
        assert_eq!(t.max_length, 16);
        assert_eq!(t.vocab, Path::new("/models/vocab.json"));
        assert_eq!(m.files().len(), 6);
    }

    #[test]
    fn refuses_wrong_manifests_with_the_reason() {
        let cases = [
            ("name = \"x\"\n", "neither"),
            (
                "name = \"\"\n[depth]\nmodel=\"a\"\ninput={size=[8,8]}\n",
                "name",
            ),
            (
                "name = \"x\"\n[depth]\nmodel=\"a\"\ninput={size=[8,8]}\ncolour=1\n",
                "unknown field",
            ),
            (
                "name = \"x\"\n[depth]\ninput={size=[8,8]}\n",
                "missing field `model`",
            ),
            (
                "name = \"x\"\n[depth]\nmodel=\"a\"\ninput={size=[0,8]}\n",
                "usable input size",
            ),
            (
                "name = \"x\"\n[depth]\nmodel=\"a\"\ninput={size=[8,8], std=[1,0,1]}\n",
                "std",
            ),
            (
                "name = \"x\"\n[segmenter]\nencoder=\"a\"\ndecoder=\"b\"\ninput={size=[8,8]}\n",
                "longest_side",
            ),
            (
                "name = \"x\"\n[depth]\nmodel=\"a\"\ninput={size=[8,8]}\n[detector]\nmodel=\"d\"\nvocab=\"v\"\nmerges=\"m\"\ninput={size=[8,8]}\n",
                "needs a [segmenter]",
            ),
            (
                "name = \"x\"\n[depth]\nmodel=\"a\"\ninput={size=[8,8]}\nposes_output=\"p\"\n",
                "multiview",
            ),
            (
                "name = \"x\"\n[depth]\nmodel=\"a\"\ninput={size=[8,8]}\nfov_deg=500\n",
                "fov_deg",
            ),
            (
                "name = \"x\"\n[depth]\nmodel=\"a\"\ninput={size=[8,8], resize=\"squash\"}\n",
                "unknown variant",
            ),
        ];
        for (text, want) in cases {
            let err = Manifest::parse(text, Path::new("/m")).unwrap_err();
            assert!(err.contains(want), "{text:?}: {err}");
        }
    }
}
