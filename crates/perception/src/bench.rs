//! `spatialclaw bench perception`: what the cache buys.
//!
//! Two figures: the latency of a cache hit for a 32-frame reconstruction (from memory and from
//! disk, next to the cost of computing it), and, on a workload of K questions over S
//! SynthSpatial scenes answered by concurrent workers, the number of backend calls with and
//! without the cache. Each question makes the calls the agent's tools make: one
//! reconstruction of its scene's frames, the ground detection `Reconstruct` issues for gravity,
//! and one text segmentation for each of the two objects asked about.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use spatialclaw_synth::{Camera, Scene, Vec3, render};

use crate::backend::{Backend, PerceptionError};
use crate::cache::{CacheStats, CachedBackend, RequestRef, request_key};
use crate::synthetic::SyntheticBackend;
use crate::types::{Masks, Reconstruction, RgbFrame, SegmentPrompt};

/// Counts the calls that reach the wrapped backend.
pub struct CountingBackend {
    inner: Arc<dyn Backend>,
    calls: AtomicU64,
}

impl CountingBackend {
    pub fn new(inner: Arc<dyn Backend>) -> Self {
        Self {
            inner,
            calls: AtomicU64::new(0),
        }
    }

    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }
}

impl Backend for CountingBackend {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn version(&self) -> &str {
        self.inner.version()
    }
    fn reconstruct(&self, frames: &[RgbFrame]) -> Result<Reconstruction, PerceptionError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.reconstruct(frames)
    }
    fn segment(&self, frame: &RgbFrame, prompt: &SegmentPrompt) -> Result<Masks, PerceptionError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.segment(frame, prompt)
    }
}

/// Workload and repetition sizes.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// Frames of the reconstruction whose hit latency is measured.
    pub frames: usize,
    /// Timed repetitions of each hit measurement.
    pub repeats: usize,
    /// Questions (K) in the workload.
    pub questions: usize,
    /// Scenes (S) the questions are spread over.
    pub scenes: usize,
    /// Frames each workload question reconstructs.
    pub question_frames: usize,
    /// Concurrent workers answering questions.
    pub workers: usize,
}

impl Default for BenchConfig {
    fn default() -> Self {
        Self {
            frames: 32,
            repeats: 10,
            questions: 24,
            scenes: 4,
            question_frames: 8,
            workers: 4,
        }
    }
}

