//! The rules, run in one pass over the AST.
//!
//! The checker owns what every rule needs (scopes, module aliases, literal strings) and each rule
//! module decides about one concern. One pass keeps the lint well under a millisecond for
//! ordinary cells.

mod builtins;
mod constant;
mod dunder;
mod imports;
mod process;
mod reserved;
mod scope;

use std::collections::{HashMap, HashSet};

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{
    self as ast, Comprehension, ExceptHandler, Expr, ExprContext, FStringPart,
    InterpolatedStringElement, Pattern, Stmt,
};
use ruff_text_size::{Ranged, TextSize};

use crate::policy::Policy;
use crate::report::{Diagnostic, Rule};
use crate::source::LineIndex;
use crate::syntax::with_stack;
use constant::{Literals, Lookup, const_strings};
use scope::{ModuleBindings, Scope, ScopeBindings, ScopeKind, pattern_capture};

/// Runs every rule on a parsed cell.
pub(crate) fn check(body: &[Stmt], index: &LineIndex<'_>, policy: &Policy) -> Vec<Diagnostic> {
    let mut checker = Checker::new(body, policy);
    checker.visit_body(body);
    checker.finish(index)
}

/// How a name gets bound; imports are told apart so `import tools` is not a rebinding.
#[derive(Debug, Clone, Copy)]
pub(crate) enum BindKind<'a> {
    /// Assignment, `del`, `for`/`with`/`except` targets, walrus, patterns, `def`, `class`.
    Other,
    /// An import binding the dotted path it names.
    Import(&'a str),
}

pub(crate) struct Checker<'a> {
    policy: &'a Policy,
    found: Vec<(TextSize, Rule, String)>,
    scopes: Vec<Scope>,
    module: ModuleBindings,
    /// Nesting of function and lambda bodies: code there runs after the whole cell.
    deferred: usize,
    /// Names bound to modules (or module members), with their dotted path.
    aliases: HashMap<String, String>,
    literals: Literals,
    /// Start offsets of names that are the callee of a call.
    callees: HashSet<TextSize>,
    /// Start offsets of `__class__` attributes that only lead to `__name__` and the like.
    excused: HashSet<TextSize>,
}

impl<'a> Checker<'a> {
    fn new(body: &[Stmt], policy: &'a Policy) -> Self {
        Self {
            policy,
            found: Vec::new(),
            scopes: vec![Scope::new(ScopeKind::Module, ScopeBindings::default())],
            module: ModuleBindings::new(body),
            deferred: 0,
            aliases: policy.preimported.clone().into_iter().collect(),
            literals: Literals::collect(body),
            callees: HashSet::new(),
            excused: HashSet::new(),
        }
    }

    pub(crate) fn report(&mut self, at: TextSize, rule: Rule, message: String) {
        self.found.push((at, rule, message));
    }

    fn finish(self, index: &LineIndex<'_>) -> Vec<Diagnostic> {
        let mut diagnostics: Vec<Diagnostic> = self
            .found
            .into_iter()
            .map(|(at, rule, message)| {
                let position = index.position(at);
                Diagnostic {
                    line: position.line,
                    column: position.column,
                    rule,
                    message,
                    snippet: index.line_text(position.line).trim().to_owned(),
                }
            })
            .collect();
        diagnostics.sort_by(|a, b| {
            (a.line, a.column, a.rule, &a.message).cmp(&(b.line, b.column, b.rule, &b.message))
        });
        // One entry per problem and line: `open(open)` needs one fix, not two.
        let mut seen = HashSet::new();
        diagnostics.retain(|d| seen.insert((d.line, d.rule, d.message.clone())));
        diagnostics
    }

    /// Whether `name`, used at `at` in the current scope, is the builtin of that name.
    fn is_builtin(&self, name: &str, at: TextSize) -> bool {
        let innermost = self.scopes.len() - 1;
        for (i, scope) in self.scopes.iter().enumerate().rev() {
            match scope.kind {
                ScopeKind::Module => break,
                // A class body's names are invisible to the functions defined in it.
                ScopeKind::Class if i != innermost => {}
                ScopeKind::Function | ScopeKind::Class | ScopeKind::Comprehension => {
                    if scope.globals.contains(name) {
                        break;
                    }
                    if scope.locals.contains(name) {
                        return false;
                    }
                }
            }
        }
        !(self.policy.session_names.contains(name)
            || self.policy.preimported.contains_key(name)
            || self.module.binds(name, at, self.deferred > 0))
    }

