//! `session_report.html`: one sample's trajectory as a single self-contained page.
//!
//! Built for reading long runs (a 30-step video trajectory): a sticky step navigator coloured by
//! status, each step a `<details>` block whose bulky parts (feedback, long output) start folded,
//! errors in red, and images as thumbnails that grow on click (CSS focus, no script). Everything
//! is inline, so the file can be mailed, archived or opened from a cluster's shared disk.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;
use spatialclaw_evals::store::Prediction;

use crate::error::ReportError;
use crate::highlight;
use crate::html::{Html, decode_base64, page};
use crate::model::{StepView, TrajectoryView, VlmQuery, vlm_queries_from};

/// Written next to `trajectory.json` in each session folder.
pub const SESSION_REPORT_FILE: &str = "session_report.html";
/// The agent's serialised trajectory record.
pub const TRAJECTORY_FILE: &str = "trajectory.json";
/// The per-session event log (optional for the report: it only adds vlm queries and variables).
pub const TRACE_FILE: &str = "trace.jsonl";
/// A folder of input pictures (key frames, reference images) shown in the header when the
/// trajectory record does not embed them; files are shown in name order.
pub const INPUTS_DIR: &str = "inputs";

/// What a session page shows beyond the trajectory record itself.
#[derive(Debug, Clone, Default)]
pub struct SessionExtras {
    /// Input pictures for the header, as (label, PNG or JPEG bytes).
    pub key_frames: Vec<(String, Vec<u8>)>,
    /// The session's `trace.jsonl` text, read for vlm queries and variable summaries.
    pub trace_jsonl: Option<String>,
    /// Shown as the run this sample belongs to, e.g. "vsibench · qwen3-vl · code".
    pub run_label: Option<String>,
}

/// Verdict of a sample, from its record: a `score` key when present (the aggregate
/// contribution), else `result`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    Correct(f64),
    Partial(f64),
    Incorrect(f64),
    Failed,
    NotScored,
}

impl Verdict {
    pub fn of(p: &Prediction) -> Verdict {
        if p.is_failed() {
            return Verdict::Failed;
        }
        match sample_score(p) {
            Some(s) if s >= 1.0 => Verdict::Correct(s),
            Some(s) if s > 0.0 => Verdict::Partial(s),
            Some(s) => Verdict::Incorrect(s),
            None => Verdict::NotScored,
        }
    }

    pub fn label(&self) -> String {
        match self {
            Verdict::Correct(_) => "Correct".into(),
            Verdict::Partial(s) => format!("Partial ({s:.3})"),
            Verdict::Incorrect(_) => "Incorrect".into(),
            Verdict::Failed => "Failed".into(),
            Verdict::NotScored => "Not scored".into(),
        }
    }

    /// CSS class of the badge.
    pub fn class(&self) -> &'static str {
        match self {
            Verdict::Correct(_) => "good",
            Verdict::Partial(_) => "warn",
            Verdict::Incorrect(_) | Verdict::Failed => "bad",
            Verdict::NotScored => "muted",
        }
    }
}

