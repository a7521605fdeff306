//! The Kubernetes Pod Security Standards, evaluated offline: what Pod Security admission
//! would say of one pod at `baseline` or `restricted` (the checks of the published standard,
//! `latest` version). Used by lint's admission rules on every pod-bearing object, with the
//! level its Namespace enforces, warns and audits.
//!
//! A pod is given as its pod-level fields (`hostNetwork`, `securityContext`, `volumes`, …),
//! its containers (regular, init and ephemeral alike: the standard judges them the same),
//! and its annotations (the legacy AppArmor and seccomp forms).

use std::borrow::Cow;

use serde_json::Value;

/// A Pod Security Standard level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Privileged,
    Baseline,
    Restricted,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "privileged" => Some(Level::Privileged),
            "baseline" => Some(Level::Baseline),
            "restricted" => Some(Level::Restricted),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }
}

/// One pod as admission sees it.
pub struct Pod<'a> {
    /// Pod-level fields: `hostNetwork`, `hostPID`, `hostIPC`, `securityContext`, `volumes`.
    pub spec: Cow<'a, Value>,
    /// `(where, container)`: `where` names the container for messages (`containers[0]`).
    pub containers: Vec<(String, &'a Value)>,
    pub annotations: Option<&'a Value>,
}

/// One failed check: the standard's control and the field and value that fail it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub level: Level,
    /// The control's name in the standard (`host namespaces`, `running as non-root`).
    pub control: &'static str,
    pub detail: String,
}

/// Capabilities `baseline` lets a container add (the container runtime's default set).
const BASELINE_CAPABILITIES: [&str; 13] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// The sysctls `baseline` allows: namespaced and isolated from the node.
pub const SAFE_SYSCTLS: [&str; 12] = [
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
];

/// Volume types `restricted` allows.
const RESTRICTED_VOLUMES: [&str; 8] = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

const SELINUX_TYPES: [&str; 5] = [
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

/// Every check of `pod` up to `level`, in the standard's order.
pub fn evaluate(pod: &Pod<'_>, level: Level) -> Vec<Violation> {
    let mut out = Vec::new();
    if level >= Level::Baseline {
        baseline(pod, &mut out);
    }
    if level >= Level::Restricted {
        restricted(pod, &mut out);
    }
    out
}

fn str_at<'v>(v: &'v Value, pointer: &str) -> Option<&'v str> {
    v.pointer(pointer).and_then(Value::as_str)
}

fn is_true(v: &Value, pointer: &str) -> bool {
    v.pointer(pointer) == Some(&Value::Bool(true))
}

