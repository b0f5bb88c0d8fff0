//! Model configuration: the original project's model JSON, read as is.
//!
//! ```json
//! {
//!   "llm_model": "qwen3.6-27b",
//!   "llm_base_url": "vllm",
//!   "llm_api_key": "${NVIDIA_API_KEY:-bearer}",
//!   "roles": { "main": {"max_tokens": 131072, "temperature": 0.6, "enable_thinking": true} }
//! }
//! ```
//!
//! * `llm_base_url`: one URL, a comma-separated list of URLs (routed between with session
//!   affinity), `"vllm"` (read the instance registry `serve.json`, re-read every minute), or
//!   `"vllm:/path/to/serve.json"`.
//! * `llm_model`, `llm_base_url`, `llm_api_key` get `${VAR}` / `${VAR:-default}` expansion from
//!   the environment, falling back to the first `.env` found in the config's directory or up to
//!   six levels above it (exported variables win).
//! * A role present under `roles` REPLACES that role's parameters: fields it omits take the
//!   generic defaults (16384 tokens, T 0.6), not the role's built-in ones. Absent roles keep their
//!   built-in parameters.
//! * `client` (optional) tunes the transport for this server: `{"max_attempts": 5,
//!   "retry_base_delay_s": 1, "retry_max_delay_s": 30, "connect_timeout_s": 10,
//!   "first_byte_timeout_s": 600, "idle_timeout_s": 120, "request_timeout_s": 600,
//!   "outage_wait_s": 900, "outage_poll_s": 15, "call_deadline_s": null, "stream": true}`
//!   (the values shown are the defaults; every key is optional).
//! * With `llm_api_key` empty, `NVIDIA_API_KEY` then `OPENAI_API_KEY` are used (as the original
//!   does); with no key at all no `Authorization` header is sent.
//!
//! Environment overrides, applied by [`ModelConfig::load`] and [`ModelConfig::from_env`] after
//! the file (so they beat it; command-line flags should beat them):
//! * `SPATIALCLAW_LLM_MODEL` — replaces `llm_model`;
//! * `SPATIALCLAW_LLM_BASE_URL` — replaces `llm_base_url` (same syntax);
//! * `SPATIALCLAW_LLM_API_KEY` — replaces `llm_api_key`;
//! * `SPATIALCLAW_LLM_REGISTRY` — the `serve.json` used for `"vllm"`.
//!
//! Without `SPATIALCLAW_LLM_REGISTRY`, `"vllm"` uses the first `logs/serve.json` found in the
//! config's directory or above it (the original keeps it at `spatial_agent/logs/serve.json` and
//! its model JSONs at `spatial_agent/config/model/`), else `spatial_agent/logs/serve.json` or
//! `logs/serve.json` under the current directory.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value};

use crate::env::{Env, ExpandError, expand};
use crate::options::ClientOptions;
use crate::params::{ModelRole, RoleParams, RoleSet};

/// Why a model config could not be used. The text names the field and what to write instead.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read model config {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("model config {origin} is not valid JSON: {message}")]
    Json { origin: String, message: String },
    #[error("model config {origin}: {field}: {problem}")]
    Field {
        origin: String,
        field: String,
        problem: String,
    },
}

/// An API key; never shown by `Debug`, so configs can be logged safely.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into())
    }

    /// The secret itself, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Where the client finds its servers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointSource {
    /// Fixed base URLs (each ending in `/v1` for OpenAI-compatible servers).
    Urls(Vec<String>),
    /// A `serve.json` registry, re-read periodically.
    Registry(PathBuf),
}

/// What a model JSON (plus environment) says about the LLM.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelConfig {
    /// Model name sent in requests (the vLLM served name). Empty: ask the server (`GET /models`).
    pub model: String,
    pub endpoints: EndpointSource,
    pub api_key: Option<ApiKey>,
    pub roles: RoleSet,
    /// Transport overrides from the `client` section (timeouts, retries, outage waiting).
    pub client: ClientOverrides,
    /// Top-level keys that were ignored (reported so typos do not go unnoticed).
    pub ignored_fields: Vec<String>,
}

