//! A tenant's namespace grants roles to its owners only.

use std::collections::{BTreeMap, BTreeSet};

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "rbac-binding-outside-owners",
    family: Family::Rbac,
    severity: Severity::Error,
    summary: "A RoleBinding in a tenant namespace grants a role to someone outside the tenant's owners.",
    doc: "## What it does\nIn each namespace where `gitops-render` rendered the RoleBindings (labelled `app.kubernetes.io/managed-by: gitops-render`), the tenant's owners are the subjects those bindings name, plus the namespace's own ServiceAccounts. Any other RoleBinding in the namespace that names someone else is reported; so is any binding anywhere to `system:authenticated`, `system:unauthenticated` or `system:anonymous`. Namespaces without rendered bindings are not judged for owners.\n\n## Why is this bad?\nOwnership is declared in the estate and reviewed there; a binding added next to the rendered ones (in a tenant's chart, a hand-written file) gives another team, another namespace's ServiceAccount or every authenticated user access that no review of the estate shows.\n\n## Example\n```yaml\nkind: RoleBinding\nmetadata: {name: contractors, namespace: shop-prod}\nsubjects:\n- {kind: Group, name: contractors, apiGroup: rbac.authorization.k8s.io}\n```",
    // The subjects are read as binding facts (`Document::binding`), kept for every binding.
    scope: Scope::Corpus(&[(
        "RoleBinding",
        "/metadata/labels/app.kubernetes.io~1managed-by",
    )]),
    check,
};

const EVERYONE: &[&str] = &[
    "system:authenticated",
    "system:unauthenticated",
    "system:anonymous",
];

/// `Kind name` (`ServiceAccount ns/name` for ServiceAccounts), as messages show it.
fn subject(s: &Subject, binding_ns: &str) -> String {
    let kind = s.kind.as_deref().unwrap_or("?");
    let name = s.name.as_deref().unwrap_or("?");
    if kind == "ServiceAccount" {
        let ns = s.namespace.as_deref().unwrap_or(binding_ns);
        format!("ServiceAccount {ns}/{name}")
    } else {
        format!("{kind} {name}")
    }
}

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    let rendered = |d: &Document| d.label("app.kubernetes.io/managed-by") == Some("gitops-render");
    // The owners of the namespaces that hold a binding written by hand, the only ones asked
    // for: a rendered tree has none, and spelling out the subjects of every rendered binding
    // (40,000 namespaces at N = 10,000 in four environments) was most of this rule.
    let kinds = c.kinds_index();
    let mut asked = vec![false; kinds.namespaces().len()];
    for (i, d) in c.of_kind(&["RoleBinding"]) {
        if !rendered(d) {
            asked[kinds.namespace_number(i)] = true;
        }
    }
    let mut owners: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (i, d) in c.of_kind(&["RoleBinding"]) {
        if asked[kinds.namespace_number(i)] && rendered(d) {
            let ns = d.namespace();
            let set = owners.entry(ns).or_default();
            set.extend(d.binding().subjects.iter().map(|s| subject(s, ns)));
        }
    }
    for (i, d) in c.of_kind(&["RoleBinding", "ClusterRoleBinding"]) {
        let ns = d.namespace();
        // Only a binding that is not rendered is held to the owners.
        let judged = d.kind() == "RoleBinding" && !rendered(d);
        for (k, s) in d.binding().subjects.iter().enumerate() {
            let name = s.name.as_deref().unwrap_or("");
            let why = if EVERYONE.contains(&name) {
                Some(format!(
                    "{} grants its role to {}: everyone who can reach the API server",
                    d.display(),
                    subject(s, ns)
                ))
            } else if judged {
                let who = subject(s, ns);
                owners.get(ns).and_then(|set| {
                    let own_sa = who.starts_with(&format!("ServiceAccount {ns}/"));
                    (!own_sa && !set.contains(&who)).then(|| {
                        format!(
                            "{} grants its role to {who}, who is not among the owners of `{ns}` ({})",
                            d.display(),
                            set.iter().cloned().collect::<Vec<_>>().join(", ")
                        )
                    })
                })
            } else {
                None
            };
            if let Some(why) = why {
                out.push(Hit::new(i, format!("/subjects/{k}"), why));
            }
        }
    }
}
