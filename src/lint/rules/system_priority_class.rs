//! Tenants do not take the node's own priority classes.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "system-priority-class",
    family: Family::Workloads,
    severity: Severity::Error,
    summary: "A pod outside kube-system uses a `system-*` priority class.",
    doc: "## What it does\nReports pod specs, workflow specs and templates outside `kube-system` whose `priorityClassName` (or Argo's `podPriorityClassName`) is `system-node-critical` or `system-cluster-critical`.\n\n## Why is this bad?\nThese classes preempt every other pod: a tenant's pod with one evicts other tenants' pods, and the cluster's own add-ons, when a node is full. The API server admits them only in kube-system unless a ResourceQuota scoped to them allows it.\n\n## Example\n```yaml\nspec:\n  priorityClassName: system-cluster-critical\n```",
    scope: Scope::File,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.docs.iter().enumerate() {
        if d.namespace() == "kube-system" {
            continue;
        }
        for (ptr, spec) in pods(d) {
            let mut fields = vec![
                (
                    format!("{ptr}/priorityClassName"),
                    spec.get("priorityClassName"),
                ),
                (
                    format!("{ptr}/podPriorityClassName"),
                    spec.get("podPriorityClassName"),
                ),
            ];
            for (t, tmpl) in workflow_templates(spec) {
                fields.push((
                    format!("{ptr}/templates/{t}/priorityClassName"),
                    tmpl.get("priorityClassName"),
                ));
            }
            for (at, v) in fields {
                if let Some(name) = v
                    .and_then(Value::as_str)
                    .filter(|n| n.starts_with("system-"))
                {
                    out.push(Hit::new(
                        i,
                        at,
                        format!("{} uses priority class `{name}`, which preempts every other workload of the cluster", d.display()),
                    ));
                }
            }
        }
    }
}
