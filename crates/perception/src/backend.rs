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
