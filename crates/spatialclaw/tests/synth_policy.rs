//! The scripted reference policy answers one SynthSpatial sample of every question family end
//! to end: dataset on disk → loader → synthetic perception (frames re-rendered from the ground
//! truth) → real kernel session → agent loop → OpenAI-format traffic to the scripted model on
//! 127.0.0.1. Wired like `spatialclaw demo`.

use std::sync::Arc;
use std::time::Duration;

use spatialclaw_agent::{AgentConfig, InputSummary, KeyFrame, SampleHost, Task, key_frame_indices};
use spatialclaw_kernel::{
    InputFrame, KernelSession, SessionInputs, SessionOptions, ensure_python_env,
};
use spatialclaw_llm::local_server::LocalServer;
use spatialclaw_llm::{ClientConfig, ImagePart, LlmClient};
use spatialclaw_perception::SyntheticBackend;
use spatialclaw_synth::dataset::{self, LoadedSample, WriteOptions};
use spatialclaw_synth::questions::Family;

/// Runs one loaded sample through the agent; returns (score, steps, answer).
async fn run_sample(
    env: &spatialclaw_kernel::PythonEnv,
    llm: &LlmClient,
    s: &LoadedSample,
) -> (f64, usize, String) {
    let backend = Arc::new(SyntheticBackend::new());
    for (scene, frame) in s.render().expect("re-rendering matches the dataset") {
        backend.register(&scene, &frame);
    }
    let paths = s.frame_paths();
    let meta = &s.meta;
    let inputs = SessionInputs {
        frames: paths
            .iter()
            .map(|(path, fi)| InputFrame {
                path: path.clone(),
                frame_index: *fi,
            })
            .collect(),
        metadata: serde_json::json!({
            "is_video": meta.is_video, "fps": meta.fps, "total_frames": meta.total_frames,
            "duration_sec": meta.duration_sec, "num_images": paths.len(),
            "video_source": null, "num_videos": 1,
        }),
        ..Default::default()
    };
    let mut session = KernelSession::start(env, inputs, SessionOptions::default())
        .await
        .expect("session starts");
    let key_frames = key_frame_indices(paths.len(), 8)
        .into_iter()
        .map(|i| KeyFrame {
            image: ImagePart::png(std::fs::read(&paths[i].0).unwrap()),
            list_index: i,
            frame_index: paths[i].1,
            video: 0,
        })
        .collect();
    let task = Task {
        id: meta.id.clone(),
        instruction: meta.prompt.clone(),
        key_frames,
        input: InputSummary {
            is_video: meta.is_video,
            num_images: paths.len(),
            fps: meta.fps,
            total_frames: Some(meta.total_frames),
            duration_sec: meta.duration_sec,
            ..Default::default()
        },
    };
    let config = AgentConfig {
        max_steps: 8,
        planning: false,
        cell_timeout: Duration::from_secs(240),
        ..Default::default()
    };
    let host = SampleHost {
        backend,
        vlm: None,
        session_id: task.id.clone(),
    };
    struct Dump(bool);
    impl spatialclaw_agent::Observer for Dump {
        fn step(&mut self, step: &spatialclaw_agent::Step) {
            if self.0 {
                eprintln!("---- feedback\n{}", step.feedback);
            }
        }
    }
    let mut dump = Dump(std::env::var("SYNTH_DUMP").is_ok_and(|v| meta.id.contains(&v)));
    let t = spatialclaw_agent::run(&task, &config, llm, &mut session, &host, &mut dump)
        .await
        .expect("agent loop runs");
    session.shutdown().await;
    let answer = t.answer_text().unwrap_or("").to_string();
    (s.truth.answer.score(&answer), t.steps.len(), answer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripted_policy_answers_every_family_end_to_end() {
    let env = ensure_python_env(|m| eprintln!("{m}")).expect("python environment");
    let dir = tempfile::tempdir().unwrap();
    // One sample per family by default; SYNTH_E2E_COUNT=500 measures the policy at scale.
    let n = std::env::var("SYNTH_E2E_COUNT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(Family::ALL.len());
    dataset::write(dir.path(), 2024, n, &WriteOptions::default()).unwrap();
    let samples = dataset::read(dir.path()).unwrap();

    let server = LocalServer::start(|request: &serde_json::Value| {
        let messages = request
            .get("messages")
            .and_then(|m| m.as_array())
            .ok_or("request has no messages")?;
        spatialclaw_synth::respond(messages).map_err(|e| e.to_string())
    })
    .unwrap();
    let llm = LlmClient::new(ClientConfig::for_urls("scripted", [server.base_url()])).unwrap();

    let mut report = Vec::new();
    let mut total = 0.0;
    let mut scores = Vec::new();
    for s in &samples {
        // The policy recognises the family from the question text alone.
        assert_eq!(
            spatialclaw_synth::policy::recognise_family(&s.meta.prompt),
            Some(s.truth.family)
        );
        let (score, steps, answer) = run_sample(&env, &llm, s).await;
        total += score;
        scores.push(score);
        report.push(format!(
            "{:<26} {:<14} score {score:.2} in {steps} steps (answer {answer:?}, truth {:?})",
            s.truth.family.name(),
            s.meta.input_kind.name(),
            s.truth.answer
        ));
        assert!(steps >= 2, "{}: answered without looking first", s.meta.id);
    }
    let mut per_family = String::new();
    for f in Family::ALL {
        let scores: Vec<f64> = samples
            .iter()
            .zip(&scores)
            .filter(|(s, _)| s.truth.family == f)
            .map(|(_, v)| *v)
            .collect();
        if !scores.is_empty() {
            let mean = scores.iter().sum::<f64>() / scores.len() as f64;
            per_family.push_str(&format!(
                "\n  {:<26} {mean:.3} ({} samples)",
                f.name(),
                scores.len()
            ));
        }
    }
    let text = format!("{}\nper family:{per_family}", report.join("\n"));
    eprintln!("{text}");
    let mean = total / samples.len() as f64;
    assert!(mean >= 0.9, "mean score {mean:.3}:\n{text}");
}
