//! Python's scoping, just enough to tell the builtin `open` from a variable called `open`.
//!
//! A call-name check cannot see aliasing (`f = open; f(...)`) and flags legitimate shadowing
//! (`def compile(parts): …`). Resolving names the way CPython does fixes both: a name is the
//! builtin only when no enclosing scope binds it.

use std::collections::{HashMap, HashSet};

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, ExceptHandler, Expr, ExprContext, Pattern, Stmt};
use ruff_text_size::{Ranged, TextSize};

use crate::syntax::with_stack;

/// What kind of block a scope is; it decides how names inside it resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScopeKind {
    Module,
    /// A `def` or `lambda` body: runs later, and any binding in it makes the name local.
    Function,
    /// A class body: its names are visible in the body itself, not in the methods.
    Class,
    /// A comprehension: its targets are local to it.
    Comprehension,
}

/// One scope on the checker's stack.
#[derive(Debug)]
pub(crate) struct Scope {
    pub(crate) kind: ScopeKind,
    /// Names bound anywhere in this scope (empty for the module; see `ModuleBindings`).
    pub(crate) locals: HashSet<String>,
    /// Names declared `global` in this scope.
    pub(crate) globals: HashSet<String>,
}

impl Scope {
    pub(crate) fn new(kind: ScopeKind, bindings: ScopeBindings) -> Self {
        let ScopeBindings {
            names,
            globals,
            nonlocals,
        } = bindings;
        let locals = names
            .into_iter()
            .map(|(name, _)| name)
            .filter(|name| !globals.contains(name) && !nonlocals.contains(name))
            .collect();
        Self {
            kind,
            locals,
            globals,
        }
    }
}

/// The bindings of one scope, without descending into nested scopes.
#[derive(Debug, Default)]
pub(crate) struct ScopeBindings {
    /// Every binding with the offset where it happens (a name may appear several times).
    pub(crate) names: Vec<(String, TextSize)>,
    pub(crate) globals: HashSet<String>,
    pub(crate) nonlocals: HashSet<String>,
}

impl ScopeBindings {
    /// The bindings made directly in `body`.
    pub(crate) fn of_body(body: &[Stmt]) -> Self {
        let mut collector = Collector::default();
        collector.visit_body(body);
        collector.found
    }

    /// The bindings of a function: its parameters plus those made in its body.
    pub(crate) fn of_function(parameters: Option<&ast::Parameters>, body: &[Stmt]) -> Self {
        let mut found = Self::of_body(body);
        found.add_parameters(parameters);
        found
    }

    /// The bindings of a lambda: its parameters (walrus is not allowed in a lambda body at
    /// module level without parentheses, and binds in the lambda when it is).
    pub(crate) fn of_lambda(lambda: &ast::ExprLambda) -> Self {
        let mut collector = Collector::default();
        collector.visit_expr(&lambda.body);
        let mut found = collector.found;
        found.add_parameters(lambda.parameters.as_deref());
        found
    }

    /// The targets of a comprehension's `for` clauses.
    pub(crate) fn of_comprehension(generators: &[ast::Comprehension]) -> Self {
        let mut collector = Collector::default();
        for generator in generators {
            collector.visit_expr(&generator.target);
        }
        collector.found
    }

    fn add_parameters(&mut self, parameters: Option<&ast::Parameters>) {
        if let Some(parameters) = parameters {
            for parameter in parameters {
                let name = parameter.name();
                self.names.push((name.id.to_string(), name.start()));
            }
        }
    }
}

/// Module-level bindings with the offset of their first occurrence, so that a use at module level
/// resolves to a variable only if the variable was bound earlier in the cell.
#[derive(Debug, Default)]
pub(crate) struct ModuleBindings {
    first: HashMap<String, TextSize>,
}

impl ModuleBindings {
    pub(crate) fn new(body: &[Stmt]) -> Self {
        let mut module = Self::default();
        for (name, at) in ScopeBindings::of_body(body).names {
            module.add(name, at);
        }
        module
    }

    pub(crate) fn add(&mut self, name: String, at: TextSize) {
        self.first
            .entry(name)
            .and_modify(|first| *first = (*first).min(at))
            .or_insert(at);
    }

    /// Whether `name` is bound at module level before `at` (or anywhere, when `anywhere`: code in
    /// a function body runs after the whole cell has been executed).
    pub(crate) fn binds(&self, name: &str, at: TextSize, anywhere: bool) -> bool {
        self.first
            .get(name)
            .is_some_and(|first| anywhere || *first < at)
    }
}

/// Collects the bindings of one scope, stopping at nested scopes (their defaults, decorators and
/// first iterables still belong to this scope and are visited).
#[derive(Default)]
struct Collector {
    found: ScopeBindings,
}

