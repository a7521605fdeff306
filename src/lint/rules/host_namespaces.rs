//! Pods stay out of the node's namespaces.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "host-namespaces",
    family: Family::Workloads,
    severity: Severity::Error,
    summary: "A pod shares the node's network, PID or IPC namespace.",
    doc: "## What it does\nReports pod specs with `hostNetwork`, `hostPID` or `hostIPC` set to true.\n\n## Why is this bad?\nThe pod sees and can reach everything on the node, including other tenants' traffic and processes.\n\n## Example\n```yaml\nspec:\n  hostNetwork: true\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.docs.iter().enumerate() {
        for (ptr, spec) in pods(d) {
            for key in ["hostNetwork", "hostPID", "hostIPC"] {
                if spec.get(key) == Some(&Value::Bool(true)) {
                    out.push(Hit::new(
                        i,
                        format!("{ptr}/{key}"),
                        format!("{} sets {key}: true", d.display()),
                    ));
                }
            }
        }
    }
}
