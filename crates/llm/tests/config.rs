//! Model JSON parsing: the original's files as they are, expansion, role replacement, errors.

use std::path::{Path, PathBuf};

use spatialclaw_llm::{ConfigError, EndpointSource, Env, ModelConfig, ModelRole, RoleParams};

fn parse(text: &str, env: &Env) -> Result<ModelConfig, ConfigError> {
    ModelConfig::parse(text, "model.json", None, env)
}

fn no_env() -> Env {
    Env::from_vars::<[(&str, &str); 0], &str, &str>([])
}

fn field_error(text: &str) -> (String, String) {
    match parse(text, &no_env()).unwrap_err() {
        ConfigError::Field { field, problem, .. } => (field, problem),
        other => panic!("expected a field error, got {other:?}"),
    }
}

/// Shaped like the original's shipped model JSONs.
const SHIPPED: &str = r#"{
  "llm_model": "qwen3.6-27b",
  "llm_base_url": "vllm",
  "llm_api_key": "bearer",
  "roles": {
    "main":          {"max_tokens": 131072, "temperature": 0.6, "enable_thinking": true},
    "planning":      {"max_tokens": 131072, "temperature": 0.6, "enable_thinking": true},
    "general":       {"max_tokens": 131072, "temperature": 0.6, "enable_thinking": true},
    "vlm":           {"max_tokens": 32768,  "temperature": 0.6, "enable_thinking": true},
    "vlm_grounding": {"max_tokens": 16384,  "temperature": 0.6, "enable_thinking": true}
  }
}"#;

#[test]
fn shipped_shape_parses() {
    let env = Env::from_vars([("SPATIALCLAW_LLM_REGISTRY", "/shared/serve.json")]);
    let cfg = parse(SHIPPED, &env).unwrap();
    assert_eq!(cfg.model, "qwen3.6-27b");
    assert_eq!(
        cfg.endpoints,
        EndpointSource::Registry(PathBuf::from("/shared/serve.json"))
    );
    assert_eq!(cfg.api_key.as_ref().map(|k| k.expose()), Some("bearer"));
    assert_eq!(cfg.roles.main.max_tokens, 131072);
    assert_eq!(cfg.roles.vlm.max_tokens, 32768);
    assert_eq!(cfg.roles.general.enable_thinking, Some(true));
    // Reflection is absent: it keeps its built-in parameters.
    assert_eq!(cfg.roles.reflection, ModelRole::Reflection.default_params());
    assert!(cfg.ignored_fields.is_empty());
    assert!(
        !format!("{cfg:?}").contains("bearer"),
        "keys are redacted in Debug"
    );
}

#[test]
fn present_role_replaces_the_whole_object() {
    let cfg = parse(
        r#"{"llm_base_url": "http://h:8000/v1", "roles": {"vlm": {"top_p": 0.9}, "planning": null}}"#,
        &no_env(),
    )
    .unwrap();
    // vlm's built-ins are 16384 / T 0.1 / thinking on; a present role falls back to the generic
    // 16384 / T 0.6 / thinking unset instead.
    let vlm = &cfg.roles.vlm;
    assert_eq!(vlm.max_tokens, 16384);
    assert_eq!(vlm.temperature, 0.6);
    assert_eq!(vlm.enable_thinking, None);
    assert_eq!(vlm.top_p, Some(0.9));
    assert_eq!(
        cfg.roles.planning,
        ModelRole::Planning.default_params(),
        "null = absent"
    );
    assert_eq!(RoleParams::default().max_tokens, 16384);
}

#[test]
fn role_extras_and_all_fields() {
    let cfg = parse(
        r#"{"llm_base_url": "http://h/v1", "roles": {"main": {"max_tokens": 1000.0,
            "temperature": 0, "top_p": 1, "top_k": -1, "min_p": 0.05, "presence_penalty": 1.5,
            "repetition_penalty": 1.05, "enable_thinking": false, "extra": {"seed": 3}}}}"#,
        &no_env(),
    )
    .unwrap();
    let m = &cfg.roles.main;
    assert_eq!(
        (m.max_tokens, m.temperature, m.top_k),
        (1000, 0.0, Some(-1))
    );
    assert_eq!(
        (m.min_p, m.presence_penalty, m.repetition_penalty),
        (Some(0.05), Some(1.5), Some(1.05))
    );
    assert_eq!(m.extra["seed"], 3);
}

