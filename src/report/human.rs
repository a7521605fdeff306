//! Findings as people read them: the same shape as input diagnostics.

use crate::diagnostic::{Diagnostic, Severity};

pub fn render(summary: &super::Summary<'_>) -> String {
    let (findings, checked) = (summary.findings, summary.checked);
    let mut out = String::new();
    if summary.verbose {
        for s in summary.skipped {
            out.push_str(&format!("skipped: {}: {}\n", s.path, s.reason));
        }
    }
    for f in findings {
        let mut d = Diagnostic::error(f.rule, f.message.clone()).at(f.location.clone());
        d.severity = f.severity;
        if let Some(o) = &f.object {
            d = d.note(format!("object: {o}"));
        }
        if let Some(h) = &f.help {
            d = d.help(h.clone());
        }
        out.push_str(&d.render().replacen(" = code: ", " = rule: ", 1));
        out.push('\n');
    }
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let notes = findings
        .iter()
        .filter(|f| f.severity == Severity::Note)
        .count();
    let warnings = findings.len() - errors - notes;
    out.push_str(&format!(
        "{checked} object{} checked: {errors} error{}, {warnings} warning{}",
        if checked == 1 { "" } else { "s" },
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" },
    ));
    if notes > 0 {
        out.push_str(&format!(
            ", {notes} note{}",
            if notes == 1 { "" } else { "s" }
        ));
    }
    let skipped = summary.skipped.len();
    if skipped > 0 {
        out.push_str(&format!(
            "; {skipped} file{} skipped, not manifests{}",
            if skipped == 1 { "" } else { "s" },
            if summary.verbose {
                ""
            } else {
                " (--verbose lists them)"
            }
        ));
    }
    out.push('\n');
    out
}
