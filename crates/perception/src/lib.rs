//! Perception: the interface every backend implements, the backends, and the cached service
//! around them.
//!
//! Kernel-side tools stay thin; the heavy work (reconstruction, segmentation) happens here,
//! on the host, where results can be cached and shared across sessions. Everything that
//! serves perception is a [`Backend`], so wrappers compose: a [`CachedBackend`] over a
//! [`NoisyBackend`] over the [`SyntheticBackend`], or over a [`RemoteBackend`] talking to
//! `spatialclaw perception serve`, or over the [`GpuBackend`] talking to the original
//! project's GPU server.

pub mod backend;
pub mod bench;
pub mod cache;
pub mod coalesce;
#[doc(hidden)]
pub mod fuzz_support;
pub mod gpu_client;
pub mod gpu_codec;
pub mod noise;
pub mod pose;
pub mod remote;
pub mod resize;
pub mod server;
mod store;
pub mod synthetic;
pub mod types;
pub mod wire;

pub use backend::{Backend, PerceptionError};
pub use cache::{CacheError, CacheStats, CachedBackend, default_cache_dir};
pub use gpu_client::{GpuBackend, GpuConfig, GpuEndpoint};
pub use noise::{NoiseConfig, NoisyBackend};
pub use remote::{RemoteBackend, RemoteConfig, RemoteServer};
pub use server::{ServerConfig, ServerHandle};
pub use synthetic::SyntheticBackend;
pub use types::{Masks, Reconstruction, RgbFrame, SegmentPrompt};