/// A JSON number or boolean as a score.
pub fn value_score(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The per-sample score the dashboard averages: `score` (null = excluded), else `result`.
pub fn sample_score(p: &Prediction) -> Option<f64> {
    match p.extra.get("score") {
        Some(v) => value_score(v),
        None => p.result.as_ref().and_then(value_score),
    }
}

fn json_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn secs(s: f64) -> String {
    if s >= 60.0 {
        format!("{}m {:.0}s", (s / 60.0).floor(), s % 60.0)
    } else {
        format!("{s:.2}s")
    }
}

/// Thousands separators for token counts.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn truncate(s: &str, max: usize) -> String {
    let s = s.trim();
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// Per-step data found in `trace.jsonl`.
#[derive(Default)]
struct TraceExtras {
    vlm: BTreeMap<u64, Vec<VlmQuery>>,
    variables: BTreeMap<u64, Value>,
    bad_lines: usize,
}

fn read_trace(text: &str) -> TraceExtras {
    let mut t = TraceExtras::default();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(ev) = serde_json::from_str::<Value>(line) else {
            t.bad_lines += 1;
            continue;
        };
        let Some(step) = ["step_index", "step"]
            .iter()
            .find_map(|k| ev.get(*k).and_then(Value::as_u64))
        else {
            continue;
        };
        if let Some(list) = ev.get("vlm_queries") {
            t.vlm
                .entry(step)
                .or_default()
                .extend(vlm_queries_from(list));
        }
        let mut vars = serde_json::Map::new();
        for key in ["new_variables", "changed_variables", "variables"] {
            if let Some(v) = ev.get(key).filter(|v| !is_empty_json(v)) {
                vars.insert(key.replace("_variables", ""), v.clone());
            }
        }
        if !vars.is_empty() {
            t.variables.insert(step, Value::Object(vars));
        }
    }
    t
}

