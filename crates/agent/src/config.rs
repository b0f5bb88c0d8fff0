//! What one agent run may do: the action interface, the budgets, the roles' sampling
//! parameters, and the switches of the paper's ablations.
//!
//! Everything the prompt builders, the loop and the termination node read comes from this one
//! value passed in by the caller (the original read some of it from a global singleton, so a
//! library user who never installed one silently got defaults; §9.11).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::Serialize;
use spatialclaw_llm::RoleSet;

/// How the model acts on the kernel. The paper's controlled comparison: same tools, same prompt
/// sections, only this differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Interface {
    /// One Python cell per step (Purpose / Reasoning / Next Goal / Code).
    #[default]
    Code,
    /// One JSON tool call per step, translated to `result_<step> = tool(...)`.
    React,
    /// One cell in total, no planning: the whole program at once, no feedback.
    SinglePass,
    /// No kernel: chain of thought over the frames, answer in `\boxed{}`.
    NoTool,
}

impl Interface {
    pub const ALL: [Interface; 4] = [
        Interface::Code,
        Interface::React,
        Interface::SinglePass,
        Interface::NoTool,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Interface::Code => "code",
            Interface::React => "react",
            Interface::SinglePass => "single-pass",
            Interface::NoTool => "no-tool",
        }
    }

    /// Whether the interface runs cells in a kernel.
    pub fn uses_kernel(self) -> bool {
        self != Interface::NoTool
    }
}

impl fmt::Display for Interface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown interface `{0}`: use code, react, single-pass or no-tool")]
pub struct UnknownInterface(pub String);

impl FromStr for Interface {
    type Err = UnknownInterface;

    /// Accepts the CLI spelling and the original's `executor_type` values.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "code" => Ok(Interface::Code),
            "react" | "tool-call" => Ok(Interface::React),
            "single-pass" | "singlepass" => Ok(Interface::SinglePass),
            "no-tool" | "notool" | "cot" => Ok(Interface::NoTool),
            _ => Err(UnknownInterface(s.to_owned())),
        }
    }
}

/// Exclude prompt sections or replace their text, by name (the original's
/// `prompt_section_ablations`). Names are the section names of [`crate::prompts`]; planning,
/// reflection and chain-of-thought sections carry the prefixes `planning_`, `reflection_`, `cot_`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ablations {
    pub exclude: Vec<String>,
    pub overrides: BTreeMap<String, String>,
}

impl Ablations {
    /// The text of section `name`: its override, `None` when excluded, else `default()`.
    pub fn apply(&self, name: &str, default: impl FnOnce() -> String) -> Option<String> {
        if self.exclude.iter().any(|e| e == name) {
            return None;
        }
        Some(self.overrides.get(name).cloned().unwrap_or_else(default))
    }
}

/// The self-reflection node (off by default, as in every shipped configuration).
#[derive(Debug, Clone, PartialEq)]
pub struct ReflectionConfig {
    pub enabled: bool,
    /// Reflect after every n-th step (besides every submitted answer).
    pub every_n_steps: usize,
    /// Reflection may reject an answer only while fewer submissions than this were made
    /// (`None`: no limit). With 5, the fifth submission is always accepted.
    pub max_answer_attempts: Option<usize>,
    /// Reflection may reject an answer only while more steps than this remain (`None`: no floor).
    pub min_budget_for_reject: Option<usize>,
}

impl Default for ReflectionConfig {
    fn default() -> Self {
        ReflectionConfig {
            enabled: false,
            every_n_steps: 5,
            max_answer_attempts: Some(5),
            min_budget_for_reject: Some(3),
        }
    }
}

/// Budgets and knobs of one agent run.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    pub interface: Interface,
    /// Main-model calls; every step costs one, failed or not, except steps lost to an
    /// unavailable service (see `max_outage_steps`). `single-pass` always gets 1.
    pub max_steps: usize,
    /// Consecutive failed steps (format errors, non-transient model errors) before giving up.
    /// Transient model errors (connection, timeout, 5xx after retries) do not count.
    pub max_failures: usize,
    /// Host requests (perception and vlm calls actually made by cells); `None` = no cap.
    /// Requests that failed because the service was unavailable are not charged.
    pub max_tool_calls: Option<usize>,
    /// Consecutive steps lost to an unavailable service (the model unreachable after the
    /// client's retries, or a cell whose perception/vlm requests met an outage) before the
    /// sample is abandoned with [`crate::AgentError::Unavailable`]. Such steps charge neither
    /// `max_steps` nor `max_failures`: the agent did nothing wrong, and its answer should not be
    /// scored as if it had.
    pub max_outage_steps: usize,
    pub cell_timeout: Duration,
    pub roles: RoleSet,
    /// Run the blind planner before the first step.
    pub planning: bool,
    pub reflection: ReflectionConfig,
    /// Condense failed steps in the history (code up to the error line plus the exception).
    pub condense_errors: bool,
    pub ablations: Ablations,
    /// show() images attached per session; `None` = unlimited.
    pub max_show_images_per_session: Option<usize>,
    /// Context window to plan for when the endpoint does not report `max_model_len`.
    pub context_length: Option<u64>,
    /// Estimated prompt tokens of one image, for the context budget.
    pub tokens_per_image: u64,
    /// The most recent show() images that trimming keeps.
    pub keep_recent_images: usize,
    /// Frames the chain-of-thought baseline and fallback look at.
    pub cot_max_frames: usize,
    /// GPU tools documented in the prompts.
    pub gpu_tools: Vec<String>,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            interface: Interface::Code,
            max_steps: 30,
            max_failures: 30,
            max_tool_calls: None,
            max_outage_steps: 3,
            cell_timeout: Duration::from_secs(600),
            roles: RoleSet::default(),
            planning: true,
            reflection: ReflectionConfig::default(),
            condense_errors: true,
            ablations: Ablations::default(),
            max_show_images_per_session: Some(250),
            context_length: None,
            tokens_per_image: 1024,
            keep_recent_images: 8,
            cot_max_frames: 32,
            gpu_tools: vec!["Reconstruct".into(), "SAM3".into()],
        }
    }
}

impl AgentConfig {
    /// The step budget the interface actually gets: single-pass is one cell by definition,
    /// selected by the flag alone (the original also needed `--max_steps 1`; §9.12).
    pub fn effective_max_steps(&self) -> usize {
        match self.interface {
            Interface::SinglePass | Interface::NoTool => 1,
            _ => self.max_steps.max(1),
        }
    }

    /// Whether the blind planner runs.
    pub fn plans(&self) -> bool {
        self.planning
            && self.effective_max_steps() > 1
            && matches!(self.interface, Interface::Code | Interface::React)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_spellings() {
        for i in Interface::ALL {
            assert_eq!(i.as_str().parse::<Interface>().unwrap(), i);
        }
        assert_eq!(
            "single_pass".parse::<Interface>().unwrap(),
            Interface::SinglePass
        );
        assert!("python".parse::<Interface>().is_err());
    }

    #[test]
    fn single_pass_is_selected_by_the_flag_alone() {
        let c = AgentConfig {
            interface: Interface::SinglePass,
            ..Default::default()
        };
        assert_eq!(c.effective_max_steps(), 1);
        assert!(!c.plans());
        assert!(AgentConfig::default().plans());
    }
}
