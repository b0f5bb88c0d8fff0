//! Reading the model's reply: **Purpose**, **Reasoning**, **Next Goal**, and the action
//! section (**Code** for the code interfaces, **Tool Call** for react).
//!
//! Tolerant where the original was brittle: `**Purpose:**`, `### Purpose` and `Purpose:` all
//! count as headers; headers and fences inside the code block are code, not structure; a fence
//! left open by token truncation still yields the code.

/// The four sections of a code-interface reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeResponse {
    pub purpose: String,
    pub reasoning: String,
    pub next_goal: String,
    pub code: String,
}

impl CodeResponse {
    /// The reply as it is kept in history: sections only, no thinking, no stray prose.
    pub fn render(&self) -> String {
        format!(
            "**Purpose**: {}\n**Reasoning**: {}\n**Next Goal**: {}\n**Code**:\n```python\n{}\n```",
            self.purpose,
            self.reasoning,
            self.next_goal,
            self.code.trim_end()
        )
    }
}

/// Why a reply could not be used. The text is what the model reads in the repair request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error(
        "Could not find the section(s) {missing}. Reply with **Purpose**, **Reasoning**, **Next Goal** and {action}."
    )]
    Missing {
        missing: String,
        action: &'static str,
    },
    #[error("Section **{0}** is empty; every section needs content.")]
    Empty(&'static str),
    /// The react tool call is not usable (bad JSON, unknown tool, bad argument).
    #[error("{0}")]
    ToolCall(String),
}

/// Which action section a reply must carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    Code,
    ToolCall,
}

impl ActionKind {
    fn title(self) -> &'static str {
        match self {
            ActionKind::Code => "Code",
            ActionKind::ToolCall => "Tool Call",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            ActionKind::Code => "**Code** (a ```python block)",
            ActionKind::ToolCall => "**Tool Call** (one ```json object with \"tool\" and \"args\")",
        }
    }
}

/// The sections of a reply, the action section still raw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sections {
    pub purpose: String,
    pub reasoning: String,
    pub next_goal: String,
    /// The body of the action section's first fence (closing fence optional), else its text.
    pub action: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Purpose,
    Reasoning,
    NextGoal,
    Code,
}

impl Section {
    fn title(self) -> &'static str {
        match self {
            Section::Purpose => "Purpose",
            Section::Reasoning => "Reasoning",
            Section::NextGoal => "Next Goal",
            Section::Code => "Code",
        }
    }
}

/// Remove `<think>…</think>` blocks, and everything before an orphan `</think>` (servers that
/// strip the opening tag). Returns (visible text, thinking text).
pub fn strip_thinking(text: &str) -> (String, String) {
    let mut visible = String::new();
    let mut thinking = String::new();
    let mut rest = text;
    if let Some(end) = rest.find("</think>")
        && !rest[..end].contains("<think>")
    {
        thinking.push_str(&rest[..end]);
        rest = &rest[end + "</think>".len()..];
    }
    while let Some(start) = rest.find("<think>") {
        visible.push_str(&rest[..start]);
        let after = &rest[start + "<think>".len()..];
        match after.find("</think>") {
            Some(end) => {
                thinking.push_str(&after[..end]);
                rest = &after[end + "</think>".len()..];
            }
            None => {
                thinking.push_str(after);
                rest = "";
            }
        }
    }
    visible.push_str(rest);
    if visible.trim().is_empty() && !thinking.trim().is_empty() {
        // Nothing outside the thinking: the answer may be inside it.
        return (
            text.replace("<think>", "").replace("</think>", ""),
            String::new(),
        );
    }
    (visible, thinking)
}

