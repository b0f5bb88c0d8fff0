//! One scorer per benchmark behind the [`Benchmark`] trait, and the registry.
//!
//! Scoring happens in two steps, like the original (`evaluate_single` then `evaluate`):
//! 1. [`Benchmark::score`] turns one [`Sample`] (prediction text + ground-truth record + question type)
//!    into a [`SampleScore`]: the `result` the original writes into `predictions.jsonl`, and the value the
//!    sample contributes to the benchmark's aggregate (these differ for Omni3D floats, MindCube
//!    translation, Video-MME-v2 and SpatialTree — evals-runs.md §2.5).
//! 2. [`Benchmark::aggregate`] folds the scored samples, **in data order**, into a [`Summary`] whose
//!    `fields` are the original's `results_summary.json` object (headline key, breakdowns).
//!
//! Ground-truth records use the dataset's own field names; each scorer's doc lists the fields it reads.
//! `question_type` is the value the original's `--question_type` filter matches for that benchmark
//! (§3.3: answer_type for Omni3D, subtask for BLINK, category for OSI, …); when empty, the scorer reads it
//! from the record.

mod aggregate;
mod blink;
mod cvbench;
mod dsibench;
mod erqa;
mod mindcube;
mod mmsi;
mod omni3d;
mod omnispatial;
mod osibench;
mod sparbench;
mod spatialtree;
mod spbench;
mod synth;
mod video_mcq;
mod videommev2;
mod viewspatial;
mod vsibench;

pub use aggregate::mean_or_zero;
pub use dsibench::DSI_CATEGORIES;
pub use mindcube::mindcube_setting;
pub use mmsi::mmsi_subset;
pub use osibench::{OSI_MCQ_CATEGORIES, OSI_NUMERICAL_CATEGORIES, osi_zero_policy};
pub use sparbench::{SparFamily, spar_family, spar_level};
pub use spatialtree::{MRA_METRICFUNCS, UNSCOREABLE_METRICFUNCS};
pub use spbench::{SPBENCH_MCA_TYPES, SPBENCH_NA_TYPES};
pub use videommev2::{
    GroupStructure, GroupType, LOGIC_LEADING_PAIR_MAP, LOGIC_MIDDLE_PAIR_MAP, RELEVANCE_MAP,
    logic_group_score, relevance_group_score,
};
pub use vsibench::{VSI_MCA_TYPES, VSI_NA_TYPES};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::ScoreError;

/// One sample to score: what the agent answered and what the dataset says.
#[derive(Debug, Clone, Copy)]
pub struct Sample<'a> {
    /// The sample id as written in `predictions.jsonl` (a string there even when the loader uses ints).
    pub sample_id: &'a str,
    /// The scored text: `str(x)` of the agent's `ReturnAnswer(x)`, `""` for a failed sample.
    pub prediction: &'a str,
    /// The ground-truth record (dataset field names).
    pub truth: &'a Value,
    /// The benchmark's category key (see the module doc); empty means "read it from `truth`".
    pub question_type: &'a str,
}

impl<'a> Sample<'a> {
    /// A sample whose category is read from the record.
    pub fn new(sample_id: &'a str, prediction: &'a str, truth: &'a Value) -> Self {
        Sample {
            sample_id,
            prediction,
            truth,
            question_type: "",
        }
    }

    /// The same sample with an explicit category key.
    pub fn with_question_type(mut self, question_type: &'a str) -> Self {
        self.question_type = question_type;
        self
    }
}

/// The outcome of scoring one sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampleScore {
    /// The `result` field of the original's `predictions.jsonl` line; `None` means the key is omitted
    /// (SpatialTree's unscoreable samples).
    pub result: Option<f64>,
    /// What the sample contributes to the benchmark's aggregate, which is also its per-sample score
    /// under the paper protocol; `None` excludes it (MindCube translation, SpatialTree unscoreable).
    pub score: Option<f64>,
    /// The normalised answer the comparison used (for reports and debugging).
    pub extracted: String,
    /// The primary breakdown key (question type, task, subtask, category…).
    pub category: String,
}

impl SampleScore {
    /// A sample whose `result` and aggregate contribution are the same value.
    pub fn same(value: f64, extracted: impl Into<String>, category: impl Into<String>) -> Self {
        SampleScore {
            result: Some(value),
            score: Some(value),
            extracted: extracted.into(),
            category: category.into(),
        }
    }

    /// A 1/0 sample.
    pub fn binary(
        correct: bool,
        extracted: impl Into<String>,
        category: impl Into<String>,
    ) -> Self {
        Self::same(if correct { 1.0 } else { 0.0 }, extracted, category)
    }
}

/// A sample with its score, as [`Benchmark::aggregate`] consumes it.
#[derive(Debug, Clone)]
pub struct Scored<'a> {
    pub sample: Sample<'a>,
    pub score: SampleScore,
}

/// How a benchmark's headline is formed from its samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    /// Mean over samples.
    Micro,
    /// Mean over categories of the per-category means.
    Macro,
    /// Omni3D: sample-weighted mix of float MRA and int/str accuracy (equal to micro).
    WeightedMix,
    /// Video-MME-v2: non-linear scores of groups of 4 questions.
    Group,
}

/// A benchmark's aggregate, i.e. the original's `results_summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Registry key.
    pub benchmark: &'static str,
    /// `"overall_accuracy"` (a fraction) or `"overall_score"` (a percentage: SPAR, VSTI).
    pub headline_key: &'static str,
    /// The value stored under `headline_key`.
    pub headline: f64,
    /// The headline as a fraction in 0–1, whatever the key's unit.
    pub headline_fraction: f64,
    pub aggregation: Aggregation,
    /// Samples counted by the original's `total_samples`.
    pub total_samples: usize,
    /// The full `results_summary.json` object (without `detailed_results`).
    pub fields: Map<String, Value>,
}

