//! The chain-of-thought prompts: the no-tool baseline and the forced-termination fallback.
//! Section names carry the prefix `cot_` for ablations.

use super::assemble;
use crate::config::Ablations;

pub const SECTIONS: &[&str] = &["system"];

pub fn system_prompt(ablations: &Ablations) -> String {
    assemble(SECTIONS, ablations, "cot_", |_| SYSTEM.into())
}

const SYSTEM: &str = "You are an expert in spatial reasoning about images and videos. Examine \
every frame you are given carefully, reason step by step about positions, distances, sizes, \
directions and motion, and then give your final answer inside \\boxed{}: the option letter for \
a multiple-choice question (e.g. \\boxed{B}), a number for a numeric one (e.g. \\boxed{2.4}), \
otherwise a short phrase.";

/// The user text after the frames.
pub fn user_text(instruction: &str) -> String {
    format!("{instruction}\n\nThink step by step, then put your final answer in \\boxed{{}}.")
}
