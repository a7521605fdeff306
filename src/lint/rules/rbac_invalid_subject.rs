//! Binding subjects are well formed.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "rbac-invalid-subject",
    family: Family::Rbac,
    severity: Severity::Error,
    summary: "A binding subject has an unknown kind, a User/Group without the RBAC apiGroup, or a ServiceAccount without namespace.",
    doc: "## What it does\nChecks each subject: kind is User, Group or ServiceAccount; User and Group have `apiGroup: rbac.authorization.k8s.io`; ServiceAccount has a `namespace` (on ClusterRoleBindings) and no apiGroup.\n\n## Why is this bad?\nA malformed subject binds nobody: the access you meant to grant silently does not exist.\n\n## Example\n```yaml\nsubjects:\n- {kind: Group, name: sre}   # apiGroup missing\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.of_kind(&["RoleBinding", "ClusterRoleBinding"]) {
        for (s, sub) in d.value["subjects"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let at = format!("/subjects/{s}");
            let kind = sub["kind"].as_str().unwrap_or_default();
            let name = sub["name"].as_str().unwrap_or_default();
            let problem = match kind {
                "User" | "Group" if sub["apiGroup"] != "rbac.authorization.k8s.io" => Some(
                    format!("{kind} `{name}` needs apiGroup rbac.authorization.k8s.io"),
                ),
                "ServiceAccount"
                    if sub
                        .get("apiGroup")
                        .and_then(Value::as_str)
                        .is_some_and(|g| !g.is_empty()) =>
                {
                    Some(format!("ServiceAccount `{name}` must not set an apiGroup"))
                }
                "ServiceAccount"
                    if d.kind() == "ClusterRoleBinding" && sub.get("namespace").is_none() =>
                {
                    Some(format!(
                        "ServiceAccount `{name}` needs a namespace in a ClusterRoleBinding"
                    ))
                }
                "User" | "Group" | "ServiceAccount" => None,
                other => Some(format!(
                    "subject kind `{other}` is not User, Group or ServiceAccount"
                )),
            };
            if let Some(msg) = problem {
                out.push(Hit::new(i, at, format!("{}: {msg}", d.display())));
            }
        }
    }
}
