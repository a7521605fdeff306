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
        "      workflows: [tiff-offsets, update-publication, \"custom:tiff-offsets@2.0.0\"]",
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
        "      workflows: [tiff-offsets, update-publication, \"custom:tiff-offsets@2.0.0\"]",
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

/// A workflow pod that the tier's quota or the LimitRange would refuse is refused at render,
/// with the numbers: quota admission would otherwise keep the step Pending until its
/// deadline.
#[test]
fn a_workflow_pod_that_does_not_fit_the_tier() {
    let steps = "policy-packs/platform/1.2.0/workflows/_steps.yaml.j2";
    let e = Estate::example();
    e.edit(
        steps,
        "{requests: {cpu: 250m, memory: 1Gi}, limits: {cpu: 500m, memory: 1536Mi}}",
        "{requests: {cpu: 250m, memory: 1Gi}, limits: {cpu: 500m, memory: 1537Mi}}",
    );
    let err = render_fails(
        &e,
        "policy-packs/platform/1.2.0/workflows/build-docker-image.yaml.j2:1:1",
    );
    assert!(
        err.contains("local/backend-local workflow build-docker-image@2.0.0: template `build` (with Argo's executor containers at the pack's executor resources) needs limits.memory 2049Mi for one pod"),
        "{err}"
    );
    assert!(err.contains("the micro tier's quota allows 2Gi"), "{err}");
    assert!(err.contains("workflow-exceeds-tier"), "{err}");

    let e = Estate::example();
    e.edit(
        steps,
        "{requests: {cpu: 500m, memory: 1Gi}, limits: {cpu: 1500m, memory: 3Gi}}",
        "{requests: {cpu: 500m, memory: 1Gi}, limits: {cpu: \"5\", memory: 3Gi}}",
    );
    let out = e.run(&["render", "--env", "dev"]);
    let err = assert_bad_input(
        &e,
        &out,
        "policy-packs/platform/1.2.0/workflows/build-docker-image.yaml.j2:1:1",
    );
    assert!(
        err.contains("template `build` main asks for limits.cpu 5 in one container; the LimitRange allows at most 4"),
        "{err}"
    );
}

