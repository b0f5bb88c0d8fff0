//! The blind planner and the verification checklist.
//!
//! The planner is a separate two-message conversation (its own system prompt, the question, no
//! images). Its text enters the agent's history as two user messages: the plan and a transition
//! telling the agent to carry it out in its reply format. A failed planning call is not fatal:
//! the agent proceeds without a plan. The checklist (read from the plan's `### CHECKLIST`
//! section) is only used by reflection.

use std::fmt::Write as _;
use std::time::Instant;

use serde::Serialize;
use serde_json::Value;
use spatialclaw_llm::{LlmClient, Message, RoleParams};

use crate::config::AgentConfig;
use crate::prompts::{self, PromptContext, planning};
use crate::record::PlanRecord;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Priority {
    High,
    Medium,
    Low,
}

impl Priority {
    fn parse(s: &str) -> Option<Priority> {
        match s.trim().to_ascii_uppercase().as_str() {
            "HIGH" => Some(Priority::High),
            "MEDIUM" => Some(Priority::Medium),
            "LOW" => Some(Priority::Low),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Priority::High => "HIGH",
            Priority::Medium => "MEDIUM",
            Priority::Low => "LOW",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ItemStatus {
    Pending,
    Verified,
    Flagged,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChecklistItem {
    pub id: String,
    pub priority: Priority,
    pub description: String,
    pub status: ItemStatus,
    pub note: Option<String>,
    pub added_at_step: usize,
    pub resolved_at_step: Option<usize>,
}

/// The verification checklist (at most [`Checklist::MAX_ITEMS`] items).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Checklist {
    pub items: Vec<ChecklistItem>,
}

impl Checklist {
    pub const MAX_ITEMS: usize = 10;

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn push(&mut self, priority: Priority, description: String, step: usize) {
        let id = format!("chk_{:03}", self.items.len() + 1);
        self.items.push(ChecklistItem {
            id,
            priority,
            description,
            status: ItemStatus::Pending,
            note: None,
            added_at_step: step,
            resolved_at_step: None,
        });
    }

    /// One line per item.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for i in &self.items {
            let _ = write!(
                s,
                "[{}] {} ({}) {}",
                match i.status {
                    ItemStatus::Pending => "PENDING",
                    ItemStatus::Verified => "VERIFIED",
                    ItemStatus::Flagged => "FLAGGED",
                },
                i.id,
                i.priority.as_str(),
                i.description
            );
            if let Some(n) = &i.note {
                let _ = write!(s, " — {n}");
            }
            s.push('\n');
        }
        s
    }

    /// `[Checklist: v/t verified, f flagged, h HIGH pending]`.
    pub fn summary(&self) -> String {
        let count = |st: ItemStatus| self.items.iter().filter(|i| i.status == st).count();
        let high = self
            .items
            .iter()
            .filter(|i| i.status == ItemStatus::Pending && i.priority == Priority::High)
            .count();
        format!(
            "[Checklist: {}/{} verified, {} flagged, {} HIGH pending]",
            count(ItemStatus::Verified),
            self.items.len(),
            count(ItemStatus::Flagged),
            high
        )
    }

    /// Apply reflection's `checklist_ops`; returns one line per change. Unknown ids and ops are
    /// ignored; added items may not claim HIGH priority (only the plan sets the bar).
    pub fn apply_ops(&mut self, ops: &[Value], step: usize) -> Vec<String> {
        let mut changes = Vec::new();
        for op in ops {
            let field = |k: &str| op.get(k).and_then(Value::as_str).map(str::trim);
            match field("op") {
                Some(kind @ ("verify" | "flag")) => {
                    let Some(item) =
                        field("item_id").and_then(|id| self.items.iter_mut().find(|i| i.id == id))
                    else {
                        continue;
                    };
                    item.status = if kind == "verify" {
                        ItemStatus::Verified
                    } else {
                        ItemStatus::Flagged
                    };
                    item.resolved_at_step = Some(step);
                    item.note = field("note").filter(|n| !n.is_empty()).map(str::to_owned);
                    changes.push(format!(
                        "{} {}: {}",
                        if kind == "verify" {
                            "VERIFIED"
                        } else {
                            "FLAGGED"
                        },
                        item.id,
                        item.note.as_deref().unwrap_or(&item.description)
                    ));
                }
                Some("add") => {
                    if self.items.len() >= Self::MAX_ITEMS {
                        continue;
                    }
                    let (Some(desc), Some(p)) = (
                        field("description"),
                        field("priority").and_then(Priority::parse),
                    ) else {
                        continue;
                    };
                    if desc.is_empty() {
                        continue;
                    }
                    let p = if p == Priority::High {
                        Priority::Medium
                    } else {
                        p
                    };
                    self.push(p, desc.to_owned(), step);
                    changes.push(format!(
                        "ADDED {}: {desc}",
                        self.items[self.items.len() - 1].id
                    ));
                }
                _ => {}
            }
        }
        changes
    }

    /// Items from a JSON array text (fenced or bare).
    pub fn parse(text: &str, step: usize) -> Checklist {
        let mut list = Checklist::default();
        let Some(Value::Array(items)) = find_json_array(text) else {
            return list;
        };
        for it in items {
            let priority = it
                .get("priority")
                .and_then(Value::as_str)
                .and_then(Priority::parse);
            let desc = it
                .get("description")
                .and_then(Value::as_str)
                .map(str::trim)
                .unwrap_or("");
            if let Some(p) = priority
                && !desc.is_empty()
                && list.items.len() < Self::MAX_ITEMS
            {
                list.push(p, desc.to_owned(), step);
            }
        }
        list
    }
}

/// The first parseable JSON array in `text`: a fenced block first, then the outermost brackets.
fn find_json_array(text: &str) -> Option<Value> {
    for block in text.split("```").skip(1).step_by(2) {
        // Drop a language tag on the fence line.
        let body = match block.split_once('\n') {
            Some((tag, rest)) if !tag.contains('[') => rest,
            _ => block,
        };
        if let Ok(v @ Value::Array(_)) = serde_json::from_str(body.trim()) {
            return Some(v);
        }
    }
    let (a, b) = (text.find('[')?, text.rfind(']')?);
    (a < b)
        .then(|| serde_json::from_str(&text[a..=b]).ok())
        .flatten()
        .filter(Value::is_array)
}

/// The body of a `## CHECKLIST` / `### Verification Checklist` section, up to the next heading.
pub fn checklist_section(plan: &str) -> Option<String> {
    let lines: Vec<&str> = plan.lines().collect();
    let is_heading = |l: &str| {
        let t = l.trim_start();
        t.starts_with("## ") || t.starts_with("### ")
    };
    let start = lines.iter().position(|l| {
        let t = l.trim_start();
        (t.starts_with("##")) && {
            let name = t.trim_start_matches('#').trim().to_ascii_uppercase();
            let name = name
                .trim_start_matches("VERIFICATION ")
                .trim_matches('*')
                .trim();
            name.starts_with("CHECKLIST")
        }
    })?;
    let end = lines[start + 1..]
        .iter()
        .position(|l| is_heading(l))
        .map_or(lines.len(), |p| start + 1 + p);
    Some(lines[start + 1..end].join("\n"))
}

/// Run the planner. Returns the record and the two messages to add to the agent's history
/// (empty when planning failed).
pub async fn plan(
    llm: &LlmClient,
    ctx: &PromptContext,
    instruction: &str,
    session_id: &str,
    config: &AgentConfig,
) -> (PlanRecord, Vec<Message>) {
    let started = Instant::now();
    let messages = [
        Message::system(planning::system_prompt(ctx, &config.ablations)),
        Message::user_text(planning::user_message(ctx, instruction)),
    ];
    let params = &config.roles.planning;
    let mut record = PlanRecord::default();
    let text = match llm.chat(&messages, params, session_id).await {
        Ok(r) if !r.content.trim().is_empty() => r.content.trim().to_owned(),
        Ok(_) => {
            record.error = Some("the planner returned an empty plan".into());
            record.time = started.elapsed();
            return (record, Vec::new());
        }
        Err(e) => {
            tracing::warn!(error = %e, "planning failed; continuing without a plan");
            record.error = Some(e.to_string());
            record.time = started.elapsed();
            return (record, Vec::new());
        }
    };
    if config.reflection.enabled {
        record.checklist = checklist(llm, &text, params, session_id).await;
    }
    let injected = vec![
        Message::user_text(format!("Here is your execution plan:\n\n{text}")),
        Message::user_text(prompts::transition_message(ctx.interface)),
    ];
    record.text = Some(text);
    record.time = started.elapsed();
    (record, injected)
}

/// The checklist from the plan, with one repair call and one generation call as fallbacks.
async fn checklist(
    llm: &LlmClient,
    plan: &str,
    params: &RoleParams,
    session_id: &str,
) -> Checklist {
    let section = checklist_section(plan);
    if let Some(s) = &section {
        let list = Checklist::parse(s, 0);
        if !list.is_empty() {
            return list;
        }
        let short: String = s.chars().take(2000).collect();
        let ask = [Message::user_text(planning::checklist_repair(&short))];
        if let Ok(r) = llm.chat(&ask, params, session_id).await {
            let list = Checklist::parse(&r.content, 0);
            if !list.is_empty() {
                return list;
            }
        }
    }
    let short: String = plan.chars().take(4000).collect();
    let ask = [Message::user_text(planning::checklist_generate(&short))];
    match llm.chat(&ask, params, session_id).await {
        Ok(r) => Checklist::parse(&r.content, 0),
        Err(_) => Checklist::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PLAN: &str = "## Task analysis\nFind things.\n\n### CHECKLIST\n```json\n[{\"priority\": \"HIGH\", \"description\": \"mask covers the chair\"}, {\"priority\": \"low\", \"description\": \"units\"}, {\"priority\": \"URGENT\", \"description\": \"dropped\"}]\n```\n\n## Verification\nmore";

    #[test]
    fn the_checklist_section_is_found_and_parsed() {
        let section = checklist_section(PLAN).unwrap();
        assert!(!section.contains("Verification"));
        let list = Checklist::parse(&section, 0);
        assert_eq!(list.items.len(), 2);
        assert_eq!(list.items[0].id, "chk_001");
        assert_eq!(list.items[1].priority, Priority::Low);
        assert!(checklist_section("## Plan\nno list").is_none());
        assert!(checklist_section("### Verification Checklist\n[]").is_some());
    }

    #[test]
    fn ops_verify_flag_and_add() {
        let mut list = Checklist::parse(&checklist_section(PLAN).unwrap(), 0);
        let changes = list.apply_ops(
            &[
                json!({"op": "verify", "item_id": "chk_001", "note": "shown at frame 3"}),
                json!({"op": "flag", "item_id": "chk_999"}),
                json!({"op": "add", "description": "check the floor", "priority": "HIGH"}),
            ],
            4,
        );
        assert_eq!(changes.len(), 2);
        assert_eq!(list.items[0].status, ItemStatus::Verified);
        assert_eq!(list.items[2].priority, Priority::Medium);
        assert_eq!(
            list.summary(),
            "[Checklist: 1/3 verified, 0 flagged, 0 HIGH pending]"
        );
        assert!(
            list.render()
                .contains("[VERIFIED] chk_001 (HIGH) mask covers the chair — shown at frame 3")
        );
    }
}