/// If `line` is a section header, the section and the text after the header on that line.
fn header(line: &str) -> Option<(Section, &str)> {
    let mut s = line.trim_start();
    s = s.trim_start_matches('#').trim_start();
    let bold = s.starts_with("**") || s.starts_with("__");
    if bold {
        s = &s[2..];
    }
    let lower = s.to_ascii_lowercase();
    let names: [(&str, Section); 7] = [
        ("purpose", Section::Purpose),
        ("reasoning", Section::Reasoning),
        ("next goal", Section::NextGoal),
        ("next_goal", Section::NextGoal),
        ("code", Section::Code),
        ("tool call", Section::Code),
        ("tool_call", Section::Code),
    ];
    for (name, section) in names {
        if !lower.starts_with(name) {
            continue;
        }
        let mut rest = &s[name.len()..];
        // `**Purpose:**`, `**Purpose**:`, `Purpose:` and `### Purpose` are all headers; a
        // sentence that merely starts with "Code" is not.
        let mut had_marker = bold || line.trim_start().starts_with('#');
        rest = rest.trim_start_matches([' ', '\t']);
        if let Some(r) = rest.strip_prefix(':') {
            rest = r;
            had_marker = true;
        }
        if bold {
            rest = rest
                .strip_prefix("**")
                .or_else(|| rest.strip_prefix("__"))?;
        }
        if let Some(r) = rest.trim_start_matches([' ', '\t']).strip_prefix(':') {
            rest = r;
            had_marker = true;
        }
        if !had_marker {
            return None;
        }
        return Some((section, rest.trim()));
    }
    None
}

fn is_fence(line: &str) -> bool {
    line.trim_start().starts_with("```")
}

/// Parse a code-interface reply.
pub fn parse_code_response(raw: &str) -> Result<CodeResponse, FormatError> {
    let s = parse_sections(raw, ActionKind::Code)?;
    Ok(CodeResponse {
        purpose: s.purpose,
        reasoning: s.reasoning,
        next_goal: s.next_goal,
        code: s.action,
    })
}

