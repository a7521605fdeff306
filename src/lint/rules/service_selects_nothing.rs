//! A Service's selector finds pods.

use crate::manifest::labels::{self, map_selects, pod_labels};

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "service-selects-nothing",
    family: Family::Workloads,
    severity: Severity::Warning,
    summary: "A Service's selector matches no pod template in its namespace.",
    doc: "## What it does\nIn each namespace where the linted set has pod templates (Pods, workload controllers, Jobs, CronJobs, Argo workflow templates), matches every Service's `spec.selector` against their labels and reports Services that select none. Services without a selector (endpoints managed by hand) and namespaces without pod templates are not judged.\n\n## Why is this bad?\nThe Service has no endpoints: every connection to it is refused, and nothing reports it until a client fails. A renamed label is the usual cause.\n\n## Example\n```yaml\nkind: Service\nspec:\n  selector: {app: web-frontend}   # the Deployment's pods are app: web\n```",
    scope: Scope::Corpus(&SCOPE),
    check,
};

const SCOPE: [(&str, &str); 23] =
    crate::manifest::labels::scope_with(("Service", "/spec/selector"));

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    let pods = namespace_pods(c);
    for (i, d) in c.of_kind(&["Service"]) {
        let Some(selector) = d.value.pointer("/spec/selector").and_then(Value::as_object) else {
            continue;
        };
        if selector.is_empty() {
            continue;
        }
        let Some(in_ns) = pods.get(d.namespace()) else {
            continue;
        };
        if !in_ns.iter().any(|l| map_selects(selector, l)) {
            out.push(Hit::new(
                i,
                "/spec/selector",
                format!(
                    "{} selects no pod of namespace `{}`: it has no endpoints",
                    d.display(),
                    d.namespace()
                ),
            ));
        }
    }
}

/// Namespace → the labels of every pod the linted objects in it create.
pub fn namespace_pods(c: &Corpus) -> std::collections::BTreeMap<&str, Vec<labels::Labels>> {
    let mut out: std::collections::BTreeMap<&str, Vec<labels::Labels>> = Default::default();
    for d in &c.docs {
        let found = pod_labels(d.kind(), &d.value);
        if !found.is_empty() {
            out.entry(d.namespace()).or_default().extend(found);
        }
    }
    out
}
