//! An environment after its `extends` chain is merged, and one tenant of it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The environment-level settings every environment must end up with.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EnvSettings {
    pub policy_pack: String,
    pub cluster: Cluster,
    pub repo: Repo,
    pub argocd: ArgoCd,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    pub name: String,
    pub server: String,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Repo {
    pub url: String,
    pub target_revision: String,
    #[serde(default = "default_repo_path")]
    pub path: String,
    /// How the tree at `path` holds the environment's objects.
    #[serde(default)]
    pub layout: Layout,
}

/// How a rendered tree holds its objects: the files Git, reviewers and Argo CD see.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// `<kind>-<name>.yaml` per object: one file per object in a change's file list.
    #[default]
    FilePerObject,
    /// One `manifest.yaml` per application folder (a tenant's `tenants/`, `workflows/` and
    /// `backstage/` folders, the environment's `argocd/`), its objects in the order the other
    /// layout's files sort in, like Argo CD's source hydrator writes: 15-20 times fewer files.
    FilePerApp,
}

fn default_repo_path() -> String {
    "gitops".to_owned()
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ArgoCd {
    pub namespace: String,
    pub project: String,
    /// Where Argo CD gets the tenants' manifests: the committed tree, or the plugin.
    #[serde(default)]
    pub mode: ArgoMode,
    /// The Config Management Plugin's name (`<name>-<version>` of cmp/plugin.yaml).
    #[serde(default = "default_plugin")]
    pub plugin: String,
    /// The estate's folder in the repository: plugin Applications' `source.path`.
    #[serde(default = "default_source_path")]
    pub source_path: String,
}

/// How Argo CD gets an environment's tenant manifests.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ArgoMode {
    /// From the tree `render` writes and the repository commits.
    #[default]
    Tree,
    /// From `gitops-render cmp generate`, one Application per tenant; the tree holds only
    /// the environment's own Argo CD objects.
    Plugin,
}

fn default_plugin() -> String {
    "gitops-render-v1".to_owned()
}

fn default_source_path() -> String {
    ".".to_owned()
}

/// A tenant after pack defaults, the `extends` chain and the environment were merged.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TenantSpec {
    pub tier: String,
    pub network_profile: String,
    #[serde(default)]
    pub features: Vec<String>,
    #[serde(default)]
    pub owners: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub workflows: Vec<String>,
    #[serde(default)]
    pub requested_by: Option<String>,
    /// Render a Backstage catalog entity for this tenant (`<env>/backstage/<namespace>/`).
    #[serde(default)]
    pub backstage: bool,
    /// Explicit namespace; when absent the pack's naming rule applies. Not serialized: the
    /// resolved namespace is `TenantPlan::namespace`.
    #[serde(default, skip_serializing)]
    pub namespace: Option<String>,
}
