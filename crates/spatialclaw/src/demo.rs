//! `spatialclaw demo`: one SynthSpatial question answered end to end.
//!
//! Every part is real: the rendered scene, the kernel session, the perception requests, the
//! OpenAI-format HTTP traffic. Only the model is a stand-in: the scripted reference policy,
//! served on 127.0.0.1 in the OpenAI wire format.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use spatialclaw_agent::{
    AgentConfig, InputSummary, KeyFrame, Observer, SampleHost, Step, Task, Termination,
};
use spatialclaw_kernel::{
    InputFrame, KernelSession, SessionInputs, SessionOptions, ensure_python_env,
};
use spatialclaw_llm::ImagePart;
use spatialclaw_perception::SyntheticBackend;

#[derive(Args)]
pub struct DemoArgs {
    /// Scene seed; each seed is a different room and question.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Keep the rendered frame here instead of a temporary directory.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Step budget of the agent.
    #[arg(long, default_value_t = 8)]
    max_steps: usize,
}

struct Printer;

impl Observer for Printer {
    fn step(&mut self, step: &Step) {
        println!("\n━━━ Step {} ━━━", step.index + 1);
        if let (Some(purpose), Some(code)) = (&step.purpose, &step.code) {
            println!("Purpose: {purpose}");
            println!("Code:");
            for line in code.lines() {
                println!("    {line}");
            }
        }
        println!("Kernel:");
        for line in step.feedback.lines().skip(2) {
            println!("  {line}");
        }
    }
}

pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let env = ensure_python_env(|m| eprintln!("{m}"))?;

    let sample = spatialclaw_synth::demo_sample(args.seed).context("generating the demo scene")?;
    let tmp = tempfile::tempdir()?;
    let dir = args.out.clone().unwrap_or_else(|| tmp.path().to_owned());
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let png = sample.frame.png_bytes()?;
    let frame_path = dir.join("frame_0000.png");
    std::fs::write(&frame_path, &png)
        .with_context(|| format!("writing {}", frame_path.display()))?;

    let backend = Arc::new(SyntheticBackend::new());
    backend.register(&sample.scene, &sample.frame);

    // The scripted policy behind a real OpenAI-format server on 127.0.0.1, shared with `run`.
    let model = spatialclaw_runner::Model::open(&spatialclaw_runner::ModelSpec::Scripted)
        .map_err(anyhow::Error::msg)?;
    let llm = model.client.clone();

    let inputs = SessionInputs {
        frames: vec![InputFrame {
            path: frame_path.clone(),
            frame_index: 0,
        }],
        metadata: serde_json::json!({
            "is_video": false, "fps": null, "total_frames": 1, "duration_sec": null,
            "num_images": 1, "video_source": null, "num_videos": 1,
        }),
        ..Default::default()
    };
    let mut session = KernelSession::start(&env, inputs, SessionOptions::default()).await?;

    let question = &sample.question;
    println!("SpatialClaw demo — SynthSpatial scene (seed {})", args.seed);
    println!(
        "Frame: {} ({}x{})",
        frame_path.display(),
        sample.frame.width,
        sample.frame.height
    );
    println!("Question: {}", question.text);

    let task = Task {
        id: format!("synth-demo-{}", args.seed),
        instruction: format!("{}\nAnswer with a single number in metres.", question.text),
        key_frames: vec![KeyFrame {
            image: ImagePart::png(png),
            list_index: 0,
            frame_index: 0,
            video: 0,
        }],
        input: InputSummary {
            num_images: 1,
            total_frames: Some(1),
            ..Default::default()
        },
    };
    // The scripted policy writes cells, not plans: planning stays off in the demo.
    let config = AgentConfig {
        max_steps: args.max_steps,
        planning: false,
        cell_timeout: Duration::from_secs(120),
        ..Default::default()
    };
    let host = SampleHost {
        backend,
        vlm: None,
        session_id: task.id.clone(),
    };
    let trajectory =
        spatialclaw_agent::run(&task, &config, &llm, &mut session, &host, &mut Printer).await?;
    session.shutdown().await;

    println!("\n━━━ Result ━━━");
    println!(
        "Steps: {} ({:?})",
        trajectory.steps.len(),
        trajectory.termination
    );
    println!("Ground truth: {:.2} m", question.answer_m);
    let Some(answer) = trajectory.answer_text() else {
        println!("Answer: none (the agent did not submit one)");
        return Ok(ExitCode::FAILURE);
    };
    println!("Answer: {answer}");
    let score = answer
        .trim()
        .trim_end_matches('m')
        .trim()
        .parse::<f64>()
        .map(|pred| spatialclaw_evals::scoring::mra::mra10(pred, question.answer_m))
        .unwrap_or(0.0);
    println!("Score (MRA): {score:.2}");
    Ok(if trajectory.termination == Termination::Answered {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
