//! What every rendered object gets regardless of its template: the tenant namespace, the
//! tool's labels, and the Argo CD sync wave for its kind. Doing it here rather than in each
//! template keeps the policy in one place and templates short.

use serde_json::{Map, Value};

use crate::model::{is_dns1123_label, is_dns1123_subdomain, is_kind_name};

pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
pub const ENV_LABEL: &str = "gitops-render.dev/environment";
pub const TEAM_LABEL: &str = "gitops-render.dev/team";
pub const SYNC_WAVE: &str = "argocd.argoproj.io/sync-wave";

/// The Argo CD sync wave of a kind: namespaces first, then quota/limits/RBAC, then network
/// policies, then workflows, so nothing is created before what it depends on.
pub fn sync_wave(kind: &str) -> &'static str {
    match kind {
        "Namespace" => "-10",
        "ResourceQuota" | "LimitRange" | "ServiceAccount" | "Role" | "RoleBinding"
        | "ConfigMap" => "-5",
        "NetworkPolicy" => "0",
        "WorkflowTemplate" | "CronWorkflow" => "5",
        "AppProject" => "-1",
        _ => "0",
    }
}

/// Scope of the object being stamped.
pub struct Stamp<'a> {
    pub env: &'a str,
    pub team: Option<&'a str>,
    /// The namespace namespaced objects must be in; `None` for environment-level objects.
    pub namespace: Option<&'a str>,
}

impl Stamp<'_> {
    /// Check and complete one rendered document; the error says what is wrong with it.
    pub fn apply(&self, mut doc: Value) -> Result<Value, String> {
        let Value::Object(obj) = &mut doc else {
            return Err("a rendered document is not a mapping".into());
        };
        let kind = obj
            .get("kind")
            .and_then(Value::as_str)
            .ok_or("a rendered document has no `kind`")?
            .to_owned();
        // The kind and the names become path segments of the tree: only the grammar
        // Kubernetes accepts for them passes, so no template can lay a file out elsewhere.
        if !is_kind_name(&kind) {
            return Err(format!(
                "the kind `{}` is not a Kubernetes kind (a letter, then letters and digits, at most 63)",
                crate::diagnostic::escape(&kind)
            ));
        }
        if obj.get("apiVersion").and_then(Value::as_str).is_none() {
            return Err(format!("the {kind} has no `apiVersion`"));
        }
        let meta = obj
            .entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .ok_or_else(|| format!("the {kind}'s `metadata` is not a mapping"))?;
        let name = meta
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("the {kind} has no `metadata.name`"))?
            .to_owned();
        if !is_dns1123_subdomain(&name) {
            return Err(format!(
                "the {kind} is named `{}`, which is not a DNS-1123 name (lowercase letters, digits, '-' and '.')",
                crate::diagnostic::escape(&name)
            ));
        }
        match meta.get("namespace") {
            None => {}
            Some(Value::String(ns)) if is_dns1123_label(ns) => {}
            Some(other) => {
                return Err(format!(
                    "the {kind} `{name}` has namespace {}, which is not a DNS-1123 label",
                    crate::diagnostic::escape(&other.to_string())
                ))
            }
        }
        if let Some(ns) = self.namespace {
            if kind == "Namespace" {
                if name != ns {
                    return Err(format!(
                        "the Namespace is named `{name}` but the tenant's namespace is `{ns}`"
                    ));
                }
            } else if crate::manifest::scope::is_cluster_scoped(&kind) {
                return Err(format!(
                    "{kind} is cluster-scoped; tenant templates may only create namespaced objects"
                ));
            } else {
                match meta.get("namespace").and_then(Value::as_str) {
                    None => {
                        meta.insert("namespace".into(), Value::String(ns.to_owned()));
                    }
                    Some(other) if other != ns => {
                        return Err(format!(
                            "the {kind} `{name}` is placed in namespace `{other}`, outside the tenant's namespace `{ns}`"
                        ))
                    }
                    Some(_) => {}
                }
            }
        }
        let labels = meta
            .entry("labels")
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .ok_or_else(|| format!("the {kind}'s `metadata.labels` is not a mapping"))?;
        labels.insert(MANAGED_BY.into(), "gitops-render".into());
        labels.insert(ENV_LABEL.into(), self.env.into());
        if let Some(team) = self.team {
            labels.insert(TEAM_LABEL.into(), team.into());
        }
        let annotations = meta
            .entry("annotations")
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .ok_or_else(|| format!("the {kind}'s `metadata.annotations` is not a mapping"))?;
        annotations.insert(SYNC_WAVE.into(), sync_wave(&kind).into());
        Ok(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tenant() -> Stamp<'static> {
        Stamp {
            env: "prod",
            team: Some("data"),
            namespace: Some("data-prod"),
        }
    }

    #[test]
    fn fills_namespace_labels_and_wave() {
        let out = tenant()
            .apply(json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "argo-workflow"}}))
            .expect("valid");
        assert_eq!(out["metadata"]["namespace"], "data-prod");
        assert_eq!(out["metadata"]["labels"][TEAM_LABEL], "data");
        assert_eq!(out["metadata"]["annotations"][SYNC_WAVE], "-5");
    }

    #[test]
    fn refuses_objects_outside_the_tenant() {
        let other_ns = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "kube-system"}});
        assert!(tenant()
            .apply(other_ns)
            .expect_err("must be refused")
            .contains("outside the tenant's namespace"));
        let cluster = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "x"}});
        assert!(tenant()
            .apply(cluster)
            .expect_err("must be refused")
            .contains("cluster-scoped"));
        for kind in [
            "../../outside/pwn",
            "../data-dev/networkpolicy",
            "Config Map",
            "",
        ] {
            let doc = json!({"apiVersion": "v1", "kind": kind, "metadata": {"name": "x"}});
            assert!(
                tenant()
                    .apply(doc)
                    .expect_err("must be refused")
                    .contains("is not a Kubernetes kind"),
                "{kind:?}"
            );
        }
        let bad_ns = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "../x"}});
        assert!(Stamp {
            namespace: None,
            ..tenant()
        }
        .apply(bad_ns)
        .expect_err("must be refused")
        .contains("not a DNS-1123 label"));
        let bad_name =
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "../x"}});
        assert!(tenant()
            .apply(bad_name)
            .expect_err("must be refused")
            .contains("not a DNS-1123 name"));
    }

    /// Each part of the heading the stamp writes into must be a mapping, and the name a
    /// string: a template that renders otherwise is told which part, of which kind.
    #[test]
    fn says_which_part_of_the_heading_is_malformed() {
        let cases = [
            (json!(["x"]), "the ConfigMap's `metadata` is not a mapping"),
            (
                json!({"labels": {}}),
                "the ConfigMap has no `metadata.name`",
            ),
            (json!({"name": 7}), "the ConfigMap has no `metadata.name`"),
            (
                json!({"name": "x", "labels": "a=b"}),
                "the ConfigMap's `metadata.labels` is not a mapping",
            ),
            (
                json!({"name": "x", "annotations": ["a"]}),
                "the ConfigMap's `metadata.annotations` is not a mapping",
            ),
        ];
        for (metadata, message) in cases {
            let doc = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata});
            assert_eq!(tenant().apply(doc).expect_err(message), message);
        }
    }
}
