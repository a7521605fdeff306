//! The stable JSON report: `{"version": 1, "summary": {...}, "findings": [...]}`.

//!
//! Typed, so its fields keep this order: a parsed map does not keep the order written.

use serde::Serialize;

use crate::diagnostic::Severity;

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    summary: Summary,
    findings: Vec<FindingView<'a>>,
    skipped: Vec<SkippedView<'a>>,
}

#[derive(Serialize)]
struct SkippedView<'a> {
    file: &'a str,
    reason: &'a str,
}

#[derive(Serialize)]
struct Summary {
    objects: usize,
    errors: usize,
    warnings: usize,
    notes: usize,
    skipped: usize,
}

#[derive(Serialize)]
struct FindingView<'a> {
    rule: &'a str,
    severity: String,
    message: &'a str,
    file: &'a str,
    line: usize,
    column: usize,
    object: &'a Option<String>,
    /// The finding's own hint, else the rule's summary (`gitops-render rules ID` has more).
    help: Option<&'a str>,
}

pub fn render(s: &super::Summary<'_>) -> String {
    let (findings, checked) = (s.findings, s.checked);
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let notes = findings
        .iter()
        .filter(|f| f.severity == Severity::Note)
        .count();
    let doc = Report {
        version: 1,
        summary: Summary {
            objects: checked,
            errors,
            warnings: findings.len() - errors - notes,
            notes,
            skipped: s.skipped.len(),
        },
        findings: findings
            .iter()
            .map(|f| FindingView {
                rule: f.rule,
                severity: f.severity.to_string(),
                message: &f.message,
                file: &f.location.file,
                line: f.location.line,
                column: f.location.col,
                object: &f.object,
                help: f
                    .help
                    .as_deref()
                    .or_else(|| crate::lint::rule(f.rule).map(|r| r.summary)),
            })
            .collect(),
        skipped: s
            .skipped
            .iter()
            .map(|k| SkippedView {
                file: &k.path,
                reason: &k.reason,
            })
            .collect(),
    };
    format!(
        "{}\n",
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    )
}
