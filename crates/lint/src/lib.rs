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
//! # Rules
//!
//! | rule | what it rejects |
//! |---|---|
//! | `forbidden-import` | modules outside [`Policy::allowed_modules`] (`os`, `sys`, `builtins`, `importlib`, `ctypes`, `gc`, `pickle`, `threading`, `torch`, …), blocked parts of allowed packages ([`Policy::blocked_paths`]: `numpy.ctypeslib`, `numpy.f2py`, `scipy.io`, `matplotlib.backends`, …), relative imports |
//! | `restricted-module-access` | the same blocked paths reached as attributes (`np.ctypeslib`, `scipy.io.savemat`), private internals of modules (`random._os`, `tools._client`), modules re-exported by libraries (`matplotlib.os`, `warnings.sys`, `arr.ctypes`) |
//! | `dynamic-code` | the builtins `exec`, `eval`, `compile`, `__import__`, `breakpoint`, `input`, `open`, `globals`, `locals`, `vars`, `memoryview` called *or used as values* (`f = open`); `exit()`/`quit()`; `help("name")`; `allow_pickle=True` |
//! | `dunder-access` | `__class__`, `__bases__`, `__mro__`, `__subclasses__`, `__globals__`, `__code__`, `__dict__`, `__builtins__`, `__traceback__`, … and frame/generator/code attributes (`gi_frame`, `f_back`, `f_globals`, `tb_frame`, `co_code`, …) as attributes, `getattr` literals, `str.format` fields (`"{0.__class__}"`) and match patterns; the bare names `__builtins__`, `__loader__`, `__spec__`, `__build_class__` |
//! | `computed-attribute` | `getattr`/`setattr`/`delattr` whose attribute name is not a statically known string (literals, concatenations of literals and names bound once to literals are known), and these builtins used as values |
//! | `reserved-name` | module-level rebinding or deletion of kernel names (`show`, `tools`, `InputImages`, `InputImages_<N>`, `Metadata`, `vlm`, `feedback`, `RefImages`, `ReturnAnswer`), and replacing attributes of kernel objects (`tools.SAM3 = …`) |
//! | `process-control` | any use of `threading`, `_thread`, `multiprocessing`, `concurrent`, `asyncio`, `subprocess`, and of the standard `signal` module's functions (`signal.alarm`; `scipy.signal` stays fine) |
//!
//! Deliberately *not* flagged, because the audit hook and the OS are the barrier and flagging
//! would hit legitimate code: numpy/PIL/matplotlib file functions (`np.load`, `np.save`,
//! `Image.open`, `plt.savefig`) into the scratch directory, `hasattr` with any name, `dir()`,
//! `help(obj)`, dunder *methods* defined in class bodies (`__init__`, `__del__`, `__eq__`: the
//! kernel process is the sandbox, so they cross no boundary), `x.__class__.__name__`, and
//! exception attributes such as `AttributeError.obj` (too common a name to flag).
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
    let diagnostics = rules::check(cell.body(), &index, policy);
    Report {
        syntax: cell.issue.take(),
        diagnostics,
    }
}
