//! The one interface every perception backend implements (synthetic ground truth, the
//! original's GPU server, ONNX, our own remote service).

use crate::types::{Masks, Reconstruction, RgbFrame, SegmentPrompt};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PerceptionError {
    /// The request itself is wrong (the agent can fix it): raised as ValueError in the cell.
    #[error("{0}")]
    BadInput(String),
    /// The backend cannot serve it (unknown frames, model failure): RuntimeError in the cell.
    #[error("{0}")]
    Failed(String),
    /// The service could not answer at all (down, timed out, oversized or malformed responses)
    /// after the client's retries. Not the request's fault: the agent is told, but its
    /// tool-call budget is not charged, and a sample that keeps meeting it is recorded as a
    /// perception failure (retryable with `--retry-failed`) instead of a wrong answer.
    #[error("{0}")]
    Unavailable(String),
}

impl PerceptionError {
    /// Whether the fault lies with the service rather than the request or the model.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, PerceptionError::Unavailable(_))
    }
}

/// A perception backend. Calls are blocking: backends do CPU or accelerator work, and the
/// host runs them off the async executor.
pub trait Backend: Send + Sync {
    /// Stable identity for cache keys; change `version` whenever outputs may change.
    fn name(&self) -> &str;
    fn version(&self) -> &str;
    fn reconstruct(&self, frames: &[RgbFrame]) -> Result<Reconstruction, PerceptionError>;
    fn segment(&self, frame: &RgbFrame, prompt: &SegmentPrompt) -> Result<Masks, PerceptionError>;
}