impl Collector {
    fn bind(&mut self, name: &str, at: TextSize) {
        if !name.is_empty() {
            self.found.names.push((name.to_owned(), at));
        }
    }
}

impl<'a> Visitor<'a> for Collector {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        with_stack(|| self.visit_stmt_inner(stmt));
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        with_stack(|| self.visit_expr_inner(expr));
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

impl Collector {
    fn visit_stmt_inner(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::FunctionDef(def) => {
                for decorator in &def.decorator_list {
                    self.visit_decorator(decorator);
                }
                for default in def
                    .parameters
                    .iter_non_variadic_params()
                    .filter_map(|p| p.default.as_deref())
                {
                    self.visit_expr(default);
                }
                self.bind(&def.name.id, def.name.start());
            }
            Stmt::ClassDef(class) => {
                for decorator in &class.decorator_list {
                    self.visit_decorator(decorator);
                }
                if let Some(arguments) = &class.arguments {
                    self.visit_arguments(arguments);
                }
                self.bind(&class.name.id, class.name.start());
            }
            Stmt::Import(import) => {
                for alias in &import.names {
                    let bound = match &alias.asname {
                        Some(asname) => asname.id.as_str(),
                        None => alias.name.id.split('.').next().unwrap_or_default(),
                    };
                    self.bind(bound, alias.start());
                }
            }
            Stmt::ImportFrom(import) => {
                for alias in &import.names {
                    let bound = alias.asname.as_ref().unwrap_or(&alias.name);
                    if bound.id.as_str() != "*" {
                        self.bind(&bound.id, alias.start());
                    }
                }
            }
            Stmt::Global(global) => {
                for name in &global.names {
                    self.found.globals.insert(name.id.to_string());
                }
            }
            Stmt::Nonlocal(nonlocal) => {
                for name in &nonlocal.names {
                    self.found.nonlocals.insert(name.id.to_string());
                }
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr_inner(&mut self, expr: &Expr) {
        match expr {
            Expr::Name(name) => {
                if matches!(name.ctx, ExprContext::Store | ExprContext::Del) {
                    self.bind(&name.id, name.start());
                }
            }
            Expr::Lambda(lambda) => {
                if let Some(parameters) = &lambda.parameters {
                    for default in parameters
                        .iter_non_variadic_params()
                        .filter_map(|p| p.default.as_deref())
                    {
                        self.visit_expr(default);
                    }
                }
            }
            Expr::ListComp(ast::ExprListComp { generators, .. })
            | Expr::SetComp(ast::ExprSetComp { generators, .. })
            | Expr::DictComp(ast::ExprDictComp { generators, .. })
            | Expr::Generator(ast::ExprGenerator { generators, .. }) => {
                if let Some(first) = generators.first() {
                    self.visit_expr(&first.iter);
                }
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}

/// The capture name a pattern binds directly (not those of nested patterns).
pub(crate) fn pattern_capture(pattern: &Pattern) -> Option<&ast::Identifier> {
    match pattern {
        Pattern::MatchAs(ast::PatternMatchAs { name, .. })
        | Pattern::MatchStar(ast::PatternMatchStar { name, .. }) => name.as_ref(),
        Pattern::MatchMapping(ast::PatternMatchMapping { rest, .. }) => rest.as_ref(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_python_parser::parse_module;

    fn names(code: &str) -> Vec<String> {
        let parsed = parse_module(code).unwrap();
        let mut names: Vec<_> = ScopeBindings::of_body(&parsed.syntax().body)
            .names
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        names.sort();
        names.dedup();
        names
    }

    #[test]
    fn collects_every_kind_of_binding_but_not_nested_scopes() {
        let code = "\
import numpy as np, scipy.spatial
from math import pi as PI, tau
def f(a):
    inner = 1
class C:
    attr = 2
for i, (j, *k) in x: pass
with open_thing() as w: pass
try: pass
except E as err: pass
match v:
    case [m, *rest] | {'k': m, **rest}: pass
(walrus := 3)
[comp for comp in range(3)]
del gone
";
        assert_eq!(
            names(code),
            [
                "C", "PI", "err", "f", "gone", "i", "j", "k", "m", "np", "rest", "scipy", "tau",
                "w", "walrus"
            ]
        );
    }

    #[test]
    fn module_bindings_are_positional_unless_deferred() {
        let parsed = parse_module("print(x)\nx = 1\n").unwrap();
        let module = ModuleBindings::new(&parsed.syntax().body);
        assert!(!module.binds("x", TextSize::new(6), false));
        assert!(module.binds("x", TextSize::new(6), true));
        assert!(module.binds("x", TextSize::new(15), false));
    }
}
