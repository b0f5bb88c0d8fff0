//! Reading the OpenAI response and error formats (vLLM's included).

use std::time::Duration;

use serde_json::Value;

use crate::error::LlmError;
use crate::usage::Usage;

/// A completion as the server sent it, before thinking is separated.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct RawCompletion {
    pub(crate) content: String,
    pub(crate) reasoning: Option<String>,
    pub(crate) finish_reason: Option<String>,
    pub(crate) usage: Option<Usage>,
}

/// Text of a `content`/`reasoning` field: a string, or an array of `{"type":"text","text":…}`.
pub(crate) fn text_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => Some(
            parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join(""),
        ),
        _ => None,
    }
}

/// The reasoning field under either name servers use.
pub(crate) fn reasoning_of(obj: &Value) -> Option<String> {
    text_of(obj.get("reasoning_content")).or_else(|| text_of(obj.get("reasoning")))
}

/// Parses a non-streaming `chat.completion` body.
pub(crate) fn parse_completion(body: &Value, endpoint: &str) -> Result<RawCompletion, LlmError> {
    if let Some(err) = body.get("error").filter(|e| !e.is_null()) {
        return Err(LlmError::Protocol {
            endpoint: endpoint.to_owned(),
            message: format!("error object in a 200 response: {}", error_message_of(err)),
        });
    }
    let Some(choices) = body.get("choices").and_then(Value::as_array) else {
        return match body.as_object() {
            Some(_) => Err(LlmError::EmptyResponse {
                endpoint: endpoint.to_owned(),
            }),
            None => Err(LlmError::Protocol {
                endpoint: endpoint.to_owned(),
                message: "response body is not a JSON object".into(),
            }),
        };
    };
    let Some(choice) = choices.first() else {
        return Err(LlmError::EmptyResponse {
            endpoint: endpoint.to_owned(),
        });
    };
    let message = choice.get("message").cloned().unwrap_or(Value::Null);
    Ok(RawCompletion {
        content: text_of(message.get("content")).unwrap_or_default(),
        reasoning: reasoning_of(&message),
        finish_reason: choice
            .get("finish_reason")
            .and_then(Value::as_str)
            .map(str::to_owned),
        usage: body.get("usage").and_then(Usage::from_json),
    })
}

fn error_message_of(err: &Value) -> String {
    match err {
        Value::String(s) => s.clone(),
        Value::Object(o) => o
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| err.to_string()),
        other => other.to_string(),
    }
}

/// The human message inside an error body: OpenAI `{"error":{"message"}}`, vLLM
/// `{"object":"error","message"}`, FastAPI `{"detail"}`, or the raw text (shortened).
pub(crate) fn error_message(body: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        if let Some(err) = v.get("error").filter(|e| !e.is_null()) {
            return error_message_of(err);
        }
        if let Some(m) = v.get("message").and_then(Value::as_str) {
            return m.to_owned();
        }
        if let Some(d) = v.get("detail") {
            return d.as_str().map_or_else(|| d.to_string(), str::to_owned);
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "(empty body)".into();
    }
    let mut end = text.len().min(500);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// `Retry-After` in seconds (HTTP dates are rare from LLM servers and are ignored).
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    let secs: f64 = v.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

/// Maps a non-success status to the error the retry loop understands.
pub(crate) fn classify_status(
    endpoint: &str,
    status: u16,
    message: String,
    retry_after: Option<Duration>,
) -> LlmError {
    let endpoint = endpoint.to_owned();
    if status == 429 {
        return LlmError::RateLimited {
            endpoint,
            message,
            retry_after,
        };
    }
    if (400..500).contains(&status)
        && let Some(info) = context_overflow(&message)
    {
        return LlmError::ContextTooLong {
            endpoint,
            message,
            prompt_tokens: info.prompt_tokens,
            max_context: info.max_context,
        };
    }
    LlmError::Http {
        endpoint,
        status,
        message,
    }
}

/// What a context-overflow message states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Overflow {
    pub(crate) prompt_tokens: Option<u64>,
    pub(crate) max_context: Option<u64>,
}

