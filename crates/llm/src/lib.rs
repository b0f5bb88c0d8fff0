//! OpenAI-compatible chat client for SpatialClaw.
//!
//! The host process owns all LLM traffic — the agent loop's own calls and the VLM questions the
//! kernel forwards — so this crate is where endpoints, credentials, retries and accounting live:
//!
//! * [`LlmClient`]: several endpoints with stable per-session affinity and failover
//!   ([`routing`](crate::routing)), streamed responses bounded by silence rather than length,
//!   retries only for failures that can heal, context overflow as its own error
//!   ([`LlmError::ContextTooLong`]) with automatic `max_tokens` clamping, thinking separated from
//!   answers ([`split_thinking`]), usage per session.
//! * [`ModelConfig`]: the original project's model JSON, read as is (see [`config`]).
//! * [`local_server`]: a real OpenAI-format server on 127.0.0.1 that stands in for a VLM in the
//!   demo and in tests.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use spatialclaw_llm::{ClientConfig, ClientOptions, LlmClient, Message, ModelConfig};
//! let cfg = ModelConfig::load(std::path::Path::new("config/model/qwen3.6-27b.json"))?;
//! let client = LlmClient::new(ClientConfig::from_model(&cfg, ClientOptions::default()))?;
//! let reply = client
//!     .chat(&[Message::user_text("Hello")], &cfg.roles.main, "sample-1")
//!     .await?;
//! println!("{}", reply.content);
//! # Ok(()) }
//! ```

mod client;
pub mod config;
mod env;
mod error;
pub mod local_server;
mod message;
mod options;
mod params;
mod registry;
mod routing;
mod stream;
mod thinking;
mod usage;
mod wire;

pub use client::{ChatResponse, ClientConfig, EndpointReport, FinishReason, LlmClient};
pub use config::{ApiKey, ClientOverrides, ConfigError, EndpointSource, ModelConfig};
pub use env::Env;
pub use error::LlmError;
pub use message::{ContentPart, ImageFormatError, ImageMime, ImagePart, Message, Role};
pub use options::{ClientOptions, RetryPolicy};
pub use params::{ModelRole, RoleParams, RoleSet};
pub use registry::{RegistryError, parse_registry, read_registry};
pub use thinking::{Thought, split_thinking};
pub use usage::{Usage, UsageStats};
