//! Workflow identities do not read Secrets.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "rbac-workflow-reads-secrets",
    family: Family::Rbac,
    severity: Severity::Error,
    summary: "A Role bound to a ServiceAccount (a workflow or workload identity) can read Secrets.",
    doc: "## What it does\nReports Roles that grant get, list or watch on `secrets` and are bound, in the linted set, to a ServiceAccount.\n\n## Why is this bad?\nWorkflows run code from pull requests; a workflow that can list Secrets can exfiltrate every credential of the namespace. Mount the one Secret a step needs instead.\n\n## Example\n```yaml\nrules:\n- apiGroups: [\"\"]\n  resources: [secrets]\n  verbs: [get, list]\n```",
    // A RoleBinding's role and subjects are read as binding facts (`Document::binding`).
    scope: Scope::Corpus(&[("Role", "/rules")]),
    check,
};

fn reads_secrets(rule: &Value) -> bool {
    let has = |key: &str, any: &[&str]| {
        rule[key]
            .as_array()
            .into_iter()
            .flatten()
            .any(|v| v.as_str().is_some_and(|s| any.contains(&s)))
    };
    has("resources", &["secrets", "*"])
        && has("verbs", &["get", "list", "watch", "*"])
        && has("apiGroups", &["", "*"])
}

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    // (namespace, Role name) of every Role bound to a ServiceAccount.
    let bound: std::collections::HashSet<(&str, Box<str>)> = c
        .of_kind(&["RoleBinding"])
        .filter_map(|(_, b)| {
            let facts = b.binding();
            let to_account = facts
                .subjects
                .iter()
                .any(|s| s.kind.as_deref() == Some("ServiceAccount"));
            let role = facts.role_name.as_ref().filter(|_| to_account)?;
            (facts.role_kind.as_deref() == Some("Role")).then(|| (b.namespace(), role.clone()))
        })
        .collect();
    for (i, d) in c.of_kind(&["Role"]) {
        if !bound.contains(&(d.namespace(), d.name().into())) {
            continue;
        }
        for (r, rule) in d.value["rules"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            if reads_secrets(rule) {
                out.push(Hit::new(
                    i,
                    format!("/rules/{r}"),
                    format!("{} lets a ServiceAccount read Secrets", d.display()),
                ));
            }
        }
    }
}
