//! The model a run talks to: a model JSON in the original's shape, or `scripted`, the
//! SynthSpatial reference policy served in the OpenAI wire format on 127.0.0.1.

use std::path::PathBuf;

use spatialclaw_llm::local_server::LocalServer;
use spatialclaw_llm::{ClientConfig, ClientOptions, LlmClient, ModelConfig, RoleSet};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSpec {
    /// The scripted SynthSpatial policy (no model server needed).
    Scripted,
    /// A model config file (`llm_model`, `llm_base_url`, `llm_api_key`, `roles`).
    Config(PathBuf),
}

impl ModelSpec {
    pub fn parse(s: &str) -> Self {
        if s == "scripted" {
            ModelSpec::Scripted
        } else {
            ModelSpec::Config(PathBuf::from(s))
        }
    }

    /// The name recorded in config.json.
    pub fn label(&self) -> String {
        match self {
            ModelSpec::Scripted => "scripted".into(),
            ModelSpec::Config(p) => p.display().to_string(),
        }
    }
}

/// A ready client and its role parameters (plus the local server it talks to, if scripted).
pub struct Model {
    pub client: LlmClient,
    pub roles: RoleSet,
    /// Things in the model config worth telling the user (unknown fields, which are ignored).
    pub warnings: Vec<String>,
    _server: Option<LocalServer>,
}

impl Model {
    pub fn open(spec: &ModelSpec) -> Result<Model, String> {
        match spec {
            ModelSpec::Scripted => {
                let server = LocalServer::start(|request: &serde_json::Value| {
                    let messages = request
                        .get("messages")
                        .and_then(|m| m.as_array())
                        .ok_or("request has no messages")?;
                    spatialclaw_synth::respond(messages).map_err(|e| e.to_string())
                })
                .map_err(|e| format!("cannot start the scripted model server on 127.0.0.1: {e}"))?;
                let client =
                    LlmClient::new(ClientConfig::for_urls("scripted", [server.base_url()]))
                        .map_err(|e| e.to_string())?;
                Ok(Model {
                    client,
                    roles: RoleSet::default(),
                    warnings: Vec::new(),
                    _server: Some(server),
                })
            }
            ModelSpec::Config(path) => {
                // Every ConfigError already names the file (and the field).
                let cfg = ModelConfig::load(path).map_err(|e| e.to_string())?;
                let options = cfg.client.apply(ClientOptions::default());
                let client = LlmClient::new(ClientConfig::from_model(&cfg, options))
                    .map_err(|e| e.to_string())?;
                Ok(Model {
                    client,
                    roles: cfg.roles.clone(),
                    warnings: cfg
                        .ignored_fields
                        .iter()
                        .map(|f| {
                            format!(
                                "model config {}: ignoring unknown field `{f}` (the fields are \
                                 llm_model, llm_base_url, llm_api_key, roles, client); check \
                                 its spelling",
                                path.display()
                            )
                        })
                        .collect(),
                    _server: None,
                })
            }
        }
    }
}
