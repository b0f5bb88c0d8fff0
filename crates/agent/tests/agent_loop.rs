//! The loop against a real OpenAI-format HTTP server on 127.0.0.1 and a real kernel session.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use spatialclaw_agent::{AgentConfig, SampleHost, Task, Termination, run};
use spatialclaw_kernel::{KernelSession, SessionInputs, SessionOptions, ensure_python_env};
use spatialclaw_llm::local_server::LocalServer;
use spatialclaw_llm::{ClientConfig, LlmClient};
use spatialclaw_perception::SyntheticBackend;

/// Replies in order and keeps every request body, so tests can see what the model was sent.
#[derive(Clone, Default)]
struct Recorder {
    replies: Arc<Mutex<VecDeque<String>>>,
    requests: Arc<Mutex<Vec<Value>>>,
}

impl Recorder {
    fn new(replies: &[&str]) -> Self {
        let r = Recorder::default();
        r.replies
            .lock()
            .unwrap()
            .extend(replies.iter().map(|s| s.to_string()));
        r
    }

    fn serve(&self) -> LocalServer {
        let me = self.clone();
        LocalServer::start(move |req: &Value| {
            me.requests.lock().unwrap().push(req.clone());
            me.replies
                .lock()
                .unwrap()
                .pop_front()
                .ok_or_else(|| "script exhausted".to_owned())
        })
        .unwrap()
    }

    fn request_text(&self, i: usize) -> String {
        self.requests.lock().unwrap()[i]["messages"].to_string()
    }

    fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

fn cell(purpose: &str, code: &str) -> String {
    format!(
        "**Purpose**: {purpose}\n**Reasoning**: because\n**Next Goal**: next\n**Code**:\n```python\n{code}\n```"
    )
}

fn task() -> Task {
    Task {
        id: "t1".into(),
        instruction: "How many apples? Answer with a number.".into(),
        key_frames: vec![],
        is_video: false,
        num_images: 0,
        fps: None,
        total_frames: None,
        duration_sec: None,
    }
}

async fn go(recorder: &Recorder, max_steps: usize) -> spatialclaw_agent::Trajectory {
    let server = recorder.serve();
    let llm = LlmClient::new(ClientConfig::for_urls("scripted", [server.base_url()])).unwrap();
    let env = ensure_python_env(|m| eprintln!("{m}")).unwrap();
    let inputs = SessionInputs {
        metadata: json!({"is_video": false, "num_images": 0}),
        ..Default::default()
    };
    let mut session = KernelSession::start(&env, inputs, SessionOptions::default())
        .await
        .unwrap();
    let host = SampleHost {
        backend: Arc::new(SyntheticBackend::new()),
        vlm: None,
        session_id: "t1".into(),
    };
    let config = AgentConfig {
        max_steps,
        cell_timeout: Duration::from_secs(30),
        ..Default::default()
    };
    let t = run(&task(), &config, &llm, &mut session, &host, &mut ())
        .await
        .unwrap();
    session.shutdown().await;
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variables_carry_across_steps_until_the_answer() {
    let rec = Recorder::new(&[
        &cell("count", "n = 2 + 1\nprint('counted', n)"),
        &cell("answer", "ReturnAnswer(n)"),
    ]);
    let t = go(&rec, 5).await;
    assert_eq!(t.termination, Termination::Answered);
    assert_eq!(t.answer.as_deref(), Some("3"));
    assert_eq!(t.steps.len(), 2);
    assert!(t.steps[0].feedback.contains("counted 3"));
    assert!(
        rec.request_text(1).contains("counted 3"),
        "the second call sees the first step's output"
    );
    assert_eq!(t.usage.calls, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_format_error_gets_one_repair_and_never_enters_history() {
    let rec = Recorder::new(&[
        "I think the answer is three. MALFORMED-REPLY",
        &cell("answer", "ReturnAnswer(3)"),
    ]);
    let t = go(&rec, 5).await;
    assert_eq!(t.answer.as_deref(), Some("3"));
    assert_eq!(t.steps.len(), 1, "the repair happened within the step");
    assert_eq!(t.steps[0].repairs, 1);
    assert!(
        rec.request_text(1).contains("could not be used"),
        "the repair request names the problem"
    );
    assert_eq!(rec.count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_format_failures_cost_a_step_and_the_text_is_dropped() {
    let rec = Recorder::new(&[
        "MALFORMED-ONE",
        "MALFORMED-TWO",
        &cell("answer", "ReturnAnswer('ok')"),
    ]);
    let t = go(&rec, 5).await;
    assert_eq!(t.steps.len(), 2);
    assert!(t.steps[0].skipped.is_some());
    let third = rec.request_text(2);
    assert!(
        !third.contains("MALFORMED"),
        "malformed text must not go back into history"
    );
    assert!(third.contains("Format Error"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syntax_errors_are_reported_without_running_the_cell() {
    let rec = Recorder::new(&[
        &cell("broken", "x = (1,\nprint('ran')"),
        &cell("answer", "ReturnAnswer(1)"),
    ]);
    let t = go(&rec, 5).await;
    assert!(
        t.steps[0].outcome.is_none(),
        "a syntax error never reaches the kernel"
    );
    assert!(
        t.steps[0].feedback.contains("line"),
        "{}",
        t.steps[0].feedback
    );
    assert_eq!(t.answer.as_deref(), Some("1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_budget_ends_the_run_with_a_last_step_warning() {
    let rec = Recorder::new(&[
        &cell("a", "x = 1"),
        &cell("b", "x = 2"),
        &cell("c", "x = 3"),
    ]);
    let t = go(&rec, 3).await;
    assert_eq!(t.termination, Termination::MaxSteps);
    assert!(t.answer.is_none());
    assert!(!t.steps[0].feedback.contains("[LAST STEP]"));
    assert!(
        t.steps[1].feedback.contains("[LAST STEP]"),
        "warned when one step remains"
    );
    assert!(rec.request_text(2).contains("[LAST STEP]"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_images_are_sent_to_the_model_as_image_parts() {
    let rec = Recorder::new(&[
        &cell(
            "look",
            "show(np.full((20, 30, 3), 200, dtype=np.uint8), label='grey patch')",
        ),
        &cell("answer", "ReturnAnswer('seen')"),
    ]);
    let t = go(&rec, 4).await;
    assert_eq!(t.steps[0].outcome.as_ref().unwrap().shows.len(), 1);
    let second = &rec.requests.lock().unwrap()[1];
    let last_user = second["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    let parts = last_user["content"]
        .as_array()
        .expect("multimodal feedback");
    assert!(parts.iter().any(|p| {
        p["type"] == "image_url"
            && p["image_url"]["url"]
                .as_str()
                .unwrap()
                .starts_with("data:image/png;base64,")
    }));
    assert!(
        parts
            .iter()
            .any(|p| p["text"].as_str().is_some_and(|t| t.contains("grey patch")))
    );
}