/// The `client` section of a model JSON: transport settings that differ per deployment (a
/// local server answers in milliseconds, a shared cluster queues for minutes). Unset keys keep
/// [`ClientOptions::default`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientOverrides {
    pub max_attempts: Option<u32>,
    pub retry_base_delay: Option<Duration>,
    pub retry_max_delay: Option<Duration>,
    pub connect_timeout: Option<Duration>,
    pub first_byte_timeout: Option<Duration>,
    pub idle_timeout: Option<Duration>,
    pub request_timeout: Option<Duration>,
    pub outage_wait: Option<Duration>,
    pub outage_poll: Option<Duration>,
    pub call_deadline: Option<Duration>,
    pub stream: Option<bool>,
}

impl ClientOverrides {
    /// `base` with the configured keys replaced.
    pub fn apply(&self, mut base: ClientOptions) -> ClientOptions {
        let set = |slot: &mut Duration, v: Option<Duration>| {
            if let Some(v) = v {
                *slot = v;
            }
        };
        if let Some(n) = self.max_attempts {
            base.retry.max_attempts = n.max(1);
        }
        set(&mut base.retry.base_delay, self.retry_base_delay);
        set(&mut base.retry.max_delay, self.retry_max_delay);
        set(&mut base.connect_timeout, self.connect_timeout);
        set(&mut base.first_byte_timeout, self.first_byte_timeout);
        set(&mut base.idle_timeout, self.idle_timeout);
        set(&mut base.request_timeout, self.request_timeout);
        set(&mut base.outage_wait, self.outage_wait);
        set(&mut base.outage_poll, self.outage_poll);
        if self.call_deadline.is_some() {
            base.call_deadline = self.call_deadline;
        }
        if let Some(s) = self.stream {
            base.stream = s;
        }
        base
    }
}

const KNOWN_TOP: [&str; 5] = [
    "llm_model",
    "llm_base_url",
    "llm_api_key",
    "roles",
    "client",
];
const KNOWN_CLIENT_FIELDS: [&str; 11] = [
    "max_attempts",
    "retry_base_delay_s",
    "retry_max_delay_s",
    "connect_timeout_s",
    "first_byte_timeout_s",
    "idle_timeout_s",
    "request_timeout_s",
    "outage_wait_s",
    "outage_poll_s",
    "call_deadline_s",
    "stream",
];
const KNOWN_ROLE_FIELDS: [&str; 9] = [
    "max_tokens",
    "temperature",
    "top_p",
    "top_k",
    "min_p",
    "presence_penalty",
    "repetition_penalty",
    "enable_thinking",
    "extra",
];

impl ModelConfig {
    /// A config for fixed URLs and default roles (tests, the demo, `--base-url` style flags).
    pub fn for_urls(model: impl Into<String>, urls: Vec<String>) -> Self {
        ModelConfig {
            model: model.into(),
            endpoints: EndpointSource::Urls(urls),
            api_key: None,
            roles: RoleSet::default(),
            client: ClientOverrides::default(),
            ignored_fields: Vec::new(),
        }
    }

