//! Listing a directory tree of tens of thousands of files. A render lists its output
//! directory before judging any file against it, and at N = 10,000 that is 770,000 files in
//! 40,000 directories: read one directory at a time, the listing alone kept one core busy
//! for over a second while the other waited. Here each directory's subdirectories are read in
//! parallel, and the result is in the order a sorted depth-first walk gives, however the
//! work was split.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

/// The regular files under a directory, and the directories that could not be read.
#[derive(Debug, Default)]
pub struct Walk {
    /// Relative `/`-separated paths, depth first with each directory's entries by name.
    pub files: Vec<String>,
    pub errors: Vec<(PathBuf, io::Error)>,
    /// The symlinks met (not followed), relative paths: a caller decides what they mean.
    pub links: Vec<String>,
    /// How many directories were read.
    pub read: usize,
}

impl Walk {
    /// The walk of a directory that could not be read.
    pub(super) fn failed(dir: &Path, err: io::Error) -> Walk {
        Walk {
            errors: vec![(dir.to_path_buf(), err)],
            ..Walk::default()
        }
    }

    /// Append `other`'s files and errors.
    pub(super) fn absorb(&mut self, mut other: Walk) {
        self.files.append(&mut other.files);
        self.errors.append(&mut other.errors);
        self.links.append(&mut other.links);
        self.read += other.read;
    }
}

/// Walk `root`: symlinks are not followed (a symlinked directory is neither listed nor
/// entered), and entries whose name starts with `.` are skipped below the root. Names that
/// are not UTF-8 are converted lossily.
pub fn walk(root: &Path) -> Walk {
    walk_dir(root, root, "")
}

/// An entry of one directory, as `read_dir` gives it (no `stat` unless the file system
/// does not report types), by its path relative to the root.
pub(super) struct Entry {
    pub rel: String,
    pub is_dir: bool,
}

fn walk_dir(root: &Path, dir: &Path, rel: &str) -> Walk {
    let mut links = Vec::new();
    let mut entries = match read_entries_and_links(dir, rel, Some(&mut links)) {
        Ok(e) => e,
        Err(err) => return Walk::failed(dir, err),
    };
    // The entries share their directory's prefix: by path is by name.
    entries.sort_unstable_by(|a, b| a.rel.cmp(&b.rel));
    links.sort_unstable();
    if !entries.iter().any(|e| e.is_dir) {
        return Walk {
            files: entries.into_iter().map(|e| e.rel).collect(),
            errors: Vec::new(),
            links,
            read: 1,
        };
    }
    // Subdirectories in parallel; each entry's part is put back in name order.
    let parts: Vec<Walk> = entries
        .into_par_iter()
        .map(|e| {
            if e.is_dir {
                walk_dir(root, &root.join(&e.rel), &e.rel)
            } else {
                Walk {
                    files: vec![e.rel],
                    ..Walk::default()
                }
            }
        })
        .collect();
    let mut out = Walk {
        files: Vec::with_capacity(parts.iter().map(|p| p.files.len()).sum()),
        links,
        read: 1,
        ..Walk::default()
    };
    for part in parts {
        out.absorb(part);
    }
    out
}

/// The regular files and real directories of `dir` (at `rel` under the root), without its
/// dot-entries.
pub(super) fn read_entries(dir: &Path, rel: &str) -> io::Result<Vec<Entry>> {
    read_entries_and_links(dir, rel, None)
}

/// [`read_entries`], and the relative paths of the symlinks among them into `links`.
fn read_entries_and_links(
    dir: &Path,
    rel: &str,
    mut links: Option<&mut Vec<String>>,
) -> io::Result<Vec<Entry>> {
    let mut out = Vec::with_capacity(32);
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let kind = entry.file_type()?;
        let path = || {
            let mut path = String::with_capacity(rel.len() + 1 + name.len());
            if !rel.is_empty() {
                path.push_str(rel);
                path.push('/');
            }
            path.push_str(&name);
            path
        };
        if kind.is_symlink() {
            if let Some(links) = links.as_deref_mut() {
                links.push(path());
            }
        } else if kind.is_dir() || kind.is_file() {
            let path = path();
            out.push(Entry {
                rel: path,
                is_dir: kind.is_dir(),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_depth_first_by_name_without_dot_entries() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for f in [
            "b/x.yaml",
            "b-c.yaml",
            "a.yaml",
            "b/a/z.yaml",
            ".git/config",
            "b/.hidden",
            "c/d/e/f.yaml",
        ] {
            let p = root.join(f);
            fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            fs::write(&p, "x").expect("write");
        }
        fs::create_dir_all(root.join("empty")).expect("mkdir");
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("c"), root.join("link")).expect("symlink");
        let walk = walk(root);
        assert!(walk.errors.is_empty(), "{:?}", walk.errors);
        // `b` sorts before `b-c.yaml` by name, though "b-c" < "b/" as whole paths.
        assert_eq!(
            walk.files,
            [
                "a.yaml",
                "b/a/z.yaml",
                "b/x.yaml",
                "b-c.yaml",
                "c/d/e/f.yaml"
            ]
        );
        let walkdir: Vec<String> = walkdir::WalkDir::new(root)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let rel = e.path().strip_prefix(root).expect("under root");
                rel.to_string_lossy().into_owned()
            })
            .collect();
        assert_eq!(walk.files, walkdir);
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("nope");
        let walk = walk(&missing);
        assert!(walk.files.is_empty());
        assert_eq!(walk.errors.len(), 1);
        assert_eq!(walk.errors[0].0, missing);
    }
}
