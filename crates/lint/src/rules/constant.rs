//! Static evaluation of the strings an expression can be, so that `getattr` can be judged by the
//! attribute it really reaches.
//!
//! `getattr(p, "x")`, `getattr(p, "sh" + "ape")` and `for k in ("x", "y"): getattr(p, k)` are
//! ordinary code and must pass; `getattr(x, "__cl" + "ass__")` must be seen as `__class__`; anything
//! we cannot evaluate (`chr(95) * 2 + …`, a function argument) is treated as computed.

use std::collections::HashMap;

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{
    self as ast, ExceptHandler, Expr, ExprContext, FStringPart, InterpolatedStringElement, Number,
    Operator, Pattern, Stmt,
};
use ruff_text_size::{Ranged, TextSize};

use super::scope::pattern_capture;
use crate::syntax::with_stack;

/// Bounds on what we evaluate, so a hostile expression cannot make the lint allocate much.
const MAX_VALUES: usize = 64;
const MAX_LEN: usize = 1024;

/// What the cell binds each name to, across all scopes: a name bound exactly once to known
/// strings resolves to them; anything else is unknown.
#[derive(Debug, Default)]
pub(crate) struct Literals {
    by_name: HashMap<String, Binding>,
}

#[derive(Debug)]
enum Binding {
    Once {
        at: TextSize,
        values: Option<Vec<String>>,
    },
    Many,
}

impl Literals {
    pub(crate) fn collect(body: &[Stmt]) -> Self {
        let mut collector = LiteralCollector::default();
        collector.visit_body(body);
        collector.literals
    }

    /// The strings `name` holds at `at`, if the cell binds it exactly once, before `at`, to known
    /// strings. Names from earlier cells are unknown (the caller checks the session's names).
    fn values(&self, name: &str, at: TextSize) -> Option<&[String]> {
        match self.by_name.get(name)? {
            Binding::Once {
                at: bound_at,
                values: Some(values),
            } if *bound_at < at => Some(values),
            _ => None,
        }
    }

    fn record(&mut self, name: &str, at: TextSize, values: Option<Vec<String>>) {
        self.by_name
            .entry(name.to_owned())
            .and_modify(|binding| *binding = Binding::Many)
            .or_insert(Binding::Once { at, values });
    }
}

/// Where names may be looked up while evaluating (None: literals only).
#[derive(Clone, Copy)]
pub(crate) struct Lookup<'a> {
    pub(crate) literals: &'a Literals,
    pub(crate) at: TextSize,
    /// Names bound by earlier cells: a binding in this cell does not tell what they held before.
    pub(crate) is_session_name: &'a dyn Fn(&str) -> bool,
}

/// The strings `expr` can evaluate to, or `None` when that cannot be known statically.
pub(crate) fn const_strings(expr: &Expr, lookup: Option<Lookup<'_>>) -> Option<Vec<String>> {
    let values = match expr {
        Expr::StringLiteral(literal) => vec![literal.value.to_str().to_owned()],
        Expr::FString(fstring) => vec![fstring_text(fstring)?],
        Expr::BinOp(binop) if binop.op == Operator::Add => {
            let left = with_stack(|| const_strings(&binop.left, lookup))?;
            let right = with_stack(|| const_strings(&binop.right, lookup))?;
            if left.len().saturating_mul(right.len()) > MAX_VALUES {
                return None;
            }
            let mut out = Vec::new();
            for l in &left {
                for r in &right {
                    if l.len() + r.len() > MAX_LEN {
                        return None;
                    }
                    out.push(format!("{l}{r}"));
                }
            }
            out
        }
        Expr::BinOp(binop) if binop.op == Operator::Mult => {
            let (text, count) = match (&*binop.left, &*binop.right) {
                (text, Expr::NumberLiteral(n)) | (Expr::NumberLiteral(n), text) => (text, n),
                _ => return None,
            };
            let Number::Int(count) = &count.value else {
                return None;
            };
            let count = count.as_usize()?;
            let texts = with_stack(|| const_strings(text, lookup))?;
            let mut out = Vec::new();
            for text in texts {
                if text.len().saturating_mul(count) > MAX_LEN {
                    return None;
                }
                out.push(text.repeat(count));
            }
            out
        }
        Expr::Name(name) => {
            let lookup = lookup?;
            if (lookup.is_session_name)(&name.id) {
                return None;
            }
            lookup.literals.values(&name.id, lookup.at)?.to_vec()
        }
        _ => return None,
    };
    (values.len() <= MAX_VALUES).then_some(values)
}

/// The text of an f-string without interpolations (`f"shape"`), if it has none.
fn fstring_text(fstring: &ast::ExprFString) -> Option<String> {
    let mut text = String::new();
    for part in &fstring.value {
        match part {
            FStringPart::Literal(literal) => text.push_str(&literal.value),
            FStringPart::FString(f) => {
                for element in &f.elements {
                    match element {
                        InterpolatedStringElement::Literal(literal) => {
                            text.push_str(&literal.value)
                        }
                        InterpolatedStringElement::Interpolation(_) => return None,
                    }
                }
            }
        }
    }
    Some(text)
}

/// The strings a `for` loop or comprehension target takes from a literal collection of strings
/// (`for k in ("x", "y")`), if that is what it iterates.
fn iterated_strings(iter: &Expr) -> Option<Vec<String>> {
    let elements = match iter {
        Expr::List(list) => &list.elts,
        Expr::Tuple(tuple) => &tuple.elts,
        Expr::Set(set) => &set.elts,
        _ => return None,
    };
    if elements.len() > MAX_VALUES {
        return None;
    }
    let mut out = Vec::new();
    for element in elements {
        out.extend(const_strings(element, None)?);
    }
    (out.len() <= MAX_VALUES).then_some(out)
}