fn is_empty_json(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// Renders a session page. `trajectory_json` is the raw `trajectory.json` (None when the sample
/// has none, e.g. it failed before the agent started); a record that does not parse gives a page
/// that says so and still shows the prediction.
pub fn render_session_report(
    sample_id: &str,
    trajectory_json: Option<&[u8]>,
    prediction: Option<&Prediction>,
    extras: &SessionExtras,
) -> String {
    let (traj, problem) = match trajectory_json {
        None => (None, Some(format!("This sample has no {TRAJECTORY_FILE}."))),
        Some(bytes) => match TrajectoryView::parse(bytes) {
            Ok(t) => (Some(t), None),
            Err(e) => (
                None,
                Some(format!("{TRAJECTORY_FILE} could not be read: {e}")),
            ),
        },
    };
    let trace = extras
        .trace_jsonl
        .as_deref()
        .map(read_trace)
        .unwrap_or_default();
    let mut h = Html::new();
    h.raw("<main class=\"session\">");
    let trace_vlm: usize = trace.vlm.values().map(Vec::len).sum();
    header(
        &mut h,
        sample_id,
        traj.as_ref(),
        prediction,
        extras,
        trace_vlm,
    );
    if let Some(problem) = &problem {
        h.elem("div", &[("class", "error banner")], problem);
    }
    if trace.bad_lines > 0 {
        h.elem(
            "p",
            &[("class", "note")],
            &format!(
                "{} line(s) of {TRACE_FILE} were not JSON and were skipped.",
                trace.bad_lines
            ),
        );
    }
    if let Some(t) = &traj {
        body(&mut h, t, &trace);
    }
    final_box(&mut h, traj.as_ref(), prediction);
    h.raw("</main>");
    page(&format!("SpatialClaw session {sample_id}"), &h)
}

fn header(
    h: &mut Html,
    sample_id: &str,
    t: Option<&TrajectoryView>,
    p: Option<&Prediction>,
    extras: &SessionExtras,
    trace_vlm: usize,
) {
    let verdict = p.map(Verdict::of).unwrap_or(Verdict::NotScored);
    h.raw("<header class=\"card\">");
    h.raw("<h1>")
        .text("Session ")
        .elem("code", &[], sample_id)
        .raw("</h1>");
    h.raw("<div class=\"badges\">");
    h.elem(
        "span",
        &[
            ("class", &format!("badge {}", verdict.class())),
            ("id", "verdict"),
        ],
        &verdict.label(),
    );
    if let Some(label) = &extras.run_label {
        h.elem("span", &[("class", "badge muted")], label);
    }
    if let Some(t) = t {
        if !t.interface.is_empty() {
            h.elem(
                "span",
                &[("class", "badge muted")],
                &format!("interface: {}", t.interface),
            );
        }
        if !t.termination.is_empty() {
            h.elem(
                "span",
                &[("class", "badge muted")],
                &format!("termination: {}", t.termination),
            );
        }
    }
    for key in ["benchmark", "category"] {
        if let Some(v) = p
            .and_then(|p| p.extra.get(key))
            .filter(|v| !is_empty_json(v))
        {
            h.elem(
                "span",
                &[("class", "badge muted")],
                &format!("{key}: {}", json_text(v)),
            );
        }
    }
    h.raw("</div>");

    h.raw("<section><h2>Question</h2>");
    let question = t.map(|t| t.instruction.as_str()).filter(|s| !s.is_empty());
    match question {
        Some(q) => h.elem("pre", &[("class", "text question")], q),
        None => h.elem("p", &[("class", "note")], "(the question is not recorded)"),
    };
    h.raw("</section>");

    let mut frames: Vec<(String, Vec<u8>)> = extras.key_frames.clone();
    if let Some(t) = t {
        for (i, f) in t.key_frames.iter().enumerate() {
            if let Some(bytes) = f.png_base64.as_deref().and_then(decode_base64) {
                let label = f.label.clone().unwrap_or_else(|| match f.frame_index {
                    Some(ix) => format!("frame {ix}"),
                    None => format!("input {}", i + 1),
                });
                frames.push((label, bytes));
            }
        }
    }
    if !frames.is_empty() {
        h.raw("<section><h2>Inputs</h2><div class=\"thumbs\">");
        for (label, bytes) in &frames {
            h.raw("<figure>")
                .image(bytes, label, "thumb")
                .elem("figcaption", &[], label)
                .raw("</figure>");
        }
        h.raw("</div></section>");
    }

    h.raw("<section class=\"facts\">");
    fact(
        h,
        "Ground truth",
        &p.map(|p| json_text(&p.ground_truth)).unwrap_or_default(),
        "gt",
    );
    let answer = p
        .map(|p| p.content.clone())
        .filter(|s| !s.is_empty())
        .or_else(|| t.and_then(|t| t.answer.as_ref().map(|a| a.text.clone())))
        .unwrap_or_default();
    fact(h, "Answer", &answer, "answer");
    let score = p
        .and_then(sample_score)
        .map(|s| format!("{s:.3}"))
        .unwrap_or_else(|| "—".into());
    fact(h, "Score", &score, "score");
    if let Some(t) = t {
        fact(h, "Steps", &t.steps.len().to_string(), "steps");
        fact(h, "Tool calls", &t.tool_calls.to_string(), "tool-calls");
    }
    h.raw("</section>");

    if let Some(f) = p.and_then(|p| p.failure.as_ref()) {
        h.raw("<div class=\"error banner\">")
            .elem(
                "strong",
                &[],
                &format!("Failed ({:?}): ", f.kind).to_lowercase(),
            )
            .text(&f.reason)
            .raw("</div>");
    }

    h.raw("<section class=\"tables\">");
    if let Some(t) = t {
        let u = &t.usage;
        let vlm_calls: usize = t
            .steps
            .iter()
            .map(|s| {
                s.vlm_queries
                    .as_ref()
                    .map(|q| vlm_queries_from(q).len())
                    .unwrap_or(0)
            })
            .sum::<usize>()
            + trace_vlm;
        let rows: Vec<(&str, String)> = vec![
            (
                "model calls (incl. planner, reflection, vlm)",
                count(u.calls),
            ),
            ("failed calls", count(u.failed_calls)),
            ("retries", count(u.retries)),
            ("prompt tokens", count(u.prompt_tokens)),
            ("completion tokens", count(u.completion_tokens)),
            ("reasoning tokens", count(u.reasoning_tokens)),
            ("peak prompt", count(u.max_prompt_tokens)),
            ("host tool calls (perception + vlm)", count(t.tool_calls)),
            ("vlm queries recorded", count(vlm_calls as u64)),
            ("show() images", count(t.show_images)),
            ("images trimmed for context", count(t.images_trimmed)),
        ];
        kv_table(h, "Usage", &rows);
        let tm = &t.timings;
        let rows: Vec<(&str, String)> = vec![
            ("total", secs(tm.total)),
            ("planning", secs(tm.planning)),
            ("model", secs(tm.llm)),
            ("kernel", secs(tm.exec)),
            ("reflection", secs(tm.reflection)),
            ("termination", secs(tm.termination)),
        ];
        kv_table(h, "Timings", &rows);
    }
    if let Some(p) = p {
        for (title, v) in [
            ("Usage (predictions.jsonl)", Some(&p.usage)),
            ("Timing (predictions.jsonl)", p.extra.get("timing")),
        ] {
            if let Some(Value::Object(m)) = v {
                let rows: Vec<(&str, String)> =
                    m.iter().map(|(k, v)| (k.as_str(), json_text(v))).collect();
                kv_table(h, title, &rows);
            }
        }
    }
    h.raw("</section>");

    if let Some(t) = t.filter(|t| !t.steps.is_empty()) {
        h.raw("<nav class=\"stepnav\" aria-label=\"steps\">");
        for s in &t.steps {
            let id = format!("#step-{}", s.index);
            h.open(
                "a",
                &[
                    ("href", &id),
                    ("class", &format!("chip {}", status_class(s))),
                    (
                        "title",
                        &truncate(s.purpose.as_deref().unwrap_or(&s.status), 120),
                    ),
                ],
            )
            .text(&s.index.to_string())
            .close("a");
        }
        h.raw("</nav>");
    }
    h.raw("</header>");
}

fn fact(h: &mut Html, label: &str, value: &str, id: &str) {
    h.raw("<div class=\"fact\">")
        .elem("div", &[("class", "label")], label);
    h.elem(
        "div",
        &[("class", "value"), ("id", id)],
        if value.is_empty() { "—" } else { value },
    );
    h.raw("</div>");
}

fn kv_table(h: &mut Html, title: &str, rows: &[(&str, String)]) {
    h.raw("<table class=\"kv\">").elem("caption", &[], title);
    for (k, v) in rows {
        h.raw("<tr>")
            .elem("th", &[], k)
            .elem("td", &[], v)
            .raw("</tr>");
    }
    h.raw("</table>");
}

fn status_class(s: &StepView) -> &'static str {
    match s.status.as_str() {
        "success" if s.answer.is_some() => "answer",
        "success" => "good",
        "error" => "bad",
        "rejected" => "warn",
        _ => "muted",
    }
}

