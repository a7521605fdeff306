//! Input types: what a policy pack and an environment say, after validation.
//!
//! Every struct denies unknown fields: the JSON Schemas in `schemas/` already reject them
//! with a located message, and serde refusing them too keeps the two from drifting apart.

mod environment;
mod pack;
mod subject;
mod workflows;

pub use environment::{ArgoCd, Cluster, EnvSettings, Repo, TenantSpec};
pub use pack::{
    EgressPort, EgressRule, EnvironmentRule, Feature, LimitRangeSpec, LintSpec, NetworkProfile,
    PackSpec, PolicyRule, Quantity, Rbac, ResourceList, Security, TenantDefaults, Tier,
};
pub use subject::Subject;
pub use workflows::{ArtifactRepository, CatalogEntry, WorkflowDefaults, WorkflowsSpec};

/// The API version every input file declares.
pub const API_VERSION: &str = "gitops-render.dev/v1alpha1";

/// Is `s` a DNS-1123 label (what Kubernetes requires of namespace names)?
pub fn is_dns1123_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Is `s` a DNS-1123 subdomain (what Kubernetes requires of most object names)?
pub fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !part.starts_with('-')
                && !part.ends_with('-')
        })
}

/// Why `s` is not a DNS-1123 label, in words.
pub fn dns1123_problem(s: &str) -> Option<String> {
    if is_dns1123_label(s) {
        return None;
    }
    Some(if s.is_empty() {
        "it is empty".to_owned()
    } else if s.len() > 63 {
        format!("it is {} characters long (at most 63)", s.len())
    } else if s.bytes().any(|b| b.is_ascii_uppercase()) {
        "it contains uppercase letters".to_owned()
    } else if s.starts_with('-') || s.ends_with('-') {
        "it starts or ends with '-'".to_owned()
    } else {
        let bad: String = s
            .chars()
            .filter(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
            .collect();
        format!(
            "it contains {:?} (only lowercase letters, digits and '-' are allowed)",
            bad
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_labels() {
        assert!(is_dns1123_label("data-prod"));
        assert!(!is_dns1123_label("../etc"));
        assert!(!is_dns1123_label("Data"));
        assert!(!is_dns1123_label(&"a".repeat(64)));
        assert!(dns1123_problem(&"a".repeat(64))
            .unwrap_or_default()
            .contains("64 characters"));
        assert!(dns1123_problem("../x")
            .unwrap_or_default()
            .contains("\"../\""));
    }
}
