//! Timing of the synthetic renderer, for `spatialclaw bench synth`.

use std::time::Instant;

use crate::camera::Camera;
use crate::error::SynthError;
use crate::layout::{LayoutConfig, generate_layout};
use crate::raster::render;
use crate::rng::SplitMix64;
use crate::scene::Scene;
use crate::views::{CameraSpec, single_image};

/// Render timings of the demo scene for one seed. Milliseconds of wall-clock time; build in
/// release for meaningful numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderBench {
    pub width: u32,
    pub height: u32,
    pub frames: usize,
    /// Full `render` (mesh build, visibility, shading), per frame.
    pub render_min_ms: f64,
    pub render_median_ms: f64,
    pub render_mean_ms: f64,
    /// `Frame::png_bytes`, median per frame.
    pub png_median_ms: f64,
    /// `Frame::content_hash_hex` of the rendered frame, to show runs are comparable.
    pub frame_hash: String,
}

/// Renders the demo frame of `seed` `frames` times (after one warm-up) and reports timings.
pub fn bench_render(seed: u64, frames: usize) -> Result<RenderBench, SynthError> {
    let scene = Scene::generate(seed);
    let camera = scene.demo_camera()?;
    time_renders(&scene, &camera, frames)
}

/// Like `bench_render`, on a benchmark room of `seed` furnished with 12–15 compound objects
/// (boxes, tessellated cylinders and spheres), seen by one 640×480 camera: the heavier case.
pub fn bench_render_room(seed: u64, frames: usize) -> Result<RenderBench, SynthError> {
    let config = LayoutConfig {
        room_side: (6.0, 8.0),
        objects: (12, 15),
        ..LayoutConfig::default()
    };
    let scene = generate_layout(&config, seed)?;
    let rig = single_image(&scene, &CameraSpec::default(), &mut SplitMix64::new(seed)).ok_or(
        SynthError::NoValidSample {
            what: "benchmark camera",
            seed,
            attempts: 1,
        },
    )?;
    time_renders(&scene, &rig.views[0].camera, frames)
}

fn time_renders(scene: &Scene, camera: &Camera, frames: usize) -> Result<RenderBench, SynthError> {
    let frames = frames.max(1);
    let warm = render(scene, camera);
    let mut render_ms = Vec::with_capacity(frames);
    let mut png_ms = Vec::with_capacity(frames);
    for _ in 0..frames {
        let t = Instant::now();
        let frame = render(scene, camera);
        render_ms.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        std::hint::black_box(frame.png_bytes()?);
        png_ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let mean = render_ms.iter().sum::<f64>() / frames as f64;
    Ok(RenderBench {
        width: warm.width,
        height: warm.height,
        frames,
        render_min_ms: render_ms.iter().copied().fold(f64::INFINITY, f64::min),
        render_median_ms: median(&mut render_ms),
        render_mean_ms: mean,
        png_median_ms: median(&mut png_ms),
        frame_hash: warm.content_hash_hex(),
    })
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[cfg(test)]
mod tests {
    #[test]
    fn bench_runs_and_reports_sane_numbers() {
        let b = super::bench_render(3, 2).unwrap();
        assert_eq!((b.width, b.height, b.frames), (640, 480, 2));
        assert!(b.render_min_ms > 0.0 && b.render_min_ms <= b.render_mean_ms * 1.0001);
        assert_eq!(b.frame_hash.len(), 64);
        let r = super::bench_render_room(1, 1).unwrap();
        assert_eq!((r.width, r.height), (640, 480));
    }
}
