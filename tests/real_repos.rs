//! Lint on repositories in the shapes real users have — an app-of-apps repository with a
//! Helm chart, values files, Kustomize bases, overlays, patches and components, hook Jobs
//! and Argo Workflows named by `generateName`, CRDs and their custom resources, a UTF-16
//! file, a byte-order mark, merge keys, empty fields (`tests/repos/app-of-apps`) — and the
//! mistakes seeded into them (`tests/repos/seeded`).

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const REPO: &str = "tests/repos/app-of-apps";

fn lint_in(dir: &Path, args: &[&str]) -> (Option<i32>, Value) {
    let out = Command::cargo_bin("gitops-render")
        .expect("binary")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(["lint", "--format", "json"])
        .args(args)
        .output()
        .expect("runs");
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not a JSON report ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), report)
}

fn findings(report: &Value) -> Vec<&Value> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .collect()
}

fn at(f: &Value) -> String {
    format!(
        "{}:{}:{}",
        f["file"].as_str().unwrap_or("?"),
        f["line"],
        f["column"]
    )
}

/// Errors of these rules on this repository would be false: it is valid Kubernetes, Helm
/// and Kustomize as written. (Its containers are not hardened: the security rules' errors
/// on them are true, and are not in this list.)
const NEVER: &[&str] = &[
    "missing-identity",
    "invalid-yaml",
    "duplicate-key",
    "not-an-object",
    "unreadable-file",
    "schema-invalid",
    "no-schema",
    "duplicate-object",
    "appset-path-missing",
    "sync-wave-order",
];

#[test]
fn a_real_repository_lints_without_a_false_error() {
    let (code, report) = lint_in(Path::new(REPO), &["."]);
    assert_eq!(code, Some(1), "{report:#}");
    let false_errors: Vec<String> = findings(&report)
        .into_iter()
        .filter(|f| f["severity"] == "error" && NEVER.contains(&f["rule"].as_str().unwrap_or("")))
        .map(|f| format!("{} {}: {}", f["rule"], at(f), f["message"]))
        .collect();
    assert!(false_errors.is_empty(), "{false_errors:#?}");
    // Every object of every shape is read: 26 objects, nothing silently dropped.
    assert_eq!(report["summary"]["objects"], 26, "{report:#}");
    let skipped: Vec<(&str, &str)> = report["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .map(|s| {
            (
                s["file"].as_str().unwrap_or(""),
                s["reason"].as_str().unwrap_or(""),
            )
        })
        .collect();
    for (file, why) in [
        ("charts/guestbook/Chart.yaml", "Helm chart metadata"),
        (
            "charts/guestbook/templates/deployment.yaml",
            "Helm template",
        ),
        ("charts/guestbook/values-prod.yaml", "Helm chart file"),
        ("config/guestbook-prod.yaml", "not a Kubernetes object"),
        ("data/feature-flags.json", "not a Kubernetes object"),
        ("kustomize/base/kustomization.yaml", "Kustomize file"),
        (
            "kustomize/components/monitoring/kustomization.yaml",
            "Kustomize file",
        ),
        ("kustomize/overlays/prod/replicas.yaml", "Kustomize patch"),
        ("kustomize/overlays/prod/image-tag.json", "Kustomize patch"),
        ("kustomize/overlays/prod/resources.yaml", "Kustomize patch"),
    ] {
        assert!(
            skipped
                .iter()
                .any(|(f, r)| *f == file && r.starts_with(why)),
            "{file} should be skipped as {why}: {skipped:#?}"
        );
    }
    assert_eq!(report["summary"]["skipped"], skipped.len());
    // The chart's CRD is linted (not skipped), the custom resource validated by the CRD
    // the configuration names, generateName objects carry kubeconform's name.
    let text = report.to_string();
    assert!(
        !skipped.iter().any(|(f, _)| f.contains("crds/")),
        "{skipped:?}"
    );
    assert!(text.contains("Job db-migrate-{{ generateName }}"), "{text}");
    assert!(
        !text.contains("no schema for cert-manager.io/v1 Certificate"),
        "{text}"
    );
}

