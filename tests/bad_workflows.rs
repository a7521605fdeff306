//! Bad workflow inputs: exit 2, the location of the culprit, nothing written.

mod common;

use common::{assert_bad_input, Estate};

const DEV: &str = "environments/dev.yaml";
const PACK: &str = "policy-packs/platform/1.2.0/pack.yaml";

fn render_fails(e: &Estate, location: &str) -> String {
    let out = e.run(&["render"]);
    assert_bad_input(e, &out, location)
}

fn ask_for(e: &Estate, entry: &str) {
    e.edit(
        DEV,
        "      workflows: [tiff-offsets, \"custom:tiff-offsets@2.0.0\"]",
        &format!("      workflows: [tiff-offsets, {entry:?}]"),
    );
}

#[test]
fn unknown_workflow() {
    let e = Estate::example();
    ask_for(&e, "ci-pipline");
    let err = render_fails(&e, &e.loc(DEV, "ci-pipline", "\"ci-pipline\""));
    assert!(
        err.contains("workflow `ci-pipline` is not defined by pack platform@1.2.0"),
        "{err}"
    );
    assert!(err.contains("did you mean `ci-pipeline`?"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn unknown_custom_version() {
    let e = Estate::example();
    ask_for(&e, "custom:tiff-offsets@3.0.0");
    let err = render_fails(&e, &e.loc(DEV, "@3.0.0", "\"custom"));
    assert!(
        err.contains("pack platform@1.2.0 has no version 3.0.0 of workflow `tiff-offsets`"),
        "{err}"
    );
    assert!(
        err.contains("available versions: 2.0.0, 1.0.0 (catalog)"),
        "{err}"
    );
}

#[test]
fn malformed_custom_references() {
    for (entry, expected) in [
        ("custom:tiff-offsets", "is not a custom workflow reference"),
        (
            "custom:tiff-offsets@latest",
            "`latest` is not a semantic version",
        ),
        ("custom:Tiff@1.0.0", "`Tiff` is not a valid workflow name"),
    ] {
        let e = Estate::example();
        ask_for(&e, entry);
        let err = render_fails(&e, &e.loc(DEV, entry, "\"custom"));
        assert!(err.contains(expected), "{entry}: {err}");
        assert!(err.contains("invalid-workflow-ref"), "{entry}: {err}");
    }
}

#[test]
fn template_setting_a_forbidden_field() {
    let e = Estate::example();
    let path = "workflows/custom/tiff-offsets/2.0.0.yaml.j2";
    e.edit(path, "  - name: main\n", "  - name: root-shell\n    container:\n      image: busybox:1.37\n      securityContext: {privileged: true}\n  - name: main\n");
    let err = render_fails(&e, &format!("{path}:1:1"));
    assert!(
        err.contains(
            "it sets `template `root-shell` container securityContext.privileged` to true"
        ),
        "{err}"
    );
    assert!(
        err.contains("does not let workflow templates override"),
        "{err}"
    );
    assert!(err.contains("workflow-override-forbidden"), "{err}");
}

#[test]
fn template_overriding_a_default_the_pack_keeps() {
    let e = Estate::example();
    let path = "policy-packs/platform/1.2.0/workflows/file-transfer.yaml.j2";
    e.edit(
        path,
        "  entrypoint: main\n",
        "  entrypoint: main\n  podGC: {strategy: OnWorkflowSuccess}\n",
    );
    let err = render_fails(&e, &format!("{path}:1:1"));
    assert!(err.contains("it sets `spec.podGC`, which pack platform@1.2.0 does not let workflow templates override (overridable: activeDeadlineSeconds, resources)"), "{err}");
}

#[test]
fn template_running_as_another_service_account() {
    let e = Estate::example();
    let path = "policy-packs/platform/1.2.0/workflows/file-transfer.yaml.j2";
    e.edit(
        path,
        "  entrypoint: main\n",
        "  entrypoint: main\n  serviceAccountName: argo-server\n",
    );
    let err = render_fails(&e, &format!("{path}:1:1"));
    assert!(err.contains("it runs as ServiceAccount `argo-server`; workflows run as the tenant's `argo-workflow`"), "{err}");
}

#[test]
fn invalid_file_type_glob() {
    let e = Estate::example();
    e.edit(
        PACK,
        "      \"*.tif\": [tiff-offsets]",
        "      \"[tif\": [tiff-offsets]",
    );
    let err = render_fails(&e, &e.loc(PACK, "\"[tif\"", "\"[tif\""));
    assert!(err.contains("`[tif` is not a valid file pattern"), "{err}");
}

#[test]
fn required_workflow_missing_from_the_catalog() {
    let e = Estate::example();
    e.edit(
        PACK,
        "    required: [file-transfer]",
        "    required: [file-transfer, virus-scan]",
    );
    let err = render_fails(&e, &e.loc(PACK, "virus-scan", "virus-scan"));
    assert!(
        err.contains(
            "required workflow `virus-scan` is not in the workflow catalog of pack platform@1.2.0"
        ),
        "{err}"
    );
}

#[test]
fn catalog_template_that_does_not_exist() {
    let e = Estate::example();
    e.edit(
        PACK,
        "template: workflows/file-transfer.yaml.j2",
        "template: workflows/file-transfr.yaml.j2",
    );
    let err = render_fails(&e, &e.loc(PACK, "file-transfr", "workflows/"));
    assert!(err.contains("workflow `file-transfer`: policy-packs/platform/1.2.0/workflows/file-transfr.yaml.j2 does not exist"), "{err}");
}

#[test]
fn secrets_cannot_be_inlined_in_the_artifact_repository() {
    let e = Estate::example();
    e.edit(
        PACK,
        "        accessKeySecret: {name: artifact-credentials, key: accessKey}",
        "        accessKey: AKIAEXAMPLE",
    );
    let err = render_fails(&e, &e.loc(PACK, "accessKey: AKIA", "accessKey"));
    assert!(err.contains("unknown key `accessKey`"), "{err}");
}

#[test]
fn two_versions_with_one_major() {
    let e = Estate::example();
    e.write(
        "policy-packs/platform/1.2.0/workflows/custom/file-transfer/1.1.0.yaml.j2",
        &e.read("policy-packs/platform/1.2.0/workflows/file-transfer.yaml.j2"),
    );
    ask_for(&e, "custom:file-transfer@1.1.0");
    // The tenant's 1.1.0 satisfies the required file-transfer: no conflict, one file-transfer.
    let out = e.run(&["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let wt = e.read("gitops/dev/workflows/data-dev/workflowtemplate-file-transfer.yaml");
    assert!(
        wt.contains("workflows.gitops-render.dev/version: \"1.1.0\""),
        "{wt}"
    );
}

/// A tenant that asks only for the custom `tiff-offsets@2.0.0`, which calls the catalog's
/// `tiff-offsets`: its templateRef must not point at itself. Without the catalog workflow
/// the render stops at the reference, saying what to add.
#[test]
fn only_the_custom_version_requested() {
    let e = Estate::example();
    e.edit(
        DEV,
        "      workflows: [tiff-offsets, \"custom:tiff-offsets@2.0.0\"]",
        "      workflows: [\"custom:tiff-offsets@2.0.0\"]",
    );
    let loc = "workflows/custom/tiff-offsets/2.0.0.yaml.j2:21:";
    let err = render_fails(&e, loc);
    assert!(err.contains("add it to the tenant's workflows"), "{err}");

    // With both, the custom workflow calls the catalog one, never itself.
    let e = Estate::example();
    assert_eq!(e.run(&["render", "--env", "dev"]).status.code(), Some(0));
    let custom = e.read("gitops/dev/workflows/data-dev/workflowtemplate-tiff-offsets-v2.yaml");
    assert!(
        custom.contains("templateRef:\n          name: tiff-offsets\n"),
        "{custom}"
    );
}

/// The artifact repository takes every field of Argo's own `ArtifactRepository`: the EKS
/// path (IRSA credentials through `useSDKCreds`, no static keys) and `archiveLogs` render;
/// a misspelt field is an unknown key at its line, with Argo's fields as the suggestion.
#[test]
fn the_artifact_repository_is_argos_own() {
    let e = Estate::example();
    e.edit(
        PACK,
        "        accessKeySecret: {name: artifact-credentials, key: accessKey}\n        secretKeySecret: {name: artifact-credentials, key: secretKey}\n",
        "        useSDKCreds: true\n      archiveLogs: true\n",
    );
    let out = e.run(&["render", "--env", "dev"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let cm = e.read("gitops/dev/tenants/data-dev/configmap-artifact-repositories.yaml");
    assert!(cm.contains("\"useSDKCreds\": true"), "{cm}");
    assert!(cm.contains("\"archiveLogs\": true"), "{cm}");
    assert!(!cm.contains("accessKeySecret"), "{cm}");

    let e = Estate::example();
    e.edit(
        PACK,
        "        region: eu-west-1\n",
        "        region: eu-west-1\n        useSdkCreds: true\n",
    );
    let err = render_fails(&e, &e.loc(PACK, "useSdkCreds", "useSdkCreds"));
    assert!(err.contains("unknown key `useSdkCreds`"), "{err}");
    assert!(err.contains("useSDKCreds"), "{err}");
}

#[test]
fn catalog_asking_for_a_role_the_pack_does_not_define() {
    let e = Estate::example();
    e.edit(
        PACK,
        "serviceAccountRoles: [workflow-deployer]",
        "serviceAccountRoles: [workflow-deploy]",
    );
    let err = render_fails(&e, &e.loc(PACK, "[workflow-deploy]", "[workflow-deploy]"));
    assert!(
        err.contains("catalog workflow `deploy-kubernetes` asks for role `workflow-deploy`, which rbac.roles does not define"),
        "{err}"
    );
}

#[test]
fn custom_workflows_need_the_packs_permission() {
    let e = Estate::example();
    e.edit(PACK, "    allowCustom: true\n", "");
    let err = render_fails(&e, &e.loc(DEV, "custom:tiff-offsets@2.0.0", "\"custom"));
    assert!(
        err.contains("`custom:tiff-offsets@2.0.0` is a custom workflow, and pack platform@1.2.0 does not allow them"),
        "{err}"
    );
}