    /// Reads a model JSON with the process environment (plus `.env` above the file) and applies
    /// the `SPATIALCLAW_LLM_*` overrides.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let env = Env::process().with_dotenv_above(dir);
        let env = match std::env::current_dir() {
            Ok(cwd) => env.with_dotenv_above(&cwd),
            Err(_) => env,
        };
        let mut cfg = Self::parse(&text, &path.display().to_string(), Some(dir), &env)?;
        cfg.apply_env_overrides(&env, Some(dir))?;
        Ok(cfg)
    }

    /// A config from `SPATIALCLAW_LLM_*` variables alone (no model JSON).
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let Some(base) = env.get_nonempty("SPATIALCLAW_LLM_BASE_URL") else {
            return Err(ConfigError::Field {
                origin: "environment".into(),
                field: "SPATIALCLAW_LLM_BASE_URL".into(),
                problem: "not set; pass a model JSON or set it to a URL like \
                          http://localhost:8000/v1"
                    .into(),
            });
        };
        let mut cfg = ModelConfig::for_urls("", Vec::new());
        cfg.endpoints =
            parse_base_url(&base, "environment", "SPATIALCLAW_LLM_BASE_URL", None, env)?;
        cfg.api_key = fallback_key(env);
        cfg.apply_env_overrides(env, None)?;
        Ok(cfg)
    }

    /// Parses model JSON text. `origin` names it in errors; `dir` anchors relative paths and the
    /// registry search. Does not apply the environment overrides.
    pub fn parse(
        text: &str,
        origin: &str,
        dir: Option<&Path>,
        env: &Env,
    ) -> Result<Self, ConfigError> {
        let root: Value = serde_json::from_str(text).map_err(|e| ConfigError::Json {
            origin: origin.to_owned(),
            message: e.to_string(),
        })?;
        let field_err = |field: &str, problem: String| ConfigError::Field {
            origin: origin.to_owned(),
            field: field.to_owned(),
            problem,
        };
        let Some(obj) = root.as_object() else {
            return Err(field_err(
                "(top level)",
                "must be a JSON object with llm_model, llm_base_url, llm_api_key and roles".into(),
            ));
        };
        let string_field = |key: &str| -> Result<Option<String>, ConfigError> {
            match obj.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => expand(s, env)
                    .map(Some)
                    .map_err(|e| field_err(key, expand_problem(e))),
                Some(other) => Err(field_err(
                    key,
                    format!("expected a string, got {}", kind(other)),
                )),
            }
        };
        let model = string_field("llm_model")?
            .unwrap_or_default()
            .trim()
            .to_owned();
        let base = string_field("llm_base_url")?.unwrap_or_default();
        if base.trim().is_empty() {
            return Err(field_err(
                "llm_base_url",
                "missing or empty; set it to a URL like \"http://localhost:8000/v1\", a \
                 comma-separated list of URLs, or \"vllm\" to read the serve.json registry"
                    .into(),
            ));
        }
        let endpoints = parse_base_url(&base, origin, "llm_base_url", dir, env)?;
        let api_key = match string_field("llm_api_key")? {
            Some(k) if !k.trim().is_empty() => Some(ApiKey::new(k.trim())),
            _ => fallback_key(env),
        };
        let roles = match obj.get("roles") {
            None | Some(Value::Null) => RoleSet::default(),
            Some(Value::Object(roles)) => parse_roles(roles, origin)?,
            Some(other) => {
                return Err(field_err(
                    "roles",
                    format!(
                        "expected an object of role name → parameters, got {}",
                        kind(other)
                    ),
                ));
            }
        };
        let client = match obj.get("client") {
            None | Some(Value::Null) => ClientOverrides::default(),
            Some(Value::Object(c)) => parse_client(c, origin)?,
            Some(other) => {
                return Err(field_err(
                    "client",
                    format!(
                        "expected an object such as {{\"max_attempts\": 3, \"idle_timeout_s\": 60}}, got {}",
                        kind(other)
                    ),
                ));
            }
        };
        let ignored_fields: Vec<String> = obj
            .keys()
            .filter(|k| !KNOWN_TOP.contains(&k.as_str()))
            .cloned()
            .collect();
        for key in &ignored_fields {
            tracing::warn!(origin, field = %key, "ignoring unknown model-config field (known: {})", KNOWN_TOP.join(", "));
        }
        Ok(ModelConfig {
            model,
            endpoints,
            api_key,
            roles,
            client,
            ignored_fields,
        })
    }

    /// Applies `SPATIALCLAW_LLM_MODEL`, `SPATIALCLAW_LLM_BASE_URL`, `SPATIALCLAW_LLM_API_KEY` and
    /// `SPATIALCLAW_LLM_REGISTRY`.
    pub fn apply_env_overrides(
        &mut self,
        env: &Env,
        dir: Option<&Path>,
    ) -> Result<(), ConfigError> {
        if let Some(m) = env.get_nonempty("SPATIALCLAW_LLM_MODEL") {
            self.model = m.trim().to_owned();
        }
        if let Some(base) = env.get_nonempty("SPATIALCLAW_LLM_BASE_URL") {
            self.endpoints =
                parse_base_url(&base, "environment", "SPATIALCLAW_LLM_BASE_URL", dir, env)?;
        } else if let (EndpointSource::Registry(path), Some(reg)) = (
            &mut self.endpoints,
            env.get_nonempty("SPATIALCLAW_LLM_REGISTRY"),
        ) {
            *path = PathBuf::from(reg.trim());
        }
        if let Some(key) = env.get_nonempty("SPATIALCLAW_LLM_API_KEY") {
            self.api_key = Some(ApiKey::new(key.trim()));
        }
        Ok(())
    }
}

