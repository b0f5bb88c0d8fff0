//! `spatialclaw ask`: one question about images or a video, answered by a real model server.
//!
//! The frames go into a fresh kernel session (code, react, single-pass) or straight into one
//! chain-of-thought call (no-tool). The trajectory is printed as it happens; `--json` prints the
//! final record instead (the live trajectory then goes to stderr).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, ExitCode};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use spatialclaw_agent::record::{ForcedTermination, PlanRecord, ReflectionRecord};
use spatialclaw_agent::{
    AgentConfig, InputSummary, Interface, KeyFrame, Observer, SampleHost, Step, Task, VlmAccess,
    key_frame_indices, uniform_indices,
};
use spatialclaw_kernel::{
    InputFrame, KernelSession, SessionInputs, SessionOptions, ensure_python_env,
};
use spatialclaw_llm::{ClientConfig, ClientOptions, ImagePart, LlmClient, ModelConfig};
use spatialclaw_perception::SyntheticBackend;

#[derive(Args)]
pub struct AskArgs {
    /// The question, with any answer-format rules and options ("... A. left B. right").
    question: String,
    /// Model config: the original project's model JSON (llm_model, llm_base_url, llm_api_key,
    /// roles).
    #[arg(long, value_name = "CONFIG")]
    model: PathBuf,
    /// An input image (repeat for several; they become InputImages in this order).
    #[arg(long = "image", value_name = "FILE")]
    images: Vec<PathBuf>,
    /// An input video; frames are extracted with ffmpeg.
    #[arg(long, value_name = "FILE", conflicts_with = "images")]
    video: Option<PathBuf>,
    /// Frames per second sampled from the video.
    #[arg(long, default_value_t = 1.0)]
    fps: f64,
    /// Most frames kept from the video (evenly spread when there are more).
    #[arg(long, default_value_t = 128)]
    max_frames: usize,
    /// How the model acts: code, react, single-pass or no-tool.
    #[arg(long, default_value = "code")]
    interface: Interface,
    /// Step budget.
    #[arg(long, default_value_t = 30)]
    max_steps: usize,
    /// Key frames shown in the first message (0: none, the agent looks with show()).
    #[arg(long, default_value_t = 32)]
    key_frames: usize,
    /// Skip the blind planner.
    #[arg(long)]
    no_planning: bool,
    /// Review steps and gate answers with self-reflection.
    #[arg(long)]
    reflection: bool,
    /// Time limit per cell, in seconds.
    #[arg(long, default_value_t = 600.0)]
    cell_timeout: f64,
    /// Print the final record as JSON (images left out) instead of the trajectory.
    #[arg(long)]
    json: bool,
    /// Serve perception with your ONNX models (a model manifest, docs/onnx.md) instead of the
    /// synthetic backend; also read from SPATIALCLAW_ONNX_MANIFEST.
    #[arg(long, value_name = "MANIFEST")]
    onnx_manifest: Option<std::path::PathBuf>,
}

