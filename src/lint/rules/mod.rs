//! One file per rule. Each defines `RULE` (id, family, default severity, doc) and its check.

pub(crate) mod prelude {
    pub use serde_json::Value;

    pub use crate::diagnostic::Severity;
    pub use crate::lint::binding::Subject;
    pub use crate::lint::helpers::*;
    pub use crate::lint::registry::{Family, Rule, Scope};
    pub use crate::lint::{Corpus, Document, Hit, LintConfig, Written};
}

pub mod reader;

pub mod deprecated_api;
pub mod no_schema;
pub mod removed_api_version;
pub mod schema_invalid;

pub mod istio_needs_cni;
pub mod namespace_missing_default_deny;
pub mod namespace_missing_dns_egress;
pub mod namespace_missing_labels;
pub mod namespace_missing_limitrange;
pub mod namespace_missing_quota;
pub mod namespace_naming;
pub mod namespace_pod_security;
pub mod network_policy_selects_nothing;
pub mod pod_security_enforce;
pub mod pod_security_exception;
pub mod pod_security_warn;
pub mod quota_admission;
pub mod tier_not_allowed;

pub mod capabilities_not_dropped;
pub mod default_service_account;
pub mod deprecated_service_account_field;
pub mod host_namespaces;
pub mod host_path_volume;
pub mod image_not_digest_pinned_in_prod;
pub mod image_not_pinned;
pub mod kind_rejected;
pub mod missing_resources;
pub mod pdb_blocks_drain;
pub mod port_name_invalid;
pub mod privilege_escalation;
pub mod privileged_container;
pub mod proc_mount_unmasked;
pub mod run_as_group_root;
pub mod run_as_root;
pub mod seccomp_missing;
pub mod selector_template_mismatch;
pub mod service_account_missing;
pub mod service_exposed_on_nodes;
pub mod service_selects_nothing;
pub mod system_priority_class;
pub mod unsafe_sysctls;
pub mod writable_root_filesystem;

pub mod parameter_missing_description;
pub mod workflow_missing_deadline;
pub mod workflow_missing_gc;
pub mod workflow_missing_retry;
pub mod workflow_parallelism_quota;
pub mod workflow_pod_spec_patch;
pub mod workflow_service_account_override;

pub mod rbac_binding_outside_owners;
pub mod rbac_cluster_admin_binding;
pub mod rbac_escalation;
pub mod rbac_invalid_subject;
pub mod rbac_wildcard;
pub mod rbac_workflow_reads_secrets;

pub mod appproject_admission;
pub mod appset_destination_not_tenant;
pub mod appset_path_missing;
pub mod create_namespace_conflict;
pub mod default_appproject;
pub mod prod_target_revision_unpinned;
pub mod required_workflow_missing;
pub mod sync_wave_order;
pub mod template_ref_unresolved;

pub mod ambiguous_yaml_scalar;
pub mod duplicate_object;
pub mod generated_file_edited;
pub mod object_outside_namespace_folder;
pub mod secret_plaintext;
