//! The loop against real OpenAI-format HTTP servers on 127.0.0.1 and real kernel sessions:
//! scripted trajectories for every interface, malformed and truncated replies, context
//! overflow, a dying endpoint, forced termination, reflection, and usage accounting.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};
use spatialclaw_agent::record::AnswerSource;
use spatialclaw_agent::{
    AgentConfig, InputSummary, Interface, KeyFrame, Observer, SampleHost, Step, StepStatus, Task,
    Termination, Trajectory, VlmAccess, run,
};
use spatialclaw_kernel::{KernelSession, SessionInputs, SessionOptions, ensure_python_env};
use spatialclaw_llm::local_server::{LocalServer, LocalServerOptions};
use spatialclaw_llm::{ClientConfig, ClientOptions, ImagePart, LlmClient, RetryPolicy};
use spatialclaw_perception::SyntheticBackend;

/// Which conversation a request belongs to, from its prompts.
fn classify(req: &Value) -> &'static str {
    let msgs = req["messages"].as_array().cloned().unwrap_or_default();
    let text = |m: &Value| match &m["content"] {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    };
    let first = msgs.first().map(text).unwrap_or_default();
    let last = msgs.last().map(text).unwrap_or_default();
    if msgs.first().is_some_and(|m| m["role"] != "system") {
        return if last.contains("Request: ") {
            "vlm"
        } else if last.contains("JSON array") {
            "checklist"
        } else {
            "vlm"
        };
    }
    if first.starts_with("# Planner") {
        "plan"
    } else if first.starts_with("You are an expert in spatial") {
        "cot"
    } else if first.starts_with("You reason carefully") || first.starts_with("You locate") {
        "vlm"
    } else if last.starts_with("[Reflection]") {
        "reflect"
    } else {
        "main"
    }
}

type Queues = HashMap<&'static str, VecDeque<Result<String, String>>>;

/// Scripted replies per conversation kind; every request is kept for inspection.
#[derive(Clone, Default)]
struct Script {
    queues: Arc<Mutex<Queues>>,
    requests: Arc<Mutex<Vec<(&'static str, Value)>>>,
}

impl Script {
    fn on(self, kind: &'static str, replies: &[&str]) -> Self {
        self.queues
            .lock()
            .unwrap()
            .entry(kind)
            .or_default()
            .extend(replies.iter().map(|r| Ok(r.to_string())));
        self
    }

    fn fail(self, kind: &'static str, times: usize) -> Self {
        self.queues
            .lock()
            .unwrap()
            .entry(kind)
            .or_default()
            .extend((0..times).map(|_| Err("scripted server error".to_string())));
        self
    }

    fn respond(&self, req: &Value) -> Result<String, String> {
        let kind = classify(req);
        self.requests.lock().unwrap().push((kind, req.clone()));
        self.queues
            .lock()
            .unwrap()
            .get_mut(kind)
            .and_then(VecDeque::pop_front)
            .unwrap_or_else(|| Err(format!("no scripted reply left for {kind}")))
    }

    fn serve_with(&self, options: LocalServerOptions) -> LocalServer {
        let me = self.clone();
        LocalServer::start_with(move |req: &Value| me.respond(req), options).unwrap()
    }

    fn serve(&self) -> LocalServer {
        self.serve_with(LocalServerOptions::default())
    }

    fn of(&self, kind: &str) -> Vec<Value> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, r)| r.clone())
            .collect()
    }
}

fn cell(purpose: &str, code: &str) -> String {
    format!(
        "**Purpose**: {purpose}\n**Reasoning**: because\n**Next Goal**: next\n**Code**:\n```python\n{code}\n```"
    )
}

fn tool_call(purpose: &str, call: Value) -> String {
    format!(
        "**Purpose**: {purpose}\n**Reasoning**: needed\n**Next Goal**: continue\n**Tool Call**:\n```json\n{call}\n```"
    )
}

const PLAN: &str = "## Plan\n1. Count.\n\n### CHECKLIST\n```json\n[{\"priority\": \"HIGH\", \"description\": \"count twice\"}]\n```";