fn body(h: &mut Html, t: &TrajectoryView, trace: &TraceExtras) {
    if !t.system_prompt.is_empty() {
        h.raw("<details class=\"card\"><summary>System prompt</summary>");
        h.elem("pre", &[("class", "text")], &t.system_prompt);
        h.raw("</details>");
    }
    if let Some(plan) = &t.plan {
        h.raw("<details class=\"card plan\" open><summary>Plan</summary>");
        if let Some(text) = &plan.text {
            h.elem("pre", &[("class", "text")], text);
        }
        if let Some(e) = &plan.error {
            h.elem(
                "div",
                &[("class", "error")],
                &format!("Planner failed: {e}"),
            );
        }
        if !plan.checklist.items.is_empty() {
            h.raw("<table class=\"grid\"><caption>Verification checklist</caption><tr><th>id</th><th>priority</th><th>item</th><th>status</th><th>note</th></tr>");
            for i in &plan.checklist.items {
                h.raw("<tr>")
                    .elem("td", &[], &i.id)
                    .elem("td", &[], &i.priority)
                    .elem("td", &[], &i.description)
                    .elem(
                        "td",
                        &[("class", &format!("st-{}", i.status.to_lowercase()))],
                        &i.status,
                    )
                    .elem("td", &[], i.note.as_deref().unwrap_or(""))
                    .raw("</tr>");
            }
            h.raw("</table>");
        }
        h.raw("</details>");
    }
    if t.steps.is_empty() {
        h.elem("p", &[("class", "note")], "No steps were recorded.");
    }
    for s in &t.steps {
        step(h, s, t, trace);
    }
    if let Some(f) = &t.forced {
        h.raw("<section class=\"card forced\"><h2>Forced termination</h2>");
        if !f.attempts.is_empty() {
            h.raw("<ol>");
            for a in &f.attempts {
                h.elem("li", &[], a);
            }
            h.raw("</ol>");
        }
        h.elem("pre", &[("class", "text")], &f.note);
        h.raw("</section>");
    }
}

