//! A render on a fresh Git clone (CI, Argo CD's repo server) has no stat index yet: it takes
//! Git's index's word for the files whose stat still matches what Git recorded, by their
//! object names, instead of reading them. These tests clone a repository with the `git`
//! command, as CI does, and check that the files are vouched for, and that whatever Git's
//! index cannot vouch for is still read and found: a hand edit, a racily clean entry, a
//! checkout that may have converted bytes.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use common::{git, stderr, Estate};
use tempfile::TempDir;

/// Run the binary in `dir` with `args`, without any `GIT_*` variable of a hook running
/// the tests: its exit code and stderr.
fn run(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = assert_cmd::Command::cargo_bin("gitops-render")
        .expect("binary")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("GITOPS_RENDER_TODAY", "2026-11-22")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_WORK_TREE")
        .args(args)
        .output()
        .expect("runs");
    (out.status.code(), stderr(&out))
}

/// The example estate rendered and committed, and a fresh clone of it, whose index Git
/// has refreshed (as `git status` does) so that no entry is racily clean.
struct Clone {
    /// The committed estate (kept for the clone's lifetime).
    _origin: Estate,
    dir: TempDir,
    files: usize,
    /// The files Git's index can vouch for: up to 8 KiB (a larger one is read: its SHA-1
    /// costs more than reading it).
    small: usize,
}

