//! Nearest-neighbour resizing of per-pixel outputs to the input resolution.
//!
//! Models work at their own resolution; the tools promise outputs at the input images' size
//! (tools-perception.md §2.4) so a mask can index a point map directly. The original resizes
//! with `scipy.ndimage.zoom(order=0)` — a pure stretch whose output pixel `o` samples input
//! `round(o · (in − 1) / (out − 1))` (corner-aligned, halves rounded up) — and this module
//! reproduces that mapping exactly, so results match the original pixel for pixel.

/// Source index for every output index along one axis.
pub fn nearest_indices(in_len: usize, out_len: usize) -> Vec<usize> {
    if out_len <= 1 || in_len <= 1 {
        return vec![0; out_len];
    }
    let scale = (in_len - 1) as f64 / (out_len - 1) as f64;
    (0..out_len)
        .map(|o| ((o as f64 * scale + 0.5).floor() as usize).min(in_len - 1))
        .collect()
}

/// Resize `n` images of `h`×`w` pixels with `c` values each to `oh`×`ow`.
pub fn resize_nearest<T: Copy>(
    src: &[T],
    n: usize,
    (h, w): (usize, usize),
    c: usize,
    (oh, ow): (usize, usize),
) -> Vec<T> {
    debug_assert_eq!(src.len(), n * h * w * c);
    if (h, w) == (oh, ow) {
        return src.to_vec();
    }
    let rows = nearest_indices(h, oh);
    let cols = nearest_indices(w, ow);
    let mut out = Vec::with_capacity(n * oh * ow * c);
    for i in 0..n {
        let img = &src[i * h * w * c..(i + 1) * h * w * c];
        for &r in &rows {
            let row = &img[r * w * c..(r + 1) * w * c];
            for &col in &cols {
                out.extend_from_slice(&row[col * c..(col + 1) * c]);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_scipy_zoom_order_zero() {
        // scipy.ndimage.zoom(np.arange(4), 7/4, order=0) == [0, 1, 1, 2, 2, 3, 3]... with the
        // corner-aligned mapping: o * 3/6 = 0, .5, 1, 1.5, 2, 2.5, 3 -> 0, 1, 1, 2, 2, 3, 3.
        assert_eq!(nearest_indices(4, 7), vec![0, 1, 1, 2, 2, 3, 3]);
        assert_eq!(nearest_indices(5, 3), vec![0, 2, 4]);
        assert_eq!(nearest_indices(3, 1), vec![0]);
        let src: Vec<u8> = (0..2 * 2 * 2).collect(); // 1 image, 2x2, 2 channels
        let out = resize_nearest(&src, 1, (2, 2), 2, (3, 3));
        assert_eq!(out.len(), 18);
        assert_eq!(&out[..6], &[0, 1, 2, 3, 2, 3]);
        assert_eq!(&out[12..], &[4, 5, 6, 7, 6, 7]);
    }
}
