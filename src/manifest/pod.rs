//! What a pod spec (or a fragment of one, such as an Argo `podSpecPatch`) grants beyond the
//! restricted defaults: the settings that let a pod leave its sandbox or act as another
//! identity. Shared by the render (which refuses them in catalog workflows) and lint (which
//! reports them in any workflow), so the two cannot disagree on what is dangerous.

use serde_json::Value;

/// Every setting of `pod` that escalates, as `field: value` phrases, in document order.
/// `service_account` is the only ServiceAccount the pod may name (`None`: any).
pub fn escalations(pod: &Value, service_account: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    let Some(pod) = pod.as_object() else {
        return out;
    };
    for key in ["hostPID", "hostIPC", "hostNetwork"] {
        if pod.get(key) == Some(&Value::Bool(true)) {
            out.push(format!("`{key}: true`"));
        }
    }
    for key in ["serviceAccountName", "serviceAccount"] {
        if let Some(sa) = pod.get(key).and_then(Value::as_str) {
            if service_account.is_some_and(|allowed| allowed != sa) {
                out.push(format!("`{key}: {sa}`"));
            }
        }
    }
    if let Some(sc) = pod.get("securityContext") {
        identity(sc, "securityContext", &mut out);
    }
    for list in ["containers", "initContainers", "ephemeralContainers"] {
        for (i, c) in pod
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(sc) = c.get("securityContext") {
                let at = format!("{list}[{i}].securityContext");
                out.extend(
                    container_escalations(sc, &at)
                        .into_iter()
                        .map(|(_, phrase)| phrase),
                );
            }
        }
    }
    for (i, v) in pod
        .get("volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if v.get("hostPath").is_some() {
            out.push(format!("`volumes[{i}].hostPath`"));
        }
    }
    out
}

/// What a container's `securityContext` grants beyond the restricted defaults, as
/// (field, phrase) pairs: the field (`seccompProfile`, `allowPrivilegeEscalation`, …) lets a
/// caller allow one relaxation a pack declared and still refuse the rest.
pub fn container_escalations(sc: &Value, at: &str) -> Vec<(&'static str, String)> {
    let mut phrases = Vec::new();
    identity(sc, at, &mut phrases);
    container(sc, at, &mut phrases);
    phrases
        .into_iter()
        .map(|p| {
            let field = FIELDS
                .iter()
                .find(|f| p.contains(&format!(".{f}")))
                .copied()
                .unwrap_or("");
            (field, p)
        })
        .collect()
}

/// The security context fields `identity` and `container` judge.
const FIELDS: [&str; 11] = [
    "runAsUser",
    "runAsGroup",
    "runAsNonRoot",
    "seccompProfile",
    "appArmorProfile",
    "windowsOptions",
    "privileged",
    "allowPrivilegeEscalation",
    "readOnlyRootFilesystem",
    "capabilities",
    "procMount",
];

/// Who the processes run as: root, or not required to be non-root.
fn identity(sc: &Value, at: &str, out: &mut Vec<String>) {
    if sc.get("runAsUser").and_then(Value::as_i64) == Some(0) {
        out.push(format!("`{at}.runAsUser: 0`"));
    }
    if sc.get("runAsGroup").and_then(Value::as_i64) == Some(0) {
        out.push(format!("`{at}.runAsGroup: 0`"));
    }
    if sc.get("runAsNonRoot") == Some(&Value::Bool(false)) {
        out.push(format!("`{at}.runAsNonRoot: false`"));
    }
    if let Some(t) = sc.pointer("/seccompProfile/type").and_then(Value::as_str) {
        if t == "Unconfined" {
            out.push(format!("`{at}.seccompProfile.type: Unconfined`"));
        }
    }
    if sc.pointer("/appArmorProfile/type").and_then(Value::as_str) == Some("Unconfined") {
        out.push(format!("`{at}.appArmorProfile.type: Unconfined`"));
    }
    if sc.pointer("/windowsOptions/hostProcess") == Some(&Value::Bool(true)) {
        out.push(format!("`{at}.windowsOptions.hostProcess: true`"));
    }
}

/// What a container may do beyond its processes' identity.
fn container(sc: &Value, at: &str, out: &mut Vec<String>) {
    for key in ["privileged", "allowPrivilegeEscalation"] {
        if sc.get(key) == Some(&Value::Bool(true)) {
            out.push(format!("`{at}.{key}: true`"));
        }
    }
    if sc.get("readOnlyRootFilesystem") == Some(&Value::Bool(false)) {
        out.push(format!("`{at}.readOnlyRootFilesystem: false`"));
    }
    if sc
        .pointer("/capabilities/add")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
    {
        out.push(format!("`{at}.capabilities.add`"));
    }
    if sc.get("procMount").and_then(Value::as_str) == Some("Unmasked") {
        out.push(format!("`{at}.procMount: Unmasked`"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_each_escalation() {
        let patch = json!({
            "hostPID": true,
            "hostNetwork": false,
            "serviceAccountName": "argo-server",
            "securityContext": {"runAsUser": 0},
            "containers": [{"name": "main", "securityContext": {"privileged": true, "capabilities": {"add": ["SYS_ADMIN"]}}}],
            "volumes": [{"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}}],
        });
        assert_eq!(
            escalations(&patch, Some("argo-workflow")),
            [
                "`hostPID: true`",
                "`serviceAccountName: argo-server`",
                "`securityContext.runAsUser: 0`",
                "`containers[0].securityContext.privileged: true`",
                "`containers[0].securityContext.capabilities.add`",
                "`volumes[0].hostPath`",
            ]
        );
    }

    #[test]
    fn restricted_settings_pass() {
        let patch = json!({
            "serviceAccountName": "argo-workflow",
            "securityContext": {"runAsUser": 1000, "runAsNonRoot": true},
            "containers": [{"name": "main", "resources": {"limits": {"memory": "1Gi"}}, "securityContext": {"privileged": false}}],
        });
        assert!(escalations(&patch, Some("argo-workflow")).is_empty());
        assert!(escalations(&json!("not a mapping"), None).is_empty());
    }
}
