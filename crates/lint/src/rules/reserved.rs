//! Rule `reserved-name`: the names the kernel provides stay the kernel's.
//!
//! Rebinding `show`, `tools` or `InputImages` silently breaks every later cell (and in the
//! original, overwriting the answer sentinel forged answers). Only module-level bindings count:
//! a method called `show` or a function parameter called `tools` is the agent's own business.

use ruff_python_ast::{Expr, ExprAttribute};
use ruff_text_size::{Ranged, TextSize};

use super::{BindKind, Checker};
use crate::report::Rule;

/// Kernel objects whose attributes must not be replaced (`tools.SAM3 = …`). The data objects
/// (`InputImages`, `Metadata`, `RefImages`) are not listed: writing into them only affects the
/// agent's own view.
const KERNEL_OBJECTS: &[&str] = &["tools", "vlm", "feedback", "show", "ReturnAnswer"];

pub(super) fn check_binding(
    checker: &mut Checker<'_>,
    name: &str,
    at: TextSize,
    kind: BindKind<'_>,
) {
    if !checker.policy.is_reserved(name) {
        return;
    }
    // `import tools`, `import tools.SAM3` and `from feedback import show` bind the same object the
    // kernel already bound.
    if let BindKind::Import(path) = kind
        && checker
            .policy
            .preimported
            .get(name)
            .is_some_and(|p| p == path)
    {
        return;
    }
    checker.report(
        at,
        Rule::ReservedName,
        format!(
            "'{name}' is provided by the kernel and cannot be rebound or deleted; pick another \
             variable name."
        ),
    );
}

/// Flags `tools.X = …` and `del vlm.Y`.
pub(super) fn check_kernel_attribute_store(checker: &mut Checker<'_>, attribute: &ExprAttribute) {
    let mut root = &*attribute.value;
    while let Expr::Attribute(inner) = root {
        root = &inner.value;
    }
    let Expr::Name(name) = root else {
        return;
    };
    let name = name.id.as_str();
    if KERNEL_OBJECTS.contains(&name) && checker.policy.is_reserved(name) {
        checker.report(
            attribute.attr.start(),
            Rule::ReservedName,
            format!(
                "'{name}' is provided by the kernel and its attributes cannot be replaced; keep \
                 your own values in your own variables."
            ),
        );
    }
}