    /// Records a binding of `name`; module-level ones (including `global` ones in functions) go
    /// through the reserved-name rule and end any module alias of that name.
    pub(crate) fn bind(&mut self, name: &str, at: TextSize, kind: BindKind<'_>) {
        let walrus = false;
        self.bind_in(name, at, kind, walrus);
    }

    fn bind_in(&mut self, name: &str, at: TextSize, kind: BindKind<'_>, walrus: bool) {
        if name.is_empty() {
            return;
        }
        let mut module_level = true;
        for scope in self.scopes.iter().rev() {
            match scope.kind {
                ScopeKind::Module => break,
                // The target of `:=` in a comprehension binds in the enclosing scope.
                ScopeKind::Comprehension if walrus => {}
                _ => {
                    module_level = scope.globals.contains(name);
                    break;
                }
            }
        }
        if !module_level {
            return;
        }
        if self.scopes.len() > 1 {
            self.module.add(name.to_owned(), at);
        }
        self.aliases.remove(name);
        reserved::check_binding(self, name, at, kind);
    }

    fn with_scope(&mut self, scope: Scope, deferred: bool, f: impl FnOnce(&mut Self)) {
        self.scopes.push(scope);
        self.deferred += usize::from(deferred);
        f(self);
        self.deferred -= usize::from(deferred);
        self.scopes.pop();
    }

    fn check_name(&mut self, name: &ast::ExprName) {
        let id = name.id.as_str();
        let at = name.start();
        if dunder::is_blocked_name(id) {
            self.report(
                at,
                Rule::DunderAccess,
                format!(
                    "'{id}' is not available in this kernel (it hands out the interpreter's \
                     builtins and import machinery); call builtins directly and import the \
                     allowed modules with import statements."
                ),
            );
            return;
        }
        match name.ctx {
            ExprContext::Load => {
                if !builtins::is_watched(id) || !self.is_builtin(id, at) {
                    return;
                }
                let is_call = self.callees.contains(&at);
                if let Some(instead) = builtins::forbidden_builtin(id) {
                    let message = if is_call {
                        builtins::call_message(id, instead)
                    } else {
                        builtins::alias_message(id, instead)
                    };
                    self.report(at, Rule::DynamicCode, message);
                } else if builtins::ATTRIBUTE_BUILTINS.contains(&id) && !is_call {
                    self.report(
                        at,
                        Rule::ComputedAttribute,
                        builtins::alias_message(
                            id,
                            "read and write attributes directly (obj.name)",
                        ),
                    );
                }
            }
            ExprContext::Store | ExprContext::Del => self.bind(id, at, BindKind::Other),
            ExprContext::Invalid => {}
        }
    }

    fn check_call(&mut self, call: &ast::ExprCall) {
        if let Expr::Name(func) = &*call.func {
            self.callees.insert(func.start());
            let id = func.id.as_str();
            if builtins::is_watched(id) && self.is_builtin(id, func.start()) {
                if let Some(instead) = builtins::forbidden_call(id) {
                    self.report(
                        func.start(),
                        Rule::DynamicCode,
                        builtins::call_message(id, instead),
                    );
                } else if id == "help"
                    && call
                        .arguments
                        .args
                        .first()
                        .is_some_and(|arg| !matches!(arg, Expr::Name(_) | Expr::Attribute(_)))
                {
                    self.report(
                        func.start(),
                        Rule::DynamicCode,
                        builtins::HELP_MESSAGE.to_owned(),
                    );
                } else if builtins::ATTRIBUTE_BUILTINS.contains(&id) {
                    self.check_attribute_builtin(id, call);
                }
            }
        }
        for keyword in &call.arguments.keywords {
            let is_pickle = keyword
                .arg
                .as_ref()
                .is_some_and(|arg| arg.id.as_str() == "allow_pickle");
            if is_pickle && !is_falsy_literal(&keyword.value) {
                self.report(
                    keyword.start(),
                    Rule::DynamicCode,
                    builtins::PICKLE_MESSAGE.to_owned(),
                );
            }
        }
    }