impl Clone {
    fn new() -> Clone {
        let origin = Estate::example();
        assert_eq!(origin.run(&["render"]).status.code(), Some(0));
        git(origin.path(), &["init", "-q", "-b", "main"]);
        git(origin.path(), &["add", "-A"]);
        git(origin.path(), &["commit", "-qm", "estate and tree"]);
        let dir = tempfile::tempdir().expect("tempdir");
        let from = origin.path().to_str().expect("utf-8 path");
        git(dir.path(), &["clone", "-q", from, "repo"]);
        let tree = origin.tree();
        let small = tree.values().filter(|b| b.len() <= 8 << 10).count();
        assert!(
            small < tree.len(),
            "some files are larger (build-docker-image)"
        );
        let clone = Clone {
            _origin: origin,
            dir,
            files: tree.len(),
            small,
        };
        std::thread::sleep(Duration::from_millis(20));
        git(&clone.path(), &["status", "--porcelain"]);
        clone
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    /// Run the binary in the clone with no stat index (as on a fresh checkout); its
    /// summary line.
    fn render(&self, args: &[&str]) -> (Option<i32>, String) {
        let _ = std::fs::remove_dir_all(self.path().join("gitops/.gitops-render-cache"));
        run(&self.path(), args)
    }

    fn unchanged(&self, vouched: Option<usize>) -> String {
        let files = self.files;
        let tail = vouched.map_or(String::new(), |n| {
            format!(" ({n} vouched for by Git's index)")
        });
        format!("{files} files, 0 written, 0 pruned, {files} unchanged{tail}\n")
    }
}

#[test]
fn a_fresh_clone_is_compared_through_gits_index() {
    let c = Clone::new();
    let (code, err) = c.render(&["render", "--check"]);
    assert_eq!(code, Some(0), "{err}");
    // The stat index records only files whose times have settled, two seconds after a write.
    std::thread::sleep(Duration::from_millis(2100));
    let (code, err) = c.render(&["render"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains(&c.unchanged(Some(c.small))), "{err}");
    // What Git vouched for was learned by the stat index: the next render needs only it.
    let (_, err) = run(&c.path(), &["render"]);
    assert!(err.contains(&c.unchanged(None)), "{err}");
}

/// A file edited since the checkout, to the same size and with its modification time put
/// back, no longer matches Git's entry (its change time moved): it is read, found, and
/// rewritten; the others are still vouched for.
#[test]
fn a_hand_edit_since_the_checkout_is_read_and_rewritten() {
    let c = Clone::new();
    let quota = c
        .path()
        .join("gitops/prod/tenants/backend-prod/resourcequota-tenant-quota.yaml");
    let text = std::fs::read_to_string(&quota).expect("quota");
    let mtime = std::fs::metadata(&quota)
        .and_then(|m| m.modified())
        .expect("mtime");
    let edited = text.replace("cpu: \"12\"", "cpu: \"99\"");
    assert_ne!(edited, text);
    std::fs::write(&quota, &edited).expect("edit");
    std::fs::File::options()
        .write(true)
        .open(&quota)
        .and_then(|f| f.set_modified(mtime))
        .expect("set mtime");

    let (code, err) = c.render(&["render", "--check"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("prod/tenants/backend-prod/resourcequota-tenant-quota.yaml"),
        "{err}"
    );
    let (code, err) = c.render(&["render"]);
    assert_eq!(code, Some(0), "{err}");
    let files = c.files;
    let expected = format!(
        "{files} files, 1 written, 0 pruned, {} unchanged ({} vouched for by Git's index)",
        files - 1,
        c.small - 1
    );
    assert!(err.contains(&expected), "{err}");
    assert_eq!(std::fs::read_to_string(&quota).expect("quota"), text);
}

/// Entries modified at or after the index was written may have changed within the same
/// clock tick (Git's racy-clean rule): an index dated before every file vouches for none,
/// and every file is read instead (and found unchanged).
#[test]
fn racily_clean_entries_are_read() {
    let c = Clone::new();
    let index = c.path().join(".git/index");
    std::fs::File::options()
        .write(true)
        .open(&index)
        .and_then(|f| f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1)))
        .expect("date the index back");
    let (code, err) = c.render(&["render"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains(&c.unchanged(None)), "{err}");
}

/// Where a checkout could have converted the bytes it wrote (line endings, attributes),
/// the object Git names may not be the file's bytes: nothing is vouched for. Attributes
/// elsewhere in the repository do not matter.
#[test]
fn a_checkout_that_may_convert_is_read() {
    let c = Clone::new();
    let repo = c.path();

    git(&repo, &["config", "core.autocrlf", "input"]);
    let (_, err) = c.render(&["render"]);
    assert!(err.contains(&c.unchanged(None)), "autocrlf: {err}");
    git(&repo, &["config", "core.autocrlf", "false"]);
    let (_, err) = c.render(&["render"]);
    assert!(err.contains(&c.unchanged(Some(c.small))), "{err}");

    std::fs::create_dir_all(repo.join("docs")).expect("mkdir");
    std::fs::write(repo.join("docs/.gitattributes"), "*.md text eol=crlf\n").expect("write");
    git(&repo, &["add", "docs/.gitattributes"]);
    let (_, err) = c.render(&["render"]);
    assert!(
        err.contains(&c.unchanged(Some(c.small))),
        "attributes elsewhere: {err}"
    );

    std::fs::write(repo.join(".gitattributes"), "*.yaml text eol=crlf\n").expect("write");
    git(&repo, &["add", ".gitattributes"]);
    let (_, err) = c.render(&["render"]);
    assert!(err.contains(&c.unchanged(None)), "root attributes: {err}");
    git(&repo, &["rm", "-q", "--cached", ".gitattributes"]);
    let (_, err) = c.render(&["render"]);
    assert!(err.contains(&c.unchanged(Some(c.small))), "{err}");

    std::fs::write(repo.join(".git/info/attributes"), "*.yaml -text\n").expect("write");
    let (_, err) = c.render(&["render"]);
    assert!(err.contains(&c.unchanged(None)), "info/attributes: {err}");
}

/// A linked worktree's `.git` is a file naming its Git directory, whose index is its own.
#[test]
fn a_linked_worktree_is_compared_through_its_own_index() {
    let c = Clone::new();
    git(&c.path(), &["worktree", "add", "-q", "../linked"]);
    std::thread::sleep(Duration::from_millis(20));
    let linked = c.dir.path().join("linked");
    git(&linked, &["status", "--porcelain"]);
    let (_, err) = run(&linked, &["render"]);
    assert!(err.contains(&c.unchanged(Some(c.small))), "{err}");
}
