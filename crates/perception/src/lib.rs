//! Perception: the interface every backend implements, and the backends.
//!
//! Kernel-side tools stay thin; the heavy work (reconstruction, segmentation) happens here,
//! on the host, where results can be cached and shared across sessions.

pub mod backend;
pub mod synthetic;
pub mod types;

pub use backend::{Backend, PerceptionError};
pub use synthetic::SyntheticBackend;
pub use types::{Masks, Reconstruction, RgbFrame, SegmentPrompt};
