//! `diff`: goldens for the common changes, a real git repository for `--base`, the failure
//! modes (each names the side that failed), and the noise controls.

mod common;

use common::{git, json_keys_at, stderr, stdout, Estate};
use gitops_render::diff::{diff, Object, ObjectKey, Objects, Options};
use gitops_render::manifest::ObjectRef;
use serde_json::json;

fn rendered() -> Estate {
    let e = Estate::example();
    let out = e.run(&["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    e
}

fn diff_text(e: &Estate, extra: &[&str]) -> (Option<i32>, String) {
    let mut args = vec!["diff"];
    args.extend_from_slice(extra);
    let out = e.run(&args);
    (out.status.code(), stdout(&out))
}

#[test]
fn no_change() {
    let e = rendered();
    let (code, text) = diff_text(&e, &[]);
    assert_eq!(code, Some(0));
    assert_eq!(text, "no changes against ./gitops\n");
    let (_, json) = diff_text(&e, &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(
        v["summary"]["total"],
        json!({"added": 0, "removed": 0, "changed": 0, "moved": 0})
    );
    assert_eq!(v["changes"], json!([]));
    assert_eq!(
        json_keys_at(&json, 2),
        ["version", "base", "summary", "changes"]
    );
    assert_eq!(
        json_keys_at(&json, 4),
        [
            "total",
            "destructive",
            "byEnvironment",
            "byKind",
            "byTenant"
        ]
    );
    assert_eq!(
        json_keys_at(&json, 6),
        ["added", "removed", "changed", "moved"]
    );
}

#[test]
fn tier_change_in_prod() {
    let e = rendered();
    e.edit(
        "environments/prod.yaml",
        "    data:\n      tier: large",
        "    data:\n      tier: medium",
    );
    let (code, text) = diff_text(&e, &[]);
    assert_eq!(code, Some(1));
    insta::assert_snapshot!(text);
    let (_, md) = diff_text(&e, &["--format", "markdown"]);
    insta::assert_snapshot!("tier_change_in_prod_markdown", md);
    let (_, json) = diff_text(&e, &["--format", "json"]);
    let change = [
        "change",
        "environment",
        "group",
        "kind",
        "namespace",
        "name",
        "oldPath",
        "newPath",
        "destructive",
        "fields",
        "diff",
    ];
    assert!(
        json_keys_at(&json, 6)
            .windows(change.len())
            .any(|w| w == change),
        "{json}"
    );
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    let quota = v["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["kind"] == "ResourceQuota")
        .expect("quota change");
    let fields: Vec<(&str, &serde_json::Value, &serde_json::Value)> = quota["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                f["pointer"].as_str().unwrap_or_default(),
                &f["old"],
                &f["new"],
            )
        })
        .collect();
    assert!(
        fields.contains(&("/spec/hard/requests.cpu", &json!("12"), &json!("4"))),
        "{fields:?}"
    );
}

#[test]
fn tenant_added() {
    let e = rendered();
    e.edit("environments/staging.yaml", "    ml: null\n", "");
    let (code, text) = diff_text(&e, &["--env", "staging"]);
    assert_eq!(code, Some(1));
    assert!(text.starts_with("gitops-render diff against ./gitops: 1 changed, 20 added, 0 removed, 0 moved in 1 environment"), "{text}");
    insta::assert_snapshot!(text.split("\n\n").take(4).collect::<Vec<_>>().join("\n\n"));
}

#[test]
fn tenant_removed() {
    let e = rendered();
    e.edit(
        "environments/local.yaml",
        "    frontend:\n      tier: micro\n      networkProfile: open\n      features: []\n",
        "    frontend: null\n",
    );
    let (code, text) = diff_text(&e, &["--env", "local"]);
    assert_eq!(code, Some(1));
    insta::assert_snapshot!(text.split("\n\n").take(4).collect::<Vec<_>>().join("\n\n"));
    assert!(text.contains("- local Namespace frontend-local  (local/tenants/frontend-local/namespace-frontend-local.yaml)"), "{text}");
}

#[test]
fn pack_version_bump() {
    let e = rendered();
    e.edit(
        "environments/prod.yaml",
        "policyPack: platform@1.1.0",
        "policyPack: platform@1.2.0",
    );
    let (code, text) = diff_text(&e, &[]);
    assert_eq!(code, Some(1));
    insta::assert_snapshot!(text.split("\n\n").take(4).collect::<Vec<_>>().join("\n\n"));
    // The same preview without touching a pin.
    let e = rendered();
    let (code, preview) = diff_text(&e, &["--pack", "platform@1.2.0", "--env", "prod"]);
    assert_eq!(code, Some(1));
    assert!(
        preview.starts_with("gitops-render diff against the current pins: 7 changed"),
        "{preview}"
    );
    assert!(
        preview.contains("/spec/hard/requests.memory: \"8Gi\" → \"12Gi\""),
        "{preview}"
    );
}

#[test]
fn workflow_added_to_a_tenant() {
    let e = rendered();
    e.edit(
        "environments/_base.yaml",
        "      workflows: [ci-secure-build]",
        "      workflows: [ci-secure-build, tiff-offsets]",
    );
    let (code, text) = diff_text(&e, &["--env", "dev"]);
    assert_eq!(code, Some(1));
    insta::assert_snapshot!(text.split("\n\n").take(4).collect::<Vec<_>>().join("\n\n"));
    assert!(text.contains("+ dev WorkflowTemplate ml-dev/tiff-offsets  (dev/workflows/ml-dev/workflowtemplate-tiff-offsets.yaml)"), "{text}");
}

#[test]
fn reordered_files_are_not_changes() {
    let e = rendered();
    let path = "gitops/prod/tenants/data-prod/namespace-data-prod.yaml";
    let text = e.read(path);
    let (head, body) = text.split_once('\n').expect("header");
    let v = gitops_render::source::parse_single(body).expect("yaml");
    // Same object, other key order and flow style, no header.
    let _ = head;
    e.write(
        path,
        &format!("{}\n", serde_json::to_string(&v).expect("json")),
    );
    let (code, out) = diff_text(&e, &[]);
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn ignore_kinds_and_fields() {
    let e = rendered();
    let (_, text) = diff_text(
        &e,
        &[
            "--pack",
            "platform@1.2.0",
            "--env",
            "prod",
            "--ignore",
            "Namespace",
        ],
    );
    assert!(
        text.starts_with("gitops-render diff against the current pins: 2 changed"),
        "{text}"
    );
    let (_, text) = diff_text(
        &e,
        &[
            "--pack",
            "platform@1.2.0",
            "--env",
            "prod",
            "--ignore",
            "/metadata/annotations/*",
            "--ignore",
            "ResourceQuota",
        ],
    );
    assert_eq!(text, "no changes against the current pins\n");
}

#[test]
fn markdown_stays_under_the_comment_limit() {
    let e = rendered();
    for v in ["1.1.0", "1.2.0"] {
        e.edit(
            &format!("policy-packs/platform/{v}/pack.yaml"),
            "namespace: \"{team}-{environment}\"",
            "namespace: \"{environment}-{team}\"",
        );
    }
    let out = e.run(&["diff", "--format", "markdown"]);
    let md = stdout(&out);
    assert!(
        md.len() <= gitops_render::diff::MARKDOWN_LIMIT,
        "{} characters",
        md.len()
    );
    assert!(
        md.contains("| Environment | added | changed | removed | moved |"),
        "summary kept"
    );
    // Every object left without details is named, the riskiest are detailed first, and the
    // catalog's WorkflowTemplates are one line each.
    let tail = &md[md.len().saturating_sub(800)..];
    assert!(md.contains("more object changes without details"), "{tail}");
    let details = &md[md.find("<details>").expect("details")..];
    let first_role = details.find("Role ").expect("a Role");
    let first_template = details
        .find("WorkflowTemplate ")
        .expect("a WorkflowTemplate");
    assert!(first_role < first_template, "RBAC before WorkflowTemplates");
    assert!(
        !md.contains("<summary>~ prod WorkflowTemplate"),
        "WorkflowTemplates are collapsed"
    );
    let json = stdout(&e.run(&["diff", "--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    let objects = v["changes"].as_array().expect("changes");
    let named = objects
        .iter()
        .filter(|c| {
            let ns = c["namespace"].as_str().unwrap_or("");
            let name = c["name"].as_str().unwrap_or("");
            let title = if ns.is_empty() {
                name.to_owned()
            } else {
                format!("{ns}/{name}")
            };
            md.contains(&format!("{} {title}", c["kind"].as_str().unwrap_or("")))
        })
        .count();
    assert_eq!(named, objects.len(), "every changed object is named");
}

#[test]
fn a_removed_team_is_destructive_in_every_format_and_fail_on_blocks_it() {
    let e = rendered();
    let out = e.run(&["diff", "--fail-on", "destructive"]);
    assert_eq!(out.status.code(), Some(0), "no change: {}", stderr(&out));
    // A tier change is a change, not a destructive one.
    e.edit(
        "environments/prod.yaml",
        "    frontend:\n      tier: medium\n",
        "    frontend:\n      tier: large\n",
    );
    let out = e.run(&["diff", "--fail-on", "destructive"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stdout(&out).contains("DESTRUCTIVE"));
    e.edit(
        "environments/prod.yaml",
        "    frontend:\n      tier: large\n",
        "    frontend: null\n",
    );
    let out = e.run(&["diff", "--fail-on", "destructive", "--env", "prod"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out)
            .contains("DESTRUCTIVE: removes prod Namespace frontend-prod and every object in it"),
        "{}",
        stdout(&out)
    );
    let md = stdout(&e.run(&["diff", "--format", "markdown", "--env", "prod"]));
    assert!(
        md.contains("> [!CAUTION]\n> **Destructive:**\n> - removes prod Namespace frontend-prod"),
        "{md}"
    );
    let json = stdout(&e.run(&["diff", "--format", "json", "--env", "prod"]));
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(v["summary"]["destructive"], 1);
    let ns = v["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["kind"] == "Namespace")
        .expect("the Namespace");
    assert_eq!(ns["destructive"], true);
    // The example estate keeps a removed team's Namespace on the cluster.
    let set = e.read("gitops/applicationsets/prod.yaml");
    assert!(set.contains("preserveResourcesOnDeletion: true"), "{set}");
}

#[test]
fn list_changes_show_the_items_added_and_removed() {
    let e = rendered();
    e.edit(
        "environments/_base.yaml",
        "        viewer: [\"group:sre\", \"group:design\"]\n",
        "        viewer: [\"group:sre\", \"group:design\", \"group:qa\"]\n",
    );
    let (code, text) = diff_text(&e, &["--env", "dev"]);
    assert_eq!(code, Some(1));
    assert!(text.contains("/subjects/2: added {\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Group\",\"name\":\"qa\"}"), "{text}");
    assert!(!text.contains("/subjects: "), "not the whole list: {text}");
}

#[test]
fn secret_values_are_never_printed() {
    let key = ObjectKey {
        env: "prod".into(),
        id: ObjectRef {
            group: String::new(),
            kind: "Secret".into(),
            namespace: "shop".into(),
            name: "db".into(),
        },
    };
    let obj = |pw: &str| Object {
        path: "prod/tenants/shop/secret-db.yaml".into(),
        value: json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "shop"}, "stringData": {"password": pw, "user": "app"}}),
    };
    let old: Objects = [(key.clone(), obj("hunter2"))].into_iter().collect();
    let new: Objects = [(key, obj("correct-horse"))].into_iter().collect();
    let changes = diff(
        &old,
        &new,
        &Options {
            context: 3,
            ignore: vec![],
        },
    );
    let text =
        gitops_render::diff::render(gitops_render::diff::Format::Text, &changes, "base", false);
    assert!(
        !text.contains("hunter2") && !text.contains("correct-horse"),
        "{text}"
    );
    assert!(
        text.contains("/stringData/password: \"<redacted>\" → \"<redacted: changed>\""),
        "{text}"
    );
    assert!(
        text.contains("-  password: <redacted>") || text.contains("password: \"<redacted>\""),
        "{text}"
    );
}

#[test]
fn base_revision_from_a_real_git_repository() {
    let e = Estate::example();
    git(e.path(), &["init", "-q"]);
    git(e.path(), &["add", "."]);
    git(e.path(), &["commit", "-q", "-m", "estate"]);
    e.edit(
        "environments/prod.yaml",
        "    data:\n      tier: large",
        "    data:\n      tier: medium",
    );
    e.write(
        "environments/qa.yaml",
        &e.read("environments/staging.yaml")
            .replace("name: staging", "name: qa")
            .replace("staging-eks", "qa-eks"),
    );
    let status_before = git(e.path(), &["status", "--porcelain"]);
    let out = e.run(&["diff", "--base", "HEAD"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("gitops-render diff against HEAD:"),
        "{text}"
    );
    assert!(
        text.contains("~ prod ResourceQuota data-prod/tenant-quota"),
        "{text}"
    );
    assert!(
        text.contains("+ qa Namespace backend-qa"),
        "a new environment at HEAD's absence: {text}"
    );
    // The pull request that adds `qa` can be reviewed environment by environment.
    let out = e.run(&["diff", "--base", "HEAD", "--env", "qa"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("+ qa Namespace backend-qa"));
    assert!(!stdout(&out).contains(" prod "), "only qa");
    let out = e.run(&["diff", "--base", "HEAD", "--env", "qq"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no environment named `qq`"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        git(e.path(), &["status", "--porcelain"]),
        status_before,
        "work tree and index untouched"
    );
    assert!(!e.path().join("gitops").exists(), "diff writes no tree");

    // The other way round: the base has an environment the work tree lost.
    std::fs::remove_file(e.path().join("environments/qa.yaml")).expect("rm");
    git(e.path(), &["add", "-A"]);
    git(e.path(), &["commit", "-q", "-m", "qa"]);
    std::fs::remove_file(e.path().join("environments/local.yaml")).expect("rm");
    let out = e.run(&["diff", "--base", "HEAD", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert!(
        v["summary"]["byEnvironment"]["local"]["removed"]
            .as_u64()
            .unwrap_or(0)
            > 0,
        "{v}"
    );
}

#[test]
fn bad_base_and_broken_sides_exit_2_naming_the_side() {
    let e = Estate::example();
    // Not a git repository.
    let out = e.run(&["diff", "--base", "HEAD"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot read the base `HEAD`")
            && stderr(&out).contains("not in a git repository"),
        "{}",
        stderr(&out)
    );

    git(e.path(), &["init", "-q"]);
    git(e.path(), &["add", "."]);
    git(e.path(), &["commit", "-q", "-m", "estate"]);
    let out = e.run(&["diff", "--base", "no-such-ref"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(
            "cannot read the base `no-such-ref`: `no-such-ref` is not a commit in this repository"
        ),
        "{}",
        stderr(&out)
    );

    // An estate that is broken at the base but fixed in the work tree.
    e.edit(
        "environments/dev.yaml",
        "tier: small\n      features: [monitoring-enhanced",
        "tier: xlarge\n      features: [monitoring-enhanced",
    );
    git(e.path(), &["commit", "-q", "-am", "broken"]);
    e.edit("environments/dev.yaml", "tier: xlarge", "tier: small");
    let out = e.run(&["diff", "--base", "HEAD"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.starts_with("error: cannot render the base `HEAD`"),
        "{err}"
    );
    assert!(err.contains("tier `xlarge` is not defined"), "{err}");

    // Broken in the work tree.
    e.edit(
        "environments/dev.yaml",
        "tier: small\n      features: [monitoring-enhanced",
        "tier: xlarge\n      features: [monitoring-enhanced",
    );
    let out = e.run(&["diff"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: cannot render the work tree's inputs"),
        "{}",
        stderr(&out)
    );
}

/// `diff --against` compares each file with the tree on disk as it is rendered and reads
/// only the files it did not render the same; its report must be that of diffing the two
/// whole trees, for changes, additions, removals, a hand-written object and a file that is
/// not YAML in the tree, with and without `--env`.
#[test]
fn against_a_tree_on_disk_is_the_diff_of_the_whole_trees() {
    use gitops_render::diff::{from_files, render, same_files, Format};
    use gitops_render::source::EstateFiles;
    use gitops_render::tree::io::read_tree;
    let e = rendered();
    e.edit("environments/staging.yaml", "    ml: null\n", "");
    e.edit(
        "environments/local.yaml",
        "    frontend:\n      tier: micro\n      networkProfile: open\n      features: []\n",
        "    frontend: null\n",
    );
    e.edit("environments/prod.yaml", "tier: medium", "tier: large");
    e.write(
        "gitops/dev/tenants/data-dev/configmap-by-hand.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: by-hand\n  namespace: data-dev\n",
    );
    e.write("gitops/NOTES.md", "# not an object\n");
    let files = EstateFiles::read_dir(e.path()).expect("reads");
    for envs in [vec![], vec!["dev".to_owned()], vec!["local".to_owned()]] {
        let new = gitops_render::render_estate(&files, &envs)
            .expect("renders")
            .tree
            .files;
        let old = read_tree(&e.path().join("gitops")).expect("reads the tree");
        let same = same_files(&old, &new);
        let changes = diff(
            &from_files(&old, &envs, &same).expect("parses"),
            &from_files(&new, &envs, &same).expect("parses"),
            &Options {
                context: 3,
                ignore: Vec::new(),
            },
        );
        assert!(!changes.is_empty(), "envs {envs:?}");
        let expected = render(Format::Json, &changes, "./gitops", false);
        let mut args = vec!["--format", "json", "--context", "3"];
        envs.iter()
            .for_each(|env| args.extend(["--env", env.as_str()]));
        let (code, text) = diff_text(&e, &args);
        assert_eq!(code, Some(1), "envs {envs:?}");
        let first_difference = text
            .lines()
            .zip(expected.lines())
            .position(|(a, b)| a != b)
            .map(|i| (i, text.lines().nth(i), expected.lines().nth(i)));
        assert_eq!(first_difference, None, "envs {envs:?}");
        assert_eq!(text.trim_end(), expected.trim_end(), "envs {envs:?}");
    }
}

/// A file of the tree on disk that is not valid YAML fails `diff --against` with its path,
/// exit 2, unless it is rendered with the same bytes.
#[test]
fn against_a_broken_tree_on_disk_names_the_file() {
    let e = rendered();
    e.write("gitops/dev/tenants/data-dev/broken.yaml", "a: [unclosed\n");
    let out = e.run(&["diff"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("dev/tenants/data-dev/broken.yaml:"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn against_a_file_that_is_not_a_directory_names_it() {
    let e = rendered();
    e.write("not-a-tree", "x\n");
    let against = e.path().join("not-a-tree");
    let out = e.run(&["diff", "--against", against.to_str().expect("UTF-8 path")]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("not-a-tree: Not a directory"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
}
