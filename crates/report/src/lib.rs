//! spatialclaw-report: what people read after a run.
//!
//! * [`session`] — `session_report.html`, one self-contained page per sample (inline CSS and
//!   images, no scripts, no network) rendered from the agent's `trajectory.json`, its optional
//!   `trace.jsonl` and the sample's `predictions.jsonl` record. Agent output is untrusted, so
//!   every piece of it is escaped ([`html`]) and the page forbids scripts with a CSP.
//! * [`dashboard`] — `spatialclaw report`: a static site over one or more run directories
//!   (benchmark × model × interface table, both suite averages, a radar chart, failures, every
//!   sample linked to its session page).
//! * [`serve`] — `spatialclaw view`: the same site over HTTP on a local address.
//!
//! The crate reads the run files as data (lenient JSON views in [`model`] and [`run`]) instead of
//! importing the agent's types: reports must open runs written by older or newer versions, and a
//! corrupt file must give a page that says so rather than an error with no page.

pub mod dashboard;
pub mod error;
pub mod highlight;
pub mod html;
pub mod model;
pub mod radar;
pub mod run;
pub mod serve;
pub mod session;
mod style;

pub use dashboard::{SiteSummary, write_site};
pub use error::ReportError;
pub use run::{RunData, load_run};
pub use serve::{Server, bind};
pub use session::{
    SESSION_REPORT_FILE, SessionExtras, TRACE_FILE, TRAJECTORY_FILE, render_session_report,
    write_session_report,
};
