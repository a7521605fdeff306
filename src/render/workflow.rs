//! Pack defaults on every WorkflowTemplate: retry, deadline, pod GC, TTL, parallelism, the
//! tenant's ServiceAccount, pod and container security contexts, and container resources.
//!
//! A template may set a default itself only when the pack lists it as `overridable`; a
//! security setting or the service account may never be weakened. Argo runs pods as root
//! with a writable root file system unless told otherwise, so this is where "restricted"
//! is made true for workflows.

use serde_json::{json, Map, Value};

use crate::model::{Security, WorkflowsSpec};

/// The pack's workflow rules as they apply to one tenant.
pub struct WorkflowRules<'a> {
    pub spec: &'a WorkflowsSpec,
    pub security: &'a Security,
    pub service_account: &'a str,
    pub pack: &'a str,
}

impl WorkflowRules<'_> {
    fn pod_security(&self) -> Value {
        let s = self.security;
        let mut m = Map::new();
        if let Some(v) = s.run_as_non_root {
            m.insert("runAsNonRoot".into(), v.into());
        }
        if let Some(v) = s.run_as_user {
            m.insert("runAsUser".into(), v.into());
        }
        if let Some(v) = s.run_as_group {
            m.insert("runAsGroup".into(), v.into());
        }
        if let Some(v) = s.fs_group {
            m.insert("fsGroup".into(), v.into());
        }
        if let Some(p) = &s.seccomp_profile {
            m.insert("seccompProfile".into(), json!({ "type": p }));
        }
        Value::Object(m)
    }

    fn container_security(&self) -> Value {
        let s = self.security;
        let mut m = Map::new();
        m.insert(
            "allowPrivilegeEscalation".into(),
            s.allow_privilege_escalation.unwrap_or(false).into(),
        );
        m.insert("privileged".into(), false.into());
        if let Some(v) = s.read_only_root_filesystem {
            m.insert("readOnlyRootFilesystem".into(), v.into());
        }
        if let Some(v) = s.run_as_non_root {
            m.insert("runAsNonRoot".into(), v.into());
        }
        if !s.drop_capabilities.is_empty() {
            m.insert(
                "capabilities".into(),
                json!({ "drop": s.drop_capabilities }),
            );
        }
        Value::Object(m)
    }

    fn may_override(&self, key: &str) -> bool {
        self.spec.overridable.iter().any(|k| k == key)
    }

    fn forbidden(&self, what: &str) -> String {
        let allowed = if self.spec.overridable.is_empty() {
            "none".to_owned()
        } else {
            self.spec.overridable.join(", ")
        };
        format!("it sets {what}, which pack {} does not let workflow templates override (overridable: {allowed})", self.pack)
    }

    /// Stamp the rules on a rendered WorkflowTemplate; the error says which field broke them.
    pub fn apply(&self, doc: &mut Value) -> Result<(), String> {
        let spec = doc
            .get_mut("spec")
            .and_then(Value::as_object_mut)
            .ok_or("the WorkflowTemplate has no `spec` mapping")?;
        let d = &self.spec.defaults;
        let defaults = [
            ("retryStrategy", d.retry_strategy.clone()),
            ("activeDeadlineSeconds", d.active_deadline_seconds.into()),
            ("podGC", d.pod_gc.clone()),
            ("ttlStrategy", d.ttl_strategy.clone()),
            ("parallelism", d.parallelism.into()),
        ];
        for (key, value) in defaults {
            match spec.get(key) {
                None => {
                    spec.insert(key.into(), value);
                }
                Some(v) if *v == value || self.may_override(key) => {}
                Some(_) => return Err(self.forbidden(&format!("`spec.{key}`"))),
            }
        }
        match spec.get("serviceAccountName").and_then(Value::as_str) {
            None => {
                spec.insert("serviceAccountName".into(), self.service_account.into());
            }
            Some(sa) if sa == self.service_account => {}
            Some(sa) => {
                return Err(format!(
                    "it runs as ServiceAccount `{sa}`; workflows run as the tenant's `{}`",
                    self.service_account
                ))
            }
        }
        merge_strict(
            spec,
            "securityContext",
            self.pod_security(),
            "spec.securityContext",
        )
        .map_err(|w| self.forbidden(&w))?;

        let templates = spec
            .get_mut("templates")
            .and_then(Value::as_array_mut)
            .ok_or("the WorkflowTemplate has no `spec.templates` list")?;
        for t in templates.iter_mut() {
            let tname = t
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_owned();
            let Some(t) = t.as_object_mut() else { continue };
            let mut containers: Vec<(&mut Map<String, Value>, String)> = Vec::new();
            for (key, v) in t.iter_mut() {
                match (key.as_str(), v) {
                    ("container" | "script", Value::Object(c)) => {
                        containers.push((c, format!("template `{tname}` {key}")))
                    }
                    ("initContainers" | "sidecars", Value::Array(items)) => {
                        for (i, c) in items.iter_mut().enumerate() {
                            if let Value::Object(c) = c {
                                containers.push((c, format!("template `{tname}` {key}[{i}]")));
                            }
                        }
                    }
                    _ => {}
                }
            }
            for (c, what) in containers {
                merge_strict(
                    c,
                    "securityContext",
                    self.container_security(),
                    &format!("{what} securityContext"),
                )
                .map_err(|w| self.forbidden(&w))?;
                match c.get("resources") {
                    None => {
                        c.insert("resources".into(), d.resources.clone());
                    }
                    Some(r) if *r == d.resources || self.may_override("resources") => {}
                    Some(_) => return Err(self.forbidden(&format!("{what} resources"))),
                }
            }
        }
        Ok(())
    }
}

/// Set `key` of `obj` to `required`, keeping what the template set only where it agrees
/// (or adds a field `required` does not have and that is not dangerous).
fn merge_strict(
    obj: &mut Map<String, Value>,
    key: &str,
    required: Value,
    what: &str,
) -> Result<(), String> {
    let Value::Object(req) = required else {
        return Ok(());
    };
    let merged = match obj.remove(key) {
        None => req,
        Some(Value::Object(mut have)) => {
            for (k, v) in &have {
                match req.get(k) {
                    Some(r) if r != v => return Err(format!("`{what}.{k}` to {v}")),
                    None if k == "runAsUser" && v.as_i64() == Some(0) => {
                        return Err(format!("`{what}.runAsUser` to 0 (root)"))
                    }
                    _ => {}
                }
            }
            for (k, v) in req {
                have.insert(k, v);
            }
            have
        }
        Some(other) => return Err(format!("`{what}` to {other}")),
    };
    obj.insert(key.into(), Value::Object(merged));
    Ok(())
}