fn png() -> ImagePart {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
        .unwrap();
    ImagePart::png(bytes)
}

fn task(key_frames: usize) -> Task {
    Task {
        id: "t1".into(),
        instruction: "How many apples? Answer with a number.".into(),
        key_frames: (0..key_frames)
            .map(|i| KeyFrame {
                image: png(),
                list_index: i,
                frame_index: i as i64 * 10,
                video: 0,
            })
            .collect(),
        input: InputSummary {
            num_images: key_frames,
            ..Default::default()
        },
    }
}

fn fast_client(urls: Vec<String>) -> LlmClient {
    let options = ClientOptions {
        retry: RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(20),
            max_retry_after: Duration::from_millis(50),
        },
        outage_wait: Duration::ZERO,
        ..Default::default()
    };
    LlmClient::new(ClientConfig::for_urls("scripted", urls).with_options(options)).unwrap()
}

fn config(interface: Interface, max_steps: usize) -> AgentConfig {
    AgentConfig {
        interface,
        max_steps,
        planning: false,
        cell_timeout: Duration::from_secs(30),
        ..Default::default()
    }
}

struct Setup {
    config: AgentConfig,
    task: Task,
    vlm: bool,
    urls: Vec<String>,
}

async fn go_with(setup: Setup, observer: &mut (dyn Observer + Send)) -> Trajectory {
    let llm = fast_client(setup.urls);
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
        vlm: setup
            .vlm
            .then(|| VlmAccess::new(llm.clone(), &setup.config.roles, &setup.config.ablations)),
        session_id: setup.task.id.clone(),
    };
    let t = run(
        &setup.task,
        &setup.config,
        &llm,
        &mut session,
        &host,
        observer,
    )
    .await
    .unwrap();
    session.shutdown().await;
    t
}

async fn go(script: &Script, config: AgentConfig, key_frames: usize) -> Trajectory {
    let server = script.serve();
    go_with(
        Setup {
            config,
            task: task(key_frames),
            vlm: true,
            urls: vec![server.base_url()],
        },
        &mut (),
    )
    .await
}

