//! Question families of the SynthSpatial benchmark: each turns a scene, its cameras and the
//! rendered frames into a question with an exact answer and plausible wrong choices.
//!
//! Families only ask what the frames make answerable with perfect perception (objects seen
//! well enough, margins between choices), so that the benchmark measures reasoning, not luck.
//! Question sentences are fixed templates per family; `policy` recognises the family from the
//! sentence alone, like a model reading the prompt would.

mod measure;
mod multiview;
mod relation;
mod temporal;

use serde::{Deserialize, Serialize};

use crate::frame::Frame;
use crate::rng::SplitMix64;
use crate::scene::{FIRST_OBJECT_INSTANCE, Object, Scene};
use crate::views::{InputKind, Rig};

pub use measure::{plural, room_walls_seen};
pub use temporal::signed_turn_deg;

/// Sentence openings of every family; the policy and tests parse with the same constants.
pub mod templates {
    pub const COUNT: &str = "How many ";
    pub const COUNT_END: &str = " are visible in the image?";
    pub const CENTROID: &str = "What is the distance in metres between the centre of the ";
    pub const CENTROID_MID: &str = " and the centre of the ";
    pub const CLOSEST: &str = "What is the closest distance in metres between the ";
    pub const CLOSEST_MID: &str = " and the ";
    pub const HEIGHT: &str = "What is the height of the ";
    pub const HEIGHT_END: &str = " in centimetres?";
    pub const LONGEST: &str =
        "What is the length of the longest dimension (width, depth or height) of the ";
    pub const ROOM: &str = "What is the floor area of this room in square metres?";
    pub const REL_DIST: &str = "Which of the following objects is closest to the ";
    pub const REL_DIR_IMAGE: &str = "From the camera's viewpoint, is the ";
    pub const REL_DIR_IMAGE_MID: &str = " to the left or to the right of the ";
    pub const REL_DIR_VIDEO: &str = "At the last frame of the video, where is the ";
    pub const REL_DIR_VIDEO_END: &str = " relative to the camera?";
    pub const ALLO: &str = "Imagine standing at the ";
    pub const ALLO_FACING: &str = " and facing the ";
    pub const ALLO_TARGET: &str = ". Where is the ";
    pub const ORDER: &str = "In which order do the following objects first appear in the video?";
    pub const DISPLACEMENT: &str = "How far did the camera move between the first and the last frame of the video, in metres (straight-line distance)?";
    pub const ROTATION: &str = "By roughly how many degrees, and in which direction, did the camera turn between the first and the last frame of the video?";
    pub const MOTION: &str = "In which direction does the ";
    pub const MOTION_END: &str = " move during the video, as seen from the camera?";
    pub const VIEWS: &str = "In which of the views is the ";
    pub const VIEWS_END: &str = " visible?";
    pub const HIGHEST: &str = "Which of the following objects reaches the highest above the floor?";
}

/// The question families, spanning the paper's categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    ObjectCount,
    DistanceCentroid,
    DistanceClosest,
    ObjectSize,
    RoomSize,
    RelativeDistance,
    RelativeDirection,
    AllocentricDirection,
    AppearanceOrder,
    CameraDisplacement,
    CameraRotation,
    MotionDirection,
    MultiviewCorrespondence,
    HeightComparison,
}

impl Family {
    pub const ALL: [Family; 14] = [
        Family::ObjectCount,
        Family::DistanceCentroid,
        Family::DistanceClosest,
        Family::ObjectSize,
        Family::RoomSize,
        Family::RelativeDistance,
        Family::RelativeDirection,
        Family::AllocentricDirection,
        Family::AppearanceOrder,
        Family::CameraDisplacement,
        Family::CameraRotation,
        Family::MotionDirection,
        Family::MultiviewCorrespondence,
        Family::HeightComparison,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Family::ObjectCount => "object_count",
            Family::DistanceCentroid => "distance_centroid",
            Family::DistanceClosest => "distance_closest",
            Family::ObjectSize => "object_size",
            Family::RoomSize => "room_size",
            Family::RelativeDistance => "relative_distance",
            Family::RelativeDirection => "relative_direction",
            Family::AllocentricDirection => "allocentric_direction",
            Family::AppearanceOrder => "appearance_order",
            Family::CameraDisplacement => "camera_displacement",
            Family::CameraRotation => "camera_rotation",
            Family::MotionDirection => "motion_direction",
            Family::MultiviewCorrespondence => "multiview_correspondence",
            Family::HeightComparison => "height_comparison",
        }
    }

    pub fn from_name(s: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.name() == s)
    }

    /// The paper's category the family belongs to (for per-category accuracy).
    pub fn category(self) -> &'static str {
        match self {
            Family::ObjectCount => "counting",
            Family::DistanceCentroid | Family::DistanceClosest => "absolute_distance",
            Family::ObjectSize | Family::RoomSize => "size",
            Family::RelativeDistance | Family::HeightComparison => "relative_relation",
            Family::RelativeDirection => "egocentric_direction",
            Family::AllocentricDirection => "allocentric_direction",
            Family::AppearanceOrder => "temporal_order",
            Family::CameraDisplacement | Family::CameraRotation => "camera_motion",
            Family::MotionDirection => "object_motion",
            Family::MultiviewCorrespondence => "multi_view_correspondence",
        }
    }

    /// Input kinds the family is asked about.
    pub fn kinds(self) -> &'static [InputKind] {
        use InputKind::*;
        match self {
            Family::ObjectCount | Family::DistanceClosest => &[SingleImage],
            Family::DistanceCentroid | Family::ObjectSize => &[SingleImage, MultiView, Video],
            Family::RoomSize => &[Video, MultiView],
            Family::RelativeDistance | Family::AllocentricDirection => &[SingleImage, MultiView],
            Family::HeightComparison => &[SingleImage, MultiView],
            Family::RelativeDirection => &[SingleImage, Video],
            Family::AppearanceOrder | Family::CameraDisplacement | Family::CameraRotation => {
                &[Video]
            }
            Family::MotionDirection => &[DynamicVideo],
            Family::MultiviewCorrespondence => &[MultiView],
        }
    }
}

