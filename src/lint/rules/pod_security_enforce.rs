//! Pod Security admission, offline: every pod-bearing object checked against the level its
//! Namespace enforces. A violation is what the API server would refuse.

use std::collections::BTreeMap;

use crate::manifest::pod_security::{argo_pods, evaluate, pods_of, Level, Violation};
use crate::manifest::resources::executor_containers;

use super::prelude::*;

pub static RULE: Rule = Rule {
    id: "pod-security-enforce",
    family: Family::Admission,
    severity: Severity::Error,
    summary: "A pod would be refused by Pod Security admission: it breaks the standard its Namespace enforces.",
    doc: "## What it does\nFinds every pod an object would create — Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, ReplicationControllers, Jobs, CronJobs, PodTemplates, and each container template of Argo Workflows, WorkflowTemplates, ClusterWorkflowTemplates (where a Workflow runs them) and CronWorkflows — and checks it against every control of the Pod Security Standard its Namespace enforces (`pod-security.kubernetes.io/enforce`, `latest`): host namespaces, privileged, capabilities, hostPath, host ports, AppArmor, SELinux, /proc mount, seccomp, sysctls, HostProcess; at `restricted` also volume types, privilege escalation, running as non-root (user), seccomp required and capabilities dropped. The Namespace must be in the linted tree. Argo's own `wait` (and, with input artifacts, `init`) containers are configured in the workflow controller, not in the tree: they are judged with the `securityContext` the estate's pack declares for them (`workflows.executor.securityContext`), and not judged when it declares none.\n\n## Why is this bad?\nThe API server refuses the pod: a Deployment never gets replicas, a workflow step stays Pending until its deadline. Nothing at merge time says so.\n\n## Example\n```yaml\n# namespace shop-prod enforces restricted\nspec:\n  containers:\n  - name: app\n    securityContext:\n      allowPrivilegeEscalation: false\n      capabilities: {drop: [ALL]}\n```",
    scope: Scope::Corpus(POD_FIELDS),
    check,
};

macro_rules! pod_fields {
    ($kind:literal, $spec:literal, $meta:literal) => {
        [
            ($kind, concat!($spec, "/hostNetwork")),
            ($kind, concat!($spec, "/hostPID")),
            ($kind, concat!($spec, "/hostIPC")),
            ($kind, concat!($spec, "/securityContext")),
            ($kind, concat!($spec, "/volumes")),
            ($kind, concat!($spec, "/containers/*/name")),
            ($kind, concat!($spec, "/containers/*/securityContext")),
            ($kind, concat!($spec, "/containers/*/ports")),
            ($kind, concat!($spec, "/initContainers/*/name")),
            ($kind, concat!($spec, "/initContainers/*/securityContext")),
            ($kind, concat!($spec, "/initContainers/*/ports")),
            ($kind, concat!($spec, "/ephemeralContainers/*/name")),
            (
                $kind,
                concat!($spec, "/ephemeralContainers/*/securityContext"),
            ),
            ($kind, concat!($spec, "/containers/*/resources")),
            ($kind, concat!($spec, "/initContainers/*/resources")),
            ($kind, $meta),
        ]
    };
}

macro_rules! argo_fields {
    ($kind:literal, $spec:literal) => {
        [
            ($kind, concat!($spec, "/hostNetwork")),
            ($kind, concat!($spec, "/hostPID")),
            ($kind, concat!($spec, "/hostIPC")),
            ($kind, concat!($spec, "/securityContext")),
            ($kind, concat!($spec, "/volumes")),
            ($kind, concat!($spec, "/templates/*/name")),
            ($kind, concat!($spec, "/templates/*/securityContext")),
            ($kind, concat!($spec, "/templates/*/volumes")),
            ($kind, concat!($spec, "/templates/*/metadata/annotations")),
            ($kind, concat!($spec, "/templates/*/container/image")),
            (
                $kind,
                concat!($spec, "/templates/*/container/securityContext"),
            ),
            ($kind, concat!($spec, "/templates/*/container/ports")),
            ($kind, concat!($spec, "/templates/*/script/image")),
            ($kind, concat!($spec, "/templates/*/script/securityContext")),
            ($kind, concat!($spec, "/templates/*/script/ports")),
            ($kind, concat!($spec, "/templates/*/sidecars/*/name")),
            (
                $kind,
                concat!($spec, "/templates/*/sidecars/*/securityContext"),
            ),
            ($kind, concat!($spec, "/templates/*/sidecars/*/ports")),
            ($kind, concat!($spec, "/templates/*/initContainers/*/name")),
            (
                $kind,
                concat!($spec, "/templates/*/initContainers/*/securityContext"),
            ),
            ($kind, concat!($spec, "/templates/*/initContainers/*/ports")),
            ($kind, concat!($spec, "/templates/*/container/resources")),
            ($kind, concat!($spec, "/templates/*/script/resources")),
            ($kind, concat!($spec, "/templates/*/sidecars/*/resources")),
            (
                $kind,
                concat!($spec, "/templates/*/initContainers/*/resources"),
            ),
            ($kind, concat!($spec, "/templates/*/inputs/artifacts")),
            ($kind, concat!($spec, "/parallelism")),
        ]
    };
}

