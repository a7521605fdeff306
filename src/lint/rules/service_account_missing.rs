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
    let kinds = c.kinds_index();
    let is_defined: Vec<bool> = kinds.namespaces().map(|ns| defined.contains(ns)).collect();
    for (i, d) in c.of_kind(POD_AND_WORKFLOW_KINDS) {
        if !is_defined[kinds.namespace_number(i)] {
            continue;
        }
        let (pod, workflow) = (pod_spec(d), workflow_spec(d));
        let ns = d.namespace();
        // Where each name is, as (spec pointer, template, below the executor): the pointer
        // is written only for a name that is reported.
        let mut refs: Vec<(&str, Option<usize>, bool, &Value)> = Vec::new();
        if let Some((ptr, spec)) = pod {
            refs.extend(
                spec.get("serviceAccountName")
                    .map(|v| (ptr, None, false, v)),
            );
        }
        if let Some((ptr, spec)) = workflow {
            refs.extend(
                spec.get("serviceAccountName")
                    .map(|v| (ptr, None, false, v)),
            );
            refs.extend(
                spec.pointer("/executor/serviceAccountName")
                    .map(|v| (ptr, None, true, v)),
            );
            for (t, tmpl) in workflow_templates(spec) {
                refs.extend(
                    tmpl.get("serviceAccountName")
                        .map(|v| (ptr, Some(t), false, v)),
                );
                refs.extend(
                    tmpl.pointer("/executor/serviceAccountName")
                        .map(|v| (ptr, Some(t), true, v)),
                );
            }
        }
        for (ptr, template, executor, v) in refs {
            let Some(sa) = v.as_str().filter(|s| !s.contains("{{")) else {
                continue;
            };
            if sa != "default" && !accounts.contains(&(ns, sa)) {
                let template = template
                    .map(|t| format!("/templates/{t}"))
                    .unwrap_or_default();
                let executor = if executor { "/executor" } else { "" };
                out.push(Hit::new(
                    i,
                    format!("{ptr}{template}{executor}/serviceAccountName"),
                    format!("{} runs as ServiceAccount `{sa}`, which namespace `{ns}` does not have: the API server refuses its pods", d.display()),
                ));
            }
        }
    }
}
