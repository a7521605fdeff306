//! GitHub Actions workflow commands: one annotation per finding on the pull request diff.

use crate::diagnostic::Severity;
use crate::lint::Finding;

/// Escape a workflow-command property or message as GitHub documents it.
fn escape(s: &str, property: bool) -> String {
    let mut out = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    if property {
        out = out.replace(':', "%3A").replace(',', "%2C");
    }
    out
}

pub fn render(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        out.push_str(&format!(
            "::{level} file={},line={},col={},title={}::{}\n",
            escape(&f.location.file, true),
            f.location.line,
            f.location.col,
            escape(f.rule, true),
            escape(&f.message, false)
        ));
    }
    out
}