    /// `getattr(obj, name)` and friends: fine when `name` is a known string that is itself fine.
    fn check_attribute_builtin(&mut self, id: &str, call: &ast::ExprCall) {
        let args = &call.arguments.args;
        let computed_at = match (args.first(), args.get(1)) {
            (Some(target), Some(name)) if !target.is_starred_expr() && !name.is_starred_expr() => {
                let session = |n: &str| self.policy.session_names.contains(n);
                let lookup = Lookup {
                    literals: &self.literals,
                    at: name.start(),
                    is_session_name: &session,
                };
                match const_strings(name, Some(lookup)) {
                    Some(values) => {
                        for value in values {
                            self.check_attribute_name(target, &value, name.start());
                        }
                        return;
                    }
                    None => name.start(),
                }
            }
            (_, Some(name)) => name.start(),
            (Some(target), None) => target.start(),
            (None, None) => call.start(),
        };
        self.report(
            computed_at,
            Rule::ComputedAttribute,
            format!(
                "'{id}()' needs the attribute name as a string literal here, because a computed \
                 name could reach anything; write obj.attr directly, or keep the values in a dict \
                 and index it by key."
            ),
        );
    }

    fn check_attribute(&mut self, attribute: &ast::ExprAttribute) {
        let name = attribute.attr.id.as_str();
        let at = attribute.attr.start();
        if dunder::is_harmless_after_class(name)
            && let Expr::Attribute(inner) = &*attribute.value
            && inner.attr.id.as_str() == "__class__"
        {
            self.excused.insert(inner.attr.start());
        }
        if !self.excused.contains(&at) {
            self.check_attribute_name(&attribute.value, name, at);
        }
        if matches!(attribute.ctx, ExprContext::Store | ExprContext::Del) {
            reserved::check_kernel_attribute_store(self, attribute);
        }
    }

    /// The checks for reaching attribute `name` on `value`, written as `value.name` or through
    /// `getattr(value, "name")`.
    fn check_attribute_name(&mut self, value: &Expr, name: &str, at: TextSize) {
        if let Some(instead) = dunder::blocked_attribute(name) {
            self.report(
                at,
                Rule::DunderAccess,
                dunder::attribute_message(name, instead),
            );
            return;
        }
        if imports::check_module_attribute(self, value, name, at) {
            return;
        }
        process::check_attribute(self, value, name, at);
    }

    fn check_format_text(&mut self, text: &str, at: TextSize) {
        if let Some(attr) = dunder::format_field_escape(text) {
            self.report(
                at,
                Rule::DunderAccess,
                format!(
                    "this string has a format field that reads '.{attr}' (str.format looks \
                     attributes up by name, which is a way out of the sandbox); format plain \
                     values instead, e.g. '{{}}'.format(type(x).__name__)."
                ),
            );
        }
    }

    fn visit_comprehension_scope(&mut self, generators: &[Comprehension], parts: &[&Expr]) {
        // The first iterable is evaluated in the enclosing scope; the rest in the comprehension's.
        if let Some(first) = generators.first() {
            self.visit_expr(&first.iter);
        }
        let scope = Scope::new(
            ScopeKind::Comprehension,
            ScopeBindings::of_comprehension(generators),
        );
        self.with_scope(scope, false, |this| {
            for (i, generator) in generators.iter().enumerate() {
                if i > 0 {
                    this.visit_expr(&generator.iter);
                }
                this.visit_expr(&generator.target);
                for condition in &generator.ifs {
                    this.visit_expr(condition);
                }
            }
            for part in parts {
                this.visit_expr(part);
            }
        });
    }

