//! Which built-in kinds are cluster-scoped: they have no namespace, a tenant may not create
//! them, and Argo CD projects allow them through a separate whitelist.

/// Cluster-scoped kinds of Kubernetes itself and of the add-ons a platform commonly runs
/// (Argo Workflows, cert-manager, Gatekeeper's constraint templates). A CRD in the linted
/// tree with `scope: Cluster` adds its kind.
pub const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "Node",
    "PersistentVolume",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "APIService",
    "StorageClass",
    "CSIDriver",
    "CSINode",
    "VolumeAttachment",
    "PriorityClass",
    "RuntimeClass",
    "IngressClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "FlowSchema",
    "PriorityLevelConfiguration",
    "CertificateSigningRequest",
    "ComponentStatus",
    "ClusterWorkflowTemplate",
    "ClusterIssuer",
    "ConstraintTemplate",
    "VolumeSnapshotClass",
];

/// Is `kind` one of the built-in cluster-scoped kinds?
pub fn is_cluster_scoped(kind: &str) -> bool {
    CLUSTER_SCOPED.contains(&kind)
}
