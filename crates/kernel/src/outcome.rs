//! What one cell did, as the host sees it: everything the agent's feedback needs, from one
//! round trip.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// An exception raised by the agent's cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellError {
    #[serde(rename = "type")]
    pub kind: String,
    pub message: String,
    /// 1-based line in the cell where it was raised, when the cell's own frame is known.
    pub line: Option<u32>,
    #[serde(default)]
    pub column: Option<u32>,
    /// The agent's own frames only (library internals are noise to it).
    #[serde(default)]
    pub traceback: Vec<TraceFrame>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceFrame {
    /// "this cell" or "an earlier cell" (a function the agent defined before).
    #[serde(rename = "where", default)]
    pub location: Option<String>,
    pub line: Option<u32>,
    pub function: String,
    pub source: String,
}

/// A variable created or changed by the cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariableSummary {
    pub name: String,
    #[serde(rename = "type")]
    pub type_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<Vec<u64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dtype: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub len: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_indices: Option<Vec<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_mb: Option<f64>,
}

/// An image the cell passed to `show()`.
#[derive(Debug, Clone, PartialEq)]
pub struct ShowImage {
    pub label: String,
    pub png: Vec<u8>,
}

/// What `ReturnAnswer()` submitted (the last call of the cell wins).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubmittedAnswer {
    pub text: String,
    /// Python type of the submitted value: str, int, float or bool.
    pub raw_type: String,
}

/// Why a cell did not finish on its own.
#[derive(Debug, Clone, PartialEq)]
pub enum Interruption {
    /// Interrupted at the time limit; the session and its variables are intact.
    TimedOut { limit: Duration },
    /// The cell ignored the interrupt (stuck in C code) and the process was killed.
    KilledAfterTimeout { limit: Duration },
    /// The session process died (crash, out of memory, `os._exit`, killed from outside).
    Died { detail: String },
}

/// The result of one cell.
#[derive(Debug, Clone, Default)]
pub struct ExecOutcome {
    pub stdout: String,
    pub stderr: String,
    pub error: Option<CellError>,
    pub shows: Vec<ShowImage>,
    pub answer: Option<SubmittedAnswer>,
    pub variables: Vec<VariableSummary>,
    pub removed: Vec<String>,
    /// repr of a bare final expression (the original discarded it).
    pub last_expr: Option<String>,
    /// e.g. a reserved name the cell rebound and the kernel restored.
    pub warnings: Vec<String>,
    pub elapsed: Duration,
    /// Minor page faults the session took for this cell (copy-on-write after a snapshot
    /// included); None from a runtime that does not report them.
    pub page_faults: Option<u64>,
    pub interruption: Option<Interruption>,
    /// The process died and was replaced by the snapshot taken after the previous cell:
    /// earlier variables are intact, this cell's effects are gone.
    pub restored_from_snapshot: bool,
    /// Cells before this one whose effects the restored snapshot does not hold (0 normally:
    /// the snapshot is taken after every cell, between steps).
    pub cells_lost_before: u64,
    /// The process died with no snapshot to resume, so a fresh session replaced it and
    /// earlier variables are gone.
    pub state_lost: bool,
}

impl ExecOutcome {
    pub fn succeeded(&self) -> bool {
        self.error.is_none() && self.interruption.is_none()
    }
}
