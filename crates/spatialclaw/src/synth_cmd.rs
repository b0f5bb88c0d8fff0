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
    /// Accuracy of the scripted policy per family as the perception noise grows.
    Curve(CurveArgs),
}

#[derive(Args)]
struct CurveArgs {
    /// A dataset written by `spatialclaw synth generate`.
    #[arg(long)]
    data_root: PathBuf,
    /// Noise strengths to run (0 = exact ground truth).
    #[arg(long, value_delimiter = ',', default_value = "0,0.5,1,2")]
    strengths: Vec<f64>,
    /// Only the first N samples.
    #[arg(long)]
    limit: Option<usize>,
    /// Where each strength's run goes (one run directory per strength; reruns resume).
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Seed of the noise model.
    #[arg(long, default_value_t = 7)]
    noise_seed: u64,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
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

pub async fn run(args: SynthArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        SynthCommand::Generate(g) => generate(g),
        SynthCommand::Curve(c) => curve(c).await,
    }
}

/// One run of the scripted policy per noise strength (the perception-ceiling study: exact
/// perception is strength 0), then accuracy per family against strength.
async fn curve(a: CurveArgs) -> anyhow::Result<ExitCode> {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use spatialclaw_perception::{Backend, NoiseConfig, NoisyBackend, SyntheticBackend};
    use spatialclaw_runner::{Model, ModelSpec, ProgressLine, RunConfig, RunContext, Selection};

    if a.strengths.iter().any(|s| !(s.is_finite() && *s >= 0.0)) {
        bail!("--strengths must be non-negative numbers, e.g. 0,0.5,1");
    }
    let env = spatialclaw_kernel::ensure_python_env(|m| eprintln!("{m}"))?;
    // family -> strength index -> (score sum, n)
    let mut table: BTreeMap<String, Vec<(f64, usize)>> = BTreeMap::new();
    let mut overall = vec![(0.0, 0usize); a.strengths.len()];
    for (k, &strength) in a.strengths.iter().enumerate() {
        let synthetic = Arc::new(SyntheticBackend::new());
        let backend: Arc<dyn Backend> = if strength > 0.0 {
            Arc::new(NoisyBackend::new(
                synthetic.clone(),
                NoiseConfig::new(strength, a.noise_seed),
            ))
        } else {
            synthetic.clone()
        };
        let config = RunConfig {
            benchmark: "synth".into(),
            data_root: a.data_root.clone(),
            model: "scripted".into(),
            interface: spatialclaw_agent::Interface::Code,
            selection: Selection {
                limit: a.limit,
                ..Default::default()
            },
            max_steps: 10,
            num_key_frames: 32,
            video_max_fps: None,
            cell_timeout_sec: 120.0,
            sample_timeout_sec: 900.0,
            perception: format!("synthetic+noise={strength}"),
            planning: false,
            shard: None,
            concurrency: a.concurrency,
        };
        let ctx = RunContext {
            env: env.clone(),
            model: Model::open(&ModelSpec::Scripted).map_err(anyhow::Error::msg)?,
            backend,
            synthetic: Some(synthetic),
        };
        let out = a.out.join(format!("noise-{strength}"));
        eprintln!("noise strength {strength}: running into {}", out.display());
        spatialclaw_runner::run(
            config,
            ctx,
            &out,
            true,
            false,
            Box::new(ProgressLine::new(false)),
        )
        .await?;
        for p in spatialclaw_evals::store::read_predictions(&out.join("predictions.jsonl"))? {
            let family = p
                .extra
                .get("category")
                .and_then(|v| v.as_str())
                .unwrap_or("?")
                .to_owned();
            let score = if p.is_failed() {
                0.0
            } else {
                p.extra.get("score").and_then(|v| v.as_f64()).unwrap_or(0.0)
            };
            let row = table
                .entry(family)
                .or_insert_with(|| vec![(0.0, 0); a.strengths.len()]);
            row[k].0 += score;
            row[k].1 += 1;
            overall[k].0 += score;
            overall[k].1 += 1;
        }
    }
    let mean = |(s, n): (f64, usize)| if n == 0 { f64::NAN } else { s / n as f64 };
    if a.json {
        let families: serde_json::Map<String, serde_json::Value> = table
            .iter()
            .map(|(f, row)| {
                (
                    f.clone(),
                    row.iter().map(|c| mean(*c)).collect::<Vec<_>>().into(),
                )
            })
            .collect();
        let v = serde_json::json!({
            "strengths": a.strengths,
            "overall": overall.iter().map(|c| mean(*c)).collect::<Vec<_>>(),
            "families": families,
        });
        println!("{v}");
        return Ok(ExitCode::SUCCESS);
    }
    print!("{:<28}", "family \\ noise strength");
    for s in &a.strengths {
        print!(" {s:>7}");
    }
    println!();
    for (family, row) in table
        .iter()
        .map(|(f, r)| (f.as_str(), r))
        .chain([("overall", &overall)])
    {
        print!("{family:<28}");
        for c in row {
            print!(" {:>6.1}%", 100.0 * mean(*c));
        }
        println!();
    }
    Ok(ExitCode::SUCCESS)
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
