//! ApplicationSets deploy into namespaces the tree defines.

use super::appset_path_missing::{generator_paths, matches};
use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "appset-destination-not-tenant",
    family: Family::Argo,
    severity: Severity::Error,
    summary: "An Application(Set) destination namespace is not a Namespace defined in the tree.",
    doc: "## What it does\nResolves the destination namespace of Applications and ApplicationSet templates — literally, or `{{.path.basename}}` over the directories the git generators match — and reports namespaces that no Namespace object in the linted tree defines (when the tree defines any).\n\n## Why is this bad?\nThe Application syncs into a namespace nobody owns: no quota, no NetworkPolicy, no RBAC.\n\n## Example\n```yaml\ndestination: {server: https://kubernetes.default.svc, namespace: payments}\n```",
    scope: Scope::Corpus(&[
        ("ApplicationSet", "/spec"),
        ("Application", "/spec/destination"),
    ]),
    check,
};

/// The namespaces an ApplicationSet's template deploys to, when they can be known offline.
pub fn appset_destinations(c: &Corpus, d: &Document) -> Vec<String> {
    let dest = d
        .value
        .pointer("/spec/template/spec/destination/namespace")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if dest.contains("path.basename") {
        let mut paths = Vec::new();
        generator_paths(&d.value["spec"]["generators"], "", &mut paths);
        paths
            .iter()
            .filter(|p| !p.exclude && !p.files)
            .flat_map(|p| matches(c, &p.pattern, false))
            .filter_map(|dir| dir.rsplit('/').next().map(str::to_owned))
            .collect()
    } else if dest.contains("{{") || dest.is_empty() {
        Vec::new()
    } else {
        vec![dest.to_owned()]
    }
}

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    let namespaces = c.namespaces();
    if namespaces.is_empty() {
        return;
    }
    for (i, d) in c.of_kind(&["ApplicationSet"]) {
        for ns in appset_destinations(c, d) {
            if !namespaces.contains_key(ns.as_str()) {
                out.push(Hit::new(
                    i,
                    "/spec/template/spec/destination/namespace",
                    format!(
                        "{} deploys to namespace `{ns}`, which the tree does not define",
                        d.display()
                    ),
                ));
            }
        }
    }
    for (i, d) in c.of_kind(&["Application"]) {
        let Some(ns) = d
            .value
            .pointer("/spec/destination/namespace")
            .and_then(Value::as_str)
        else {
            continue;
        };
        let argocd_ns = d.namespace();
        if ns != argocd_ns && !ns.contains("{{") && !namespaces.contains_key(ns) {
            out.push(Hit::new(
                i,
                "/spec/destination/namespace",
                format!(
                    "{} deploys to namespace `{ns}`, which the tree does not define",
                    d.display()
                ),
            ));
        }
    }
}
