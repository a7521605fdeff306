//! The Plan: per environment, everything the renderer needs, fully resolved, with
//! provenance kept for `explain`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{EgressRule, EnvSettings, PackSpec, PolicyRule, Subject, TenantSpec, Tier};

use super::overlay::Layered;
use super::workflows::{WorkflowPlan, WorkflowPolicy};

/// What to render, environment by environment (sorted by name).
#[derive(Debug)]
pub struct Plan {
    pub environments: Vec<EnvPlan>,
}

/// One environment, resolved.
#[derive(Debug)]
pub struct EnvPlan {
    pub name: String,
    /// The files it was resolved from, for the generated header: the environment file, the
    /// files it extends (nearest first), then the pack as `name@version`.
    pub inputs: Vec<String>,
    /// Index of the chosen pack in `Inputs::packs`.
    pub pack_index: usize,
    pub pack_name: String,
    pub pack_version: String,
    pub settings: EnvSettings,
    /// The pack's spec with the environment's overrides merged over it.
    pub spec: PackSpec,
    /// Tenants to render, sorted by namespace.
    pub tenants: Vec<TenantPlan>,
    /// Every tenant of the environment as environment-level objects list them, sorted by
    /// namespace. The same as `tenants` unless a diff kept only the tenants it changed.
    pub roster: Vec<Member>,
    /// Merged environment settings (cluster, repo, …) with origins.
    pub settings_provenance: Layered,
    /// Merged pack spec with origins.
    pub pack_provenance: Layered,
    /// Only some tenants were resolved (a CMP slice): environment-level objects, which list
    /// every tenant, are not rendered.
    pub partial: bool,
    /// The Argo CD plugin renders the tenants (`argocd.mode: plugin`): a render of the
    /// whole environment writes only its own objects. Never set on a slice of some tenants
    /// (the plugin's own request); `diff` clears it to review the tenants' objects.
    pub tenants_by_plugin: bool,
}

/// A tenant as environment-level templates see it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Member {
    pub team: String,
    pub namespace: String,
    /// The tenant runs workflows: it has a `workflows/<namespace>/` folder in the tree.
    pub workflows: bool,
}

/// One tenant of one environment, resolved.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantPlan {
    pub team: String,
    pub namespace: String,
    /// The tenant names its namespace itself instead of following the naming rule.
    pub explicit_namespace: bool,
    #[serde(flatten)]
    pub spec: TenantSpec,
    /// The tier's values (with overrides applied).
    #[serde(rename = "tierSpec")]
    pub tier: Tier,
    /// Shared by the environment's tenants with the same profile and features, as one
    /// template value ([`crate::render::Frozen`]).
    pub network: std::sync::Arc<crate::render::Frozen<NetworkPlan>>,
    /// Labels the features ask for on the Namespace.
    pub namespace_labels: BTreeMap<String, String>,
    /// Roles to create and bind, sorted by name.
    pub roles: Vec<RolePlan>,
    /// WorkflowTemplates to render into the namespace, sorted by object name.
    pub workflow_templates: Vec<WorkflowPlan>,
    /// The file-type plan published in the `workflow-policy` ConfigMap (packs with workflows).
    /// Shared by the environment's tenants with the same workflows, as one template value.
    pub workflow_policy: Option<std::sync::Arc<crate::render::Frozen<WorkflowPolicy>>>,
    /// The Pod Security labels of the Namespace: the profile's level, lowered only by the
    /// exceptions the pack declares for workflows this tenant runs.
    pub pod_security: Option<PodSecurityPlan>,
    /// Where each value came from; empty in a plan resolved for rendering.
    #[serde(skip)]
    pub provenance: Layered,
}

/// The network policies a tenant gets: its profile plus what its features add.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPlan {
    pub profile: String,
    pub default_deny: bool,
    #[serde(rename = "allowDNS")]
    pub allow_dns: bool,
    pub allow_same_namespace: bool,
    /// Namespaces allowed to send ingress, sorted and unique.
    pub ingress_from_namespaces: Vec<String>,
    pub egress: Vec<EgressRule>,
    pub pod_security: Option<String>,
}

/// What the tenant's Namespace enforces, warns and audits, and why it is below the profile.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PodSecurityPlan {
    pub enforce: String,
    /// `warn` and `audit`: the profile's level, so every pod that needs an exception says so.
    pub warn: String,
    pub exceptions: Vec<PodSecurityExceptionPlan>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PodSecurityExceptionPlan {
    pub workflow: String,
    pub level: String,
    pub reason: String,
}

impl PodSecurityPlan {
    /// The profile's `level`, lowered to the lowest level the exceptions need.
    pub fn new(level: &str, exceptions: Vec<PodSecurityExceptionPlan>) -> PodSecurityPlan {
        let rank = |l: &str| match l {
            "privileged" => 0,
            "baseline" => 1,
            _ => 2,
        };
        let enforce = exceptions
            .iter()
            .map(|e| e.level.as_str())
            .chain([level])
            .min_by_key(|l| rank(l))
            .unwrap_or(level)
            .to_owned();
        let exceptions = exceptions
            .into_iter()
            .filter(|e| rank(&e.level) < rank(level))
            .collect();
        PodSecurityPlan {
            enforce,
            warn: level.to_owned(),
            exceptions,
        }
    }
}

/// A Role and the subjects bound to it.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RolePlan {
    pub name: String,
    /// The pack's rules of the role, shared, as one template value.
    pub rules: std::sync::Arc<crate::render::Frozen<Vec<PolicyRule>>>,
    pub subjects: Vec<Subject>,
}
