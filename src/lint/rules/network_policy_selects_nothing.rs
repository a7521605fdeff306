//! A NetworkPolicy's pod selector finds pods.

use crate::manifest::labels::{is_empty_selector, selects};

use super::prelude::*;
use super::service_selects_nothing::namespace_pods;

pub static RULE: Rule = Rule {
    id: "network-policy-selects-nothing",
    family: Family::Tenancy,
    severity: Severity::Warning,
    summary: "A NetworkPolicy's podSelector matches no pod template in its namespace.",
    doc: "## What it does\nIn each namespace where the linted set has pod templates, matches every NetworkPolicy's non-empty `spec.podSelector` against their labels (Argo workflow pods carry `workflows.argoproj.io/workflow`, whatever its value) and reports policies that select none. Empty selectors (every pod) and namespaces without pod templates are not judged.\n\n## Why is this bad?\nA policy that selects nothing isolates nothing: the review saw an ingress rule, the pods it was meant for take traffic from anywhere the default allows. A renamed label is the usual cause.\n\n## Example\n```yaml\nkind: NetworkPolicy\nspec:\n  podSelector: {matchLabels: {app: payments-api}}   # pods are app: payments\n```",
    scope: Scope::Corpus(&SCOPE),
    check,
};

const SCOPE: [(&str, &str); 23] =
    crate::manifest::labels::scope_with(("NetworkPolicy", "/spec/podSelector"));

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    let judged: Vec<(usize, &Document, &Value)> = c
        .of_kind(&["NetworkPolicy"])
        .map(|(i, d)| {
            let selector = d.value.pointer("/spec/podSelector").unwrap_or(&Value::Null);
            (i, d, selector)
        })
        .filter(|(_, _, selector)| !is_empty_selector(selector))
        .collect();
    let pods = namespace_pods(c, judged.iter().map(|(_, d, _)| d.namespace()).collect());
    for (i, d, selector) in judged {
        let Some(in_ns) = pods.get(d.namespace()) else {
            continue;
        };
        let any = in_ns.iter().any(|l| selects(selector, l) != Some(false));
        if !any {
            out.push(Hit::new(
                i,
                "/spec/podSelector",
                format!(
                    "{} selects no pod of namespace `{}`: it isolates nothing",
                    d.display(),
                    d.namespace()
                ),
            ));
        }
    }
}
