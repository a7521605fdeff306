//! ResourceQuota and LimitRange admission, offline: every pod checked against the quota and
//! LimitRange of its namespace in the tree, as the API server would on creation.

use std::collections::{BTreeMap, HashMap};

use crate::manifest::pod_security::{argo_pods, bears_pods, pods_of};
use crate::manifest::resources::{admitted, Limits, Quota, Sized};

use super::pod_security_enforce::POD_FIELDS;
use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "quota-admission",
    family: Family::Admission,
    severity: Severity::Error,
    summary: "A pod would be refused by ResourceQuota or LimitRange admission in its namespace.",
    doc: "## What it does\nFor every pod an object creates (see `pod-security-enforce`), applies its namespace's LimitRange as admission does (a limit without a request requests the limit, `defaultRequest`/`default` fill the rest), refuses a container over the LimitRange `max`, under its `min` or over its `maxLimitRequestRatio`, and checks that the pod alone fits each ResourceQuota of the namespace (regular containers summed, init containers at their largest), and that a quota on a resource finds a value for it in every container. Argo workflow pods get the containers the controller adds: `wait` always, `init` when the template has input artifacts, with the executor resources the estate's pack declares (`workflows.executor`), else at the LimitRange defaults. The namespace's quota and LimitRange must be in the linted tree.\n\n## Why is this bad?\nThe API server refuses the pod: a Deployment has no replicas, a workflow step stays Pending until its deadline. A pod that does not fit an empty namespace never will.\n\n## Example\n```yaml\n# tenant-quota: limits.memory 2Gi\nresources:\n  limits: {memory: 1536Mi}   # plus Argo's wait container at 512Mi: exactly 2Gi\n```",
    scope: Scope::Corpus(POD_FIELDS),
    check,
};

/// What decides admission in each namespace of the corpus: its quotas (by name) and its
/// LimitRange.
pub struct Namespaces<'c> {
    quotas: BTreeMap<&'c str, Vec<(&'c str, Quota)>>,
    limits: BTreeMap<&'c str, Limits>,
    executor: Value,
    /// Does the estate declare the executor's resources?
    declared: bool,
}

/// One pod of a document as admission sees it.
pub struct AdmittedPod {
    pub pointer: String,
    /// Why it is refused, if it is.
    pub refusal: Option<String>,
    /// Per quota of the namespace: how many such pods it holds at once, and why.
    pub holds: Vec<(String, i128, String)>,
}

impl<'c> Namespaces<'c> {
    pub fn of(c: &'c Corpus, config: &LintConfig) -> Namespaces<'c> {
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
        Namespaces {
            quotas,
            limits,
            executor: config
                .executor
                .clone()
                .unwrap_or_else(|| serde_json::json!({})),
            declared: config
                .executor
                .as_ref()
                .is_some_and(|e| e.get("resources").is_some()),
        }
    }

    /// The pods of every pod-bearing document in a namespace with a quota or LimitRange,
    /// judged once per distinct (pruned value, quota, LimitRange): the copies of an object
    /// in the tenants of one tier share all three.
    pub fn judge(&self, c: &Corpus, mut each: impl FnMut(usize, &Document, &[AdmittedPod])) {
        let none = Limits::default();
        type Key = (*const Value, Limits, Vec<(String, Quota)>);
        let mut seen: HashMap<Key, Vec<AdmittedPod>> = HashMap::new();
        for (i, d) in c.docs.iter().enumerate() {
            if !bears_pods(d.kind()) {
                continue;
            }
            let ns = d.namespace();
            let lr = self.limits.get(ns);
            let qs = self.quotas.get(ns);
            if lr.is_none() && qs.is_none() {
                continue;
            }
            let key = (
                std::sync::Arc::as_ptr(&d.value),
                lr.cloned().unwrap_or_default(),
                qs.map(|q| {
                    q.iter()
                        .map(|(n, q)| ((*n).to_owned(), q.clone()))
                        .collect()
                })
                .unwrap_or_default(),
            );
            let pods = seen
                .entry(key)
                .or_insert_with(|| self.pods(d, lr.unwrap_or(&none), qs));
            each(i, d, pods);
        }
    }

    fn pods(&self, d: &Document, lr: &Limits, qs: Option<&Vec<(&str, Quota)>>) -> Vec<AdmittedPod> {
        let argo = argo_pods(d.kind());
        let checks: Vec<(String, Quota)> = match qs {
            Some(qs) => qs
                .iter()
                .map(|(name, q)| (format!("ResourceQuota `{name}`"), q.clone()))
                .collect(),
            None => vec![("its quota".to_owned(), Quota::default())],
        };
        let label = match (argo, self.declared) {
            (false, _) => "the pod",
            (true, true) => {
                "the pod (with Argo's executor containers at the pack's executor resources)"
            }
            (true, false) => "the pod (with Argo's executor containers at the LimitRange defaults)",
        };
        pods_of(d.kind(), &d.value)
            .into_iter()
            .map(|(pointer, pod)| {
                let template = d.value.pointer(&pointer).unwrap_or(&Value::Null);
                let (running, inits) =
                    admitted(pod.containers, argo.then_some((template, &self.executor)));
                let sized = Sized::new(&running, &inits, lr);
                let refusal = sized.limit_range_refusal().or_else(|| {
                    checks
                        .iter()
                        .find_map(|(name, q)| sized.quota_refusal(label, q, name))
                });
                let holds = checks
                    .iter()
                    .filter_map(|(name, q)| {
                        sized
                            .footprint
                            .pods_in(q)
                            .map(|(n, why)| (name.clone(), n, why))
                    })
                    .collect();
                AdmittedPod {
                    pointer,
                    refusal,
                    holds,
                }
            })
            .collect()
    }
}

fn check(c: &Corpus, config: &LintConfig, out: &mut Vec<Hit>) {
    Namespaces::of(c, config).judge(c, |i, d, pods| {
        for pod in pods {
            if let Some(why) = &pod.refusal {
                out.push(Hit::new(
                    i,
                    pod.pointer.as_str(),
                    format!(
                        "refused by quota admission in namespace `{}`: {why}",
                        d.namespace()
                    ),
                ));
            }
        }
    });
}
