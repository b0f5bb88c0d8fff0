//! Parsing the cell and turning parser errors into one message the agent can act on.
//!
//! Syntax errors never reach the kernel: a cell that does not parse costs a step, so the message must
//! say exactly where and what. We report the *first* real problem (like CPython), prefer CPython's
//! wording for the errors LLMs make most (unclosed brackets, bad indentation) and always show the
//! offending line with a caret.

mod brackets;
mod compile;

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, ModModule, Pattern, Stmt};
use ruff_python_parser::{
    LexicalErrorType, Mode, ParseError, ParseErrorType, ParseOptions, Parsed, parse_unchecked,
};
use ruff_text_size::{Ranged, TextSize};

use crate::source::{LineIndex, caret_snippet};
use brackets::{MAX_BRACKET_NESTING, prefer_bracket, scan_brackets, too_many_brackets};
use compile::{ContextChecker, late_future_import};

/// Cells larger than this are refused before parsing. Agent cells are a few KiB; the cap bounds the
/// work (and the AST depth) an adversarial or runaway cell can cause in the host.
pub const MAX_CELL_BYTES: usize = 128 * 1024;

/// Deeper nesting than this is refused. CPython itself gives up far earlier for brackets (200
/// levels), and nobody writes 2000-term operator chains by hand; the cap keeps every later pass
/// cheap. (Deep trees are still walked safely: every recursive pass grows its stack on demand.)
pub const MAX_NESTING: usize = 2000;

/// Which exception CPython would raise, so the agent sees the name it knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyntaxIssueKind {
    /// `SyntaxError`.
    Syntax,
    /// `IndentationError` (a subclass of `SyntaxError` in CPython).
    Indentation,
}

impl fmt::Display for SyntaxIssueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Syntax => "SyntaxError",
            Self::Indentation => "IndentationError",
        })
    }
}

/// The first syntax problem in a cell, positioned so the agent can fix it in one go.
///
/// `Display` renders the agent-facing text: kind, position, message, then the offending line with a
/// caret under the column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at line {line}, column {column}: {message}\n{}", caret_snippet(.source_line, *.column))]
pub struct SyntaxIssue {
    /// `SyntaxError` or `IndentationError`.
    pub kind: SyntaxIssueKind,
    /// 1-based line of the problem.
    pub line: usize,
    /// 1-based column of the problem, in characters.
    pub column: usize,
    /// What is wrong, phrased like CPython where CPython's phrasing is the better known one.
    pub message: String,
    /// The text of the offending line (without its line ending).
    pub source_line: String,
}

/// Checks that `code` is a syntactically valid cell.
///
/// Besides what the parser rejects, this also rejects what CPython only rejects when compiling
/// (`return`/`yield` outside a function, `break`/`continue` outside a loop), oversized cells and
/// absurd nesting, so a cell that passes here compiles in the kernel.
pub fn check_syntax(code: &str) -> Result<(), SyntaxIssue> {
    let mut cell = ParsedCell::parse(code)?;
    match cell.issue.take() {
        Some(issue) => Err(issue),
        None => Ok(()),
    }
}

/// A parsed cell plus its first syntax problem, if any.
///
/// The AST is kept even when the cell has errors: ruff recovers, so the rules can still report
/// problems in the valid parts in the same round trip.
pub(crate) struct ParsedCell {
    parsed: Option<Parsed<ModModule>>,
    depth: usize,
    pub(crate) issue: Option<SyntaxIssue>,
}

impl ParsedCell {
    /// Parses `code`. `Err` means there is no usable AST at all (cell too large, too deep, or the
    /// parser itself failed); `Ok` may still carry a syntax issue.
    pub(crate) fn parse(code: &str) -> Result<Self, SyntaxIssue> {
        let index = LineIndex::new(code);
        if code.len() > MAX_CELL_BYTES {
            return Err(issue_at(
                &index,
                TextSize::new(0),
                SyntaxIssueKind::Syntax,
                format!(
                    "the cell is {} bytes; the limit is {MAX_CELL_BYTES}. Split the work across \
                     several cells, and compute data instead of pasting it",
                    code.len()
                ),
            ));
        }
        // The parser is a dependency we do not control; a panic in it must not take down the host.
        let parsed = catch_unwind(AssertUnwindSafe(|| {
            parse_unchecked(code, ParseOptions::from(Mode::Module)).try_into_module()
        }));
        let Ok(Some(parsed)) = parsed else {
            return Err(issue_at(
                &index,
                TextSize::new(0),
                SyntaxIssueKind::Syntax,
                "the parser could not read this cell; simplify it and send it again".to_owned(),
            ));
        };
        let mut meter = DepthMeter::default();
        meter.visit_body(&parsed.syntax().body);
        let mut cell = Self {
            parsed: Some(parsed),
            depth: meter.max,
            issue: None,
        };
        if cell.depth > MAX_NESTING {
            let deepest = meter.deepest_at;
            return Err(issue_at(
                &index,
                deepest,
                SyntaxIssueKind::Syntax,
                format!(
                    "the code nests expressions or blocks more than {MAX_NESTING} levels deep; \
                     split it into smaller statements"
                ),
            ));
        }
        cell.issue = cell.first_issue(&index);
        Ok(cell)
    }

