//! Where workloads keep their pods and containers, for every kind lint understands:
//! Pods, the apps/batch controllers, and Argo's workflow kinds.

use serde_json::Value;

use super::Document;

/// The kinds [`workflow_spec`] and [`pod_spec`] read, for rules that ask the corpus for
/// their documents alone ([`Corpus::of_kind`](super::Corpus::of_kind)).
pub const POD_AND_WORKFLOW_KINDS: &[&str] = &[
    "Workflow",
    "WorkflowTemplate",
    "ClusterWorkflowTemplate",
    "CronWorkflow",
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "ReplicationController",
    "CronJob",
];

/// The Argo kinds of [`POD_AND_WORKFLOW_KINDS`]: those [`workflow_spec`] reads.
pub const WORKFLOW_KINDS: &[&str] = POD_AND_WORKFLOW_KINDS.split_at(4).0;

/// Pointer to the workflow spec of an Argo workflow kind.
pub fn workflow_spec(doc: &Document) -> Option<(&'static str, &Value)> {
    let ptr = match doc.kind() {
        "Workflow" | "WorkflowTemplate" | "ClusterWorkflowTemplate"
            if doc.api_version().starts_with("argoproj.io/") =>
        {
            "/spec"
        }
        "CronWorkflow" if doc.api_version().starts_with("argoproj.io/") => "/spec/workflowSpec",
        _ => return None,
    };
    Some((ptr, doc.value.pointer(ptr)?))
}

/// The templates of a workflow spec, with their index.
pub fn workflow_templates(spec: &Value) -> impl Iterator<Item = (usize, &Value)> {
    spec.get("templates")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
}

/// Pointer to the pod spec of a Kubernetes workload kind.
pub fn pod_spec(doc: &Document) -> Option<(&'static str, &Value)> {
    let ptr = match doc.kind() {
        "Pod" => "/spec",
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => "/spec/template/spec",
        "CronJob" => "/spec/jobTemplate/spec/template/spec",
        _ => return None,
    };
    Some((ptr, doc.value.pointer(ptr)?))
}

/// A container and the pod-level settings that apply to it. Rules ask for its pointer and
/// name only when they report it, so neither is built for the containers that pass.
pub struct Container<'a> {
    at: At,
    /// The container's `name`, or the Argo template's.
    name: &'a str,
    pub value: &'a Value,
    /// Pod-level `securityContext` (pod spec, or workflow spec plus template).
    pub pod_security: Vec<&'a Value>,
}

/// Where a container sits in its document.
enum At {
    /// `<spec>/<key>/<index>` of a pod spec (`containers`, `initContainers`, …).
    Pod {
        spec: &'static str,
        key: &'static str,
        index: usize,
    },
    /// `<spec>/templates/<template>/<key>[/<index>]` of a workflow spec: `container` and
    /// `script` have no index, `initContainers` and `sidecars` do.
    Template {
        spec: &'static str,
        template: usize,
        key: &'static str,
        index: Option<usize>,
    },
}

impl Container<'_> {
    /// A container field, falling back to the pod-level securityContext for the fields Kubernetes
    /// inherits (runAsNonRoot, runAsUser, seccompProfile).
    pub fn security(&self, key: &str) -> Option<&Value> {
        if let Some(v) = self.value.get("securityContext").and_then(|s| s.get(key)) {
            return Some(v);
        }
        if matches!(
            key,
            "runAsNonRoot" | "runAsUser" | "runAsGroup" | "seccompProfile"
        ) {
            return self.pod_security.iter().rev().find_map(|s| s.get(key));
        }
        None
    }

    /// Its JSON pointer in the document.
    pub fn pointer(&self) -> String {
        match self.at {
            At::Pod { spec, key, index } => format!("{spec}/{key}/{index}"),
            At::Template {
                spec,
                template,
                key,
                index: None,
            } => format!("{spec}/templates/{template}/{key}"),
            At::Template {
                spec,
                template,
                key,
                index: Some(i),
            } => format!("{spec}/templates/{template}/{key}/{i}"),
        }
    }

    /// How messages name it: the container's name, or `script of template build` for an
    /// Argo template's own container or script.
    pub fn name(&self) -> String {
        match self.at {
            At::Template {
                key, index: None, ..
            } => format!("{key} of template {}", self.name),
            _ => self.name.to_owned(),
        }
    }
}