/// The frames of the question, on disk, with absolute frame indices.
struct Inputs {
    frames: Vec<InputFrame>,
    summary: InputSummary,
    video_source: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

fn images(paths: &[PathBuf]) -> anyhow::Result<Inputs> {
    let mut frames = Vec::new();
    for (i, p) in paths.iter().enumerate() {
        if !p.is_file() {
            bail!("image {} does not exist", p.display());
        }
        // Headers only: a zero-byte, truncated or 20000x20000 file is refused here, before a
        // session decodes it or a model is paid to look at it.
        spatialclaw_evals::image_check::inspect_file(p)
            .map_err(|e| anyhow::anyhow!("image {} {e}", p.display()))?;
        frames.push(InputFrame {
            path: p.canonicalize().unwrap_or_else(|_| p.clone()),
            frame_index: i as i64,
        });
    }
    Ok(Inputs {
        summary: InputSummary {
            num_images: frames.len(),
            total_frames: Some(frames.len() as i64),
            ..Default::default()
        },
        frames,
        video_source: None,
        _dir: None,
    })
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// Source frame rate and frame count, from ffprobe when it is there.
fn probe(video: &Path) -> (Option<f64>, Option<i64>) {
    if !on_path("ffprobe") {
        return (None, None);
    }
    let out = Process::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-count_packets"])
        .args([
            "-show_entries",
            "stream=avg_frame_rate,nb_read_packets",
            "-of",
            "json",
        ])
        .arg(video)
        .output();
    let Ok(out) = out else { return (None, None) };
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let s = &v["streams"][0];
    let fps = s["avg_frame_rate"].as_str().and_then(|r| {
        let (n, d) = r.split_once('/')?;
        let (n, d): (f64, f64) = (n.parse().ok()?, d.parse().ok()?);
        (d > 0.0 && n > 0.0).then_some(n / d)
    });
    let total = s["nb_read_packets"].as_str().and_then(|n| n.parse().ok());
    (fps, total)
}

fn video(path: &Path, fps: f64, max_frames: usize) -> anyhow::Result<Inputs> {
    if !path.is_file() {
        bail!("video {} does not exist", path.display());
    }
    if !on_path("ffmpeg") {
        bail!(
            "reading a video needs ffmpeg on PATH, and it is not there. Install it (Debian/Ubuntu: \
             `sudo apt-get install ffmpeg`, macOS: `brew install ffmpeg`) or pass extracted frames \
             with --image"
        );
    }
    if !(fps > 0.0 && fps.is_finite()) {
        bail!("--fps must be a positive number");
    }
    let dir = tempfile::Builder::new()
        .prefix("spatialclaw-video-")
        .tempdir()?;
    // Sample at `fps`, long edge at most 768 px (the agent's working resolution).
    let filter =
        format!("fps={fps},scale='if(gte(iw,ih),min(768,iw),-2)':'if(gte(iw,ih),-2,min(768,ih))'");
    let status = Process::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-i"])
        .arg(path)
        .args(["-vf", &filter])
        .arg(dir.path().join("frame_%06d.png"))
        .status()
        .context("running ffmpeg")?;
    if !status.success() {
        bail!("ffmpeg could not read {} ({status})", path.display());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.path())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("ffmpeg extracted no frames from {}", path.display());
    }
    let (src_fps, total) = probe(path);
    let keep = uniform_indices(files.len(), max_frames);
    // Sample i sits at time i / fps; its absolute index is that time in source frames.
    let frames: Vec<InputFrame> = keep
        .iter()
        .map(|&i| InputFrame {
            path: files[i].clone(),
            frame_index: match src_fps {
                Some(s) => (i as f64 / fps * s).round() as i64,
                None => i as i64,
            },
        })
        .collect();
    let duration = src_fps
        .zip(total)
        .map(|(s, t)| t as f64 / s)
        .or(Some(files.len() as f64 / fps));
    Ok(Inputs {
        summary: InputSummary {
            is_video: true,
            num_images: frames.len(),
            fps: Some(src_fps.unwrap_or(fps)),
            total_frames: total.or(Some(files.len() as i64)),
            duration_sec: duration,
            videos: Vec::new(),
        },
        frames,
        video_source: Some(path.display().to_string()),
        _dir: Some(dir),
    })
}

fn key_frames(
    inputs: &Inputs,
    count: usize,
    interface: Interface,
) -> anyhow::Result<Vec<KeyFrame>> {
    let n = inputs.frames.len();
    let picks = match interface {
        Interface::NoTool => uniform_indices(n, count.max(1)),
        _ => key_frame_indices(n, count),
    };
    picks
        .into_iter()
        .map(|i| {
            let f = &inputs.frames[i];
            let bytes =
                std::fs::read(&f.path).with_context(|| format!("reading {}", f.path.display()))?;
            let image = ImagePart::from_bytes(bytes)
                .with_context(|| format!("{} is not a PNG or JPEG image", f.path.display()))?;
            Ok(KeyFrame {
                image,
                list_index: i,
                frame_index: f.frame_index,
                video: 0,
            })
        })
        .collect()
}

/// Prints the trajectory as it happens.
struct Printer {
    out: Box<dyn std::io::Write + Send>,
}

impl Printer {
    fn line(&mut self, text: &str) {
        let _ = writeln!(self.out, "{text}");
    }
}

impl Observer for Printer {
    fn plan(&mut self, plan: &PlanRecord) {
        match (&plan.text, &plan.error) {
            (Some(text), _) => {
                self.line("━━━ Plan ━━━");
                self.line(text);
            }
            (None, Some(e)) => self.line(&format!(
                "(planning failed: {e}; continuing without a plan)"
            )),
            _ => {}
        }
    }

    fn step(&mut self, step: &Step) {
        self.line(&format!("\n━━━ Step {} ━━━", step.index + 1));
        if let Some(p) = &step.purpose {
            self.line(&format!("Purpose: {p}"));
        }
        if let Some(r) = &step.reasoning {
            self.line(&format!("Reasoning: {r}"));
        }
        if let Some(code) = &step.code {
            self.line("Code:");
            for l in code.lines() {
                self.line(&format!("    {l}"));
            }
        }
        self.line("Feedback:");
        for l in step.feedback.lines().skip(2) {
            self.line(&format!("  {l}"));
        }
    }