fn text_of(req: &Value) -> String {
    req["messages"].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_interface_plans_then_carries_variables_to_the_answer() {
    let script = Script::default().on("plan", &[PLAN]).on(
        "main",
        &[
            &cell("count", "n = 2 + 1\nprint('counted', n)"),
            &cell("answer", "ReturnAnswer(n)"),
        ],
    );
    let cfg = AgentConfig {
        planning: true,
        ..config(Interface::Code, 5)
    };
    let t = go(&script, cfg, 2).await;
    assert_eq!(t.termination, Termination::Answered);
    assert_eq!(t.answer_text(), Some("3"));
    assert_eq!(t.steps.len(), 2);
    assert!(t.steps[0].feedback.contains("counted 3"));
    let plan = &script.of("plan")[0];
    assert!(!text_of(plan).contains("image_url"), "the planner is blind");
    assert!(text_of(plan).contains("Question: How many apples?"));
    let main = script.of("main");
    assert!(text_of(&main[0]).contains("Here is your execution plan"));
    assert!(text_of(&main[0]).contains("Carry out the plan"));
    assert!(text_of(&main[1]).contains("counted 3"));
    assert!(
        t.plan
            .as_ref()
            .unwrap()
            .text
            .as_deref()
            .unwrap()
            .contains("## Plan")
    );
    assert_eq!(t.usage.calls, 3, "plan + two steps");
    let json = serde_json::to_value(t.without_images()).unwrap();
    assert_eq!(json["termination"], "answered");
    assert_eq!(json["steps"][0]["purpose"], "count");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_format_error_gets_one_repair_and_never_enters_history() {
    let script = Script::default().on(
        "main",
        &[
            "I think the answer is three. MALFORMED-REPLY",
            &cell("answer", "ReturnAnswer(3)"),
        ],
    );
    let t = go(&script, config(Interface::Code, 5), 0).await;
    assert_eq!(t.answer_text(), Some("3"));
    assert_eq!(t.steps.len(), 1, "the repair happened within the step");
    assert_eq!(t.steps[0].repairs, 1);
    assert!(text_of(&script.of("main")[1]).contains("could not be used"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_format_failures_cost_a_step_and_the_text_is_dropped() {
    let script = Script::default().on(
        "main",
        &[
            "MALFORMED-ONE",
            "MALFORMED-TWO",
            &cell("answer", "ReturnAnswer('ok')"),
        ],
    );
    let t = go(&script, config(Interface::Code, 5), 0).await;
    assert_eq!(t.steps.len(), 2);
    assert_eq!(t.steps[0].status, StepStatus::Skipped);
    let third = text_of(&script.of("main")[2]);
    assert!(
        !third.contains("MALFORMED"),
        "malformed text must not go back"
    );
    assert!(third.contains("Format Error"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_cells_are_condensed_and_lint_rejections_never_run() {
    let script = Script::default().on(
        "main",
        &[
            &cell("broken", "x = (1,\nprint('ran')"),
            &cell("divide", "a = 1\nb = a / 0\nprint('never')"),
            &cell("escape", "import os\nos.system('true')"),
            &cell("answer", "ReturnAnswer(a)"),
        ],
    );
    let t = go(&script, config(Interface::Code, 6), 0).await;
    assert_eq!(t.steps[0].status, StepStatus::Rejected);
    assert!(
        t.steps[0].outcome.is_none(),
        "a syntax error never reaches the kernel"
    );
    assert_eq!(t.steps[1].status, StepStatus::Error);
    assert_eq!(t.steps[2].status, StepStatus::Rejected);
    assert_eq!(
        t.answer_text(),
        Some("1"),
        "variables before the error line were kept"
    );
    let last = text_of(&script.of("main")[3]);
    assert!(last.contains("b = a / 0  # <-- ERROR"), "{last}");
    assert!(last.contains("# ZeroDivisionError"), "{last}");
    assert!(
        !last.contains("print('never')"),
        "code after the error is dropped"
    );
    assert!(last.contains("[errored — condensed]"));
    assert!(
        t.steps[2].feedback.contains("line 1"),
        "{}",
        t.steps[2].feedback
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_step_budget_ends_in_a_chain_of_thought_answer() {
    let script = Script::default()
        .on(
            "main",
            &[
                &cell("a", "x = 1"),
                &cell("b", "x = 2"),
                &cell("c", "x = 3"),
            ],
        )
        .on("cot", &["Counting the apples in each frame... \\boxed{4}"]);
    let t = go(&script, config(Interface::Code, 3), 2).await;
    assert_eq!(t.termination, Termination::MaxSteps);
    assert!(!t.steps[0].feedback.contains("[LAST STEP]"));
    assert!(
        t.steps[1].feedback.contains("[LAST STEP]"),
        "warned when one step remains"
    );
    let answer = t.answer.as_ref().unwrap();
    assert_eq!(
        (answer.text.as_str(), answer.source),
        ("4", AnswerSource::ChainOfThought)
    );
    let cot = &script.of("cot")[0];
    assert_eq!(
        cot["messages"][1]["content"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["type"] == "image_url")
            .count(),
        2,
        "the fallback looks at the key frames"
    );
    assert!(
        t.forced
            .as_ref()
            .unwrap()
            .note
            .contains("Agent terminated: max_steps")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn salvage_reads_explicit_statements_when_the_fallback_has_no_box() {
    let reasoned = "**Purpose**: p\n**Reasoning**: so the answer is C because it is nearer\n**Next Goal**: n\n**Code**:\n```python\nx = 1\n```";
    let script = Script::default()
        .on("main", &["MALFORMED", "MALFORMED", reasoned])
        .on(
            "cot",
            &["I cannot tell from these frames, the answer is a bit unclear."],
        );
    let cfg = AgentConfig {
        max_failures: 5,
        ..config(Interface::Code, 2)
    };
    let t = go(&script, cfg, 1).await;
    assert_eq!(t.termination, Termination::MaxSteps);
    let a = t.answer.unwrap();
    assert_eq!((a.text.as_str(), a.source), ("C", AnswerSource::Salvaged));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consecutive_failures_end_the_run_but_transient_errors_do_not_count() {
    // Two server errors (the client retries once each) are transient; then one format failure.
    let script = Script::default()
        .fail("main", 4)
        .on("main", &["MALFORMED", "MALFORMED"]);
    let cfg = AgentConfig {
        max_failures: 1,
        ..config(Interface::Code, 10)
    };
    let t = go(&script, cfg, 0).await;
    assert_eq!(t.termination, Termination::MaxFailures);
    assert_eq!(
        t.steps.len(),
        3,
        "two transient steps, then the failure that counts"
    );
    assert!(
        t.steps[0]
            .skipped
            .as_deref()
            .unwrap()
            .contains("could not be reached")
    );
    assert!(t.answer.is_none(), "no key frames, nothing to salvage");
}

/// `go` without the unwrap: the loop may abandon a sample.
async fn try_go(
    script: &Script,
    config: AgentConfig,
) -> Result<Trajectory, spatialclaw_agent::AgentError> {
    let server = script.serve();
    let llm = fast_client(vec![server.base_url()]);
    let env = ensure_python_env(|m| eprintln!("{m}")).unwrap();
    let inputs = SessionInputs {
        metadata: json!({"is_video": false, "num_images": 0}),
        ..Default::default()
    };
    let mut session = KernelSession::start(&env, inputs, SessionOptions::default())
        .await
        .unwrap();
    let t = task(0);
    let host = SampleHost {
        backend: Arc::new(SyntheticBackend::new()),
        vlm: Some(VlmAccess::new(
            llm.clone(),
            &config.roles,
            &config.ablations,
        )),
        session_id: t.id.clone(),
    };
    let r = run(&t, &config, &llm, &mut session, &host, &mut ()).await;
    session.shutdown().await;
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn model_outage_steps_cost_no_step_budget_and_a_long_outage_abandons_the_sample() {
    // Two calls fail after the client's retries (2 attempts each); the third answers. With a
    // budget of one step the agent still gets its step.
    let script = Script::default()
        .fail("main", 4)
        .on("main", &[&cell("answer", "ReturnAnswer('A')")]);
    let t = try_go(&script, config(Interface::Code, 1)).await.unwrap();
    assert_eq!(t.termination, Termination::Answered);
    assert_eq!(t.answer_text(), Some("A"));
    assert_eq!(t.steps.len(), 3, "two lost steps and the real one");

    // Three lost steps in a row: the sample is abandoned as the model service's failure.
    let script = Script::default().fail("main", 6);
    let e = try_go(&script, config(Interface::Code, 10))
        .await
        .unwrap_err();
    let spatialclaw_agent::AgentError::Unavailable {
        service,
        steps,
        reason,
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!((*service, *steps), ("llm", 3));
    assert!(reason.contains("scripted server error"), "{reason}");
    assert!(
        e.to_string()
            .contains("unavailable for 3 consecutive steps")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vlm_outage_inside_a_cell_is_refunded_from_the_tool_and_step_budgets() {
    // vlm.* returns the error as a "[VLM Error] ..." string (as the original does); this cell
    // stops on it instead of submitting it.
    let code = "a = vlm.ask_with_thinking(np.zeros((8, 8, 3), np.uint8), 'q')\nassert not a.startswith('[VLM Error]'), a\nReturnAnswer(a)";
    // The first vlm call fails on both attempts (an outage); the second answers.
    let script = Script::default()
        .on("main", &[&cell("ask", code), &cell("ask", code)])
        .fail("vlm", 2)
        .on("vlm", &["yes"]);
    let cfg = AgentConfig {
        max_tool_calls: Some(1),
        ..config(Interface::Code, 1)
    };
    let t = try_go(&script, cfg).await.unwrap();
    assert_eq!(t.termination, Termination::Answered);
    assert_eq!(t.answer_text(), Some("yes"));
    assert_eq!(t.steps.len(), 2);
    assert_eq!(t.steps[0].status, StepStatus::Error);
    assert_eq!(t.steps[0].tool_calls, 0, "the failed call is refunded");
    assert_eq!(t.tool_calls, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tool_call_budget_counts_real_host_requests() {
    let code = "for i in range(3):\n    a = vlm.ask_with_thinking(np.zeros((8, 8, 3), np.uint8), f'q{i}')\n    print(a)";
    let script = Script::default()
        .on("main", &[&cell("ask", code)])
        .on("vlm", &["yes", "no"]);
    let cfg = AgentConfig {
        max_tool_calls: Some(2),
        ..config(Interface::Code, 10)
    };
    let t = go(&script, cfg, 0).await;
    assert_eq!(t.termination, Termination::MaxToolCalls);
    assert_eq!(
        t.steps[0].tool_calls, 2,
        "the loop body runs three times; two calls got through"
    );
    assert!(
        t.steps[0].stdout.contains("tool-call budget"),
        "{}",
        t.steps[0].stdout
    );
    assert_eq!(t.tool_calls, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vlm_calls_from_cells_are_booked_with_the_run() {
    let code = "a = vlm.ask_with_thinking(np.zeros((8, 8, 3), np.uint8), 'How many?')\nb = vlm.locate(np.zeros((8, 8, 3), np.uint8), 'the apple')\nprint(a, b)";
    let script = Script::default()
        .on(
            "main",
            &[&cell("ask", code), &cell("answer", "ReturnAnswer(a)")],
        )
        .on("vlm", &["<think>hmm</think>two", "500 500"]);
    let t = go(&script, config(Interface::Code, 5), 0).await;
    assert_eq!(t.answer_text(), Some("two"));
    assert_eq!(t.steps[0].tool_calls, 2);
    assert_eq!(t.usage.calls, 4, "two main calls and two vlm calls");
    let main_tokens: u64 = t.steps.iter().map(|s| s.usage.prompt_tokens).sum();
    assert!(
        t.usage.prompt_tokens > main_tokens,
        "vlm prompts are included"
    );
    let locate = &script.of("vlm")[1];
    assert!(text_of(locate).contains("Request: the apple"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn react_translates_tool_calls_and_keeps_results() {
    let bad = tool_call("bad", json!({"tool": "os.system", "args": {"cmd": "ls"}}));
    let script = Script::default()
        .on(
            "main",
            &[
                &tool_call(
                    "ask",
                    json!({"tool": "vlm.ask_with_thinking", "args": {"visual_input": "InputImages", "question": "How many apples?"}}),
                ),
                &bad,
                &bad,
                &tool_call("answer", json!({"tool": "ReturnAnswer", "args": {"answer": "result_0"}})),
            ],
        )
    .on("vlm", &["3"]);
    let server = script.serve();
    let env = ensure_python_env(|m| eprintln!("{m}")).unwrap();
    let dir = tempfile_dir();
    let frame = dir.join("f.png");
    std::fs::write(&frame, png().bytes()).unwrap();
    let inputs = SessionInputs {
        frames: vec![spatialclaw_kernel::InputFrame {
            path: frame,
            frame_index: 0,
        }],
        metadata: json!({"is_video": false, "num_images": 1}),
        ..Default::default()
    };
    let mut session = KernelSession::start(&env, inputs, SessionOptions::default())
        .await
        .unwrap();
    let llm = fast_client(vec![server.base_url()]);
    let cfg = config(Interface::React, 5);
    let host = SampleHost {
        backend: Arc::new(SyntheticBackend::new()),
        vlm: Some(VlmAccess::new(llm.clone(), &cfg.roles, &cfg.ablations)),
        session_id: "t1".into(),
    };
    let t = run(&task(1), &cfg, &llm, &mut session, &host, &mut ())
        .await
        .unwrap();
    session.shutdown().await;
    assert!(t.system_prompt.contains("**Tool Call**"));
    assert_eq!(
        t.steps[0].code.as_deref(),
        Some(
            "result_0 = vlm.ask_with_thinking(question=\"How many apples?\", visual_input=InputImages)\nresult_0"
        )
    );
    assert!(
        t.steps[0]
            .feedback
            .contains("[Call] result_0 = vlm.ask_with_thinking"),
        "{}",
        t.steps[0].feedback
    );
    assert_eq!(
        t.steps[1].status,
        StepStatus::Skipped,
        "an unknown tool is a format error after the repair"
    );
    assert_eq!(t.answer_text(), Some("3"));
    let history = text_of(&script.of("main").last().unwrap().clone());
    assert!(
        history.contains("```json"),
        "history keeps the JSON tool calls"
    );
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("spatialclaw-agent-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_pass_is_one_cell_without_planning() {
    let script = Script::default().on("main", &[&cell("all", "x = 6 * 7\nReturnAnswer(x)")]);
    let cfg = AgentConfig {
        interface: Interface::SinglePass,
        planning: true,
        max_steps: 30,
        cell_timeout: Duration::from_secs(30),
        ..Default::default()
    };
    let t = go(&script, cfg, 1).await;
    assert_eq!(t.answer_text(), Some("42"));
    assert!(script.of("plan").is_empty(), "single-pass never plans");
    assert!(t.system_prompt.contains("exactly ONE cell"));
    assert!(!t.steps[0].feedback.contains("[LAST STEP]"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_pass_without_an_answer_is_forced() {
    let script = Script::default()
        .on("main", &[&cell("all", "x = 6 * 7")])
        .on("cot", &["\\boxed{42}"]);
    let t = go(&script, config(Interface::SinglePass, 30), 1).await;
    assert_eq!(t.steps.len(), 1);
    assert_eq!(t.termination, Termination::MaxSteps);
    assert_eq!(t.answer_text(), Some("42"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_tool_is_one_chain_of_thought_call() {
    let script = Script::default().on("cot", &["Frame 1 shows two apples. \\boxed{2}"]);
    let server = script.serve();
    let llm = fast_client(vec![server.base_url()]);
    let mut t = task(40);
    t.input.num_images = 40;
    let cfg = config(Interface::NoTool, 30);
    let traj = spatialclaw_agent::cot::run_no_tool(&t, &cfg, &llm).await;
    assert_eq!(traj.answer_text(), Some("2"));
    assert_eq!(traj.termination, Termination::SingleCall);
    let req = &script.of("cot")[0];
    let images = req["messages"][1]["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["type"] == "image_url")
        .count();
    assert_eq!(images, 32, "at most 32 frames");
    assert_eq!(script.of("main").len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_cut_mid_fence_still_runs_and_says_so() {
    let long = format!(
        "**Purpose**: p\n**Reasoning**: r\n**Next Goal**: n\n**Code**:\n```python\nx = 5\nprint('x is', x)\n{}",
        "# padding padding padding\n".repeat(40)
    );
    let script = Script::default().on("main", &[&long, &cell("answer", "ReturnAnswer(x)")]);
    let mut cfg = config(Interface::Code, 4);
    cfg.roles.main.max_tokens = 40; // the server cuts the reply at 160 characters
    let t = go(&script, cfg, 0).await;
    assert_eq!(
        t.steps[0].status,
        StepStatus::Success,
        "{}",
        t.steps[0].feedback
    );
    assert!(t.steps[0].feedback.contains("x is 5"));
    assert!(t.steps[0].feedback.contains("reached the output limit"));
    assert_eq!(t.answer_text(), Some("5"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_context_overflow_is_trimmed_not_retried_blindly() {
    let show = "for i in range(3):\n    show(np.full((16, 16, 3), 40 * i, dtype=np.uint8), label=f'patch {i}')";
    let script = Script::default().on(
        "main",
        &[&cell("look", show), &cell("answer", "ReturnAnswer('seen')")],
    );
    let server = script.serve_with(LocalServerOptions {
        max_model_len: 60_000,
        tokens_per_image: 25_000,
        ..Default::default()
    });
    let mut cfg = config(Interface::Code, 4);
    cfg.roles.main.max_tokens = 1000;
    cfg.tokens_per_image = 10; // our estimate is far too low, so the server's 400 must be handled
    let t = go_with(
        Setup {
            config: cfg,
            task: task(0),
            vlm: false,
            urls: vec![server.base_url()],
        },
        &mut (),
    )
    .await;
    assert_eq!(t.answer_text(), Some("seen"));
    assert!(t.steps[1].context_trims >= 1);
    assert_eq!(t.images_trimmed, 3);
    let main = script.of("main");
    assert_eq!(
        main.len(),
        2,
        "the refused request never reached the responder"
    );
    assert!(!text_of(&main[1]).contains("image_url"));
    assert!(text_of(&main[1]).contains("image omitted to fit the context window"));
}

struct KillAfterFirstStep(Vec<LocalServer>);

impl Observer for KillAfterFirstStep {
    fn step(&mut self, step: &Step) {
        if step.index == 0
            && let Some(i) = self.0.iter().position(|s| s.request_count() > 0)
        {
            self.0.remove(i).shutdown();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_dies_mid_run_is_replaced_by_the_other() {
    let script = Script::default().on(
        "main",
        &[&cell("count", "n = 4"), &cell("answer", "ReturnAnswer(n)")],
    );
    let a = script.serve();
    let b = script.serve();
    let urls = vec![a.base_url(), b.base_url()];
    let mut killer = KillAfterFirstStep(vec![a, b]);
    let t = go_with(
        Setup {
            config: config(Interface::Code, 4),
            task: task(0),
            vlm: false,
            urls,
        },
        &mut killer,
    )
    .await;
    assert_eq!(killer.0.len(), 1, "one server was shut down");
    assert_eq!(t.answer_text(), Some("4"));
    assert_eq!(
        killer.0[0].request_count(),
        1,
        "the survivor answered the second step"
    );
    assert_eq!(t.steps[1].status, StepStatus::Success);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflection_rejects_an_answer_then_accepts_the_next() {
    let script = Script::default()
        .on("plan", &[PLAN])
        .on(
            "main",
            &[
                &cell("guess", "ReturnAnswer('A')"),
                &cell("check", "n = 3\nReturnAnswer(n)"),
            ],
        )
        .on(
            "reflect",
            &[
                "{\"status\": \"concern\", \"explanation\": \"nothing was counted\", \"suggestion\": \"count them\"}",
                "{\"status\": \"ok\", \"checklist_ops\": [{\"op\": \"verify\", \"item_id\": \"chk_001\", \"note\": \"counted\"}]}",
            ],
        );
    let mut cfg = config(Interface::Code, 10);
    cfg.planning = true;
    cfg.reflection.enabled = true;
    let t = go(&script, cfg, 0).await;
    assert_eq!(t.answer_text(), Some("3"));
    assert_eq!(t.answer_attempts, 2);
    assert_eq!(t.reflections.len(), 2);
    assert_eq!(t.reflections[0].rejected_answer.as_deref(), Some("A"));
    let second = text_of(&script.of("main")[1]);
    assert!(second.contains("[ANSWER REJECTED]"));
    assert!(second.contains("nothing was counted"));
    assert_eq!(t.plan.as_ref().unwrap().checklist.items.len(), 1);
    assert!(
        script.of("checklist").is_empty(),
        "the plan's checklist was readable"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_images_reach_the_model_after_their_labels() {
    let script = Script::default().on(
        "main",
        &[
            &cell(
                "look",
                "show(np.full((20, 30, 3), 200, dtype=np.uint8), label='grey patch')",
            ),
            &cell("answer", "ReturnAnswer('seen')"),
        ],
    );
    let t = go(&script, config(Interface::Code, 4), 0).await;
    assert_eq!(t.steps[0].images.len(), 1);
    assert_eq!(t.show_images, 1);
    let second = &script.of("main")[1];
    let parts = second["messages"].as_array().unwrap().last().unwrap()["content"]
        .as_array()
        .expect("multimodal feedback")
        .clone();
    let label = parts
        .iter()
        .position(|p| p["text"].as_str() == Some("Visualization of grey patch"))
        .expect("label part");
    assert_eq!(parts[label + 1]["type"], "image_url");
    assert!(
        parts[0]["text"]
            .as_str()
            .unwrap()
            .contains("[show() budget] 249/250")
    );
}