    /// The statements of the cell (the recovered AST when the cell has syntax errors). Only
    /// `Drop` takes the AST out, so this is always `Some` in practice.
    pub(crate) fn body(&self) -> &[Stmt] {
        self.parsed
            .as_ref()
            .map_or(&[], |parsed| parsed.syntax().body.as_slice())
    }

    fn first_issue(&self, index: &LineIndex<'_>) -> Option<SyntaxIssue> {
        let parsed = self.parsed.as_ref()?;
        let first_error = parsed.errors().iter().min_by_key(|e| e.location.start());
        if let Some(error) = first_error {
            let brackets = scan_brackets(parsed);
            if let Some(bracket) = brackets.filter(|b| prefer_bracket(b, error, index)) {
                return Some(issue_at(
                    index,
                    bracket.at,
                    SyntaxIssueKind::Syntax,
                    bracket.message(index),
                ));
            }
            return Some(describe_parse_error(index, error));
        }
        if let Some(at) = too_many_brackets(parsed) {
            return Some(issue_at(
                index,
                at,
                SyntaxIssueKind::Syntax,
                format!(
                    "too many nested parentheses (more than {MAX_BRACKET_NESTING}); \
                     split the expression into named parts"
                ),
            ));
        }
        if let Some(at) = late_future_import(&parsed.syntax().body) {
            return Some(issue_at(
                index,
                at,
                SyntaxIssueKind::Syntax,
                "from __future__ imports must occur at the beginning of the cell".to_owned(),
            ));
        }
        let mut context = ContextChecker::default();
        context.visit_body(&parsed.syntax().body);
        context
            .found
            .map(|(at, message)| issue_at(index, at, SyntaxIssueKind::Syntax, message))
    }
}

impl Drop for ParsedCell {
    /// The AST's drop glue recurses once per nesting level; on a thread with a small stack (tokio
    /// workers get 2 MiB) a deep but legal cell would overflow it. Deep trees are therefore dropped
    /// on a stack sized for their depth.
    fn drop(&mut self) {
        let Some(parsed) = self.parsed.take() else {
            return;
        };
        if self.depth <= SHALLOW_DEPTH {
            drop(parsed);
        } else {
            let stack = DROP_STACK_BASE + self.depth.saturating_mul(DROP_STACK_PER_LEVEL);
            stacker::grow(stack, move || drop(parsed));
        }
    }
}

/// Trees at most this deep are dropped on the caller's stack.
const SHALLOW_DEPTH: usize = 64;
const DROP_STACK_BASE: usize = 64 * 1024;
/// Generous for debug builds; the drop glue of one `Expr` level takes a few hundred bytes.
const DROP_STACK_PER_LEVEL: usize = 2 * 1024;

/// Red zone and growth step for recursive passes over the AST.
pub(crate) const STACK_RED_ZONE: usize = 64 * 1024;
pub(crate) const STACK_GROWTH: usize = 1024 * 1024;

/// Runs `f` with at least [`STACK_RED_ZONE`] of stack left, growing it on the heap if needed.
pub(crate) fn with_stack<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, f)
}

fn issue_at(
    index: &LineIndex<'_>,
    at: TextSize,
    kind: SyntaxIssueKind,
    message: String,
) -> SyntaxIssue {
    let position = index.position(at);
    SyntaxIssue {
        kind,
        line: position.line,
        column: position.column,
        message,
        source_line: index.line_text(position.line).to_owned(),
    }
}