/// The exact answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Answer {
    /// Multiple choice: the correct option's letter and text.
    Choice { letter: String, text: String },
    /// A number in `unit` (scored with MRA).
    Number { value: f64, unit: String },
}

impl Answer {
    /// Score of a prediction: exact letter for choices, mean relative accuracy for numbers.
    pub fn score(&self, prediction: &str) -> f64 {
        match self {
            Answer::Choice { letter, .. } => {
                let p = prediction.trim().trim_start_matches('(');
                let first: String = p.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
                f64::from(u8::from(first.eq_ignore_ascii_case(letter)))
            }
            Answer::Number { value, .. } => {
                let num: String = prediction
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e'))
                    .collect();
                num.parse::<f64>().map_or(0.0, |p| mra(p, *value))
            }
        }
    }
}

/// Mean relative accuracy over thresholds 0.50, 0.55, …, 0.95 (10 thresholds, as the
/// reference scorer counts them).
pub fn mra(pred: f64, truth: f64) -> f64 {
    if !pred.is_finite() || truth == 0.0 {
        return f64::from(u8::from(pred == truth));
    }
    let rel = (pred - truth).abs() / truth.abs();
    (0..10)
        .filter(|&i| rel < 1.0 - (0.5 + 0.05 * i as f64))
        .count() as f64
        / 10.0
}

/// A benchmark question: what the agent reads, and the answer it is scored against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchQuestion {
    pub family: Family,
    /// The question sentence alone.
    pub question: String,
    /// Option texts in letter order (empty for numeric questions).
    pub choices: Vec<String>,
    /// The full prompt: sentence, lettered options, answer-format instruction.
    pub prompt: String,
    pub answer: Answer,
    /// Family-specific facts behind the answer (objects, distances, frames), for debugging
    /// and for independent checks in tests.
    pub details: serde_json::Value,
}

/// Letters of up to six options.
pub const LETTERS: [&str; 6] = ["A", "B", "C", "D", "E", "F"];

/// A multiple-choice question with `correct` among shuffled `wrong` options.
pub(crate) fn mcq(
    family: Family,
    question: String,
    correct: String,
    wrong: Vec<String>,
    details: serde_json::Value,
    rng: &mut SplitMix64,
) -> BenchQuestion {
    let mut choices = wrong;
    choices.push(correct.clone());
    rng.shuffle(&mut choices);
    let k = choices.iter().position(|c| *c == correct).unwrap_or(0);
    let mut prompt = question.clone();
    for (l, c) in LETTERS.iter().zip(&choices) {
        prompt.push_str(&format!("\n{l}. {c}"));
    }
    prompt.push_str("\nAnswer with the option's letter from the given choices directly.");
    BenchQuestion {
        family,
        question,
        prompt,
        answer: Answer::Choice {
            letter: LETTERS[k].to_string(),
            text: correct,
        },
        choices,
        details,
    }
}

/// A numeric question answered in `unit`.
pub(crate) fn numeric(
    family: Family,
    question: String,
    value: f64,
    unit: &str,
    details: serde_json::Value,
) -> BenchQuestion {
    BenchQuestion {
        family,
        prompt: format!("{question}\nAnswer with a single number in {unit}."),
        question,
        choices: Vec::new(),
        answer: Answer::Number {
            value,
            unit: unit.to_string(),
        },
        details,
    }
}

/// What the frames show of each object: pixel counts and whether it touches the image border.
pub struct Visibility {
    /// Per frame, per object (index = instance − FIRST_OBJECT_INSTANCE): visible pixels.
    pub pixels: Vec<Vec<usize>>,
    /// Per frame, per object: some pixel lies on the image border (the object is cut off).
    pub cut: Vec<Vec<bool>>,
}

