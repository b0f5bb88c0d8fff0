//! Chat messages and their OpenAI wire form.
//!
//! The agent re-sends its whole history (dozens of frames) on every step, so images are stored
//! once as shared bytes and their base64 data URL is computed at most once per image, no matter
//! how many times or how many clones of the message are sent.

use std::fmt;
use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::de::{self, Deserializer};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

/// Who speaks a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

impl Role {
    /// The OpenAI wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// Encoded image formats a VLM server accepts in a data URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageMime {
    Png,
    Jpeg,
}

impl ImageMime {
    /// The MIME type as written in a data URL.
    pub fn as_str(self) -> &'static str {
        match self {
            ImageMime::Png => "image/png",
            ImageMime::Jpeg => "image/jpeg",
        }
    }

    /// Recognises PNG and JPEG by their magic bytes, so callers holding opaque bytes from the
    /// kernel cannot mislabel them.
    pub fn sniff(bytes: &[u8]) -> Option<ImageMime> {
        if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
            Some(ImageMime::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageMime::Jpeg)
        } else {
            None
        }
    }
}

/// The bytes given to [`ImagePart::from_bytes`] are neither PNG nor JPEG.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "image bytes are neither PNG nor JPEG (first bytes: {head:02x?}); encode the image as PNG or JPEG first"
)]
pub struct ImageFormatError {
    head: Vec<u8>,
}

/// An encoded image inside a message. Cloning is cheap (two `Arc`s); clones share the cached
/// data URL.
#[derive(Clone)]
pub struct ImagePart {
    bytes: Arc<[u8]>,
    mime: ImageMime,
    data_url: Arc<OnceLock<Box<str>>>,
}

impl ImagePart {
    /// Wraps already-encoded bytes of the given format.
    pub fn new(bytes: impl Into<Arc<[u8]>>, mime: ImageMime) -> Self {
        ImagePart {
            bytes: bytes.into(),
            mime,
            data_url: Arc::new(OnceLock::new()),
        }
    }

    /// PNG bytes.
    pub fn png(bytes: impl Into<Arc<[u8]>>) -> Self {
        Self::new(bytes, ImageMime::Png)
    }

    /// JPEG bytes.
    pub fn jpeg(bytes: impl Into<Arc<[u8]>>) -> Self {
        Self::new(bytes, ImageMime::Jpeg)
    }

    /// Bytes of unknown format: detected from the magic number.
    pub fn from_bytes(bytes: impl Into<Arc<[u8]>>) -> Result<Self, ImageFormatError> {
        let bytes: Arc<[u8]> = bytes.into();
        match ImageMime::sniff(&bytes) {
            Some(mime) => Ok(Self::new(bytes, mime)),
            None => Err(ImageFormatError {
                head: bytes.iter().take(8).copied().collect(),
            }),
        }
    }

    /// Parses a `data:image/png;base64,…` URL (the form servers receive). The URL itself becomes
    /// the cached encoding, so re-serialising it costs nothing.
    pub fn from_data_url(url: &str) -> Option<Self> {
        let rest = url.strip_prefix("data:")?;
        let (header, payload) = rest.split_once(',')?;
        let mime_str = header.strip_suffix(";base64")?;
        let mime = match mime_str {
            "image/png" => ImageMime::Png,
            "image/jpeg" | "image/jpg" => ImageMime::Jpeg,
            _ => return None,
        };
        let bytes = BASE64.decode(payload.trim()).ok()?;
        let cache = OnceLock::new();
        if mime_str == mime.as_str() {
            let _ = cache.set(url.into());
        }
        Some(ImagePart {
            bytes: bytes.into(),
            mime,
            data_url: Arc::new(cache),
        })
    }

    /// The encoded bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The shared byte buffer (for callers that keep the image elsewhere too).
    pub fn shared_bytes(&self) -> Arc<[u8]> {
        Arc::clone(&self.bytes)
    }

    pub fn mime(&self) -> ImageMime {
        self.mime
    }

    /// `data:<mime>;base64,<payload>`, encoded on first use and cached.
    pub fn data_url(&self) -> &str {
        self.data_url.get_or_init(|| {
            let prefix = format!("data:{};base64,", self.mime.as_str());
            let mut out = String::with_capacity(prefix.len() + self.bytes.len().div_ceil(3) * 4);
            out.push_str(&prefix);
            BASE64.encode_string(&self.bytes, &mut out);
            out.into_boxed_str()
        })
    }

    /// Whether the data URL has been computed already (lets tests prove the cache works).
    pub fn is_encoded(&self) -> bool {
        self.data_url.get().is_some()
    }
}

impl fmt::Debug for ImagePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImagePart")
            .field("mime", &self.mime)
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl PartialEq for ImagePart {
    fn eq(&self, other: &Self) -> bool {
        self.mime == other.mime && self.bytes == other.bytes
    }
}