fn step(h: &mut Html, s: &StepView, t: &TrajectoryView, trace: &TraceExtras) {
    let id = format!("step-{}", s.index);
    let cls = status_class(s);
    h.open(
        "details",
        &[
            ("class", &format!("card step {cls}")),
            ("id", &id),
            ("open", ""),
        ],
    );
    h.raw("<summary>");
    h.elem("span", &[("class", "idx")], &format!("Step {}", s.index));
    h.elem(
        "span",
        &[("class", &format!("badge {cls}"))],
        if s.answer.is_some() {
            "answer"
        } else {
            &s.status
        },
    );
    h.elem(
        "span",
        &[("class", "purpose")],
        &truncate(s.purpose.as_deref().unwrap_or(""), 160),
    );
    let tokens = s.usage.prompt_tokens + s.usage.completion_tokens;
    let mut meta = format!("model {} · kernel {}", secs(s.llm_time), secs(s.exec_time));
    if s.tool_calls > 0 {
        let _ = write!(meta, " · {} tool call(s)", s.tool_calls);
    }
    if tokens > 0 {
        let _ = write!(meta, " · {} tok", count(tokens));
    }
    if s.repairs > 0 {
        let _ = write!(meta, " · {} repair(s)", s.repairs);
    }
    if s.context_trims > 0 {
        let _ = write!(meta, " · context trimmed ×{}", s.context_trims);
    }
    h.elem("span", &[("class", "meta")], &meta);
    h.raw("</summary><div class=\"stepbody\">");

    // The summary line already shows a short purpose in full; repeat it only when it was cut.
    let long_purpose = s
        .purpose
        .as_ref()
        .filter(|p| p.trim().chars().count() > 160);
    for (label, text) in [
        ("Purpose", long_purpose),
        ("Reasoning", s.reasoning.as_ref()),
        ("Next goal", s.next_goal.as_ref()),
    ] {
        if let Some(text) = text.map(String::as_str).filter(|t| !t.trim().is_empty()) {
            h.raw("<div class=\"field\">")
                .elem("h4", &[], label)
                .elem("div", &[("class", "prose")], text)
                .raw("</div>");
        }
    }
    if let Some(call) = &s.tool_call {
        let pretty = serde_json::to_string_pretty(call).unwrap_or_default();
        h.raw("<div class=\"field\">")
            .elem("h4", &[], "Tool call")
            .elem("pre", &[("class", "text")], &pretty)
            .raw("</div>");
    }
    if let Some(why) = &s.skipped {
        h.raw("<div class=\"error\">")
            .elem("strong", &[], "No code ran: ")
            .text(why)
            .raw("</div>");
    }
    if let Some(code) = s.code.as_deref().filter(|c| !c.is_empty()) {
        h.raw("<div class=\"field\">").elem("h4", &[], "Code");
        h.raw("<pre class=\"code\"><code>")
            .raw(&highlight::python(code))
            .raw("</code></pre></div>");
    }
    if let Some(err) = s.error.as_deref().filter(|e| !e.is_empty()) {
        h.raw("<div class=\"error\">")
            .elem("strong", &[], "Error")
            .elem("pre", &[], err)
            .raw("</div>");
    }
    if !s.stdout.is_empty() {
        let lines = s.stdout.lines().count();
        let attrs: &[(&str, &str)] = if lines <= 40 {
            &[("class", "output"), ("open", "")]
        } else {
            &[("class", "output")]
        };
        h.open("details", attrs)
            .elem(
                "summary",
                &[],
                &format!("Output ({lines} line{})", if lines == 1 { "" } else { "s" }),
            )
            .elem("pre", &[], &s.stdout)
            .close("details");
    }
    if let Some(answer) = &s.answer {
        h.raw("<div class=\"submitted\">")
            .elem("strong", &[], "ReturnAnswer: ")
            .elem("code", &[], answer)
            .raw("</div>");
    }
    let vars = s
        .variables
        .as_ref()
        .or_else(|| trace.variables.get(&s.index));
    if let Some(vars) = vars.filter(|v| !is_empty_json(v)) {
        h.raw("<details class=\"vars\"><summary>Variables</summary>");
        variables(h, vars);
        h.raw("</details>");
    }
    if !s.images.is_empty() {
        h.raw("<div class=\"field\">").elem(
            "h4",
            &[],
            &format!("show() images ({})", s.images.len()),
        );
        h.raw("<div class=\"thumbs\">");
        for (k, img) in s.images.iter().enumerate() {
            let label = if img.label.is_empty() {
                format!("image {}", k + 1)
            } else {
                img.label.clone()
            };
            h.raw("<figure>");
            match img.png_base64.as_deref().and_then(decode_base64) {
                Some(bytes) => {
                    h.image(&bytes, &label, "thumb");
                }
                None => {
                    h.elem(
                        "span",
                        &[("class", "missing")],
                        &format!("[image not stored, {} bytes]", img.bytes),
                    );
                }
            }
            let caption = if img.dropped {
                format!("{label} (over the show() budget: the model did not see it)")
            } else {
                label
            };
            h.elem("figcaption", &[], &caption).raw("</figure>");
        }
        h.raw("</div></div>");
    }
    let mut queries = s
        .vlm_queries
        .as_ref()
        .map(vlm_queries_from)
        .unwrap_or_default();
    if let Some(more) = trace.vlm.get(&s.index) {
        queries.extend(more.iter().cloned());
    }
    if !queries.is_empty() {
        h.raw("<div class=\"field vlm\">").elem(
            "h4",
            &[],
            &format!("vlm queries ({})", queries.len()),
        );
        for q in &queries {
            h.raw("<div class=\"qa\">")
                .elem("span", &[("class", "badge muted")], &q.kind);
            h.raw("<div class=\"q\">")
                .elem("strong", &[], "Q: ")
                .text(&q.question)
                .raw("</div>");
            h.raw("<div class=\"a\">")
                .elem("strong", &[], "A: ")
                .text(&q.answer)
                .raw("</div>");
            if !q.images.is_empty() {
                h.raw("<div class=\"thumbs\">");
                for (k, img) in q.images.iter().enumerate() {
                    h.image(img, &format!("vlm image {}", k + 1), "thumb small");
                }
                h.raw("</div>");
            }
            h.raw("</div>");
        }
        h.raw("</div>");
    }
    if !s.feedback.is_empty() {
        h.raw("<details class=\"feedback\"><summary>Feedback to the model</summary>")
            .elem("pre", &[], &s.feedback)
            .raw("</details>");
    }
    for r in t.reflections.iter().filter(|r| r.after_step == s.index) {
        let cls = match r.verdict.as_str() {
            "ok" => "good",
            "concern" => "warn",
            _ => "muted",
        };
        h.open("div", &[("class", &format!("reflection {cls}"))]);
        h.elem("strong", &[], &format!("Reflection: {}", r.verdict));
        for (label, v) in [
            ("", &r.explanation),
            ("Suggestion: ", &r.suggestion),
            ("Rejected answer: ", &r.rejected_answer),
        ] {
            if let Some(v) = v {
                h.raw("<div>").elem("em", &[], label).text(v).raw("</div>");
            }
        }
        h.raw("</div>");
    }
    h.raw("</div></details>\n");
}

