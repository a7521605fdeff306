//! Kinds a repository refuses outright (`lint.rejectKinds`, `--reject-kind`).

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "kind-rejected",
    family: Family::Hygiene,
    severity: Severity::Error,
    summary: "An object of a kind the configuration refuses (`lint.rejectKinds`, `--reject-kind`).",
    doc: "## What it does\nReports every object whose kind is listed in `lint.rejectKinds` of `.gitops-render.yaml` or given with `--reject-kind`: `Kind` (any apiVersion) or `apiVersion/Kind`. Nothing is rejected unless configured, as kubeconform's `-reject`.\n\n## Why is this bad?\nSome kinds have no place in a repository: Secrets in plain text when the platform uses External Secrets, ClusterRoleBindings in a tenant's folder, `extensions/v1beta1` anything.\n\n## Example\n```yaml\n# .gitops-render.yaml\nlint:\n  rejectKinds: [Secret, rbac.authorization.k8s.io/v1/ClusterRoleBinding]\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, config: &LintConfig, out: &mut Vec<Hit>) {
    if config.reject_kinds.is_empty() {
        return;
    }
    for (i, d) in c.docs.iter().enumerate() {
        if d.kind().is_empty() {
            continue;
        }
        if let Some(entry) = config
            .reject_kinds
            .iter()
            .find(|e| crate::lint::names_kind(e, d.api_version(), d.kind()))
        {
            out.push(Hit::new(
                i,
                "/kind",
                format!(
                    "{} is of a kind this repository refuses (`{entry}` in rejectKinds)",
                    d.display()
                ),
            ));
        }
    }
}
