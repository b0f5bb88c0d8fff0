//! The lint's result and the text the agent sees.

use std::fmt;

use crate::syntax::SyntaxIssue;

/// The rule a diagnostic comes from. Stable kebab-case names (see [`Rule::as_str`]) go into traces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// An import of a module outside the allow-list, of a blocked submodule, or a relative import.
    ForbiddenImport,
    /// An attribute chain into a blocked or private part of an allowed module, or into a module
    /// that a library re-exports (`matplotlib.os`).
    RestrictedModuleAccess,
    /// A builtin that runs, loads or inspects code or reaches files/stdin (`exec`, `open`, …),
    /// called or used as a value (aliasing), and `allow_pickle=True`.
    DynamicCode,
    /// Dunder, frame, traceback, generator and code-object attributes used in sandbox escapes,
    /// whether written as attributes, names, format-string fields or match patterns.
    DunderAccess,
    /// `getattr`/`setattr`/`delattr` with an attribute name that is not a known string.
    ComputedAttribute,
    /// Rebinding a name the kernel provides (`show`, `tools`, `InputImages`, …).
    ReservedName,
    /// Threads, processes and signal handlers.
    ProcessControl,
}

impl Rule {
    /// Every rule, in a stable order.
    pub const ALL: [Rule; 7] = [
        Rule::ForbiddenImport,
        Rule::RestrictedModuleAccess,
        Rule::DynamicCode,
        Rule::DunderAccess,
        Rule::ComputedAttribute,
        Rule::ReservedName,
        Rule::ProcessControl,
    ];

    /// The rule's stable name, for traces and logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Rule::ForbiddenImport => "forbidden-import",
            Rule::RestrictedModuleAccess => "restricted-module-access",
            Rule::DynamicCode => "dynamic-code",
            Rule::DunderAccess => "dunder-access",
            Rule::ComputedAttribute => "computed-attribute",
            Rule::ReservedName => "reserved-name",
            Rule::ProcessControl => "process-control",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem the lint found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The rule that fired.
    pub rule: Rule,
    /// What is wrong and what to do instead, without the line prefix.
    pub message: String,
    /// The offending line of the cell, trimmed, so the agent sees what was meant.
    pub snippet: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// The outcome of [`crate::lint`]: the first syntax problem, if any, and every rule diagnostic,
/// sorted by position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The first syntax problem; the cell cannot run while this is set.
    pub syntax: Option<SyntaxIssue>,
    /// Rule diagnostics, sorted by line and column, without duplicates.
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    /// True when the cell may be sent to the kernel.
    pub fn is_clean(&self) -> bool {
        self.syntax.is_none() && self.diagnostics.is_empty()
    }

    /// The text the agent sees when the cell is refused ("" when the report is clean): the syntax
    /// problem with a caret, then one `line N: …` entry per diagnostic with the offending line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if self.is_clean() {
            return out;
        }
        out.push_str("The cell was not run. ");
        if let Some(syntax) = &self.syntax {
            out.push_str("Fix the syntax error and send the whole cell again.\n");
            out.push_str(&syntax.to_string());
            out.push('\n');
            if !self.diagnostics.is_empty() {
                out.push_str("Also fix these lines:\n");
            }
        } else {
            let count = self.diagnostics.len();
            let noun = if count == 1 { "problem" } else { "problems" };
            out.push_str(&format!(
                "The kernel only allows numpy/scipy-style computation and its own tools; fix the \
                 {count} {noun} below and send the whole cell again.\n"
            ));
        }
        for diagnostic in &self.diagnostics {
            out.push_str(&diagnostic.to_string());
            out.push('\n');
            if !diagnostic.snippet.is_empty() {
                out.push_str("    ");
                out.push_str(&diagnostic.snippet);
                out.push('\n');
            }
        }
        out
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names_are_unique() {
        let mut names: Vec<_> = Rule::ALL.iter().map(|r| r.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Rule::ALL.len());
    }

    #[test]
    fn clean_report_renders_nothing() {
        let report = Report::default();
        assert!(report.is_clean());
        assert_eq!(report.render(), "");
    }

    #[test]
    fn diagnostics_render_with_line_and_snippet() {
        let report = Report {
            syntax: None,
            diagnostics: vec![Diagnostic {
                line: 3,
                column: 1,
                rule: Rule::ForbiddenImport,
                message: "Module 'os' is not available in this kernel; use x.".to_owned(),
                snippet: "import os".to_owned(),
            }],
        };
        let text = report.render();
        assert!(text.contains("fix the 1 problem below"), "{text}");
        assert!(
            text.contains("line 3: Module 'os' is not available"),
            "{text}"
        );
        assert!(text.contains("\n    import os\n"), "{text}");
    }
}
