//! Fuzzing entry points shared by the cargo-fuzz targets in `fuzz/` and the seeded regression
//! test `tests/fuzz_seeded.rs`, so both run exactly the same code (docs/fuzzing.md).
//!
//! Each entry takes arbitrary bytes, runs them through a parser and panics when an invariant is
//! broken; returning normally means the input was handled correctly (accepted or refused).
//! Not part of the crate's API.

use spatialclaw_lint::{Policy, check_syntax, lint};

use crate::parse::{CodeResponse, parse_code_response};
use crate::react::{ReactResponse, parse_react_response, parse_tool_call, translate};

/// Valid inputs of every shape the entries accept, as seeds for mutation.
pub fn response_seeds() -> Vec<Vec<u8>> {
    [
        "**Purpose**: find the chair\n**Reasoning**: segment it\n**Next Goal**: measure\n**Code**:\n```python\nseg = tools.SAM3.segment_image_by_text(InputImages[0], 'chair')\nprint(seg)\n```\n",
        "### Purpose\na\n### Reasoning\nb\n### Next Goal\nc\n### Code\n```\nx = 1\n```",
        "Purpose: a\nReasoning: b\nNext_Goal: c\nCode:\n```python\nx = 1\ny = 2",
        "<think>**Purpose**: wrong</think>**Code**:\n```python\nx=1\n```\n**Next Goal**: n\n**Reasoning**: r\n**Purpose**: right",
        "thinking</think>\n**Purpose:** p\n**Reasoning:** r\n**Next Goal:** n\n**Code:**\n```python\ns = \"**Code** and ``` inside\"\n# **Purpose**: not a header\nprint(s)\n```\nThis should work.\n",
        "**Purpose**: look\n**Reasoning**: need to see\n**Next Goal**: segment\n**Tool Call**:\n```json\n{\"tool\": \"show\", \"args\": {\"image\": \"InputImages[0]\", \"label\": \"first\"}}\n```",
        "__Purpose__: a\n__Reasoning__: b\n__Next Goal__: c\n__Tool_Call__:\n```json\n{\"tool\": \"tools.SAM3.segment_image_by_text\", \"args\": {\"image\": \"InputImages[0]\", \"prompt\": \"chair\"}}\n```",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect()
}

/// Tool calls (the JSON of a **Tool Call** section) as seeds.
pub fn tool_call_seeds() -> Vec<Vec<u8>> {
    [
        r#"{"tool": "tools.SAM3.segment_image_by_text", "args": {"image": "InputImages[0]", "prompt": "chair"}}"#,
        r#"{"tool": "ReturnAnswer", "args": {"answer": 2.5}}"#,
        r#"{"tool": "ReturnAnswer", "args": {"answer": "B"}}"#,
        r#"{"tool": "show", "args": {"label": "first", "image": "InputImages[0:4]"}}"#,
        r#"{"tool": "result_1.get_centroid_3d", "args": {"recon": "result_0", "frame": 0, "object": "cup"}}"#,
        r#"{"tool": "tools.Geometry.euclidean_distance", "args": {"p1": [0, 0, 1], "p2": "result_4", "flag": true, "x": null}}"#,
        r#"{"tool": "vlm.locate", "args": {"image": "InputImages_2[3:10:2]", "query": {"a": [1, -2e-3]}}}"#,
        r#"{"tool": "vlm.ask_with_thinking", "args": {"images": ["InputImages[0]", "result_2.depth[40]"], "question": "result_1.get_mask(0, 'chair')"}}"#,
        r#"Here it is: {"tool": "show", "args": {"image": "(120, 80)"}} done"#,
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect()
}

/// The reply parsers (code and react interfaces) on arbitrary text.
///
/// Invariants: an accepted reply has non-empty sections; the code never contains a line that is
/// a bare closing fence; a react reply's code is the translation of its call (so it satisfies
/// [`check_translation`]); rendering an accepted reply and parsing it again gives the same reply
/// (up to whitespace at line ends), unless its prose sections hold `<think>` tags or fence
/// lines, which rendering does not escape.
pub fn response_parser(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(r) = parse_code_response(&text) {
        check_code_response(&r);
    }
    let step = data.first().map_or(0, |&b| usize::from(b));
    if let Ok(r) = parse_react_response(&text, step) {
        check_react_response(&r, step);
    }
}

/// Whether rendering can lose `s`'s structure: `<think>` tags (stripped when read back) and
/// fence lines (a fence left open in a prose section swallows the sections after it).
fn render_unsafe(s: &str) -> bool {
    s.contains("<think>")
        || s.contains("</think>")
        || s.lines().any(|l| l.trim_start().starts_with("```"))
}

fn check_code_response(r: &CodeResponse) {
    for (name, v) in [
        ("purpose", &r.purpose),
        ("reasoning", &r.reasoning),
        ("next goal", &r.next_goal),
        ("code", &r.code),
    ] {
        assert!(
            !v.trim().is_empty(),
            "accepted reply with empty {name}: {r:?}"
        );
    }
    assert!(
        !r.code.lines().any(|l| l.trim() == "```"),
        "code contains a closing fence: {:?}",
        r.code
    );
    if [&r.purpose, &r.reasoning, &r.next_goal]
        .iter()
        .any(|s| render_unsafe(s))
        || r.code.contains("<think>")
        || r.code.contains("</think>")
    {
        return;
    }
    let again = parse_code_response(&r.render())
        .unwrap_or_else(|e| panic!("rendered reply does not parse ({e}): {:?}", r.render()));
    assert_eq!(
        trimmed_lines(&[
            &again.purpose,
            &again.reasoning,
            &again.next_goal,
            &again.code
        ]),
        trimmed_lines(&[&r.purpose, &r.reasoning, &r.next_goal, &r.code]),
        "render/parse changed the reply"
    );
}

/// Sections with whitespace at line ends dropped: a section's first line moves onto its header
/// line when rendered, and header lines are trimmed.
fn trimmed_lines(sections: &[&String]) -> Vec<String> {
    sections
        .iter()
        .map(|s| {
            let lines: Vec<&str> = s.lines().map(str::trim_end).collect();
            lines.join("\n").trim_end().to_owned()
        })
        .collect()
}

fn check_react_response(r: &ReactResponse, step: usize) {
    for v in [&r.purpose, &r.reasoning, &r.next_goal] {
        assert!(
            !v.trim().is_empty(),
            "accepted react reply with an empty section: {r:?}"
        );
    }
    assert_eq!(
        translate(&r.call, step).as_ref(),
        Ok(&r.code),
        "react code is not the call's translation"
    );
    check_translation(&r.code);
    if [&r.purpose, &r.reasoning, &r.next_goal]
        .iter()
        .any(|s| render_unsafe(s))
    {
        return;
    }
    let again = parse_react_response(&r.render(), step).unwrap_or_else(|e| {
        panic!(
            "rendered react reply does not parse ({e}): {:?}",
            r.render()
        )
    });
    assert_eq!(
        (&again.call, &again.code),
        (&r.call, &r.code),
        "render/parse changed the call"
    );
    assert_eq!(
        trimmed_lines(&[&again.purpose, &again.reasoning, &again.next_goal]),
        trimmed_lines(&[&r.purpose, &r.reasoning, &r.next_goal]),
        "render/parse changed the react reply"
    );
}

/// What every translated tool call must be: Python that compiles and that the agent's lint
/// policy passes (the translator may only emit calls the restricted grammar allows).
pub fn check_translation(code: &str) {
    if let Err(e) = check_syntax(code) {
        panic!("translation is not valid Python ({}): {code:?}", e.message);
    }
    assert!(
        escapes_compile(code),
        "translation has an escape CPython rejects: {code:?}"
    );
    let report = lint(code, &Policy::agent());
    assert!(
        report.is_clean(),
        "translation fails the agent lint: {code:?}\n{}",
        report.render()
    );
}

/// Whether every `\x`, `\u`, `\U` and `\N{…}` escape in `code` has the digits (or braces)
/// CPython demands; ruff's parser accepts malformed ones that CPython refuses to compile.
/// Translations hold backslashes only inside string literals.
fn escapes_compile(code: &str) -> bool {
    let b = code.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        let hex = |n: usize| {
            b.get(i + 2..i + 2 + n)
                .is_some_and(|d| d.iter().all(u8::is_ascii_hexdigit))
        };
        let ok = match b.get(i + 1) {
            Some(b'x') => hex(2),
            Some(b'u') => hex(4),
            Some(b'U') => hex(8),
            Some(b'N') => b.get(i + 2) == Some(&b'{') && b[i + 2..].contains(&b'}'),
            _ => true,
        };
        if !ok {
            return false;
        }
        i += 2;
    }
    true
}

/// The react translator on arbitrary text: JSON tool call → Python.
///
/// Invariants: an accepted call's translation is valid, lint-clean Python (see
/// [`check_translation`]); the call's JSON re-reads to the same call.
pub fn react_translator(data: &[u8]) {
    let (step, rest) = match data.split_first() {
        Some((&b, rest)) => (usize::from(b), rest),
        None => (0, data),
    };
    let text = String::from_utf8_lossy(rest);
    let Ok(call) = parse_tool_call(&text) else {
        return;
    };
    let again = parse_tool_call(&call.to_json()).expect("a call's own JSON parses");
    assert_eq!(again, call, "tool call JSON round trip");
    if let Ok(code) = translate(&call, step) {
        check_translation(&code);
    }
}
