//! The agent: a loop short enough to read in one sitting (`run`), the reply parser, the
//! feedback text, the prompts, and the host handler that serves the kernel's requests.

pub mod feedback;
pub mod host;
pub mod parse;
pub mod prompt;
pub mod run;

pub use host::{SampleHost, VlmAccess};
pub use run::{AgentConfig, KeyFrame, Observer, Step, Task, Termination, Trajectory, run};
