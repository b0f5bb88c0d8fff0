//! Default labels for `show(...)` images: the source text of each call's first argument.
//!
//! The original matched image markers to call sites by order and guessed labels with a regex; the
//! AST gives the exact argument text (`show(InputImages[3])` → "InputImages[3]").

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, ExprCall};
use ruff_text_size::{Ranged, TextSize};

use crate::syntax::{ParsedCell, with_stack};

/// The source text of the first argument of every `show(...)` / `feedback.show(...)` call in
/// `code`, in source order; "" for a call without positional arguments. Best effort on cells with
/// syntax errors (the parser recovers); empty for cells that cannot be parsed at all.
pub fn show_call_labels(code: &str) -> Vec<String> {
    let Ok(cell) = ParsedCell::parse(code) else {
        return Vec::new();
    };
    let mut finder = ShowCalls {
        code,
        found: Vec::new(),
    };
    finder.visit_body(cell.body());
    finder.found.sort_by_key(|(at, _)| *at);
    finder.found.into_iter().map(|(_, label)| label).collect()
}

struct ShowCalls<'src> {
    code: &'src str,
    found: Vec<(TextSize, String)>,
}

impl ShowCalls<'_> {
    fn label(&self, call: &ExprCall) -> String {
        let Some(first) = call.arguments.args.first() else {
            return String::new();
        };
        let first = match first {
            Expr::Starred(starred) => &*starred.value,
            other => other,
        };
        let text = self
            .code
            .get(first.range().to_std_range())
            .unwrap_or_default();
        // Multi-line arguments become one line: a label is a single line of text.
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

fn is_show(func: &Expr) -> bool {
    match func {
        Expr::Name(name) => name.id.as_str() == "show",
        Expr::Attribute(attribute) => {
            attribute.attr.id.as_str() == "show"
                && matches!(&*attribute.value, Expr::Name(name) if name.id.as_str() == "feedback")
        }
        _ => false,
    }
}

impl<'a> Visitor<'a> for ShowCalls<'_> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Call(call) = expr
            && is_show(&call.func)
        {
            let label = self.label(call);
            self.found.push((call.start(), label));
        }
        with_stack(|| visitor::walk_expr(self, expr));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_first_argument_text_in_source_order() {
        let code = "\
show(InputImages[3], label='x')
for i in range(2):
    show(masks[i])
feedback.show(*crops)
show()
plt.show()
show(np.concatenate([a,
                     b], axis=1))
";
        assert_eq!(
            show_call_labels(code),
            [
                "InputImages[3]",
                "masks[i]",
                "crops",
                "",
                "np.concatenate([a, b], axis=1)"
            ]
        );
    }

    #[test]
    fn unparsable_code_gives_best_effort_labels() {
        assert_eq!(show_call_labels("show(img)\nx = (\n"), ["img"]);
        assert!(show_call_labels("").is_empty());
    }
}
