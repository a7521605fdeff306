//! Tenant namespaces carry the labels people and selectors rely on.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "namespace-missing-labels",
    family: Family::Tenancy,
    severity: Severity::Error,
    summary: "A Namespace lacks one of the labels team, environment, tier.",
    doc: "## What it does\nReports Namespace objects without the `team`, `environment` and `tier` labels (system namespaces such as kube-system are skipped).\n\n## Why is this bad?\nChargeback, alert routing and NetworkPolicy selectors key on these labels.\n\n## Example\n```yaml\nmetadata:\n  name: data-prod\n  labels: {team: data, environment: prod, tier: medium}\n```",
    scope: Scope::Object,
    check,
};

pub fn is_system(ns: &str) -> bool {
    ns.starts_with("kube-")
        || matches!(
            ns,
            "default" | "argocd" | "argo" | "istio-system" | "monitoring"
        )
}

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.of_kind(&["Namespace"]) {
        if is_system(d.name()) {
            continue;
        }
        let missing: Vec<&str> = ["team", "environment", "tier"]
            .into_iter()
            .filter(|l| d.label(l).is_none())
            .collect();
        if !missing.is_empty() {
            out.push(Hit::new(
                i,
                "/metadata",
                format!(
                    "namespace `{}` lacks the label(s) {}",
                    d.name(),
                    missing.join(", ")
                ),
            ));
        }
    }
}
