//! Every rule, in one slice. Adding a rule touches its file, this list and its fixtures in
//! `tests/lint/<id>/`; the registry tests fail when one of them is missing.

use std::fmt;

use crate::diagnostic::Severity;

use super::rules::*;
use super::{Corpus, Hit, LintConfig};

/// Rule families, as `gitops-render rules` groups them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Family {
    Schema,
    Tenancy,
    Workloads,
    Workflows,
    Rbac,
    Argo,
    Hygiene,
    Admission,
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Family::Schema => "schema",
            Family::Tenancy => "tenancy",
            Family::Workloads => "workloads",
            Family::Workflows => "workflows",
            Family::Rbac => "rbac",
            Family::Argo => "argo",
            Family::Hygiene => "hygiene",
            Family::Admission => "admission",
        })
    }
}

/// What a rule looks at, which decides how a streaming lint ([`super::lint_paths`]) runs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Each file's documents on their own: the rule runs on every chunk of files while their
    /// values and text are in memory, and may read any field.
    File,
    /// Like [`Scope::File`], and the rule reads nothing of a document but its own value,
    /// less its namespace and the team label the render stamps (`gitops-render.dev/team`):
    /// no other document, no file text or path. Its hits are then the same for every object
    /// stamped from the same template output in one environment, whatever tenant each went
    /// to, so a render judges one object of such a lineage and gives the others its hits
    /// ([`super::repeats`]). `tests/lint_rules.rs` holds every such rule to it on its
    /// fixtures, moved to another namespace and team.
    Object,
    /// Relations between documents anywhere in the linted set: the rule runs once, over
    /// every document, after each was pruned to its identity, `apiVersion`, the ignore
    /// annotation and the fields listed here as `(kind, JSON pointer)`, where kind `*` is
    /// any kind and a `*` segment any key or index. A field a rule reads must be listed;
    /// `tests/lint_rules.rs` holds streaming lint to whole-corpus lint on every fixture.
    /// A binding's `roleRef` and `subjects` are not listed: they are read through
    /// [`super::Document::binding`], kept for every RoleBinding and ClusterRoleBinding.
    Corpus(&'static [(&'static str, &'static str)]),
}

/// A lint rule: identity, default severity, documentation and check.
pub struct Rule {
    /// Stable kebab-case id, used in annotations, overrides and reports.
    pub id: &'static str,
    pub family: Family,
    pub severity: Severity,
    /// One sentence.
    pub summary: &'static str,
    /// Markdown: `## What it does`, `## Why is this bad?`, `## Example`.
    pub doc: &'static str,
    pub scope: Scope,
    pub check: fn(&Corpus, &LintConfig, &mut Vec<Hit>),
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rule").field("id", &self.id).finish()
    }
}