/// The containers of `list`, each at `at(index)`.
fn push_list<'a>(
    out: &mut Vec<Container<'a>>,
    list: Option<&'a Value>,
    at: impl Fn(usize) -> At,
    pod: &[&'a Value],
) {
    for (i, c) in list
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        out.push(Container {
            at: at(i),
            name: c.get("name").and_then(Value::as_str).unwrap_or("(unnamed)"),
            value: c,
            pod_security: pod.to_vec(),
        });
    }
}

/// Every container of a workload or workflow, with its pointer.
pub fn containers(doc: &Document) -> Vec<Container<'_>> {
    let mut out = Vec::new();
    if let Some((spec, pod_spec)) = pod_spec(doc) {
        let pod: Vec<&Value> = pod_spec.get("securityContext").into_iter().collect();
        for key in ["containers", "initContainers", "ephemeralContainers"] {
            let at = |index| At::Pod { spec, key, index };
            push_list(&mut out, pod_spec.get(key), at, &pod);
        }
    }
    if let Some((spec, wf)) = workflow_spec(doc) {
        let wf_pod: Vec<&Value> = wf.get("securityContext").into_iter().collect();
        for (template, t) in wf
            .get("templates")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let mut pod = wf_pod.clone();
            pod.extend(t.get("securityContext"));
            let name = t.get("name").and_then(Value::as_str).unwrap_or("?");
            for key in ["container", "script"] {
                if let Some(c) = t.get(key).filter(|c| c.is_object()) {
                    out.push(Container {
                        at: At::Template {
                            spec,
                            template,
                            key,
                            index: None,
                        },
                        name,
                        value: c,
                        pod_security: pod.clone(),
                    });
                }
            }
            for key in ["initContainers", "sidecars"] {
                let at = |index| At::Template {
                    spec,
                    template,
                    key,
                    index: Some(index),
                };
                push_list(&mut out, t.get(key), at, &pod);
            }
        }
    }
    out
}

/// The pod-level specs of a document (workload pod spec, or workflow spec) with pointers.
pub fn pods(doc: &Document) -> Vec<(&'static str, &Value)> {
    pod_spec(doc)
        .into_iter()
        .chain(workflow_spec(doc))
        .collect()
}

/// The environment an object belongs to: its label, else `None`.
pub fn environment(doc: &Document) -> Option<&str> {
    doc.label("gitops-render.dev/environment")
        .or_else(|| doc.label("environment"))
}

/// Is the object part of a production environment?
pub fn is_prod(doc: &Document) -> bool {
    environment(doc).is_some_and(|e| e == "prod" || e == "production" || e.starts_with("prod-"))
}

/// Every rule of every Role and ClusterRole: (document, its index, the rule's index, rule).
pub fn rbac_rules(c: &super::Corpus) -> impl Iterator<Item = (usize, &Document, usize, &Value)> {
    c.of_kind(&["Role", "ClusterRole"]).flat_map(|(i, d)| {
        d.value["rules"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
            .map(move |(r, rule)| (i, d, r, rule))
    })
}

#[cfg(test)]
mod tests {
    use super::{pod_spec, workflow_spec, POD_AND_WORKFLOW_KINDS, WORKFLOW_KINDS};
    use crate::lint::Corpus;

    #[test]
    fn the_kind_lists_are_the_kinds_whose_specs_are_read() {
        // The listed kinds, and kinds next to them that hold no pod spec of their own.
        let others = [
            "WorkflowEventBinding",
            "PodTemplate",
            "Service",
            "ConfigMap",
        ];
        let kinds = POD_AND_WORKFLOW_KINDS.iter().chain(&others);
        for kind in kinds {
            // Every spec a reader could look for is there.
            let text = format!(
                "apiVersion: argoproj.io/v1alpha1\nkind: {kind}\nmetadata: {{name: x}}\nspec:\n  workflowSpec: {{}}\n  template: {{spec: {{}}}}\n  jobTemplate: {{spec: {{template: {{spec: {{}}}}}}}}\n"
            );
            let mut c = Corpus::default();
            c.add_file("x.yaml", text);
            let d = &c.docs[0];
            let read = pod_spec(d).is_some() || workflow_spec(d).is_some();
            assert_eq!(read, !others.contains(kind), "{kind}");
            assert_eq!(
                workflow_spec(d).is_some(),
                WORKFLOW_KINDS.contains(kind),
                "{kind}"
            );
        }
    }
}
