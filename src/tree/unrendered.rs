//! The files an output directory holds that a render did not produce: the candidates for
//! pruning, and what `render --check` reports as removed.
//!
//! Found after the render, against its sorted paths, rather than by listing the directory
//! first: a directory whose seal in the stat index vouches that it holds exactly the entries
//! the render gives it holds no other file and is not read, so re-rendering an unchanged
//! estate reads none of its 40,000 directories at N = 10,000 (listing them was a tenth of the
//! render). Only directories whose entries may differ are read, each from a stat taken first.

use std::fs;
use std::io;
use std::path::Path;

use rayon::prelude::*;

use super::known::{Known, Names, Stat};
use super::walk::{read_entries, Walk};

/// The regular files under `root` that `rendered` (sorted relative `/` paths, each once)
/// does not name, sorted, with the directories that could not be read. Skips what a listing
/// skips (see [`walk`](super::walk::walk)): dot-entries, symlinks, special files. A missing
/// `root` holds nothing. Learns the seal of every directory read into `known`.
pub fn unrendered(root: &Path, rendered: &[String], known: &Known) -> Walk {
    let mut walk = match fs::metadata(root) {
        Ok(m) if m.is_dir() => visit(root, "", rendered, Stat::of(&m), known),
        Ok(_) => Walk::default(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Walk::default(),
        Err(e) => Walk::failed(root, e),
    };
    walk.files.sort_unstable();
    walk
}

/// The directory `rel` with the stat `stat`, and the rendered paths under it (`below`).
fn visit(root: &Path, rel: &str, below: &[String], stat: Stat, known: &Known) -> Walk {
    let skip = if rel.is_empty() { 0 } else { rel.len() + 1 };
    // The entries the render gives the directory: its files, and the first segment of the
    // paths under its subdirectories, each subdirectory's paths side by side (sorted).
    let mut names = Names::default();
    let mut dirs: Vec<(&str, &[String])> = Vec::new();
    let mut i = 0;
    while i < below.len() {
        let rest = &below[i][skip..];
        match rest.split_once('/') {
            None => {
                names.add(rest, false);
                i += 1;
            }
            Some((name, _)) => {
                let end = i + below[i..].partition_point(|p| in_dir(&p[skip..], name));
                names.add(name, true);
                dirs.push((name, &below[i..end]));
                i = end;
            }
        }
    }
    if known.vouch_dir(rel, stat, names) {
        return gather(
            dirs.into_par_iter()
                .map(|(name, under)| enter(root, &join(rel, name), under, known))
                .collect(),
        );
    }
    let entries = match read_entries(&root.join(rel), rel) {
        Ok(e) => e,
        Err(err) => return Walk::failed(&root.join(rel), err),
    };
    let mut held = Names::default();
    for e in &entries {
        held.add(&e.rel[skip..], e.is_dir);
    }
    known.learn_dir(rel, stat, held);
    let mut out = Walk {
        read: 1,
        ..Walk::default()
    };
    let mut subdirs = Vec::new();
    for e in entries {
        if e.is_dir {
            subdirs.push(e.rel);
        } else if below.binary_search(&e.rel).is_err() {
            out.files.push(e.rel);
        }
    }
    let parts: Vec<Walk> = subdirs
        .into_par_iter()
        .map(|dir| {
            // The rendered paths under `dir/`: side by side in `below`, after any path that
            // sorts before `dir/` (`dir-2/…`, `dir.yaml`).
            let prefix = format!("{dir}/");
            let start = below.partition_point(|p| p.as_str() < prefix.as_str());
            let len = below[start..].partition_point(|p| p.starts_with(&prefix));
            enter(root, &dir, &below[start..start + len], known)
        })
        .collect();
    out.absorb(gather(parts));
    out
}

/// The subdirectory `rel`, stated before it is vouched for or read. Not a directory any
/// more (or not yet there): nothing under it to find.
fn enter(root: &Path, rel: &str, below: &[String], known: &Known) -> Walk {
    let path = root.join(rel);
    match fs::symlink_metadata(&path) {
        Ok(m) if m.is_dir() => visit(root, rel, below, Stat::of(&m), known),
        Ok(_) => Walk::default(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Walk::default(),
        Err(e) => Walk::failed(&path, e),
    }
}

/// Is `path` under the directory `dir` (both relative)?
fn in_dir(path: &str, dir: &str) -> bool {
    path.len() > dir.len() && path.starts_with(dir) && path.as_bytes()[dir.len()] == b'/'
}

fn join(rel: &str, name: &str) -> String {
    if rel.is_empty() {
        name.to_owned()
    } else {
        format!("{rel}/{name}")
    }
}

fn gather(parts: Vec<Walk>) -> Walk {
    let mut out = Walk::default();
    for part in parts {
        out.absorb(part);
    }
    out
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn put(root: &Path, path: &str) {
        let p = root.join(path);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(p, "x").expect("write");
    }

    fn sorted(paths: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
        v.sort();
        v
    }

    /// Names that sort between a directory's name and its paths: `a-dev-2/…` and
    /// `a-dev.yaml` come after `a-dev` and before `a-dev/…`.
    const RENDERED: [&str; 8] = [
        "applicationsets/dev.yaml",
        "dev/tenants/a-dev/namespace-a-dev.yaml",
        "dev/tenants/a-dev/role-a.yaml",
        "dev/tenants/a-dev-2/namespace-a-dev-2.yaml",
        "dev/tenants/a-dev.yaml",
        "dev/tenants/a-b-dev/namespace-a-b-dev.yaml",
        "dev/workflows/a-dev/workflowtemplate-ci-v1.yaml",
        "parent/apps-root-dev.yaml",
    ];

    /// A directory holding the files of [`RENDERED`].
    fn rendered_tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        for p in RENDERED {
            put(dir.path(), p);
        }
        dir
    }

    /// Without seals every directory is read: files the render does not name are found at
    /// every depth, in directories it does not know, and next to names that sort around
    /// theirs; dot-entries and symlinks are not files of the tree.
    #[test]
    fn finds_every_file_the_render_does_not_name() {
        let dir = rendered_tree();
        let root = dir.path();
        for p in [
            "README.md",
            "dev/tenants/a-dev/old.yaml",
            "dev/tenants/a-dev-x/namespace.yaml",
            "dev/tenants/a/x.yaml",
            "prod/tenants/a-prod/deep/er/x.yaml",
            "dev/tenants/a-dev/.hidden",
            ".gitops-render-cache/stat-index",
        ] {
            put(root, p);
        }
        std::os::unix::fs::symlink(root.join("prod"), root.join("dev/link")).expect("symlink");
        let known = Known::default();
        let found = unrendered(root, &sorted(&RENDERED), &known);
        assert!(found.errors.is_empty(), "{:?}", found.errors);
        assert_eq!(
            found.files,
            [
                "README.md",
                "dev/tenants/a-dev-x/namespace.yaml",
                "dev/tenants/a-dev/old.yaml",
                "dev/tenants/a/x.yaml",
                "prod/tenants/a-prod/deep/er/x.yaml",
            ]
        );
        assert_eq!(
            unrendered(&root.join("missing"), &[], &known).files,
            Vec::<String>::new()
        );
    }

    /// Once sealed, directories holding exactly their rendered entries are not read; an
    /// entry added anywhere moves its directory's times, so that directory is read again and
    /// the file is found.
    #[test]
    fn sealed_directories_are_not_read_until_an_entry_changes() {
        let dir = rendered_tree();
        let root = dir.path();
        let rendered = sorted(&RENDERED);
        let known = Known::recording_everything(root);
        let first = unrendered(root, &rendered, &known);
        assert!(first.files.is_empty());
        // The root, applicationsets, dev, dev/tenants, three tenants, dev/workflows, one
        // workflow folder and parent.
        assert_eq!(first.read, 10);
        known.save(root, &[]).expect("save");

        // Saving the first index created its folder in the root, which moved the root's
        // times: the root is read once more.
        let known = Known::recording_everything(root);
        let again = unrendered(root, &rendered, &known);
        assert_eq!((again.read, again.files.len()), (1, 0));
        known.save(root, &[]).expect("save");

        let known = Known::recording_everything(root);
        let again = unrendered(root, &rendered, &known);
        assert_eq!((again.read, again.files.len()), (0, 0), "all sealed");

        // The render names another file in `parent`: only that directory is read, and the
        // file it no longer names is found.
        let fewer = sorted(&[&RENDERED[..7], &["parent/apps-root-prod.yaml"]].concat());
        let found = unrendered(root, &fewer, &known);
        assert_eq!(
            (found.read, found.files.clone()),
            (1, vec!["parent/apps-root-dev.yaml".to_owned()])
        );

        put(root, "dev/tenants/a-dev/stray.yaml");
        let found = unrendered(root, &rendered, &known);
        assert_eq!(found.files, ["dev/tenants/a-dev/stray.yaml"]);
        assert_eq!(found.read, 1, "only the tenant's directory is read");

        fs::create_dir(root.join("dev/tenants/new")).expect("mkdir");
        put(root, "dev/tenants/new/x.yaml");
        let found = unrendered(root, &rendered, &known);
        assert_eq!(
            found.files,
            ["dev/tenants/a-dev/stray.yaml", "dev/tenants/new/x.yaml"]
        );
    }

    /// Where a path of a generated tree is: rendered and on disk, rendered only (new), on
    /// disk only (what the search must find).
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Side {
        Both,
        Rendered,
        OnDisk,
    }

    /// Paths of up to three segments from names that sort around one another (`a`, `a-1`,
    /// `a.y`, `a0`, `b`), none both a file and a directory, each on one side.
    fn trees() -> impl Strategy<Value = BTreeMap<String, Side>> {
        let name = prop::sample::select(vec!["a", "a-1", "a.y", "a0", "b"]);
        let path = prop::collection::vec(name, 1..=3).prop_map(|p| p.join("/"));
        let side = prop::sample::select(vec![Side::Both, Side::Rendered, Side::OnDisk]);
        prop::collection::btree_map(path, side, 1..24).prop_map(|mut tree| {
            let dirs: Vec<String> = tree
                .keys()
                .flat_map(|p| {
                    p.match_indices('/')
                        .map(|(i, _)| p[..i].to_owned())
                        .collect::<Vec<_>>()
                })
                .collect();
            for d in dirs {
                tree.remove(&d);
            }
            tree
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Whatever the names, the search finds exactly the files on disk the render does not
        /// name: without seals (every directory read), and again with the seals the first
        /// search recorded (only directories whose entries differ from the render's read).
        #[test]
        fn finds_exactly_the_files_on_disk_that_are_not_rendered(tree in trees()) {
            let dir = tempfile::tempdir().expect("tempdir");
            let root = dir.path();
            let mut rendered = Vec::new();
            let mut expected = Vec::new();
            for (path, side) in &tree {
                if *side != Side::Rendered {
                    put(root, path);
                }
                match side {
                    Side::OnDisk => expected.push(path.clone()),
                    _ => rendered.push(path.clone()),
                }
            }
            let known = Known::recording_everything(root);
            let first = unrendered(root, &rendered, &known);
            prop_assert!(first.errors.is_empty());
            prop_assert_eq!(&first.files, &expected);
            known.save(root, &[]).expect("save");
            let again = unrendered(root, &rendered, &Known::recording_everything(root));
            prop_assert_eq!(&again.files, &expected);
        }
    }
}
