//! The `onnx` perception backend: depth, promptable segmentation and text grounding with ONNX
//! models the user exports or downloads, run by onnxruntime loaded at run time from the pip
//! wheel (no build-time downloads, no Python at inference time).
//!
//! A TOML manifest ([`manifest`]) names the models and how to feed them; [`runtime`] finds and
//! loads the library and picks CUDA or CPU; [`preprocess`] does resizing, normalisation and
//! mask upsampling; [`depth`], [`sam`] and [`detector`] run one kind of model each; and
//! [`OnnxBackend`] puts them behind the perception `Backend` interface. Format and
//! conventions: docs/onnx.md.

pub mod backend;
pub mod bench;
pub mod depth;
pub mod detector;
pub mod error;
pub mod manifest;
mod model;
pub mod preprocess;
pub mod runtime;
pub mod sam;
pub mod testkit;
pub mod tokenizer;

pub use backend::{OnnxBackend, OnnxConfig, manifest_from_env, probe};
pub use error::{INSTALL_HINT, OnnxError};
pub use manifest::Manifest;
pub use runtime::Provider;
