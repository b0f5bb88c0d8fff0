//! Layer 1 of the SpatialClaw kernel sandbox: a fast, precise lint of the agent's Python cell.
//!
//! The agent writes one Python cell per step. Before the cell reaches the kernel, this crate
//! parses it (with `ruff_python_parser`) and rejects what cannot work or must not run, with a
//! message per line that says what to do instead, so a refused cell costs the agent one cheap
//! round trip instead of a kernel crash or a confusing traceback.
//!
//! It is a convenience layer, not the security boundary: the PEP 578 audit hook inside the session
//! and the OS (rlimits, Landlock, no network) are. It is still meant to be precise: no rejection of
//! legitimate numpy/scipy/matplotlib code (`re.compile`, `model.eval()`, strings that contain
//! "open ("), and no pass for the well-known escapes (aliasing builtins, `getattr` with built
//! strings, class-hierarchy and frame walks, `str.format` fields, `import builtins`, …).
//!
//! ```
//! use spatialclaw_lint::{Policy, Rule, lint};
//!
//! let report = lint("import os\nf = open\n", &Policy::default());
//! assert!(!report.is_clean());
//! assert_eq!(report.diagnostics[0].rule, Rule::ForbiddenImport);
//! assert_eq!(report.diagnostics[1].rule, Rule::DynamicCode);
//! println!("{}", report.render());
//! ```

mod labels;
mod policy;
mod report;
mod rules;
mod source;
mod syntax;

pub use labels::show_call_labels;
pub use policy::{
    BlockedPath, DEFAULT_ALLOWED_MODULES, DEFAULT_MODULE_ATTRIBUTES, DEFAULT_PREIMPORTED,
    DEFAULT_RESERVED_NAMES, Policy,
};
pub use report::{Diagnostic, Report, Rule};
pub use syntax::{MAX_CELL_BYTES, MAX_NESTING, SyntaxIssue, SyntaxIssueKind, check_syntax};

use source::LineIndex;
use syntax::ParsedCell;

/// Lints one cell: its first syntax problem, if any, and every rule diagnostic.
///
/// Rules run even when the cell has a syntax error (the parser recovers), so the agent can fix
/// everything in one round trip. Never panics, whatever the input.
pub fn lint(code: &str, policy: &Policy) -> Report {
    let mut cell = match ParsedCell::parse(code) {
        Ok(cell) => cell,
        Err(issue) => {
            return Report {
                syntax: Some(issue),
                diagnostics: Vec::new(),
            };
        }
    };
    let index = LineIndex::new(code);
    let diagnostics = rules::check(&cell.module().body, &index, policy);
    Report {
        syntax: cell.issue.take(),
        diagnostics,
    }
}
