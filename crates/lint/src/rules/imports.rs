//! Rules `forbidden-import` and `restricted-module-access`.
//!
//! Imports are checked against an allow-list of root packages (a deny-list always misses one:
//! the original missed `builtins`, `posix`, `asyncio`, `gc`, …), then against the blocked corners
//! of allowed packages. The same blocked corners are enforced on attribute chains of imported
//! modules (`scipy.io.savemat` after `import scipy`), together with private internals
//! (`random._os`) and modules re-exported by libraries (`matplotlib.os`).

use ruff_python_ast::{Expr, StmtImport, StmtImportFrom};
use ruff_text_size::{Ranged, TextSize};

use super::{BindKind, Checker};
use crate::policy::{BlockedPath, Policy};
use crate::report::Rule;
use crate::syntax::with_stack;

pub(super) fn check_import(checker: &mut Checker<'_>, import: &StmtImport) {
    for alias in &import.names {
        let module = alias.name.id.as_str();
        let at = alias.start();
        let allowed = checker.policy.is_allowed_root(module);
        if !allowed {
            let root = module.split('.').next().unwrap_or(module);
            let message = forbidden_module_message(checker.policy, root);
            checker.report(at, Rule::ForbiddenImport, message);
        } else if let Some(blocked) = checker.policy.blocked(module) {
            checker.report(at, Rule::ForbiddenImport, blocked_message(blocked));
        }
        let (bound, path) = match &alias.asname {
            Some(asname) => (asname.id.as_str(), module),
            None => {
                let root = module.split('.').next().unwrap_or(module);
                (root, root)
            }
        };
        checker.bind(bound, at, BindKind::Import(path));
        // Only allowed modules get an alias: chains on a refused module would only add noise.
        if allowed {
            checker.aliases.insert(bound.to_owned(), path.to_owned());
        }
    }
}

pub(super) fn check_import_from(checker: &mut Checker<'_>, import: &StmtImportFrom) {
    let module = import.module.as_ref().map(|m| m.id.as_str());
    let allowed = import.level == 0 && module.is_some_and(|m| checker.policy.is_allowed_root(m));
    if import.level > 0 {
        checker.report(
            import.start(),
            Rule::ForbiddenImport,
            "relative imports do not work in the kernel: a cell is not part of a package. Import \
             by absolute name, e.g. 'from scipy.spatial import cKDTree'."
                .to_owned(),
        );
    } else if let Some(module) = module {
        let at = import.module.as_ref().map_or(import.start(), Ranged::start);
        if !checker.policy.is_allowed_root(module) {
            let root = module.split('.').next().unwrap_or(module);
            let message = forbidden_module_message(checker.policy, root);
            checker.report(at, Rule::ForbiddenImport, message);
        } else if let Some(blocked) = checker.policy.blocked(module) {
            checker.report(at, Rule::ForbiddenImport, blocked_message(blocked));
        } else {
            for alias in &import.names {
                let full = format!("{module}.{}", alias.name.id);
                if let Some(blocked) = checker.policy.blocked(&full) {
                    checker.report(
                        alias.start(),
                        Rule::ForbiddenImport,
                        blocked_message(blocked),
                    );
                }
            }
        }
    }
    for alias in &import.names {
        let name = alias.name.id.as_str();
        if name == "*" {
            continue;
        }
        let bound = alias
            .asname
            .as_ref()
            .map_or(name, |asname| asname.id.as_str());
        let path = match module {
            Some(module) if import.level == 0 => format!("{module}.{name}"),
            _ => name.to_owned(),
        };
        checker.bind(bound, alias.start(), BindKind::Import(&path));
        if allowed {
            checker.aliases.insert(bound.to_owned(), path);
        }
    }
}

/// Checks `value.attr` when `value` is (a chain on) an imported module or when `attr` is a module
/// that libraries re-export. Returns whether something was reported.
pub(super) fn check_module_attribute(
    checker: &mut Checker<'_>,
    value: &Expr,
    attr: &str,
    at: TextSize,
) -> bool {
    if let Some(path) = module_path(checker, value) {
        let full = format!("{path}.{attr}");
        if let Some(blocked) = checker.policy.blocked_exactly(&full) {
            let message = blocked_message(blocked);
            checker.report(at, Rule::RestrictedModuleAccess, message);
            return true;
        }
        if attr.starts_with('_') && !(attr.starts_with("__") && attr.ends_with("__")) {
            let root = path.split('.').next().unwrap_or(&path);
            checker.report(
                at,
                Rule::RestrictedModuleAccess,
                format!(
                    "'{full}' is a private internal of {root}; use its public API (the names \
                     without a leading underscore)."
                ),
            );
            return true;
        }
    }
    if checker.policy.module_attributes.contains(attr) {
        let module = attr.trim_start_matches('_');
        let hint = module_hint(checker.policy, module);
        checker.report(
            at,
            Rule::RestrictedModuleAccess,
            format!(
                "'.{attr}' reaches the '{module}' module through another module; '{module}' is \
                 not available in this kernel; {hint}."
            ),
        );
        return true;
    }
    false
}

