//! Labels of the pods an object creates, and label selectors matched against them, as the
//! API server and controllers read them: what tells whether a Service, a NetworkPolicy or a
//! PodDisruptionBudget selects anything, and whether a controller's selector matches its
//! own template.

use serde_json::{Map, Value};

/// A pod's labels. `None` as a value: set at run time to a value not known here (Argo's
/// `workflows.argoproj.io/workflow` names the workflow); it matches whatever is asked.
pub type Labels = Vec<(String, Option<String>)>;

/// Where a kind keeps its pod template's labels and its own selector.
fn template_at(kind: &str) -> Option<(&'static str, Option<&'static str>)> {
    Some(match kind {
        "Pod" => ("/metadata/labels", None),
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" => {
            ("/spec/template/metadata/labels", Some("/spec/selector"))
        }
        "ReplicationController" => ("/spec/template/metadata/labels", Some("/spec/selector")),
        "Job" => ("/spec/template/metadata/labels", None),
        "CronJob" => ("/spec/jobTemplate/spec/template/metadata/labels", None),
        _ => return None,
    })
}

/// Fields the functions here read, as `(kind, pointer)` for lint's pruning.
pub const FIELDS: &[(&str, &str)] = &[
    ("Pod", "/metadata/labels"),
    ("Deployment", "/spec/template/metadata/labels"),
    ("Deployment", "/spec/selector"),
    ("Deployment", "/spec/replicas"),
    ("StatefulSet", "/spec/template/metadata/labels"),
    ("StatefulSet", "/spec/selector"),
    ("StatefulSet", "/spec/replicas"),
    ("DaemonSet", "/spec/template/metadata/labels"),
    ("DaemonSet", "/spec/selector"),
    ("ReplicaSet", "/spec/template/metadata/labels"),
    ("ReplicaSet", "/spec/selector"),
    ("ReplicaSet", "/spec/replicas"),
    ("ReplicationController", "/spec/template/metadata/labels"),
    ("ReplicationController", "/spec/selector"),
    ("Job", "/spec/template/metadata/labels"),
    ("CronJob", "/spec/jobTemplate/spec/template/metadata/labels"),
    ("Workflow", "/spec/podMetadata/labels"),
    ("Workflow", "/spec/templates/*/metadata/labels"),
    ("WorkflowTemplate", "/spec/podMetadata/labels"),
    ("WorkflowTemplate", "/spec/templates/*/metadata/labels"),
    ("CronWorkflow", "/spec/workflowSpec/podMetadata/labels"),
    (
        "CronWorkflow",
        "/spec/workflowSpec/templates/*/metadata/labels",
    ),
];

/// A rule's pruning scope: `first` and then every field of [`FIELDS`].
pub const fn scope_with(first: (&'static str, &'static str)) -> [(&'static str, &'static str); 23] {
    let mut out = [first; 23];
    let mut i = 0;
    while i < FIELDS.len() {
        out[i + 1] = FIELDS[i];
        i += 1;
    }
    out
}

fn pairs(map: Option<&Value>) -> Labels {
    map.and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().map(str::to_owned)))
        .collect()
}

/// The labels of each pod `doc` (of `kind`) creates; empty when it creates none.
pub fn pod_labels(kind: &str, doc: &Value) -> Vec<Labels> {
    if let Some((labels, _)) = template_at(kind) {
        return vec![pairs(doc.pointer(labels))];
    }
    let spec = match kind {
        "Workflow" | "WorkflowTemplate" => doc.get("spec"),
        "CronWorkflow" => doc.pointer("/spec/workflowSpec"),
        _ => None,
    };
    let Some(spec) = spec else {
        return Vec::new();
    };
    let common = pairs(spec.pointer("/podMetadata/labels"));
    spec.get("templates")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|t| t.get("container").or_else(|| t.get("script")).is_some())
        .map(|t| {
            let mut labels = common.clone();
            labels.extend(pairs(t.pointer("/metadata/labels")));
            labels.push(("workflows.argoproj.io/workflow".to_owned(), None));
            labels.push(("workflows.argoproj.io/completed".to_owned(), None));
            labels
        })
        .collect()
}

