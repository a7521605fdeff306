//! The file system side of trees: read one, and write one atomically without ever touching a
//! file the tool does not own.
//!
//! Safety rules, in order: everything is checked before anything is written (a file without
//! the generated header where a generated file would go, a directory or symlink in the way,
//! all stop the write with every offending path named); new contents are written to
//! temporary siblings first and only then renamed over their targets; stale files are pruned
//! only when they carry the header; files whose bytes did not change are not touched.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::manifest::is_generated;
use crate::source::Location;

use super::Tree;

/// Read every file under `dir` (relative `/` paths → bytes). A missing directory is empty.
/// Symlinks are not followed; dot-files and dot-directories are skipped.
pub fn read_tree(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>, Diagnostics> {
    let mut out = BTreeMap::new();
    if !dir.exists() {
        return Ok(out);
    }
    let mut diags = Diagnostics::new();
    let walker = WalkDir::new(dir)
        .sort_by_file_name()
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_file() => {
                let rel = relative(dir, e.path());
                match fs::read(e.path()) {
                    Ok(bytes) => {
                        out.insert(rel, bytes);
                    }
                    Err(err) => diags.push(Diagnostic::error(
                        "read-failed",
                        format!("cannot read {}: {err}", e.path().display()),
                    )),
                }
            }
            Ok(_) => {}
            Err(err) => diags.push(Diagnostic::error(
                "read-failed",
                format!("cannot read {}: {err}", dir.display()),
            )),
        }
    }
    diags.into_result(out)
}

fn relative(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

/// What a write will do, decided before anything is written.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct WritePlan {
    /// Files to create or replace.
    pub writes: Vec<String>,
    /// Generated files no longer rendered.
    pub prunes: Vec<String>,
    /// Files already up to date.
    pub unchanged: usize,
    /// Files in scope without the header that the tree does not need: left alone.
    pub kept: Vec<String>,
}

/// Decide the write of `tree` into `out`, refusing if it would overwrite anything not owned.
pub fn plan_write(out: &Path, tree: &Tree) -> Result<WritePlan, Diagnostics> {
    let mut plan = WritePlan::default();
    let mut diags = Diagnostics::new();
    if out.exists() && !out.is_dir() {
        return Err(Diagnostic::error(
            "output-not-a-directory",
            format!("{} exists and is not a directory", out.display()),
        )
        .into());
    }
    let existing = read_tree(out)?;
    for (path, bytes) in &tree.files {
        let target = out.join(path);
        if let Some(blocker) = blocking_ancestor(out, path) {
            diags.push(
                Diagnostic::error(
                    "output-blocked",
                    format!(
                        "cannot write {path}: {} is a file, not a directory",
                        blocker.display()
                    ),
                )
                .help("move the file away; gitops-render never deletes files it did not generate"),
            );
            continue;
        }
        // Regular files were read once, with the whole tree; only what is not a regular file
        // (missing, a directory, a symlink) needs a look at its metadata.
        let current: Result<std::borrow::Cow<'_, [u8]>, fs::Metadata> = match existing.get(path) {
            Some(b) => Ok(b.as_slice().into()),
            None => match fs::symlink_metadata(&target) {
                Err(_) => {
                    plan.writes.push(path.clone());
                    continue;
                }
                Ok(meta) if meta.file_type().is_symlink() || meta.is_dir() => Err(meta),
                Ok(_) => Ok(fs::read(&target).unwrap_or_default().into()),
            },
        };
        match current {
            Ok(current) if *current == bytes[..] => plan.unchanged += 1,
            Ok(current) if is_generated(&current) => plan.writes.push(path.clone()),
            Err(meta) => diags.push(
                Diagnostic::error(
                    "output-blocked",
                    format!("cannot write {}: a {} is in the way", target.display(), if meta.is_dir() { "directory" } else { "symlink" }),
                )
                .help("move it away; gitops-render never replaces what it did not generate"),
            ),
            Ok(_) => diags.push(
                Diagnostic::error(
                    "unowned-file",
                    format!("refusing to overwrite {}: it has no generated header, so it was not written by gitops-render", target.display()),
                )
                .at(Location {
                    file: target.display().to_string(),
                    line: 1,
                    col: 1,
                    line_text: None,
                })
                .help("move or delete the hand-written file, or render to another --out directory"),
            ),
        }
    }
    for (path, bytes) in &existing {
        if tree.files.contains_key(path) || !tree.scope.covers(path) {
            continue;
        }
        if is_generated(bytes) {
            plan.prunes.push(path.clone());
        } else {
            plan.kept.push(path.clone());
        }
    }
    diags.into_result(plan)
}

/// The first existing non-directory on the way to `rel` under `out`.
fn blocking_ancestor(out: &Path, rel: &str) -> Option<PathBuf> {
    let mut p = out.to_path_buf();
    let parts: Vec<&str> = rel.split('/').collect();
    for part in &parts[..parts.len().saturating_sub(1)] {
        p.push(part);
        match fs::symlink_metadata(&p) {
            Ok(m) if !m.is_dir() => return Some(p),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    None
}

/// Carry out a plan: stage every new file as a temporary sibling, then rename them all into
/// place, then prune. A failure while staging leaves the previous tree untouched.
pub fn apply(out: &Path, tree: &Tree, plan: &WritePlan) -> Result<(), Diagnostics> {
    let mut staged = Vec::with_capacity(plan.writes.len());
    for path in &plan.writes {
        let target = out.join(path);
        let staged_file = stage(&target, &tree.files[path]).map_err(|e| {
            Diagnostics::from(Diagnostic::error(
                "write-failed",
                format!("cannot write {}: {e}", target.display()),
            ))
        })?;
        staged.push((staged_file, target));
    }
    for (tmp, target) in staged {
        tmp.persist(&target).map_err(|e| {
            Diagnostics::from(Diagnostic::error(
                "write-failed",
                format!("cannot rename into {}: {e}", target.display()),
            ))
        })?;
    }
    for path in &plan.prunes {
        let target = out.join(path);
        fs::remove_file(&target).map_err(|e| {
            Diagnostics::from(Diagnostic::error(
                "write-failed",
                format!("cannot remove {}: {e}", target.display()),
            ))
        })?;
        remove_empty_parents(out, &target);
    }
    Ok(())
}

/// Write `bytes` to a temporary sibling of `target` and close it (a tree has more files than
/// a process may keep open), keeping only its path until the rename.
fn stage(target: &Path, bytes: &[u8]) -> std::io::Result<tempfile::TempPath> {
    let dir = target.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".gitops-render-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    // No fsync per file: the rename makes each file atomic for readers, Git is the durable
    // store, and 50,000 fsyncs cost ~15 s on this machine class.
    tmp.write_all(bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o644))?;
    }
    Ok(tmp.into_temp_path())
}

fn remove_empty_parents(out: &Path, file: &Path) {
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d == out || !d.starts_with(out) || fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}
