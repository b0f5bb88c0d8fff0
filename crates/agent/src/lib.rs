//! The agent: a loop short enough to read in one sitting ([`run`]), four action interfaces
//! behind one flag ([`Interface`]), the prompts, the reply parsers, the context budget, and the
//! host handler that serves the kernel's perception and vlm requests.
//!
//! ```text
//! plan (blind, text only) → [ask → lint → execute → feedback → reflect?]* → answer
//!                                                        budget spent → forced termination
//! ```

pub mod condense;
pub mod config;
pub mod context;
pub mod cot;
pub mod feedback;
#[doc(hidden)]
pub mod fuzz_support;
pub mod host;
pub mod parse;
pub mod plan;
pub mod prompts;
pub mod react;
pub mod record;
pub mod reflect;
pub mod run;
mod state;
pub mod task;
pub mod terminate;
pub mod turn;

pub use config::{Ablations, AgentConfig, Interface, ReflectionConfig, UnknownInterface};
pub use host::{SampleHost, VlmAccess};
pub use record::{Answer, AnswerSource, Step, StepStatus, Termination, Trajectory};
pub use run::{AgentError, Observer, first_message, prompt_context, run};
pub use task::{InputSummary, KeyFrame, Task, VideoSummary, key_frame_indices, uniform_indices};