    fn reflection(&mut self, r: &ReflectionRecord) {
        self.line(&format!(
            "[reflection after step {}: {}]",
            r.after_step + 1,
            r.verdict
        ));
        if let Some(m) = &r.message {
            self.line(m);
        }
    }

    fn forced(&mut self, f: &ForcedTermination) {
        self.line(&format!("\n{}", f.note));
    }
}

pub async fn run(args: AskArgs) -> anyhow::Result<ExitCode> {
    let model = ModelConfig::load(&args.model)
        .with_context(|| format!("reading the model config {}", args.model.display()))?;
    let inputs = match &args.video {
        Some(v) => video(v, args.fps, args.max_frames)?,
        None if args.images.is_empty() => {
            bail!("give the question's inputs with --image FILE (repeatable) or --video FILE")
        }
        None => images(&args.images)?,
    };
    let config = AgentConfig {
        interface: args.interface,
        max_steps: args.max_steps,
        planning: !args.no_planning,
        cell_timeout: Duration::from_secs_f64(args.cell_timeout.max(1.0)),
        roles: model.roles.clone(),
        reflection: spatialclaw_agent::ReflectionConfig {
            enabled: args.reflection,
            ..Default::default()
        },
        ..Default::default()
    };
    let count = if args.interface == Interface::NoTool {
        config.cot_max_frames
    } else {
        args.key_frames
    };
    let task = Task {
        id: format!("ask-{}", std::process::id()),
        instruction: args.question.clone(),
        key_frames: key_frames(&inputs, count, args.interface)?,
        input: inputs.summary.clone(),
    };
    let llm = LlmClient::new(ClientConfig::from_model(
        &model,
        model.client.apply(ClientOptions::default()),
    ))?;
    let mut printer = Printer {
        out: if args.json {
            Box::new(std::io::stderr())
        } else {
            Box::new(std::io::stdout())
        },
    };
    printer.line(&format!("Question: {}", args.question));
    printer.line(&format!(
        "Input: {} ({} interface, model {})",
        spatialclaw_agent::prompts::input_description(&task.input),
        args.interface,
        if model.model.is_empty() {
            "as served"
        } else {
            &model.model
        }
    ));

    let trajectory = if args.interface == Interface::NoTool {
        spatialclaw_agent::cot::run_no_tool(&task, &config, &llm).await
    } else {
        let env = ensure_python_env(|m| eprintln!("{m}"))?;
        let s = &task.input;
        let session_inputs = SessionInputs {
            frames: inputs.frames.clone(),
            metadata: serde_json::json!({
                "is_video": s.is_video, "fps": s.fps, "total_frames": s.total_frames,
                "duration_sec": s.duration_sec, "num_images": s.num_images,
                "video_source": inputs.video_source, "num_videos": 1,
            }),
            ..Default::default()
        };
        let mut session = KernelSession::start(&env, session_inputs, SessionOptions::default())
            .await
            .context("starting the kernel session")?;
        // Perception: the ONNX models when a manifest is given; otherwise the synthetic
        // backend, which answers SynthSpatial frames and refuses others with a clear error in
        // the cell.
        let manifest = args
            .onnx_manifest
            .clone()
            .or_else(spatialclaw_onnx::manifest_from_env);
        let backend: Arc<dyn spatialclaw_perception::Backend> = match manifest {
            Some(m) => Arc::new(
                tokio::task::spawn_blocking(move || crate::perception_cmd::open_onnx(Some(m)))
                    .await??,
            ),
            None => Arc::new(SyntheticBackend::new()),
        };
        let host = SampleHost {
            backend,
            vlm: Some(VlmAccess::new(
                llm.clone(),
                &config.roles,
                &config.ablations,
            )),
            session_id: task.id.clone(),
        };
        let result =
            spatialclaw_agent::run(&task, &config, &llm, &mut session, &host, &mut printer).await;
        session.shutdown().await;
        result?
    };

    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&trajectory.without_images())?
        );
    } else {
        printer.line("\n━━━ Result ━━━");
        printer.line(&format!(
            "Termination: {} after {} step(s)",
            trajectory.termination.as_str(),
            trajectory.steps.len()
        ));
        let u = &trajectory.usage;
        printer.line(&format!(
            "Usage: {} call(s), {} prompt + {} completion tokens, {} tool call(s), {:.1}s",
            u.calls,
            u.prompt_tokens,
            u.completion_tokens,
            trajectory.tool_calls,
            trajectory.timings.total.as_secs_f64()
        ));
        match &trajectory.answer {
            Some(a) => printer.line(&format!("Answer: {} ({:?})", a.text, a.source)),
            None => printer.line("Answer: none"),
        }
    }
    Ok(if trajectory.answer.is_some() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
