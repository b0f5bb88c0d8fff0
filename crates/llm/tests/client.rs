//! The client against real HTTP servers on 127.0.0.1: the local stand-in VLM and purpose-built
//! fault servers. No test measures wall-clock time; counters and outcomes only.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use spatialclaw_llm::local_server::{LocalServer, LocalServerOptions, Scripted, parse_messages};
use spatialclaw_llm::{
    ApiKey, ClientConfig, ContentPart, EndpointSource, FinishReason, ImagePart, LlmClient,
    LlmError, Message, RoleParams,
};
use support::*;

fn params() -> RoleParams {
    RoleParams::new(256, 0.0)
}

fn echo_last_user(req: &Value) -> Result<String, String> {
    let msgs = parse_messages(req)?;
    Ok(format!(
        "echo: {}",
        msgs.last().map(|m| m.text()).unwrap_or_default()
    ))
}

#[tokio::test]
async fn plain_and_streamed_completions() {
    let server = LocalServer::start(echo_last_user).unwrap();
    for stream in [false, true] {
        let mut o = fast_options();
        o.stream = stream;
        let client = client_for(&[&server.base_url()], o);
        let long = "a fairly long question that spans several stream chunks, to be sure";
        let r = client
            .chat(
                &[Message::system("sys"), Message::user_text(long)],
                &params(),
                "s1",
            )
            .await
            .unwrap();
        assert_eq!(r.content, format!("echo: {long}"), "stream={stream}");
        assert_eq!(r.finish_reason, Some(FinishReason::Stop));
        assert_eq!(r.attempts, 1);
        assert!(
            r.usage.prompt_tokens > 0 && r.usage.completion_tokens > 0,
            "{:?}",
            r.usage
        );
        assert_eq!(r.endpoint, server.base_url());
    }
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn request_body_has_params_and_thinking_switch() {
    let seen = Arc::new(std::sync::Mutex::new(Value::Null));
    let seen2 = Arc::clone(&seen);
    let server = FaultServer::start(move |_, req, _| {
        *seen2.lock().unwrap() = req.clone();
        json_reply(200, completion("ok"))
    })
    .await;
    let client = client_for(&[&server.base_url], fast_options());
    let mut p = RoleParams::new(77, 0.3).with_thinking(false);
    p.top_k = Some(20);
    client
        .chat(&[Message::user_text("q")], &p, "s")
        .await
        .unwrap();
    let req = seen.lock().unwrap().clone();
    assert_eq!(req["model"], "test-model");
    assert_eq!(req["max_tokens"], 77);
    assert_eq!(req["temperature"], 0.3);
    assert_eq!(req["top_k"], 20);
    assert_eq!(req["chat_template_kwargs"]["enable_thinking"], false);
    assert_eq!(req["stream"], true);
    assert_eq!(req["stream_options"]["include_usage"], true);
    assert!(req.get("top_p").is_none());
}

#[tokio::test]
async fn server_that_ignores_stream_still_works() {
    let server = FaultServer::start(|_, _, _| json_reply(200, completion("plain json"))).await;
    let client = client_for(&[&server.base_url], fast_options());
    let r = client
        .chat(&[Message::user_text("q")], &params(), "s")
        .await
        .unwrap();
    assert_eq!(r.content, "plain json");
    assert_eq!(r.usage.prompt_tokens, 11);
}

#[tokio::test]
async fn images_arrive_as_data_urls() {
    let png: Vec<u8> = [
        &[0x89u8, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..],
        &[7u8; 100][..],
    ]
    .concat();
    let jpg: Vec<u8> = [&[0xFFu8, 0xD8, 0xFF][..], &[9u8; 50][..]].concat();
    let (png2, jpg2) = (png.clone(), jpg.clone());
    let server = LocalServer::start(move |req: &Value| {
        let parts = req["messages"][0]["content"]
            .as_array()
            .ok_or("not an array")?;
        let url = parts[1]["image_url"]["url"].as_str().ok_or("no url")?;
        if !url.starts_with("data:image/png;base64,") {
            return Err(format!("bad url prefix {}", &url[..30.min(url.len())]));
        }
        let msgs = parse_messages(req)?;
        let imgs: Vec<&ImagePart> = msgs[0].images().collect();
        let ok = imgs.len() == 2
            && imgs[0].bytes() == png2
            && imgs[1].bytes() == jpg2
            && imgs[1].mime().as_str() == "image/jpeg";
        Ok(format!("images ok: {ok}"))
    })
    .unwrap();
    let client = client_for(&[&server.base_url()], fast_options());
    let png_part = ImagePart::png(png);
    let msg = Message::user_parts(vec![
        ContentPart::text("what is this?"),
        png_part.clone().into(),
        ImagePart::from_bytes(jpg).unwrap().into(),
    ]);
    let r = client
        .chat(std::slice::from_ref(&msg), &params(), "s")
        .await
        .unwrap();
    assert_eq!(r.content, "images ok: true");
    assert!(
        png_part.is_encoded(),
        "the encoding is cached on the shared part"
    );
    assert!(
        r.usage.prompt_tokens >= 512,
        "two images counted: {:?}",
        r.usage
    );
}

#[tokio::test]
async fn rate_limit_with_retry_after_then_success() {
    let server = FaultServer::start(|n, _, _| {
        if n == 0 {
            Reply::Json {
                status: 429,
                body: json!({"error": {"message": "slow down"}}),
                headers: vec![("retry-after", "1".into())],
            }
        } else {
            json_reply(200, completion("after wait"))
        }
    })
    .await;
    let client = client_for(&[&server.base_url], fast_options());
    let r = client
        .chat(&[Message::user_text("q")], &params(), "s")
        .await
        .unwrap();
    assert_eq!(r.content, "after wait");
    assert_eq!(r.attempts, 2);
    assert_eq!(server.hits(), 2);
    assert_eq!(client.usage("s").unwrap().retries, 1);
}

#[tokio::test]
async fn server_errors_are_retried_then_succeed() {
    let server = FaultServer::start(|n, _, _| {
        if n < 2 {
            json_reply(
                500,
                json!({"object": "error", "message": "engine hiccup", "code": 500}),
            )
        } else {
            json_reply(200, completion("third time"))
        }
    })
    .await;
    let client = client_for(&[&server.base_url], fast_options());
    let r = client
        .chat(&[Message::user_text("q")], &params(), "s")
        .await
        .unwrap();
    assert_eq!(
        (r.content.as_str(), r.attempts, server.hits()),
        ("third time", 3, 3)
    );
}

#[tokio::test]
async fn persistent_server_errors_exhaust_attempts() {
    let server =
        FaultServer::start(|_, _, _| json_reply(503, json!({"error": {"message": "down"}}))).await;
    let client = client_for(&[&server.base_url], fast_options());
    let err = client
        .chat(&[Message::user_text("q")], &params(), "s")
        .await
        .unwrap_err();
    match &err {
        LlmError::RetriesExhausted { attempts, last } => {
            assert_eq!(*attempts, 4);
            assert!(
                matches!(**last, LlmError::Http { status: 503, .. }),
                "{last:?}"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(server.hits(), 4);
    let u = client.usage("s").unwrap();
    assert_eq!((u.calls, u.failed_calls, u.retries), (0, 1, 3));
}

#[tokio::test]
async fn client_errors_surface_at_once_with_the_message() {
    let server = FaultServer::start(|_, _, _| {
        json_reply(
            401,
            json!({"error": {"message": "invalid api key provided"}}),
        )
    })
    .await;
    let client = client_for(&[&server.base_url], fast_options());
    let err = client
        .chat(&[Message::user_text("q")], &params(), "s")
        .await
        .unwrap_err();
    assert!(matches!(err, LlmError::Http { status: 401, .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("invalid api key provided") && text.contains("llm_api_key"),
        "{text}"
    );
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn context_overflow_maps_to_its_variant() {
    let server = FaultServer::start(|_, _, _| {
        json_reply(
            400,
            json!({"object": "error", "code": 400, "message":
            "The decoder prompt (length 9000) is longer than the maximum model length of 8192."}),
        )
    })
    .await;
    let client = client_for(&[&server.base_url], fast_options());
    let err = client
        .chat(&[Message::user_text("q")], &params(), "s")
        .await
        .unwrap_err();
    assert!(err.is_context_too_long());
    match err {
        LlmError::ContextTooLong {
            prompt_tokens,
            max_context,
            ..
        } => {
            assert_eq!((prompt_tokens, max_context), (Some(9000), Some(8192)));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(server.hits(), 1, "not retried");
    assert_eq!(
        client.context_length("s").await,
        Some(8192),
        "learned from the message"
    );
}

#[tokio::test]
async fn oversized_max_tokens_is_clamped_to_the_room_left() {
    let opts = LocalServerOptions {
        max_model_len: 1000,
        ..LocalServerOptions::default()
    };
    let server = LocalServer::start_with(|_: &Value| Ok("fits".to_string()), opts).unwrap();
    let client = client_for(&[&server.base_url()], fast_options());
    assert_eq!(
        client.context_length("s").await,
        Some(1000),
        "from GET /models"
    );
    let r = client
        .chat(
            &[Message::user_text("question")],
            &RoleParams::new(131_072, 0.6),
            "s",
        )
        .await
        .unwrap();
    assert_eq!(r.content, "fits");
    let room = 1000 - r.usage.prompt_tokens;
    assert_eq!(r.max_tokens_clamped_to, Some(room as u32));
    assert_eq!(server.request_count(), 2);

    // A prompt that alone overflows is the caller's problem.
    let huge = "x".repeat(8000);
    let err = client
        .chat(&[Message::user_text(huge)], &RoleParams::new(10, 0.6), "s")
        .await
        .unwrap_err();
    assert!(err.is_context_too_long(), "{err:?}");
}

#[tokio::test]
async fn empty_choices_are_retried() {
    let server = FaultServer::start(|n, _, _| {
        if n == 0 {
            json_reply(200, json!({"id": "x", "choices": []}))
        } else {
            json_reply(200, completion("filled"))
        }
    })
    .await;
    let client = client_for(&[&server.base_url], fast_options());
    let r = client
        .chat(&[Message::user_text("q")], &params(), "s")
        .await
        .unwrap();
    assert_eq!((r.content.as_str(), r.attempts), ("filled", 2));
}

#[tokio::test]
async fn slow_but_steady_stream_survives_stalled_stream_times_out() {
    // 15 frames 50 ms apart: 0.75 s in total, well above the 400 ms silence limit, yet never
    // silent for long (8x margin for a loaded machine).
    let pieces: Vec<String> = (0..12).map(|i| format!("p{i} ")).collect();
    let refs: Vec<&str> = pieces.iter().map(String::as_str).collect();
    let frames = sse_frames(&refs);
    let slow = FaultServer::start(move |_, _, _| Reply::Sse {
        frames: frames.clone(),
        interval: Duration::from_millis(50),
        stall: false,
    })
    .await;
    let mut o = fast_options();
    o.idle_timeout = Duration::from_millis(400);
    o.first_byte_timeout = Duration::from_millis(400);
    let client = client_for(&[&slow.base_url], o.clone());
    let r = client
        .chat(&[Message::user_text("q")], &params(), "s")
        .await
        .unwrap();
    assert_eq!(r.content, pieces.concat().trim());
    assert_eq!((r.attempts, slow.hits()), (1, 1));
    assert_eq!(r.usage.completion_tokens, 12);

    let stalled = FaultServer::start(|_, _, _| Reply::Sse {
        frames: sse_frames(&["start"])[..1].to_vec(),
        interval: Duration::from_millis(1),
        stall: true,
    })
    .await;
    o.retry.max_attempts = 2;
    let client = client_for(&[&stalled.base_url], o);
    let err = client
        .chat(&[Message::user_text("q")], &params(), "s")
        .await
        .unwrap_err();
    assert!(matches!(err.root(), LlmError::Timeout { .. }), "{err:?}");
    assert_eq!(stalled.hits(), 2);
}

#[tokio::test]
async fn keep_alive_trickle_without_events_is_a_stall() {
    // A slow-loris: one real event, then a keep-alive comment every 30 ms for 6 s. Bytes keep
    // arriving, progress does not; the silence limit counts from the last complete event.
    let mut frames = sse_frames(&["start"])[..1].to_vec();
    frames.extend(std::iter::repeat_n(": keep-alive\n\n".to_owned(), 200));
    let trickle = FaultServer::start(move |_, _, _| Reply::Sse {
        frames: frames.clone(),
        interval: Duration::from_millis(30),
        stall: true,
    })
    .await;
    let mut o = fast_options();
    o.idle_timeout = Duration::from_millis(400);
    o.retry.max_attempts = 1;
    let client = client_for(&[&trickle.base_url], o);
    let err = client
        .chat(&[Message::user_text("q")], &params(), "s")
        .await
        .unwrap_err();
    let LlmError::Timeout { message, .. } = err.root() else {
        panic!("{err:?}")
    };
    assert!(message.contains("no progress"), "{message}");
    assert_eq!(trickle.hits(), 1);
}

#[tokio::test]
async fn call_deadline_bounds_the_whole_call() {
    let stalled = FaultServer::start(|_, _, _| Reply::Sse {
        frames: Vec::new(),
        interval: Duration::from_millis(1),
        stall: true,
    })
    .await;
    let mut o = fast_options();
    o.call_deadline = Some(Duration::from_millis(150));
    let client = client_for(&[&stalled.base_url], o);
    let err = client
        .chat(&[Message::user_text("q")], &params(), "s")
        .await
        .unwrap_err();
    assert!(matches!(err, LlmError::DeadlineExceeded(_)), "{err:?}");
    assert_eq!(client.usage("s").unwrap().failed_calls, 1);
}

#[tokio::test]
async fn truncated_stream_is_retried() {
    let server = FaultServer::start(|n, _, _| {
        let mut frames = sse_frames(&["whole"]);
        if n == 0 {
            frames.truncate(1); // content then EOF: no finish, no [DONE]
        }
        Reply::Sse {
            frames,
            interval: Duration::from_millis(1),
            stall: false,
        }
    })
    .await;
    let client = client_for(&[&server.base_url], fast_options());
    let r = client
        .chat(&[Message::user_text("q")], &params(), "s")
        .await
        .unwrap();
    assert_eq!((r.content.as_str(), r.attempts), ("whole", 2));
}

#[tokio::test]
async fn two_endpoints_one_dies_the_other_takes_over() {
    let a = LocalServer::start(|_: &Value| Ok("from a".to_string())).unwrap();
    let b = LocalServer::start(|_: &Value| Ok("from b".to_string())).unwrap();
    let urls = [a.base_url(), b.base_url()];
    let client = client_for(&[&urls[0], &urls[1]], fast_options());

    // Sticky: a session keeps its endpoint; different sessions use both.
    let mut used = std::collections::HashSet::new();
    for s in 0..16 {
        let id = format!("sample-{s}");
        let first = client
            .chat(&[Message::user_text("q")], &params(), &id)
            .await
            .unwrap();
        for _ in 0..2 {
            let again = client
                .chat(&[Message::user_text("q")], &params(), &id)
                .await
                .unwrap();
            assert_eq!(again.endpoint, first.endpoint, "session {id} moved");
        }
        used.insert(first.endpoint);
    }
    assert_eq!(used.len(), 2, "sessions spread over both endpoints");

    // Find a session that prefers `a`, then kill `a`.
    let mut on_a = None;
    for s in 0..64 {
        let id = format!("probe-{s}");
        let r = client
            .chat(&[Message::user_text("q")], &params(), &id)
            .await
            .unwrap();
        if r.endpoint == urls[0] {
            on_a = Some(id);
            break;
        }
    }
    let on_a = on_a.expect("some session prefers a");
    a.shutdown();
    let r = client
        .chat(&[Message::user_text("q")], &params(), &on_a)
        .await
        .unwrap();
    assert_eq!(r.content, "from b");
    assert_eq!(r.endpoint, urls[1]);
    assert_eq!(r.attempts, 2, "one failed attempt on a, then b");
    // `a` is now avoided without another failed attempt.
    let r = client
        .chat(&[Message::user_text("q")], &params(), &on_a)
        .await
        .unwrap();
    assert_eq!((r.endpoint.as_str(), r.attempts), (urls[1].as_str(), 1));
}

#[tokio::test]
async fn all_endpoints_dead_fails_fast_without_outage_wait() {
    let client = client_for(&[&dead_url(), &dead_url()], fast_options());
    let err = client
        .chat(&[Message::user_text("q")], &params(), "s")
        .await
        .unwrap_err();
    match err {
        LlmError::RetriesExhausted { attempts, last } => {
            assert_eq!(attempts, 4);
            assert!(matches!(*last, LlmError::Connect { .. }), "{last:?}");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn thinking_is_separated_in_every_server_style() {
    // vLLM with a reasoning parser: reasoning_content over the wire, streamed and not.
    let parser = LocalServerOptions {
        reasoning_parser: true,
        ..LocalServerOptions::default()
    };
    let with_parser = LocalServer::start_with(
        |_: &Value| Ok("<think>plan it</think>the answer".to_string()),
        parser,
    )
    .unwrap();
    // No parser: tags left in content; Gemma-style prefix.
    let raw_tags =
        LocalServer::start(|_: &Value| Ok("<think>plan it</think>the answer".to_string())).unwrap();
    let orphan =
        LocalServer::start(|_: &Value| Ok("plan it</think>\nthe answer".to_string())).unwrap();
    let gemma =
        LocalServer::start(|_: &Value| Ok("thought\nplan it\n**Purpose**\nfind".to_string()))
            .unwrap();
    for stream in [true, false] {
        let mut o = fast_options();
        o.stream = stream;
        for server in [&with_parser, &raw_tags, &orphan] {
            let client = client_for(&[&server.base_url()], o.clone());
            let r = client
                .chat(&[Message::user_text("q")], &params(), "s")
                .await
                .unwrap();
            assert_eq!(r.content, "the answer", "stream={stream}");
            assert_eq!(r.reasoning.as_deref(), Some("plan it"));
            assert!(!r.content_from_reasoning);
        }
        let client = client_for(&[&gemma.base_url()], o.clone());
        let r = client
            .chat(&[Message::user_text("q")], &params(), "s")
            .await
            .unwrap();
        assert_eq!(r.content, "**Purpose**\nfind");
        assert_eq!(r.reasoning.as_deref(), Some("plan it"));
    }
    // Only thinking, no answer: content falls back to the reasoning, flagged.
    let only = FaultServer::start(|_, _, _| {
        json_reply(
            200,
            json!({"choices": [{"message": {"content": "", "reasoning_content": "deep"},
                                            "finish_reason": "length"}]}),
        )
    })
    .await;
    let client = client_for(&[&only.base_url], fast_options());
    let r = client
        .chat(&[Message::user_text("q")], &params(), "s")
        .await
        .unwrap();
    assert_eq!(r.content, "deep");
    assert!(r.content_from_reasoning && r.is_truncated());
}

#[tokio::test]
async fn usage_is_booked_per_session_and_in_total() {
    let server = LocalServer::start(Scripted::new(["one", "two", "three"])).unwrap();
    let client = client_for(&[&server.base_url()], fast_options());
    let p = params();
    let r1 = client
        .chat(&[Message::user_text("hello there")], &p, "a")
        .await
        .unwrap();
    let r2 = client
        .chat(
            &[
                Message::user_text("hello there"),
                Message::assistant("one"),
                Message::user_text("and?"),
            ],
            &p,
            "a",
        )
        .await
        .unwrap();
    let r3 = client
        .chat(&[Message::user_text("x")], &p, "b")
        .await
        .unwrap();
    let a = client.usage("a").unwrap();
    assert_eq!(a.calls, 2);
    assert_eq!(
        a.prompt_tokens,
        r1.usage.prompt_tokens + r2.usage.prompt_tokens
    );
    assert_eq!(
        a.max_prompt_tokens,
        r2.usage.prompt_tokens.max(r1.usage.prompt_tokens)
    );
    assert_eq!(a.last_prompt_tokens, r2.usage.prompt_tokens);
    let total = client.total_usage();
    assert_eq!(total.calls, 3);
    assert_eq!(
        total.completion_tokens,
        r1.usage.completion_tokens + r2.usage.completion_tokens + r3.usage.completion_tokens
    );
    assert_eq!(client.take_usage("a"), Some(a));
    assert_eq!(client.usage("a"), None);
    assert_eq!(
        client.total_usage(),
        total,
        "popping a session keeps the totals"
    );
    // The exhausted script answers 500, retried, then given up: booked as a failure.
    let mut o = fast_options();
    o.retry.max_attempts = 2;
    let client2 = client_for(&[&server.base_url()], o);
    assert!(
        client2
            .chat(&[Message::user_text("x")], &p, "c")
            .await
            .is_err()
    );
    assert_eq!(client2.usage("c").unwrap().failed_calls, 1);
}

#[tokio::test]
async fn bearer_token_only_when_a_key_is_set() {
    let server = FaultServer::start(|_, _, headers| {
        let auth = headers
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_string());
        json_reply(200, completion(&format!("{auth:?}")))
    })
    .await;
    let keyed = LlmClient::new(
        ClientConfig::for_urls("m", [server.base_url.clone()])
            .with_api_key(ApiKey::new("sk-test"))
            .with_options(fast_options()),
    )
    .unwrap();
    let r = keyed
        .chat(&[Message::user_text("q")], &params(), "s")
        .await
        .unwrap();
    assert_eq!(r.content, "Some(\"Bearer sk-test\")");
    assert!(
        !format!("{keyed:?}").contains("sk-test"),
        "the key never shows in Debug"
    );
    let open = client_for(&[&server.base_url], fast_options());
    let r = open
        .chat(&[Message::user_text("q")], &params(), "s")
        .await
        .unwrap();
    assert_eq!(r.content, "None");
}

#[tokio::test]
async fn consecutive_user_messages_are_sent_or_merged() {
    let counts = Arc::new(AtomicUsize::new(0));
    let c2 = Arc::clone(&counts);
    let server = FaultServer::start(move |_, req, _| {
        c2.store(req["messages"].as_array().unwrap().len(), Ordering::SeqCst);
        json_reply(200, completion("ok"))
    })
    .await;
    let msgs = [
        Message::system("s"),
        Message::user_text("first"),
        Message::user_text("plan"),
        Message::user_text("go"),
    ];
    let client = client_for(&[&server.base_url], fast_options());
    client.chat(&msgs, &params(), "s").await.unwrap();
    assert_eq!(counts.load(Ordering::SeqCst), 4);
    let mut o = fast_options();
    o.merge_consecutive_messages = true;
    let client = client_for(&[&server.base_url], o);
    client.chat(&msgs, &params(), "s").await.unwrap();
    assert_eq!(counts.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn empty_model_is_discovered_from_the_server() {
    let server =
        LocalServer::start(|req: &Value| Ok(req["model"].as_str().unwrap_or("?").to_string()))
            .unwrap();
    let client = LlmClient::new(
        ClientConfig::for_urls("", [server.base_url()]).with_options(fast_options()),
    )
    .unwrap();
    let r = client
        .chat(&[Message::user_text("q")], &params(), "s")
        .await
        .unwrap();
    assert_eq!(r.content, "local-vlm");
    let report = client.check_endpoints().await.unwrap();
    assert_eq!(report.len(), 1);
    assert_eq!(report[0].models, vec!["local-vlm".to_string()]);
    assert_eq!(report[0].max_model_len, Some(262_144));
    assert!(report[0].reachable.is_ok());
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("scl-llm-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn registry_json(model: &str, servers: &[&LocalServer]) -> String {
    let mut instances = serde_json::Map::new();
    for (i, s) in servers.iter().enumerate() {
        instances.insert(
            format!("job{i}"),
            json!({"ip": "127.0.0.1", "port": s.addr().port(), "gpus": [i]}),
        );
    }
    json!({ model: instances, "other-model": {"x": {"ip": "10.9.9.9", "port": 1}} }).to_string()
}

#[tokio::test]
async fn registry_endpoints_are_read_and_refreshed() {
    let dir = temp_dir("registry");
    let path = dir.join("serve.json");
    let a = LocalServer::start(|_: &Value| Ok("a".to_string())).unwrap();
    let b = LocalServer::start(|_: &Value| Ok("b".to_string())).unwrap();
    std::fs::write(&path, registry_json("qwen", &[&a])).unwrap();
    let mut o = fast_options();
    o.registry_refresh = Duration::ZERO;
    let client = LlmClient::new(
        ClientConfig::new("qwen", EndpointSource::Registry(path.clone())).with_options(o),
    )
    .unwrap();
    assert!(
        client.endpoint_urls().is_empty(),
        "nothing read before the first call"
    );
    let r = client
        .chat(&[Message::user_text("q")], &params(), "s")
        .await
        .unwrap();
    assert_eq!(r.content, "a");
    std::fs::write(&path, registry_json("qwen", &[&b])).unwrap();
    let r = client
        .chat(&[Message::user_text("q")], &params(), "s")
        .await
        .unwrap();
    assert_eq!(r.content, "b");
    // A broken rewrite keeps the last good list.
    std::fs::write(&path, "{ half written").unwrap();
    let r = client
        .chat(&[Message::user_text("q")], &params(), "s")
        .await
        .unwrap();
    assert_eq!(r.content, "b");
    assert_eq!(client.endpoint_urls(), vec![b.base_url()]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn registry_missing_fails_clearly_or_is_waited_for() {
    let dir = temp_dir("registry-wait");
    let path = dir.join("serve.json");
    let _ = std::fs::remove_file(&path);
    let client = LlmClient::new(
        ClientConfig::new("qwen", EndpointSource::Registry(path.clone()))
            .with_options(fast_options()),
    )
    .unwrap();
    let err = client
        .chat(&[Message::user_text("q")], &params(), "s")
        .await
        .unwrap_err();
    assert!(matches!(err, LlmError::NoEndpoints(_)), "{err:?}");
    assert!(err.to_string().contains("serve.json"), "{err}");

    // With an outage budget the client polls (asynchronously) until the registry appears.
    let server = LocalServer::start(|_: &Value| Ok("up".to_string())).unwrap();
    let mut o = fast_options();
    o.outage_wait = Duration::from_secs(20);
    o.outage_poll = Duration::from_millis(10);
    let client = LlmClient::new(
        ClientConfig::new("qwen", EndpointSource::Registry(path.clone())).with_options(o),
    )
    .unwrap();
    let body = registry_json("qwen", &[&server]);
    let writer_path = path.clone();
    let writer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        tokio::fs::write(&writer_path, body).await.unwrap();
    });
    let r = client
        .chat(&[Message::user_text("q")], &params(), "s")
        .await
        .unwrap();
    assert_eq!(r.content, "up");
    writer.await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn error_event_inside_a_stream_is_classified() {
    let server = FaultServer::start(|_, _, _| Reply::Sse {
        frames: vec![format!(
            "data: {}\n\n",
            json!({"error": {"message": "maximum context length is 100 tokens", "code": 400}})
        )],
        interval: Duration::from_millis(1),
        stall: false,
    })
    .await;
    let client = client_for(&[&server.base_url], fast_options());
    let err = client
        .chat(&[Message::user_text("q")], &params(), "s")
        .await
        .unwrap_err();
    assert!(err.is_context_too_long(), "{err:?}");
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn outage_is_waited_out_once_the_server_has_worked() {
    let a = LocalServer::start(|_: &Value| Ok("before".to_string())).unwrap();
    let addr = a.addr().to_string();
    let mut o = fast_options();
    o.outage_wait = Duration::from_secs(20);
    o.outage_poll = Duration::from_millis(20);
    let client = client_for(&[&a.base_url()], o);
    let r = client
        .chat(&[Message::user_text("q")], &params(), "s")
        .await
        .unwrap();
    assert_eq!(r.content, "before");
    a.shutdown();
    // The "restarted" server comes back on the same port a little later.
    let restarter = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        FaultServer::start_on(&addr, |_, _, _| json_reply(200, completion("after"))).await
    });
    let r = client
        .chat(&[Message::user_text("q")], &params(), "s")
        .await
        .unwrap();
    assert_eq!(r.content, "after");
    assert!(
        r.attempts > 1,
        "the outage cost failed attempts: {}",
        r.attempts
    );
    drop(restarter.await.unwrap());
}

#[tokio::test]
async fn body_format_is_sniffed_when_the_content_type_does_not_say() {
    let server = FaultServer::start(|n, _, _| match n {
        0 => Reply::Raw {
            content_type: None,
            body: sse_frames(&["sse ", "body"]).concat(),
        },
        1 => Reply::Raw {
            content_type: Some("text/plain"),
            body: sse_frames(&["plain sse"]).concat(),
        },
        _ => Reply::Raw {
            content_type: None,
            body: format!("\n {}", completion("json body")),
        },
    })
    .await;
    let client = client_for(&[&server.base_url], fast_options());
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(
            client
                .chat(&[Message::user_text("q")], &params(), "s")
                .await
                .unwrap()
                .content,
        );
    }
    assert_eq!(got, ["sse body", "plain sse", "json body"]);
    assert_eq!(server.hits(), 3);
}
