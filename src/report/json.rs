//! The stable JSON report: `{"version": 1, "summary": {...}, "findings": [...]}`.

use serde_json::json;

use crate::diagnostic::Severity;
use crate::lint::Finding;

pub fn render(findings: &[Finding], checked: usize) -> String {
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let doc = json!({
        "version": 1,
        "summary": {"objects": checked, "errors": errors, "warnings": findings.len() - errors},
        "findings": findings.iter().map(|f| json!({
            "rule": f.rule,
            "severity": f.severity.to_string(),
            "message": f.message,
            "file": f.location.file,
            "line": f.location.line,
            "column": f.location.col,
            "object": f.object,
            "help": f.help,
        })).collect::<Vec<_>>(),
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    )
}
