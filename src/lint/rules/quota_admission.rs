//! ResourceQuota and LimitRange admission, offline: every pod checked against the quota and
//! LimitRange of its namespace in the tree, as the API server would on creation.

use std::collections::HashMap;

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
/// LimitRange, each distinct pair once. The tenants of a tier share theirs, and a document
/// is judged once per pair: keyed by the pair itself, every pod-bearing document (90,000 in
/// one environment at N = 10,000) cloned and hashed its namespace's quotas and limits.
pub struct Namespaces<'c> {
    /// Each distinct (LimitRange, quotas) of the corpus, by number.
    policies: Vec<Policy<'c>>,
    /// The number of each namespace's policy, by the namespace's number in `kinds`
    /// (`None`: no quota or LimitRange).
    of_namespace: Vec<Option<usize>>,
    /// The corpus's kind index, which numbers the namespaces.
    kinds: std::borrow::Cow<'c, crate::lint::kinds::Kinds>,
    executor: Value,
    /// Does the estate declare the executor's resources?
    declared: bool,
}

/// A namespace's LimitRange (the first) and its quotas.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Policy<'c> {
    limits: Option<Limits>,
    quotas: Option<Vec<(&'c str, Quota)>>,
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
        // By namespace number: at N = 10,000 in four environments there are 40,000
        // namespaces, and keying their quotas and limits by name took most of this rule.
        let kinds = c.kinds_index();
        let mut quotas: Vec<Vec<(&str, Quota)>> = vec![Vec::new(); kinds.namespaces().len()];
        let mut limits: Vec<Option<Limits>> = vec![None; kinds.namespaces().len()];
        for (i, d) in c.of_kind(&["ResourceQuota"]) {
            if let Some(hard) = d.value.pointer("/spec/hard") {
                quotas[kinds.namespace_number(i)].push((d.name(), Quota::of_hard(hard)));
            }
        }
        for (i, d) in c.of_kind(&["LimitRange"]) {
            if let Some(l) = d.value.pointer("/spec/limits") {
                limits[kinds.namespace_number(i)].get_or_insert_with(|| Limits::of_limit_range(l));
            }
        }
        let mut policies: Vec<Policy<'c>> = Vec::new();
        let mut numbers: hashbrown::HashMap<Policy<'c>, usize> = Default::default();
        let of_namespace = quotas
            .into_iter()
            .zip(limits)
            .map(|(quotas, limits)| {
                if quotas.is_empty() && limits.is_none() {
                    return None;
                }
                let policy = Policy {
                    limits,
                    quotas: (!quotas.is_empty()).then_some(quotas),
                };
                let next = numbers.len();
                Some(*numbers.entry(policy).or_insert_with_key(|policy| {
                    policies.push(policy.clone());
                    next
                }))
            })
            .collect();
        Namespaces {
            policies,
            of_namespace,
            kinds,
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
    /// judged once per distinct (pruned value, quotas and LimitRange): the copies of an
    /// object in the tenants of one tier share both.
    pub fn judge(&self, c: &Corpus, mut each: impl FnMut(usize, &Document, &[AdmittedPod])) {
        let none = Limits::default();
        let mut seen: HashMap<(*const Value, usize), Vec<AdmittedPod>> = HashMap::new();
        let kinds = &self.kinds;
        for &i in kinds.documents_where(|_, kind| bears_pods(kind)).iter() {
            let (i, d) = (i as usize, &c.docs[i as usize]);
            let Some(policy) = self.of_namespace[kinds.namespace_number(i)] else {
                continue;
            };
            let pods = seen
                .entry((std::sync::Arc::as_ptr(&d.value), policy))
                .or_insert_with(|| {
                    let p = &self.policies[policy];
                    self.pods(d, p.limits.as_ref().unwrap_or(&none), p.quotas.as_ref())
                });
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