fn variables(h: &mut Html, v: &Value) {
    match v {
        Value::Object(m) => {
            h.raw("<table class=\"grid\">");
            for (k, val) in m {
                h.raw("<tr>").elem("th", &[], k).raw("<td>");
                match val {
                    Value::Object(_) | Value::Array(_) => variables(h, val),
                    other => {
                        h.elem("code", &[], &json_text(other));
                    }
                }
                h.raw("</td></tr>");
            }
            h.raw("</table>");
        }
        Value::Array(items) => {
            h.raw("<ul>");
            for it in items {
                h.raw("<li>");
                variables(h, it);
                h.raw("</li>");
            }
            h.raw("</ul>");
        }
        other => {
            h.elem("code", &[], &json_text(other));
        }
    }
}

fn final_box(h: &mut Html, t: Option<&TrajectoryView>, p: Option<&Prediction>) {
    let verdict = p.map(Verdict::of).unwrap_or(Verdict::NotScored);
    h.open(
        "section",
        &[
            ("class", &format!("card final {}", verdict.class())),
            ("id", "final"),
        ],
    );
    h.elem("h2", &[], &format!("Verdict: {}", verdict.label()));
    if let Some(a) = t.and_then(|t| t.answer.as_ref()) {
        h.raw("<p>")
            .elem("strong", &[], "Submitted answer: ")
            .elem("code", &[], &a.text);
        if !a.source.is_empty() {
            h.text(&format!(" (source: {})", a.source));
        }
        h.raw("</p>");
    } else if t.is_some() {
        h.elem("p", &[], "The agent submitted no answer.");
    }
    if let Some(p) = p {
        h.raw("<p>")
            .elem("strong", &[], "Scored answer: ")
            .elem("code", &[], &p.content)
            .raw("</p>");
        h.raw("<p>")
            .elem("strong", &[], "Ground truth: ")
            .elem("code", &[], &json_text(&p.ground_truth))
            .raw("</p>");
    }
    if let Some(t) = t.filter(|t| !t.termination.is_empty()) {
        h.elem("p", &[], &format!("Termination: {}", t.termination));
    }
    h.raw("</section>");
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, ReportError> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ReportError::Io {
            path: path.to_owned(),
            source: e,
        }),
    }
}