/// A controller's own selector and its template's labels, when it has both.
pub fn own_selector<'a>(kind: &str, doc: &'a Value) -> Option<(&'static str, &'a Value, Labels)> {
    let (labels, Some(selector)) = template_at(kind)? else {
        return None;
    };
    Some((selector, doc.pointer(selector)?, pairs(doc.pointer(labels))))
}

fn has(labels: &Labels, key: &str, value: Option<&str>) -> bool {
    labels.iter().any(|(k, v)| {
        k == key
            && match (v, value) {
                (None, _) | (_, None) => true,
                (Some(v), Some(want)) => v == want,
            }
    })
}

/// Does a plain `{key: value}` selector (a Service's, a ReplicationController's) select
/// `labels`? An empty selector selects everything.
pub fn map_selects(selector: &Map<String, Value>, labels: &Labels) -> bool {
    selector.iter().all(|(k, v)| has(labels, k, v.as_str()))
}

/// Does a `LabelSelector` (`matchLabels`, `matchExpressions`) select `labels`? `None`
/// when the selector is not one (an unknown operator): nothing can be said.
pub fn selects(selector: &Value, labels: &Labels) -> Option<bool> {
    let Some(obj) = selector.as_object() else {
        return Some(true);
    };
    if let Some(m) = obj.get("matchLabels").and_then(Value::as_object) {
        if !map_selects(m, labels) {
            return Some(false);
        }
    }
    for e in obj
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = e.get("key").and_then(Value::as_str)?;
        let values: Vec<&str> = e
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let value = labels.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        let ok = match e.get("operator").and_then(Value::as_str)? {
            "In" => match value {
                Some(None) => true,
                Some(Some(v)) => values.contains(&v.as_str()),
                None => false,
            },
            "NotIn" => match value {
                Some(Some(v)) => !values.contains(&v.as_str()),
                _ => true,
            },
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            _ => return None,
        };
        if !ok {
            return Some(false);
        }
    }
    Some(true)
}

/// Is a LabelSelector empty (it selects every pod)?
pub fn is_empty_selector(selector: &Value) -> bool {
    let empty = |k: &str| {
        selector.get(k).is_none_or(|v| {
            v.as_object().is_some_and(Map::is_empty) || v.as_array().is_some_and(Vec::is_empty)
        })
    };
    selector.is_null() || (empty("matchLabels") && empty("matchExpressions"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Some((*v).to_owned())))
            .collect()
    }

    #[test]
    fn label_selectors_as_the_api_server_reads_them() {
        let l = labels(&[("app", "web"), ("tier", "front")]);
        for (selector, want) in [
            (json!({"matchLabels": {"app": "web"}}), Some(true)),
            (json!({"matchLabels": {"app": "api"}}), Some(false)),
            (
                json!({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front", "back"]}]}),
                Some(true),
            ),
            (
                json!({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["front"]}]}),
                Some(false),
            ),
            (
                json!({"matchExpressions": [{"key": "canary", "operator": "DoesNotExist"}]}),
                Some(true),
            ),
            (
                json!({"matchExpressions": [{"key": "canary", "operator": "Exists"}]}),
                Some(false),
            ),
            (
                json!({"matchExpressions": [{"key": "canary", "operator": "Gt", "values": ["1"]}]}),
                None,
            ),
            (json!({}), Some(true)),
        ] {
            assert_eq!(selects(&selector, &l), want, "{selector}");
        }
        let argo = pod_labels(
            "WorkflowTemplate",
            &json!({"spec": {"templates": [{"name": "a", "container": {}}, {"name": "b", "steps": []}]}}),
        );
        assert_eq!(argo.len(), 1, "only container templates make pods");
        let by_name = json!({"matchLabels": {"workflows.argoproj.io/workflow": "nightly-x1"}});
        assert_eq!(selects(&by_name, &argo[0]), Some(true), "set at run time");
    }
}