/// One piece of a message's content.
#[derive(Debug, Clone, PartialEq)]
pub enum ContentPart {
    Text(String),
    Image(ImagePart),
}

impl ContentPart {
    pub fn text(text: impl Into<String>) -> Self {
        ContentPart::Text(text.into())
    }

    pub fn image(image: ImagePart) -> Self {
        ContentPart::Image(image)
    }
}

impl From<ImagePart> for ContentPart {
    fn from(image: ImagePart) -> Self {
        ContentPart::Image(image)
    }
}

impl From<String> for ContentPart {
    fn from(text: String) -> Self {
        ContentPart::Text(text)
    }
}

impl From<&str> for ContentPart {
    fn from(text: &str) -> Self {
        ContentPart::Text(text.to_owned())
    }
}

/// One chat message. Consecutive messages with the same role are allowed (the agent sends the
/// first message, the plan and a transition as three user turns); see
/// `ClientOptions::merge_consecutive_messages` for servers whose chat template rejects that.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub role: Role,
    pub content: Vec<ContentPart>,
}

impl Message {
    pub fn new(role: Role, content: Vec<ContentPart>) -> Self {
        Message { role, content }
    }

    pub fn system(text: impl Into<String>) -> Self {
        Self::new(Role::System, vec![ContentPart::Text(text.into())])
    }

    pub fn user_text(text: impl Into<String>) -> Self {
        Self::new(Role::User, vec![ContentPart::Text(text.into())])
    }

    pub fn assistant(text: impl Into<String>) -> Self {
        Self::new(Role::Assistant, vec![ContentPart::Text(text.into())])
    }

    /// A user turn mixing text and images, in order.
    pub fn user_parts(parts: Vec<ContentPart>) -> Self {
        Self::new(Role::User, parts)
    }

    /// All text parts joined by newlines (images omitted).
    pub fn text(&self) -> String {
        let texts: Vec<&str> = self
            .content
            .iter()
            .filter_map(|p| match p {
                ContentPart::Text(t) => Some(t.as_str()),
                ContentPart::Image(_) => None,
            })
            .collect();
        texts.join("\n")
    }

    /// The images of this message, in order.
    pub fn images(&self) -> impl Iterator<Item = &ImagePart> {
        self.content.iter().filter_map(|p| match p {
            ContentPart::Image(i) => Some(i),
            ContentPart::Text(_) => None,
        })
    }
}

/// Serialises a content list: a lone text part becomes a plain string (accepted by every chat
/// template, including ones that reject arrays for system/assistant turns), anything else the
/// OpenAI array of typed parts.
struct WireContent<'a>(&'a [&'a ContentPart]);

impl Serialize for WireContent<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            [] => s.serialize_str(""),
            [ContentPart::Text(t)] => s.serialize_str(t),
            parts => {
                let mut seq = s.serialize_seq(Some(parts.len()))?;
                for part in parts {
                    seq.serialize_element(&WirePart(part))?;
                }
                seq.end()
            }
        }
    }
}

struct WirePart<'a>(&'a ContentPart);

struct WireImageUrl<'a>(&'a str);

impl Serialize for WireImageUrl<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry("url", self.0)?;
        m.end()
    }
}

impl Serialize for WirePart<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        match self.0 {
            ContentPart::Text(t) => {
                m.serialize_entry("type", "text")?;
                m.serialize_entry("text", t)?;
            }
            ContentPart::Image(img) => {
                m.serialize_entry("type", "image_url")?;
                m.serialize_entry("image_url", &WireImageUrl(img.data_url()))?;
            }
        }
        m.end()
    }
}

struct WireMessage<'a> {
    role: Role,
    parts: Vec<&'a ContentPart>,
}

impl Serialize for WireMessage<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("role", self.role.as_str())?;
        m.serialize_entry("content", &WireContent(&self.parts))?;
        m.end()
    }
}

/// A message list in wire form, optionally merging runs of same-role messages into one.
pub(crate) struct WireMessages<'a> {
    messages: Vec<WireMessage<'a>>,
}

impl<'a> WireMessages<'a> {
    pub(crate) fn new(messages: &'a [Message], merge_consecutive: bool) -> Self {
        let mut out: Vec<WireMessage<'a>> = Vec::with_capacity(messages.len());
        for msg in messages {
            match out.last_mut() {
                Some(prev) if merge_consecutive && prev.role == msg.role => {
                    prev.parts.extend(msg.content.iter());
                }
                _ => out.push(WireMessage {
                    role: msg.role,
                    parts: msg.content.iter().collect(),
                }),
            }
        }
        WireMessages { messages: out }
    }
}

