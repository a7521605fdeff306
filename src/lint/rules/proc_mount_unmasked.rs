//! Containers keep /proc masked.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "proc-mount-unmasked",
    family: Family::Workloads,
    severity: Severity::Error,
    summary: "A container sets `procMount: Unmasked`.",
    doc: "## What it does\nReports containers whose `securityContext.procMount` is `Unmasked`.\n\n## Why is this bad?\nThe default mount hides and makes read-only the parts of /proc that reach the host (`/proc/kcore`, `/proc/sys`, …). Unmasked exposes them; the baseline Pod Security Standard refuses it.\n\n## Example\n```yaml\nsecurityContext:\n  procMount: Unmasked\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.docs.iter().enumerate() {
        for ctr in containers(d) {
            if ctr.security("procMount").and_then(Value::as_str) == Some("Unmasked") {
                out.push(Hit::new(
                    i,
                    format!("{}/securityContext/procMount", ctr.pointer()),
                    format!(
                        "container `{}` unmasks /proc (`procMount: Unmasked`)",
                        ctr.name()
                    ),
                ));
            }
        }
    }
}