#[test]
fn seeded_mistakes_are_found_where_they_are() {
    let (code, report) = lint_in(Path::new(REPO), &[".", "../seeded"]);
    assert_eq!(code, Some(1));
    let errors: Vec<(String, String)> = findings(&report)
        .into_iter()
        .filter(|f| f["rule"] == "schema-invalid")
        .map(|f| (at(f), f["message"].as_str().unwrap_or("").to_owned()))
        .collect();
    for (place, says) in [
        ("../seeded/certificate.yaml:8:3", "unknown field `dnsName`"),
        (
            "../seeded/lease.yaml:8:3",
            "unknown field `leaseDurationSecond`",
        ),
        (
            "../seeded/replication-controller.yaml:7:3",
            "at `/spec/replicas`: \"3\" is not of type \"integer\"",
        ),
    ] {
        assert!(
            errors.iter().any(|(p, m)| p == place && m.contains(says)),
            "{place}: {says} not in {errors:#?}"
        );
    }
    assert_eq!(errors.len(), 4, "{errors:#?}");
    let text = report.to_string();
    assert!(
        !text.contains("no schema for webapp.example.com/v1 Guestbook"),
        "{text}"
    );
}

#[test]
fn one_broken_document_does_not_hide_the_others() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("m.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n---\n\
         apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: x}\ndata:\n  k: \"1\"\n  k: \"2\"\n---\n\
         apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: x\n---\n\
         apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: d, namespace: x}\nautomountServiceAccountTokn: false\n",
    )
    .expect("write");
    let (code, report) = lint_in(dir.path(), &["."]);
    assert_eq!(code, Some(1));
    let got: Vec<String> = findings(&report)
        .into_iter()
        .map(|f| format!("{} {}", f["rule"].as_str().unwrap_or(""), at(f)))
        .collect();
    for want in [
        "duplicate-key m.yaml:10:3",
        "invalid-yaml m.yaml:15:1",
        "schema-invalid m.yaml:19:1",
    ] {
        assert!(got.iter().any(|g| g == want), "{want} not in {got:#?}");
    }
    assert_eq!(report["summary"]["objects"], 2, "{report:#}");
}

#[test]
fn configuration_file_and_flags() {
    let dir = tempfile::tempdir().expect("tmp");
    let write = |rel: &str, text: &str| {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    };
    write(
        "apps/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: x}\n",
    );
    write(
        "apps/secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: x}\nstringData: {password: hunter2}\n",
    );
    write(
        "vendor/broken.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [\n",
    );
    // Excluded paths are not read; rejected kinds are errors; skipped kinds not checked.
    let (code, report) = lint_in(dir.path(), &[".", "--exclude", "vendor/**"]);
    assert_eq!(code, Some(1), "{report:#}");
    let rules: Vec<&str> = findings(&report)
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert!(!rules.contains(&"invalid-yaml"), "{rules:?}");
    assert!(rules.contains(&"secret-plaintext"), "{rules:?}");
    let (code, report) = lint_in(
        dir.path(),
        &[
            ".",
            "--exclude",
            "vendor/**",
            "--skip-kind",
            "Secret",
            "--reject-kind",
            "v1/ConfigMap",
        ],
    );
    assert_eq!(code, Some(1));
    let rules: Vec<&str> = findings(&report)
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert_eq!(rules, ["kind-rejected"], "{report:#}");

    // The same from .gitops-render.yaml; a flag wins over the file.
    write(
        ".gitops-render.yaml",
        "lint:\n  exclude: [vendor/**]\n  skipKinds: [Secret]\n  rejectKinds: [ConfigMap]\n",
    );
    let (code, _) = lint_in(dir.path(), &["."]);
    assert_eq!(code, Some(1));
    let (code, report) = lint_in(dir.path(), &[".", "--severity", "kind-rejected=warning"]);
    assert_eq!(code, Some(0), "{report:#}");

    // Mistakes in the configuration are exit 2, where they are written.
    write(
        ".gitops-render.yaml",
        "lint:\n  disable: [image-not-pined]\n",
    );
    let out = Command::cargo_bin("gitops-render")
        .expect("binary")
        .current_dir(dir.path())
        .args(["lint", "."])
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("no rule `image-not-pined`; did you mean `image-not-pinned`?"),
        "{err}"
    );
    assert!(err.contains(".gitops-render.yaml:2:13"), "{err}");
    std::fs::remove_file(dir.path().join(".gitops-render.yaml")).expect("rm");
    for bad in [
        &["--kube-version", "1.99"][..],
        &["--disable", "nope"],
        &["--severity", "image-not-pinned=loud"],
    ] {
        let out = Command::cargo_bin("gitops-render")
            .expect("binary")
            .current_dir(dir.path())
            .args(["lint", "."])
            .args(bad)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
}

