//! Roles do not hand out the permissions that lead to others.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "rbac-escalation",
    family: Family::Rbac,
    severity: Severity::Warning,
    summary: "A Role or ClusterRole grants a permission that leads to more permissions.",
    doc: "## What it does\nReports RBAC rules that grant an escalation path, each named with what it leads to:\n- `bind`, `escalate` or `impersonate` on anything: grant yourself any role, or act as anyone;\n- `create` on `pods` or on the controllers that create them (Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs, CronJobs, ReplicationControllers): run a pod as any ServiceAccount of the namespace, and so hold its token and its cloud identity;\n- `create` or `get` on `pods/exec`, `pods/attach`, or `create` on `pods/portforward`: run commands in, or reach, any pod, with its ServiceAccount token;\n- `get`, `list` or `watch` on `secrets`: read every credential of the namespace, ServiceAccount tokens included;\n- `create` on `serviceaccounts/token`: mint tokens for any ServiceAccount.\n\nRules with `*` verbs or resources are `rbac-wildcard`'s. The default severity is warning: a platform decides what its tenants may do, and says so in its pack (`lint.rules: {rbac-escalation: error}`). Not covered: submitting an Argo Workflow runs pods as any ServiceAccount the Workflow names unless the controller restricts it (`workflowRestrictions.templateReferencing: Strict`).\n\n## Why is this bad?\nEvery namespace has a ServiceAccount with more rights than its developers (the workflow identity that deploys, the one with the cloud role). Whoever can start a pod with it, exec into its pods or read its token holds those rights.\n\n## Example\n```yaml\nrules:\n- apiGroups: [\"\"]\n  resources: [pods]\n  verbs: [get, list, create]\n```",
    scope: Scope::Object,
    check,
};

/// Controllers whose pod template names its ServiceAccount.
const POD_CREATORS: &[(&str, &str)] = &[
    ("", "pods"),
    ("", "replicationcontrollers"),
    ("apps", "deployments"),
    ("apps", "replicasets"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
];

/// What one RBAC rule's grants lead to, one sentence each.
pub fn escalations(rule: &Value) -> Vec<String> {
    let list = |key: &str| -> Vec<&str> {
        rule[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect()
    };
    let (groups, resources, verbs) = (list("apiGroups"), list("resources"), list("verbs"));
    if resources.contains(&"*") || verbs.contains(&"*") {
        return Vec::new();
    }
    let verb = |v: &str| verbs.contains(&v);
    let core = groups.contains(&"") || groups.contains(&"*");
    let mut out = Vec::new();
    for (v, leads) in [
        (
            "bind",
            "bind any role it can name to anyone, itself included",
        ),
        ("escalate", "write roles with permissions it does not hold"),
        (
            "impersonate",
            "act as the users, groups or ServiceAccounts it names",
        ),
    ] {
        if verb(v) {
            out.push(format!("`{v}` on {}: {leads}", resources.join(", ")));
        }
    }
    if verb("create") {
        let creators: Vec<&str> = POD_CREATORS
            .iter()
            .filter(|(g, r)| (groups.contains(g) || groups.contains(&"*")) && resources.contains(r))
            .map(|(_, r)| *r)
            .collect();
        if !creators.is_empty() {
            out.push(format!(
                "`create` on {}: run a pod as any ServiceAccount of the namespace, with its token and cloud identity",
                creators.join(", ")
            ));
        }
    }
    if core {
        for sub in ["pods/exec", "pods/attach"] {
            if resources.contains(&sub) && (verb("create") || verb("get")) {
                out.push(format!(
                    "`{sub}`: run commands in any pod of the namespace, with its ServiceAccount token"
                ));
            }
        }
        if resources.contains(&"pods/portforward") && verb("create") {
            out.push(
                "`pods/portforward`: reach any pod's ports past its NetworkPolicies".to_owned(),
            );
        }
        if resources.contains(&"secrets") && (verb("get") || verb("list") || verb("watch")) {
            out.push(
                "reads `secrets`: every credential of the namespace, ServiceAccount tokens included"
                    .to_owned(),
            );
        }
        if resources.contains(&"serviceaccounts/token") && verb("create") {
            out.push(
                "`create` on `serviceaccounts/token`: mint a token for any ServiceAccount"
                    .to_owned(),
            );
        }
    }
    out
}

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d, r, rule) in rbac_rules(c) {
        for why in escalations(rule) {
            out.push(Hit::new(
                i,
                format!("/rules/{r}"),
                format!("{} grants an escalation path: {why}", d.display()),
            ));
        }
    }
}
