//! A container runs privileged.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "privileged-container",
    family: Family::Workloads,
    severity: Severity::Error,
    summary: "A container runs privileged.",
    doc: "## What it does\nReports containers with `securityContext.privileged: true`.\n\n## Why is this bad?\nA privileged container is root on the node.\n\n## Example\n```yaml\nsecurityContext:\n  privileged: true\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.docs.iter().enumerate() {
        for k in containers(d) {
            if k.security("privileged") == Some(&Value::Bool(true)) {
                out.push(Hit::new(
                    i,
                    format!("{}/securityContext/privileged", k.pointer()),
                    format!("container `{}` is privileged", k.name()),
                ));
            }
        }
    }
}