#[test]
fn every_kind_kubernetes_serves_has_a_schema() {
    // `kubectl api-resources` of Kubernetes 1.34 at GA versions (create-only review kinds
    // such as TokenReview are never stored, so never in a repository), and the Argo kinds.
    let served = [
        ("v1", "Binding"),
        ("v1", "ComponentStatus"),
        ("v1", "ConfigMap"),
        ("v1", "Endpoints"),
        ("v1", "Event"),
        ("v1", "LimitRange"),
        ("v1", "Namespace"),
        ("v1", "Node"),
        ("v1", "PersistentVolume"),
        ("v1", "PersistentVolumeClaim"),
        ("v1", "Pod"),
        ("v1", "PodTemplate"),
        ("v1", "ReplicationController"),
        ("v1", "ResourceQuota"),
        ("v1", "Secret"),
        ("v1", "Service"),
        ("v1", "ServiceAccount"),
        (
            "admissionregistration.k8s.io/v1",
            "MutatingWebhookConfiguration",
        ),
        (
            "admissionregistration.k8s.io/v1",
            "ValidatingWebhookConfiguration",
        ),
        (
            "admissionregistration.k8s.io/v1",
            "ValidatingAdmissionPolicy",
        ),
        (
            "admissionregistration.k8s.io/v1",
            "ValidatingAdmissionPolicyBinding",
        ),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
        ("apiregistration.k8s.io/v1", "APIService"),
        ("apps/v1", "ControllerRevision"),
        ("apps/v1", "DaemonSet"),
        ("apps/v1", "Deployment"),
        ("apps/v1", "ReplicaSet"),
        ("apps/v1", "StatefulSet"),
        ("autoscaling/v1", "HorizontalPodAutoscaler"),
        ("autoscaling/v2", "HorizontalPodAutoscaler"),
        ("batch/v1", "CronJob"),
        ("batch/v1", "Job"),
        ("certificates.k8s.io/v1", "CertificateSigningRequest"),
        ("coordination.k8s.io/v1", "Lease"),
        ("discovery.k8s.io/v1", "EndpointSlice"),
        ("events.k8s.io/v1", "Event"),
        ("flowcontrol.apiserver.k8s.io/v1", "FlowSchema"),
        (
            "flowcontrol.apiserver.k8s.io/v1",
            "PriorityLevelConfiguration",
        ),
        ("networking.k8s.io/v1", "IngressClass"),
        ("networking.k8s.io/v1", "Ingress"),
        ("networking.k8s.io/v1", "IPAddress"),
        ("networking.k8s.io/v1", "NetworkPolicy"),
        ("networking.k8s.io/v1", "ServiceCIDR"),
        ("node.k8s.io/v1", "RuntimeClass"),
        ("policy/v1", "PodDisruptionBudget"),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
        ("rbac.authorization.k8s.io/v1", "ClusterRole"),
        ("rbac.authorization.k8s.io/v1", "RoleBinding"),
        ("rbac.authorization.k8s.io/v1", "Role"),
        ("resource.k8s.io/v1", "DeviceClass"),
        ("resource.k8s.io/v1", "ResourceClaim"),
        ("resource.k8s.io/v1", "ResourceClaimTemplate"),
        ("resource.k8s.io/v1", "ResourceSlice"),
        ("scheduling.k8s.io/v1", "PriorityClass"),
        ("storage.k8s.io/v1", "CSIDriver"),
        ("storage.k8s.io/v1", "CSINode"),
        ("storage.k8s.io/v1", "CSIStorageCapacity"),
        ("storage.k8s.io/v1", "StorageClass"),
        ("storage.k8s.io/v1", "VolumeAttachment"),
        ("storage.k8s.io/v1", "VolumeAttributesClass"),
        ("argoproj.io/v1alpha1", "Workflow"),
        ("argoproj.io/v1alpha1", "WorkflowTemplate"),
        ("argoproj.io/v1alpha1", "ClusterWorkflowTemplate"),
        ("argoproj.io/v1alpha1", "CronWorkflow"),
        ("argoproj.io/v1alpha1", "WorkflowEventBinding"),
        ("argoproj.io/v1alpha1", "WorkflowTaskSet"),
        ("argoproj.io/v1alpha1", "WorkflowTaskResult"),
        ("argoproj.io/v1alpha1", "WorkflowArtifactGCTask"),
        ("argoproj.io/v1alpha1", "Application"),
        ("argoproj.io/v1alpha1", "ApplicationSet"),
        ("argoproj.io/v1alpha1", "AppProject"),
    ];
    // Binding is create-only (a subresource's body): the one exception.
    let missing: Vec<String> = served
        .iter()
        .filter(|(_, k)| *k != "Binding")
        .filter(|(v, k)| gitops_render::schema::objects::validator(v, k).is_none())
        .map(|(v, k)| format!("{v} {k}"))
        .collect();
    assert!(missing.is_empty(), "no schema for: {missing:#?}");
}

