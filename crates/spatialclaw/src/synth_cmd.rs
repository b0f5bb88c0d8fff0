//! `spatialclaw synth …`: SynthSpatial datasets.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use spatialclaw_synth::dataset::{self, WriteOptions};
use spatialclaw_synth::questions::Family;
use spatialclaw_synth::sample::SampleOptions;
use spatialclaw_synth::views::InputKind;

#[derive(Args)]
pub struct SynthArgs {
    #[command(subcommand)]
    command: SynthCommand,
}

#[derive(Subcommand)]
enum SynthCommand {
    /// Write a SynthSpatial dataset: frames, agent-visible sample.json and separate truth.json.
    Generate(GenerateArgs),
}

#[derive(Args)]
struct GenerateArgs {
    /// Dataset seed; the same seed and options always give the same dataset.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Number of samples (families are balanced).
    #[arg(long, default_value_t = 140)]
    count: usize,
    /// Output directory (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Comma-separated input kinds: single_image, multi_view, video, dynamic_video.
    #[arg(long, value_delimiter = ',')]
    kinds: Vec<String>,
    /// Comma-separated question families, e.g. object_count,room_size (a wrong name lists all).
    #[arg(long, value_delimiter = ',')]
    families: Vec<String>,
    /// Sampled frames per video, as MIN-MAX (16..=128).
    #[arg(long, default_value = "16-24")]
    video_frames: String,
}

pub fn run(args: SynthArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        SynthCommand::Generate(g) => generate(g),
    }
}

fn parse_range(s: &str) -> anyhow::Result<(usize, usize)> {
    let (a, b) = s.split_once('-').unwrap_or((s, s));
    let (a, b): (usize, usize) = (
        a.trim()
            .parse()
            .context("--video-frames: MIN is not a number")?,
        b.trim()
            .parse()
            .context("--video-frames: MAX is not a number")?,
    );
    if !(16..=128).contains(&a) || !(a..=128).contains(&b) {
        bail!("--video-frames {s}: need 16 <= MIN <= MAX <= 128");
    }
    Ok((a, b))
}

fn generate(g: GenerateArgs) -> anyhow::Result<ExitCode> {
    let all_families = || {
        Family::ALL
            .iter()
            .map(|f| f.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let families = g
        .families
        .iter()
        .map(|s| {
            Family::from_name(s.trim())
                .with_context(|| format!("unknown family {s:?}; families are: {}", all_families()))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let kinds = g
        .kinds
        .iter()
        .map(|s| {
            InputKind::from_name(s.trim()).with_context(|| {
                format!("unknown input kind {s:?}; kinds are: single_image, multi_view, video, dynamic_video")
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut families = if families.is_empty() {
        Family::ALL.to_vec()
    } else {
        families
    };
    if !kinds.is_empty() {
        families.retain(|f| f.kinds().iter().any(|k| kinds.contains(k)));
        if families.is_empty() {
            bail!("no selected family asks about the selected input kinds");
        }
    }
    let options = WriteOptions {
        sample: SampleOptions {
            kinds,
            video_frames: parse_range(&g.video_frames)?,
            ..SampleOptions::default()
        },
        families,
    };
    let summary = dataset::write(&g.out, g.seed, g.count, &options)
        .with_context(|| format!("writing the dataset to {}", g.out.display()))?;
    println!(
        "wrote {} samples ({} frames) to {}",
        summary.samples,
        summary.frames,
        g.out.display()
    );
    for (family, n) in &summary.per_family {
        println!("  {:<26} {n}", family.name());
    }
    Ok(ExitCode::SUCCESS)
}
