//! CreateNamespace=true fights a Namespace the tree renders.

use super::appset_destination_not_tenant::appset_destinations;
use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "create-namespace-conflict",
    family: Family::Argo,
    severity: Severity::Error,
    summary: "An Application(Set) uses CreateNamespace=true for a namespace the tree also renders.",
    doc: "## What it does\nReports `syncOptions: [CreateNamespace=true]` when the destination namespace is a Namespace object in the tree.\n\n## Why is this bad?\nArgo CD creates a bare namespace (no labels, no Pod Security) before the rendered one syncs, and the two fight over ownership and labels.\n\n## Example\n```yaml\nsyncPolicy:\n  syncOptions: [CreateNamespace=true]\n```",
    scope: Scope::Corpus(&[
        ("ApplicationSet", "/spec"),
        ("Application", "/spec/destination"),
        ("Application", "/spec/syncPolicy"),
    ]),
    check,
};

fn creates(spec: &Value) -> bool {
    spec.pointer("/syncPolicy/syncOptions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|o| o == "CreateNamespace=true")
}

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    let namespaces = c.namespaces();
    for (i, d) in c.of_kind(&["ApplicationSet"]) {
        if creates(&d.value["spec"]["template"]["spec"]) {
            if let Some(ns) = appset_destinations(c, d)
                .into_iter()
                .find(|n| namespaces.contains_key(n.as_str()))
            {
                out.push(Hit::new(
                    i,
                    "/spec/template/spec/syncPolicy/syncOptions",
                    format!(
                        "{} creates namespace `{ns}`, which the tree renders",
                        d.display()
                    ),
                ));
            }
        }
    }
    for (i, d) in c.of_kind(&["Application"]) {
        let ns = d
            .value
            .pointer("/spec/destination/namespace")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if creates(&d.value["spec"]) && namespaces.contains_key(ns) {
            out.push(Hit::new(
                i,
                "/spec/syncPolicy/syncOptions",
                format!(
                    "{} creates namespace `{ns}`, which the tree renders",
                    d.display()
                ),
            ));
        }
    }
}
