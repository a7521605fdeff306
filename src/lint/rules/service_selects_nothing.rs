//! A Service's selector finds pods.

use std::collections::{BTreeMap, BTreeSet};

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
    let judged: Vec<(usize, &Document, &serde_json::Map<String, Value>)> = c
        .of_kind(&["Service"])
        .filter_map(|(i, d)| {
            let selector = d
                .value
                .pointer("/spec/selector")
                .and_then(Value::as_object)?;
            (!selector.is_empty()).then_some((i, d, selector))
        })
        .collect();
    let pods = namespace_pods(c, judged.iter().map(|(_, d, _)| d.namespace()).collect());
    for (i, d, selector) in judged {
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

/// Namespace → the label sets of the pods the linted objects in it create, for the
/// namespaces in `judged` (those holding a selector to judge), each set once: at
/// N = 10,000 every namespace's labels, a copy per pod template, were ~11 MB for each of
/// the two rules that match selectors, at the peak of a render with lint.
pub fn namespace_pods<'c>(
    c: &'c Corpus,
    judged: BTreeSet<&str>,
) -> BTreeMap<&'c str, BTreeSet<labels::Labels>> {
    let mut out: BTreeMap<&str, BTreeSet<labels::Labels>> = BTreeMap::new();
    if judged.is_empty() {
        return out;
    }
    for d in &c.docs {
        if !judged.contains(d.namespace()) {
            continue;
        }
        let found = pod_labels(d.kind(), &d.value);
        if !found.is_empty() {
            out.entry(d.namespace()).or_default().extend(found);
        }
    }
    out
}
