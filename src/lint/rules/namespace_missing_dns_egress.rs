//! A default-deny namespace still lets pods resolve names.

use super::namespace_missing_default_deny::is_default_deny;
use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "namespace-missing-dns-egress",
    family: Family::Tenancy,
    severity: Severity::Warning,
    summary: "A namespace denies egress but no NetworkPolicy allows DNS (port 53).",
    doc: "## What it does\nReports namespaces with a default-deny policy and no NetworkPolicy allowing egress on port 53.\n\n## Why is this bad?\nEvery name lookup times out; workloads fail in confusing ways.\n\n## Example\n```yaml\nspec:\n  policyTypes: [Egress]\n  egress:\n  - ports: [{protocol: UDP, port: 53}]\n```",
    scope: Scope::Corpus(&[("NetworkPolicy", "/spec")]),
    check,
};

fn allows_dns(d: &Document) -> bool {
    d.value["spec"]["egress"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|rule| {
            rule["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|p| p["port"] == 53 || p["port"] == "53" || p["port"] == "dns")
        })
}

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    let with_dns: std::collections::HashSet<&str> = c
        .of_kind(&["NetworkPolicy"])
        .filter(|(_, p)| allows_dns(p))
        .map(|(_, p)| p.namespace())
        .collect();
    for (i, d) in c.of_kind(&["NetworkPolicy"]) {
        if is_default_deny(d) && !with_dns.contains(d.namespace()) {
            let ns = d.namespace();
            out.push(Hit::new(
                i,
                "/spec/policyTypes",
                format!("namespace `{ns}` denies egress but nothing allows DNS on port 53"),
            ));
        }
    }
}
