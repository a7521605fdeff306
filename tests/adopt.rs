//! A new user's path, run as they would in an empty folder: `init` → `render` → `lint` →
//! `diff` → the CI recipe's commands; and the commands that make the tool adoptable
//! (`templates`, `schema`, `completions`, `man`), root discovery and output discipline.

mod common;

use std::process::Command as StdCommand;

use common::{git, repo_root, stderr, stdout, Estate};

/// `lint` of the estate's tree exits 0; its output.
fn assert_lints_clean(e: &Estate) -> std::process::Output {
    let out = e.run(&["lint"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    out
}

/// The `gitops-render …` command lines of the GitLab recipe `init` writes.
fn recipe_commands(estate: &Estate) -> Vec<String> {
    estate
        .read(".gitlab-ci.yml")
        .lines()
        .filter_map(|l| {
            l.trim()
                .trim_start_matches("- ")
                .strip_prefix("gitops-render ")
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn init_render_lint_diff_and_the_ci_recipe_work_in_an_empty_folder() {
    let e = Estate::empty();
    let out = e.run(&["init"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("next: gitops-render render && gitops-render lint"));
    // Modelines name schema files that are there, and hold what `schema` prints.
    for (file, schema) in [
        ("environments/dev.yaml", "environment"),
        ("environments/_base.yaml", "environment"),
        ("policy-packs/platform/1.0.0/pack.yaml", "pack"),
        (".gitops-render.yaml", "config"),
    ] {
        let text = e.read(file);
        let line = text.lines().next().expect("a first line");
        let rel = line
            .strip_prefix("# yaml-language-server: $schema=")
            .unwrap_or_else(|| panic!("{file} starts with a modeline: {line}"));
        let at = e.path().join(file).parent().expect("parent").join(rel);
        let printed = e.run(&["schema", schema]);
        assert_eq!(
            std::fs::read_to_string(&at).expect("schema file"),
            stdout(&printed)
        );
    }
    assert!(e.read(".gitignore").contains(".gitops-render-cache/"));
    assert!(e
        .read(".github/workflows/gitops-render.yaml")
        .contains("gitops-render/gitops-render@"));

    let out = e.run(&["lint"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("run `gitops-render render` first"),
        "{}",
        stderr(&out)
    );
    let out = e.run(&["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let tree = e.tree();
    for f in [
        "dev/tenants/backend-dev/namespace-backend-dev.yaml",
        "dev/workflows/backend-dev/workflowtemplate-ci-test.yaml",
        "applicationsets/dev.yaml",
        "projects/dev.yaml",
        "parent/apps-root-dev.yaml",
    ] {
        assert!(tree.contains_key(f), "{f} in {:?}", tree.keys());
    }
    let out = assert_lints_clean(&e);
    assert!(
        stdout(&out).contains("0 errors, 0 warnings"),
        "{}",
        stdout(&out)
    );

    // Commit, onboard a second team, and review the change as CI would.
    git(e.path(), &["init", "-q", "-b", "main"]);
    git(e.path(), &["add", "-A"]);
    git(e.path(), &["commit", "-q", "-m", "init"]);
    e.edit(
        "environments/dev.yaml",
        "    server: https://kubernetes.default.svc\n",
        "    server: https://kubernetes.default.svc\n  tenants:\n    payments:\n      tier: micro\n      owners:\n        developer: [\"group:payments\"]\n",
    );
    let out = e.run(&["diff", "--base", "HEAD", "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("payments-dev"), "{}", stdout(&out));
    let out = e.run(&["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // Every gitops-render command of the GitLab recipe runs (the diff against the commit).
    let commands = recipe_commands(&e);
    assert!(commands.len() >= 3, "{commands:?}");
    for c in commands {
        let c = c.replace("\"origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME\"", "HEAD");
        let args: Vec<&str> = c.split_whitespace().take_while(|a| *a != ">").collect();
        let out = e.run(&args);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{c}: {}",
            stderr(&out)
        );
    }
    assert!(e.path().join("lint.xml").is_file());
}

#[test]
fn init_refuses_to_overwrite_and_writes_nothing() {
    let e = Estate::empty();
    e.write(".gitignore", "my own\n");
    let out = e.run(&["init"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("wrote nothing") && err.contains("exists: .gitignore"),
        "{err}"
    );
    assert_eq!(e.read(".gitignore"), "my own\n");
    assert!(!e.path().join("environments").exists());

    let e = Estate::empty();
    assert_eq!(e.run(&["init", "estate"]).status.code(), Some(0));
    let before =
        std::fs::read_to_string(e.path().join("estate/environments/dev.yaml")).expect("dev");
    let out = e.run(&["init", "estate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("already holds an estate"),
        "{}",
        stderr(&out)
    );
    let after =
        std::fs::read_to_string(e.path().join("estate/environments/dev.yaml")).expect("dev");
    assert_eq!(before, after);
}

#[test]
fn init_that_fails_half_way_takes_back_what_it_wrote() {
    let e = Estate::empty();
    // A file where init needs a folder: the schemas come after the dot-files it writes first.
    e.write(".gitops-render", "not a folder\n");
    let out = e.run(&["init"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("init wrote nothing"),
        "{}",
        stderr(&out)
    );
    let left: Vec<String> = std::fs::read_dir(e.path())
        .expect("read")
        .map(|d| d.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, [".gitops-render"], "only the user's file is left");
}

#[test]
fn init_example_renders_the_committed_example_tree() {
    let e = Estate::empty();
    let out = e.run(&["init", "--example"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        !e.path().join("templates").exists(),
        "the built-in templates are used"
    );
    let out = e.run(&["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let committed = gitops_render::tree::io::read_tree(&repo_root().join("gitops")).expect("tree");
    assert_eq!(e.tree(), committed);
}

/// A pack with only the keys its schema requires: every built-in template copes with every
/// documented-optional key absent, and the result lints clean.
#[test]
fn a_pack_with_only_required_keys_renders_and_lints_clean() {
    let e = Estate::empty();
    e.write(
        "policy-packs/min/1.0.0/pack.yaml",
        "apiVersion: gitops-render.dev/v1alpha1\nkind: PolicyPack\nmetadata: {name: min, version: 1.0.0}\nspec:\n  naming: {namespace: \"{team}-{environment}\"}\n  tiers:\n    small: {cpu: \"1\", memory: 1Gi, storage: 5Gi, pods: 10}\n  limitRange:\n    defaultRequest: {cpu: 50m, memory: 64Mi}\n    default: {cpu: 200m, memory: 256Mi}\n  networkProfiles:\n    isolated: {defaultDeny: true}\n  rbac:\n    workflowServiceAccount: workflows\n    roles:\n      viewer:\n      - {apiGroups: [\"\"], resources: [pods], verbs: [get, list, watch]}\n  tenantDefaults: {tier: small, networkProfile: isolated}\n",
    );
    e.write(
        "environments/dev.yaml",
        "apiVersion: gitops-render.dev/v1alpha1\nkind: Environment\nmetadata: {name: dev}\nspec:\n  policyPack: min@1.0.0\n  cluster: {name: dev, server: https://kubernetes.default.svc}\n  repo: {url: https://git.example.com/gitops.git, targetRevision: main}\n  argocd: {namespace: argocd, project: platform}\n  tenants:\n    web:\n      owners: {viewer: [\"group:web\"]}\n",
    );
    let out = e.run(&["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let tree = e.tree();
    assert!(
        tree.keys().any(|k| k.contains("web-dev")),
        "{:?}",
        tree.keys()
    );
    let set = tree
        .iter()
        .find(|(k, _)| k.contains("applicationsets"))
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        .expect("an ApplicationSet");
    assert!(
        !set.contains("/workflows/*"),
        "no workflows generator without workflows: {set}"
    );
    assert_lints_clean(&e);
}

#[test]
fn templates_are_built_in_listed_shown_and_overridden_by_the_estate() {
    let e = Estate::empty();
    let out = e.run(&["templates", "list"]);
    assert_eq!(out.status.code(), Some(0));
    let list = stdout(&out);
    assert!(list.contains("tenant/quota.yaml.j2"), "{list}");
    assert!(!list.contains("overridden"), "{list}");
    let out = e.run(&["templates", "show", "tenant/quota.yaml.j2"]);
    assert_eq!(
        stdout(&out),
        std::fs::read_to_string(repo_root().join("templates/tenant/quota.yaml.j2")).expect("read")
    );
    let out = e.run(&["templates", "show", "tenant/quota.yml.j2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("did you mean `tenant/quota.yaml.j2`?"),
        "{}",
        stderr(&out)
    );

    // An estate override wins by name, and `list` says so.
    let e = Estate::empty();
    assert_eq!(e.run(&["init"]).status.code(), Some(0));
    let quota = stdout(&e.run(&["templates", "show", "tenant/quota.yaml.j2"]));
    e.write(
        "templates/tenant/quota.yaml.j2",
        &quota.replace("name: tenant-quota", "name: team-quota"),
    );
    assert!(stdout(&e.run(&["templates", "list"]))
        .contains("overridden by templates/tenant/quota.yaml.j2"));
    assert_eq!(e.run(&["render", "--no-lint"]).status.code(), Some(0));
    let tree = e.tree();
    let q = tree
        .iter()
        .find(|(k, _)| k.contains("backend-dev") && k.contains("resourcequota"))
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        .expect("the quota file");
    assert!(q.contains("name: team-quota"), "{q}");
}

#[test]
fn a_tenant_that_renders_nothing_is_an_error() {
    let e = Estate::empty();
    assert_eq!(e.run(&["init"]).status.code(), Some(0));
    e.edit(
        "environments/_base.yaml",
        "      workflows: [ci-test]\n",
        "",
    );
    for (name, _) in gitops_render::embedded::TEMPLATES {
        if name.starts_with("tenant/") || name.starts_with("backstage/") {
            e.write(&format!("templates/{name}"), "{# nothing #}\n");
        }
    }
    let out = e.run(&["render"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("tenant `backend` of `dev` renders no objects"),
        "{err}"
    );
    assert!(err.contains("nothing was written"), "{err}");
    assert!(!e.path().join("gitops").exists());
}

#[test]
fn schemas_completions_and_man_pages_are_printed() {
    let e = Estate::empty();
    let out = e.run(&["schema"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("environment.schema.json"));
    for (name, file) in [
        ("pack", "policy-pack.schema.json"),
        ("environment", "environment.schema.json"),
        ("config", "config.schema.json"),
    ] {
        let out = e.run(&["schema", name]);
        let on_disk =
            std::fs::read_to_string(repo_root().join("schemas").join(file)).expect("read");
        assert_eq!(stdout(&out).trim_end(), on_disk.trim_end(), "{name}");
    }
    let out = e.run(&["schema", "environmnt"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("did you mean `environment`?"));

    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = e.run(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        assert!(stdout(&out).contains("gitops-render"), "{shell}");
        assert!(stdout(&out).contains("render"), "{shell}");
    }
    assert_eq!(e.run(&["completions", "tcsh"]).status.code(), Some(2));

    let out = e.run(&["man"]);
    assert!(
        stdout(&out).starts_with(".ie"),
        "{}",
        &stdout(&out)[..80.min(stdout(&out).len())]
    );
    assert!(stdout(&out).contains(".TH gitops-render"));
    let out = e.run(&["man", "lint"]);
    assert!(
        stdout(&out).contains(".TH gitops-render-lint"),
        "{}",
        stdout(&out)
    );
    assert_eq!(e.run(&["man", "lnt"]).status.code(), Some(2));
}

#[test]
fn every_command_finds_the_estate_above_the_current_folder() {
    let e = Estate::empty();
    assert_eq!(e.run(&["init"]).status.code(), Some(0));
    let sub = e.path().join("policy-packs/platform");
    let run = |args: &[&str]| {
        assert_cmd::Command::cargo_bin("gitops-render")
            .expect("binary")
            .current_dir(&sub)
            .env("NO_COLOR", "1")
            .args(args)
            .output()
            .expect("runs")
    };
    let out = run(&["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("note: using the estate at"),
        "{}",
        stderr(&out)
    );
    assert!(e.path().join("gitops").is_dir());
    for args in [
        &["render", "--check"][..],
        &["lint"],
        &["explain", "dev", "backend"],
        &["plan", "dev", "backend", "scan.tiff"],
        &["diff"],
    ] {
        let out = run(args);
        // plan: 1 = the file has no plan (the starter declares no byFileType); found all the same.
        let want = if args[0] == "plan" { 1 } else { 0 };
        assert_eq!(out.status.code(), Some(want), "{args:?}: {}", stderr(&out));
    }
    // --root wins, and a folder that is no estate says how to get one.
    let elsewhere = Estate::empty();
    let out = run(&[
        "--root",
        elsewhere.path().to_str().expect("utf-8"),
        "render",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("gitops-render init"),
        "{}",
        stderr(&out)
    );
    let out = elsewhere.run(&["explain", "dev", "backend"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        !stderr(&out).contains("nothing was written"),
        "read-only: {}",
        stderr(&out)
    );
}

#[test]
fn stdout_failures_are_reported_and_a_closed_pipe_exits_141() {
    let e = Estate::example();
    let bin = assert_cmd::cargo::cargo_bin("gitops-render");
    // `gitops-render ARGS` then `rest`, in the estate, by bash.
    let run = |args: &str, rest: &str| {
        StdCommand::new("bash")
            .current_dir(e.path())
            .arg("-c")
            .arg(format!("mkdir -p empty; '{}' {args} {rest}", bin.display()))
            .output()
            .expect("bash")
    };
    // A full disk: an error and exit 2, never a silent success.
    for args in [
        "rules",
        "explain dev backend",
        "diff --against empty",
        "cmp parameters",
        // A YAML stream, copied from its spool.
        "render --stdout",
    ] {
        let out = run(args, ">/dev/full");
        assert_eq!(out.status.code(), Some(2), "{args}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("cannot write to stdout"),
            "{args}: {}",
            stderr(&out)
        );
    }
    // A reader that stops early: 141, as a shell reports SIGPIPE, and nothing on stderr;
    // for a YAML stream too.
    for args in ["diff --against empty", "render --stdout --quiet"] {
        let out = run(
            args,
            "2>err | head -c 10 >/dev/null; echo ${PIPESTATUS[0]}; cat err",
        );
        assert_eq!(stdout(&out), "141\n", "{args}");
    }
}

#[test]
fn color_follows_the_flag_and_no_color_and_quiet_silences_summaries() {
    let e = Estate::example();
    e.edit(
        "environments/dev.yaml",
        "      tier: small\n",
        "      tier: medium\n",
    );
    let diff = |extra: &[&str]| {
        let mut args = vec!["diff", "--against", "gitops"];
        args.extend_from_slice(extra);
        stdout(&e.run(&args))
    };
    std::fs::create_dir_all(e.path().join("gitops")).expect("mkdir");
    assert!(diff(&["--color", "always"]).contains("\x1b[32m+"));
    assert!(!diff(&["--color", "never"]).contains('\x1b'));
    // The test environment sets NO_COLOR: auto does not colour.
    assert!(!diff(&[]).contains('\x1b'));
    let out = e.run(&["--color", "always", "explain", "nowhere", "backend"]);
    assert!(
        stderr(&out).starts_with("\x1b[31merror\x1b[0m"),
        "{:?}",
        stderr(&out)
    );

    let out = e.run(&["render", "--quiet"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stderr(&out), "");
    let out = e.run(&["render"]);
    assert!(
        stderr(&out).contains("rendered 4 environments"),
        "{}",
        stderr(&out)
    );
}

/// The GitHub Action's and the pre-commit hooks' commands, run as the CI runner would run
/// them, against a new estate with a remote; the images' Dockerfiles hold what the README
/// promises (no Docker engine on this machine class to build them).
#[test]
fn the_action_the_hooks_and_the_image_run_what_exists() {
    let e = Estate::empty();
    assert_eq!(e.run(&["init"]).status.code(), Some(0));
    assert_eq!(e.run(&["render", "--quiet"]).status.code(), Some(0));
    git(e.path(), &["init", "-q", "-b", "main"]);
    git(e.path(), &["add", "-A"]);
    git(e.path(), &["commit", "-q", "-m", "init"]);
    let origin = e.path().join(".origin.git");
    git(
        e.path(),
        &[
            "clone",
            "-q",
            "--bare",
            ".",
            origin.to_str().expect("utf-8"),
        ],
    );
    git(
        e.path(),
        &["remote", "add", "origin", origin.to_str().expect("utf-8")],
    );
    // The pull request removes a team: destructive.
    e.edit(
        "environments/_base.yaml",
        "  tenants:\n    backend:\n",
        "  tenants:\n    backend: null\n    old-backend:\n",
    );
    e.write(
        "environments/_base.yaml",
        &e.read("environments/_base.yaml")
            .replace("    old-backend:\n", "    payments:\n"),
    );

    let bin = assert_cmd::cargo::cargo_bin("gitops-render");
    let path = format!(
        "{}:{}",
        bin.parent().expect("dir").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let action: serde_json::Value = serde_yaml::from_str(
        &std::fs::read_to_string(repo_root().join("action.yml")).expect("action.yml"),
    )
    .expect("action.yml is YAML");
    let steps = action["runs"]["steps"].as_array().expect("steps");
    let temp = tempfile::tempdir().expect("tempdir");
    let mut ran = Vec::new();
    for step in steps {
        let Some(script) = step["run"].as_str() else {
            continue;
        };
        if step["name"] == "Verdict" {
            // It judges the codes the steps wrote: a destructive diff fails the job.
            let out = StdCommand::new("bash")
                .arg("-c")
                .arg(script)
                .env("LINT", "0")
                .env("DIFF", "1")
                .env("FAIL_ON_DESTRUCTIVE", "true")
                .output()
                .expect("bash");
            assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
            assert!(stdout(&out).contains("::error::"), "{}", stdout(&out));
            continue;
        }
        if !script.contains("gitops-render ")
            || script.contains("cargo install")
            || script.contains("gh pr")
        {
            continue;
        }
        let outputs = temp.path().join(format!("out-{}", ran.len()));
        let out = StdCommand::new("bash")
            .arg("-e")
            .arg("-c")
            .arg(script)
            .current_dir(e.path())
            .env("PATH", &path)
            .env("NO_COLOR", "1")
            .env("RUNNER_TEMP", temp.path())
            .env("GITHUB_OUTPUT", &outputs)
            .env("BASE_REF", "main")
            .env("FAIL_ON", "--fail-on destructive")
            .output()
            .expect("bash");
        let name = step["name"].as_str().unwrap_or("?").to_owned();
        let written = std::fs::read_to_string(&outputs).unwrap_or_default();
        ran.push((name, out.status.code(), written, stderr(&out)));
    }
    let names: Vec<&str> = ran.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(names, ["render --check", "lint", "diff"], "{ran:?}");
    // render --check: the tree is stale after the edit (exit 1 fails the step).
    assert_eq!(ran[0].1, Some(1), "{ran:?}");
    assert_eq!(
        (ran[1].1, ran[1].2.as_str()),
        (Some(0), "code=0\n"),
        "{ran:?}"
    );
    assert_eq!(
        (ran[2].1, ran[2].2.as_str()),
        (Some(0), "code=1\n"),
        "destructive: {ran:?}"
    );
    let md = std::fs::read_to_string(temp.path().join("gitops-render-diff.md")).expect("diff");
    assert!(md.contains("removes dev Namespace backend-dev"), "{md}");
    let sarif = std::fs::read_to_string(temp.path().join("gitops-render.sarif")).expect("sarif");
    assert!(sarif.contains("\"version\": \"2.1.0\""), "{sarif}");

    // pre-commit: every hook's entry runs in the estate (after a render, all pass).
    let hooks: serde_json::Value = serde_yaml::from_str(
        &std::fs::read_to_string(repo_root().join(".pre-commit-hooks.yaml")).expect("hooks"),
    )
    .expect("YAML");
    let hooks = hooks.as_array().expect("a list");
    assert_eq!(hooks.len(), 3);
    for hook in hooks.iter().rev() {
        assert_eq!(hook["language"], "rust");
        let entry = hook["entry"].as_str().expect("entry");
        let args: Vec<&str> = entry.split_whitespace().skip(1).collect();
        let out = e.run(&args);
        assert_eq!(out.status.code(), Some(0), "{entry}: {}", stderr(&out));
    }

    let docker =
        std::fs::read_to_string(repo_root().join("Dockerfile.cli")).expect("Dockerfile.cli");
    let last_from = docker
        .lines()
        .rfind(|l| l.starts_with("FROM "))
        .expect("FROM");
    assert_eq!(last_from, "FROM scratch");
    assert!(docker.contains("--target x86_64-unknown-linux-musl"));
    assert!(docker.contains("ENTRYPOINT [\"gitops-render\"]"));
    let user = docker
        .lines()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("USER");
    assert!(
        !user.starts_with('0') && !user.starts_with("root"),
        "non-root: {user}"
    );
}
