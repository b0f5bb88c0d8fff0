//! The public API as the kernel crate uses it.

use spatialclaw_lint::{Policy, Rule, SyntaxIssueKind, check_syntax, lint, show_call_labels};

#[test]
fn clean_cell() {
    let report = lint("x = np.arange(3)\nprint(x.sum())\n", &Policy::default());
    assert!(report.is_clean());
    assert_eq!(report.render(), "");
    assert!(check_syntax("x = 1\n").is_ok());
}

#[test]
fn render_combines_syntax_and_rule_problems() {
    let report = lint("import os\nx = foo(1,\n", &Policy::default());
    let text = report.render();
    assert!(
        text.starts_with("The cell was not run. Fix the syntax error"),
        "{text}"
    );
    assert!(
        text.contains("SyntaxError at line 2, column 8: '(' was never closed"),
        "{text}"
    );
    assert!(
        text.contains("Also fix these lines:\nline 1: Module 'os' is not available"),
        "{text}"
    );
}

#[test]
fn diagnostics_are_sorted_with_positions_and_snippets() {
    let code = "x = 1\nimport sys\ny = eval('2')\n";
    let report = lint(code, &Policy::default());
    let positions: Vec<_> = report
        .diagnostics
        .iter()
        .map(|d| (d.line, d.column, d.rule))
        .collect();
    assert_eq!(
        positions,
        [(2, 8, Rule::ForbiddenImport), (3, 5, Rule::DynamicCode)]
    );
    assert_eq!(report.diagnostics[1].snippet, "y = eval('2')");
    assert_eq!(
        report.diagnostics[1].to_string(),
        format!("line 3: {}", report.diagnostics[1].message)
    );
}

#[test]
fn crlf_and_unicode_positions() {
    let report = lint("é = 1\r\nimport os\r\n", &Policy::default());
    assert_eq!(
        (report.diagnostics[0].line, report.diagnostics[0].column),
        (2, 8)
    );
    assert_eq!(report.diagnostics[0].snippet, "import os");
    let issue = check_syntax("naïve = (1,\r\n").unwrap_err();
    assert_eq!((issue.line, issue.column), (1, 9));
    assert_eq!(issue.kind, SyntaxIssueKind::Syntax);
}

#[test]
fn policy_is_configurable() {
    let code = "import shapely\nScene = 1\n";
    assert!(!lint(code, &Policy::default()).diagnostics.is_empty());
    let report = lint(code, &Policy::default().allow_module("shapely"));
    assert!(report.is_clean(), "{}", report.render());
    let report = lint(
        code,
        &Policy::default()
            .allow_module("shapely")
            .reserve_name("Scene"),
    );
    assert_eq!(report.diagnostics[0].rule, Rule::ReservedName);
    let mut policy = Policy::default();
    policy.blocked_paths.retain(|b| b.path != "scipy.io");
    assert!(lint("from scipy.io import loadmat\n", &policy).is_clean());
}

#[test]
fn duplicate_problems_on_a_line_are_reported_once() {
    let report = lint("x = eval('1') + eval('2')\n", &Policy::default());
    assert_eq!(report.diagnostics.len(), 1, "{}", report.render());
}

#[test]
fn show_labels() {
    assert_eq!(
        show_call_labels("show(InputImages[0])\nshow(crop, label='c')\n"),
        ["InputImages[0]", "crop"]
    );
}
