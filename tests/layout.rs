//! `repo.layout: file-per-app`: one `manifest.yaml` per application folder. The tree must hold
//! exactly the objects of the default layout (the committed golden tree), and render, check,
//! lint, prune, diff and the Argo CD plugin must work on it as they do on the default.

mod common;

use std::collections::BTreeMap;

use common::{repo_root, stderr, stdout, Estate};

/// The example estate in the file-per-app layout, committed to git in the default layout's
/// inputs first (so `diff --base HEAD` compares the two layouts).
fn file_per_app_estate() -> Estate {
    let e = Estate::example();
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["add", "-A"],
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@e",
            "commit",
            "-qm",
            "base",
        ],
    ] {
        let ok = std::process::Command::new("git")
            .args(args)
            .current_dir(e.path())
            .status()
            .expect("git");
        assert!(ok.success(), "git {args:?}");
    }
    e.edit(
        "environments/_base.yaml",
        "    targetRevision: main\n",
        "    targetRevision: main\n    layout: file-per-app\n",
    );
    e
}

/// The committed example tree (file-per-object), read from the repository.
fn golden() -> BTreeMap<String, Vec<u8>> {
    gitops_render::tree::io::read_tree(&repo_root().join("gitops")).expect("golden tree")
}

/// The folder of a golden file, if it is an application folder's.
fn app_folder(path: &str) -> Option<&str> {
    let (folder, _) = path.rsplit_once('/')?;
    let parts: Vec<&str> = folder.split('/').collect();
    matches!(
        parts.as_slice(),
        [_, "tenants" | "workflows" | "backstage", _] | [_, "argocd"]
    )
    .then_some(folder)
}