impl Visibility {
    pub fn of(scene: &Scene, frames: &[Frame]) -> Visibility {
        let n = scene.objects.len();
        let mut pixels = Vec::new();
        let mut cut = Vec::new();
        for f in frames {
            let (w, h) = (f.width as usize, f.height as usize);
            let mut p = vec![0usize; n];
            let mut c = vec![false; n];
            for (i, &id) in f.instance.iter().enumerate() {
                if id >= FIRST_OBJECT_INSTANCE {
                    let k = usize::from(id - FIRST_OBJECT_INSTANCE);
                    if k < n {
                        p[k] += 1;
                        let (x, y) = (i % w, i / w);
                        if x == 0 || y == 0 || x + 1 == w || y + 1 == h {
                            c[k] = true;
                        }
                    }
                }
            }
            pixels.push(p);
            cut.push(c);
        }
        Visibility { pixels, cut }
    }

    fn index(o: &Object) -> usize {
        usize::from(o.instance_id - FIRST_OBJECT_INSTANCE)
    }

    /// Pixels of `o` in frame `f`.
    pub fn px(&self, f: usize, o: &Object) -> usize {
        self.pixels[f].get(Self::index(o)).copied().unwrap_or(0)
    }

    /// Some frame shows at least `min_px` pixels of `o` without cutting it off.
    pub fn well_seen(&self, o: &Object, min_px: usize) -> bool {
        (0..self.pixels.len()).any(|f| self.px(f, o) >= min_px && !self.cut[f][Self::index(o)])
    }
}

/// Everything a family needs to ask a question.
pub struct Context<'a> {
    /// The scene at time 0.
    pub scene: &'a Scene,
    pub rig: &'a Rig,
    pub frames: &'a [Frame],
    pub vis: &'a Visibility,
}

impl Context<'_> {
    /// Objects whose label appears once in the room (unambiguous in a question).
    pub fn unique(&self) -> Vec<&Object> {
        self.scene
            .objects
            .iter()
            .filter(|o| self.scene.objects_labelled(&o.label).count() == 1)
            .collect()
    }

    /// Lowest camera eye height: objects whose top is clearly below it show their top face,
    /// so their full footprint is measurable.
    pub fn lowest_eye(&self) -> f64 {
        self.rig
            .views
            .iter()
            .map(|v| v.camera.position().y)
            .fold(f64::INFINITY, f64::min)
    }

    pub fn top_visible(&self, o: &Object) -> bool {
        o.top() < self.lowest_eye() - 0.2
    }
}

/// Asks a question of `family` about the context, or `None` when the sample cannot support
/// one (the generator then tries another scene).
pub fn ask(family: Family, ctx: &Context, rng: &mut SplitMix64) -> Option<BenchQuestion> {
    match family {
        Family::ObjectCount => measure::object_count(ctx, rng),
        Family::DistanceCentroid => measure::distance_centroid(ctx, rng),
        Family::DistanceClosest => measure::distance_closest(ctx, rng),
        Family::ObjectSize => measure::object_size(ctx, rng),
        Family::RoomSize => measure::room_size(ctx, rng),
        Family::RelativeDistance => relation::relative_distance(ctx, rng),
        Family::RelativeDirection => relation::relative_direction(ctx, rng),
        Family::AllocentricDirection => relation::allocentric(ctx, rng),
        Family::HeightComparison => relation::height_comparison(ctx, rng),
        Family::AppearanceOrder => temporal::appearance_order(ctx, rng),
        Family::CameraDisplacement => temporal::camera_displacement(ctx, rng),
        Family::CameraRotation => temporal::camera_rotation(ctx, rng),
        Family::MotionDirection => temporal::motion_direction(ctx, rng),
        Family::MultiviewCorrespondence => multiview::views_showing(ctx, rng),
    }
}

/// Picks `k` distinct items.
pub(crate) fn pick<T: Copy>(items: &[T], k: usize, rng: &mut SplitMix64) -> Option<Vec<T>> {
    if items.len() < k {
        return None;
    }
    let mut v = items.to_vec();
    rng.shuffle(&mut v);
    v.truncate(k);
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoring_letters_and_numbers() {
        let a = Answer::Choice {
            letter: "B".into(),
            text: "x".into(),
        };
        assert_eq!(a.score("B"), 1.0);
        assert_eq!(a.score(" b. x"), 1.0);
        assert_eq!(a.score("A"), 0.0);
        let n = Answer::Number {
            value: 2.0,
            unit: "metres".into(),
        };
        assert_eq!(n.score("2.0"), 1.0);
        assert_eq!(n.score("2.09 m"), 1.0);
        assert!((n.score("2.3") - 0.7).abs() < 1e-12);
        assert_eq!(n.score("five"), 0.0);
        assert_eq!(mra(0.0, 2.0), 0.0);
    }

    #[test]
    fn family_names_round_trip() {
        for f in Family::ALL {
            assert_eq!(Family::from_name(f.name()), Some(f));
            assert!(!f.kinds().is_empty());
        }
    }
}