#[test]
fn variables_expand_with_defaults() {
    let env = Env::from_vars([("MY_KEY", "sk-123"), ("HOST", "10.0.0.7")]);
    let cfg = parse(
        r#"{"llm_model": "${MODEL:-qwen}", "llm_base_url": "http://${HOST}:8000/v1, http://${HOST2:-10.0.0.8}:8000/v1/",
            "llm_api_key": "${MY_KEY}"}"#,
        &env,
    )
    .unwrap();
    assert_eq!(cfg.model, "qwen");
    assert_eq!(
        cfg.endpoints,
        EndpointSource::Urls(vec![
            "http://10.0.0.7:8000/v1".into(),
            "http://10.0.0.8:8000/v1".into()
        ])
    );
    assert_eq!(cfg.api_key.unwrap().expose(), "sk-123");
}

#[test]
fn unset_variable_names_field_and_fix() {
    let (field, problem) =
        field_error(r#"{"llm_base_url": "http://h/v1", "llm_api_key": "${NOPE_KEY}"}"#);
    assert_eq!(field, "llm_api_key");
    assert!(
        problem.contains("NOPE_KEY") && problem.contains("${NOPE_KEY:-default}"),
        "{problem}"
    );
}

#[test]
fn key_fallbacks_and_absence() {
    let cfg = parse(
        r#"{"llm_base_url": "http://h/v1", "llm_api_key": ""}"#,
        &Env::from_vars([("OPENAI_API_KEY", "sk-o")]),
    )
    .unwrap();
    assert_eq!(cfg.api_key.unwrap().expose(), "sk-o");
    let cfg = parse(r#"{"llm_base_url": "http://h/v1"}"#, &no_env()).unwrap();
    assert!(cfg.api_key.is_none());
}

#[test]
fn clear_errors_for_bad_fields() {
    let cases: &[(&str, &str, &str)] = &[
        (r#"{"llm_model": "m"}"#, "llm_base_url", "vllm"),
        (
            r#"{"llm_base_url": "localhost:8000"}"#,
            "llm_base_url",
            "http://localhost:8000/v1",
        ),
        (
            r#"{"llm_base_url": 5}"#,
            "llm_base_url",
            "expected a string",
        ),
        (
            r#"{"llm_base_url": "vllm:"}"#,
            "llm_base_url",
            "registry path",
        ),
        (
            r#"{"llm_base_url": "http://h/v1", "roles": []}"#,
            "roles",
            "object",
        ),
        (
            r#"{"llm_base_url": "http://h/v1", "roles": {"mian": {}}}"#,
            "roles.mian",
            "main, planning",
        ),
        (
            r#"{"llm_base_url": "http://h/v1", "roles": {"main": 3}}"#,
            "roles.main",
            "object of parameters",
        ),
        (
            r#"{"llm_base_url": "http://h/v1", "roles": {"main": {"max_token": 5}}}"#,
            "roles.main.max_token",
            "extra",
        ),
        (
            r#"{"llm_base_url": "http://h/v1", "roles": {"main": {"max_tokens": 0}}}"#,
            "roles.main.max_tokens",
            "out of range",
        ),
        (
            r#"{"llm_base_url": "http://h/v1", "roles": {"main": {"max_tokens": "many"}}}"#,
            "roles.main.max_tokens",
            "integer",
        ),
        (
            r#"{"llm_base_url": "http://h/v1", "roles": {"vlm": {"top_p": 1.5}}}"#,
            "roles.vlm.top_p",
            "0 to 1",
        ),
        (
            r#"{"llm_base_url": "http://h/v1", "roles": {"vlm": {"enable_thinking": "yes"}}}"#,
            "roles.vlm.enable_thinking",
            "true or false",
        ),
        (
            r#"{"llm_base_url": "http://h/v1", "llm_model": "${A"}"#,
            "llm_model",
            "closing",
        ),
    ];
    for (text, want_field, want_hint) in cases {
        let (field, problem) = field_error(text);
        assert_eq!(&field, want_field, "for {text}");
        assert!(problem.contains(want_hint), "for {text}: {problem}");
    }
    let err = parse("{not json", &no_env()).unwrap_err();
    assert!(matches!(err, ConfigError::Json { .. }));
    assert!(err.to_string().contains("model.json"));
    let err = parse("[1]", &no_env()).unwrap_err();
    assert!(err.to_string().contains("llm_base_url"), "{err}");
}

#[test]
fn unknown_top_level_keys_are_reported_not_fatal() {
    let cfg = parse(
        r#"{"llm_base_url": "http://h/v1", "description": "x"}"#,
        &no_env(),
    )
    .unwrap();
    assert_eq!(cfg.ignored_fields, vec!["description".to_string()]);
}

#[test]
fn environment_overrides_apply() {
    let env = Env::from_vars([
        ("SPATIALCLAW_LLM_MODEL", "override-model"),
        ("SPATIALCLAW_LLM_BASE_URL", "http://a/v1,http://b/v1"),
        ("SPATIALCLAW_LLM_API_KEY", "sk-env"),
    ]);
    let mut cfg = parse(SHIPPED, &env).unwrap();
    cfg.apply_env_overrides(&env, None).unwrap();
    assert_eq!(cfg.model, "override-model");
    assert_eq!(
        cfg.endpoints,
        EndpointSource::Urls(vec!["http://a/v1".into(), "http://b/v1".into()])
    );
    assert_eq!(cfg.api_key.unwrap().expose(), "sk-env");

    let bad = Env::from_vars([("SPATIALCLAW_LLM_BASE_URL", "nope")]);
    let mut cfg = parse(SHIPPED, &no_env()).unwrap();
    let err = cfg.apply_env_overrides(&bad, None).unwrap_err();
    assert!(
        err.to_string().contains("SPATIALCLAW_LLM_BASE_URL"),
        "{err}"
    );

    let cfg = ModelConfig::from_env(&Env::from_vars([(
        "SPATIALCLAW_LLM_BASE_URL",
        "http://x/v1",
    )]))
    .unwrap();
    assert_eq!(
        cfg.endpoints,
        EndpointSource::Urls(vec!["http://x/v1".into()])
    );
    assert!(ModelConfig::from_env(&no_env()).is_err());
}

#[test]
fn load_from_disk_finds_registry_and_dotenv() {
    // Mirrors the original layout: <repo>/.env, <repo>/spatial_agent/{config/model, logs}.
    let root = std::env::temp_dir().join(format!("scl-llm-cfg-{}", std::process::id()));
    let model_dir = root.join("spatial_agent/config/model");
    let logs = root.join("spatial_agent/logs");
    std::fs::create_dir_all(&model_dir).unwrap();
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(logs.join("serve.json"), "{}").unwrap();
    std::fs::write(root.join(".env"), "SCL_TEST_ONLY_KEY=from-dotenv\n").unwrap();
    let path = model_dir.join("m.json");
    std::fs::write(
        &path,
        r#"{"llm_model": "m", "llm_base_url": "vllm", "llm_api_key": "${SCL_TEST_ONLY_KEY}"}"#,
    )
    .unwrap();
    let cfg = ModelConfig::load(&path).unwrap();
    assert_eq!(cfg.api_key.unwrap().expose(), "from-dotenv");
    match cfg.endpoints {
        // Unless the machine running the tests sets SPATIALCLAW_LLM_REGISTRY.
        EndpointSource::Registry(p) if std::env::var_os("SPATIALCLAW_LLM_REGISTRY").is_none() => {
            assert_eq!(p, logs.join("serve.json"));
        }
        EndpointSource::Registry(_) => {}
        other => panic!("unexpected {other:?}"),
    }
    std::fs::write(&path, r#"{"llm_base_url": "vllm:../../logs/serve.json"}"#).unwrap();
    let cfg = ModelConfig::load(&path).unwrap();
    if std::env::var_os("SPATIALCLAW_LLM_BASE_URL").is_none() {
        assert_eq!(
            cfg.endpoints,
            EndpointSource::Registry(model_dir.join("../../logs/serve.json"))
        );
    }
    let err = ModelConfig::load(Path::new("/nonexistent/model.json")).unwrap_err();
    assert!(matches!(err, ConfigError::Read { .. }));
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn client_section_sets_transport_options() {
    use spatialclaw_llm::ClientOptions;
    use std::time::Duration;
    let cfg = parse(
        r#"{"llm_base_url": "http://h/v1", "client": {"max_attempts": 2, "idle_timeout_s": 1.5,
            "retry_base_delay_s": 0.01, "outage_wait_s": 0, "call_deadline_s": 30, "stream": false}}"#,
        &no_env(),
    )
    .unwrap();
    assert!(cfg.ignored_fields.is_empty());
    let o = cfg.client.apply(ClientOptions::default());
    assert_eq!(o.retry.max_attempts, 2);
    assert_eq!(o.idle_timeout, Duration::from_millis(1500));
    assert_eq!(o.retry.base_delay, Duration::from_millis(10));
    assert_eq!(o.outage_wait, Duration::ZERO);
    assert_eq!(o.call_deadline, Some(Duration::from_secs(30)));
    assert!(!o.stream);
    // Unset keys keep the defaults.
    assert_eq!(
        o.first_byte_timeout,
        ClientOptions::default().first_byte_timeout
    );

    let (field, problem) =
        field_error(r#"{"llm_base_url": "http://h/v1", "client": {"idle_timeout": 3}}"#);
    assert_eq!(field, "client.idle_timeout");
    assert!(problem.contains("idle_timeout_s"), "{problem}");
    let (field, problem) =
        field_error(r#"{"llm_base_url": "http://h/v1", "client": {"max_attempts": 0}}"#);
    assert_eq!(field, "client.max_attempts");
    assert!(problem.contains("1 to 100"), "{problem}");
    let (field, _) =
        field_error(r#"{"llm_base_url": "http://h/v1", "client": {"idle_timeout_s": -1}}"#);
    assert_eq!(field, "client.idle_timeout_s");
}

/// Bad input (docs/reliability.md): a malformed model config on disk names the file and the field
/// for an unknown field, a value of the wrong type, a missing required field and broken JSON.
#[test]
fn malformed_config_files_name_the_file_and_the_field() {
    let dir = tempfile_dir("bad-input");
    let write = |name: &str, text: &str| -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "wrong_type.json",
            r#"{"llm_base_url": ["http://h/v1"]}"#,
            &["llm_base_url", "expected a string, got an array"],
        ),
        (
            "missing.json",
            r#"{"llm_model": "m", "llm_api_key": "k"}"#,
            &["llm_base_url", "missing or empty"],
        ),
        (
            "unknown_role_field.json",
            r#"{"llm_base_url": "http://h/v1", "roles": {"vlm": {"temprature": 0.2}}}"#,
            &["roles.vlm.temprature", "unknown parameter", "temperature"],
        ),
        (
            "role_wrong_type.json",
            r#"{"llm_base_url": "http://h/v1", "roles": {"main": {"max_tokens": true}}}"#,
            &[
                "roles.main.max_tokens",
                "expected an integer, got a boolean",
            ],
        ),
        (
            "broken.json",
            r#"{"llm_base_url": "http://h/v1",,}"#,
            &["not valid JSON", "line 1"],
        ),
        ("empty.json", "", &["not valid JSON"]),
    ];
    for (name, text, wants) in cases {
        let path = write(name, text);
        let msg = ModelConfig::load(&path).unwrap_err().to_string();
        assert!(msg.contains(&path.display().to_string()), "{name}: {msg}");
        for w in *wants {
            assert!(msg.contains(w), "{name}: {msg:?} lacks {w:?}");
        }
    }
    // An unknown top-level field is kept as a warning (the original's files carry extra keys).
    let path = write(
        "typo.json",
        r#"{"llm_base_url": "http://h/v1", "llm_api_kye": "secret"}"#,
    );
    let cfg = ModelConfig::load(&path).unwrap();
    assert_eq!(cfg.ignored_fields, vec!["llm_api_kye".to_string()]);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn tempfile_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("scl-llm-cfg-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}
