//! `lint` and `rules` as users run them: inputs (files, folders, stdin), formats, exit codes,
//! suppression, and `render` refusing to write a tree with lint errors.

mod common;

use assert_cmd::Command;
use common::{json_keys_at, stderr, stdout, Estate};

fn bin() -> Command {
    let mut c = Command::cargo_bin("gitops-render").expect("binary");
    c.env("GITOPS_RENDER_TODAY", "2026-11-22");
    c
}

const BAD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers:\n  - {name: c, image: \"nginx:latest\"}\n";

#[test]
fn the_example_tree_lints_clean() {
    let e = Estate::example();
    assert_eq!(e.run(&["render"]).status.code(), Some(0));
    let files = e.tree().len();
    let out = e.run(&["lint"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    // One object per file in the file-per-object layout, each checked; the only findings
    // are notes: the pack's declared Pod Security exception (the image build) and the
    // Istio CNI requirement of injected namespaces.
    let text = stdout(&out);
    assert!(
        text.contains(&format!("{files} objects checked: 0 errors, 0 warnings, ")),
        "{text}"
    );
    let out = e.run(&["lint", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let findings = report["findings"].as_array().expect("findings");
    assert!(!findings.is_empty());
    for f in findings {
        assert_eq!(f["severity"], "note", "{f}");
        let rule = f["rule"].as_str().unwrap_or_default();
        if rule == "pod-security-exception" {
            assert!(
                f["message"]
                    .as_str()
                    .unwrap_or_default()
                    .ends_with("build-docker-image"),
                "{f}"
            );
        } else if rule == "istio-needs-cni" {
            // backend and frontend use the istio feature.
            let object = f["object"].as_str().unwrap_or_default();
            assert!(
                object.starts_with("Namespace backend-")
                    || object.starts_with("Namespace frontend-"),
                "{f}"
            );
        } else {
            assert!(
                ["privilege-escalation", "capabilities-not-dropped"].contains(&rule),
                "{f}"
            );
            assert!(
                f["object"]
                    .as_str()
                    .unwrap_or_default()
                    .ends_with("/build-docker-image"),
                "{f}"
            );
        }
    }
}

#[test]
fn stdin_and_exit_codes() {
    let out = bin()
        .args(["lint", "-"])
        .write_stdin(BAD)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains(
            "error: container `c` image `nginx:latest` uses the `latest` tag at <stdin>:6:"
        ),
        "{text}"
    );
    // A cross-object finding in stdin is located in its text, which cannot be read again.
    let out = bin()
        .args(["lint", "-"])
        .write_stdin("---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n")
        .output()
        .expect("runs");
    let text = stdout(&out);
    assert!(
        text.contains(
            "error: namespace `shop` has no ResourceQuota at <stdin>:5:3\n  |\n5 |   name: shop"
        ),
        "{text}"
    );
    let clean = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n";
    let out = bin()
        .args(["lint", "-"])
        .write_stdin(clean)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let out = bin()
        .args(["lint", "does-not-exist.yaml"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn several_formats_in_one_run() {
    let dir = tempfile::tempdir().expect("tmp");
    let sarif = dir.path().join("lint.sarif");
    let junit = dir.path().join("lint.xml");
    let out = bin()
        .args(["lint", "-", "--format", "github", "--output"])
        .arg(format!("sarif={}", sarif.display()))
        .arg("--output")
        .arg(format!("junit={}", junit.display()))
        .write_stdin(BAD)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("::error file=<stdin>,line=6,col="),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains(",title=image-not-pinned::container `c` image `nginx:latest`"),
        "{}",
        stdout(&out)
    );
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).expect("sarif")).expect("json");
    assert_eq!(log["version"], "2.1.0");
    let results = log["runs"][0]["results"].as_array().expect("results");
    assert!(results
        .iter()
        .any(|r| r["ruleId"] == "image-not-pinned" && r["level"] == "error"));
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "%3Cstdin%3E"
    );
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    assert_eq!(rules.len(), gitops_render::lint::RULES.len());
    let xml = std::fs::read_to_string(&junit).expect("junit");
    assert!(xml.contains("<testcase name=\"image-not-pinned\""), "{xml}");
    assert!(xml.contains("<failure"), "{xml}");
    let out = bin()
        .args(["lint", "-", "--format", "json"])
        .write_stdin(BAD)
        .output()
        .expect("runs");
    let text = stdout(&out);
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["version"], 1);
    assert!(v["summary"]["errors"].as_u64().unwrap_or(0) >= 1);
    assert_eq!(
        json_keys_at(&text, 2),
        ["version", "summary", "findings", "skipped"]
    );
    let finding = [
        "rule", "severity", "message", "file", "line", "column", "object", "help",
    ];
    assert_eq!(json_keys_at(&text, 6)[..finding.len()], finding);
}

#[test]
fn ignore_annotation_and_pack_overrides() {
    let annotated = BAD.replace("metadata: {name: p, namespace: shop}", "metadata: {name: p, namespace: shop, annotations: {gitops-render.dev/ignore: \"image-not-pinned, run-as-root\"}}");
    let out = bin()
        .args(["lint", "-", "--format", "json"])
        .write_stdin(annotated)
        .output()
        .expect("runs");
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert!(
        !rules.contains(&"image-not-pinned") && !rules.contains(&"run-as-root"),
        "{rules:?}"
    );
    assert!(rules.contains(&"writable-root-filesystem"), "{rules:?}");

    // In an estate, the pack's severity overrides apply.
    let e = Estate::example();
    e.edit(
        "policy-packs/platform/1.2.0/pack.yaml",
        "      rbac-escalation: error\n",
        "      rbac-escalation: error\n      image-not-pinned: off\n      missing-resources: warning\n",
    );
    e.write("extra/pod.yaml", BAD);
    let out = e.run(&["lint", "extra", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let found: Vec<(String, String)> = v["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_owned(),
                f["severity"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert!(
        !found.iter().any(|(r, _)| r == "image-not-pinned"),
        "{found:?}"
    );
    assert!(
        found.contains(&("missing-resources".to_owned(), "warning".to_owned())),
        "{found:?}"
    );
}

#[test]
fn unknown_rule_in_a_pack_is_an_input_error() {
    let e = Estate::example();
    e.edit(
        "policy-packs/platform/1.2.0/pack.yaml",
        "      rbac-escalation: error\n",
        "      rbac-escalation: error\n      image-not-pined: off\n",
    );
    let out = e.run(&["render"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("there is no lint rule `image-not-pined`")
            && err.contains("did you mean `image-not-pinned`?"),
        "{err}"
    );
}

#[test]
fn expired_waiver_is_a_finding_and_stops_render() {
    let e = Estate::example();
    e.edit(
        "policy-packs/platform/1.2.0/pack.yaml",
        "expires: \"2027-03-31\"",
        "expires: \"2026-01-31\"",
    );
    let out = e.run(&["render"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("the waiver of `namespace-missing-default-deny` for Namespace ml-dev (owner ml-lead@example.com) expired on 2026-01-31 at policy-packs/platform/1.2.0/pack.yaml:"), "{err}");
    assert!(
        err.contains("namespace `ml-dev` has no default-deny NetworkPolicy"),
        "the waived finding is back: {err}"
    );
    assert!(err.contains("nothing was written"), "{err}");
    assert!(!e.path().join("gitops").exists());
    // --no-lint renders anyway.
    assert_eq!(e.run(&["render", "--no-lint"]).status.code(), Some(0));
}

#[test]
fn render_refuses_a_tree_with_lint_errors() {
    let e = Estate::example();
    e.edit(
        "policy-packs/platform/1.2.0/workflows/file-transfer.yaml.j2",
        "image: amazon/aws-cli:2.18.0",
        "image: amazon/aws-cli",
    );
    let out = e.run(&["render"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("image `amazon/aws-cli` has no tag"),
        "{}",
        stderr(&out)
    );
    assert!(!e.path().join("gitops").exists());
}

#[test]
fn rules_lists_and_documents() {
    let out = bin().arg("rules").output().expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.contains("tenancy:\n  namespace-missing-quota"),
        "{text}"
    );
    assert_eq!(
        text.lines().filter(|l| l.starts_with("  ")).count(),
        gitops_render::lint::RULES.len()
    );
    let out = bin().args(["rules", "run-as-root"]).output().expect("runs");
    assert!(
        stdout(&out).starts_with("# run-as-root\n\nworkloads · default severity: error"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("## Why is this bad?"));
    let out = bin().args(["rules", "run-as-rot"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("did you mean `run-as-root`?"));
}

/// docs/rules.md is what SARIF's helpUri links to: it must be `rules --markdown` exactly
/// (regenerate with `cargo run -- rules --markdown > docs/rules.md`).
#[test]
fn the_rules_page_is_current() {
    let out = bin().args(["rules", "--markdown"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/rules.md"))
        .expect("docs/rules.md");
    assert!(
        stdout(&out) == page,
        "docs/rules.md is stale: run `cargo run -- rules --markdown > docs/rules.md`"
    );
    let one = bin().args(["rules", "run-as-root"]).output().expect("runs");
    assert!(page.contains(&stdout(&one)));
}

#[test]
fn explicit_namespaces_follow_their_own_name_and_the_pack_rule_is_used() {
    let e = Estate::example();
    e.edit(
        "environments/prod.yaml",
        "    frontend:\n      tier: medium",
        "    frontend:\n      tier: medium\n      namespace: web-storefront",
    );
    let out = e.run(&["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let ns = e.read("gitops/prod/tenants/web-storefront/namespace-web-storefront.yaml");
    assert!(
        ns.contains("gitops-render.dev/ignore: namespace-naming"),
        "{ns}"
    );
    // A pack with another naming rule: its own namespaces are not flagged. (The example's
    // waivers name namespaces, which no longer match: render without the lint gate.)
    let e = Estate::example();
    for v in ["1.1.0", "1.2.0"] {
        e.edit(
            &format!("policy-packs/platform/{v}/pack.yaml"),
            "namespace: \"{team}-{environment}\"",
            "namespace: \"{environment}-{team}\"",
        );
    }
    let out = e.run(&["render", "--no-lint"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = e.run(&["lint", "--format", "json"]);
    assert!(
        !stdout(&out).contains("namespace-naming"),
        "{}",
        stdout(&out)
    );
}

/// `lint` compiles the schemas of a rendered tree's kinds ahead of reading it: every object
/// the example estate renders is of one of them, and each has a schema.
#[test]
fn the_kinds_compiled_ahead_are_what_a_render_holds() {
    common::assert_compiled_ahead(&gitops_render::lint::TREE_KINDS, "TREE_KINDS", |_| true);
}

/// `rbac-escalation` warns by default; the example pack makes it an error for its estate.
#[test]
fn rbac_escalation_severity_is_the_packs() {
    const ROLE: &str = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: dev, namespace: shop-dev}\nrules:\n- apiGroups: [\"\"]\n  resources: [pods/exec]\n  verbs: [create]\n";
    let severity = |e: &Estate| {
        e.write("extra/role.yaml", ROLE);
        let out = e.run(&["lint", "extra", "--format", "json"]);
        let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
        let found: Vec<String> = v["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["rule"] == "rbac-escalation")
            .filter_map(|f| f["severity"].as_str().map(str::to_owned))
            .collect();
        (out.status.code(), found)
    };
    let e = Estate::example();
    assert_eq!(severity(&e), (Some(1), vec!["error".to_owned()]));
    let e = Estate::example();
    e.edit(
        "policy-packs/platform/1.2.0/pack.yaml",
        "    rules:\n      rbac-escalation: error\n",
        "",
    );
    e.edit(
        "policy-packs/platform/1.1.0/pack.yaml",
        "    rules:\n      rbac-escalation: error\n",
        "",
    );
    let (_, found) = severity(&e);
    assert_eq!(found, vec!["warning".to_owned()]);
}
