//! The parts of the vendored Workflow CRD's strict schema that pack fields are checked
//! against (see [`super::objects::workflow_part`]). Shared with build.rs, which writes each
//! part to its own file: a pack check then reads a few kilobytes instead of the 470 KB
//! schema (twice, ~8 ms of a tenant slice's time).

/// The Workflow CRD's file in `schemas/crds/`.
pub const WORKFLOW_CRD: &str = "argoproj.io_workflows.yaml";

/// A part: the name of its file (`workflow.<name>.strict.json` in `OUT_DIR`) and where it
/// sits in the Workflow schema.
pub struct Part {
    pub name: &'static str,
    pub pointer: &'static str,
}

/// `ArtifactRepository` (what the `artifact-repositories` ConfigMap holds), which the CRD has
/// as `status.artifactRepositoryRef.artifactRepository`: every field Argo accepts (S3 with
/// `useSDKCreds` or `roleARN`, GCS, Azure, OSS, Artifactory, HDFS, `archiveLogs`).
pub const ARTIFACT_REPOSITORY: Part = Part {
    name: "artifact-repository",
    pointer: "/properties/status/properties/artifactRepositoryRef/properties/artifactRepository",
};

/// A container's `securityContext` (the controller's `executor.securityContext`), as the CRD
/// has it for a template's container.
pub const SECURITY_CONTEXT: Part = Part {
    name: "security-context",
    pointer:
        "/properties/spec/properties/templates/items/properties/container/properties/securityContext",
};

/// Every part build.rs writes.
pub const PARTS: [Part; 2] = [ARTIFACT_REPOSITORY, SECURITY_CONTEXT];