/// Reads a session folder (trajectory, trace, inputs) and renders its page without writing.
pub fn render_session_dir(
    session_dir: &Path,
    sample_id: &str,
    prediction: Option<&Prediction>,
    run_label: Option<String>,
) -> Result<String, ReportError> {
    let trajectory = read_optional(&session_dir.join(TRAJECTORY_FILE))?;
    let trace = read_optional(&session_dir.join(TRACE_FILE))?
        .map(|b| String::from_utf8_lossy(&b).into_owned());
    let mut key_frames = Vec::new();
    if let Ok(entries) = std::fs::read_dir(session_dir.join(INPUTS_DIR)) {
        let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for f in files {
            if let Ok(bytes) = std::fs::read(&f) {
                let label = f
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                key_frames.push((label, bytes));
            }
        }
    }
    let extras = SessionExtras {
        key_frames,
        trace_jsonl: trace,
        run_label,
    };
    Ok(render_session_report(
        sample_id,
        trajectory.as_deref(),
        prediction,
        &extras,
    ))
}

/// What `spatialclaw run` calls once a sample is finished and its `trajectory.json` (and
/// `trace.jsonl`) are written: renders `session_dir/session_report.html` and returns its path.
/// A missing or corrupt trajectory still yields a page that says so; only I/O errors fail.
pub fn write_session_report(
    session_dir: &Path,
    sample_id: &str,
    prediction: Option<&Prediction>,
) -> Result<PathBuf, ReportError> {
    let html = render_session_dir(session_dir, sample_id, prediction, None)?;
    let path = session_dir.join(SESSION_REPORT_FILE);
    write_atomically(&path, html.as_bytes())?;
    Ok(path)
}

/// Writes through a temporary file and a rename, so a reader (or `spatialclaw view`) never sees
/// half a page.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let tmp = path.with_extension("html.tmp");
    std::fs::write(&tmp, bytes).map_err(ReportError::io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(ReportError::io(path))
}
