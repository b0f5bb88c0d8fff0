//! Sampling parameters per agent role.
//!
//! The agent talks to the same model in several roles (main loop, blind planner, isolated VLM
//! questions, grounding, CoT fallback, reflection) with different budgets and temperatures.

use serde_json::{Map, Value};

/// Sampling parameters for one call. `None` fields are not sent, so the server's defaults apply.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleParams {
    /// Output budget. Clamped automatically when it does not fit the context window
    /// (`ClientOptions::clamp_max_tokens`).
    pub max_tokens: u32,
    pub temperature: f64,
    pub top_p: Option<f64>,
    /// vLLM extension (`-1` disables).
    pub top_k: Option<i64>,
    /// vLLM extension.
    pub min_p: Option<f64>,
    pub presence_penalty: Option<f64>,
    /// vLLM extension.
    pub repetition_penalty: Option<f64>,
    /// Sent as `chat_template_kwargs.enable_thinking` (Qwen/Gemma templates on vLLM).
    pub enable_thinking: Option<bool>,
    /// Extra top-level request fields, merged last (they override the fields above). For
    /// server-specific knobs this crate does not model.
    pub extra: Map<String, Value>,
}

impl Default for RoleParams {
    /// The generic defaults a role object in a model JSON falls back to: 16384 tokens, T 0.6.
    fn default() -> Self {
        RoleParams {
            max_tokens: 16384,
            temperature: 0.6,
            top_p: None,
            top_k: None,
            min_p: None,
            presence_penalty: None,
            repetition_penalty: None,
            enable_thinking: None,
            extra: Map::new(),
        }
    }
}

impl RoleParams {
    /// Generic defaults with the given budget and temperature.
    pub fn new(max_tokens: u32, temperature: f64) -> Self {
        RoleParams {
            max_tokens,
            temperature,
            ..Self::default()
        }
    }

    pub fn with_thinking(mut self, enable: bool) -> Self {
        self.enable_thinking = Some(enable);
        self
    }

    /// The request-body fields for these parameters (everything except `model`, `messages`,
    /// `stream`).
    pub(crate) fn to_body_fields(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("max_tokens".into(), self.max_tokens.into());
        m.insert("temperature".into(), self.temperature.into());
        let optional_floats = [
            ("top_p", self.top_p),
            ("min_p", self.min_p),
            ("presence_penalty", self.presence_penalty),
            ("repetition_penalty", self.repetition_penalty),
        ];
        for (key, value) in optional_floats {
            if let Some(v) = value {
                m.insert(key.into(), v.into());
            }
        }
        if let Some(k) = self.top_k {
            m.insert("top_k".into(), k.into());
        }
        if let Some(think) = self.enable_thinking {
            m.insert(
                "chat_template_kwargs".into(),
                serde_json::json!({ "enable_thinking": think }),
            );
        }
        for (k, v) in &self.extra {
            if k == "chat_template_kwargs" {
                // Merge rather than clobber so `enable_thinking` survives extra template kwargs.
                if let (Some(Value::Object(existing)), Value::Object(add)) =
                    (m.get_mut("chat_template_kwargs"), v)
                {
                    for (ak, av) in add {
                        existing.insert(ak.clone(), av.clone());
                    }
                    continue;
                }
            }
            m.insert(k.clone(), v.clone());
        }
        m
    }
}

/// The roles the agent calls the model in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelRole {
    /// The code-writing loop.
    Main,
    /// The blind planner and checklist calls.
    Planning,
    /// `vlm.ask_with_thinking` from the kernel.
    Vlm,
    /// `vlm.locate` from the kernel.
    VlmGrounding,
    /// The CoT fallback at a step cap and the no-tool baseline.
    General,
    /// The optional reflection node.
    Reflection,
}

impl ModelRole {
    pub const ALL: [ModelRole; 6] = [
        ModelRole::Main,
        ModelRole::Planning,
        ModelRole::Vlm,
        ModelRole::VlmGrounding,
        ModelRole::General,
        ModelRole::Reflection,
    ];

