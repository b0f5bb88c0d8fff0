//! Promptable segmentation with a SAM-family encoder/decoder pair.
//!
//! The decoder has the signature of segment-anything's ONNX export: inputs `image_embeddings`,
//! `point_coords` (1, N, 2) in the encoder's resized-image pixels, `point_labels` (1, N)
//! (1 foreground, 0 background, 2/3 box corners, -1 padding), `mask_input` (1, 1, 4·He, 4·We),
//! `has_mask_input` (1), `orig_im_size` (2) as (H, W); outputs `masks` (1, M, H, W) logits,
//! `iou_predictions` (1, M) and `low_res_masks` (1, M, 4·He, 4·We). Boxes go in as their two
//! corners with labels 2 and 3; point prompts get SAM's padding point (0, 0) with label -1.
//! Of the M candidates the one with the highest predicted IoU is kept. When `masks` is not at
//! the frame's size (exports that skip the upsampling), `low_res_masks` is upsampled here the
//! way SAM does it.
//!
//! The image embedding is the expensive half; it is cached per frame by content hash, so
//! several prompts on one frame (every box of a text query, the agent's retries) encode once.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use spatialclaw_perception::{Masks, PerceptionError, RgbFrame};

use crate::error::OnnxError;
use crate::manifest::SegmenterSpec;
use crate::model::{Input, Model, Output};
use crate::preprocess::{prepare, upsample_sam_mask};
use crate::runtime::Runtime;

const DECODER_INPUTS: [&str; 6] = [
    "image_embeddings",
    "point_coords",
    "point_labels",
    "mask_input",
    "has_mask_input",
    "orig_im_size",
];
const DECODER_OUTPUTS: [&str; 3] = ["masks", "iou_predictions", "low_res_masks"];

/// An encoded frame.
struct Embedding {
    tensor: Output,
    /// Size of the resized image inside the square input.
    content: (usize, usize),
}

struct Cache {
    map: HashMap<[u8; 32], Arc<Embedding>>,
    order: VecDeque<[u8; 32]>,
}

pub struct Segmenter {
    spec: SegmenterSpec,
    encoder: Model,
    decoder: Model,
    cache: Mutex<Cache>,
    encoder_runs: AtomicUsize,
}

/// One prompt in decoder terms: points in frame pixels with SAM labels.
#[derive(Debug, Clone, PartialEq)]
pub struct SamPrompt {
    pub points: Vec<[f64; 2]>,
    pub labels: Vec<f32>,
}

impl SamPrompt {
    /// A box (normalised top-left x, y, width, height) as SAM's two labelled corners.
    pub fn from_box(b: [f64; 4], (w, h): (usize, usize)) -> Self {
        let (w, h) = (w as f64, h as f64);
        Self {
            points: vec![[b[0] * w, b[1] * h], [(b[0] + b[2]) * w, (b[1] + b[3]) * h]],
            labels: vec![2.0, 3.0],
        }
    }

    /// Normalised points with 1/0 labels, plus SAM's padding point.
    pub fn from_points(
        points: &[[f64; 2]],
        labels: &[i32],
        (w, h): (usize, usize),
    ) -> Result<Self, PerceptionError> {
        if points.is_empty() || points.len() != labels.len() {
            return Err(PerceptionError::BadInput(format!(
                "need one label per point and at least one point (got {} points, {} labels)",
                points.len(),
                labels.len()
            )));
        }
        if let Some(l) = labels.iter().find(|l| !matches!(l, 0 | 1)) {
            return Err(PerceptionError::BadInput(format!(
                "point labels must be 1 (foreground) or 0 (background), got {l}"
            )));
        }
        let mut out = Self {
            points: points
                .iter()
                .map(|p| [p[0] * w as f64, p[1] * h as f64])
                .collect(),
            labels: labels.iter().map(|&l| l as f32).collect(),
        };
        out.points.push([0.0, 0.0]);
        out.labels.push(-1.0);
        Ok(out)
    }
}

impl Segmenter {
    pub fn open(rt: &Runtime, spec: &SegmenterSpec) -> Result<Self, OnnxError> {
        let encoder = Model::open(
            rt,
            &spec.encoder,
            "segmenter.encoder",
            &[spec.encoder_input.as_str()],
            &[spec.encoder_output.as_str()],
        )?;
        let decoder = Model::open(
            rt,
            &spec.decoder,
            "segmenter.decoder",
            &DECODER_INPUTS,
            &DECODER_OUTPUTS,
        )?;
        Ok(Self {
            spec: spec.clone(),
            encoder,
            decoder,
            cache: Mutex::new(Cache {
                map: HashMap::new(),
                order: VecDeque::new(),
            }),
            encoder_runs: AtomicUsize::new(0),
        })
    }

    /// How many times the encoder has run (cache misses), for tests and the benchmark.
    pub fn encoder_runs(&self) -> usize {
        self.encoder_runs.load(Ordering::Relaxed)
    }