    fn visit_expr_inner(&mut self, expr: &Expr) {
        match expr {
            Expr::Name(name) => self.check_name(name),
            Expr::Attribute(attribute) => {
                self.check_attribute(attribute);
                self.visit_expr(&attribute.value);
            }
            Expr::Call(call) => {
                self.check_call(call);
                visitor::walk_expr(self, expr);
            }
            Expr::StringLiteral(literal) => {
                self.check_format_text(literal.value.to_str(), literal.start());
            }
            Expr::BytesLiteral(literal) => {
                let bytes: Vec<u8> = literal.value.bytes().collect();
                self.check_format_text(&String::from_utf8_lossy(&bytes), literal.start());
            }
            Expr::FString(fstring) => {
                self.check_format_text(&fstring_literal_text(fstring), fstring.start());
                visitor::walk_expr(self, expr);
            }
            Expr::Named(named) => {
                self.visit_expr(&named.value);
                match &*named.target {
                    Expr::Name(target) => {
                        if dunder::is_blocked_name(&target.id) {
                            self.check_name(target);
                        } else {
                            self.bind_in(&target.id, target.start(), BindKind::Other, true);
                        }
                    }
                    other => self.visit_expr(other),
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
                let scope = Scope::new(ScopeKind::Function, ScopeBindings::of_lambda(lambda));
                self.with_scope(scope, true, |this| this.visit_expr(&lambda.body));
            }
            Expr::ListComp(comp) => self.visit_comprehension_scope(&comp.generators, &[&comp.elt]),
            Expr::SetComp(comp) => self.visit_comprehension_scope(&comp.generators, &[&comp.elt]),
            Expr::Generator(comp) => self.visit_comprehension_scope(&comp.generators, &[&comp.elt]),
            Expr::DictComp(comp) => {
                let mut parts: Vec<&Expr> = Vec::with_capacity(2);
                parts.extend(comp.key.as_deref());
                parts.push(&comp.value);
                self.visit_comprehension_scope(&comp.generators, &parts);
            }
            _ => visitor::walk_expr(self, expr),
        }
    }

    fn visit_stmt_inner(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::FunctionDef(def) => {
                for decorator in &def.decorator_list {
                    self.visit_decorator(decorator);
                }
                if let Some(type_params) = &def.type_params {
                    self.visit_type_params(type_params);
                }
                self.visit_parameters(&def.parameters);
                if let Some(returns) = &def.returns {
                    self.visit_annotation(returns);
                }
                self.bind(&def.name.id, def.name.start(), BindKind::Other);
                let scope = Scope::new(
                    ScopeKind::Function,
                    ScopeBindings::of_function(Some(&def.parameters), &def.body),
                );
                self.with_scope(scope, true, |this| this.visit_body(&def.body));
            }
            Stmt::ClassDef(class) => {
                for decorator in &class.decorator_list {
                    self.visit_decorator(decorator);
                }
                if let Some(type_params) = &class.type_params {
                    self.visit_type_params(type_params);
                }
                if let Some(arguments) = &class.arguments {
                    self.visit_arguments(arguments);
                }
                self.bind(&class.name.id, class.name.start(), BindKind::Other);
                let scope = Scope::new(ScopeKind::Class, ScopeBindings::of_body(&class.body));
                self.with_scope(scope, false, |this| this.visit_body(&class.body));
            }
            Stmt::Import(import) => imports::check_import(self, import),
            Stmt::ImportFrom(import) => imports::check_import_from(self, import),
            _ => visitor::walk_stmt(self, stmt),
        }
    }
}

impl<'a> Visitor<'a> for Checker<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        with_stack(|| self.visit_stmt_inner(stmt));
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        with_stack(|| self.visit_expr_inner(expr));
    }

    fn visit_except_handler(&mut self, handler: &'a ExceptHandler) {
        let ExceptHandler::ExceptHandler(inner) = handler;
        if let Some(name) = &inner.name {
            self.bind(&name.id, name.start(), BindKind::Other);
        }
        visitor::walk_except_handler(self, handler);
    }

    fn visit_pattern(&mut self, pattern: &'a Pattern) {
        if let Some(name) = pattern_capture(pattern) {
            self.bind(&name.id, name.start(), BindKind::Other);
        }
        if let Pattern::MatchClass(class) = pattern {
            // `case list(__class__=c)` reads an attribute by name.
            for keyword in &class.arguments.keywords {
                if let Some(instead) = dunder::blocked_attribute(&keyword.attr.id) {
                    self.report(
                        keyword.attr.start(),
                        Rule::DunderAccess,
                        dunder::attribute_message(&keyword.attr.id, instead),
                    );
                }
            }
        }
        with_stack(|| visitor::walk_pattern(self, pattern));
    }
}

/// The literal text of an f-string, with a NUL where each interpolation was.
fn fstring_literal_text(fstring: &ast::ExprFString) -> String {
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
                        InterpolatedStringElement::Interpolation(_) => text.push('\0'),
                    }
                }
            }
        }
    }
    text
}

/// `False`, `None` and `0`: values that leave `allow_pickle` off.
fn is_falsy_literal(expr: &Expr) -> bool {
    match expr {
        Expr::BooleanLiteral(b) => !b.value,
        Expr::NoneLiteral(_) => true,
        Expr::NumberLiteral(n) => matches!(&n.value, ast::Number::Int(i) if i.as_u8() == Some(0)),
        _ => false,
    }
}