fn parse_client(c: &Map<String, Value>, origin: &str) -> Result<ClientOverrides, ConfigError> {
    let err = |key: &str, problem: String| ConfigError::Field {
        origin: origin.to_owned(),
        field: format!("client.{key}"),
        problem,
    };
    if let Some(unknown) = c
        .keys()
        .find(|k| !KNOWN_CLIENT_FIELDS.contains(&k.as_str()))
    {
        return Err(err(
            unknown,
            format!("unknown key; known: {}", KNOWN_CLIENT_FIELDS.join(", ")),
        ));
    }
    let secs = |key: &str| -> Result<Option<Duration>, ConfigError> {
        match c.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => match v.as_f64() {
                Some(s) if s.is_finite() && (0.0..=1e7).contains(&s) => {
                    Ok(Some(Duration::from_secs_f64(s)))
                }
                _ => Err(err(
                    key,
                    format!("expected seconds as a number from 0 to 1e7, got {v}"),
                )),
            },
        }
    };
    let max_attempts = match c.get("max_attempts") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .filter(|n| (1..=100).contains(n))
                .map(|n| n as u32)
                .ok_or_else(|| {
                    err(
                        "max_attempts",
                        format!("expected a whole number from 1 to 100, got {v}"),
                    )
                })?,
        ),
    };
    let stream = match c.get("stream") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(v) => return Err(err("stream", format!("expected true or false, got {v}"))),
    };
    Ok(ClientOverrides {
        max_attempts,
        retry_base_delay: secs("retry_base_delay_s")?,
        retry_max_delay: secs("retry_max_delay_s")?,
        connect_timeout: secs("connect_timeout_s")?,
        first_byte_timeout: secs("first_byte_timeout_s")?,
        idle_timeout: secs("idle_timeout_s")?,
        request_timeout: secs("request_timeout_s")?,
        outage_wait: secs("outage_wait_s")?,
        outage_poll: secs("outage_poll_s")?,
        call_deadline: secs("call_deadline_s")?,
        stream,
    })
}

fn fallback_key(env: &Env) -> Option<ApiKey> {
    ["NVIDIA_API_KEY", "OPENAI_API_KEY"]
        .iter()
        .find_map(|v| env.get_nonempty(v))
        .map(|k| ApiKey::new(k.trim()))
}

