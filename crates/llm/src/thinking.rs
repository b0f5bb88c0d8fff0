//! Separating a model's thinking from its answer.
//!
//! Servers deliver thinking in several ways: a reasoning parser fills `reasoning_content` (or
//! `reasoning`); without one, Qwen-style models leave `<think>…</think>` in the content (or only the
//! closing tag when the chat template opened the block in the prompt); Gemma without a parser
//! prefixes its thought with a bare `thought` line. The agent must see only the answer, and the
//! thought goes to the trace.

/// An answer split from its thinking.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Thought {
    /// What the model answered, with thinking removed and surrounding whitespace trimmed.
    pub content: String,
    /// Thinking text, from the server's reasoning field and/or extracted from the content.
    pub reasoning: Option<String>,
    /// The answer was empty and `content` is a copy of the reasoning (parity with the original).
    /// Usually means the output budget ran out while thinking: check the finish reason.
    pub content_from_reasoning: bool,
}

const OPEN: &str = "<think>";
const CLOSE: &str = "</think>";
const GEMMA_PREFIX: &str = "thought\n";

/// Splits raw `content` and the server's `reasoning` field into answer and thinking.
pub fn split_thinking(content: &str, server_reasoning: Option<&str>) -> Thought {
    let mut thoughts: Vec<String> = Vec::new();
    if let Some(r) = server_reasoning.map(str::trim).filter(|r| !r.is_empty()) {
        thoughts.push(r.to_owned());
    }
    let (mut answer, extracted) = strip_think_tags(content);
    thoughts.extend(extracted);

    if thoughts.is_empty()
        && let Some(body) = answer.strip_prefix(GEMMA_PREFIX)
    {
        let (thought, rest) = split_gemma(body);
        if let Some(t) = thought {
            thoughts.push(t);
        }
        answer = rest;
    }

    let answer = answer.trim().to_owned();
    let reasoning = if thoughts.is_empty() {
        None
    } else {
        Some(thoughts.join("\n\n"))
    };
    match reasoning {
        Some(r) if answer.is_empty() => Thought {
            content: r.clone(),
            reasoning: Some(r),
            content_from_reasoning: true,
        },
        reasoning => Thought {
            content: answer,
            reasoning,
            content_from_reasoning: false,
        },
    }
}

/// Removes `<think>` blocks; returns the remaining text and the non-empty thoughts found.
/// Handles an orphan leading `…</think>` and an unclosed trailing `<think>…` (a generation cut off
/// mid-thought).
fn strip_think_tags(content: &str) -> (String, Vec<String>) {
    let mut thoughts = Vec::new();
    let mut push = |t: &str| {
        let t = t.trim();
        if !t.is_empty() {
            thoughts.push(t.to_owned());
        }
    };
    let mut rest = content;
    // Orphan close: the template opened the block in the prompt.
    if let Some(close) = rest.find(CLOSE)
        && rest.find(OPEN).is_none_or(|open| open > close)
    {
        push(&rest[..close]);
        rest = &rest[close + CLOSE.len()..];
    }
    let mut answer = String::with_capacity(rest.len());
    loop {
        match rest.find(OPEN) {
            None => {
                answer.push_str(rest);
                break;
            }
            Some(open) => {
                answer.push_str(&rest[..open]);
                let inner = &rest[open + OPEN.len()..];
                match inner.find(CLOSE) {
                    Some(close) => {
                        push(&inner[..close]);
                        rest = &inner[close + CLOSE.len()..];
                    }
                    None => {
                        push(inner);
                        break;
                    }
                }
            }
        }
    }
    (answer, thoughts)
}

/// Gemma without a reasoning parser writes `thought\n<thinking><answer>`. The answer of the agent
/// starts with its `**Purpose**` section, else with a Markdown heading, else with a bold word at a
/// line start. Without any boundary the prefix is dropped and everything is kept as the answer.
fn split_gemma(body: &str) -> (Option<String>, String) {
    let boundary = body
        .find("**Purpose**")
        .or_else(|| {
            [body.find("\n## "), body.find("\n### ")]
                .into_iter()
                .flatten()
                .min()
        })
        .or_else(|| bold_word_line(body));
    match boundary {
        Some(at) => {
            let thought = body[..at].trim();
            let thought = (!thought.is_empty()).then(|| thought.to_owned());
            (thought, body[at..].to_owned())
        }
        None => (None, body.to_owned()),
    }
}

/// Byte offset of the first `\n**X` where X is alphanumeric.
fn bold_word_line(body: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(rel) = body[from..].find("\n**") {
        let at = from + rel;
        let after = &body[at + 3..];
        if after.chars().next().is_some_and(char::is_alphanumeric) {
            return Some(at);
        }
        from = at + 3;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_reasoning_is_kept() {
        let t = split_thinking(" answer ", Some("mull"));
        assert_eq!(t.content, "answer");
        assert_eq!(t.reasoning.as_deref(), Some("mull"));
        assert!(!t.content_from_reasoning);
    }

    #[test]
    fn think_blocks_move_to_reasoning() {
        let t = split_thinking("<think>a</think>\nX<think>b</think>Y", None);
        assert_eq!(t.content, "XY");
        assert_eq!(t.reasoning.as_deref(), Some("a\n\nb"));
    }

    #[test]
    fn orphan_close_tag() {
        let t = split_thinking("pondering...\n</think>\n\nThe answer", None);
        assert_eq!(t.content, "The answer");
        assert_eq!(t.reasoning.as_deref(), Some("pondering..."));
    }

    #[test]
    fn unclosed_think_is_reasoning_and_falls_back() {
        let t = split_thinking("<think>still going", None);
        assert_eq!(t.content, "still going");
        assert_eq!(t.reasoning.as_deref(), Some("still going"));
        assert!(t.content_from_reasoning);
    }

    #[test]
    fn blank_content_falls_back_to_reasoning() {
        let t = split_thinking("  ", Some("only thought"));
        assert_eq!(t.content, "only thought");
        assert!(t.content_from_reasoning);
        let none = split_thinking("", None);
        assert_eq!(none, Thought::default());
    }

    #[test]
    fn gemma_prefix_split_at_purpose() {
        let t = split_thinking("thought\nLet me see.\n**Purpose**\nfind it", None);
        assert_eq!(t.content, "**Purpose**\nfind it");
        assert_eq!(t.reasoning.as_deref(), Some("Let me see."));
    }

    #[test]
    fn gemma_prefix_split_at_heading_or_bold() {
        let t = split_thinking("thought\nhmm\n## Answer\n42", None);
        assert_eq!(t.content, "## Answer\n42");
        assert_eq!(t.reasoning.as_deref(), Some("hmm"));
        let t = split_thinking("thought\nhmm\n** \n**Final** 3", None);
        assert_eq!(t.content, "**Final** 3");
        assert_eq!(t.reasoning.as_deref(), Some("hmm\n**"));
    }

    #[test]
    fn gemma_prefix_without_boundary_is_dropped() {
        let t = split_thinking("thought\njust text", None);
        assert_eq!(t.content, "just text");
        assert_eq!(t.reasoning, None);
        // Not applied when the server already separated reasoning.
        let t = split_thinking("thought\nx\n## A", Some("r"));
        assert!(t.content.starts_with("thought"));
    }
}
