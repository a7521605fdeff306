//! Pack defaults on every WorkflowTemplate: retry, deadline, pod GC, TTL, parallelism, the
//! tenant's ServiceAccount, pod and container security contexts, and container resources.
//!
//! A template may set a default itself only when the pack lists it as `overridable`; a
//! security setting or the service account may never be weakened. Argo runs pods as root
//! with a writable root file system unless told otherwise, so this is where "restricted"
//! is made true for workflows.

use serde_json::{json, Map, Value};

use crate::model::{Relaxation, Security, WorkflowsSpec};

/// The pack's workflow rules as they apply to one tenant's copy of one workflow.
pub struct WorkflowRules<'a> {
    pub spec: &'a WorkflowsSpec,
    pub security: &'a Security,
    pub service_account: &'a str,
    pub pack: &'a str,
    /// What the pack lets this workflow's containers relax (its catalog `podSecurity`).
    pub relax: &'a [Relaxation],
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

    /// Stamp the container rules on one container. A relaxation the pack declared for this
    /// workflow is honoured only on a container that asks for it, and whatever the merged
    /// context grants beyond that is refused (root, Unconfined AppArmor, procMount, …).
    fn container_context(&self, c: &mut Map<String, Value>, what: &str) -> Result<(), String> {
        let Value::Object(mut required) = self.container_security() else {
            unreachable!("container_security is a mapping")
        };
        let asked = c.get("securityContext");
        let asks = |key: &str, value: &Value| asked.and_then(|sc| sc.get(key)) == Some(value);
        if self.relax.contains(&Relaxation::AllowPrivilegeEscalation)
            && asks("allowPrivilegeEscalation", &Value::Bool(true))
        {
            required.remove("allowPrivilegeEscalation");
        }
        if self.relax.contains(&Relaxation::DefaultCapabilities) && asks("capabilities", &json!({}))
        {
            required.remove("capabilities");
        }
        merge_strict(c, "securityContext", Value::Object(required), what)
            .map_err(|w| self.forbidden(&w))?;
        let merged = &c["securityContext"];
        let allowed = |field: &str| match field {
            "allowPrivilegeEscalation" => {
                self.relax.contains(&Relaxation::AllowPrivilegeEscalation)
            }
            _ => false,
        };
        match crate::manifest::pod::container_escalations(merged, what)
            .into_iter()
            .find(|(field, _)| !allowed(field))
        {
            None => Ok(()),
            Some((_, phrase)) => Err(format!(
                "it sets {phrase}, which pack {} does not allow for this workflow",
                self.pack
            )),
        }
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

    /// A `podSpecPatch` is applied by the controller after every other setting, so it could
    /// undo all of them: refused unless the pack allows patches, and then parsed and held to
    /// the same rules as the rest of the pod.
    fn pod_spec_patch(&self, patch: &Value, at: &str) -> Result<(), String> {
        if !self.spec.allow_pod_spec_patch {
            return Err(format!(
                "it sets `{at}`, which pack {} does not allow (workflows.allowPodSpecPatch)",
                self.pack
            ));
        }
        let parsed = match patch {
            Value::String(text) => crate::source::parse_single(text)
                .map_err(|e| format!("its `{at}` is not a YAML or JSON pod spec: {e}"))?,
            _ => return Err(format!("its `{at}` is not a string")),
        };
        let problems = crate::manifest::pod::escalations(&parsed, Some(self.service_account));
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "its `{at}` sets {}, which the pack's security rules forbid",
                problems.join(", ")
            ))
        }
    }

    /// The `serviceAccountName` of an executor (or template) must be the tenant's workflow
    /// ServiceAccount, when set at all.
    fn own_service_account(&self, holder: Option<&Value>, at: &str) -> Result<(), String> {
        match holder.and_then(|h| h.get("serviceAccountName")) {
            None => Ok(()),
            Some(Value::String(sa)) if sa == self.service_account => Ok(()),
            Some(sa) => Err(format!(
                "{at} runs as ServiceAccount {sa}; workflows run as the tenant's `{}`",
                self.service_account
            )),
        }
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
        if spec.get("hostNetwork") == Some(&Value::Bool(true)) {
            return Err("it sets `spec.hostNetwork: true`; workflow pods stay in their own network namespace".into());
        }
        if let Some(v) = spec.get("podSpecPatch") {
            self.pod_spec_patch(v, "spec.podSpecPatch")?;
        }
        self.own_service_account(spec.get("executor"), "spec.executor")?;
        let volumes = spec.get("volumes").cloned().unwrap_or(Value::Null);
        if let Some(problem) =
            crate::manifest::pod::escalations(&json!({ "volumes": volumes }), None).first()
        {
            return Err(format!(
                "it mounts {problem} from the node (`spec.volumes`)"
            ));
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
            let at = format!("template `{tname}`");
            if let Some(v) = t.get("podSpecPatch") {
                self.pod_spec_patch(v, &format!("{at} podSpecPatch"))?;
            }
            if let Some(sa) = t.get("serviceAccountName") {
                self.own_service_account(Some(&json!({ "serviceAccountName": sa })), &at)?;
            }
            self.own_service_account(t.get("executor"), &format!("{at} executor"))?;
            if t.contains_key("securityContext") {
                merge_strict(
                    t,
                    "securityContext",
                    self.pod_security(),
                    &format!("{at} securityContext"),
                )
                .map_err(|w| self.forbidden(&w))?;
            }
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
                self.container_context(c, &format!("{what} securityContext"))?;
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