fn baseline(pod: &Pod<'_>, out: &mut Vec<Violation>) {
    let mut v = |control: &'static str, detail: String| {
        out.push(Violation {
            level: Level::Baseline,
            control,
            detail,
        })
    };
    let spec: &Value = &pod.spec;
    let psc = spec.get("securityContext").unwrap_or(&Value::Null);
    let contexts = || {
        std::iter::once(("pod".to_owned(), psc)).chain(
            pod.containers
                .iter()
                .map(|(w, c)| (w.clone(), c.get("securityContext").unwrap_or(&Value::Null))),
        )
    };
    for (at, sc) in contexts() {
        if is_true(sc, "/windowsOptions/hostProcess") {
            v(
                "HostProcess",
                format!("{at}: windowsOptions.hostProcess: true"),
            );
        }
    }
    for key in ["hostNetwork", "hostPID", "hostIPC"] {
        if is_true(spec, &format!("/{key}")) {
            v("host namespaces", format!("{key}: true"));
        }
    }
    for (at, c) in &pod.containers {
        if is_true(c, "/securityContext/privileged") {
            v("privileged containers", format!("{at}: privileged: true"));
        }
        let added: Vec<&str> = c
            .pointer("/securityContext/capabilities/add")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|cap| !BASELINE_CAPABILITIES.contains(cap))
            .collect();
        if !added.is_empty() {
            v("capabilities", format!("{at}: adds {}", added.join(", ")));
        }
        for (p, port) in c
            .get("ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if port.get("hostPort").and_then(Value::as_i64).unwrap_or(0) != 0 {
                v("host ports", format!("{at}: ports[{p}].hostPort"));
            }
        }
    }
    for (i, vol) in volumes(spec).enumerate() {
        if vol.get("hostPath").is_some() {
            v("HostPath volumes", format!("volumes[{i}].hostPath"));
        }
    }
    for (at, sc) in contexts() {
        if let Some(t) = str_at(sc, "/appArmorProfile/type") {
            if t != "RuntimeDefault" && t != "Localhost" {
                v("AppArmor", format!("{at}: appArmorProfile.type: {t}"));
            }
        }
        if let Some(se) = sc.get("seLinuxOptions") {
            let t = str_at(se, "/type").unwrap_or("");
            if !SELINUX_TYPES.contains(&t) {
                v("SELinux", format!("{at}: seLinuxOptions.type: {t}"));
            }
            for key in ["user", "role"] {
                if str_at(se, &format!("/{key}")).is_some_and(|s| !s.is_empty()) {
                    v("SELinux", format!("{at}: seLinuxOptions.{key} is set"));
                }
            }
        }
        if let Some(p) = str_at(sc, "/procMount") {
            if p != "Default" {
                v("/proc mount type", format!("{at}: procMount: {p}"));
            }
        }
        if str_at(sc, "/seccompProfile/type") == Some("Unconfined") {
            v("seccomp", format!("{at}: seccompProfile.type: Unconfined"));
        }
    }
    if let Some(Value::Object(a)) = pod.annotations {
        for (k, val) in a {
            let val = val.as_str().unwrap_or_default();
            if k.starts_with("container.apparmor.security.beta.kubernetes.io/")
                && val != "runtime/default"
                && !val.starts_with("localhost/")
            {
                v("AppArmor", format!("annotation {k}: {val}"));
            }
            if (k == "seccomp.security.alpha.kubernetes.io/pod"
                || k.starts_with("container.seccomp.security.alpha.kubernetes.io/"))
                && val == "unconfined"
            {
                v("seccomp", format!("annotation {k}: unconfined"));
            }
        }
    }
    for s in psc
        .get("sysctls")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = str_at(s, "/name").unwrap_or("");
        if !SAFE_SYSCTLS.contains(&name) {
            v("sysctls", format!("securityContext.sysctls: {name}"));
        }
    }
}

