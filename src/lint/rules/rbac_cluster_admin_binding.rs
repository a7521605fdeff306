//! Nobody is bound to cluster-admin from Git.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "rbac-cluster-admin-binding",
    family: Family::Rbac,
    severity: Severity::Error,
    summary: "A RoleBinding or ClusterRoleBinding grants the cluster-admin ClusterRole.",
    doc: "## What it does\nReports bindings whose `roleRef` is the ClusterRole `cluster-admin` (or `admin` cluster-wide).\n\n## Why is this bad?\nTenant tooling never needs it; one leaked token then owns the cluster.\n\n## Example\n```yaml\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n```",
    scope: Scope::Object,
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.of_kind(&["RoleBinding", "ClusterRoleBinding"]) {
        let r = &d.value["roleRef"];
        let name = r["name"].as_str().unwrap_or_default();
        if r["kind"] == "ClusterRole"
            && (name == "cluster-admin" || (name == "admin" && d.kind() == "ClusterRoleBinding"))
        {
            out.push(Hit::new(
                i,
                "/roleRef/name",
                format!("{} binds the `{name}` ClusterRole", d.display()),
            ));
        }
    }
}
