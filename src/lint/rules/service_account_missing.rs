//! Pods run as ServiceAccounts that exist.

use std::collections::BTreeSet;

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "service-account-missing",
    family: Family::Workloads,
    severity: Severity::Error,
    summary: "A pod runs as a ServiceAccount that its namespace, defined in the linted set, does not have.",
    doc: "## What it does\nFor namespaces whose Namespace object is in the linted set (the tree defines them), checks that every `serviceAccountName` of pod specs, Argo workflow specs and templates, and Argo executors names a ServiceAccount of the linted set in that namespace (or `default`).\n\n## Why is this bad?\nThe API server refuses the pod (`serviceaccount \"deployer\" not found`): a Deployment has no replicas, a workflow step errors. Namespaces defined elsewhere are not judged: their ServiceAccounts may come from another repository.\n\n## Example\n```yaml\nspec:\n  serviceAccountName: argo-workflows   # the tenant's is argo-workflow\n```",
    scope: Scope::Corpus(&[
        ("*", "/spec/serviceAccountName"),
        ("*", "/spec/template/spec/serviceAccountName"),
        ("*", "/spec/jobTemplate/spec/template/spec/serviceAccountName"),
        ("*", "/spec/executor/serviceAccountName"),
        ("*", "/spec/templates/*/serviceAccountName"),
        ("*", "/spec/templates/*/executor/serviceAccountName"),
        ("*", "/spec/workflowSpec/serviceAccountName"),
        ("*", "/spec/workflowSpec/executor/serviceAccountName"),
        ("*", "/spec/workflowSpec/templates/*/serviceAccountName"),
    ]),
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    let defined: BTreeSet<&str> = c.of_kind(&["Namespace"]).map(|(_, d)| d.name()).collect();
    let accounts: BTreeSet<(&str, &str)> = c
        .of_kind(&["ServiceAccount"])
        .map(|(_, d)| (d.namespace(), d.name()))
        .collect();
    for (i, d) in c.docs.iter().enumerate() {
        let ns = d.namespace();
        if !defined.contains(ns) {
            continue;
        }
        let mut refs: Vec<(String, &Value)> = Vec::new();
        if let Some((ptr, spec)) = pod_spec(d) {
            refs.extend(
                spec.get("serviceAccountName")
                    .map(|v| (format!("{ptr}/serviceAccountName"), v)),
            );
        }
        if let Some((ptr, spec)) = workflow_spec(d) {
            refs.extend(
                spec.get("serviceAccountName")
                    .map(|v| (format!("{ptr}/serviceAccountName"), v)),
            );
            refs.extend(
                spec.pointer("/executor/serviceAccountName")
                    .map(|v| (format!("{ptr}/executor/serviceAccountName"), v)),
            );
            for (t, tmpl) in workflow_templates(spec) {
                refs.extend(
                    tmpl.get("serviceAccountName")
                        .map(|v| (format!("{ptr}/templates/{t}/serviceAccountName"), v)),
                );
                refs.extend(tmpl.pointer("/executor/serviceAccountName").map(|v| {
                    (
                        format!("{ptr}/templates/{t}/executor/serviceAccountName"),
                        v,
                    )
                }));
            }
        }
        for (at, v) in refs {
            let Some(sa) = v.as_str().filter(|s| !s.contains("{{")) else {
                continue;
            };
            if sa != "default" && !accounts.contains(&(ns, sa)) {
                out.push(Hit::new(
                    i,
                    at,
                    format!("{} runs as ServiceAccount `{sa}`, which namespace `{ns}` does not have: the API server refuses its pods", d.display()),
                ));
            }
        }
    }
}
