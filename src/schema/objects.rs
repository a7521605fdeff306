//! Strict schemas for Kubernetes and Argo objects, for `lint`.
//!
//! Kubernetes kinds come from k8s-openapi's `schemars` derivation (one Kubernetes version per
//! build: 1.34), Argo kinds from the upstream CRDs embedded from `schemas/crds/`. Both are made
//! strict by [`super::crd::strict`]. Each validator is built on first use and shared by all
//! threads; a run that lints no CronWorkflow never parses that CRD.

use std::sync::OnceLock;

use jsonschema::{Draft, Validator};
use k8s_openapi::Resource;
use serde_json::{json, Value};

use super::crd;
use super::workflow_parts::Part;

/// The Kubernetes version the built-in schemas describe.
pub const KUBE_VERSION: &str = "1.34";

struct Entry {
    api_version: &'static str,
    kind: &'static str,
    make: fn() -> Value,
    /// The dialect the schema is written in.
    draft: Draft,
    cell: OnceLock<Validator>,
}

macro_rules! kube {
    ($($t:ty),* $(,)?) => {
        [$(Entry {
            api_version: <$t as Resource>::API_VERSION,
            kind: <$t as Resource>::KIND,
            make: kube_schema::<$t>,
            // What schemars derives.
            draft: Draft::Draft202012,
            cell: OnceLock::new(),
        }),*]
    };
}

macro_rules! argo {
    ($($kind:literal => $file:literal),* $(,)?) => {
        [$(Entry {
            api_version: "argoproj.io/v1alpha1",
            kind: $kind,
            // The strict schema build.rs made of schemas/crds/$file.
            make: || serde_json::from_str(include_str!(concat!(env!("OUT_DIR"), "/", $file, ".strict.json")))
                .unwrap_or_else(|_| json!({})),
            // A CRD's OpenAPI v3 schema is draft 4 with OpenAPI's additions (boolean
            // `exclusiveMinimum`, `$ref` not allowed); compiling it as such is also half the
            // time of the 2020-12 dialect (meta-schema validation of the 400 KB
            // WorkflowTemplate schema is the larger part of its compile).
            draft: Draft::Draft4,
            cell: OnceLock::new(),
        }),*]
    };
}