fn volumes(spec: &Value) -> impl Iterator<Item = &Value> {
    spec.get("volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn restricted(pod: &Pod<'_>, out: &mut Vec<Violation>) {
    let mut v = |control: &'static str, detail: String| {
        out.push(Violation {
            level: Level::Restricted,
            control,
            detail,
        })
    };
    let spec: &Value = &pod.spec;
    let psc = spec.get("securityContext").unwrap_or(&Value::Null);
    for (i, vol) in volumes(spec).enumerate() {
        if let Some(obj) = vol.as_object() {
            for key in obj.keys().filter(|k| *k != "name") {
                if !RESTRICTED_VOLUMES.contains(&key.as_str()) && key != "hostPath" {
                    v("volume types", format!("volumes[{i}].{key}"));
                }
            }
        }
    }
    let pod_non_root = is_true(psc, "/runAsNonRoot");
    let pod_seccomp = matches!(
        str_at(psc, "/seccompProfile/type"),
        Some("RuntimeDefault" | "Localhost")
    );
    if psc.pointer("/runAsNonRoot") == Some(&Value::Bool(false)) {
        v("running as non-root", "pod: runAsNonRoot: false".into());
    }
    if psc.pointer("/runAsUser").and_then(Value::as_i64) == Some(0) {
        v("running as non-root user", "pod: runAsUser: 0".into());
    }
    for (at, c) in &pod.containers {
        let sc = c.get("securityContext").unwrap_or(&Value::Null);
        if sc.pointer("/allowPrivilegeEscalation") != Some(&Value::Bool(false)) {
            v(
                "privilege escalation",
                format!("{at}: allowPrivilegeEscalation is not false"),
            );
        }
        match sc.pointer("/runAsNonRoot") {
            Some(Value::Bool(true)) => {}
            Some(Value::Bool(false)) => {
                v("running as non-root", format!("{at}: runAsNonRoot: false"))
            }
            _ if pod_non_root => {}
            _ => v(
                "running as non-root",
                format!("{at}: runAsNonRoot is not true (nor is the pod's)"),
            ),
        }
        if sc.pointer("/runAsUser").and_then(Value::as_i64) == Some(0) {
            v("running as non-root user", format!("{at}: runAsUser: 0"));
        }
        match str_at(sc, "/seccompProfile/type") {
            Some("RuntimeDefault" | "Localhost") => {}
            Some(other) => v("seccomp", format!("{at}: seccompProfile.type: {other}")),
            None if pod_seccomp => {}
            None => v(
                "seccomp",
                format!("{at}: no seccompProfile RuntimeDefault or Localhost (nor on the pod)"),
            ),
        }
        let caps = |key: &str| -> Vec<&str> {
            sc.pointer(&format!("/capabilities/{key}"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect()
        };
        if !caps("drop").contains(&"ALL") {
            v("capabilities", format!("{at}: does not drop ALL"));
        }
        let added: Vec<&str> = caps("add")
            .into_iter()
            .filter(|c| *c != "NET_BIND_SERVICE")
            .collect();
        if !added.is_empty() {
            v(
                "capabilities",
                format!("{at}: adds {} (only NET_BIND_SERVICE)", added.join(", ")),
            );
        }
    }
}

/// Where an object of a kind holds its pods.
enum PodsAt {
    /// A Kubernetes pod spec and the annotations of its pod template.
    Spec(&'static str, &'static str),
    /// An Argo workflow spec: one pod per container template.
    Argo(&'static str),
}

fn pods_at(kind: &str) -> Option<PodsAt> {
    Some(match kind {
        "Pod" => PodsAt::Spec("/spec", "/metadata/annotations"),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => PodsAt::Spec("/spec/template/spec", "/spec/template/metadata/annotations"),
        "PodTemplate" => PodsAt::Spec("/template/spec", "/template/metadata/annotations"),
        "CronJob" => PodsAt::Spec(
            "/spec/jobTemplate/spec/template/spec",
            "/spec/jobTemplate/spec/template/metadata/annotations",
        ),
        "Workflow" | "WorkflowTemplate" | "ClusterWorkflowTemplate" => PodsAt::Argo("/spec"),
        "CronWorkflow" => PodsAt::Argo("/spec/workflowSpec"),
        _ => return None,
    })
}

/// Does an object of `kind` create pods ([`pods_of`] finds them)?
pub fn bears_pods(kind: &str) -> bool {
    pods_at(kind).is_some()
}

/// Are `kind`'s pods Argo's (which add Argo's own init and wait containers)?
pub fn argo_pods(kind: &str) -> bool {
    matches!(pods_at(kind), Some(PodsAt::Argo(_)))
}

/// The pods of a pod-bearing object, with the pointer to each pod spec: Pods, workload
/// controllers, Jobs and CronJobs, PodTemplates, and Argo workflows (one pod per template
/// that runs a container: the workflow's pod-level settings with the template's over them,
/// its main container, sidecars and init containers).
/// `kind` is given apart: lint's pruned documents keep their identity outside the value.
pub fn pods_of<'a>(kind: &str, doc: &'a Value) -> Vec<(String, Pod<'a>)> {
    let annotations = |p: &str| doc.pointer(p);
    let k8s = |ptr: &str, meta: &str| -> Vec<(String, Pod<'_>)> {
        doc.pointer(ptr)
            .map(|spec| {
                let mut containers = Vec::new();
                for list in ["initContainers", "containers", "ephemeralContainers"] {
                    for (i, c) in spec
                        .get(list)
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .enumerate()
                    {
                        containers.push((format!("{list}[{i}]"), c));
                    }
                }
                vec![(
                    ptr.to_owned(),
                    Pod {
                        spec: Cow::Borrowed(spec),
                        containers,
                        annotations: annotations(meta),
                    },
                )]
            })
            .unwrap_or_default()
    };
    match pods_at(kind) {
        Some(PodsAt::Spec(spec, meta)) => k8s(spec, meta),
        Some(PodsAt::Argo(spec)) => argo(doc, spec),
        None => Vec::new(),
    }
}

/// Argo's pods: pod-level fields from the workflow spec, overlaid by the template's own (a
/// template's `securityContext` replaces the workflow's, as Argo builds the pod; its
/// `volumes` add to the workflow's). The containers Argo injects (init,
/// wait) take their settings from the controller's configuration, which is not in the
/// tree, so they are not judged here.
fn argo<'a>(doc: &'a Value, ptr: &str) -> Vec<(String, Pod<'a>)> {
    let Some(spec) = doc.pointer(ptr) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (t, template) in spec
        .get("templates")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let main = template.get("container").or_else(|| template.get("script"));
        let Some(main) = main else { continue };
        let mut containers = vec![("main".to_owned(), main)];
        for list in ["initContainers", "sidecars"] {
            for (i, c) in template
                .get(list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                containers.push((format!("{list}[{i}]"), c));
            }
        }
        let name = template.get("name").and_then(Value::as_str).unwrap_or("?");
        out.push((
            format!("{ptr}/templates/{t}"),
            Pod {
                spec: template_pod_spec(spec, template),
                containers: containers
                    .into_iter()
                    .map(|(w, c)| (format!("template `{name}` {w}"), c))
                    .collect(),
                annotations: template.pointer("/metadata/annotations"),
            },
        ));
    }
    out
}