#[test]
fn removed_apis_name_the_replacement_of_each_kind() {
    let text = "apiVersion: extensions/v1beta1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: x}\nspec: {podSelector: {}}\n---\n\
                apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: web, namespace: x}\n---\n\
                apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: web, namespace: x}\n\
                spec: {scaleTargetRef: {kind: Deployment, name: web}, maxReplicas: 3, targetCPUUtilizationPercentage: 80}\n";
    let out = Command::cargo_bin("gitops-render")
        .expect("binary")
        .args(["lint", "-", "--format", "json"])
        .write_stdin(text)
        .output()
        .expect("runs");
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    let removed: Vec<&str> = findings(&report)
        .into_iter()
        .filter(|f| f["rule"] == "removed-api-version")
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert_eq!(
        removed,
        [
            "extensions/v1beta1 NetworkPolicy was removed in Kubernetes 1.16; use networking.k8s.io/v1",
            "extensions/v1beta1 Ingress was removed in Kubernetes 1.22; use networking.k8s.io/v1",
        ]
    );
    // autoscaling/v1 is still served, and validated.
    assert!(!report
        .to_string()
        .contains("HorizontalPodAutoscaler was removed"));
    assert!(!report.to_string().contains("no schema for autoscaling/v1"));
}

#[test]
fn no_report_prints_a_secret_value() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("s.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: x}\nstringData: {password: s3cr3t-pw, enabled: yes}\n---\n\
         apiVersion: v1\nkind: Secret\nmetadata:\n  name: db2\n  namespace: x\ndata:\n  token: czNjcjN0LXB3\n  token: b3RoZXItdG9rZW4=\n---\n\
         apiVersion: v1\nkind: Secret\nmetadata: {name: db3, namespace: x}\nstringData:\n  pin: 90817\n",
    )
    .expect("write");
    for format in ["human", "json", "sarif", "github", "junit"] {
        let out = Command::cargo_bin("gitops-render")
            .expect("binary")
            .current_dir(dir.path())
            .args(["lint", ".", "--format", format])
            .output()
            .expect("runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{format}: {text}");
        for secret in [
            "s3cr3t-pw",
            "czNjcjN0LXB3",
            "b3RoZXItdG9rZW4=",
            "90817",
            "unquoted `yes`",
        ] {
            assert!(!text.contains(secret), "{format} prints {secret}:\n{text}");
        }
        assert!(text.contains("db3"), "{format}: {text}");
    }
}

