//! A container allows privilege escalation.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "privilege-escalation",
    family: Family::Workloads,
    severity: Severity::Error,
    summary: "A container allows privilege escalation.",
    doc: "## What it does\nReports containers that do not set `allowPrivilegeEscalation: false`.\n\n## Why is this bad?\nsetuid binaries in the image can gain more privileges than the process started with.\n\n## Example\n```yaml\nsecurityContext:\n  allowPrivilegeEscalation: false\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.docs.iter().enumerate() {
        for k in containers(d) {
            if k.security("allowPrivilegeEscalation") != Some(&Value::Bool(false)) {
                out.push(Hit::new(
                    i,
                    k.pointer(),
                    format!("container `{}` allows privilege escalation", k.name()),
                ));
            }
        }
    }
}
