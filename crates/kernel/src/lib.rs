//! The host side of the kernel: a persistent Python session per sample, driven over a framed
//! pipe, with time limits, bounded output and recovery when the process dies.
//!
//! The agent's code never runs in this process; it runs in the session, which can only reach
//! the outside world through requests that a [`HostHandler`] answers.

pub mod bench;
#[doc(hidden)]
pub mod fuzz_support;
pub mod outcome;
pub mod pool;
pub mod protocol;
pub mod provision;
pub mod sandbox;
pub mod security;
pub mod session;

pub use outcome::{
    CellError, ExecOutcome, Interruption, ShowImage, SubmittedAnswer, VariableSummary,
};
pub use pool::{ExitStatus, KernelPool};
pub use protocol::{Array, DType, Message, WireError};
pub use provision::{PythonEnv, ensure_bench_env, ensure_onnx_env, ensure_python_env};
pub use sandbox::{
    HostSupport, LayerStatus, NetworkIsolation, ResourceLimits, SandboxPolicy, SandboxReport,
    host_support,
};
pub use session::{
    HostError, HostHandler, InputFrame, KernelError, KernelSession, NoHost, Ready, SessionInputs,
    SessionOptions, VideoInput,
};
