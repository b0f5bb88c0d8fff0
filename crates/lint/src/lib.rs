//! spatialclaw-lint: layer 1 of the kernel sandbox.
mod source;
pub mod syntax;
pub use syntax::{SyntaxIssue, SyntaxIssueKind, check_syntax};
