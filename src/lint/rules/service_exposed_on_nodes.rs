//! Tenant Services stay inside the cluster.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "service-exposed-on-nodes",
    family: Family::Workloads,
    severity: Severity::Warning,
    summary: "A Service is of type NodePort or LoadBalancer.",
    doc: "## What it does\nReports Services of type `NodePort` or `LoadBalancer`.\n\n## Why is this bad?\nA NodePort opens a port on every node of a shared cluster, outside the tenant's NetworkPolicies' reach from other networks; a LoadBalancer gives the tenant a public address and a cloud bill. Both bypass the platform's ingress (TLS, authentication, rate limits). Expose through the ingress or gateway; a platform that allows them for some teams says so with the ignore annotation or a waiver.\n\n## Example\n```yaml\nkind: Service\nspec:\n  type: NodePort\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.of_kind(&["Service"]) {
        let kind = d.value.pointer("/spec/type").and_then(Value::as_str);
        if let Some(t @ ("NodePort" | "LoadBalancer")) = kind {
            out.push(Hit::new(
                i,
                "/spec/type",
                format!("{} is a {t} Service: it opens the workload outside the cluster network, past the platform's ingress", d.display()),
            ));
        }
    }
}