use k8s_openapi::api::{
    admissionregistration, apps, autoscaling, batch, certificates, coordination, core, discovery,
    events, flowcontrol, networking, node, policy, rbac, resource, scheduling, storage,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiextensions;
use k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1 as apiregistration;

/// Every kind Kubernetes 1.34 serves at a GA version (`tests/corpus.rs` checks the list),
/// the commonest first.
static KUBE: [Entry; 59] = kube![
    core::v1::Namespace,
    core::v1::Pod,
    core::v1::Service,
    core::v1::ConfigMap,
    core::v1::Secret,
    core::v1::ServiceAccount,
    core::v1::ResourceQuota,
    core::v1::LimitRange,
    rbac::v1::Role,
    rbac::v1::RoleBinding,
    networking::v1::NetworkPolicy,
    apps::v1::Deployment,
    admissionregistration::v1::MutatingWebhookConfiguration,
    admissionregistration::v1::ValidatingAdmissionPolicy,
    admissionregistration::v1::ValidatingAdmissionPolicyBinding,
    admissionregistration::v1::ValidatingWebhookConfiguration,
    apps::v1::ControllerRevision,
    apps::v1::DaemonSet,
    apps::v1::ReplicaSet,
    apps::v1::StatefulSet,
    autoscaling::v1::HorizontalPodAutoscaler,
    autoscaling::v2::HorizontalPodAutoscaler,
    batch::v1::CronJob,
    batch::v1::Job,
    certificates::v1::CertificateSigningRequest,
    coordination::v1::Lease,
    core::v1::ComponentStatus,
    core::v1::Endpoints,
    core::v1::Event,
    core::v1::Node,
    core::v1::PersistentVolume,
    core::v1::PersistentVolumeClaim,
    core::v1::PodTemplate,
    core::v1::ReplicationController,
    discovery::v1::EndpointSlice,
    events::v1::Event,
    flowcontrol::v1::FlowSchema,
    flowcontrol::v1::PriorityLevelConfiguration,
    networking::v1::IPAddress,
    networking::v1::Ingress,
    networking::v1::IngressClass,
    networking::v1::ServiceCIDR,
    node::v1::RuntimeClass,
    policy::v1::PodDisruptionBudget,
    rbac::v1::ClusterRole,
    rbac::v1::ClusterRoleBinding,
    resource::v1::DeviceClass,
    resource::v1::ResourceClaim,
    resource::v1::ResourceClaimTemplate,
    resource::v1::ResourceSlice,
    scheduling::v1::PriorityClass,
    storage::v1::CSIDriver,
    storage::v1::CSINode,
    storage::v1::CSIStorageCapacity,
    storage::v1::StorageClass,
    storage::v1::VolumeAttachment,
    storage::v1::VolumeAttributesClass,
    apiextensions::CustomResourceDefinition,
    apiregistration::APIService,
];

static ARGO: [Entry; 11] = argo![
    "Workflow" => "argoproj.io_workflows.yaml",
    "WorkflowEventBinding" => "argoproj.io_workfloweventbindings.yaml",
    "WorkflowTaskSet" => "argoproj.io_workflowtasksets.yaml",
    "WorkflowTaskResult" => "argoproj.io_workflowtaskresults.yaml",
    "WorkflowArtifactGCTask" => "argoproj.io_workflowartifactgctasks.yaml",
    "WorkflowTemplate" => "argoproj.io_workflowtemplates.yaml",
    "ClusterWorkflowTemplate" => "argoproj.io_clusterworkflowtemplates.yaml",
    "CronWorkflow" => "argoproj.io_cronworkflows.yaml",
    "Application" => "application-crd.yaml",
    "ApplicationSet" => "applicationset-crd.yaml",
    "AppProject" => "appproject-crd.yaml",
];

/// Backstage catalog entities the render writes next to the tree (`<env>/backstage/`).
static BACKSTAGE: [Entry; 1] = [Entry {
    api_version: "backstage.io/v1alpha1",
    kind: "Resource",
    make: || {
        serde_json::from_str(include_str!("../../schemas/backstage/resource.schema.json"))
            .unwrap_or_else(|_| json!({}))
    },
    draft: Draft::Draft7,
    cell: OnceLock::new(),
}];

/// A part of the vendored Workflow CRD's strict schema (see [`super::workflow_parts`]), for
/// pack fields that hold what Argo itself reads, with no hand-kept copy to drift. build.rs
/// wrote each part to its own file.
pub fn workflow_part(part: &Part) -> Value {
    macro_rules! parts {
        ($($name:literal),*) => {
            [$(($name, include_str!(concat!(env!("OUT_DIR"), "/workflow.", $name, ".strict.json")))),*]
        };
    }
    const TEXTS: [(&str, &str); 2] = parts!("artifact-repository", "security-context");
    TEXTS
        .iter()
        .find(|(name, _)| *name == part.name)
        .and_then(|(_, text)| serde_json::from_str(text).ok())
        .unwrap_or_else(|| json!({"type": "object"}))
}

fn kube_schema<T: schemars::JsonSchema>() -> Value {
    let raw = serde_json::to_value(schemars::schema_for!(T)).unwrap_or(Value::Null);
    let mut s = crd::strict(&raw);
    if let Some(defs) = s.get_mut("$defs").and_then(Value::as_object_mut) {
        // Quantities are written as numbers too (`cpu: 0.5`, `memory: 1e9`).
        if defs.contains_key("io.k8s.apimachinery.pkg.api.resource.Quantity") {
            defs.insert(
                "io.k8s.apimachinery.pkg.api.resource.Quantity".into(),
                json!({"anyOf": [{"type": "number"}, {"type": "string"}]}),
            );
        }
        // A CRD schema's `enum`, `default` and `example` hold any JSON value; k8s-openapi
        // describes that type as an object, which refused every `enum: [RSA, ECDSA]`.
        let json = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON";
        if defs.contains_key(json) {
            defs.insert(json.into(), json!({}));
        }
        // kubectl writes `creationTimestamp: null` into generated manifests.
        if defs.contains_key("io.k8s.apimachinery.pkg.apis.meta.v1.Time") {
            defs.insert(
                "io.k8s.apimachinery.pkg.apis.meta.v1.Time".into(),
                json!({"type": ["string", "null"]}),
            );
        }
    }
    s
}

/// The strict validator for `apiVersion`/`kind`, or `None` when no schema is known.
pub fn validator(api_version: &str, kind: &str) -> Option<&'static Validator> {
    // Every document asks: an index by kind, then its few apiVersions (70 entries scanned
    // per object cost more than the lookup of a WorkflowTemplate's validator itself).
    type Index = std::collections::HashMap<&'static str, Vec<&'static Entry>>;
    static INDEX: OnceLock<Index> = OnceLock::new();
    let index = INDEX.get_or_init(|| {
        let mut index = Index::new();
        for e in KUBE.iter().chain(ARGO.iter()).chain(BACKSTAGE.iter()) {
            index.entry(e.kind).or_default().push(e);
        }
        index
    });
    let entry = index
        .get(kind)?
        .iter()
        .find(|e| e.api_version == api_version)?;
    Some(entry.cell.get_or_init(|| {
        let schema = (entry.make)();
        jsonschema::options()
            .with_draft(entry.draft)
            .build(&schema)
            .unwrap_or_else(|e| panic!("built-in schema for {kind} does not compile: {e}"))
    }))
}