    fn embedding(&self, frame: &RgbFrame) -> Result<Arc<Embedding>, OnnxError> {
        let key = frame.content_hash();
        if let Some(e) = self.lock().map.get(&key) {
            return Ok(e.clone());
        }
        let p = prepare(frame, &self.spec.input);
        let out = self
            .encoder
            .run(
                vec![(
                    self.spec.encoder_input.as_str(),
                    Input::F32(p.shape, p.data),
                )],
                &[self.spec.encoder_output.as_str()],
            )?
            .pop()
            .expect("one output asked");
        self.encoder_runs.fetch_add(1, Ordering::Relaxed);
        if out.shape.len() != 4 || out.shape[0] != 1 {
            return Err(OnnxError::Run {
                model: "segmenter.encoder".into(),
                why: format!(
                    "embeddings have shape {:?}, expected (1, C, H, W)",
                    out.shape
                ),
            });
        }
        let e = Arc::new(Embedding {
            tensor: out,
            content: p.content,
        });
        let mut cache = self.lock();
        if self.spec.embedding_cache > 0 && !cache.map.contains_key(&key) {
            while cache.order.len() >= self.spec.embedding_cache {
                if let Some(old) = cache.order.pop_front() {
                    cache.map.remove(&old);
                }
            }
            cache.order.push_back(key);
            cache.map.insert(key, e.clone());
        }
        Ok(e)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Best mask for one prompt: (mask at the frame's size, score).
    fn decode(
        &self,
        frame: &RgbFrame,
        emb: &Embedding,
        prompt: &SamPrompt,
    ) -> Result<(Vec<bool>, f32), OnnxError> {
        let (h, w) = (frame.height, frame.width);
        let side = self.spec.input.size[0];
        // Frame pixels → resized-image pixels (SAM's ResizeLongestSide.apply_coords).
        let (sx, sy) = (
            emb.content.1 as f64 / w as f64,
            emb.content.0 as f64 / h as f64,
        );
        let n = prompt.points.len();
        let coords: Vec<f32> = prompt
            .points
            .iter()
            .zip(&prompt.labels)
            .flat_map(|(p, &l)| {
                if l < 0.0 {
                    [0.0, 0.0]
                } else {
                    [(p[0] * sx) as f32, (p[1] * sy) as f32]
                }
            })
            .collect();
        let es = &emb.tensor.shape;
        let (mh, mw) = (4 * es[2], 4 * es[3]);
        let outs = self.decoder.run(
            vec![
                (
                    "image_embeddings",
                    Input::F32(
                        es.iter().map(|&d| d as i64).collect(),
                        emb.tensor.data.clone(),
                    ),
                ),
                ("point_coords", Input::F32(vec![1, n as i64, 2], coords)),
                (
                    "point_labels",
                    Input::F32(vec![1, n as i64], prompt.labels.clone()),
                ),
                (
                    "mask_input",
                    Input::F32(vec![1, 1, mh as i64, mw as i64], vec![0.0; mh * mw]),
                ),
                ("has_mask_input", Input::F32(vec![1], vec![0.0])),
                (
                    "orig_im_size",
                    Input::F32(vec![2], vec![h as f32, w as f32]),
                ),
            ],
            &DECODER_OUTPUTS,
        )?;
        let (masks, iou, low) = (&outs[0], &outs[1], &outs[2]);
        let m = iou.data.len();
        let bad = |why: String| OnnxError::Run {
            model: "segmenter.decoder".into(),
            why,
        };
        if m == 0 || iou.data.iter().any(|v| v.is_nan()) {
            return Err(bad(format!("iou_predictions {:?}", iou.shape)));
        }
        let best = (0..m)
            .max_by(|&a, &b| iou.data[a].total_cmp(&iou.data[b]))
            .unwrap_or(0);
        let t = self.spec.mask_threshold;
        let logits: Vec<f32> = match masks.shape[..] {
            [1, mm, mh, mw] if mm == m && (mh, mw) == (h, w) => {
                masks.data[best * h * w..(best + 1) * h * w].to_vec()
            }
            _ => match low.shape[..] {
                [1, mm, lh, lw] if mm == m && lh > 0 && lw > 0 => upsample_sam_mask(
                    &low.data[best * lh * lw..(best + 1) * lh * lw],
                    (lh, lw),
                    side,
                    emb.content,
                    (h, w),
                ),
                _ => {
                    return Err(bad(format!(
                        "masks {:?} / low_res_masks {:?} do not hold {m} masks",
                        masks.shape, low.shape
                    )));
                }
            },
        };
        Ok((logits.iter().map(|&v| v > t).collect(), iou.data[best]))
    }

    /// One mask per prompt (empty masks dropped), all on one encoding of the frame.
    pub fn segment_prompts(
        &self,
        frame: &RgbFrame,
        prompts: &[(SamPrompt, Option<f32>)],
    ) -> Result<Masks, PerceptionError> {
        let emb = self.embedding(frame)?;
        let mut data = Vec::new();
        let mut scores = Vec::new();
        for (prompt, score) in prompts {
            let (mask, iou) = self.decode(frame, &emb, prompt)?;
            if mask.iter().any(|&b| b) {
                data.extend(mask);
                scores.push(score.unwrap_or(iou));
            }
        }
        Ok(Masks {
            count: scores.len(),
            height: frame.height,
            width: frame.width,
            data,
            scores,
        })
    }
}
