//! Sync waves create things before what depends on them.

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "sync-wave-order",
    family: Family::Argo,
    severity: Severity::Warning,
    summary: "Sync waves would create an object before its Namespace, or a workload before its quota and RBAC.",
    doc: "## What it does\nCompares `argocd.argoproj.io/sync-wave` (default 0) within each namespace: the Namespace must come before everything in it, and ResourceQuota, LimitRange, ServiceAccount, Role and RoleBinding before workloads and WorkflowTemplates. Only an *earlier* wave is reported: inside one wave Argo CD applies Namespaces first, then quotas, LimitRanges, ServiceAccounts and RBAC, then workloads.\n\n## Why is this bad?\nOut of order, the first sync fails (no namespace yet) or a pod starts before its quota and RBAC exist.\n\n## Example\n```yaml\nmetadata:\n  annotations: {argocd.argoproj.io/sync-wave: \"-10\"}   # the Namespace\n```",
    scope: Scope::Corpus(&[("*", "/metadata/annotations/argocd.argoproj.io~1sync-wave")]),
    check,
};

fn wave(d: &Document) -> i64 {
    d.annotation("argocd.argoproj.io/sync-wave")
        .and_then(|w| w.trim().parse().ok())
        .unwrap_or(0)
}

const FOUNDATION: &[&str] = &[
    "ResourceQuota",
    "LimitRange",
    "ServiceAccount",
    "Role",
    "RoleBinding",
];
const WORKLOADS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "Pod",
    "WorkflowTemplate",
    "CronWorkflow",
    "Workflow",
];

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    let namespaces = c.namespaces();
    // Per namespace, the foundation object that syncs last.
    let mut last_foundation: std::collections::HashMap<&str, usize> =
        std::collections::HashMap::new();
    for (i, f) in c.of_kind(FOUNDATION) {
        let slot = last_foundation.entry(f.namespace()).or_insert(i);
        if wave(f) > wave(&c.docs[*slot]) {
            *slot = i;
        }
    }
    for (i, d) in c.docs.iter().enumerate() {
        let ns = d.namespace();
        if let Some(&n) = namespaces.get(ns) {
            // Inside one wave Argo CD applies Namespaces first (then quotas, limits,
            // ServiceAccounts and RBAC, then workloads): only an earlier wave is a problem.
            if n != i && wave(&c.docs[n]) > wave(d) {
                out.push(Hit::new(
                    i,
                    "/metadata",
                    format!(
                        "{} syncs in wave {}, before its Namespace (wave {})",
                        d.display(),
                        wave(d),
                        wave(&c.docs[n])
                    ),
                ));
            }
        }
        if WORKLOADS.contains(&d.kind()) {
            if let Some(f) = last_foundation
                .get(ns)
                .map(|&f| &c.docs[f])
                .filter(|f| wave(f) > wave(d))
            {
                out.push(Hit::new(
                    i,
                    "/metadata",
                    format!(
                        "{} syncs in wave {}, before {} (wave {})",
                        d.display(),
                        wave(d),
                        f.display(),
                        wave(f)
                    ),
                ));
            }
        }
    }
}
