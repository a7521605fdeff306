//! Strict schemas for Kubernetes and Argo objects, for `lint`.
//!
//! Kubernetes kinds come from k8s-openapi's `schemars` derivation (one Kubernetes version per
//! build: 1.34), Argo kinds from the upstream CRDs embedded from `schemas/crds/`. Both are made
//! strict by [`super::crd::strict`]. Each validator is built on first use and shared by all
//! threads; a run that lints no CronWorkflow never parses that CRD, and objects of a CRD kind
//! are checked against the schema cut to the fields such objects have so far ([`is_valid`],
//! [`super::cut`]), read from the schema's nodes ([`super::split`]), instead of parsing and
//! compiling all of it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use jsonschema::{Draft, Validator};
use k8s_openapi::Resource;
use serde_json::{json, Value};

use super::crd;
use super::cut::Reach;
use super::split::Nodes;
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
    /// The schema's nodes, for cuts ([`is_valid`]): the CRDs' schemas, written without
    /// `$ref`. Empty for a schema that cannot be cut.
    nodes: Nodes,
    /// The schema cut to the objects checked so far, compiled ([`is_valid`]).
    grown: Mutex<Option<Arc<Grown>>>,
    /// Objects checked against the cut so far (see [`CUT_CHECKS`]).
    checks: AtomicUsize,
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
            // Its definitions are reached through `$ref`.
            nodes: Nodes::new(""),
            grown: Mutex::new(None),
            checks: AtomicUsize::new(0),
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
            // Split by build.rs ([`super::split`]).
            nodes: Nodes::new(include_str!(concat!(env!("OUT_DIR"), "/", $file, ".nodes"))),
            grown: Mutex::new(None),
            checks: AtomicUsize::new(0),
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
    nodes: Nodes::new(""),
    grown: Mutex::new(None),
    checks: AtomicUsize::new(0),
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

fn entry(api_version: &str, kind: &str) -> Option<&'static Entry> {
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
    index
        .get(kind)?
        .iter()
        .find(|e| e.api_version == api_version)
        .copied()
}

/// Is a schema built in for `apiVersion`/`kind`? (Nothing is compiled to answer.)
pub fn has_schema(api_version: &str, kind: &str) -> bool {
    entry(api_version, kind).is_some()
}

/// The strict validator for `apiVersion`/`kind`, or `None` when no schema is known.
pub fn validator(api_version: &str, kind: &str) -> Option<&'static Validator> {
    entry(api_version, kind).map(Entry::validator)
}

/// How many times the cut schema of a CRD kind grows ([`is_valid`]) before the whole schema
/// is compiled instead. A cut WorkflowTemplate schema compiles in ~1 ms, the whole one in
/// ~20 ms: a render of thousands of WorkflowTemplates made from a dozen templates grows its
/// cut about as many times and never compiles the whole; objects of every shape grow it to the
/// limit and then pay for both.
pub const MAX_GROWTHS: usize = 16;

/// Objects of a kind judged by its cut before the whole schema is compiled anyway. Telling
/// whether the cut covers an object walks all of it: a `lint` of tens of thousands of
/// WorkflowTemplates read from files, each checked, costs less with the whole schema
/// compiled once. A render checks one object of each lineage per batch of tenants
/// (`src/lint/repeats.rs`), far fewer.
pub const CUT_CHECKS: usize = 4096;

/// Does `value` validate against the strict schema of `apiVersion`/`kind`? `None` when no
/// schema is known. An object of a CRD kind is checked against the schema cut to the objects
/// that grew the cut so far, when it reaches nothing the cut dropped ([`Reach::covers`]: the
/// whole schema's verdict); else the cut grows to hold it too, up to [`MAX_GROWTHS`] times.
/// Past that, or past [`CUT_CHECKS`] objects, the whole schema is compiled and judges. A
/// finding's messages always come from the whole schema ([`validator`]).
pub fn is_valid(api_version: &str, kind: &str, value: &Value) -> Option<bool> {
    let entry = entry(api_version, kind)?;
    if let Some(v) = entry.cell.get() {
        return Some(v.is_valid(value));
    }
    if let Some(verdict) = entry.grown_verdict(value) {
        return Some(verdict);
    }
    Some(entry.validator().is_valid(value))
}

