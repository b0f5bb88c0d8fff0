//! Open-vocabulary detection (OWL-ViT style): a text query and an image in, boxes out. Its
//! boxes become box prompts of the segmenter, which is how text prompts get masks.
//!
//! The model takes `input_ids` and `attention_mask` (Q, L) int64 for Q queries and
//! `pixel_values`; it gives `logits` (1, P, Q) per predicted box and query and `pred_boxes`
//! (1, P, 4) as normalised centre x, centre y, width, height of the model input (for
//! padded inputs, of the padded square, as OWLv2 does).

use spatialclaw_perception::RgbFrame;

use crate::error::OnnxError;
use crate::manifest::DetectorSpec;
use crate::model::{Input, Model};
use crate::preprocess::prepare;
use crate::runtime::Runtime;
use crate::tokenizer::ClipTokenizer;

/// A detection: normalised top-left x, y, width, height of the frame, and its score.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    pub bbox: [f64; 4],
    pub score: f32,
}

pub struct Detector {
    spec: DetectorSpec,
    model: Model,
    tokenizer: ClipTokenizer,
}

fn iou(a: &[f64; 4], b: &[f64; 4]) -> f64 {
    let ix = (a[0] + a[2]).min(b[0] + b[2]) - a[0].max(b[0]);
    let iy = (a[1] + a[3]).min(b[1] + b[3]) - a[1].max(b[1]);
    if ix <= 0.0 || iy <= 0.0 {
        return 0.0;
    }
    let inter = ix * iy;
    inter / (a[2] * a[3] + b[2] * b[3] - inter)
}

/// Greedy non-maximum suppression over detections sorted by descending score.
pub fn nms(mut dets: Vec<Detection>, max_iou: f64, keep: usize) -> Vec<Detection> {
    dets.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut out: Vec<Detection> = Vec::new();
    for d in dets {
        if out.len() >= keep {
            break;
        }
        if out.iter().all(|o| iou(&o.bbox, &d.bbox) <= max_iou) {
            out.push(d);
        }
    }
    out
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

impl Detector {
    pub fn open(rt: &Runtime, spec: &DetectorSpec) -> Result<Self, OnnxError> {
        let tokenizer = ClipTokenizer::load(&spec.vocab, &spec.merges)?;
        let model = Model::open(
            rt,
            &spec.model,
            "detector.model",
            &[
                spec.pixel_input.as_str(),
                spec.ids_input.as_str(),
                spec.attention_input.as_str(),
            ],
            &[spec.logits_output.as_str(), spec.boxes_output.as_str()],
        )?;
        Ok(Self {
            spec: spec.clone(),
            model,
            tokenizer,
        })
    }

    /// Boxes for one text query, best first, after thresholding and NMS.
    pub fn detect(&self, frame: &RgbFrame, text: &str) -> Result<Vec<Detection>, OnnxError> {
        let s = &self.spec;
        let p = prepare(frame, &s.input);
        let (ids, mask) = self.tokenizer.encode(text, s.max_length, s.pad_id);
        let len = s.max_length as i64;
        let outs = self.model.run(
            vec![
                (s.pixel_input.as_str(), Input::F32(p.shape, p.data)),
                (s.ids_input.as_str(), Input::I64(vec![1, len], ids)),
                (s.attention_input.as_str(), Input::I64(vec![1, len], mask)),
            ],
            &[s.logits_output.as_str(), s.boxes_output.as_str()],
        )?;
        let (logits, boxes) = (&outs[0], &outs[1]);
        let n = boxes.data.len() / 4;
        if boxes.shape.last() != Some(&4) || logits.data.len() != n {
            return Err(OnnxError::Run {
                model: "detector.model".into(),
                why: format!(
                    "logits {:?} and pred_boxes {:?} do not describe the same boxes for one query",
                    logits.shape, boxes.shape
                ),
            });
        }
        let [ih, iw] = s.input.size;
        // Input fractions → frame fractions (differs from 1 only where the input is padded).
        let (fx, fy) = (
            iw as f64 / p.content.1 as f64,
            ih as f64 / p.content.0 as f64,
        );
        let dets: Vec<Detection> = boxes
            .data
            .chunks_exact(4)
            .zip(&logits.data)
            .filter_map(|(b, &logit)| {
                let score = sigmoid(logit);
                if score.is_nan() || score < s.score_threshold {
                    return None;
                }
                let [cx, cy, bw, bh] = [b[0], b[1], b[2], b[3]].map(f64::from);
                let x0 = ((cx - bw / 2.0) * fx).clamp(0.0, 1.0);
                let y0 = ((cy - bh / 2.0) * fy).clamp(0.0, 1.0);
                let x1 = ((cx + bw / 2.0) * fx).clamp(0.0, 1.0);
                let y1 = ((cy + bh / 2.0) * fy).clamp(0.0, 1.0);
                (x1 > x0 && y1 > y0).then_some(Detection {
                    bbox: [x0, y0, x1 - x0, y1 - y0],
                    score,
                })
            })
            .collect();
        Ok(nms(dets, f64::from(s.nms_iou), s.max_detections))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nms_keeps_the_best_of_overlapping_boxes() {
        let d = |x: f64, score: f32| Detection {
            bbox: [x, 0.0, 0.2, 0.2],
            score,
        };
        let kept = nms(vec![d(0.0, 0.5), d(0.01, 0.9), d(0.5, 0.3)], 0.5, 10);
        assert_eq!(kept, vec![d(0.01, 0.9), d(0.5, 0.3)]);
        assert_eq!(nms(vec![d(0.0, 0.5), d(0.5, 0.6)], 0.5, 1).len(), 1);
    }
}
