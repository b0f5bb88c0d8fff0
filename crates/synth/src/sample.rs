//! One benchmark sample: a room, the cameras of an input kind, the rendered frames and a
//! question of a chosen family. Deterministic for (seed, family, options).

use crate::error::SynthError;
use crate::frame::Frame;
use crate::layout::{LayoutConfig, generate_layout};
use crate::questions::{self, BenchQuestion, Context, Family, Visibility};
use crate::raster::render;
use crate::rng::SplitMix64;
use crate::scene::{INSTANCE_FLOOR, Scene};
use crate::views::{self, CameraSpec, InputKind, Path, Rig, VideoTiming};

/// Knobs of sample generation.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleOptions {
    pub camera: CameraSpec,
    /// Inclusive range of sampled frames per video (the issue allows 16–128).
    pub video_frames: (usize, usize),
    /// Frame rates (per second) at which videos are sampled from the 30-fps native path.
    pub sample_fps: Vec<f64>,
    /// Input kinds allowed (empty = all of the family's kinds).
    pub kinds: Vec<InputKind>,
}

impl Default for SampleOptions {
    fn default() -> SampleOptions {
        SampleOptions {
            camera: CameraSpec::default(),
            video_frames: (16, 24),
            sample_fps: vec![1.0, 2.0],
            kinds: Vec::new(),
        }
    }
}

/// A generated sample with its frames.
#[derive(Debug, Clone)]
pub struct Sample {
    pub seed: u64,
    /// The room at time 0 (moving objects carry their motion).
    pub scene: Scene,
    pub rig: Rig,
    pub question: BenchQuestion,
    /// One rendered frame per view, in rig order.
    pub frames: Vec<Frame>,
}

impl Sample {
    pub fn family(&self) -> Family {
        self.question.family
    }

    /// The scene as frame `i` sees it (moving objects placed at that frame's time).
    pub fn scene_at(&self, i: usize) -> Scene {
        self.scene
            .at_time(self.rig.views.get(i).map_or(0.0, |v| v.time_s))
    }
}

/// Renders every view of `rig` of `scene` (at each view's time).
pub fn render_rig(scene: &Scene, rig: &Rig) -> Vec<Frame> {
    rig.views
        .iter()
        .map(|v| {
            if scene.is_dynamic() {
                render(&scene.at_time(v.time_s), &v.camera)
            } else {
                render(scene, &v.camera)
            }
        })
        .collect()
}

const ATTEMPTS: u64 = 60;
/// Share of the first frame that must show floor. Reconstruction finds gravity from the floor
/// it sees in the first frame, as real pipelines do; a first frame facing a wall close up
/// would leave every measurement tilted.
pub const MIN_FLOOR_FRACTION: f64 = 0.05;

/// Fraction of a frame's pixels showing the floor.
pub fn floor_fraction(frame: &Frame) -> f64 {
    let n = frame
        .instance
        .iter()
        .filter(|&&i| i == INSTANCE_FLOOR)
        .count();
    n as f64 / frame.instance.len().max(1) as f64
}

