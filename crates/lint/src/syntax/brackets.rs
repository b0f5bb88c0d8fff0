//! Bracket matching on the token stream, so unclosed and mismatched brackets are reported the way
//! CPython reports them: at the bracket, in words the agent has seen before.

use ruff_python_ast::ModModule;
use ruff_python_ast::token::TokenKind;
use ruff_python_parser::{LexicalErrorType, ParseError, ParseErrorType, Parsed};
use ruff_text_size::{Ranged, TextSize};

use crate::source::LineIndex;

/// A bracket problem found by matching bracket tokens, reported in CPython's words.
#[derive(Debug, Clone, Copy)]
pub(super) struct BracketIssue {
    pub(super) at: TextSize,
    problem: BracketProblem,
}

#[derive(Debug, Clone, Copy)]
enum BracketProblem {
    NeverClosed(char),
    Unmatched(char),
    Mismatched {
        close: char,
        open: char,
        open_at: TextSize,
    },
}

impl BracketIssue {
    pub(super) fn message(&self, index: &LineIndex<'_>) -> String {
        match self.problem {
            BracketProblem::NeverClosed(open) => format!("'{open}' was never closed"),
            BracketProblem::Unmatched(close) => format!("unmatched '{close}'"),
            BracketProblem::Mismatched {
                close,
                open,
                open_at,
            } => {
                let open_line = index.position(open_at).line;
                if open_line == index.position(self.at).line {
                    format!(
                        "closing parenthesis '{close}' does not match opening parenthesis '{open}'"
                    )
                } else {
                    format!(
                        "closing parenthesis '{close}' does not match opening parenthesis '{open}' \
                         on line {open_line}"
                    )
                }
            }
        }
    }
}

fn bracket_char(kind: TokenKind) -> Option<(char, bool)> {
    Some(match kind {
        TokenKind::Lpar => ('(', true),
        TokenKind::Lsqb => ('[', true),
        TokenKind::Lbrace => ('{', true),
        TokenKind::Rpar => (')', false),
        TokenKind::Rsqb => (']', false),
        TokenKind::Rbrace => ('}', false),
        _ => return None,
    })
}

fn matching_open(close: char) -> char {
    match close {
        ')' => '(',
        ']' => '[',
        _ => '{',
    }
}

/// The first bracket problem in token order, the way CPython's tokenizer finds it.
pub(super) fn scan_brackets(parsed: &Parsed<ModModule>) -> Option<BracketIssue> {
    let mut stack: Vec<(char, TextSize)> = Vec::new();
    for token in parsed.tokens().iter() {
        let Some((ch, is_open)) = bracket_char(token.kind()) else {
            continue;
        };
        if is_open {
            stack.push((ch, token.start()));
            continue;
        }
        match stack.pop() {
            None => {
                return Some(BracketIssue {
                    at: token.start(),
                    problem: BracketProblem::Unmatched(ch),
                });
            }
            Some((open, open_at)) if open != matching_open(ch) => {
                return Some(BracketIssue {
                    at: token.start(),
                    problem: BracketProblem::Mismatched {
                        close: ch,
                        open,
                        open_at,
                    },
                });
            }
            Some(_) => {}
        }
    }
    stack.pop().map(|(open, at)| BracketIssue {
        at,
        problem: BracketProblem::NeverClosed(open),
    })
}

/// CPython's tokenizer refuses deeper bracket nesting than this ("too many nested parentheses").
pub(super) const MAX_BRACKET_NESTING: usize = 200;

/// Where bracket nesting first exceeds what CPython accepts, if it does.
pub(super) fn too_many_brackets(parsed: &Parsed<ModModule>) -> Option<TextSize> {
    let mut depth = 0usize;
    for token in parsed.tokens().iter() {
        match bracket_char(token.kind()) {
            Some((_, true)) => {
                depth += 1;
                if depth > MAX_BRACKET_NESTING {
                    return Some(token.start());
                }
            }
            Some((_, false)) => depth = depth.saturating_sub(1),
            None => {}
        }
    }
    None
}

/// Whether the bracket problem explains the parse error better than the parser's own message.
///
/// This follows CPython: a stray or mismatched closing bracket is a tokenizer error and wins when
/// it comes first. An unclosed bracket wins when the parser only stumbled at the end of the cell
/// or on a later line than the bracket (`foo(1, 2⏎y = 3`); on the bracket's own line the parser's
/// message is the precise one (`def f(:`). A lexical error such as an unterminated string is the
/// cause of the brackets left open after it, so it always wins over them.
pub(super) fn prefer_bracket(
    bracket: &BracketIssue,
    error: &ParseError,
    index: &LineIndex<'_>,
) -> bool {
    if bracket.at > error.location.start() {
        return false;
    }
    match bracket.problem {
        BracketProblem::Unmatched(_) | BracketProblem::Mismatched { .. } => true,
        BracketProblem::NeverClosed(_) => match &error.error {
            ParseErrorType::Lexical(LexicalErrorType::Eof) => true,
            ParseErrorType::Lexical(_) => false,
            _ => index.position(error.location.start()).line > index.position(bracket.at).line,
        },
    }
}