/// The executor containers Argo adds count in every pod at the resources the pack declares
/// for the controller: raising them past what a tier holds refuses the render, and the
/// parallelism of each WorkflowTemplate is lowered to the pods its tier's quota holds.
#[test]
fn executor_resources_count_in_every_workflow_pod() {
    let e = Estate::example();
    e.edit(
        PACK,
        "        limits: {cpu: 500m, memory: 512Mi}\n",
        "        limits: {cpu: 500m, memory: 1Gi}\n",
    );
    let out = e.run(&["render", "--env", "local"]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("(with Argo's executor containers at the pack's executor resources) needs limits.memory 2560Mi for one pod; the micro tier's quota allows 2Gi"),
        "{err}"
    );

    let e = Estate::example();
    e.edit(
        PACK,
        "      resources:\n        requests: {cpu: 100m, memory: 64Mi}\n",
        "      resources:\n        requests: {cpu: 100m, memory: 64Mi}\n        bogus: 1\n",
    );
    let out = e.run(&["render", "--env", "local"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bogus"), "{err}");

    // micro (local backend): each pod is 1 cpu of limits with the wait container; the
    // quota's limits.cpu is 1, so one pod at a time.
    let e = Estate::example();
    let out = e.run(&["render", "--env", "local"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = e.read("gitops/local/workflows/backend-local/workflowtemplate-ci-test.yaml");
    assert!(text.contains("\n  parallelism: 1\n"), "{text}");
}

/// Argo's `wait` and `init` containers run with the controller's executor securityContext,
/// which the pack declares: Pod Security admission judges them by it, and a value that is
/// not a container securityContext is refused where it is written.
#[test]
fn executor_security_context_is_judged_by_pod_security() {
    let e = Estate::example();
    assert!(e.run(&["render"]).status.success());
    let out = e.run(&["lint"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    e.edit(
        PACK,
        "        runAsUser: 8737\n        allowPrivilegeEscalation: false\n",
        "        runAsUser: 0\n        allowPrivilegeEscalation: false\n        privileged: true\n",
    );
    // The render refuses the tree for these findings; written without lint, lint finds them.
    assert_eq!(e.run(&["render"]).status.code(), Some(2));
    assert!(e.run(&["render", "--no-lint"]).status.success());
    let out = e.run(&["lint", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    let findings = report["findings"].as_array().expect("findings");
    let enforce: Vec<&str> = findings
        .iter()
        .filter(|f| f["rule"] == "pod-security-enforce")
        .filter_map(|f| f["message"].as_str())
        .collect();
    // build-docker-image's `build` step has input artifacts: both containers are judged.
    let build = enforce
        .iter()
        .find(|m| m.contains("template `build` Argo's `wait`"))
        .unwrap_or_else(|| panic!("{enforce:#?}"));
    assert!(
        build.contains(
            "template `build` Argo's `wait` container (the pack's `workflows.executor.securityContext`): privileged: true (privileged containers)"
        ),
        "{build}"
    );
    assert!(
        build.contains("template `build` Argo's `init` container"),
        "{build}"
    );
    assert!(
        build.contains("refused by Pod Security admission"),
        "{build}"
    );
    let warned = findings
        .iter()
        .filter(|f| f["rule"] == "pod-security-warn")
        .filter_map(|f| f["message"].as_str())
        .any(|m| m.contains("Argo's `wait` container (the pack's `workflows.executor.securityContext`): runAsUser: 0"));
    let restricted_enforced = enforce.iter().any(|m| m.contains("runAsUser: 0"));
    assert!(warned || restricted_enforced, "{findings:#?}");

    let e = Estate::example();
    e.edit(
        PACK,
        "        runAsUser: 8737\n",
        "        runAsUser: root\n",
    );
    let out = e.run(&["render"]);
    let err = assert_bad_input(&e, &out, &e.loc(PACK, "runAsUser: root", "root"));
    assert!(
        err.contains("workflows.executor.securityContext: "),
        "{err}"
    );
}

/// The build's relaxations exist only through the pack's declared exception, only for the
/// catalog workflow that declares them, and never beyond them.
#[test]
fn pod_security_relaxations_need_the_packs_exception() {
    // Without the exception, the build container's privilege escalation is refused.
    let e = Estate::example();
    e.edit(
        PACK,
        "          allow: [allowPrivilegeEscalation, defaultCapabilities]\n",
        "          allow: [defaultCapabilities]\n",
    );
    let err = render_fails(
        &e,
        "policy-packs/platform/1.2.0/workflows/build-docker-image.yaml.j2:1:1",
    );
    assert!(
        err.contains("securityContext.allowPrivilegeEscalation` to true"),
        "{err}"
    );
    // seccomp Unconfined cannot be granted at all: baseline refuses it.
    let e = Estate::example();
    e.edit(
        PACK,
        "          allow: [allowPrivilegeEscalation, defaultCapabilities]\n",
        "          allow: [seccompUnconfined, allowPrivilegeEscalation]\n",
    );
    let out = e.run(&["render"]);
    let err = assert_bad_input(
        &e,
        &out,
        &e.loc(PACK, "allow: [seccompUnconfined", "seccompUnconfined"),
    );
    assert!(err.contains("seccompUnconfined"), "{err}");
    let e = Estate::example();
    e.edit(
        "policy-packs/platform/1.2.0/workflows/build-docker-image.yaml.j2",
        "        seccompProfile: {type: Localhost, localhostProfile: profiles/buildkit-rootless.json}\n",
        "        seccompProfile: {type: Unconfined}\n",
    );
    let err = render_fails(
        &e,
        "policy-packs/platform/1.2.0/workflows/build-docker-image.yaml.j2:1:1",
    );
    assert!(
        err.contains("seccompProfile.type: Unconfined`, which pack platform@1.2.0 does not allow for this workflow"),
        "{err}"
    );

    // With it, anything beyond the declared relaxations is still refused.
    for (from, to, says) in [
        (
            "        allowPrivilegeEscalation: true\n",
            "        allowPrivilegeEscalation: true\n        privileged: true\n",
            "securityContext.privileged` to true",
        ),
        (
            "        capabilities: {}\n",
            "        capabilities: {add: [SYS_ADMIN]}\n",
            "securityContext.capabilities` to {\"add\":[\"SYS_ADMIN\"]}",
        ),
        (
            "        allowPrivilegeEscalation: true\n",
            "        allowPrivilegeEscalation: true\n        appArmorProfile: {type: Unconfined}\n",
            "appArmorProfile.type: Unconfined`",
        ),
    ] {
        let e = Estate::example();
        e.edit(
            "policy-packs/platform/1.2.0/workflows/build-docker-image.yaml.j2",
            from,
            to,
        );
        let err = render_fails(
            &e,
            "policy-packs/platform/1.2.0/workflows/build-docker-image.yaml.j2:1:1",
        );
        assert!(err.contains(says), "{to}: {err}");
    }

    // A custom workflow never gets the catalog's exception, even under the same name.
    let e = Estate::example();
    let custom = "workflows/custom/tiff-offsets/2.0.0.yaml.j2";
    e.edit(
        custom,
        "  - name: main\n",
        "  - name: unconfined\n    container:\n      image: busybox:1.37\n      securityContext: {seccompProfile: {type: Unconfined}}\n  - name: main\n",
    );
    let err = render_fails(&e, &format!("{custom}:1:1"));
    assert!(err.contains("seccompProfile.type: Unconfined"), "{err}");
}

/// `backstage/` templates may produce only Backstage entities, and those are validated
/// strictly like any object.
#[test]
fn backstage_templates_produce_valid_backstage_entities_only() {
    let e = Estate::example();
    e.write(
        "templates/backstage/sneaky.yaml.j2",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
    );
    let err = render_fails(&e, "templates/backstage/sneaky.yaml.j2:1:1");
    assert!(
        err.contains("must produce Backstage entities (apiVersion backstage.io/…), not ConfigMap"),
        "{err}"
    );

    let e = Estate::example();
    e.edit(
        "templates/backstage/resource.yaml.j2",
        "  owner: ",
        "  ownr: ",
    );
    let out = e.run(&["render", "--env", "dev"]);
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr(&out));
    let err = common::stderr(&out);
    assert!(err.contains("\"owner\" is a required property at dev/backstage/backend-dev/resource-backend-dev.yaml:19:1"), "{err}");
    assert!(err.contains("ownr"), "{err}");
}
