//! The tree at any path of its repository (`repo.path`), as the Argo CD hardening layout
//! keeps it (`infra/kubernetes/gitops/argocd`): render writes there by default, Argo CD's
//! generator and root paths name it, and `render --check`, `lint`, `diff` and the plugin
//! all resolve paths against it without false `appset-path-missing` errors.

mod common;

use std::process::Command;

use common::{stderr, stdout, Estate};

const TREE: &str = "infra/kubernetes/gitops/argocd";

fn hardening_layout() -> Estate {
    let e = Estate::example();
    e.edit(
        "environments/_base.yaml",
        "    url: https://github.com/example/platform-gitops.git\n",
        &format!("    url: https://github.com/example/platform-gitops.git\n    path: {TREE}\n"),
    );
    let git = Command::new("git")
        .args(["init", "-q"])
        .current_dir(e.path())
        .status()
        .expect("git");
    assert!(git.success());
    e
}

#[test]
fn every_command_resolves_paths_against_repo_path() {
    let e = hardening_layout();
    let out = e.run(&["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("into ./{TREE}: ")),
        "{}",
        stderr(&out)
    );
    assert!(
        !e.path().join("gitops").exists(),
        "nothing under the default folder"
    );
    let appset = e.read(&format!("{TREE}/applicationsets/prod.yaml"));
    assert!(
        appset.contains(&format!("- path: {TREE}/prod/tenants/*\n")),
        "{appset}"
    );
    let root = e.read(&format!("{TREE}/parent/apps-root-prod.yaml"));
    for folder in ["projects", "applicationsets", "parent"] {
        assert!(root.contains(&format!("path: {TREE}/{folder}\n")), "{root}");
    }

    let out = e.run(&["render", "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let out = e.run(&["lint"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(!stdout(&out).contains("appset-path-missing"));
    // Linting the folder by its path from elsewhere in the repository: the generator paths
    // resolve through the repository root.
    let out = Command::new(assert_cmd::cargo::cargo_bin("gitops-render"))
        .args(["lint", "kubernetes/gitops/argocd"])
        .current_dir(e.path().join("infra"))
        .env("GITOPS_RENDER_TODAY", "2026-11-22")
        .output()
        .expect("runs");
    assert!(
        !stdout(&out).contains("appset-path-missing"),
        "{}",
        stdout(&out)
    );
    let out = e.run(&["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).contains(&format!("no changes against ./{TREE}")),
        "{}",
        stdout(&out)
    );
}

#[test]
fn an_out_folder_elsewhere_is_said() {
    let e = hardening_layout();
    let out = e.run(&["render", "--env", "dev", "--out", "preview"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "note: writing to preview; the tree's Argo CD paths name repo.path `{TREE}`"
        )),
        "{}",
        stderr(&out)
    );
    assert!(e.path().join("preview/applicationsets/dev.yaml").exists());
}

#[test]
fn environments_rendered_together_share_one_repo_path() {
    let e = hardening_layout();
    e.edit(
        "environments/prod.yaml",
        "  repo:\n",
        "  repo:\n    path: deploy/prod\n",
    );
    let out = e.run(&["render"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("the environments rendered together name different repo.path values: `deploy/prod` (prod), `infra/kubernetes/gitops/argocd` (dev, local, staging)"),
        "{err}"
    );
    // One environment at a time is fine.
    let out = e.run(&["render", "--env", "prod"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(e
        .path()
        .join("deploy/prod/applicationsets/prod.yaml")
        .exists());

    let e = hardening_layout();
    e.edit(
        "environments/_base.yaml",
        &format!("path: {TREE}"),
        "path: ../outside",
    );
    let out = e.run(&["render"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("environments/_base.yaml:"),
        "{}",
        stderr(&out)
    );
    assert!(!e.path().join("../outside").exists());
}
