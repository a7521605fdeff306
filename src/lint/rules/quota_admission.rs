//! ResourceQuota and LimitRange admission, offline: every pod checked against the quota and
//! LimitRange of its namespace in the tree, as the API server would on creation.

use std::collections::BTreeMap;

use crate::manifest::pod_security::pods_of;
use crate::manifest::resources::{refusal, Limits, Quota};

use super::pod_security_enforce::POD_FIELDS;
use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "quota-admission",
    family: Family::Admission,
    severity: Severity::Error,
    summary: "A pod would be refused by ResourceQuota or LimitRange admission in its namespace.",
    doc: "## What it does\nFor every pod an object creates (see `pod-security-enforce`), applies its namespace's LimitRange as admission does (a limit without a request requests the limit, `defaultRequest`/`default` fill the rest), refuses a container over the LimitRange `max`, and checks that the pod alone fits each ResourceQuota of the namespace (regular containers summed, init containers at their largest), and that a quota on a resource finds a value for it in every container. Argo workflow pods get the `wait` sidecar Argo adds, at the LimitRange defaults (the controller's executor resources are not in the tree). The namespace's quota and LimitRange must be in the linted tree.\n\n## Why is this bad?\nThe API server refuses the pod: a Deployment has no replicas, a workflow step stays Pending until its deadline. A pod that does not fit an empty namespace never will.\n\n## Example\n```yaml\n# tenant-quota: limits.memory 2Gi\nresources:\n  limits: {memory: 1536Mi}   # plus Argo's wait sidecar at 512Mi: exactly 2Gi\n```",
    scope: Scope::Corpus(POD_FIELDS),
    check,
};

fn check(c: &Corpus, _: &LintConfig, out: &mut Vec<Hit>) {
    let mut quotas: BTreeMap<&str, Vec<(&str, Quota)>> = BTreeMap::new();
    let mut limits: BTreeMap<&str, Limits> = BTreeMap::new();
    for (_, d) in c.of_kind(&["ResourceQuota"]) {
        if let Some(hard) = d.value.pointer("/spec/hard") {
            quotas
                .entry(d.namespace())
                .or_default()
                .push((d.name(), Quota::of_hard(hard)));
        }
    }
    for (_, d) in c.of_kind(&["LimitRange"]) {
        if let Some(l) = d.value.pointer("/spec/limits") {
            limits
                .entry(d.namespace())
                .or_insert_with(|| Limits::of_limit_range(l));
        }
    }
    let none = Limits::default();
    let wait = serde_json::json!({});
    // The copies of an object in tenants of one tier share one pruned value and the same
    // quota and LimitRange: each combination is judged once.
    type Key = (*const Value, Limits, Vec<(String, Quota)>);
    let mut seen: std::collections::HashMap<Key, Vec<(String, String)>> = Default::default();
    for (i, d) in c.docs.iter().enumerate() {
        if !crate::manifest::pod_security::bears_pods(d.kind()) {
            continue;
        }
        let ns = d.namespace();
        let lr = limits.get(ns);
        let qs = quotas.get(ns);
        if lr.is_none() && qs.is_none() {
            continue;
        }
        let key = (
            std::sync::Arc::as_ptr(&d.value),
            lr.cloned().unwrap_or_default(),
            qs.map(|q| {
                q.iter()
                    .map(|(name, q)| ((*name).to_owned(), q.clone()))
                    .collect()
            })
            .unwrap_or_default(),
        );
        let found = seen
            .entry(key)
            .or_insert_with(|| refusals(d, lr.unwrap_or(&none), qs, &wait));
        for (pointer, why) in found.iter() {
            out.push(Hit::new(
                i,
                pointer.as_str(),
                format!("refused by quota admission in namespace `{ns}`: {why}"),
            ));
        }
    }
}

/// `(pointer, message)` for each pod of `d` its namespace's admission would refuse.
fn refusals(
    d: &Document,
    lr: &Limits,
    qs: Option<&Vec<(&str, Quota)>>,
    wait: &Value,
) -> Vec<(String, String)> {
    let argo = crate::manifest::pod_security::argo_pods(d.kind());
    let mut out = Vec::new();
    for (pointer, pod) in pods_of(d.kind(), &d.value) {
        let (inits, mut running): (Vec<_>, Vec<_>) = pod
            .containers
            .into_iter()
            .partition(|(name, _)| name.contains("initContainers["));
        if argo {
            running.push(("Argo's wait sidecar".to_owned(), wait));
        }
        let checks: Vec<(String, Quota)> = match qs {
            Some(qs) => qs
                .iter()
                .map(|(name, q)| (format!("ResourceQuota `{name}`"), q.clone()))
                .collect(),
            None => vec![("its quota".to_owned(), Quota::default())],
        };
        let label = if argo {
            "the pod (with Argo's wait sidecar at the LimitRange default)"
        } else {
            "the pod"
        };
        if let Some(why) = checks
            .iter()
            .find_map(|(name, quota)| refusal(label, &running, &inits, lr, quota, name))
        {
            out.push((pointer, why));
        }
    }
    out
}