/// Compile the validators of `kinds` on another thread while the caller reads its input:
/// the first object of a kind would otherwise wait for its schema (the WorkflowTemplate
/// schema alone is ~20 ms), and a run that needs none of them does not wait for it.
pub fn compile_ahead(kinds: &'static [(&'static str, &'static str)]) {
    std::thread::spawn(move || {
        for (api_version, kind) in kinds {
            validator(api_version, kind);
        }
    });
}

/// Is some version of this kind known (so a wrong apiVersion is not "no schema")?
pub fn known_kind(kind: &str) -> Vec<&'static str> {
    KUBE.iter()
        .chain(ARGO.iter())
        .chain(BACKSTAGE.iter())
        .filter(|e| e.kind == kind)
        .map(|e| e.api_version)
        .collect()
}

/// apiVersions removed from Kubernetes: (apiVersion, kinds it served or `*`, removed in, use instead).
pub const REMOVED_APIS: &[(&str, &str, &str, &str)] = &[
    // A removed group served several kinds: each names its own replacement first.
    ("extensions/v1beta1", "Deployment", "1.16", "apps/v1"),
    ("extensions/v1beta1", "DaemonSet", "1.16", "apps/v1"),
    ("extensions/v1beta1", "ReplicaSet", "1.16", "apps/v1"),
    (
        "extensions/v1beta1",
        "NetworkPolicy",
        "1.16",
        "networking.k8s.io/v1",
    ),
    (
        "extensions/v1beta1",
        "PodSecurityPolicy",
        "1.16",
        "nothing (PodSecurityPolicy is gone: Pod Security admission)",
    ),
    (
        "extensions/v1beta1",
        "Ingress",
        "1.22",
        "networking.k8s.io/v1",
    ),
    (
        "extensions/v1beta1",
        "*",
        "1.16",
        "apps/v1 or networking.k8s.io/v1",
    ),
    ("apps/v1beta1", "*", "1.16", "apps/v1"),
    ("apps/v1beta2", "*", "1.16", "apps/v1"),
    (
        "networking.k8s.io/v1beta1",
        "*",
        "1.22",
        "networking.k8s.io/v1",
    ),
    (
        "rbac.authorization.k8s.io/v1beta1",
        "*",
        "1.22",
        "rbac.authorization.k8s.io/v1",
    ),
    (
        "apiextensions.k8s.io/v1beta1",
        "*",
        "1.22",
        "apiextensions.k8s.io/v1",
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        "*",
        "1.22",
        "admissionregistration.k8s.io/v1",
    ),
    (
        "scheduling.k8s.io/v1beta1",
        "*",
        "1.22",
        "scheduling.k8s.io/v1",
    ),
    ("storage.k8s.io/v1beta1", "*", "1.22", "storage.k8s.io/v1"),
    (
        "certificates.k8s.io/v1beta1",
        "*",
        "1.22",
        "certificates.k8s.io/v1",
    ),
    (
        "coordination.k8s.io/v1beta1",
        "*",
        "1.22",
        "coordination.k8s.io/v1",
    ),
    ("batch/v1beta1", "*", "1.25", "batch/v1"),
    (
        "policy/v1beta1",
        "PodSecurityPolicy",
        "1.25",
        "nothing (PodSecurityPolicy is gone: Pod Security admission)",
    ),
    ("policy/v1beta1", "*", "1.25", "policy/v1"),
    (
        "discovery.k8s.io/v1beta1",
        "*",
        "1.25",
        "discovery.k8s.io/v1",
    ),
    ("events.k8s.io/v1beta1", "*", "1.25", "events.k8s.io/v1"),
    ("autoscaling/v2beta1", "*", "1.25", "autoscaling/v2"),
    ("autoscaling/v2beta2", "*", "1.26", "autoscaling/v2"),
    (
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "*",
        "1.26",
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    (
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "*",
        "1.29",
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    (
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "*",
        "1.32",
        "flowcontrol.apiserver.k8s.io/v1",
    ),
];

/// Kinds still served but deprecated: (apiVersion, kind, deprecated in, use instead).
pub const DEPRECATED_KINDS: &[(&str, &str, &str, &str)] = &[
    (
        "v1",
        "Endpoints",
        "1.33",
        "discovery.k8s.io/v1 EndpointSlice",
    ),
    (
        "v1",
        "ComponentStatus",
        "1.19",
        "the API server's /livez and /readyz",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubernetes_schemas_are_strict_and_accept_both_quantity_forms() {
        let v = validator("apps/v1", "Deployment").expect("known");
        let mut d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x", "creationTimestamp": null},
            "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.27", "resources": {"requests": {"cpu": 0.5, "memory": "64Mi"}},
            "ports": [{"containerPort": 80}], "livenessProbe": {"httpGet": {"port": "http", "path": "/"}}}]}}}});
        assert!(
            v.is_valid(&d),
            "{:?}",
            v.iter_errors(&d).map(|e| e.to_string()).collect::<Vec<_>>()
        );
        d["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = json!("Always");
        assert!(!v.is_valid(&d));
    }

    /// build.rs makes the vendored CRDs strict with serde_yaml and `crd::from_crd`; the
    /// project's own YAML reader and the run-time conversion must give the same schema, so
    /// what lint checks against is the file, not an approximation.
    #[test]
    fn build_time_strict_schemas_are_the_vendored_crds() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/crds");
        let mut checked = 0;
        for entry in std::fs::read_dir(&dir).expect("schemas/crds") {
            let path = entry.expect("entry").path();
            if path.extension().is_none_or(|x| x != "yaml") {
                continue;
            }
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            let yaml = std::fs::read_to_string(&path).expect("read");
            let built = std::fs::read_to_string(
                std::path::Path::new(env!("OUT_DIR")).join(format!("{name}.strict.json")),
            )
            .expect("build.rs wrote it");
            let crd = crate::source::parse_single(&yaml).expect("parses");
            let at_run_time = crd::from_crd(&crd).remove(0);
            let built: Value = serde_json::from_str(&built).expect("parses");
            assert!(
                at_run_time.schema == built,
                "{name}: build-time schema differs"
            );
            let entry = ARGO
                .iter()
                .find(|e| e.kind == at_run_time.kind)
                .expect("an entry for the CRD's kind");
            assert_eq!(entry.api_version, at_run_time.api_version(), "{name}");
            assert!(
                (entry.make)() == built,
                "{name}: the entry reads another file"
            );
            checked += 1;
        }
        assert_eq!(checked, ARGO.len());
    }

    /// Each part build.rs wrote is the part of the Workflow schema its pointer names.
    #[test]
    fn workflow_parts_are_the_workflow_schema_at_their_pointers() {
        let workflow = ARGO
            .iter()
            .find(|e| e.kind == "Workflow")
            .map(|e| (e.make)())
            .expect("the Workflow entry");
        for part in super::super::workflow_parts::PARTS {
            let at = workflow
                .pointer(part.pointer)
                .expect("the pointer resolves");
            assert!(
                at.get("properties").is_some(),
                "{}: an object schema",
                part.name
            );
            assert!(workflow_part(&part) == *at, "{}", part.name);
        }
    }

    #[test]
    fn unknown_kinds_have_no_schema() {
        assert!(validator("example.com/v1", "Widget").is_none());
        assert_eq!(known_kind("Deployment"), vec!["apps/v1"]);
    }
}