const fn join<const A: usize, const B: usize, const C: usize>(
    a: [(&'static str, &'static str); A],
    b: [(&'static str, &'static str); B],
) -> [(&'static str, &'static str); C] {
    let mut out = [("", ""); C];
    let mut i = 0;
    while i < A {
        out[i] = a[i];
        i += 1;
    }
    while i < C {
        out[i] = b[i - A];
        i += 1;
    }
    out
}

const K8S: [(&str, &str); 16 * 9] = {
    let pod = pod_fields!("Pod", "/spec", "/metadata/annotations");
    let dep = pod_fields!(
        "Deployment",
        "/spec/template/spec",
        "/spec/template/metadata/annotations"
    );
    let sts = pod_fields!(
        "StatefulSet",
        "/spec/template/spec",
        "/spec/template/metadata/annotations"
    );
    let ds = pod_fields!(
        "DaemonSet",
        "/spec/template/spec",
        "/spec/template/metadata/annotations"
    );
    let rs = pod_fields!(
        "ReplicaSet",
        "/spec/template/spec",
        "/spec/template/metadata/annotations"
    );
    let rc = pod_fields!(
        "ReplicationController",
        "/spec/template/spec",
        "/spec/template/metadata/annotations"
    );
    let job = pod_fields!(
        "Job",
        "/spec/template/spec",
        "/spec/template/metadata/annotations"
    );
    let pt = pod_fields!(
        "PodTemplate",
        "/template/spec",
        "/template/metadata/annotations"
    );
    let cj = pod_fields!(
        "CronJob",
        "/spec/jobTemplate/spec/template/spec",
        "/spec/jobTemplate/spec/template/metadata/annotations"
    );
    let a: [_; 32] = join(pod, dep);
    let b: [_; 48] = join(a, sts);
    let c: [_; 64] = join(b, ds);
    let d: [_; 80] = join(c, rs);
    let e: [_; 96] = join(d, rc);
    let f: [_; 112] = join(e, job);
    let g: [_; 128] = join(f, pt);
    join(g, cj)
};

const ARGO: [(&str, &str); 27 * 4] = {
    let w = argo_fields!("Workflow", "/spec");
    let wt = argo_fields!("WorkflowTemplate", "/spec");
    let cwt = argo_fields!("ClusterWorkflowTemplate", "/spec");
    let cw = argo_fields!("CronWorkflow", "/spec/workflowSpec");
    let a: [_; 54] = join(w, wt);
    let b: [_; 81] = join(a, cwt);
    join(b, cw)
};

// Only the labels [`levels`] reads: the whole label map names its tenant (team, tier), so it
// would keep one pruned Namespace per tenant where these few labels are shared by all.
const OTHERS: [(&str, &str); 6] = [
    (
        "Namespace",
        "/metadata/labels/pod-security.kubernetes.io~1enforce",
    ),
    (
        "Namespace",
        "/metadata/labels/pod-security.kubernetes.io~1warn",
    ),
    (
        "Namespace",
        "/metadata/labels/pod-security.kubernetes.io~1audit",
    ),
    ("ResourceQuota", "/spec/hard"),
    ("LimitRange", "/spec/limits"),
    (
        "*",
        "/metadata/annotations/gitops-render.dev~1pod-security-exception",
    ),
];

/// What the admission rules read: the security-relevant fields of every pod-bearing kind,
/// the Namespaces' labels and the render's exception annotation.
pub const POD_FIELDS: &[(&str, &str)] = &{
    let a: [_; 16 * 9 + 27 * 4] = join(K8S, ARGO);
    join::<{ 16 * 9 + 27 * 4 }, 6, { 16 * 9 + 27 * 4 + 6 }>(a, OTHERS)
};

