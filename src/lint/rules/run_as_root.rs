//! A container may run as root: no runAsNonRoot, or runAsUser 0.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "run-as-root",
    family: Family::Workloads,
    severity: Severity::Error,
    summary: "A container may run as root: no runAsNonRoot, or runAsUser 0.",
    doc: "## What it does\nReports containers (of Pods, controllers and Argo workflows) that do not set `runAsNonRoot: true` themselves or at pod level, or that set `runAsUser: 0`.\n\n## Why is this bad?\nArgo and most images run as root by default; root in a container is one kernel bug away from root on the node.\n\n## Example\n```yaml\nsecurityContext:\n  runAsNonRoot: true\n  runAsUser: 1000\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.docs.iter().enumerate() {
        for k in containers(d) {
            if k.security("runAsUser").and_then(Value::as_i64) == Some(0) {
                out.push(Hit::new(
                    i,
                    format!("{}/securityContext/runAsUser", k.pointer()),
                    format!("container `{}` runs as root (runAsUser: 0)", k.name()),
                ));
            } else if k.security("runAsNonRoot") != Some(&Value::Bool(true)) {
                out.push(Hit::new(
                    i,
                    k.pointer(),
                    format!(
                        "container `{}` may run as root: set runAsNonRoot: true",
                        k.name()
                    ),
                ));
            }
        }
    }
}