/// The dotted module path an expression stands for, if it is a chain of attributes on a name bound
/// to a module (`np.linalg` → `numpy.linalg`).
fn module_path(checker: &Checker<'_>, expr: &Expr) -> Option<String> {
    match expr {
        Expr::Name(name) => checker.aliases.get(name.id.as_str()).cloned(),
        Expr::Attribute(attribute) => {
            let base = with_stack(|| module_path(checker, &attribute.value))?;
            Some(format!("{base}.{}", attribute.attr.id))
        }
        _ => None,
    }
}

fn blocked_message(blocked: &BlockedPath) -> String {
    format!(
        "'{}' is not available in this kernel ({}); {}.",
        blocked.path, blocked.why, blocked.instead
    )
}

fn forbidden_module_message(policy: &Policy, root: &str) -> String {
    format!(
        "Module '{root}' is not available in this kernel; {}.",
        module_hint(policy, root)
    )
}

/// What to use instead of a module the kernel does not offer.
fn module_hint(policy: &Policy, root: &str) -> String {
    let hint = match root {
        "os" | "pathlib" | "shutil" | "glob" | "tempfile" | "io" | "fileinput" | "filecmp"
        | "zipfile" | "tarfile" | "gzip" | "bz2" | "lzma" | "csv" | "sqlite3" | "shelve"
        | "dbm" | "codecs" | "mmap" | "posix" | "nt" => {
            "files and the host system are not needed here: the inputs are already loaded in \
             InputImages and Metadata, and variables persist between cells"
        }
        "sys" | "builtins" | "importlib" | "imp" | "runpy" | "code" | "codeop" | "inspect"
        | "gc" | "ctypes" | "cffi" | "marshal" | "types" | "dis" | "ast" | "traceback"
        | "linecache" | "site" | "sysconfig" | "weakref" | "atexit" | "pkgutil" | "zipimport" => {
            "the interpreter's internals are off limits; write the computation directly with \
             numpy, scipy and math"
        }
        "subprocess" | "multiprocessing" | "threading" | "thread" | "concurrent" | "asyncio"
        | "signal" | "sched" | "pty" | "resource" | "select" | "selectors" | "faulthandler" => {
            "cells run one at a time under a time limit; vectorise with numpy instead of using \
             threads, processes or signals"
        }
        "socket" | "ssl" | "http" | "urllib" | "urllib3" | "requests" | "httpx" | "aiohttp"
        | "ftplib" | "smtplib" | "webbrowser" | "xmlrpc" | "telnetlib" => {
            "the kernel has no network; ask the VLM with vlm.* and use tools.* for perception"
        }
        "pickle" | "cPickle" | "dill" | "cloudpickle" | "joblib" | "copyreg" => {
            "there is nothing to serialise: variables persist between cells"
        }
        "torch" | "tensorflow" | "jax" | "keras" | "transformers" | "onnxruntime"
        | "ultralytics" | "sklearn" | "open3d" | "trimesh" | "cv2" | "skimage" | "pandas"
        | "shapely" | "sympy" | "networkx" | "imageio" | "kornia" | "pycocotools" => {
            "it is not installed here. Use numpy/scipy (scipy.spatial, scipy.ndimage, \
             scipy.optimize, scipy.linalg), PIL and matplotlib, and tools.* for perception \
             (depth, segmentation, 3D reconstruction)"
        }
        "operator" => "use a lambda instead, e.g. sorted(pts, key=lambda p: p[1])",
        "string" => "use str methods and f-strings",
        _ => "",
    };
    if hint.is_empty() {
        let allowed: Vec<&str> = policy
            .allowed_modules
            .iter()
            .map(String::as_str)
            .filter(|m| !m.starts_with('_'))
            .collect();
        format!("the modules you can import are: {}", allowed.join(", "))
    } else {
        hint.to_owned()
    }
}
