//! The react interface: one JSON tool call per step, translated to one line of Python.
//!
//! `{"tool": "tools.SAM3.segment_image_by_text", "args": {"image": "InputImages[0]", "prompt":
//! "chair"}}` at step 3 becomes `result_3 = tools.SAM3.segment_image_by_text(image=InputImages[0],
//! prompt="chair")`. A string argument is injected as code only when it is a *restricted
//! expression* over the kernel's names (see [`restricted`]); anything else is a string literal.
//!
//! The expression checker is our own small parser rather than the lint crate's: the lint crate
//! does not expose its AST, and the grammar here is tiny and deliberately closed (no calls
//! except one method call on a kernel object, no f-strings, no private attributes), so a
//! hand-written parser is easier to audit than a filter over Python's full grammar.

use serde_json::{Map, Value};
use spatialclaw_lint::{Policy, lint};

use crate::parse::{ActionKind, FormatError, Sections, parse_sections};

/// A parsed react reply.
#[derive(Debug, Clone, PartialEq)]
pub struct ReactResponse {
    pub purpose: String,
    pub reasoning: String,
    pub next_goal: String,
    pub call: ToolCall,
    /// The Python the call was translated to.
    pub code: String,
}

impl ReactResponse {
    /// The reply as it is kept in history: the sections and the tool call as JSON, so the model
    /// keeps seeing (and imitating) its own format. The translation is reported in the feedback.
    pub fn render(&self) -> String {
        format!(
            "**Purpose**: {}\n**Reasoning**: {}\n**Next Goal**: {}\n**Tool Call**:\n```json\n{}\n```",
            self.purpose,
            self.reasoning,
            self.next_goal,
            self.call.to_json()
        )
    }
}

/// One tool call: a tool name and keyword arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    pub tool: String,
    pub args: Map<String, Value>,
}

impl ToolCall {
    pub fn to_json(&self) -> String {
        serde_json::json!({"tool": self.tool, "args": self.args}).to_string()
    }
}

/// Parse a react reply and translate its call for step `step`.
pub fn parse_react_response(raw: &str, step: usize) -> Result<ReactResponse, FormatError> {
    let Sections {
        purpose,
        reasoning,
        next_goal,
        action,
    } = parse_sections(raw, ActionKind::ToolCall)?;
    let call = parse_tool_call(&action).map_err(FormatError::ToolCall)?;
    let code = translate(&call, step).map_err(FormatError::ToolCall)?;
    Ok(ReactResponse {
        purpose,
        reasoning,
        next_goal,
        call,
        code,
    })
}

/// Read the JSON object of a **Tool Call** section.
pub fn parse_tool_call(text: &str) -> Result<ToolCall, String> {
    let text = text.trim();
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            // Tolerate prose around a single object.
            let inner = text
                .find('{')
                .zip(text.rfind('}'))
                .filter(|(a, b)| a < b)
                .and_then(|(a, b)| serde_json::from_str(&text[a..=b]).ok());
            inner.ok_or_else(|| {
                format!(
                    "The tool call is not valid JSON ({} at line {}, column {}). Send one object \
                     like {{\"tool\": \"show\", \"args\": {{\"image\": \"InputImages[0]\"}}}}.",
                    e,
                    e.line(),
                    e.column()
                )
            })?
        }
    };
    let obj = match value {
        Value::Object(o) => o,
        Value::Array(_) => {
            return Err(
                "Only one tool call per step: send a single JSON object, not a list.".into(),
            );
        }
        _ => return Err("The tool call must be a JSON object with \"tool\" and \"args\".".into()),
    };
    let mut tool = None;
    let mut args = Map::new();
    for (k, v) in obj {
        match (k.as_str(), v) {
            ("tool", Value::String(s)) if !s.trim().is_empty() => tool = Some(s.trim().to_owned()),
            ("tool", _) => return Err("\"tool\" must be a non-empty string.".into()),
            ("args", Value::Object(a)) => args = a,
            ("args", Value::Null) => {}
            ("args", _) => {
                return Err("\"args\" must be an object of keyword arguments.".into());
            }
            (other, _) => {
                return Err(format!(
                    "Unexpected key {other:?}: the tool call has only \"tool\" and \"args\"."
                ));
            }
        }
    }
    let tool = tool.ok_or("The tool call has no \"tool\".")?;
    Ok(ToolCall { tool, args })
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !PYTHON_KEYWORDS.contains(&s)
}

