//! HTML escaping and a tiny builder.
//!
//! Everything the agent produced (code, stdout, answers, labels, even sample ids) is untrusted
//! text: it goes through [`escape_into`] and nothing else. Markup is only ever written from
//! string literals in this crate, so an injection would need a bug here, and the page's
//! Content-Security-Policy forbids scripts and remote loads as a second line of defence.

use base64::Engine as _;

/// Appends `text` with `& < > " '` replaced, safe both as element text and inside a quoted
/// attribute value.
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // NUL and other C0 controls are parse errors in HTML; show them as U+FFFD.
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' && c != '\r' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

/// [`escape_into`] returning a new string.
pub fn escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len() + text.len() / 8);
    escape_into(&mut s, text);
    s
}

/// The image type of `bytes` from its signature, so a JPEG key frame is not labelled PNG.
pub fn image_mime(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF8") {
        Some("image/gif")
    } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// A `data:` URL for an image, or `None` when the bytes are not a known raster format (an SVG
/// or arbitrary bytes could carry script, so they are never inlined).
pub fn image_data_url(bytes: &[u8]) -> Option<String> {
    let mime = image_mime(bytes)?;
    let mut s = String::with_capacity(bytes.len() * 4 / 3 + 32);
    s.push_str("data:");
    s.push_str(mime);
    s.push_str(";base64,");
    base64::engine::general_purpose::STANDARD.encode_string(bytes, &mut s);
    Some(s)
}

/// Decodes base64 leniently (standard alphabet, whitespace ignored).
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let cleaned: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let cleaned = cleaned
        .strip_prefix("data:image/png;base64,")
        .or_else(|| cleaned.strip_prefix("data:image/jpeg;base64,"))
        .unwrap_or(&cleaned);
    base64::engine::general_purpose::STANDARD
        .decode(cleaned)
        .ok()
}

/// An HTML fragment under construction. Text goes in escaped; markup only from literals.
#[derive(Debug, Default, Clone)]
pub struct Html {
    buf: String,
}

impl Html {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends trusted markup (a literal of this crate, or the output of another `Html`).
    pub fn raw(&mut self, markup: &str) -> &mut Self {
        self.buf.push_str(markup);
        self
    }

    /// Appends untrusted text, escaped.
    pub fn text(&mut self, text: &str) -> &mut Self {
        escape_into(&mut self.buf, text);
        self
    }

    /// Opens `tag` with attributes whose values are escaped. Names must be literals.
    pub fn open(&mut self, tag: &str, attrs: &[(&str, &str)]) -> &mut Self {
        self.buf.push('<');
        self.buf.push_str(tag);
        for (name, value) in attrs {
            self.buf.push(' ');
            self.buf.push_str(name);
            self.buf.push_str("=\"");
            escape_into(&mut self.buf, value);
            self.buf.push('"');
        }
        self.buf.push('>');
        self
    }

    pub fn close(&mut self, tag: &str) -> &mut Self {
        self.buf.push_str("</");
        self.buf.push_str(tag);
        self.buf.push('>');
        self
    }

    /// `<tag attrs>text</tag>` with the text escaped.
    pub fn elem(&mut self, tag: &str, attrs: &[(&str, &str)], text: &str) -> &mut Self {
        self.open(tag, attrs).text(text).close(tag)
    }

    /// An `<img>` for image bytes, or a visible note when they are not a known image.
    pub fn image(&mut self, bytes: &[u8], alt: &str, class: &str) -> &mut Self {
        match image_data_url(bytes) {
            Some(url) => {
                // tabindex lets a click focus the thumbnail, which CSS then shows full size: a
                // zoom with no script.
                self.open(
                    "img",
                    &[
                        ("src", &url),
                        ("alt", alt),
                        ("title", alt),
                        ("class", class),
                        ("tabindex", "0"),
                    ],
                )
            }
            None => self.elem(
                "span",
                &[("class", "missing")],
                &format!("[{alt}: not a PNG/JPEG image, {} bytes]", bytes.len()),
            ),
        }
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub fn into_string(self) -> String {
        self.buf
    }

    pub fn as_str(&self) -> &str {
        &self.buf
    }
}

/// The policy every page carries: no scripts, no remote anything; images only inline.
pub const CSP: &str = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

/// Wraps a body into a complete document with the shared inline stylesheet.
pub fn page(title: &str, body: &Html) -> String {
    let mut h = Html::new();
    h.raw("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .open(
            "meta",
            &[("http-equiv", "Content-Security-Policy"), ("content", CSP)],
        )
        .elem("title", &[], title)
        .raw("<style>")
        .raw(crate::style::CSS)
        .raw("</style></head>\n<body>\n")
        .raw(body.as_str())
        .raw("\n</body></html>\n");
    h.into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(escape("a\u{0}b\u{7}"), "a\u{FFFD}b\u{FFFD}");
    }

    #[test]
    fn only_raster_images_become_data_urls() {
        assert!(
            image_data_url(b"\x89PNG\r\n\x1a\nrest")
                .unwrap()
                .starts_with("data:image/png;base64,")
        );
        assert!(image_data_url(b"<svg onload=alert(1)>").is_none());
        let mut h = Html::new();
        h.image(b"<svg>", "x\"y", "t");
        assert!(!h.as_str().contains("<img"), "{}", h.as_str());
        assert!(h.as_str().contains("x&quot;y"));
    }

    #[test]
    fn attribute_values_are_escaped() {
        let mut h = Html::new();
        h.open("a", &[("href", "x\" onclick=\"evil")]).close("a");
        assert_eq!(h.as_str(), "<a href=\"x&quot; onclick=&quot;evil\"></a>");
    }
}
