//! Every namespace denies traffic by default.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "namespace-missing-default-deny",
    family: Family::Tenancy,
    severity: Severity::Error,
    summary: "A Namespace has no default-deny NetworkPolicy for ingress and egress.",
    doc: "## What it does\nReports namespaces without a NetworkPolicy that selects every pod (`podSelector: {}`), lists both Ingress and Egress in `policyTypes`, and allows nothing.\n\n## Why is this bad?\nWithout it every pod can reach every other tenant and the cloud metadata service.\n\n## Example\n```yaml\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: default-deny, namespace: data-prod}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n```",
    scope: Scope::Corpus(&[("NetworkPolicy", "/spec")]),
    check,
};

/// Is this NetworkPolicy a default deny for both directions?
pub fn is_default_deny(d: &Document) -> bool {
    let spec = &d.value["spec"];
    let all_pods = spec
        .get("podSelector")
        .and_then(Value::as_object)
        .is_some_and(|m| m.is_empty());
    let types: Vec<&str> = spec["policyTypes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    all_pods
        && types.contains(&"Ingress")
        && types.contains(&"Egress")
        && spec
            .get("ingress")
            .and_then(Value::as_array)
            .is_none_or(|a| a.is_empty())
        && spec
            .get("egress")
            .and_then(Value::as_array)
            .is_none_or(|a| a.is_empty())
}

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    let denied: std::collections::BTreeSet<&str> = c
        .of_kind(&["NetworkPolicy"])
        .filter(|(_, d)| is_default_deny(d))
        .map(|(_, d)| d.namespace())
        .collect();
    for (i, d) in c.of_kind(&["Namespace"]) {
        if !denied.contains(d.name()) {
            out.push(Hit::new(
                i,
                "/metadata/name",
                format!("namespace `{}` has no default-deny NetworkPolicy", d.name()),
            ));
        }
    }
}