/// Records every binding of the cell, remembering the literal strings of the simple ones.
#[derive(Default)]
struct LiteralCollector {
    literals: Literals,
    /// Values for the `Name` target starting at an offset, found while visiting its statement.
    pending: HashMap<TextSize, Vec<String>>,
}

impl LiteralCollector {
    fn hint(&mut self, target: &Expr, values: Option<Vec<String>>) {
        if let (Expr::Name(name), Some(values)) = (target, values) {
            self.pending.insert(name.start(), values);
        }
    }

    fn bind(&mut self, name: &str, at: TextSize) {
        let values = self.pending.remove(&at);
        self.literals.record(name, at, values);
    }
}

impl<'a> Visitor<'a> for LiteralCollector {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::Assign(assign) if assign.targets.len() == 1 => {
                self.hint(&assign.targets[0], const_strings(&assign.value, None));
            }
            Stmt::AnnAssign(assign) => {
                if let Some(value) = &assign.value {
                    self.hint(&assign.target, const_strings(value, None));
                }
            }
            Stmt::For(node) => self.hint(&node.target, iterated_strings(&node.iter)),
            Stmt::FunctionDef(def) => {
                self.bind(&def.name.id, def.name.start());
                for parameter in &*def.parameters {
                    self.bind(&parameter.name().id, parameter.name().start());
                }
            }
            Stmt::ClassDef(class) => self.bind(&class.name.id, class.name.start()),
            Stmt::Import(import) => {
                for alias in &import.names {
                    let bound = alias.asname.as_ref().unwrap_or(&alias.name);
                    let bound = bound.id.split('.').next().unwrap_or_default();
                    self.bind(bound, alias.start());
                }
            }
            Stmt::ImportFrom(import) => {
                for alias in &import.names {
                    let bound = alias.asname.as_ref().unwrap_or(&alias.name);
                    self.bind(&bound.id, alias.start());
                }
            }
            // `global k` makes a function's `k = …` the module's `k`: count it as a binding so a
            // name that several scopes assign is never taken as a known literal.
            Stmt::Global(global) => {
                for name in &global.names {
                    self.bind(&name.id, name.start());
                }
            }
            _ => {}
        }
        with_stack(|| visitor::walk_stmt(self, stmt));
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Name(name) if matches!(name.ctx, ExprContext::Store | ExprContext::Del) => {
                self.bind(&name.id, name.start());
            }
            Expr::Lambda(lambda) => {
                if let Some(parameters) = &lambda.parameters {
                    for parameter in &**parameters {
                        self.bind(&parameter.name().id, parameter.name().start());
                    }
                }
            }
            _ => {}
        }
        with_stack(|| visitor::walk_expr(self, expr));
    }

    fn visit_comprehension(&mut self, comprehension: &'a ast::Comprehension) {
        self.hint(&comprehension.target, iterated_strings(&comprehension.iter));
        visitor::walk_comprehension(self, comprehension);
    }

    fn visit_except_handler(&mut self, handler: &'a ExceptHandler) {
        let ExceptHandler::ExceptHandler(inner) = handler;
        if let Some(name) = &inner.name {
            self.bind(&name.id, name.start());
        }
        visitor::walk_except_handler(self, handler);
    }

    fn visit_pattern(&mut self, pattern: &'a Pattern) {
        if let Some(name) = pattern_capture(pattern) {
            self.bind(&name.id, name.start());
        }
        with_stack(|| visitor::walk_pattern(self, pattern));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_python_parser::{parse_expression, parse_module};

    fn eval(code: &str) -> Option<Vec<String>> {
        let parsed = parse_expression(code).unwrap();
        const_strings(parsed.expr(), None)
    }

    #[test]
    fn evaluates_concatenation_and_repetition() {
        assert_eq!(eval("'__cl' + 'ass__'"), Some(vec!["__class__".into()]));
        assert_eq!(
            eval("'_' * 2 + 'dict' + '__'"),
            Some(vec!["__dict__".into()])
        );
        assert_eq!(eval("f'shape'"), Some(vec!["shape".into()]));
        assert_eq!(eval("f'{x}'"), None);
        assert_eq!(eval("chr(95) * 2"), None);
        assert_eq!(eval("'a' * 100000"), None);
    }

    fn literals_at(code: &str, name: &str) -> Option<Vec<String>> {
        let parsed = parse_module(code).unwrap();
        let literals = Literals::collect(&parsed.syntax().body);
        let never = |_: &str| false;
        let end = TextSize::try_from(code.len()).unwrap();
        let lookup = Lookup {
            literals: &literals,
            at: end,
            is_session_name: &never,
        };
        let expr = parse_expression(name).unwrap();
        const_strings(expr.expr(), Some(lookup))
    }

    #[test]
    fn resolves_names_bound_once_to_literals() {
        assert_eq!(
            literals_at("for k in ('x', 'y'):\n    pass\n", "k"),
            Some(vec!["x".into(), "y".into()])
        );
        assert_eq!(
            literals_at("k = 'shape'\n", "k"),
            Some(vec!["shape".into()])
        );
        assert_eq!(
            literals_at("[1 for k in ['a', 'b']]\n", "k"),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(literals_at("k = 'shape'\nk += '__'\n", "k"), None);
        assert_eq!(literals_at("k = 'a'\ndef f(k): pass\n", "k"), None);
        assert_eq!(literals_at("for k in names:\n    pass\n", "k"), None);
        assert_eq!(
            literals_at("def f():\n    global k\n    k = x\nk = 'a'\n", "k"),
            None
        );
    }
}