const PYTHON_KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

fn is_result_name(s: &str) -> bool {
    s.strip_prefix("result_")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Names a restricted expression may start from.
pub fn is_kernel_name(s: &str) -> bool {
    const NAMES: &[&str] = &[
        "InputImages",
        "Metadata",
        "tools",
        "feedback",
        "vlm",
        "ReturnAnswer",
        "VisualFeedback",
        "PerFrameMask",
        "Reconstruction",
        "FrameImage",
        "RefImages",
        "None",
        "True",
        "False",
    ];
    NAMES.contains(&s)
        || is_result_name(s)
        || s.strip_prefix("InputImages_")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn check_tool(tool: &str) -> Result<(), String> {
    let parts: Vec<&str> = tool.split('.').collect();
    let ok = match parts.as_slice() {
        ["vlm", "locate" | "ask_with_thinking"] | ["ReturnAnswer"] | ["show"] => true,
        ["tools", rest @ ..] if rest.len() >= 2 => {
            rest.iter().all(|p| is_identifier(p) && !p.starts_with('_'))
        }
        [receiver, method] if is_result_name(receiver) => {
            is_identifier(method) && !method.starts_with('_')
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "Unknown tool {tool:?}. Use tools.<Tool>.<method>, vlm.locate, vlm.ask_with_thinking, \
             show, ReturnAnswer, or a method of an earlier result (result_<n>.<method>)."
        ))
    }
}

/// Python source for one JSON argument value.
pub fn render_value(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            // The restricted grammar allows any public attribute; the lint also refuses some of
            // those (`ag_await`, `gi_frame`, …), and such an argument is text, not code.
            if restricted::is_restricted(s) && lint(s.trim(), &Policy::agent()).is_clean() {
                s.trim().to_owned()
            } else {
                string_literal(s)
            }
        }
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(render_value).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", string_literal(k), render_value(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
    }
}

/// A Python string literal (JSON's escapes are valid Python escapes).
fn string_literal(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "''".into())
}

/// The Python line for a tool call at step `step`.
pub fn translate(call: &ToolCall, step: usize) -> Result<String, String> {
    let code = translate_unchecked(call, step)?;
    let report = lint(&code, &Policy::agent());
    if report.is_clean() {
        Ok(code)
    } else {
        Err(format!(
            "The tool call {:?} translates to code the kernel refuses:\n{}",
            call.tool,
            report.render()
        ))
    }
}

fn translate_unchecked(call: &ToolCall, step: usize) -> Result<String, String> {
    check_tool(&call.tool)?;
    for name in call.args.keys() {
        if !is_identifier(name) {
            return Err(format!(
                "Argument name {name:?} is not a Python identifier."
            ));
        }
    }
    match call.tool.as_str() {
        "ReturnAnswer" => {
            let mut values = call.args.values();
            match (values.next(), values.next()) {
                (Some(v), None) => Ok(format!("ReturnAnswer({})", render_value(v))),
                _ => Err("ReturnAnswer takes exactly one argument: {\"answer\": ...}.".into()),
            }
        }
        "show" => {
            let mut positional = None;
            let mut label = None;
            for (k, v) in &call.args {
                if k == "label" {
                    label = Some(render_value(v));
                } else if positional.is_some() {
                    return Err(
                        "show takes one image argument (a list is fine) plus an optional label."
                            .into(),
                    );
                } else {
                    positional = Some(render_value(v));
                }
            }
            let image = positional.ok_or("show needs an image argument.")?;
            let label = label.map(|l| format!(", label={l}")).unwrap_or_default();
            Ok(format!("show({image}{label})"))
        }
        tool => {
            let args: Vec<String> = call
                .args
                .iter()
                .map(|(k, v)| format!("{k}={}", render_value(v)))
                .collect();
            Ok(format!(
                "result_{step} = {tool}({})\nresult_{step}",
                args.join(", ")
            ))
        }
    }
}

