//! Server-sent events of a streamed chat completion.
//!
//! Streaming exists here for one reason: so a call can be bounded by silence instead of by total
//! length. The chunks are folded back into one completion; nothing is surfaced incrementally.

use serde_json::Value;

use crate::error::LlmError;
use crate::usage::Usage;
use crate::wire::{RawCompletion, classify_status, reasoning_of, text_of};

/// Splits a byte stream into SSE event payloads (the joined `data:` lines of each event).
#[derive(Debug, Default)]
pub(crate) struct SseParser {
    buf: Vec<u8>,
    data: Vec<String>,
}

impl SseParser {
    /// Feeds bytes; returns the payloads of events completed by them.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        self.buf.extend_from_slice(bytes);
        let mut events = Vec::new();
        let mut start = 0;
        while let Some(rel) = self.buf[start..].iter().position(|&b| b == b'\n') {
            let end = start + rel;
            let mut line = &self.buf[start..end];
            if line.last() == Some(&b'\r') {
                line = &line[..line.len() - 1];
            }
            if line.is_empty() {
                if !self.data.is_empty() {
                    events.push(self.data.join("\n"));
                    self.data.clear();
                }
            } else if let Some(rest) = line.strip_prefix(b"data:") {
                let rest = rest.strip_prefix(b" ").unwrap_or(rest);
                self.data.push(String::from_utf8_lossy(rest).into_owned());
            }
            // Comments (":") and other fields (event:, id:, retry:) carry nothing we need.
            start = end + 1;
        }
        self.buf.drain(..start);
        events
    }

    /// The event left open when the stream ended without a blank line.
    pub(crate) fn finish(&mut self) -> Option<String> {
        self.push(b"\n\n").pop()
    }
}

/// Folds `chat.completion.chunk` payloads into one completion.
#[derive(Debug, Default)]
pub(crate) struct StreamAccumulator {
    content: String,
    reasoning: String,
    saw_reasoning: bool,
    finish_reason: Option<String>,
    usage: Option<Usage>,
    saw_choice: bool,
    done: bool,
}

impl StreamAccumulator {
    /// Applies one event payload. An error event becomes the matching error (a context overflow
    /// reported mid-stream is still a `ContextTooLong`).
    pub(crate) fn on_event(&mut self, data: &str, endpoint: &str) -> Result<(), LlmError> {
        let data = data.trim();
        if data == "[DONE]" {
            self.done = true;
            return Ok(());
        }
        if data.is_empty() {
            return Ok(());
        }
        let chunk: Value = serde_json::from_str(data).map_err(|e| LlmError::Protocol {
            endpoint: endpoint.to_owned(),
            message: format!("stream chunk is not JSON ({e})"),
        })?;
        if let Some(err) = chunk.get("error").filter(|e| !e.is_null()) {
            let message = err
                .get("message")
                .and_then(Value::as_str)
                .map_or_else(|| err.to_string(), str::to_owned);
            let code = err
                .get("code")
                .and_then(Value::as_u64)
                .and_then(|c| u16::try_from(c).ok())
                .filter(|c| (400..600).contains(c));
            return Err(match code {
                Some(code) => classify_status(endpoint, code, message, None),
                None => LlmError::Protocol {
                    endpoint: endpoint.to_owned(),
                    message: format!("error event in stream: {message}"),
                },
            });
        }
        if let Some(u) = chunk.get("usage").and_then(Usage::from_json) {
            self.usage = Some(u);
        }
        let Some(choice) = chunk
            .get("choices")
            .and_then(Value::as_array)
            .and_then(|c| c.first())
        else {
            return Ok(());
        };
        self.saw_choice = true;
        if let Some(delta) = choice.get("delta").or_else(|| choice.get("message")) {
            if let Some(t) = text_of(delta.get("content")) {
                self.content.push_str(&t);
            }
            if let Some(r) = reasoning_of(delta) {
                self.saw_reasoning = true;
                self.reasoning.push_str(&r);
            }
        }
        if let Some(f) = choice.get("finish_reason").and_then(Value::as_str) {
            self.finish_reason = Some(f.to_owned());
        }
        Ok(())
    }

    pub(crate) fn is_done(&self) -> bool {
        self.done
    }

    /// The completion, or why the stream does not amount to one.
    pub(crate) fn finish(self, endpoint: &str) -> Result<RawCompletion, LlmError> {
        if !self.saw_choice {
            return Err(LlmError::EmptyResponse {
                endpoint: endpoint.to_owned(),
            });
        }
        if !self.done && self.finish_reason.is_none() {
            return Err(LlmError::Protocol {
                endpoint: endpoint.to_owned(),
                message: "stream ended before the completion finished".into(),
            });
        }
        Ok(RawCompletion {
            content: self.content,
            reasoning: self.saw_reasoning.then_some(self.reasoning),
            finish_reason: self.finish_reason,
            usage: self.usage,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parser_handles_split_lines_crlf_and_comments() {
        let mut p = SseParser::default();
        assert!(p.push(b": keepalive\n\nda").is_empty());
        assert!(p.push(b"ta: {\"a\":1}\r").is_empty());
        assert_eq!(
            p.push(b"\n\r\ndata: x\ndata: y\n\n"),
            vec!["{\"a\":1}", "x\ny"]
        );
        assert!(p.push(b"data: [DONE]").is_empty());
        assert_eq!(p.finish().as_deref(), Some("[DONE]"));
    }

    #[test]
    fn accumulates_deltas_and_usage() {
        let mut a = StreamAccumulator::default();
        for ev in [
            r#"{"choices":[{"delta":{"role":"assistant"}}]}"#,
            r#"{"choices":[{"delta":{"reasoning_content":"th"}}]}"#,
            r#"{"choices":[{"delta":{"reasoning":"ink"}}]}"#,
            r#"{"choices":[{"delta":{"content":"ans"}}]}"#,
            r#"{"choices":[{"delta":{"content":"wer"},"finish_reason":"length"}]}"#,
            r#"{"choices":[],"usage":{"prompt_tokens":4,"completion_tokens":6}}"#,
            "[DONE]",
        ] {
            a.on_event(ev, "e").unwrap();
        }
        assert!(a.is_done());
        let c = a.finish("e").unwrap();
        assert_eq!(c.content, "answer");
        assert_eq!(c.reasoning.as_deref(), Some("think"));
        assert_eq!(c.finish_reason.as_deref(), Some("length"));
        assert_eq!(c.usage.unwrap().completion_tokens, 6);
    }

    #[test]
    fn incomplete_or_empty_streams_fail() {
        let mut a = StreamAccumulator::default();
        a.on_event(r#"{"choices":[{"delta":{"content":"x"}}]}"#, "e")
            .unwrap();
        assert!(matches!(a.finish("e"), Err(LlmError::Protocol { .. })));
        let mut b = StreamAccumulator::default();
        b.on_event("[DONE]", "e").unwrap();
        assert!(matches!(b.finish("e"), Err(LlmError::EmptyResponse { .. })));
        let mut c = StreamAccumulator::default();
        let err = c
            .on_event(
                r#"{"error":{"message":"maximum context length is 10 tokens","code":400}}"#,
                "e",
            )
            .unwrap_err();
        assert!(err.is_context_too_long());
    }
}
