//! Image → tensor and tensor → image steps shared by the models: bilinear resizing (half-pixel
//! centres, as PyTorch's `interpolate(..., align_corners=False)` and OpenCV's `INTER_LINEAR`
//! without antialiasing), normalisation, layouts, SAM's longest-side fit and its mask
//! upsampling. The numpy equivalents live in `testkit::NUMPY_REFERENCE` and the tests compare.

use spatialclaw_perception::RgbFrame;

use crate::manifest::{ImageInput, Layout, ResizeMode};

/// A frame turned into a model input.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub data: Vec<f32>,
    pub shape: Vec<i64>,
    /// The part of the input holding the image (the rest is padding): (height, width).
    pub content: (usize, usize),
}

/// For each output index along one axis: the two source indices and the weight of the second.
fn bilinear_axis(in_len: usize, out_len: usize) -> Vec<(usize, usize, f32)> {
    let scale = in_len as f64 / out_len as f64;
    (0..out_len)
        .map(|o| {
            let src = ((o as f64 + 0.5) * scale - 0.5).max(0.0);
            let i0 = (src.floor() as usize).min(in_len - 1);
            let i1 = (i0 + 1).min(in_len - 1);
            (i0, i1, (src - i0 as f64) as f32)
        })
        .collect()
}

/// Bilinear resize of an interleaved `h`×`w`×`c` image to `oh`×`ow`.
pub fn resize_bilinear(
    src: &[f32],
    (h, w): (usize, usize),
    c: usize,
    (oh, ow): (usize, usize),
) -> Vec<f32> {
    debug_assert_eq!(src.len(), h * w * c);
    if (h, w) == (oh, ow) {
        return src.to_vec();
    }
    let rows = bilinear_axis(h, oh);
    let cols = bilinear_axis(w, ow);
    let mut out = vec![0.0f32; oh * ow * c];
    for (y, &(r0, r1, wy)) in rows.iter().enumerate() {
        let (row0, row1) = (&src[r0 * w * c..][..w * c], &src[r1 * w * c..][..w * c]);
        let dst = &mut out[y * ow * c..][..ow * c];
        for (x, &(c0, c1, wx)) in cols.iter().enumerate() {
            for k in 0..c {
                let top = row0[c0 * c + k] * (1.0 - wx) + row0[c1 * c + k] * wx;
                let bottom = row1[c0 * c + k] * (1.0 - wx) + row1[c1 * c + k] * wx;
                dst[x * c + k] = top * (1.0 - wy) + bottom * wy;
            }
        }
    }
    out
}

/// Size of a `h`×`w` frame after scaling its longer side to `side` (SAM's
/// `ResizeLongestSide.get_preprocess_shape`, rounding halves up).
pub fn longest_side_shape(h: usize, w: usize, side: usize) -> (usize, usize) {
    let scale = side as f64 / h.max(w) as f64;
    let round = |v: f64| ((v + 0.5).floor() as usize).max(1);
    (round(h as f64 * scale), round(w as f64 * scale))
}

/// Resize, normalise and lay a frame out as the model wants it.
pub fn prepare(frame: &RgbFrame, spec: &ImageInput) -> Prepared {
    let [ih, iw] = spec.size;
    let (rh, rw) = match spec.resize {
        ResizeMode::Stretch => (ih, iw),
        ResizeMode::LongestSide => longest_side_shape(frame.height, frame.width, ih),
    };
    let (mul, add): ([f32; 3], [f32; 3]) = {
        let mut mul = [0.0; 3];
        let mut add = [0.0; 3];
        for k in 0..3 {
            mul[k] = spec.pixel_scale / spec.std[k];
            add[k] = -spec.mean[k] / spec.std[k];
        }
        (mul, add)
    };
    // One pass: bilinear from the 8-bit pixels, normalise, write in the model's layout.
    let (fw, fh) = (frame.width, frame.height);
    let rows = bilinear_axis(fh, rh);
    let cols = bilinear_axis(fw, rw);
    let px = &frame.pixels;
    let mut data = vec![0.0f32; 3 * ih * iw];
    for (y, &(r0, r1, wy)) in rows.iter().enumerate() {
        let (row0, row1) = (&px[r0 * fw * 3..][..fw * 3], &px[r1 * fw * 3..][..fw * 3]);
        for (x, &(c0, c1, wx)) in cols.iter().enumerate() {
            for k in 0..3 {
                let at = |row: &[u8], c: usize| f32::from(row[c * 3 + k]);
                let top = at(row0, c0) * (1.0 - wx) + at(row0, c1) * wx;
                let bottom = at(row1, c0) * (1.0 - wx) + at(row1, c1) * wx;
                let v = (top * (1.0 - wy) + bottom * wy) * mul[k] + add[k];
                let i = match spec.layout {
                    Layout::Nchw => (k * ih + y) * iw + x,
                    Layout::Nhwc | Layout::Hwc => (y * iw + x) * 3 + k,
                };
                data[i] = v;
            }
        }
    }
    let (h, w) = (ih as i64, iw as i64);
    let shape = match spec.layout {
        Layout::Nchw => vec![1, 3, h, w],
        Layout::Nhwc => vec![1, h, w, 3],
        Layout::Hwc => vec![h, w, 3],
    };
    Prepared {
        data,
        shape,
        content: (rh, rw),
    }
}