/// The restricted expression grammar: constants, kernel names, attribute chains, subscripts and
/// slices, tuples, lists, dicts, unary signs, and at most one method call, at the top, on an
/// object rooted at a kernel name, whose arguments contain no further calls.
pub mod restricted {
    use super::is_kernel_name;

    #[derive(Debug, Clone, PartialEq)]
    enum Tok {
        Name(String),
        Num,
        Str,
        P(char),
    }

    fn lex(s: &str) -> Option<Vec<Tok>> {
        let b: Vec<char> = s.chars().collect();
        let mut i = 0;
        let mut out = Vec::new();
        while i < b.len() {
            let c = b[i];
            if c.is_whitespace() {
                i += 1;
            } else if c.is_ascii_alphabetic() || c == '_' {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == '_') {
                    i += 1;
                }
                if i < b.len() && (b[i] == '\'' || b[i] == '"') {
                    return None; // string prefixes (f"", b"", r"") are not allowed
                }
                out.push(Tok::Name(b[start..i].iter().collect()));
            } else if c.is_ascii_digit()
                || (c == '.' && b.get(i + 1).is_some_and(char::is_ascii_digit))
            {
                let start = i;
                while i < b.len() && (b[i].is_ascii_digit() || b[i] == '.' || b[i] == '_') {
                    i += 1;
                }
                let mantissa: String = b[start..i].iter().collect();
                let has_exponent = i < b.len() && (b[i] == 'e' || b[i] == 'E');
                if !python_number(&mantissa, has_exponent) {
                    return None; // "007", "1.2.3", "1__0": text, not code
                }
                if has_exponent {
                    i += 1;
                    if i < b.len() && (b[i] == '+' || b[i] == '-') {
                        i += 1;
                    }
                    let digits = i;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                    if digits == i {
                        return None;
                    }
                }
                if i < b.len() && (b[i].is_ascii_alphabetic() || b[i] == '_') {
                    return None;
                }
                out.push(Tok::Num);
            } else if c == '\'' || c == '"' {
                i += 1;
                loop {
                    match b.get(i) {
                        None | Some('\n') => return None,
                        // \x, \u, \U and \N need exact digits or a valid name; a malformed
                        // one is a SyntaxError in CPython (that ruff's parser does not report), so
                        // such a string stays text.
                        Some('\\') if matches!(b.get(i + 1), Some('x' | 'u' | 'U' | 'N')) => {
                            return None;
                        }
                        Some('\\') => i += 2,
                        Some(&q) if q == c => {
                            i += 1;
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
                out.push(Tok::Str);
            } else if "()[]{},:.+-=".contains(c) {
                out.push(Tok::P(c));
                i += 1;
            } else {
                return None;
            }
        }
        Some(out)
    }

    /// Whether digits, points and underscores (before an optional exponent) form a Python
    /// number: one point at most, underscores only between digits, and no leading zero on an
    /// integer (`007` is a SyntaxError in Python 3).
    fn python_number(mantissa: &str, has_exponent: bool) -> bool {
        let digits = |s: &str| {
            s.is_empty()
                || s.split('_')
                    .all(|g| !g.is_empty() && g.bytes().all(|c| c.is_ascii_digit()))
        };
        let (int, frac) = match mantissa.split_once('.') {
            Some((a, b)) => (a, Some(b)),
            None => (mantissa, None),
        };
        if !digits(int)
            || !frac.is_none_or(digits)
            || (int.is_empty() && frac.is_none_or(str::is_empty))
        {
            return false;
        }
        frac.is_some()
            || has_exponent
            || !int.starts_with('0')
            || int.bytes().all(|c| c == b'0' || c == b'_')
    }

    struct Parser {
        toks: Vec<Tok>,
        pos: usize,
        calls: usize,
    }

    /// What a parsed expression is, as far as the rules care.
    #[derive(Debug, Clone, PartialEq)]
    enum Shape {
        /// A name, attribute chain or subscript rooted at this name.
        Rooted(String),
        Call,
        Other,
    }

    impl Parser {
        fn peek(&self) -> Option<&Tok> {
            self.toks.get(self.pos)
        }
        fn eat(&mut self, c: char) -> bool {
            if self.peek() == Some(&Tok::P(c)) {
                self.pos += 1;
                true
            } else {
                false
            }
        }

        fn expr(&mut self, depth: usize) -> Option<Shape> {
            if depth > 32 {
                return None;
            }
            if self.eat('+') || self.eat('-') {
                return self.expr(depth + 1).map(|_| Shape::Other);
            }
            let mut shape = self.atom(depth)?;
            loop {
                if self.eat('.') {
                    let Some(Tok::Name(attr)) = self.peek().cloned() else {
                        return None;
                    };
                    self.pos += 1;
                    if attr.starts_with('_') {
                        return None;
                    }
                    shape = match shape {
                        Shape::Rooted(r) => Shape::Rooted(r),
                        _ => return None,
                    };
                    if self.eat('(') {
                        // The one allowed call: a method of a kernel-rooted object.
                        self.calls += 1;
                        if self.calls > 1 {
                            return None;
                        }
                        self.call_args(depth)?;
                        shape = Shape::Call;
                    }
                } else if self.eat('[') {
                    if matches!(shape, Shape::Call) {
                        return None;
                    }
                    self.subscript(depth)?;
                    if !self.eat(']') {
                        return None;
                    }
                } else if self.peek() == Some(&Tok::P('(')) {
                    return None; // calling a bare name or a subscript
                } else {
                    return Some(shape);
                }
            }
        }

        fn call_args(&mut self, depth: usize) -> Option<()> {
            let calls_before = self.calls;
            if self.eat(')') {
                return Some(());
            }
            // Python refuses a positional argument after a keyword one, a repeated keyword and
            // a keyword that is not an identifier (`None=1`).
            let mut keywords: Vec<String> = Vec::new();
            loop {
                if let (Some(Tok::Name(name)), Some(Tok::P('='))) =
                    (self.toks.get(self.pos), self.toks.get(self.pos + 1))
                {
                    if !super::is_identifier(name) || keywords.contains(name) {
                        return None;
                    }
                    keywords.push(name.clone());
                    self.pos += 2;
                } else if !keywords.is_empty() {
                    return None;
                }
                self.expr(depth + 1)?;
                if self.calls != calls_before {
                    return None;
                }
                if self.eat(')') {
                    return Some(());
                }
                if !self.eat(',') {
                    return None;
                }
                if self.eat(')') {
                    return Some(());
                }
            }
        }

        fn subscript(&mut self, depth: usize) -> Option<()> {
            loop {
                // slice: [a]:[b][:[c]] or a plain expression; never empty (`x[]`, `x[,1]`)
                let mut parts = 0;
                let mut empty = true;
                loop {
                    if !matches!(self.peek(), Some(Tok::P(':' | ',' | ']'))) {
                        self.expr(depth + 1)?;
                        empty = false;
                    }
                    if self.eat(':') {
                        parts += 1;
                        empty = false;
                        if parts > 2 {
                            return None;
                        }
                        continue;
                    }
                    break;
                }
                if empty {
                    return None;
                }
                if !self.eat(',') || self.peek() == Some(&Tok::P(']')) {
                    return Some(()); // `x[1,]` is a one-element tuple
                }
            }
        }

        fn sequence(&mut self, close: char, depth: usize) -> Option<()> {
            if self.eat(close) {
                return Some(());
            }
            loop {
                self.expr(depth + 1)?;
                if close == '}' {
                    if !self.eat(':') {
                        return None;
                    }
                    self.expr(depth + 1)?;
                }
                if self.eat(close) {
                    return Some(());
                }
                if !self.eat(',') {
                    return None;
                }
                if self.eat(close) {
                    return Some(());
                }
            }
        }

        fn atom(&mut self, depth: usize) -> Option<Shape> {
            let tok = self.peek()?.clone();
            self.pos += 1;
            match tok {
                Tok::Name(n) => is_kernel_name(&n).then_some(Shape::Rooted(n)),
                Tok::Num => Some(Shape::Other),
                Tok::Str => {
                    while self.peek() == Some(&Tok::Str) {
                        self.pos += 1;
                    }
                    Some(Shape::Other)
                }
                Tok::P('(') => self.sequence(')', depth).map(|_| Shape::Other),
                Tok::P('[') => self.sequence(']', depth).map(|_| Shape::Other),
                Tok::P('{') => self.sequence('}', depth).map(|_| Shape::Other),
                Tok::P(_) => None,
            }
        }
    }

    /// Whether `s` is a restricted expression (and so is passed as code, not as text).
    pub fn is_restricted(s: &str) -> bool {
        let s = s.trim();
        if s.is_empty() || s.len() > 2000 {
            return false;
        }
        let Some(toks) = lex(s) else {
            return false;
        };
        let mut p = Parser {
            toks,
            pos: 0,
            calls: 0,
        };
        let Some(_) = p.expr(0) else {
            return false;
        };
        p.pos == p.toks.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(v: Value) -> ToolCall {
        parse_tool_call(&v.to_string()).unwrap()
    }

    #[test]
    fn expressions_over_kernel_names_are_code_and_the_rest_is_text() {
        use restricted::is_restricted;
        for code in [
            "InputImages[0]",
            "InputImages[::8]",
            "InputImages_2[3:10:2]",
            "result_3",
            "result_2.depth[40]",
            "Metadata.fps",
            "(120, 80)",
            "[0.1, -2, 3e-4]",
            "{'a': 1}",
            "result_1.get_mask(0, 'chair')",
            "result_1.get_centroid_3d(recon=result_0, frame=InputImages[0].frame_index, object='cup')",
            "5",
            "-1.5",
            "None",
            "InputImages[1,]",
            "InputImages[:, 0]",
            "result_1.get_mask(0, object='chair')",
        ] {
            assert!(is_restricted(code), "{code}");
        }
        for text in [
            "B",
            "chair",
            "person.shirt",
            "np.array([0,0,0])",
            "Which object is closer?",
            "2.5 m",
            "InputImages[0].__class__",
            "result_1.a(1).b(2)",
            "result_1.a(result_2.b(1))",
            "f'{InputImages}'",
            "InputImages(1)",
            "__import__('os')",
            "result_1.get()[0]",
            "",
            "007",
            "1.2.3",
            "1__0",
            "InputImages[01]",
            "InputImages['\\N']",
            "result_1.get_mask(0, '\\x4')",
            "InputImages[ ]",
            "InputImages[,1]",
            "InputImages[1,,2]",
            "result_1.get_mask(frame=0, 'chair')",
            "result_1.get_mask(x=1, x=2)",
            "result_1.get_mask(None=1)",
        ] {
            assert!(!is_restricted(text), "{text}");
        }
    }

    #[test]
    fn calls_translate_to_one_assignment() {
        let c = call(json!({"tool": "tools.SAM3.segment_image_by_text",
            "args": {"image": "InputImages[0]", "prompt": "chair", "label": "chair"}}));
        assert_eq!(
            translate(&c, 3).unwrap(),
            "result_3 = tools.SAM3.segment_image_by_text(image=InputImages[0], label=\"chair\", prompt=\"chair\")\nresult_3"
        );
        let c = call(json!({"tool": "ReturnAnswer", "args": {"answer": "B"}}));
        assert_eq!(translate(&c, 5).unwrap(), "ReturnAnswer(\"B\")");
        let c = call(json!({"tool": "ReturnAnswer", "args": {"answer": 2.5}}));
        assert_eq!(translate(&c, 5).unwrap(), "ReturnAnswer(2.5)");
        let c =
            call(json!({"tool": "show", "args": {"label": "first", "image": "InputImages[0:4]"}}));
        assert_eq!(
            translate(&c, 0).unwrap(),
            "show(InputImages[0:4], label=\"first\")"
        );
        let c = call(
            json!({"tool": "result_1.get_centroid_3d", "args": {"recon": "result_0", "frame": 0, "object": "cup"}}),
        );
        assert_eq!(
            translate(&c, 2).unwrap(),
            "result_2 = result_1.get_centroid_3d(frame=0, object=\"cup\", recon=result_0)\nresult_2"
        );
        let c = call(
            json!({"tool": "tools.Geometry.euclidean_distance", "args": {"p1": [0, 0, 1], "p2": "result_4", "flag": true, "x": null}}),
        );
        assert_eq!(
            translate(&c, 6).unwrap(),
            "result_6 = tools.Geometry.euclidean_distance(flag=True, p1=[0, 0, 1], p2=result_4, x=None)\nresult_6"
        );
    }

    #[test]
    fn bad_calls_are_explained() {
        assert!(
            parse_tool_call("[{\"tool\": \"show\"}]")
                .unwrap_err()
                .contains("one tool call")
        );
        assert!(
            parse_tool_call("{\"tool\": \"show\", \"extra\": 1}")
                .unwrap_err()
                .contains("extra")
        );
        assert!(
            parse_tool_call("{tool: show}")
                .unwrap_err()
                .contains("not valid JSON")
        );
        let c = call(json!({"tool": "vlm.locate", "args": {"q": "result_1.ag_await(0, 'chair')"}}));
        assert_eq!(
            translate(&c, 3).unwrap(),
            "result_3 = vlm.locate(q=\"result_1.ag_await(0, 'chair')\")\nresult_3",
            "an argument the lint refuses is text"
        );
        for tool in [
            "result_1.gi_frame",
            "os.system",
            "tools.SAM3",
            "tools._private.x",
            "print",
            "result_1._x",
        ] {
            let c = ToolCall {
                tool: tool.into(),
                args: Map::new(),
            };
            assert!(translate(&c, 0).is_err(), "{tool}");
        }
        let c =
            call(json!({"tool": "show", "args": {"a": "InputImages[0]", "b": "InputImages[1]"}}));
        assert!(translate(&c, 0).is_err());
        let c = call(json!({"tool": "vlm.locate", "args": {"bad name": 1}}));
        assert!(translate(&c, 0).is_err());
        let c = call(json!({"tool": "ReturnAnswer", "args": {}}));
        assert!(translate(&c, 0).is_err());
    }

    #[test]
    fn a_full_reply_parses_with_prose_and_an_unclosed_fence() {
        let raw = "**Purpose**: look\n**Reasoning**: need to see\n**Next Goal**: segment\n**Tool Call**:\n```json\n{\"tool\": \"show\", \"args\": {\"image\": \"InputImages[0]\"}}";
        let r = parse_react_response(raw, 0).unwrap();
        assert_eq!(r.code, "show(InputImages[0])");
        assert!(r.render().contains("**Tool Call**:\n```json\n{\"args\""));
        let err = parse_react_response("**Purpose**: a\n**Reasoning**: b\n**Next Goal**: c", 0)
            .unwrap_err();
        assert!(err.to_string().contains("**Tool Call**"), "{err}");
    }
}
