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

/// A document and its wave.
type Waved = (usize, i64);

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    let namespaces = c.namespaces();
    let kinds = c.kinds_index();
    // Per namespace (by number), the foundation object that syncs last.
    let mut last_foundation: Vec<Option<usize>> = vec![None; kinds.namespaces().len()];
    for (i, f) in c.of_kind(FOUNDATION) {
        let slot = &mut last_foundation[kinds.namespace_number(i)];
        if slot.is_none_or(|s| wave(f) > wave(&c.docs[s])) {
            *slot = Some(i);
        }
    }
    let workload: Vec<bool> = kinds
        .present()
        .map(|(_, kind)| WORKLOADS.contains(&kind))
        .collect();
    // Per namespace (by number): its Namespace and last foundation object, with their waves.
    let of = |doc: Option<usize>| doc.map(|n| (n, wave(&c.docs[n])));
    let waves: Vec<(Option<Waved>, Option<Waved>)> = kinds
        .namespaces()
        .zip(&last_foundation)
        .map(|(ns, &foundation)| (of(namespaces.get(ns).copied()), of(foundation)))
        .collect();
    for (i, d) in c.docs.iter().enumerate() {
        let (namespace, foundation) = waves[kinds.namespace_number(i)];
        let is_workload = workload[kinds.number(i)];
        if namespace.is_none() && !(is_workload && foundation.is_some()) {
            continue;
        }
        let own = wave(d);
        // Inside one wave Argo CD applies Namespaces first (then quotas, limits,
        // ServiceAccounts and RBAC, then workloads): only an earlier wave is a problem.
        if let Some((_, n_wave)) = namespace.filter(|&(n, w)| n != i && w > own) {
            out.push(Hit::new(
                i,
                "/metadata",
                format!(
                    "{} syncs in wave {own}, before its Namespace (wave {n_wave})",
                    d.display(),
                ),
            ));
        }
        if let Some((f, f_wave)) = foundation.filter(|&(_, w)| is_workload && w > own) {
            out.push(Hit::new(
                i,
                "/metadata",
                format!(
                    "{} syncs in wave {own}, before {} (wave {f_wave})",
                    d.display(),
                    c.docs[f].display(),
                ),
            ));
        }
    }
}
