//! Input types: what a policy pack and an environment say, after validation.
//!
//! Every struct denies unknown fields: the JSON Schemas in `schemas/` already reject them
//! with a located message, and serde refusing them too keeps the two from drifting apart.

mod environment;
mod pack;
mod subject;
mod workflows;

pub use environment::{ArgoCd, ArgoMode, Cluster, EnvSettings, Layout, Repo, TenantSpec};
pub use pack::{
    EgressPort, EgressRule, EnvironmentRule, Feature, LimitRangeSpec, LintSpec, NetworkProfile,
    PackSpec, PolicyRule, Quantity, Rbac, ResourceList, Security, TenantDefaults, Tier,
};
pub use subject::Subject;
pub use workflows::{
    CatalogEntry, Executor, PodSecurityException, Relaxation, WorkflowDefaults, WorkflowsSpec,
};

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

/// Namespaces that are never a tenant's, whatever the pack says: the cluster's own
/// (`default`, `kube-*`) and the usual homes of the Argo controllers. A tenant there would
/// get RoleBindings and NetworkPolicies over the control plane. A trailing `*` matches any
/// suffix. The environment's Argo CD namespace is added at resolve time.
pub const BUILTIN_RESERVED: &[&str] = &[
    "default",
    "kube-*",
    "argo",
    "argo-workflows",
    "argo-events",
    "argocd",
];

/// The reserved pattern `namespace` matches, if any: the built-in ones, `argocd_namespace`
/// and the pack's `extra` ones.
pub fn reserved_by<'a>(
    namespace: &str,
    argocd_namespace: &'a str,
    extra: &'a [String],
) -> Option<&'a str> {
    let matches = |pattern: &str| match pattern.strip_suffix('*') {
        Some(prefix) => namespace.starts_with(prefix),
        None => namespace == pattern,
    };
    BUILTIN_RESERVED
        .iter()
        .copied()
        .chain(std::iter::once(argocd_namespace))
        .chain(extra.iter().map(String::as_str))
        .find(|p| matches(p))
}

/// Is `s` a Kubernetes kind (an identifier: a letter, then letters and digits, at most 63)?
/// A kind becomes a file name in the tree, so nothing else may pass.
pub fn is_kind_name(s: &str) -> bool {
    s.len() <= 63
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && s.bytes().all(|b| b.is_ascii_alphanumeric())
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
    fn reserved_namespaces() {
        let extra = vec!["platform-*".to_owned(), "vault".to_owned()];
        assert_eq!(reserved_by("kube-system", "argocd", &extra), Some("kube-*"));
        assert_eq!(reserved_by("kube-public", "argocd", &[]), Some("kube-*"));
        assert_eq!(reserved_by("default", "argocd", &[]), Some("default"));
        assert_eq!(reserved_by("gitops", "gitops", &[]), Some("gitops"));
        assert_eq!(
            reserved_by("platform-x", "argocd", &extra),
            Some("platform-*")
        );
        assert_eq!(reserved_by("vault", "argocd", &extra), Some("vault"));
        assert_eq!(reserved_by("data-prod", "argocd", &extra), None);
        assert_eq!(reserved_by("kubeflow", "argocd", &extra), None);
    }

    #[test]
    fn kind_names() {
        assert!(is_kind_name("WorkflowTemplate"));
        assert!(is_kind_name("Namespace"));
        for bad in [
            "",
            "../x",
            "a/b",
            "Work flow",
            "1Kind",
            "Kind.",
            &"K".repeat(64),
        ] {
            assert!(!is_kind_name(bad), "{bad:?}");
        }
    }

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
