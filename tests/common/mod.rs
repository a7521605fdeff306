//! Test helpers: a throwaway copy of the example estate and a way to run the built binary
//! in it.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use tempfile::TempDir;

/// The repository root (holds the example estate).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A copy of the example estate's inputs in a temporary directory.
pub struct Estate {
    pub dir: TempDir,
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("walk");
        let rel = entry.path().strip_prefix(from).expect("prefix");
        let target = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

impl Estate {
    /// The example estate (inputs only, no rendered tree).
    pub fn example() -> Estate {
        let dir = tempfile::tempdir().expect("tempdir");
        for sub in ["environments", "policy-packs", "templates", "workflows"] {
            copy_dir(&repo_root().join(sub), &dir.path().join(sub));
        }
        Estate { dir }
    }

    /// The example estate with a naming rule without the environment: every environment
    /// renders the same namespaces, so lint relates objects across environments (and quota
    /// admission and duplicate objects fail).
    pub fn with_shared_namespaces() -> Estate {
        let e = Estate::example();
        for version in ["1.1.0", "1.2.0"] {
            e.edit(
                &format!("policy-packs/platform/{version}/pack.yaml"),
                "namespace: \"{team}-{environment}\"",
                "namespace: \"{team}\"",
            );
        }
        e
    }

    /// An empty folder (for `init`).
    pub fn empty() -> Estate {
        Estate {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    pub fn write(&self, rel: &str, text: &str) -> &Self {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
        self
    }

    /// Replace `from` (which must occur) by `to` in file `rel`.
    pub fn edit(&self, rel: &str, from: &str, to: &str) -> &Self {
        let text = self.read(rel);
        assert!(text.contains(from), "{rel} does not contain {from:?}");
        self.write(rel, &text.replacen(from, to, 1))
    }

    /// `file:line:col` of `token` on the only line of `rel` containing `line` (both must
    /// exist), so location assertions stay exact when the example estate grows.
    pub fn loc(&self, rel: &str, line: &str, token: &str) -> String {
        let text = self.read(rel);
        let hits: Vec<(usize, &str)> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.contains(line))
            .collect();
        assert_eq!(
            hits.len(),
            1,
            "{rel}: expected one line containing {line:?}, found {}",
            hits.len()
        );
        let (i, l) = hits[0];
        let col = l
            .find(token)
            .unwrap_or_else(|| panic!("{token:?} not on line {l:?}"))
            + 1;
        format!("{rel}:{}:{col}", i + 1)
    }

    /// Run the binary with `args` in the estate's directory.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::cargo_bin("gitops-render")
            .expect("binary")
            .current_dir(self.path())
            .env("NO_COLOR", "1")
            .env("GITOPS_RENDER_TODAY", "2026-11-22")
            .args(args)
            .output()
            .expect("runs")
    }

    /// Every file under the output tree, for before/after comparisons.
    pub fn tree(&self) -> BTreeMap<String, Vec<u8>> {
        gitops_render::tree::io::read_tree(&self.path().join("gitops")).expect("read tree")
    }
}

/// Run `git` in `dir` with a throwaway identity and `main` as the default branch, without
/// any `GIT_DIR`, `GIT_INDEX_FILE` or `GIT_WORK_TREE` of a hook running the tests; its
/// stdout, trimmed. Fails the test when git does.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(["-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_WORK_TREE")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The keys of pretty-printed JSON `text` written at `indent` spaces, in the order written:
/// reports keep a documented field order, which a parsed value would not show.
pub fn json_keys_at(text: &str, indent: usize) -> Vec<&str> {
    text.lines()
        .filter_map(|l| l.strip_prefix(&" ".repeat(indent))?.strip_prefix('"'))
        .filter_map(|l| Some(&l[..l.find("\": ")?]))
        .collect()
}

/// Assert a bad-input run: exit 2, a `file:line:col` location, and nothing written.
pub fn assert_bad_input(estate: &Estate, out: &Output, location: &str) -> String {
    let err = stderr(out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "expected exit 2, stderr:\n{err}"
    );
    assert!(
        err.starts_with("error: "),
        "first line must be `error: …`:\n{err}"
    );
    assert!(
        err.contains(&format!(" at {location}")),
        "expected location {location} in:\n{err}"
    );
    assert!(
        !estate.path().join("gitops").exists(),
        "nothing may be written on bad input"
    );
    err
}

/// The validators compiled ahead (`ahead`, called `name`) cover the kind of every object of
/// the example render that `renders_here` selects, and each has a schema.
pub fn assert_compiled_ahead(
    ahead: &[(&str, &str)],
    name: &str,
    renders_here: impl Fn(&gitops_render::manifest::Manifest) -> bool,
) {
    let files = gitops_render::source::EstateFiles::read_dir(&repo_root()).expect("reads");
    let rendered = gitops_render::render_estate(&files, &[]).expect("renders");
    for m in rendered
        .manifests
        .manifests
        .iter()
        .filter(|m| renders_here(m))
    {
        let value = m.value();
        let api_version = value["apiVersion"].as_str().unwrap_or_default();
        assert!(
            ahead.contains(&(api_version, m.id.kind.as_str())),
            "{api_version} {} is not in {name}",
            m.id.kind
        );
    }
    for (api_version, kind) in ahead {
        assert!(
            gitops_render::schema::objects::validator(api_version, kind).is_some(),
            "no schema for {api_version} {kind}"
        );
    }
}

/// The example estate's WorkflowTemplate `name` in namespace `namespace` of the dev
/// environment, as rendered.
pub fn dev_workflow(namespace: &str, name: &str) -> serde_json::Value {
    let files =
        gitops_render::source::EstateFiles::read_dir(&repo_root()).expect("the example estate");
    let rendered =
        gitops_render::render_estate(&files, &["dev".to_owned()]).expect("the estate renders");
    rendered
        .manifests
        .manifests
        .into_iter()
        .find(|m| m.id.name == name && m.id.namespace == namespace)
        .unwrap_or_else(|| panic!("no WorkflowTemplate {namespace}/{name} in dev"))
        .into_value()
}
