//! The `spec` of a PolicyPack (after environment overrides are merged over it).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A Kubernetes quantity as written (`"2"`, `500m`, `4Gi`, or a bare number).
pub type Quantity = Value;

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PackSpec {
    pub naming: Naming,
    pub tenant_defaults: TenantDefaults,
    pub tiers: BTreeMap<String, Tier>,
    pub limit_range: LimitRangeSpec,
    pub network_profiles: BTreeMap<String, NetworkProfile>,
    #[serde(default)]
    pub features: BTreeMap<String, Feature>,
    pub rbac: Rbac,
    #[serde(default)]
    pub security: Security,
    #[serde(default)]
    pub environments: BTreeMap<String, EnvironmentRule>,
    #[serde(default)]
    pub workflows: Option<super::WorkflowsSpec>,
    #[serde(default)]
    pub lint: Option<LintSpec>,
}

/// Lint settings a pack gives the trees rendered with it.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LintSpec {
    /// Rule id → `error`, `warning` or `off`.
    #[serde(default)]
    pub rules: BTreeMap<String, String>,
    #[serde(default)]
    pub waivers: Vec<crate::lint::Waiver>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Naming {
    pub namespace: String,
    /// Namespaces the pack keeps from tenants, on top of [`super::BUILTIN_RESERVED`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reserved: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TenantDefaults {
    pub tier: Option<String>,
    pub network_profile: Option<String>,
    #[serde(default)]
    pub features: Vec<String>,
    #[serde(default)]
    pub workflows: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Tier {
    pub cpu: Quantity,
    pub memory: Quantity,
    pub storage: Quantity,
    pub pods: u64,
    /// `limits.*` quota; `resolve` fills it from the requests quota when the pack omits it.
    #[serde(default)]
    pub limits: Option<ResourceList>,
    #[serde(default)]
    pub monthly_cost: Option<serde_json::Number>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ResourceList {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Quantity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Quantity>,
    #[serde(
        default,
        rename = "ephemeral-storage",
        skip_serializing_if = "Option::is_none"
    )]
    pub ephemeral_storage: Option<Quantity>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LimitRangeSpec {
    pub default_request: ResourceList,
    pub default: ResourceList,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<ResourceList>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NetworkProfile {
    #[serde(default, skip_serializing)]
    pub description: Option<String>,
    pub default_deny: bool,
    #[serde(default, rename = "allowDNS")]
    pub allow_dns: bool,
    #[serde(default)]
    pub allow_same_namespace: bool,
    #[serde(default)]
    pub allow_ingress_from_namespaces: Vec<String>,
    #[serde(default)]
    pub egress: Vec<EgressRule>,
    #[serde(default)]
    pub pod_security: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct EgressRule {
    #[serde(default)]
    pub description: Option<String>,
    /// An address range (`ipBlock`); or, instead, `namespace` (and `pods`): traffic to pods
    /// inside the cluster, which an ipBlock cannot select reliably (pod IPs change).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr: Option<String>,
    #[serde(default)]
    pub except: Vec<String>,
    /// The namespace (by its `kubernetes.io/metadata.name` label) of the pods allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Labels of the pods allowed in `namespace` (all of its pods when absent).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub pods: std::collections::BTreeMap<String, String>,
    pub ports: Vec<EgressPort>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct EgressPort {
    pub port: u16,
    #[serde(default = "tcp")]
    pub protocol: String,
}

fn tcp() -> String {
    "TCP".to_owned()
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Feature {
    #[serde(default, skip_serializing)]
    pub description: Option<String>,
    #[serde(default)]
    pub namespace_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub allow_ingress_from_namespaces: Vec<String>,
    #[serde(default)]
    pub egress: Vec<EgressRule>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Rbac {
    pub workflow_service_account: String,
    /// Annotations of the workflow ServiceAccount, with `{team}`, `{environment}` and
    /// `{namespace}` replaced per tenant: how an EKS platform gives each tenant's workflows
    /// their own IAM role (IRSA, `eks.amazonaws.com/role-arn`). An environment's `overrides`
    /// change them per environment (another account in prod).
    #[serde(default)]
    pub workflow_service_account_annotations: Option<BTreeMap<String, String>>,
    /// Shared, not copied, by every tenant's plan that binds the role (four roles of a few
    /// rules each were ~2 KB per tenant, ~20 MB of an environment's plan at N = 10,000), and
    /// one template value in every tenant's context ([`crate::render::Frozen`]).
    pub roles: BTreeMap<String, std::sync::Arc<crate::render::Frozen<Vec<PolicyRule>>>>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PolicyRule {
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_names: Vec<String>,
    pub verbs: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Security {
    pub run_as_non_root: Option<bool>,
    pub run_as_user: Option<i64>,
    pub run_as_group: Option<i64>,
    pub fs_group: Option<i64>,
    pub read_only_root_filesystem: Option<bool>,
    pub allow_privilege_escalation: Option<bool>,
    #[serde(default)]
    pub drop_capabilities: Vec<String>,
    pub seccomp_profile: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EnvironmentRule {
    #[serde(default)]
    pub allowed_tiers: Option<Vec<String>>,
    #[serde(default)]
    pub require_network_profile: Option<String>,
}
