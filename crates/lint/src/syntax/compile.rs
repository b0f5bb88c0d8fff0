//! Errors CPython raises only when compiling (after parsing succeeded), found here so that a cell
//! that passes `check_syntax` also compiles in the kernel.

use std::collections::HashSet;

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, Identifier, Parameters, Stmt};
use ruff_text_size::{Ranged, TextSize};

use super::with_stack;

/// The first `from __future__ import …` that follows other statements (a leading docstring and
/// other future imports are allowed before it), which CPython refuses to compile.
pub(super) fn late_future_import(body: &[Stmt]) -> Option<TextSize> {
    let mut seen_other = false;
    for (i, stmt) in body.iter().enumerate() {
        match stmt {
            Stmt::ImportFrom(import)
                if import.level == 0
                    && import
                        .module
                        .as_ref()
                        .is_some_and(|m| m.id.as_str() == "__future__") =>
            {
                if seen_other {
                    return Some(stmt.start());
                }
            }
            Stmt::Expr(expr) if i == 0 && expr.value.is_string_literal_expr() => {}
            _ => seen_other = true,
        }
    }
    None
}

/// The first parameter name that appears twice.
fn duplicate_parameter(parameters: &Parameters) -> Option<&Identifier> {
    let mut seen = HashSet::new();
    parameters
        .iter()
        .map(|p| p.name())
        .find(|name| !seen.insert(name.id.as_str()))
}

/// Finds statements that parse but that CPython refuses to compile, so they are reported before
/// the cell is run: `return`/`yield` outside a function, `break`/`continue` outside a loop,
/// `nonlocal` at module level, duplicate parameters and repeated keyword arguments.
#[derive(Default)]
pub(super) struct ContextChecker {
    in_function: bool,
    in_loop: bool,
    pub(super) found: Option<(TextSize, String)>,
}

impl ContextChecker {
    fn report(&mut self, at: TextSize, message: impl Into<String>) {
        let message = message.into();
        if self.found.as_ref().is_none_or(|(first, _)| at < *first) {
            self.found = Some((at, message));
        }
    }
}

impl<'a> Visitor<'a> for ContextChecker {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        with_stack(|| self.visit_stmt_inner(stmt));
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        with_stack(|| self.visit_expr_inner(expr));
    }
}

impl ContextChecker {
    fn visit_stmt_inner(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::FunctionDef(def) => {
                for decorator in &def.decorator_list {
                    self.visit_decorator(decorator);
                }
                self.visit_parameters(&def.parameters);
                if let Some(name) = duplicate_parameter(&def.parameters) {
                    self.report(
                        name.start(),
                        format!("duplicate argument '{}' in function definition", name.id),
                    );
                }
                if let Some(returns) = &def.returns {
                    self.visit_annotation(returns);
                }
                let saved = (self.in_function, self.in_loop);
                (self.in_function, self.in_loop) = (true, false);
                self.visit_body(&def.body);
                (self.in_function, self.in_loop) = saved;
            }
            Stmt::ClassDef(class) => {
                for decorator in &class.decorator_list {
                    self.visit_decorator(decorator);
                }
                if let Some(arguments) = &class.arguments {
                    self.visit_arguments(arguments);
                }
                let saved = (self.in_function, self.in_loop);
                (self.in_function, self.in_loop) = (false, false);
                self.visit_body(&class.body);
                (self.in_function, self.in_loop) = saved;
            }
            Stmt::For(node) => {
                self.visit_expr(&node.iter);
                self.visit_expr(&node.target);
                let saved = self.in_loop;
                self.in_loop = true;
                self.visit_body(&node.body);
                self.in_loop = saved;
                self.visit_body(&node.orelse);
            }
            Stmt::While(node) => {
                self.visit_expr(&node.test);
                let saved = self.in_loop;
                self.in_loop = true;
                self.visit_body(&node.body);
                self.in_loop = saved;
                self.visit_body(&node.orelse);
            }
            Stmt::Return(_) if !self.in_function => {
                self.report(
                    stmt.start(),
                    "'return' outside function: a cell is not a function body. To finish, call \
                     ReturnAnswer(answer); to show a value, print() it",
                );
            }
            Stmt::Break(_) if !self.in_loop => self.report(stmt.start(), "'break' outside loop"),
            Stmt::Continue(_) if !self.in_loop => {
                self.report(stmt.start(), "'continue' not properly in loop");
            }
            Stmt::Nonlocal(_) if !self.in_function => self.report(
                stmt.start(),
                "nonlocal declaration not allowed at module level",
            ),
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr_inner(&mut self, expr: &Expr) {
        match expr {
            Expr::Yield(_) | Expr::YieldFrom(_) if !self.in_function => {
                self.report(expr.start(), "'yield' outside function");
            }
            Expr::Lambda(lambda) => {
                if let Some(parameters) = &lambda.parameters {
                    self.visit_parameters(parameters);
                    if let Some(name) = duplicate_parameter(parameters) {
                        self.report(
                            name.start(),
                            format!("duplicate argument '{}' in lambda definition", name.id),
                        );
                    }
                }
                let saved = self.in_function;
                self.in_function = true;
                self.visit_expr(&lambda.body);
                self.in_function = saved;
            }
            Expr::Call(call) => {
                let mut seen = HashSet::new();
                for keyword in &call.arguments.keywords {
                    if let Some(arg) = &keyword.arg
                        && !seen.insert(arg.id.as_str())
                    {
                        self.report(
                            keyword.start(),
                            format!("keyword argument repeated: {}", arg.id),
                        );
                    }
                }
                visitor::walk_expr(self, expr);
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}