/// Namespace → the Pod Security levels it sets: (enforce, warn/audit).
pub type Levels<'c> = BTreeMap<&'c str, (Option<Level>, Option<Level>)>;

/// The Pod Security levels each Namespace of the corpus sets.
pub fn levels(c: &Corpus) -> Levels<'_> {
    let mut out = BTreeMap::new();
    for (_, ns) in c.of_kind(&["Namespace"]) {
        let get = |k: &str| ns.label(k).and_then(Level::parse);
        let warn =
            get("pod-security.kubernetes.io/warn").max(get("pod-security.kubernetes.io/audit"));
        out.insert(ns.name(), (get("pod-security.kubernetes.io/enforce"), warn));
    }
    out
}

/// The executor container Argo adds to workflow pods, when the estate declares the
/// controller's `executor.securityContext`: without it, what the cluster runs is unknown and
/// Argo's containers are not judged (no false errors on a plain tree).
pub fn executor(config: &LintConfig) -> Option<&Value> {
    config
        .executor
        .as_ref()
        .filter(|e| e.get("securityContext").is_some())
}

/// Each pod of the corpus in a Namespace the corpus holds, with its violations at `level`
/// (given the namespace's levels). Argo's pods get the controller's containers when
/// `executor` is known.
pub fn judge(
    c: &Corpus,
    levels: &Levels<'_>,
    executor: Option<&Value>,
    pick: impl Fn(Option<Level>, Option<Level>) -> Option<Level>,
    mut report: impl FnMut(usize, &str, &str, Level, Vec<Violation>),
) {
    // A streaming lint shares one pruned value between the copies of an object in every
    // tenant (the catalog's WorkflowTemplates): each is judged once per level.
    type Judged = Vec<(String, Vec<Violation>)>;
    let mut seen: std::collections::HashMap<(*const Value, &str, Level), Judged> =
        Default::default();
    let kinds = c.kinds_index();
    let level: Vec<Option<Level>> = kinds
        .namespaces()
        .map(|ns| {
            levels
                .get(ns)
                .and_then(|(enforce, warn)| pick(*enforce, *warn))
        })
        .collect();
    let pod_bearing =
        kinds.documents_where(|_, kind| crate::manifest::pod_security::bears_pods(kind));
    for &i in pod_bearing.iter() {
        let (i, d) = (i as usize, &c.docs[i as usize]);
        let Some(level) = level[kinds.namespace_number(i)] else {
            continue;
        };
        let found = seen
            .entry((std::sync::Arc::as_ptr(&d.value), d.kind(), level))
            .or_insert_with(|| {
                let argo = executor.filter(|_| argo_pods(d.kind()));
                pods_of(d.kind(), &d.value)
                    .into_iter()
                    .map(|(pointer, mut pod)| {
                        if let Some(executor) = argo {
                            let template = d.value.pointer(&pointer).unwrap_or(&Value::Null);
                            let name = template.get("name").and_then(Value::as_str);
                            for ((who, container), _) in executor_containers(template, executor) {
                                pod.containers.push((
                                    format!(
                                        "template `{}` {who} (the pack's `workflows.executor.securityContext`)",
                                        name.unwrap_or("?")
                                    ),
                                    container,
                                ));
                            }
                        }
                        (pointer, evaluate(&pod, level))
                    })
                    .filter(|(_, found)| !found.is_empty())
                    .collect()
            });
        for (pointer, violations) in found.iter() {
            report(i, pointer, d.namespace(), level, violations.clone());
        }
    }
}

/// `control: detail` of each violation, joined.
pub fn describe(found: &[Violation]) -> String {
    found
        .iter()
        .map(|v| format!("{} ({})", v.detail, v.control))
        .collect::<Vec<_>>()
        .join("; ")
}

fn check(c: &Corpus, config: &LintConfig, out: &mut Vec<Hit>) {
    judge(
        c,
        &levels(c),
        executor(config),
        |enforce, _| enforce.filter(|l| *l > Level::Privileged),
        |i, pointer, ns, level, found| {
            out.push(Hit::new(
                i,
                pointer,
                format!(
                    "refused by Pod Security admission: namespace `{ns}` enforces `{}`: {}",
                    level.as_str(),
                    describe(&found)
                ),
            ))
        },
    );
}
