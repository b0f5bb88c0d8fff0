//! A rendered frame: colour, exact depth, instance ids and the camera that took it.

use sha2::{Digest, Sha256};

use crate::camera::Camera;
use crate::error::SynthError;
use crate::math::Vec3;

/// Output of `render`. Buffers are row-major, top row first, `width * height` pixels.
///
/// Depth convention: camera-frame z (along the optical axis, not the ray length) in metres;
/// `f32::INFINITY` where no surface was hit (only possible when the camera can see out of the
/// room). Instance ids: 0 background, 1 floor, 2 wall, 3 ceiling, objects from 16.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub width: u32,
    pub height: u32,
    /// RGB8, `width * height * 3` bytes.
    pub rgb: Vec<u8>,
    pub depth: Vec<f32>,
    pub instance: Vec<u16>,
    pub camera: Camera,
}

impl Frame {
    /// Raw RGB8 bytes (what a PNG/JPEG encoder or a numpy array wants).
    pub fn rgb_bytes(&self) -> &[u8] {
        &self.rgb
    }

    /// The colour image as a PNG file.
    pub fn png_bytes(&self) -> Result<Vec<u8>, SynthError> {
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, self.width, self.height);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            // Fast filters: frames are re-encoded often, size matters less than latency.
            enc.set_compression(png::Compression::Fast);
            let mut writer = enc.write_header()?;
            writer.write_image_data(&self.rgb)?;
            writer.finish()?;
        }
        Ok(out)
    }

    fn index(&self, u: u32, v: u32) -> Option<usize> {
        (u < self.width && v < self.height).then(|| v as usize * self.width as usize + u as usize)
    }

    /// Camera-z depth at pixel (u, v); `None` off the image or where nothing was hit.
    pub fn depth_at(&self, u: u32, v: u32) -> Option<f32> {
        let d = self.depth[self.index(u, v)?];
        d.is_finite().then_some(d)
    }

    /// Instance id at pixel (u, v); `None` off the image.
    pub fn instance_at(&self, u: u32, v: u32) -> Option<u16> {
        Some(self.instance[self.index(u, v)?])
    }

    /// World point seen at pixel (u, v); `None` off the image or where nothing was hit.
    pub fn world_point(&self, u: u32, v: u32) -> Option<Vec3> {
        let z = self.depth_at(u, v)?;
        Some(
            self.camera
                .unproject(f64::from(u), f64::from(v), f64::from(z)),
        )
    }

    /// Dense world point map (H×W×3, row-major) with NaN where nothing was hit: the exact
    /// counterpart of `recon.points[fi]` for a synthetic backend.
    pub fn world_points(&self) -> Vec<[f32; 3]> {
        let (w, h) = (self.width, self.height);
        let mut out = Vec::with_capacity(w as usize * h as usize);
        for v in 0..h {
            for u in 0..w {
                out.push(
                    self.world_point(u, v)
                        .map_or([f32::NAN; 3], |p| [p.x as f32, p.y as f32, p.z as f32]),
                );
            }
        }
        out
    }

    /// SHA-256 over size, RGB, depth and instance buffers (little-endian): a fingerprint for
    /// determinism checks and cache keys.
    pub fn content_hash(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.width.to_le_bytes());
        h.update(self.height.to_le_bytes());
        h.update(&self.rgb);
        let depth: Vec<u8> = self.depth.iter().flat_map(|d| d.to_le_bytes()).collect();
        h.update(&depth);
        let ids: Vec<u8> = self.instance.iter().flat_map(|i| i.to_le_bytes()).collect();
        h.update(&ids);
        h.finalize().into()
    }

    /// `content_hash` as lowercase hex.
    pub fn content_hash_hex(&self) -> String {
        self.content_hash()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}