/// SAM's mask post-processing for one low-resolution logit map: upsample to the encoder's
/// square input, drop the padding, resize to the frame.
pub fn upsample_sam_mask(
    low: &[f32],
    (lh, lw): (usize, usize),
    input_side: usize,
    content: (usize, usize),
    frame: (usize, usize),
) -> Vec<f32> {
    let full = resize_bilinear(low, (lh, lw), 1, (input_side, input_side));
    let (ch, cw) = (content.0.min(input_side), content.1.min(input_side));
    let mut crop = Vec::with_capacity(ch * cw);
    for y in 0..ch {
        crop.extend_from_slice(&full[y * input_side..y * input_side + cw]);
    }
    resize_bilinear(&crop, (ch, cw), 1, frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bilinear_matches_hand_computed_values() {
        // 1x2 -> 1x4, half-pixel centres: sources -0.25 (clamped), 0.25, 0.75, 1.25 (clamped).
        let out = resize_bilinear(&[0.0, 4.0], (1, 2), 1, (1, 4));
        assert_eq!(out, vec![0.0, 1.0, 3.0, 4.0]);
        // Downscale by 2 averages neighbours: sources 0.5 and 2.5.
        let out = resize_bilinear(&[0.0, 2.0, 4.0, 6.0], (1, 4), 1, (1, 2));
        assert_eq!(out, vec![1.0, 5.0]);
    }

    #[test]
    fn longest_side_rounds_like_sam() {
        assert_eq!(longest_side_shape(480, 640, 1024), (768, 1024));
        assert_eq!(longest_side_shape(30, 40, 64), (48, 64));
        assert_eq!(longest_side_shape(5, 3, 8), (8, 5)); // 4.8 -> 5
    }

    #[test]
    fn prepare_pads_and_lays_out_channels() {
        let px: Vec<u8> = (0..2 * 4).flat_map(|i| [i as u8 * 10, 100, 200]).collect();
        let frame = RgbFrame::new(4, 2, px, 0).unwrap();
        let spec = ImageInput {
            size: [8, 8],
            resize: ResizeMode::LongestSide,
            layout: Layout::Nchw,
            pixel_scale: 1.0,
            mean: [0.0, 100.0, 0.0],
            std: [1.0, 1.0, 2.0],
        };
        let p = prepare(&frame, &spec);
        assert_eq!(p.shape, vec![1, 3, 8, 8]);
        assert_eq!(p.content, (4, 8));
        // Green is constant 100 - 100 = 0, blue 200 / 2 = 100 inside, 0 in the padding.
        assert!(p.data[64..128].iter().all(|v| v.abs() < 1e-4));
        assert!((p.data[128] - 100.0).abs() < 1e-4);
        assert_eq!(p.data[128 + 5 * 8], 0.0);
        let hwc = prepare(
            &frame,
            &ImageInput {
                layout: Layout::Hwc,
                ..spec
            },
        );
        assert_eq!(hwc.shape, vec![8, 8, 3]);
        assert!((hwc.data[2] - 100.0).abs() < 1e-4);
    }
}