/// All rules, grouped by family.
pub static RULES: &[&Rule] = &[
    &reader::INVALID_YAML,
    &reader::DUPLICATE_KEY,
    &reader::NOT_AN_OBJECT,
    &reader::MISSING_IDENTITY,
    &reader::SYMLINK_OUT_OF_BOUNDS,
    &reader::UNREADABLE_FILE,
    &kind_rejected::RULE,
    &schema_invalid::RULE,
    &no_schema::RULE,
    &removed_api_version::RULE,
    &deprecated_api::RULE,
    &namespace_missing_quota::RULE,
    &namespace_missing_limitrange::RULE,
    &namespace_missing_default_deny::RULE,
    &namespace_missing_dns_egress::RULE,
    &network_policy_selects_nothing::RULE,
    &namespace_missing_labels::RULE,
    &namespace_naming::RULE,
    &namespace_pod_security::RULE,
    &pod_security_exception::RULE,
    &istio_needs_cni::RULE,
    &pod_security_enforce::RULE,
    &pod_security_warn::RULE,
    &quota_admission::RULE,
    &workflow_parallelism_quota::RULE,
    &appproject_admission::RULE,
    &tier_not_allowed::RULE,
    &run_as_root::RULE,
    &writable_root_filesystem::RULE,
    &privilege_escalation::RULE,
    &capabilities_not_dropped::RULE,
    &privileged_container::RULE,
    &seccomp_missing::RULE,
    &missing_resources::RULE,
    &image_not_pinned::RULE,
    &image_not_digest_pinned_in_prod::RULE,
    &default_service_account::RULE,
    &host_namespaces::RULE,
    &host_path_volume::RULE,
    &unsafe_sysctls::RULE,
    &proc_mount_unmasked::RULE,
    &run_as_group_root::RULE,
    &system_priority_class::RULE,
    &deprecated_service_account_field::RULE,
    &service_account_missing::RULE,
    &port_name_invalid::RULE,
    &selector_template_mismatch::RULE,
    &service_selects_nothing::RULE,
    &service_exposed_on_nodes::RULE,
    &pdb_blocks_drain::RULE,
    &workflow_missing_retry::RULE,
    &workflow_missing_deadline::RULE,
    &workflow_missing_gc::RULE,
    &workflow_pod_spec_patch::RULE,
    &workflow_service_account_override::RULE,
    &parameter_missing_description::RULE,
    &rbac_wildcard::RULE,
    &rbac_cluster_admin_binding::RULE,
    &rbac_workflow_reads_secrets::RULE,
    &rbac_invalid_subject::RULE,
    &rbac_escalation::RULE,
    &rbac_binding_outside_owners::RULE,
    &appset_path_missing::RULE,
    &appset_destination_not_tenant::RULE,
    &create_namespace_conflict::RULE,
    &default_appproject::RULE,
    &prod_target_revision_unpinned::RULE,
    &sync_wave_order::RULE,
    &template_ref_unresolved::RULE,
    &required_workflow_missing::RULE,
    &duplicate_object::RULE,
    &object_outside_namespace_folder::RULE,
    &secret_plaintext::RULE,
    &ambiguous_yaml_scalar::RULE,
    &generated_file_edited::RULE,
    &reader::WAIVER_EXPIRED,
];

/// Look a rule up by id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.id == id)
}

/// The project's public address (Cargo.toml's `repository`): SARIF's `informationUri`.
pub const PROJECT_URI: &str = env!("CARGO_PKG_REPOSITORY");

/// Where every rule is documented on the web: `docs/rules.md`, which is `rules --markdown`
/// (a test keeps the file equal to it), so a `helpUri` always lands on the rule's own text.
pub const RULES_DOC_PATH: &str = "docs/rules.md";

impl Rule {
    /// The rule's page: what `rules ID` prints, one section of `docs/rules.md`.
    pub fn page(&self) -> String {
        format!(
            "# {}\n\n{} · default severity: {}\n\n{}\n\n{}\n",
            self.id, self.family, self.severity, self.summary, self.doc
        )
    }

    /// The rule's section of `docs/rules.md` on the project's site (its heading's anchor
    /// is the id, which is kebab-case already).
    pub fn help_uri(&self) -> String {
        format!("{PROJECT_URI}/blob/main/{RULES_DOC_PATH}#{}", self.id)
    }
}

/// Every rule's page in one markdown document, in registry order: `docs/rules.md`.
pub fn rules_markdown() -> String {
    let pages: Vec<String> = RULES.iter().map(|r| r.page()).collect();
    format!(
        "<!-- Generated by `gitops-render rules --markdown`; a test keeps it current. -->\n\n{}",
        pages.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case_and_documented() {
        let mut ids = std::collections::BTreeSet::new();
        for r in RULES {
            assert!(ids.insert(r.id), "duplicate rule id {}", r.id);
            assert!(
                r.id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{} is not kebab-case",
                r.id
            );
            for section in ["## What it does", "## Why is this bad?", "## Example"] {
                assert!(r.doc.contains(section), "{} doc lacks {section}", r.id);
            }
            assert!(
                r.summary.ends_with('.'),
                "{} summary is not a sentence",
                r.id
            );
        }
        assert!(RULES.len() >= 30, "only {} rules", RULES.len());
    }
}