/// The pod-level fields of one Argo template's pod.
fn template_pod_spec<'a>(spec: &'a Value, template: &'a Value) -> Cow<'a, Value> {
    // Most templates set no pod-level field of their own: the workflow's spec is the pod.
    let own = ["securityContext", "volumes", "hostNetwork"]
        .iter()
        .any(|k| template.get(*k).is_some());
    if !own {
        return Cow::Borrowed(spec);
    }
    let mut merged = serde_json::Map::new();
    for key in ["hostNetwork", "hostPID", "hostIPC", "securityContext"] {
        if let Some(v) = template.get(key).or_else(|| spec.get(key)) {
            merged.insert(key.into(), v.clone());
        }
    }
    let vols: Vec<Value> = volumes(spec).chain(volumes(template)).cloned().collect();
    merged.insert("volumes".into(), Value::Array(vols));
    Cow::Owned(Value::Object(merged))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A Pod that meets `restricted`.
    fn good() -> Value {
        json!({
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {
                "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [{"name": "c", "image": "x", "securityContext": {
                    "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}],
                "volumes": [{"name": "v", "emptyDir": {}}]
            }
        })
    }

    fn with(pointer: &str, value: Value) -> Value {
        let mut doc = good();
        let (parent, key) = pointer.rsplit_once('/').expect("pointer");
        let mut at = &mut doc;
        for part in parent.split('/').skip(1) {
            at = match at {
                Value::Array(a) => &mut a[part.parse::<usize>().expect("index")],
                v => v
                    .as_object_mut()
                    .expect("object")
                    .entry(part)
                    .or_insert(json!({})),
            };
        }
        match at {
            Value::Array(a) => a.push(value),
            v => {
                v.as_object_mut().expect("object").insert(key.into(), value);
            }
        }
        doc
    }

    fn controls(doc: &Value, level: Level) -> Vec<(Level, &'static str)> {
        let pods = pods_of(doc["kind"].as_str().expect("kind"), doc);
        assert_eq!(pods.len(), 1);
        evaluate(&pods[0].1, level)
            .into_iter()
            .map(|v| (v.level, v.control))
            .collect()
    }

    /// Every control of both levels: a pod that fails it (and only it) and a pod with an
    /// allowed value that passes.
    #[test]
    fn every_control_of_both_levels() {
        use Level::{Baseline as B, Restricted as R};
        let c = "/spec/containers/0/securityContext";
        let cases: Vec<(String, Value, Value, Level, &str)> = vec![
            (
                "/spec/securityContext/windowsOptions".to_owned(),
                json!({"hostProcess": true}),
                json!({"hostProcess": false}),
                B,
                "HostProcess",
            ),
            (
                "/spec/hostNetwork".to_owned(),
                json!(true),
                json!(false),
                B,
                "host namespaces",
            ),
            (
                "/spec/hostPID".to_owned(),
                json!(true),
                json!(false),
                B,
                "host namespaces",
            ),
            (
                "/spec/hostIPC".to_owned(),
                json!(true),
                json!(false),
                B,
                "host namespaces",
            ),
            (
                format!("{c}/privileged"),
                json!(true),
                json!(false),
                B,
                "privileged containers",
            ),
            (
                format!("{c}/capabilities"),
                json!({"drop": ["ALL"], "add": ["SYS_ADMIN"]}),
                json!({"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}),
                B,
                "capabilities",
            ),
            (
                "/spec/volumes/-".to_owned(),
                json!({"name": "h", "hostPath": {"path": "/"}}),
                json!({"name": "s", "secret": {"secretName": "s"}}),
                B,
                "HostPath volumes",
            ),
            (
                "/spec/containers/0/ports".to_owned(),
                json!([{"containerPort": 80, "hostPort": 80}]),
                json!([{"containerPort": 80, "hostPort": 0}]),
                B,
                "host ports",
            ),
            (
                format!("{c}/appArmorProfile"),
                json!({"type": "Unconfined"}),
                json!({"type": "Localhost", "localhostProfile": "p"}),
                B,
                "AppArmor",
            ),
            (
                "/metadata/annotations".to_owned(),
                json!({"container.apparmor.security.beta.kubernetes.io/c": "unconfined"}),
                json!({"container.apparmor.security.beta.kubernetes.io/c": "runtime/default"}),
                B,
                "AppArmor",
            ),
            (
                format!("{c}/seLinuxOptions"),
                json!({"type": "spc_t"}),
                json!({"type": "container_t"}),
                B,
                "SELinux",
            ),
            (
                "/spec/securityContext/seLinuxOptions".to_owned(),
                json!({"user": "system_u"}),
                json!({"level": "s0:c123,c456"}),
                B,
                "SELinux",
            ),
            (
                format!("{c}/procMount"),
                json!("Unmasked"),
                json!("Default"),
                B,
                "/proc mount type",
            ),
            (
                "/spec/securityContext/seccompProfile".to_owned(),
                json!({"type": "Unconfined"}),
                json!({"type": "Localhost", "localhostProfile": "p.json"}),
                B,
                "seccomp",
            ),
            (
                "/spec/securityContext/sysctls".to_owned(),
                json!([{"name": "kernel.msgmax", "value": "1"}]),
                json!([{"name": "net.ipv4.tcp_syncookies", "value": "1"}]),
                B,
                "sysctls",
            ),
            (
                "/spec/volumes/-".to_owned(),
                json!({"name": "n", "nfs": {"server": "s", "path": "/"}}),
                json!({"name": "p", "persistentVolumeClaim": {"claimName": "c"}}),
                R,
                "volume types",
            ),
            (
                format!("{c}/allowPrivilegeEscalation"),
                json!(true),
                json!(false),
                R,
                "privilege escalation",
            ),
            (
                "/spec/securityContext/runAsNonRoot".to_owned(),
                json!(false),
                json!(true),
                R,
                "running as non-root",
            ),
            (
                format!("{c}/runAsUser"),
                json!(0),
                json!(1000),
                R,
                "running as non-root user",
            ),
            (
                format!("{c}/seccompProfile"),
                json!({"type": "Unconfined"}),
                json!({"type": "RuntimeDefault"}),
                B,
                "seccomp",
            ),
            (
                format!("{c}/capabilities"),
                json!({"drop": ["NET_RAW"]}),
                json!({"drop": ["ALL"]}),
                R,
                "capabilities",
            ),
            (
                format!("{c}/capabilities"),
                json!({"drop": ["ALL"], "add": ["CHOWN"]}),
                json!({"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}),
                R,
                "capabilities",
            ),
        ];
        assert!(
            controls(&good(), R).is_empty(),
            "{:?}",
            controls(&good(), R)
        );
        for (pointer, bad, ok, level, control) in cases {
            let failing = with(&pointer, bad.clone());
            let found = controls(&failing, R);
            assert!(
                found.contains(&(level, control)),
                "{pointer} = {bad}: expected {level:?} {control}, got {found:?}"
            );
            assert!(
                found.iter().all(|(_, c)| *c == control),
                "{pointer} = {bad} fails more than {control}: {found:?}"
            );
            if level == R {
                assert!(
                    controls(&failing, B).is_empty(),
                    "{pointer} = {bad} is allowed at baseline"
                );
            }
            let passing = with(&pointer, ok.clone());
            assert!(
                controls(&passing, R).is_empty(),
                "{pointer} = {ok}: {:?}",
                controls(&passing, R)
            );
        }
    }

    /// `restricted`'s non-root and seccomp requirements are met at the pod or at every
    /// container, and a container that says otherwise fails.
    #[test]
    fn pod_or_container_settings() {
        let mut doc = good();
        doc["spec"]["securityContext"] = json!({});
        let found = controls(&doc, Level::Restricted);
        assert!(
            found.contains(&(Level::Restricted, "running as non-root")),
            "{found:?}"
        );
        assert!(found.contains(&(Level::Restricted, "seccomp")), "{found:?}");
        doc["spec"]["containers"][0]["securityContext"]["runAsNonRoot"] = json!(true);
        doc["spec"]["containers"][0]["securityContext"]["seccompProfile"] =
            json!({"type": "RuntimeDefault"});
        assert!(controls(&doc, Level::Restricted).is_empty());
        assert!(controls(&doc, Level::Privileged).is_empty());
    }

    /// Argo templates are pods: the workflow's pod settings with the template's over them,
    /// the main container, sidecars and init containers.
    #[test]
    fn argo_templates_are_pods() {
        let wt = json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate", "metadata": {"name": "w"},
            "spec": {
                "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
                "templates": [
                    {"name": "steps", "steps": []},
                    {"name": "build", "container": {"image": "x", "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}},
                     "sidecars": [{"name": "dind", "image": "docker:dind", "securityContext": {"privileged": true}}]},
                    {"name": "root", "securityContext": {"runAsUser": 0},
                     "script": {"image": "x", "source": "id", "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}}
                ]
            }
        });
        let pods = pods_of("WorkflowTemplate", &wt);
        assert_eq!(
            pods.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
            ["/spec/templates/1", "/spec/templates/2"]
        );
        let build = evaluate(&pods[0].1, Level::Baseline);
        assert_eq!(build.len(), 1);
        assert_eq!(
            build[0].detail,
            "template `build` sidecars[0]: privileged: true"
        );
        // A template's securityContext replaces the workflow's (as Argo builds the pod): the
        // root template loses runAsNonRoot and seccomp too.
        let root: Vec<&str> = evaluate(&pods[1].1, Level::Restricted)
            .iter()
            .map(|v| v.control)
            .collect();
        assert_eq!(
            root,
            ["running as non-root user", "running as non-root", "seccomp"]
        );
    }
}
