//! The `workflows` section of a pack: defaults stamped on every WorkflowTemplate, the catalog,
//! default plans by file type, required workflows and the artifact repository.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WorkflowsSpec {
    /// May templates set `podSpecPatch` (still held to the security rules)? Off by default:
    /// a patch can change anything about a pod after every other check.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_pod_spec_patch: bool,
    /// May tenants ask for custom workflows (`custom:<name>@<version>`, from the pack's or
    /// the estate's `workflows/custom/`)? Off unless the pack says so.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_custom: bool,
    pub defaults: WorkflowDefaults,
    /// Defaults a template may set to another value.
    #[serde(default)]
    pub overridable: Vec<String>,
    pub catalog: BTreeMap<String, CatalogEntry>,
    /// Pattern → workflows, in the order written (first match wins).
    #[serde(default)]
    pub by_file_type: IndexMap<String, Vec<String>>,
    #[serde(default)]
    pub required: Vec<String>,
    #[serde(default)]
    /// Argo Workflows' `ArtifactRepository`, passed through as written: checked against
    /// Argo's own schema at resolve time (`schema::validate_artifact_repository`).
    pub artifact_repository: Option<Value>,
    /// How many workflows may run at once in a tenant namespace: rendered as the Namespace
    /// label `workflows.argoproj.io/parallelism-limit`, which the Argo Workflows controller
    /// reads (it overrides the controller's `namespaceParallelism`). Not the per-workflow
    /// `defaults.parallelism`, which bounds the steps inside one workflow.
    #[serde(default)]
    pub namespace_parallelism: Option<u64>,
    /// The controller's `executor` settings the platform runs with: Argo adds its `wait`
    /// (and, for input artifacts, `init`) container to every workflow pod with these
    /// resources, so they count in the pod's quota. Not rendered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executor: Option<Executor>,
}

/// The Argo Workflows controller's executor configuration, as far as admission sees it.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Executor {
    /// A container's `resources` (`requests`, `limits`), schema-checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Value>,
    /// The controller's `executor.securityContext`, checked against the Workflow CRD's
    /// container `securityContext`. Pod Security admission judges Argo's containers by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_context: Option<Value>,
}

impl Executor {
    /// The executor as a container value, for the admission checks: only the fields the
    /// pack declares, so an undeclared one falls back as it does in the cluster.
    pub fn container(executor: Option<&Executor>) -> Value {
        let mut out = serde_json::Map::new();
        if let Some(e) = executor {
            if let Some(r) = &e.resources {
                out.insert("resources".into(), r.clone());
            }
            if let Some(s) = &e.security_context {
                out.insert("securityContext".into(), s.clone());
            }
        }
        Value::Object(out)
    }
}

/// Stamped on every WorkflowTemplate. The nested values were schema-checked and are stamped
/// as written, so they stay JSON values.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WorkflowDefaults {
    pub retry_strategy: Value,
    pub active_deadline_seconds: u64,
    #[serde(rename = "podGC")]
    pub pod_gc: Value,
    pub ttl_strategy: Value,
    pub parallelism: u64,
    pub resources: Value,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CatalogEntry {
    /// Template file relative to the pack folder (`workflows/build-docker-image.yaml.j2`).
    pub template: String,
    pub version: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub requires: Vec<String>,
    /// Roles (of `rbac.roles`) bound to the tenant's workflow ServiceAccount when the tenant
    /// has this workflow: what its steps do with the Kubernetes API (a deploy applies and
    /// watches objects), granted only to tenants that run it.
    #[serde(default)]
    pub service_account_roles: Vec<String>,
    /// The Pod Security level this workflow's pods need when it is below the namespace's
    /// (an image build that unshares namespaces cannot run under `restricted`): declared by
    /// the pack, with the reason and the exact relaxations its containers may ask for.
    #[serde(default)]
    pub pod_security: Option<PodSecurityException>,
    /// Egress the workflow's pods need beyond the network profile (an API server the
    /// isolated profile does not reach), added only in namespaces that run it.
    #[serde(default)]
    pub egress: Vec<super::pack::EgressRule>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PodSecurityException {
    /// The level the tenant's Namespace enforces while it runs this workflow (`baseline`);
    /// `warn` and `audit` stay at the profile's level, so every other pod still reports.
    pub level: String,
    pub reason: String,
    /// What a container of this workflow may set beyond the pack's security rules; each is
    /// allowed at `baseline`, and only containers that set it get it.
    pub allow: Vec<Relaxation>,
}

/// A container security setting a pack may let one workflow relax: only what `baseline`
/// admits (seccomp `Unconfined` is not: baseline refuses it; a `Localhost` seccomp profile
/// needs no relaxation, every level admits it).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "camelCase")]
pub enum Relaxation {
    /// `allowPrivilegeEscalation: true` (setuid helpers such as newuidmap).
    AllowPrivilegeEscalation,
    /// `capabilities: {}`: the runtime's default set instead of dropping ALL.
    DefaultCapabilities,
}

impl Relaxation {
    pub fn as_str(self) -> &'static str {
        match self {
            Relaxation::AllowPrivilegeEscalation => "allowPrivilegeEscalation",
            Relaxation::DefaultCapabilities => "defaultCapabilities",
        }
    }
}
