//! `OnnxBackend`: the manifest's models behind the perception `Backend` interface.

use std::path::PathBuf;
use std::sync::Arc;

use spatialclaw_perception::{
    Backend, Masks, PerceptionError, Reconstruction, RgbFrame, SegmentPrompt,
};

use crate::depth::DepthModel;
use crate::detector::{Detection, Detector};
use crate::error::OnnxError;
use crate::manifest::Manifest;
use crate::runtime::{self, Runtime};
use crate::sam::{SamPrompt, Segmenter};

/// Where to find things; `library` overrides discovery (see `runtime`).
#[derive(Debug, Clone, Default)]
pub struct OnnxConfig {
    pub manifest: PathBuf,
    pub library: Option<PathBuf>,
    /// Directories holding Python virtual environments to search for onnxruntime (the CLI
    /// passes SpatialClaw's cache directory).
    pub search_roots: Vec<PathBuf>,
}

pub struct OnnxBackend {
    runtime: Arc<Runtime>,
    manifest: Manifest,
    depth: Option<DepthModel>,
    segmenter: Option<Segmenter>,
    detector: Option<Detector>,
    version: String,
}

impl OnnxBackend {
    /// Read the manifest, load onnxruntime and open every model it names. Errors say what to
    /// fix: the manifest line, the missing file, or how to install onnxruntime.
    pub fn open(cfg: &OnnxConfig) -> Result<Self, OnnxError> {
        let manifest = Manifest::load(&cfg.manifest)?;
        for (what, path) in manifest.files() {
            if !path.is_file() {
                return Err(OnnxError::MissingModel {
                    what: what.into(),
                    path: path.to_owned(),
                });
            }
        }
        let library = match &cfg.library {
            Some(l) => l.clone(),
            None => runtime::find_library(&cfg.search_roots)?,
        };
        let runtime = runtime::load(&library)?;
        let depth = manifest
            .depth
            .as_ref()
            .map(|d| DepthModel::open(&runtime, d))
            .transpose()?;
        let segmenter = manifest
            .segmenter
            .as_ref()
            .map(|s| Segmenter::open(&runtime, s))
            .transpose()?;
        let detector = manifest
            .detector
            .as_ref()
            .map(|d| Detector::open(&runtime, d))
            .transpose()?;
        let version = format!(
            "{}/ort{}/{}",
            manifest.name,
            runtime.version,
            runtime.provider.label()
        );
        Ok(Self {
            runtime,
            manifest,
            depth,
            segmenter,
            detector,
            version,
        })
    }

    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    pub fn segmenter(&self) -> Option<&Segmenter> {
        self.segmenter.as_ref()
    }

    /// Boxes for a text query (the detector alone), for callers that want them.
    pub fn detect(&self, frame: &RgbFrame, text: &str) -> Result<Vec<Detection>, PerceptionError> {
        let det = self.detector.as_ref().ok_or_else(|| {
            PerceptionError::Failed(format!(
                "onnx backend: text prompts need a [detector] section in the model manifest ({})",
                self.manifest.name
            ))
        })?;
        Ok(det.detect(frame, text)?)
    }
}

fn check_box(b: &[f64; 4]) -> Result<(), PerceptionError> {
    let ok = b.iter().all(|v| v.is_finite())
        && b[2] > 0.0
        && b[3] > 0.0
        && b[0] + b[2] > 0.0
        && b[1] + b[3] > 0.0
        && b[0] < 1.0
        && b[1] < 1.0;
    if ok {
        Ok(())
    } else {
        Err(PerceptionError::BadInput(format!(
            "box {b:?} (normalised x, y, width, height) does not overlap the image"
        )))
    }
}

impl Backend for OnnxBackend {
    fn name(&self) -> &str {
        "onnx"
    }

    fn version(&self) -> &str {
        &self.version
    }

    fn reconstruct(&self, frames: &[RgbFrame]) -> Result<Reconstruction, PerceptionError> {
        let depth = self.depth.as_ref().ok_or_else(|| {
            PerceptionError::Failed(
                "onnx backend: the model manifest has no [depth] section, so Reconstruct is unavailable"
                    .into(),
            )
        })?;
        depth.reconstruct(frames)
    }

    fn segment(&self, frame: &RgbFrame, prompt: &SegmentPrompt) -> Result<Masks, PerceptionError> {
        let sam = self.segmenter.as_ref().ok_or_else(|| {
            PerceptionError::Failed(
                "onnx backend: the model manifest has no [segmenter] section, so segmentation is unavailable"
                    .into(),
            )
        })?;
        let size = (frame.width, frame.height);
        let prompts = match prompt {
            SegmentPrompt::Box(b) => {
                check_box(b)?;
                vec![(SamPrompt::from_box(*b, size), None)]
            }
            SegmentPrompt::Points { points, labels } => {
                if points.iter().flatten().any(|v| !v.is_finite()) {
                    return Err(PerceptionError::BadInput(
                        "point coordinates must be finite".into(),
                    ));
                }
                vec![(SamPrompt::from_points(points, labels, size)?, None)]
            }
            SegmentPrompt::Text(text) => {
                if text.trim().is_empty() {
                    return Err(PerceptionError::BadInput("the text prompt is empty".into()));
                }
                self.detect(frame, text)?
                    .into_iter()
                    .map(|d| (SamPrompt::from_box(d.bbox, size), Some(d.score)))
                    .collect()
            }
        };
        sam.segment_prompts(frame, &prompts)
    }
}

/// Where the manifest is when the caller gives none: `SPATIALCLAW_ONNX_MANIFEST`.
pub fn manifest_from_env() -> Option<PathBuf> {
    std::env::var_os("SPATIALCLAW_ONNX_MANIFEST")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Describe the library and provider without opening any model (for `spatialclaw doctor`):
/// `Ok((library, version, provider, note))` or the error telling how to install it.
pub fn probe(search_roots: &[PathBuf]) -> Result<(PathBuf, String, String, String), OnnxError> {
    let lib = runtime::find_library(search_roots)?;
    let rt = runtime::load(&lib)?;
    Ok((
        rt.library.clone(),
        rt.version.clone(),
        rt.provider.label().to_owned(),
        rt.cuda_note.clone(),
    ))
}