impl Serialize for WireMessages<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.messages.len()))?;
        for m in &self.messages {
            seq.serialize_element(m)?;
        }
        seq.end()
    }
}

impl Serialize for Message {
    /// The OpenAI wire form (images as base64 data URLs).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        WireMessage {
            role: self.role,
            parts: self.content.iter().collect(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Message {
    /// Reads the OpenAI wire form back (string or array content; images must be PNG/JPEG data
    /// URLs). Used by local servers standing in for a VLM and by trace readers.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        Message::from_wire(&value).map_err(de::Error::custom)
    }
}

impl Message {
    /// Parses one OpenAI-format message object; the error says which part is unusable.
    pub fn from_wire(value: &serde_json::Value) -> Result<Message, String> {
        let role = match value.get("role").and_then(|r| r.as_str()) {
            Some("system") | Some("developer") => Role::System,
            Some("user") => Role::User,
            Some("assistant") => Role::Assistant,
            Some(other) => return Err(format!("unsupported message role {other:?}")),
            None => return Err("message has no \"role\" string".into()),
        };
        let content = match value.get("content") {
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(serde_json::Value::String(t)) => vec![ContentPart::Text(t.clone())],
            Some(serde_json::Value::Array(parts)) => {
                let mut out = Vec::with_capacity(parts.len());
                for (i, part) in parts.iter().enumerate() {
                    match part.get("type").and_then(|t| t.as_str()) {
                        Some("text") => {
                            let t = part.get("text").and_then(|t| t.as_str()).unwrap_or("");
                            out.push(ContentPart::Text(t.to_owned()));
                        }
                        Some("image_url") => {
                            let url = part
                                .get("image_url")
                                .and_then(|u| u.get("url").or(Some(u)))
                                .and_then(|u| u.as_str())
                                .ok_or_else(|| format!("content part {i}: image_url has no url"))?;
                            let img = ImagePart::from_data_url(url).ok_or_else(|| {
                                format!("content part {i}: not a base64 PNG/JPEG data URL")
                            })?;
                            out.push(ContentPart::Image(img));
                        }
                        other => {
                            return Err(format!("content part {i}: unsupported type {other:?}"));
                        }
                    }
                }
                out
            }
            Some(_) => return Err("message content must be a string or an array".into()),
        };
        Ok(Message { role, content })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3];

    #[test]
    fn image_serialises_as_data_url_and_caches() {
        let img = ImagePart::from_bytes(PNG.to_vec()).unwrap();
        assert_eq!(img.mime(), ImageMime::Png);
        let msg = Message::user_parts(vec!["look".into(), img.clone().into()]);
        assert!(!img.is_encoded());
        let v = serde_json::to_value(&msg).unwrap();
        assert!(img.is_encoded(), "clones share the cache");
        assert_eq!(v["role"], "user");
        assert_eq!(v["content"][0]["type"], "text");
        assert_eq!(v["content"][1]["type"], "image_url");
        let url = v["content"][1]["image_url"]["url"].as_str().unwrap();
        assert!(url.starts_with("data:image/png;base64,"));
        let back = ImagePart::from_data_url(url).unwrap();
        assert_eq!(back.bytes(), PNG);
    }

    #[test]
    fn single_text_is_a_plain_string() {
        let v = serde_json::to_value(Message::system("hi")).unwrap();
        assert_eq!(v, serde_json::json!({"role": "system", "content": "hi"}));
    }

    #[test]
    fn unknown_bytes_are_rejected() {
        let err = ImagePart::from_bytes(vec![1u8, 2, 3]).unwrap_err();
        assert!(err.to_string().contains("PNG or JPEG"));
        assert!(ImagePart::from_bytes(vec![0xFF, 0xD8, 0xFF, 0]).is_ok());
    }

    #[test]
    fn merge_joins_same_role_runs() {
        let msgs = vec![
            Message::system("s"),
            Message::user_text("a"),
            Message::user_text("b"),
            Message::assistant("c"),
        ];
        let merged = serde_json::to_value(WireMessages::new(&msgs, true)).unwrap();
        assert_eq!(merged.as_array().unwrap().len(), 3);
        assert_eq!(merged[1]["content"][1]["text"], "b");
        let kept = serde_json::to_value(WireMessages::new(&msgs, false)).unwrap();
        assert_eq!(kept.as_array().unwrap().len(), 4);
    }

    #[test]
    fn wire_round_trip() {
        let img = ImagePart::jpeg(vec![0xFF, 0xD8, 0xFF, 9]);
        let msg = Message::user_parts(vec!["q".into(), img.into()]);
        let v = serde_json::to_value(&msg).unwrap();
        let back: Message = serde_json::from_value(v).unwrap();
        assert_eq!(back, msg);
        assert!(Message::from_wire(&serde_json::json!({"role": "tool"})).is_err());
    }
}