/// Split a reply into its four sections; `action` names the fourth in error messages.
pub fn parse_sections(raw: &str, action: ActionKind) -> Result<Sections, FormatError> {
    let (text, _) = strip_thinking(raw);
    let mut sections: [Option<String>; 4] = Default::default();
    let mut current: Option<Section> = None;
    let mut in_fence = false;
    let mut code_done = false;
    let mut buf = String::new();

    let flush = |sections: &mut [Option<String>; 4], current: Option<Section>, buf: &mut String| {
        if let Some(sec) = current {
            let slot = &mut sections[sec as usize];
            if slot.is_none() {
                *slot = Some(std::mem::take(buf));
            }
        }
        buf.clear();
    };

    for line in text.lines() {
        if in_fence {
            if line.trim() == "```" {
                in_fence = false;
                if current == Some(Section::Code) {
                    code_done = true;
                }
                buf.push_str(line);
                buf.push('\n');
                continue;
            }
            buf.push_str(line);
            buf.push('\n');
            continue;
        }
        if let Some((sec, rest)) = header(line) {
            // After the code block closed, later sections still count; a header before the
            // code's fence opens also counts.
            flush(&mut sections, current, &mut buf);
            current = Some(sec);
            if !rest.is_empty() {
                buf.push_str(rest);
                buf.push('\n');
            }
            continue;
        }
        if is_fence(line) {
            in_fence = true;
        }
        if current == Some(Section::Code) && code_done && !line.trim().is_empty() && !is_fence(line)
        {
            // Prose after the closed code block is not code.
            continue;
        }
        buf.push_str(line);
        buf.push('\n');
    }
    flush(&mut sections, current, &mut buf);

    let missing: Vec<&str> = [
        Section::Purpose,
        Section::Reasoning,
        Section::NextGoal,
        Section::Code,
    ]
    .into_iter()
    .filter(|s| sections[*s as usize].is_none())
    .map(|s| match s {
        Section::Code => action.title(),
        other => other.title(),
    })
    .collect();
    if !missing.is_empty() {
        return Err(FormatError::Missing {
            missing: missing
                .iter()
                .map(|m| format!("**{m}**"))
                .collect::<Vec<_>>()
                .join(", "),
            action: action.describe(),
        });
    }
    let take = |s: Section| {
        sections[s as usize]
            .clone()
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    let code = extract_code(&sections[Section::Code as usize].clone().unwrap_or_default());
    let resp = Sections {
        purpose: take(Section::Purpose),
        reasoning: take(Section::Reasoning),
        next_goal: take(Section::NextGoal),
        action: code,
    };
    for (value, title) in [
        (&resp.purpose, Section::Purpose.title()),
        (&resp.reasoning, Section::Reasoning.title()),
        (&resp.next_goal, Section::NextGoal.title()),
        (&resp.action, action.title()),
    ] {
        if value.trim().is_empty() {
            return Err(FormatError::Empty(title));
        }
    }
    Ok(resp)
}

/// The code inside the first fence of a section (closing fence optional), else the raw text.
fn extract_code(section: &str) -> String {
    let mut lines = section.lines();
    let mut out = Vec::new();
    let mut found = false;
    for line in lines.by_ref() {
        if is_fence(line) {
            found = true;
            break;
        }
    }
    if !found {
        return section.trim().to_owned();
    }
    for line in lines {
        if line.trim() == "```" {
            break;
        }
        out.push(line);
    }
    let code = out.join("\n");
    code.trim_matches('\n').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "**Purpose**: find the chair\n**Reasoning**: segment it\n**Next Goal**: measure\n**Code**:\n```python\nseg = tools.SAM3.segment_image_by_text(InputImages[0], 'chair')\nprint(seg)\n```\n";

    #[test]
    fn the_canonical_format_parses() {
        let r = parse_code_response(GOOD).unwrap();
        assert_eq!(r.purpose, "find the chair");
        assert_eq!(r.next_goal, "measure");
        assert_eq!(
            r.code,
            "seg = tools.SAM3.segment_image_by_text(InputImages[0], 'chair')\nprint(seg)"
        );
        assert_eq!(
            parse_code_response(&r.render()).unwrap(),
            r,
            "rendering is stable"
        );
    }

    #[test]
    fn header_variants_the_original_rejected_are_accepted() {
        for (p, r, n, c) in [
            (
                "**Purpose:**",
                "**Reasoning:**",
                "**Next Goal:**",
                "**Code:**",
            ),
            ("### Purpose", "### Reasoning", "### Next Goal", "### Code"),
            ("Purpose:", "Reasoning:", "Next_Goal:", "Code:"),
        ] {
            let text = format!("{p} a\n{r} b\n{n} c\n{c}\n```\nx = 1\n```");
            let got = parse_code_response(&text).unwrap_or_else(|e| panic!("{p}: {e}"));
            assert_eq!(
                (got.purpose.as_str(), got.code.as_str()),
                ("a", "x = 1"),
                "{p}"
            );
        }
    }

    #[test]
    fn markers_inside_the_code_do_not_cut_it() {
        let text = "**Purpose**: p\n**Reasoning**: r\n**Next Goal**: n\n**Code**:\n```python\ns = \"**Code** and ``` inside\"\n# **Purpose**: not a header\nprint(s)\n```";
        let r = parse_code_response(text).unwrap();
        assert_eq!(
            r.code,
            "s = \"**Code** and ``` inside\"\n# **Purpose**: not a header\nprint(s)"
        );
    }

    #[test]
    fn an_unclosed_fence_keeps_the_code() {
        let text = "**Purpose**: p\n**Reasoning**: r\n**Next Goal**: n\n**Code**:\n```python\nx = 1\ny = 2";
        assert_eq!(parse_code_response(text).unwrap().code, "x = 1\ny = 2");
    }

    #[test]
    fn thinking_is_dropped_and_sections_may_come_in_any_order() {
        let text = "<think>**Purpose**: wrong</think>**Code**:\n```python\nx=1\n```\n**Next Goal**: n\n**Reasoning**: r\n**Purpose**: right";
        let r = parse_code_response(text).unwrap();
        assert_eq!(r.purpose, "right");
        assert_eq!(r.code, "x=1");
        let orphan = "thinking without an opening tag</think>\n".to_owned() + GOOD;
        assert_eq!(
            parse_code_response(&orphan).unwrap().purpose,
            "find the chair"
        );
    }

    #[test]
    fn missing_and_empty_sections_are_named() {
        let err = parse_code_response("**Purpose**: p\n**Code**:\n```\nx\n```")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("**Reasoning**") && err.contains("**Next Goal**"),
            "{err}"
        );
        let err = parse_code_response(
            "**Purpose**: p\n**Reasoning**:\n**Next Goal**: n\n**Code**: ```\nx\n```",
        )
        .unwrap_err();
        assert_eq!(err, FormatError::Empty("Reasoning"));
        assert!(parse_code_response("").is_err());
        assert!(
            parse_code_response("Code review of the approach is below.").is_err(),
            "prose is not a header"
        );
    }

    #[test]
    fn prose_after_the_code_block_is_not_code() {
        let text = format!("{GOOD}\nThis should work.\n");
        assert!(
            !parse_code_response(&text)
                .unwrap()
                .code
                .contains("This should work")
        );
    }
}