/// kubeconform's documented strict-mode verdicts (its acceptance tests) for the shapes it
/// describes, each written here as its own small manifest: valid or invalid (an error from
/// the schema family), and how many objects were read.
#[test]
fn kubeconform_strict_verdicts_are_matched() {
    const SCHEMA_FAMILY: &[&str] = &[
        "schema-invalid",
        "no-schema",
        "missing-identity",
        "invalid-yaml",
        "duplicate-key",
        "not-an-object",
        "unreadable-file",
    ];
    let svc = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: x}\nspec:\n  selector: {app: web}\n  ports:\n  - port: 80\n    targetPort: 8080\n";
    let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: proxies.example.com}\nspec:\n  group: example.com\n  names: {kind: Proxy, plural: proxies}\n  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          spec:\n            type: object\n            properties:\n              port: {x-kubernetes-int-or-string: true}\n";
    let cases: Vec<(&str, String, &[&str], bool, usize)> = vec![
        ("valid", svc.into(), &[], true, 1),
        (
            "valid.json",
            r#"{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "x"}, "data": {"a": "1"}}"#.into(),
            &[],
            true,
            1,
        ),
        ("multi valid", format!("{svc}---\n{}", svc.replace("name: web", "name: web2")), &[], true, 2),
        (
            "multi with one invalid",
            format!("{svc}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d, namespace: x}}\nspec:\n  replicas: many\n  selector: {{matchLabels: {{app: d}}}}\n  template:\n    metadata: {{labels: {{app: d}}}}\n    spec:\n      containers: [{{name: c, image: 'nginx:1.27'}}]\n"),
            &[],
            false,
            2,
        ),
        (
            "list valid",
            "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a, namespace: x}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b, namespace: x}}\n".into(),
            &[],
            true,
            2,
        ),
        (
            "list with an invalid item",
            "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a, namespace: x}, data: {k: [1]}}\n".into(),
            &[],
            false,
            1,
        ),
        ("empty list", "---\napiVersion: v1\nkind: List\nitems: []\n".into(), &[], true, 0),
        ("blank", "".into(), &[], true, 0),
        ("comment only", "# nothing yet\n".into(), &[], true, 0),
        (
            "generateName",
            "apiVersion: batch/v1\nkind: Job\nmetadata: {generateName: pi-, namespace: x}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: pi, image: 'perl:5.40', command: [perl, -e, print]}]\n".into(),
            &[],
            true,
            1,
        ),
        (
            "quantities as strings and numbers",
            "apiVersion: v1\nkind: LimitRange\nmetadata: {name: mem, namespace: x}\nspec:\n  limits:\n  - default: {memory: 512Mi}\n    defaultRequest: {memory: 256000, cpu: 0.5}\n    type: Container\n".into(),
            &[],
            true,
            1,
        ),
        ("int-or-string", svc.replace("targetPort: 8080", "targetPort: http"), &[], true, 1),
        (
            "null array and null strings",
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: front\n  namespace: x\n  creationTimestamp: null\n  annotations:\nspec:\n  selector: {app: front}\n  ports:\n  - port: 80\n    name:\n  externalIPs:\n    # - 10.0.0.1\nstatus:\n  loadBalancer: {}\n".into(),
            &[],
            true,
            1,
        ),
        ("missing kind", "apiVersion: v1\nmetadata: {name: a}\n".into(), &[], false, 1),
        ("missing apiVersion", "kind: ConfigMap\nmetadata: {name: a}\n".into(), &[], false, 1),
        ("missing kind value", "kind:\n".into(), &[], false, 1),
        (
            "extra property",
            "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: ds, namespace: x}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: ds}}\n  template:\n    metadata: {labels: {app: ds}}\n    spec:\n      containers: [{name: c, image: 'nginx:1.27'}]\n".into(),
            &[],
            false,
            1,
        ),
        (
            "duplicate property",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\ndata:\n  k: '1'\n  k: '2'\n".into(),
            &[],
            false,
            0,
        ),
        (
            "custom resource without a schema, strict",
            "apiVersion: example.com/v1\nkind: Proxy\nmetadata: {name: p, namespace: x}\nspec: {port: 80}\n".into(),
            &["--strict-kinds"],
            false,
            1,
        ),
        (
            "custom resource without a schema (a warning, as -ignore-missing-schemas)",
            "apiVersion: example.com/v1\nkind: Proxy\nmetadata: {name: p, namespace: x}\nspec: {port: 80}\n".into(),
            &[],
            true,
            1,
        ),
        (
            "custom resource with its CRD",
            "apiVersion: example.com/v1\nkind: Proxy\nmetadata: {name: p, namespace: x}\nspec: {port: http}\n".into(),
            &["--crd", "crd.yaml", "--strict-kinds"],
            true,
            1,
        ),
        (
            "custom resource breaking its CRD",
            "apiVersion: example.com/v1\nkind: Proxy\nmetadata: {name: p, namespace: x}\nspec: {port: 80, prot: 1}\n".into(),
            &["--crd", "crd.yaml"],
            false,
            1,
        ),
    ];
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("crd.yaml"), crd).expect("crd");
    for (name, text, flags, valid, objects) in cases {
        let file = if name.ends_with(".json") {
            "case.json"
        } else {
            "case.yaml"
        };
        std::fs::write(dir.path().join(file), &text).expect("write");
        let mut args = vec![file];
        args.extend_from_slice(flags);
        let (_, report) = lint_in(dir.path(), &args);
        let errors: Vec<String> = findings(&report)
            .into_iter()
            .filter(|f| f["severity"] == "error")
            .filter(|f| SCHEMA_FAMILY.contains(&f["rule"].as_str().unwrap_or("")))
            .map(|f| format!("{} {}", f["rule"], f["message"]))
            .collect();
        assert_eq!(errors.is_empty(), valid, "{name}: {errors:#?}\n{text}");
        assert_eq!(report["summary"]["objects"], objects, "{name}: {report:#}");
        std::fs::remove_file(dir.path().join(file)).expect("rm");
    }
}