/// A sample of `family` for `seed`. Scenes and cameras are retried (deterministically) until
/// the family can ask an answerable question.
pub fn generate_sample(
    seed: u64,
    family: Family,
    options: &SampleOptions,
) -> Result<Sample, SynthError> {
    let kinds: Vec<InputKind> = family
        .kinds()
        .iter()
        .copied()
        .filter(|k| options.kinds.is_empty() || options.kinds.contains(k))
        .collect();
    if kinds.is_empty() {
        return Err(SynthError::Unsupported(format!(
            "family {} is not asked about input kinds {:?} (it supports {:?})",
            family.name(),
            options.kinds.iter().map(|k| k.name()).collect::<Vec<_>>(),
            family.kinds().iter().map(|k| k.name()).collect::<Vec<_>>()
        )));
    }
    for attempt in 0..ATTEMPTS {
        let mut rng = SplitMix64::derive(seed, attempt_stream(attempt));
        let kind = kinds[rng.below(kinds.len())];
        let (lo, hi) = options.video_frames;
        let timing = VideoTiming {
            frames: lo + rng.below(hi.saturating_sub(lo) + 1),
            sample_fps: options
                .sample_fps
                .get(rng.below(options.sample_fps.len()))
                .copied()
                .unwrap_or(2.0),
        };
        let mut layout = LayoutConfig::default();
        match family {
            Family::ObjectCount if rng.next_f64() < 0.75 => layout.repeated = Some((2, 4)),
            Family::MotionDirection => {
                layout.mover_duration_s = Some(timing.duration_s());
                layout.objects = (3, 8);
            }
            Family::RoomSize => layout.objects = (3, 8),
            _ => {}
        }
        let Ok(scene) = generate_layout(&layout, rng.next_u64()) else {
            continue;
        };
        let spec = &options.camera;
        let rig = match kind {
            InputKind::SingleImage => views::single_image(&scene, spec, &mut rng),
            InputKind::MultiView => {
                let (a, b) = match family {
                    Family::MultiviewCorrespondence => (3, 5),
                    Family::RoomSize => (4, 6),
                    _ => (2, 6),
                };
                views::multi_view(&scene, spec, a + rng.below(b - a + 1), &mut rng)
            }
            InputKind::Video => {
                let path = match family {
                    Family::RoomSize => Path::Pan {
                        min_deg: 300.0,
                        max_deg: 350.0,
                    },
                    Family::CameraDisplacement => Path::Walk { max_turn_deg: 60.0 },
                    Family::CameraRotation if rng.next_f64() < 0.5 => Path::Pan {
                        min_deg: 30.0,
                        max_deg: 170.0,
                    },
                    Family::CameraRotation => Path::Walk {
                        max_turn_deg: 150.0,
                    },
                    _ if rng.next_f64() < 0.5 => Path::Pan {
                        min_deg: 90.0,
                        max_deg: 240.0,
                    },
                    _ => Path::Walk {
                        max_turn_deg: 120.0,
                    },
                };
                views::video(&scene, spec, path, timing, &mut rng)
            }
            InputKind::DynamicVideo => views::dynamic_video(&scene, spec, timing, &mut rng),
        };
        let Some(rig) = rig else {
            continue;
        };
        let frames = render_rig(&scene, &rig);
        if floor_fraction(&frames[0]) < MIN_FLOOR_FRACTION {
            continue;
        }
        let vis = Visibility::of(&scene, &frames);
        let ctx = Context {
            scene: &scene,
            rig: &rig,
            frames: &frames,
            vis: &vis,
        };
        if let Some(question) = questions::ask(family, &ctx, &mut rng) {
            return Ok(Sample {
                seed,
                scene,
                rig,
                question,
                frames,
            });
        }
    }
    Err(SynthError::NoValidSample {
        what: family.name(),
        seed,
        attempts: ATTEMPTS as u32,
    })
}

/// Stream id of an attempt (kept apart from other derived streams of the same seed).
const fn attempt_stream(attempt: u64) -> u64 {
    0x5A3B_0000 + attempt
}

/// Family of the `index`-th sample of a dataset: every block of 14 consecutive samples holds
/// each family once (in a seed-dependent order), so any prefix is balanced within one.
pub fn balanced_family(seed: u64, index: usize, families: &[Family]) -> Option<Family> {
    if families.is_empty() {
        return None;
    }
    let n = families.len();
    let mut order = families.to_vec();
    SplitMix64::derive(seed, 0xB10C + (index / n) as u64).shuffle(&mut order);
    Some(order[index % n])
}

/// Seed of the `index`-th sample of a dataset.
pub fn sample_seed(seed: u64, index: usize) -> u64 {
    SplitMix64::derive(seed, 0x5EED_0000 + index as u64).next_u64()
}