fn expand_problem(e: ExpandError) -> String {
    match e {
        ExpandError::Unset(v) => format!(
            "environment variable {v} is not set; export it, add it to .env, or write \
             ${{{v}:-default}} to give a fallback"
        ),
        ExpandError::Unterminated => "a \"${\" has no closing \"}\"".into(),
        ExpandError::BadName(n) => {
            format!("\"${{{n}}}\" is not a variable reference; use ${{NAME}} or ${{NAME:-default}}")
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn parse_base_url(
    base: &str,
    origin: &str,
    field: &str,
    dir: Option<&Path>,
    env: &Env,
) -> Result<EndpointSource, ConfigError> {
    let base = base.trim();
    let err = |problem: String| ConfigError::Field {
        origin: origin.to_owned(),
        field: field.to_owned(),
        problem,
    };
    if base == "vllm" {
        let path = match env.get_nonempty("SPATIALCLAW_LLM_REGISTRY") {
            Some(p) => PathBuf::from(p.trim()),
            None => find_registry(dir),
        };
        return Ok(EndpointSource::Registry(path));
    }
    if let Some(path) = base.strip_prefix("vllm:") {
        let path = PathBuf::from(path.trim());
        if path.as_os_str().is_empty() {
            return Err(err(
                "\"vllm:\" needs a registry path, e.g. \"vllm:/shared/serve.json\"".into(),
            ));
        }
        let path = match dir {
            Some(d) if path.is_relative() => d.join(path),
            _ => path,
        };
        return Ok(EndpointSource::Registry(path));
    }
    let mut urls: Vec<String> = Vec::new();
    for part in base.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let valid = ["http://", "https://"]
            .iter()
            .any(|s| part.len() > s.len() && part.starts_with(s));
        if !valid || part.contains(char::is_whitespace) {
            return Err(err(format!(
                "{part:?} is not an http(s) URL; write e.g. \"http://localhost:8000/v1\" (a \
                 comma-separated list for several servers, or \"vllm\" for the registry)"
            )));
        }
        let url = part.trim_end_matches('/').to_owned();
        if !urls.contains(&url) {
            urls.push(url);
        }
    }
    if urls.is_empty() {
        return Err(err("no URL given".into()));
    }
    Ok(EndpointSource::Urls(urls))
}

/// The registry path for `"vllm"`: see the module docs.
fn find_registry(dir: Option<&Path>) -> PathBuf {
    if let Some(dir) = dir {
        for d in dir.ancestors().take(7) {
            let candidate = d.join("logs").join("serve.json");
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    let nested = Path::new("spatial_agent").join("logs").join("serve.json");
    if nested.is_file() {
        return nested;
    }
    Path::new("logs").join("serve.json")
}

fn parse_roles(roles: &Map<String, Value>, origin: &str) -> Result<RoleSet, ConfigError> {
    let mut set = RoleSet::default();
    for (name, value) in roles {
        let Some(role) = ModelRole::from_key(name) else {
            let known: Vec<&str> = ModelRole::ALL.iter().map(|r| r.key()).collect();
            return Err(ConfigError::Field {
                origin: origin.to_owned(),
                field: format!("roles.{name}"),
                problem: format!("unknown role; the roles are {}", known.join(", ")),
            });
        };
        match value {
            Value::Null => {}
            Value::Object(fields) => {
                *set.get_mut(role) = parse_role(fields, origin, name)?;
            }
            other => {
                return Err(ConfigError::Field {
                    origin: origin.to_owned(),
                    field: format!("roles.{name}"),
                    problem: format!("expected an object of parameters, got {}", kind(other)),
                });
            }
        }
    }
    Ok(set)
}

/// One role object on top of the GENERIC defaults (a present role replaces the whole object).
fn parse_role(
    fields: &Map<String, Value>,
    origin: &str,
    role: &str,
) -> Result<RoleParams, ConfigError> {
    let mut p = RoleParams::default();
    let err = |key: &str, problem: String| ConfigError::Field {
        origin: origin.to_owned(),
        field: format!("roles.{role}.{key}"),
        problem,
    };
    let number = |key: &str, v: &Value, lo: f64, hi: f64| -> Result<f64, ConfigError> {
        match v.as_f64() {
            Some(x) if x.is_finite() && x >= lo && x <= hi => Ok(x),
            Some(x) => Err(err(
                key,
                format!("{x} is out of range; expected {lo} to {hi}"),
            )),
            None => Err(err(key, format!("expected a number, got {}", kind(v)))),
        }
    };
    let integer = |key: &str, v: &Value, lo: i64, hi: i64| -> Result<i64, ConfigError> {
        let x = v.as_i64().or_else(|| {
            v.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        });
        match x {
            Some(x) if x >= lo && x <= hi => Ok(x),
            Some(x) => Err(err(
                key,
                format!("{x} is out of range; expected {lo} to {hi}"),
            )),
            None => Err(err(key, format!("expected an integer, got {}", kind(v)))),
        }
    };
    for (key, v) in fields {
        if v.is_null() {
            continue; // null = not set, as in the original's dataclass.
        }
        match key.as_str() {
            "max_tokens" => {
                p.max_tokens = integer(key, v, 1, i64::from(u32::MAX))? as u32;
            }
            "temperature" => p.temperature = number(key, v, 0.0, 100.0)?,
            "top_p" => p.top_p = Some(number(key, v, 0.0, 1.0)?),
            "top_k" => p.top_k = Some(integer(key, v, -1, i64::from(u32::MAX))?),
            "min_p" => p.min_p = Some(number(key, v, 0.0, 1.0)?),
            "presence_penalty" => p.presence_penalty = Some(number(key, v, -2.0, 2.0)?),
            "repetition_penalty" => {
                p.repetition_penalty = Some(number(key, v, f64::MIN_POSITIVE, 100.0)?);
            }
            "enable_thinking" => match v {
                Value::Bool(b) => p.enable_thinking = Some(*b),
                other => {
                    return Err(err(
                        key,
                        format!("expected true or false, got {}", kind(other)),
                    ));
                }
            },
            "extra" => match v {
                Value::Object(m) => p.extra = m.clone(),
                other => {
                    return Err(err(
                        key,
                        format!(
                            "expected an object of extra request fields, got {}",
                            kind(other)
                        ),
                    ));
                }
            },
            unknown => {
                return Err(err(
                    unknown,
                    format!(
                        "unknown parameter; known: {}. Put server-specific request fields \
                         under \"extra\"",
                        KNOWN_ROLE_FIELDS.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(p)
}