/// Linted from elsewhere, reports name files as typed (`tests/repos/app-of-apps/...`), so CI
/// annotations attach, while rules still see the repository's own paths.
#[test]
fn paths_are_shown_as_typed() {
    let config = format!("{REPO}/.gitops-render.yaml");
    let (_, report) = lint_in(Path::new("."), &[REPO, "--config", &config]);
    let false_errors: Vec<String> = findings(&report)
        .into_iter()
        .filter(|f| f["severity"] == "error" && NEVER.contains(&f["rule"].as_str().unwrap_or("")))
        .map(|f| format!("{} {}: {}", f["rule"], at(f), f["message"]))
        .collect();
    assert!(false_errors.is_empty(), "{false_errors:#?}");
    let prefix = format!("{REPO}/");
    for f in findings(&report) {
        assert!(
            f["file"].as_str().is_some_and(|p| p.starts_with(&prefix)),
            "{f}"
        );
    }
    for s in report["skipped"].as_array().expect("skipped") {
        assert!(
            s["file"].as_str().is_some_and(|p| p.starts_with(&prefix)),
            "{s}"
        );
    }
    assert_eq!(report["summary"]["skipped"], 14, "{report:#}");
}

/// A folder of JSON Schemas in the CRD catalogs' layout validates custom resources, and the
/// machine formats carry what CI tools read: SARIF rule help, URI bases and encoded paths,
/// JUnit warnings as output, JSON help.
#[test]
fn schema_folders_and_machine_formats() {
    let dir = tempfile::tempdir().expect("tmp");
    let catalog = dir.path().join("catalog/example.com");
    std::fs::create_dir_all(&catalog).expect("mkdir");
    std::fs::write(
        catalog.join("proxy_v1.json"),
        r#"{"type": "object", "properties": {"apiVersion": {}, "kind": {}, "metadata": {}, "spec": {"type": "object", "properties": {"port": {"type": "integer"}}, "additionalProperties": false}}}"#,
    )
    .expect("schema");
    std::fs::create_dir_all(dir.path().join("my app")).expect("mkdir");
    std::fs::write(
        dir.path().join("my app/proxy.yaml"),
        "apiVersion: example.com/v1\nkind: Proxy\nmetadata: {name: p, namespace: x}\nspec: {port: 80, prot: 1}\n---\n\
         apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: x}\ndata: {on: 'y'}\n",
    )
    .expect("cr");
    let (code, report) = lint_in(dir.path(), &["my app", "--schema-dir", "catalog"]);
    assert_eq!(code, Some(1), "{report:#}");
    let errors: Vec<String> = findings(&report)
        .into_iter()
        .filter(|f| f["rule"] == "schema-invalid")
        .map(|f| format!("{} {}", at(f), f["message"]))
        .collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(errors[0].starts_with("my app/proxy.yaml:4:"), "{errors:#?}");
    assert!(
        findings(&report).iter().all(|f| f["help"].is_string()),
        "{report:#}"
    );

    let run = |format: &str| {
        let out = Command::cargo_bin("gitops-render")
            .expect("binary")
            .current_dir(dir.path())
            .args([
                "lint",
                "my app",
                "--schema-dir",
                "catalog",
                "--format",
                format,
            ])
            .output()
            .expect("runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let sarif: Value = serde_json::from_str(&run("sarif")).expect("sarif");
    let run0 = &sarif["runs"][0];
    let root = run0["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap_or("");
    assert!(
        root.starts_with("file:///") && root.ends_with('/'),
        "{root}"
    );
    let location = &run0["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(location["uri"], "my%20app/proxy.yaml");
    assert_eq!(location["uriBaseId"], "%SRCROOT%");
    let rule = &run0["tool"]["driver"]["rules"][0];
    assert!(rule["help"]["markdown"]
        .as_str()
        .is_some_and(|m| m.contains("## What it does")));
    // Every helpUri lands on the rule's own heading in docs/rules.md, on the project's site.
    let project = env!("CARGO_PKG_REPOSITORY");
    assert_eq!(run0["tool"]["driver"]["informationUri"], project);
    let page = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md"))
        .expect("docs/rules.md");
    for rule in run0["tool"]["driver"]["rules"].as_array().expect("rules") {
        let id = rule["id"].as_str().expect("id");
        assert_eq!(
            rule["helpUri"],
            format!("{project}/blob/main/docs/rules.md#{id}")
        );
        assert!(page.contains(&format!("\n# {id}\n")), "{id} has no heading");
    }
    let junit = run("junit");
    assert!(
        junit.contains("<system-out>warning: my app/proxy.yaml:"),
        "{junit}"
    );
}

/// `--format junit` validates against the common JUnit schema (`tests/schemas/junit.xsd`),
/// checked with Python's `xmlschema`, installed on first use into the test's own target
/// folder (from PyPI; nothing outside `target/` is touched).
#[test]
fn junit_report_validates_against_the_junit_schema() {
    let site = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-xmlschema");
    if !site.join("xmlschema").is_dir() {
        let install = std::process::Command::new("python3")
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .arg("--target")
            .arg(&site)
            .arg("xmlschema==4.3.2")
            .output()
            .expect("python3 runs");
        assert!(
            install.status.success(),
            "pip install xmlschema: {}",
            String::from_utf8_lossy(&install.stderr)
        );
    }
    let out = Command::cargo_bin("gitops-render")
        .expect("binary")
        .args(["lint", "tests/repos/seeded", "--format", "junit"])
        .output()
        .expect("runs");
    let dir = tempfile::tempdir().expect("tmp");
    let xml = dir.path().join("lint.xml");
    std::fs::write(&xml, &out.stdout).expect("write");
    let check = std::process::Command::new("python3")
        .env("PYTHONPATH", &site)
        .args([
            "-c",
            "import sys, xmlschema; xmlschema.XMLSchema(sys.argv[1]).validate(sys.argv[2])",
            "tests/schemas/junit.xsd",
        ])
        .arg(&xml)
        .output()
        .expect("python3 runs");
    assert!(
        check.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&check.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
}