#[test]
fn file_per_app_holds_each_folder_in_one_file_in_tree_order() {
    let e = file_per_app_estate();
    let out = e.run(&["render", "-q"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let tree = e.tree();

    // What the default layout's files say, folder by folder: the header once, then the
    // files' bodies in path order, `---` between two.
    let mut expected: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut bundles: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for (path, bytes) in golden() {
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        match app_folder(&path) {
            Some(folder) => {
                let (header, body) = text.split_once('\n').expect("header line");
                let entry = bundles
                    .entry(format!("{folder}/manifest.yaml"))
                    .or_insert_with(|| (header.to_owned(), Vec::new()));
                assert_eq!(entry.0, header, "one header per folder");
                entry.1.push(body.to_owned());
            }
            None => {
                expected.insert(path, bytes);
            }
        }
    }
    assert!(
        bundles.len() >= 40,
        "the example has 40 application folders"
    );
    for (path, (header, bodies)) in bundles {
        let text = format!("{header}\n{}", bodies.join("---\n"));
        expected.insert(path, text.into_bytes());
    }
    let paths: Vec<&String> = tree.keys().collect();
    assert_eq!(paths, expected.keys().collect::<Vec<_>>());
    for (path, bytes) in &expected {
        assert_eq!(
            String::from_utf8_lossy(&tree[path]),
            String::from_utf8_lossy(bytes),
            "{path}"
        );
    }
    assert!(golden().len() > 6 * tree.len(), "{} files", tree.len());
}

#[test]
fn check_lint_and_prune_work_on_file_per_app_and_back() {
    let e = file_per_app_estate();
    // The tree of the default layout first: switching prunes its files.
    e.write(
        "gitops/prod/tenants/data-prod/notes.md",
        "# by hand: never pruned\n",
    );
    let default = Estate::example();
    assert_eq!(default.run(&["render", "-q"]).status.code(), Some(0));
    for (path, bytes) in default.tree() {
        e.write(
            &format!("gitops/{path}"),
            &String::from_utf8(bytes).expect("utf-8"),
        );
    }
    let out = e.run(&["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("pruned prod/tenants/data-prod/namespace-data-prod.yaml"),
        "{said}"
    );
    let tree = e.tree();
    assert!(tree.contains_key("prod/tenants/data-prod/manifest.yaml"));
    assert!(tree.contains_key("prod/tenants/data-prod/notes.md"));
    assert!(!tree.keys().any(|p| p.ends_with("namespace-data-prod.yaml")));

    let out = e.run(&["render", "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = e.run(&["lint", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["summary"]["errors"], 0, "{report}");

    // Findings point into the folder's file, at the object's own lines.
    let findings = report["findings"].as_array().expect("findings");
    let exception = findings
        .iter()
        .find(|f| {
            f["rule"] == "pod-security-exception"
                && f["file"]
                    .as_str()
                    .is_some_and(|p| p.ends_with("prod/tenants/backend-prod/manifest.yaml"))
        })
        .unwrap_or_else(|| panic!("no pod-security-exception note: {report}"));
    let line = exception["line"].as_u64().expect("line") as usize;
    let text = e.read("gitops/prod/tenants/backend-prod/manifest.yaml");
    assert!(
        text.lines()
            .nth(line - 1)
            .is_some_and(|l| l.contains("pod-security.kubernetes.io/enforce: baseline")),
        "line {line} of the bundle"
    );

    // A hand edit inside the folder's file is caught by both.
    e.edit(
        "gitops/prod/tenants/data-prod/manifest.yaml",
        "kind: ResourceQuota\n",
        "kind: ResourceQuota\n# more memory for the migration\n",
    );
    let out = e.run(&["lint", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let edited: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "generated-file-edited")
        .filter_map(|f| f["file"].as_str())
        .collect();
    assert!(
        !edited.is_empty()
            && edited
                .iter()
                .all(|p| p.ends_with("prod/tenants/data-prod/manifest.yaml")),
        "{edited:?}"
    );
    let out = e.run(&["render", "--check"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("prod/tenants/data-prod/manifest.yaml"));

    // Back to the default layout: the folders' files are pruned and the golden tree returns.
    e.edit(
        "environments/_base.yaml",
        "    layout: file-per-app\n",
        "    layout: file-per-object\n",
    );
    let out = e.run(&["render", "-q"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut tree = e.tree();
    assert!(tree.remove("prod/tenants/data-prod/notes.md").is_some());
    assert_eq!(tree, golden());
}

#[test]
fn diff_and_the_plugin_see_the_same_objects_in_either_layout() {
    let e = file_per_app_estate();
    // Against the committed inputs (the default layout): every object moved, none changed
    // (exit 1: the tree differs).
    let out = e.run(&["diff", "--base", "HEAD", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let total = &report["summary"]["total"];
    assert_eq!(
        (&total["added"], &total["changed"], &total["removed"]),
        (&0.into(), &0.into(), &0.into()),
        "{report}"
    );
    assert!(total["moved"].as_u64().expect("moved") > 300, "{total}");

    // The plugin's stream holds the same documents in the same order.
    let stream = |e: &Estate| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_gitops-render"))
            .args(["cmp", "generate"])
            .current_dir(e.path())
            .env("ARGOCD_ENV_ENVIRONMENT", "prod")
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let text = stdout(&out);
        text.lines()
            .filter(|l| !l.starts_with("# Generated by gitops-render"))
            .map(|l| format!("{l}\n"))
            .collect::<String>()
    };
    let per_app = stream(&e);
    assert!(per_app.matches("\nkind: WorkflowTemplate\n").count() > 5);
    assert_eq!(per_app, stream(&Estate::example()));
}

#[test]
fn an_unknown_layout_is_refused_where_it_is_written() {
    let e = Estate::example();
    e.edit(
        "environments/_base.yaml",
        "    targetRevision: main\n",
        "    targetRevision: main\n    layout: file-per-team\n",
    );
    let out = e.run(&["render"]);
    let location = e.loc(
        "environments/_base.yaml",
        "layout: file-per-team",
        "file-per-team",
    );
    let err = common::assert_bad_input(&e, &out, &location);
    assert!(
        err.contains("file-per-object") && err.contains("file-per-app"),
        "{err}"
    );
}