    /// The key used under `roles` in a model JSON.
    pub fn key(self) -> &'static str {
        match self {
            ModelRole::Main => "main",
            ModelRole::Planning => "planning",
            ModelRole::Vlm => "vlm",
            ModelRole::VlmGrounding => "vlm_grounding",
            ModelRole::General => "general",
            ModelRole::Reflection => "reflection",
        }
    }

    pub fn from_key(key: &str) -> Option<ModelRole> {
        Self::ALL.into_iter().find(|r| r.key() == key)
    }

    /// The built-in parameters of a role that the model JSON does not mention (the original's
    /// per-field defaults). Reflection keeps its small 2048-token budget for parity; callers
    /// should check `FinishReason::Length` because thinking can exhaust it.
    pub fn default_params(self) -> RoleParams {
        match self {
            ModelRole::Main => RoleParams::new(16384, 0.6),
            ModelRole::Planning => RoleParams::new(16384, 1.0),
            ModelRole::Vlm => RoleParams::new(16384, 0.1).with_thinking(true),
            ModelRole::VlmGrounding => RoleParams::new(16384, 0.1).with_thinking(true),
            ModelRole::General => RoleParams::new(32768, 0.6).with_thinking(false),
            ModelRole::Reflection => RoleParams::new(2048, 0.6).with_thinking(true),
        }
    }
}

/// Parameters for every role.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleSet {
    pub main: RoleParams,
    pub planning: RoleParams,
    pub vlm: RoleParams,
    pub vlm_grounding: RoleParams,
    pub general: RoleParams,
    pub reflection: RoleParams,
}

impl Default for RoleSet {
    fn default() -> Self {
        RoleSet {
            main: ModelRole::Main.default_params(),
            planning: ModelRole::Planning.default_params(),
            vlm: ModelRole::Vlm.default_params(),
            vlm_grounding: ModelRole::VlmGrounding.default_params(),
            general: ModelRole::General.default_params(),
            reflection: ModelRole::Reflection.default_params(),
        }
    }
}

impl RoleSet {
    pub fn get(&self, role: ModelRole) -> &RoleParams {
        match role {
            ModelRole::Main => &self.main,
            ModelRole::Planning => &self.planning,
            ModelRole::Vlm => &self.vlm,
            ModelRole::VlmGrounding => &self.vlm_grounding,
            ModelRole::General => &self.general,
            ModelRole::Reflection => &self.reflection,
        }
    }

    pub fn get_mut(&mut self, role: ModelRole) -> &mut RoleParams {
        match role {
            ModelRole::Main => &mut self.main,
            ModelRole::Planning => &mut self.planning,
            ModelRole::Vlm => &mut self.vlm,
            ModelRole::VlmGrounding => &mut self.vlm_grounding,
            ModelRole::General => &mut self.general,
            ModelRole::Reflection => &mut self.reflection,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_fields_only_carry_set_values() {
        let mut p = RoleParams::new(100, 0.5).with_thinking(true);
        p.top_k = Some(20);
        p.extra.insert(
            "chat_template_kwargs".into(),
            serde_json::json!({"custom": 1}),
        );
        p.extra.insert("seed".into(), 7.into());
        let m = p.to_body_fields();
        assert_eq!(m["max_tokens"], 100);
        assert_eq!(m["top_k"], 20);
        assert!(!m.contains_key("top_p"));
        assert_eq!(m["chat_template_kwargs"]["enable_thinking"], true);
        assert_eq!(m["chat_template_kwargs"]["custom"], 1);
        assert_eq!(m["seed"], 7);
    }

    #[test]
    fn role_keys_round_trip() {
        for r in ModelRole::ALL {
            assert_eq!(ModelRole::from_key(r.key()), Some(r));
        }
        assert_eq!(
            ModelRole::General.default_params().enable_thinking,
            Some(false)
        );
        assert_eq!(
            RoleSet::default().get(ModelRole::Reflection).max_tokens,
            2048
        );
    }
}