/// Recognises "does not fit the context" messages of vLLM (old and new wording), OpenAI and
/// similar servers, and pulls out the numbers they state.
pub(crate) fn context_overflow(message: &str) -> Option<Overflow> {
    let m = message.to_ascii_lowercase();
    let is_overflow = m.contains("maximum context length")
        || m.contains("context_length_exceeded")
        || m.contains("maximum model length")
        || m.contains("max_model_len")
        || m.contains("prompt is too long")
        || m.contains("input is too long")
        || (m.contains("context length") && (m.contains("exceed") || m.contains("too long")))
        || (m.contains("context window") && m.contains("exceed"));
    if !is_overflow {
        return None;
    }
    let max_context = [
        "maximum context length is",
        "maximum context length of",
        "maximum context length (",
        "maximum model length of",
        "maximum model length is",
        "max_model_len of",
        "max_model_len=",
        "max_model_len (",
        "context length is",
    ]
    .iter()
    .find_map(|needle| number_after(&m, needle));
    let prompt_tokens = [
        "request has",
        "prompt (length",
        "input length (",
        "resulted in",
        "messages resulted in",
        "prompt contains",
        "prompt has",
    ]
    .iter()
    .find_map(|needle| number_after(&m, needle))
    .or_else(|| number_before(&m, "in the messages"))
    .or_else(|| number_before(&m, "input tokens"))
    .or_else(|| number_before(&m, "prompt tokens"));
    Some(Overflow {
        prompt_tokens,
        max_context,
    })
}

/// The integer right after `needle` (spaces, `(`, `:` and `=` skipped; `,`/`_` digit separators
/// allowed).
fn number_after(hay: &str, needle: &str) -> Option<u64> {
    let at = hay.find(needle)? + needle.len();
    let rest = hay[at..].trim_start_matches([' ', '(', ':', '=']);
    let digits: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',' || *c == '_')
        .filter(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The integer right before `needle`.
fn number_before(hay: &str, needle: &str) -> Option<u64> {
    let at = hay.find(needle)?;
    let head = hay[..at].trim_end_matches([' ', '(']);
    let start = head
        .rfind(|c: char| !(c.is_ascii_digit() || c == ','))
        .map_or(0, |i| i + 1);
    head[start..].replace(',', "").parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_completion_and_usage() {
        let body = json!({"choices": [{"message": {"content": "hi", "reasoning_content": "r"},
            "finish_reason": "stop"}], "usage": {"prompt_tokens": 5, "completion_tokens": 2}});
        let c = parse_completion(&body, "e").unwrap();
        assert_eq!(c.content, "hi");
        assert_eq!(c.reasoning.as_deref(), Some("r"));
        assert_eq!(c.finish_reason.as_deref(), Some("stop"));
        assert_eq!(c.usage.unwrap().prompt_tokens, 5);
        let alt = json!({"choices": [{"message": {"content": null, "reasoning": "r2"}}]});
        let c = parse_completion(&alt, "e").unwrap();
        assert_eq!(
            (c.content.as_str(), c.reasoning.as_deref()),
            ("", Some("r2"))
        );
    }

    #[test]
    fn empty_choices_is_its_own_error() {
        for body in [json!({"choices": []}), json!({"id": "x"})] {
            assert!(matches!(
                parse_completion(&body, "e"),
                Err(LlmError::EmptyResponse { .. })
            ));
        }
    }

    #[test]
    fn error_bodies() {
        assert_eq!(
            error_message(br#"{"error":{"message":"bad key"}}"#),
            "bad key"
        );
        assert_eq!(
            error_message(br#"{"object":"error","message":"m","code":400}"#),
            "m"
        );
        assert_eq!(error_message(br#"{"detail":"nope"}"#), "nope");
        assert_eq!(error_message(b"  plain  "), "plain");
        assert_eq!(error_message(b""), "(empty body)");
    }

    #[test]
    fn overflow_wordings() {
        let old = "This model's maximum context length is 4096 tokens. However, you requested \
                   5000 tokens (1000 in the messages, 4000 in the completion).";
        assert_eq!(
            context_overflow(old),
            Some(Overflow {
                prompt_tokens: Some(1000),
                max_context: Some(4096)
            })
        );
        let new = "'max_tokens' or 'max_completion_tokens' is too large: 131072. This model's \
                   maximum context length is 131072 tokens and your request has 2,000 input tokens";
        assert_eq!(
            context_overflow(new),
            Some(Overflow {
                prompt_tokens: Some(2000),
                max_context: Some(131072)
            })
        );
        let prompt =
            "The decoder prompt (length 140000) is longer than the maximum model length of 131072.";
        assert_eq!(
            context_overflow(prompt),
            Some(Overflow {
                prompt_tokens: Some(140000),
                max_context: Some(131072)
            })
        );
        assert!(context_overflow("Invalid value for temperature").is_none());
        assert!(matches!(
            classify_status("e", 400, old.into(), None),
            LlmError::ContextTooLong { .. }
        ));
        assert!(matches!(
            classify_status("e", 500, old.into(), None),
            LlmError::Http { status: 500, .. }
        ));
    }
}
