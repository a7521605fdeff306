//! PodDisruptionBudgets leave room to drain a node.

use crate::manifest::labels::{pod_labels, selects};

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "pdb-blocks-drain",
    family: Family::Workloads,
    severity: Severity::Warning,
    summary: "A PodDisruptionBudget allows no voluntary disruption.",
    doc: "## What it does\nReports PodDisruptionBudgets with `maxUnavailable: 0` (or `0%`), `minAvailable: 100%`, or an integer `minAvailable` at or above the `replicas` of a Deployment, StatefulSet or ReplicaSet it selects in the linted set (replicas default to 1).\n\n## Why is this bad?\nNo pod it covers may be evicted, so `kubectl drain` hangs and node upgrades, autoscaler scale-downs and spot replacements stall on that node until someone deletes the budget — on a shared cluster, for every tenant.\n\n## Example\n```yaml\nkind: PodDisruptionBudget\nspec:\n  minAvailable: 2   # the Deployment runs 2 replicas\n```",
    scope: Scope::Corpus(&[
        ("PodDisruptionBudget", "/spec"),
        ("Deployment", "/spec/template/metadata/labels"),
        ("Deployment", "/spec/replicas"),
        ("StatefulSet", "/spec/template/metadata/labels"),
        ("StatefulSet", "/spec/replicas"),
        ("ReplicaSet", "/spec/template/metadata/labels"),
        ("ReplicaSet", "/spec/replicas"),
    ]),
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    for (i, d) in c.of_kind(&["PodDisruptionBudget"]) {
        let spec = d.value.get("spec").unwrap_or(&Value::Null);
        let zero = |v: &Value| v.as_i64() == Some(0) || v.as_str() == Some("0%");
        if let Some(v) = spec.get("maxUnavailable").filter(|v| zero(v)) {
            out.push(Hit::new(
                i,
                "/spec/maxUnavailable",
                format!("{} sets maxUnavailable {v}: no pod it covers may be evicted, so draining their nodes blocks", d.display()),
            ));
            continue;
        }
        let Some(min) = spec.get("minAvailable") else {
            continue;
        };
        if min.as_str() == Some("100%") {
            out.push(Hit::new(
                i,
                "/spec/minAvailable",
                format!("{} sets minAvailable 100%: no pod it covers may be evicted, so draining their nodes blocks", d.display()),
            ));
            continue;
        }
        let (Some(min), Some(selector)) = (min.as_i64(), spec.get("selector")) else {
            continue;
        };
        for (_, w) in c.of_kind(&["Deployment", "StatefulSet", "ReplicaSet"]) {
            if w.namespace() != d.namespace() {
                continue;
            }
            let replicas = w
                .value
                .pointer("/spec/replicas")
                .map_or(Some(1), Value::as_i64);
            let Some(replicas) = replicas else { continue };
            let selected = pod_labels(w.kind(), &w.value)
                .iter()
                .any(|l| selects(selector, l) == Some(true));
            if selected && min >= replicas {
                out.push(Hit::new(
                    i,
                    "/spec/minAvailable",
                    format!("{} keeps {min} available of {} with {replicas} replica(s): none may be evicted, so draining their nodes blocks", d.display(), w.display()),
                ));
                break;
            }
        }
    }
}