/// A schema cut to the objects that grew it ([`is_valid`]), compiled.
struct Grown {
    /// The objects the cut is made for: each reached past the cut made for those before it.
    instances: Vec<Value>,
    /// What the cut dropped, to tell which objects it judges as the whole schema would.
    reach: Reach,
    validator: Validator,
}

impl Entry {
    fn validator(&self) -> &Validator {
        self.cell.get_or_init(|| {
            jsonschema::options()
                .with_draft(self.draft)
                .build(&(self.make)())
                .unwrap_or_else(|e| {
                    panic!("built-in schema for {} does not compile: {e}", self.kind)
                })
        })
    }

    fn grown(&self) -> MutexGuard<'_, Option<Arc<Grown>>> {
        self.grown.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The verdict of the cut grown so far, grown first to hold `value` when it reaches past
    /// it; `None` when the whole schema judges (it cannot be cut, the cut has grown
    /// [`MAX_GROWTHS`] times, or it has judged [`CUT_CHECKS`] objects). Growing holds the
    /// lock, so two threads never grow it for the same shape at once.
    fn grown_verdict(&self, value: &Value) -> Option<bool> {
        if self.nodes.is_empty() {
            return None;
        }
        if self.checks.fetch_add(1, Ordering::Relaxed) >= CUT_CHECKS {
            return None;
        }
        let judged = |grown: &Grown| {
            grown
                .reach
                .covers(value)
                .then(|| grown.validator.is_valid(value))
        };
        let current = self.grown().clone();
        if let Some(verdict) = current.as_deref().and_then(judged) {
            return Some(verdict);
        }
        let mut slot = self.grown();
        if let Some(verdict) = slot.as_deref().and_then(judged) {
            return Some(verdict);
        }
        let mut instances = slot.as_ref().map_or_else(Vec::new, |g| g.instances.clone());
        if instances.len() >= MAX_GROWTHS {
            return None;
        }
        instances.push(value.clone());
        let of: Vec<&Value> = instances.iter().collect();
        let (cut, reach) = super::cut::cut_in(&self.nodes, &Nodes::root(), &of);
        let validator = jsonschema::options()
            .with_draft(self.draft)
            .build(&cut)
            .ok()?;
        let verdict = validator.is_valid(value);
        *slot = Some(Arc::new(Grown {
            reach,
            validator,
            instances,
        }));
        Some(verdict)
    }
}

