//! A container has no CPU/memory requests or no memory limit.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "missing-resources",
    family: Family::Workloads,
    severity: Severity::Error,
    summary: "A container has no CPU/memory requests or no memory limit.",
    doc: "## What it does\nReports containers without `resources.requests.cpu`, `resources.requests.memory` or `resources.limits.memory`.\n\n## Why is this bad?\nWithout requests the scheduler overcommits nodes; without a memory limit one leak takes the node down.\n\n## Example\n```yaml\nresources:\n  requests: {cpu: 100m, memory: 128Mi}\n  limits: {memory: 512Mi}\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.docs.iter().enumerate() {
        for k in containers(d) {
            let r = k.value.get("resources");
            let missing: Vec<&str> = [
                ("/requests/cpu", "requests.cpu"),
                ("/requests/memory", "requests.memory"),
                ("/limits/memory", "limits.memory"),
            ]
            .into_iter()
            .filter(|(p, _)| r.and_then(|r| r.pointer(p)).is_none())
            .map(|(_, n)| n)
            .collect();
            if !missing.is_empty() {
                out.push(Hit::new(
                    i,
                    k.pointer(),
                    format!("container `{}` sets no {}", k.name(), missing.join(", ")),
                ));
            }
        }
    }
}