impl Summary {
    /// The `results_summary.json` object.
    pub fn to_json(&self) -> Value {
        Value::Object(self.fields.clone())
    }
}

/// Per-sample scores plus the aggregate, as [`Benchmark::evaluate`] returns them.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub scores: Vec<SampleScore>,
    pub summary: Summary,
}

/// A benchmark scorer. Implementations are stateless and shared through the registry.
pub trait Benchmark: Send + Sync {
    /// The registry key (the original's benchmark key, e.g. `vsibench_unbiased`).
    fn name(&self) -> &'static str;

    /// The name used in the paper's table (e.g. "VSI-Bench-U").
    fn display_name(&self) -> &'static str;

    /// Scores one sample. Errors only for unusable ground truth; a malformed prediction scores 0.
    fn score(&self, sample: &Sample<'_>) -> Result<SampleScore, ScoreError>;

    /// Aggregates scored samples (in data order) into the headline summary.
    fn aggregate(&self, scored: &[Scored<'_>]) -> Result<Summary, ScoreError>;

    /// Scores every sample and aggregates them.
    fn evaluate(&self, samples: &[Sample<'_>]) -> Result<Evaluation, ScoreError> {
        let scored = samples
            .iter()
            .map(|s| {
                Ok(Scored {
                    sample: *s,
                    score: self.score(s)?,
                })
            })
            .collect::<Result<Vec<_>, ScoreError>>()?;
        let summary = self.aggregate(&scored)?;
        Ok(Evaluation {
            scores: scored.into_iter().map(|s| s.score).collect(),
            summary,
        })
    }
}

static ERQA: erqa::Erqa = erqa::Erqa;
static OMNI3D: omni3d::Omni3d = omni3d::Omni3d;
static OMNISPATIAL: omnispatial::OmniSpatial = omnispatial::OmniSpatial;
static SPBENCH: spbench::SpBench = spbench::SpBench;
static MINDCUBE: mindcube::MindCube = mindcube::MindCube;
static MMSI: mmsi::Mmsi = mmsi::Mmsi;
static SPARBENCH: sparbench::SparBench = sparbench::SparBench;
static BLINK: blink::Blink = blink::Blink;
static SPATIALTREE: spatialtree::SpatialTree = spatialtree::SpatialTree;
static VIEWSPATIAL: viewspatial::ViewSpatial = viewspatial::ViewSpatial;
static MMSIVIDEO: video_mcq::MmsiVideo = video_mcq::MmsiVideo;
static OSIBENCH: osibench::OsiBench = osibench::OsiBench;
static PAIBENCH: mmsi::PaiBench = mmsi::PaiBench;
static VSIBENCH_UNBIASED: vsibench::VsiBench = vsibench::VsiBench::UNBIASED;
static VSIBENCH: vsibench::VsiBench = vsibench::VsiBench::ORIGINAL;
static VSTIBENCH: vsibench::VstiBench = vsibench::VstiBench;
static DSIBENCH: dsibench::DsiBench = dsibench::DsiBench;
static CVBENCH: cvbench::CvBench = cvbench::CvBench;
static PERCEPTIONCOMP: video_mcq::PerceptionComp = video_mcq::PerceptionComp;
static VIDEOMME: video_mcq::VideoMme = video_mcq::VideoMme;
static VIDEOMMEV2: videommev2::VideoMmeV2 = videommev2::VideoMmeV2;
static SYNTH: synth::Synth = synth::Synth;

/// Every registered scorer, paper order first, then `vsibench` (original VSI-Bench) and `synth`.
static REGISTRY: [&dyn Benchmark; 22] = [
    &ERQA,
    &OMNI3D,
    &OMNISPATIAL,
    &SPBENCH,
    &MINDCUBE,
    &MMSI,
    &SPARBENCH,
    &MMSIVIDEO,
    &OSIBENCH,
    &PAIBENCH,
    &VSIBENCH_UNBIASED,
    &VSTIBENCH,
    &DSIBENCH,
    &BLINK,
    &SPATIALTREE,
    &VIEWSPATIAL,
    &CVBENCH,
    &PERCEPTIONCOMP,
    &VIDEOMME,
    &VIDEOMMEV2,
    &VSIBENCH,
    &SYNTH,
];

/// The 20 benchmarks of the paper's headline average, by registry key, in the paper's table order.
/// VSI-Bench enters as the debiased `vsibench_unbiased` ("VSI-Bench-U").
pub const PAPER_BENCHMARKS: [&str; 20] = [
    "erqa",
    "omni3d",
    "omnispatial",
    "spbench",
    "mindcube",
    "mmsi",
    "sparbench",
    "mmsivideo",
    "osibench",
    "paibench",
    "vsibench_unbiased",
    "vstibench",
    "dsibench",
    "blink",
    "spatialtree",
    "viewspatial",
    "cvbench",
    "perceptioncomp",
    "videomme",
    "videommev2",
];

/// The scorer registered under `name`.
pub fn benchmark(name: &str) -> Option<&'static dyn Benchmark> {
    REGISTRY.iter().copied().find(|b| b.name() == name)
}

/// Every registry key.
pub fn names() -> Vec<&'static str> {
    REGISTRY.iter().map(|b| b.name()).collect()
}