fn describe_parse_error(index: &LineIndex<'_>, error: &ParseError) -> SyntaxIssue {
    let at = error.location.start();
    let line = index.position(at).line;
    let line_text = index.line_text(line);
    let trimmed = line_text.trim_start();
    // LLMs trained on notebooks write `!pip install …` and `%matplotlib inline`.
    if trimmed.starts_with('!') || trimmed.starts_with('%') {
        let indent = TextSize::try_from(line_text.len() - trimmed.len()).unwrap_or_default();
        return issue_at(
            index,
            index.line_start(line) + indent,
            SyntaxIssueKind::Syntax,
            "IPython magics and shell commands (`%…`, `!…`) are not available: the kernel runs \
             plain Python. Remove the line; numpy, scipy, matplotlib and PIL are already installed \
             and plots are shown with plt.show()"
                .to_owned(),
        );
    }
    // Indentation problems point at the first character after the indentation.
    let indent_end = index.line_start(line)
        + TextSize::try_from(line_text.len() - trimmed.len()).unwrap_or_default();
    // Python 2 habits: `print "x"`.
    if matches!(error.error, ParseErrorType::SimpleStatementsOnSameLine)
        && trimmed.starts_with("print ")
    {
        return issue_at(
            index,
            indent_end,
            SyntaxIssueKind::Syntax,
            "Missing parentheses in call to 'print'. Did you mean print(...)?".to_owned(),
        );
    }
    let (kind, message, at) = match &error.error {
        ParseErrorType::UnexpectedIndentation => (
            SyntaxIssueKind::Indentation,
            "unexpected indent".to_owned(),
            indent_end,
        ),
        ParseErrorType::Lexical(LexicalErrorType::IndentationError) => (
            SyntaxIssueKind::Indentation,
            "unindent does not match any outer indentation level".to_owned(),
            indent_end,
        ),
        ParseErrorType::Lexical(LexicalErrorType::UnclosedStringError) => (
            SyntaxIssueKind::Syntax,
            "unterminated string literal: close the quote on the same line, or use a \
             triple-quoted string for multi-line text"
                .to_owned(),
            at,
        ),
        ParseErrorType::OtherError(msg) if msg.starts_with("Expected an indented block") => (
            SyntaxIssueKind::Indentation,
            lowercase_first(msg),
            indent_end,
        ),
        other => (SyntaxIssueKind::Syntax, other.to_string(), at),
    };
    issue_at(index, at, kind, message)
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Measures nesting depth (statements, expressions and patterns) without overflowing the stack.
#[derive(Default)]
struct DepthMeter {
    depth: usize,
    max: usize,
    deepest_at: TextSize,
}

impl DepthMeter {
    fn enter(&mut self, at: TextSize) {
        self.depth += 1;
        if self.depth > self.max {
            self.max = self.depth;
            self.deepest_at = at;
        }
    }
}

impl<'a> Visitor<'a> for DepthMeter {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        self.enter(stmt.start());
        with_stack(|| visitor::walk_stmt(self, stmt));
        self.depth -= 1;
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        self.enter(expr.start());
        with_stack(|| visitor::walk_expr(self, expr));
        self.depth -= 1;
    }

    fn visit_pattern(&mut self, pattern: &'a Pattern) {
        self.enter(pattern.start());
        with_stack(|| visitor::walk_pattern(self, pattern));
        self.depth -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue(code: &str) -> SyntaxIssue {
        match check_syntax(code) {
            Err(issue) => issue,
            Ok(()) => panic!("expected a syntax issue for {code:?}"),
        }
    }

    #[test]
    fn valid_cells_pass() {
        check_syntax("x = 1\nprint(x)\n").unwrap();
        check_syntax("").unwrap();
        check_syntax("def f():\n    return 1\nfor i in range(3):\n    if i: break\n").unwrap();
        check_syntax("g = lambda: (yield)\n").unwrap();
    }

    #[test]
    fn unclosed_bracket_points_at_the_opening_bracket() {
        let found = issue("x = foo(1, 2\ny = 3\n");
        assert_eq!((found.line, found.column), (1, 8));
        assert_eq!(found.message, "'(' was never closed");
        let text = found.to_string();
        assert!(text.starts_with("SyntaxError at line 1, column 8: '(' was never closed"));
        assert!(text.ends_with("    x = foo(1, 2\n           ^"), "{text}");
    }

    #[test]
    fn innermost_unclosed_bracket_is_reported() {
        // The outer list is the innermost bracket still open when the cell ends.
        let found = issue("pts = np.array([[1, 2], [3, 4]\nprint(pts)\n");
        assert_eq!(found.message, "'[' was never closed");
        assert_eq!((found.line, found.column), (1, 16));
        let found = issue("x = foo(1, [2\n");
        assert_eq!(found.message, "'[' was never closed");
        assert_eq!((found.line, found.column), (1, 12));
    }

    #[test]
    fn mismatched_and_unmatched_brackets() {
        let found = issue("x = (1, 2]\n");
        assert_eq!(
            found.message,
            "closing parenthesis ']' does not match opening parenthesis '('"
        );
        assert_eq!((found.line, found.column), (1, 10));
        let found = issue("x = (1,\n 2]\n");
        assert!(found.message.ends_with("on line 1"), "{}", found.message);
        let found = issue("x = 1)\n");
        assert_eq!(found.message, "unmatched ')'");
        assert_eq!((found.line, found.column), (1, 6));
    }

    #[test]
    fn bad_indentation() {
        let found = issue("if x:\n    a = 1\n      b = 2\n");
        assert_eq!(found.kind, SyntaxIssueKind::Indentation);
        assert_eq!(found.message, "unexpected indent");
        assert_eq!((found.line, found.column), (3, 7));
        let found = issue("if x:\n    a = 1\n  b = 2\n");
        assert_eq!(found.kind, SyntaxIssueKind::Indentation);
        assert_eq!((found.line, found.column), (3, 3));
        assert!(found.to_string().ends_with("    b = 2\n      ^"), "{found}");
        let found = issue("def f():\nreturn 1\n");
        assert_eq!(found.kind, SyntaxIssueKind::Indentation);
        assert!(found.message.starts_with("expected an indented block"));
        assert_eq!(found.line, 2);
        assert!(found.to_string().starts_with("IndentationError at line 2"));
    }

    #[test]
    fn other_errors_keep_their_position() {
        let found = issue("for i in range(3)\n    pass\n");
        assert_eq!((found.line, found.column), (1, 18));
        assert!(found.message.contains("Expected `:`"), "{}", found.message);
        let found = issue("a = 1\nx = = 2\n");
        assert_eq!((found.line, found.column), (2, 5));
        // On the bracket's own line the parser's message is the precise one.
        let found = issue("def f(:\n  pass\n");
        assert_eq!((found.line, found.column), (1, 7));
        assert!(found.message.starts_with("Expected a parameter"), "{found}");
        let found = issue("print 'hello'\n");
        assert!(
            found
                .message
                .starts_with("Missing parentheses in call to 'print'")
        );
        let found = issue("print('abc)\n");
        assert!(found.message.starts_with("unterminated string literal"));
        assert_eq!((found.line, found.column), (1, 7));
    }

    #[test]
    fn compile_time_errors_are_caught() {
        let found = issue("x = 1\nreturn x\n");
        assert!(found.message.starts_with("'return' outside function"));
        assert_eq!(found.line, 2);
        assert_eq!(issue("break\n").message, "'break' outside loop");
        assert_eq!(
            issue("for i in x:\n    def f():\n        continue\n").message,
            "'continue' not properly in loop"
        );
        assert_eq!(issue("y = (yield 1)\n").message, "'yield' outside function");
        assert_eq!(issue("class A:\n    return 1\n").line, 2);
        assert_eq!(issue("x = 1\nfrom __future__ import annotations\n").line, 2);
        check_syntax("\"\"\"doc\"\"\"\nfrom __future__ import annotations\nx = 1\n").unwrap();
        assert_eq!(
            issue("def f(a, b, a):\n    pass\n").message,
            "duplicate argument 'a' in function definition"
        );
        let found = issue("plt.plot(x, y, color='r', color='b')\n");
        assert_eq!(found.message, "keyword argument repeated: color");
        assert_eq!((found.line, found.column), (1, 27));
    }

    #[test]
    fn notebook_magics_get_a_specific_message() {
        let found = issue("import numpy as np\n!pip install open3d\n");
        assert_eq!((found.line, found.column), (2, 1));
        assert!(
            found.message.contains("IPython magics"),
            "{}",
            found.message
        );
        let found = issue("%matplotlib inline\nx = 1\n");
        assert_eq!(found.line, 1);
        assert!(found.message.contains("IPython magics"));
    }

    #[test]
    fn oversized_and_overdeep_cells_are_refused_without_overflow() {
        let big = "x = 1\n".repeat(MAX_CELL_BYTES / 6 + 1);
        assert!(issue(&big).message.contains("limit"));
        let deep = format!("x = {}1", "-".repeat(MAX_NESTING + 10));
        assert!(issue(&deep).message.contains("levels deep"));
        let parens = format!("x = {}1{}", "(".repeat(5000), ")".repeat(5000));
        assert!(
            issue(&parens)
                .message
                .starts_with("too many nested parentheses")
        );
        let ok = format!("x = {}1{}", "(".repeat(150), ")".repeat(150));
        check_syntax(&ok).unwrap();
    }

    #[test]
    fn deep_trees_are_safe_on_small_stacks() {
        // A 60k-term sum is a 60k-deep tree; parsing, measuring and dropping it must not overflow a
        // 256 KiB thread stack.
        let chain = format!("x = {}1\n", "1+".repeat(60_000));
        let deep_unary = format!("x = {}1\n", "-".repeat(60_000));
        let handle = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                let a = check_syntax(&chain).unwrap_err();
                let b = check_syntax(&deep_unary).unwrap_err();
                (a.message, b.message)
            })
            .unwrap();
        let (a, b) = handle.join().unwrap();
        assert!(a.contains("levels deep") && b.contains("levels deep"));
    }
}