/// Compile the schemas of `kinds` that cannot be cut ([`is_valid`]) on another thread while
/// the caller reads its input, so that the first object of such a kind does not wait for
/// its schema. A run that needs none of them does not wait for it.
pub fn prepare_ahead(kinds: &'static [(&'static str, &'static str)]) {
    std::thread::spawn(move || {
        for (api_version, kind) in kinds {
            if let Some(e) = entry(api_version, kind).filter(|e| e.nodes.is_empty()) {
                e.validator();
            }
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

    /// Every path of `v` (JSON pointer tokens), objects and arrays included.
    fn paths(v: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        out.push(at.clone());
        let children: Vec<(String, &Value)> = match v {
            Value::Object(m) => m.iter().map(|(k, c)| (k.clone(), c)).collect(),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, c)| (i.to_string(), c))
                .collect(),
            _ => Vec::new(),
        };
        for (k, c) in children {
            at.push(k);
            paths(c, at, out);
            at.pop();
        }
    }

    /// `v` with one change at `path`, chosen by `pick`: an unknown key, a value of another
    /// type, a key removed, an item added.
    fn mutated(v: &Value, path: &[String], pick: u64) -> Value {
        let mut out = v.clone();
        let mut node = &mut out;
        for (i, token) in path.iter().enumerate() {
            if i + 1 == path.len() && pick % 9 == 0 {
                match node {
                    Value::Object(m) => {
                        m.remove(token);
                    }
                    Value::Array(a) => {
                        a.remove(token.parse::<usize>().unwrap_or(0));
                    }
                    _ => {}
                }
                return out;
            }
            node = match node {
                Value::Object(m) => m.get_mut(token).expect("a path of v"),
                Value::Array(a) => &mut a[token.parse::<usize>().expect("an index")],
                _ => unreachable!("paths go through collections"),
            };
        }
        match (pick % 9, &mut *node) {
            (1, Value::Object(m)) => {
                m.insert("unknownField".into(), json!(1));
            }
            (2, Value::Array(a)) => {
                let first = a.first().cloned().unwrap_or(json!({}));
                a.push(first);
            }
            (3, _) => *node = json!({"a": 1}),
            (4, _) => *node = json!(7),
            (5, _) => *node = json!("7"),
            (6, _) => *node = Value::Null,
            (7, _) => *node = json!([]),
            (8, _) => *node = json!(true),
            _ => *node = json!({}),
        }
        out
    }

    /// The Argo objects of kinds whose schema can be cut, in the example tree and the
    /// real-shapes corpus, in file order.
    fn cuttable_objects() -> Vec<Value> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut objects = Vec::new();
        for dir in ["gitops", "tests/repos"] {
            for file in walkdir::WalkDir::new(root.join(dir)).sort_by_file_name() {
                let file = file.expect("walk");
                if file.path().extension().is_none_or(|x| x != "yaml") {
                    continue;
                }
                let text = std::fs::read_to_string(file.path()).unwrap_or_default();
                for (_, doc) in crate::source::parse_documents(&text).unwrap_or_default() {
                    let cuttable = entry(
                        doc["apiVersion"].as_str().unwrap_or(""),
                        doc["kind"].as_str().unwrap_or(""),
                    )
                    .is_some_and(|e| !e.nodes.is_empty());
                    if cuttable {
                        objects.push(doc);
                    }
                }
            }
        }
        objects
    }

    /// `doc` and `n` one-change variants of it, at places picked by `seed` (xorshift).
    fn with_variants(doc: &Value, n: usize, seed: &mut u64) -> Vec<Value> {
        let mut all = Vec::new();
        paths(doc, &mut Vec::new(), &mut all);
        let mut variants = vec![doc.clone()];
        for _ in 0..n {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            let path = &all[(*seed % all.len() as u64) as usize];
            variants.push(mutated(doc, path, *seed >> 32));
        }
        variants
    }

    /// The schema cut to an object's fields gives the whole schema's verdict, on the Argo
    /// objects of the example tree and the real-shapes corpus and on thousands of one-change
    /// variants of them (unknown keys, wrong types, removed keys, added items); cut from the
    /// schema's nodes ([`super::super::split`]), it is the same cut, dropping the same.
    #[test]
    fn a_cut_schema_gives_the_whole_schemas_verdict() {
        let mut objects: std::collections::BTreeMap<String, Value> = Default::default();
        for doc in cuttable_objects() {
            // One of each shape: copies that differ by namespace add nothing.
            let mut key = doc.clone();
            key["metadata"] = json!(null);
            objects.entry(key.to_string()).or_insert(doc);
        }
        let kinds: std::collections::BTreeSet<&str> = objects
            .values()
            .filter_map(|d| d["kind"].as_str())
            .collect();
        assert!(kinds.len() >= 5, "{kinds:?}");
        let (mut valid, mut invalid) = (0, 0);
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        for doc in objects.values() {
            let e = entry(
                doc["apiVersion"].as_str().unwrap_or(""),
                doc["kind"].as_str().unwrap_or(""),
            )
            .expect("an entry");
            let whole = e.validator();
            let schema = (e.make)();
            assert!(super::super::cut::can_cut(&schema), "{}", e.kind);
            for v in &with_variants(doc, 60, &mut seed) {
                let (cut, reach) =
                    super::super::cut::cut_in(&super::super::cut::Whole, &schema, &[v]);
                let (from_nodes, reach_from_nodes) =
                    super::super::cut::cut_in(&e.nodes, &Nodes::root(), &[v]);
                assert_eq!(from_nodes, cut, "{} {v}", e.kind);
                assert_eq!(reach_from_nodes, reach, "{} {v}", e.kind);
                let cut = jsonschema::options()
                    .with_draft(e.draft)
                    .build(&cut)
                    .expect("a cut schema compiles");
                let verdict = whole.is_valid(v);
                assert_eq!(cut.is_valid(v), verdict, "{} {v}", e.kind);
                if verdict {
                    valid += 1;
                } else {
                    invalid += 1;
                }
            }
        }
        assert!(
            valid > 100 && invalid > 500,
            "{valid} valid, {invalid} invalid"
        );
    }

    /// A cut grown from some objects judges every object it covers as the whole schema does,
    /// covers the objects it was grown from, and grows only for an object that reaches past
    /// it: on the Argo objects of the example tree and the real-shapes corpus and one-change
    /// variants of them, judged by an entry of their kind's own.
    #[test]
    fn a_grown_cut_judges_what_it_covers_as_the_whole_schema() {
        let mut by_kind: std::collections::BTreeMap<(String, String), Vec<Value>> =
            Default::default();
        for doc in cuttable_objects() {
            let kind = |key: &str| doc[key].as_str().unwrap_or("").to_owned();
            let key = (kind("apiVersion"), kind("kind"));
            by_kind.entry(key).or_default().push(doc);
        }
        let (mut judged, mut grew, mut invalid) = (0, 0, 0);
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        for (key, docs) in &by_kind {
            let (api, kind) = key;
            let shared = entry(api, kind).expect("an entry");
            let whole = shared.validator();
            let local = Entry {
                api_version: shared.api_version,
                kind: shared.kind,
                make: shared.make,
                draft: shared.draft,
                cell: OnceLock::new(),
                nodes: Nodes::new(shared.nodes.text()),
                grown: Mutex::new(None),
                checks: AtomicUsize::new(0),
            };
            let mut objects = Vec::new();
            for doc in docs {
                objects.extend(with_variants(doc, 12, &mut seed));
            }
            for v in &objects {
                let before = local.grown().as_ref().map_or(0, |g| g.instances.len());
                let Some(verdict) = local.grown_verdict(v) else {
                    assert_eq!(
                        before, MAX_GROWTHS,
                        "{kind}: the whole schema judges only past the limit"
                    );
                    continue;
                };
                assert_eq!(verdict, whole.is_valid(v), "{kind} {v}");
                judged += 1;
                invalid += usize::from(!verdict);
                let grown = local.grown().clone().expect("a cut");
                if grown.instances.len() > before {
                    grew += 1;
                    assert!(
                        grown.instances.iter().all(|i| grown.reach.covers(i)),
                        "{kind}"
                    );
                }
            }
            assert!(
                local.cell.get().is_none(),
                "{kind}: the whole schema was compiled"
            );
            // Past the checks a cut may take, the whole schema judges even what it covers.
            let covered = &objects[0];
            assert!(local.grown_verdict(covered).is_some(), "{kind}");
            local.checks.store(CUT_CHECKS, Ordering::Relaxed);
            assert_eq!(local.grown_verdict(covered), None, "{kind}");
        }
        assert!(by_kind.len() >= 5, "{:?}", by_kind.keys());
        assert!(
            judged > 1000 && invalid > 300 && grew * 20 < judged,
            "{judged} judged, {invalid} invalid, {grew} grew the cut"
        );
    }

    #[test]
    fn unknown_kinds_have_no_schema() {
        assert!(validator("example.com/v1", "Widget").is_none());
        assert_eq!(known_kind("Deployment"), vec!["apps/v1"]);
    }
}
