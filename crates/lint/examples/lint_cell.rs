//! Lints a cell read from stdin and prints what the agent would see.
//!
//! `cargo run -p spatialclaw-lint --example lint_cell < cell.py`

use std::io::Read;

use spatialclaw_lint::{Policy, lint, show_call_labels};

fn main() -> std::io::Result<()> {
    let mut code = String::new();
    std::io::stdin().read_to_string(&mut code)?;
    let report = lint(&code, &Policy::default());
    if report.is_clean() {
        println!("clean; show() labels: {:?}", show_call_labels(&code));
    } else {
        print!("{}", report.render());
        for d in &report.diagnostics {
            println!("  [{}] {}:{}", d.rule, d.line, d.column);
        }
    }
    Ok(())
}