/// Results, in milliseconds and counts.
#[derive(Debug, Clone)]
pub struct PerceptionBench {
    pub width: usize,
    pub height: usize,
    pub frames: usize,
    /// Size of the cached 32-frame entry on disk.
    pub entry_bytes: u64,
    /// Computing the reconstruction through the cache the first time (backend + store).
    pub miss_ms: f64,
    /// Median hit served from the in-memory layer (includes hashing the frames).
    pub hit_memory_ms: f64,
    /// Median hit read from disk by a fresh cache (another session or run).
    pub hit_disk_ms: f64,
    /// Median time to compute the cache key alone (hashing all pixels).
    pub key_ms: f64,
    pub questions: usize,
    pub scenes: usize,
    pub workers: usize,
    pub calls_without_cache: u64,
    pub calls_with_cache: u64,
    pub workload_without_cache_ms: f64,
    pub workload_with_cache_ms: f64,
    pub workload_stats: CacheStats,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn failed(e: impl std::fmt::Display) -> PerceptionError {
    PerceptionError::Failed(e.to_string())
}

/// `count` frames of `scene` from cameras sliding across the room and turning slightly, all
/// registered with `backend`.
pub fn scene_frames(
    scene: &Scene,
    count: usize,
    backend: &SyntheticBackend,
) -> Result<Vec<RgbFrame>, PerceptionError> {
    let base = scene.demo_camera().map_err(failed)?;
    let k = *base.intrinsics();
    let pose = base.pose();
    let eye = Vec3::new(pose[0][3], pose[1][3], pose[2][3]);
    let forward = Vec3::new(pose[0][2], pose[1][2], pose[2][2]);
    let span = scene.room.width * 0.3;
    (0..count)
        .map(|i| {
            let t = if count > 1 {
                i as f64 / (count - 1) as f64 - 0.5
            } else {
                0.0
            };
            let e = eye + Vec3::new(span * t, 0.0, 0.0);
            let target = e + forward * 2.0 + Vec3::new(-0.4 * t, 0.0, 0.0);
            let camera = Camera::look_at(e, target, k).map_err(failed)?;
            let frame = render(scene, &camera);
            backend.register(scene, &frame);
            RgbFrame::new(
                frame.width as usize,
                frame.height as usize,
                frame.rgb,
                i as i64,
            )
        })
        .collect()
}

struct Question {
    frames: Arc<Vec<RgbFrame>>,
    labels: [String; 2],
}

fn ask(backend: &dyn Backend, q: &Question) -> Result<(), PerceptionError> {
    backend.reconstruct(&q.frames)?;
    let first = &q.frames[0];
    backend.segment(first, &SegmentPrompt::Text("ground floor surface".into()))?;
    for label in &q.labels {
        backend.segment(first, &SegmentPrompt::Text(label.clone()))?;
    }
    Ok(())
}

/// Answer every question with `workers` threads taking questions in turn.
fn run_workload(
    backend: &dyn Backend,
    questions: &[Question],
    workers: usize,
) -> Result<f64, PerceptionError> {
    let start = Instant::now();
    let next = AtomicU64::new(0);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers.max(1))
            .map(|_| {
                s.spawn(|| -> Result<(), PerceptionError> {
                    loop {
                        let i = next.fetch_add(1, Ordering::SeqCst) as usize;
                        let Some(q) = questions.get(i) else {
                            return Ok(());
                        };
                        ask(backend, q)?;
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().map_err(|_| failed("a workload thread panicked"))?)
    })?;
    Ok(start.elapsed().as_secs_f64() * 1e3)
}

/// Run the benchmark with its cache entries under `dir` (use a fresh temporary directory).
pub fn run(cfg: &BenchConfig, dir: &Path) -> Result<PerceptionBench, PerceptionError> {
    // Hit latency of a `cfg.frames`-frame reconstruction.
    let synth = Arc::new(SyntheticBackend::new());
    let scene = Scene::generate(0);
    let frames = scene_frames(&scene, cfg.frames.max(1), &synth)?;
    let (width, height) = (frames[0].width, frames[0].height);
    let hit_dir = dir.join("hits");
    let cached = CachedBackend::new(synth.clone(), &hit_dir, u64::MAX).map_err(failed)?;
    let t = Instant::now();
    cached.reconstruct(&frames)?;
    let miss_ms = t.elapsed().as_secs_f64() * 1e3;
    let repeats = cfg.repeats.max(1);
    let time = |f: &dyn Fn() -> Result<(), PerceptionError>| -> Result<f64, PerceptionError> {
        let mut v = Vec::with_capacity(repeats);
        for _ in 0..repeats {
            let t = Instant::now();
            f()?;
            v.push(t.elapsed().as_secs_f64() * 1e3);
        }
        Ok(median(v))
    };
    let hit_memory_ms = time(&|| cached.reconstruct(&frames).map(drop))?;
    let entry_bytes = cached.stats().bytes;
    drop(cached);
    let cold = CachedBackend::new(synth.clone(), &hit_dir, u64::MAX)
        .map_err(failed)?
        .with_memory_budget(0);
    let hit_disk_ms = time(&|| cold.reconstruct(&frames).map(drop))?;
    let key_ms = time(&|| {
        std::hint::black_box(request_key(
            "synthetic",
            "1",
            RequestRef::Reconstruct(&frames),
        ));
        Ok(())
    })?;
    drop(cold);

    // The workload: question q is about scene q mod S and a pair of its objects.
    let scenes = cfg.scenes.max(1);
    let per_scene: Vec<(Scene, Arc<Vec<RgbFrame>>)> = (0..scenes as u64)
        .map(|seed| {
            let scene = Scene::generate(1000 + seed);
            let frames = scene_frames(&scene, cfg.question_frames.max(1), &synth)?;
            Ok((scene, Arc::new(frames)))
        })
        .collect::<Result<_, PerceptionError>>()?;
    let questions: Vec<Question> = (0..cfg.questions)
        .map(|q| {
            let (scene, frames) = &per_scene[q % scenes];
            let n = scene.objects.len().max(1);
            let label = |i: usize| {
                scene
                    .objects
                    .get(i % n)
                    .map(|o| o.label.clone())
                    .unwrap_or_else(|| "chair".into())
            };
            let j = q / scenes;
            Question {
                frames: frames.clone(),
                labels: [label(j), label(j + 1)],
            }
        })
        .collect();
    let plain = CountingBackend::new(synth.clone());
    let workload_without_cache_ms = run_workload(&plain, &questions, cfg.workers)?;
    let counted = Arc::new(CountingBackend::new(synth.clone()));
    let with_cache =
        CachedBackend::new(counted.clone(), dir.join("workload"), u64::MAX).map_err(failed)?;
    let workload_with_cache_ms = run_workload(&with_cache, &questions, cfg.workers)?;

    Ok(PerceptionBench {
        width,
        height,
        frames: frames.len(),
        entry_bytes,
        miss_ms,
        hit_memory_ms,
        hit_disk_ms,
        key_ms,
        questions: cfg.questions,
        scenes,
        workers: cfg.workers.max(1),
        calls_without_cache: plain.calls(),
        calls_with_cache: counted.calls(),
        workload_without_cache_ms,
        workload_with_cache_ms,
        workload_stats: with_cache.stats(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_bench_counts_calls_with_and_without_the_cache() {
        let tmp = std::env::temp_dir().join(format!("scp-bench-test-{}", std::process::id()));
        let cfg = BenchConfig {
            frames: 2,
            repeats: 2,
            questions: 6,
            scenes: 2,
            question_frames: 2,
            workers: 3,
        };
        let b = run(&cfg, &tmp).unwrap();
        let _ = std::fs::remove_dir_all(&tmp);
        assert_eq!(b.calls_without_cache, 6 * 4);
        // Per scene: one reconstruction, one ground detection, and the distinct labels asked.
        assert!(b.calls_with_cache < b.calls_without_cache, "{b:?}");
        assert_eq!(b.calls_with_cache, b.workload_stats.backend_calls);
        assert_eq!(
            b.workload_stats.hits + b.workload_stats.coalesced + b.workload_stats.misses,
            24
        );
        assert!(b.entry_bytes > 0 && b.hit_memory_ms >= 0.0 && b.hit_disk_ms >= 0.0);
    }

    /// The full-size benchmark, for when the CLI cannot be built:
    /// `cargo test --release -p spatialclaw-perception full_size_bench -- --ignored --nocapture`.
    #[test]
    #[ignore = "slow; prints timings"]
    fn full_size_bench() {
        let tmp = std::env::temp_dir().join(format!("scp-bench-full-{}", std::process::id()));
        let b = run(&BenchConfig::default(), &tmp).unwrap();
        let _ = std::fs::remove_dir_all(&tmp);
        println!("{b:#?}");
    }
}
