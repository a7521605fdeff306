//! File-level comparison of a fresh tree with another (on disk, or rendered elsewhere).

use std::collections::BTreeMap;

use super::Tree;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    /// In the fresh tree, not in the other.
    Added,
    /// A generated file in the other tree that the fresh tree no longer has.
    Removed,
    /// Both have it; the bytes differ.
    Modified,
}

/// One differing file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub path: String,
    pub kind: ChangeKind,
    pub old: Option<Vec<u8>>,
    pub new: Option<Vec<u8>>,
}

/// What it would take to turn `existing` into `fresh`, within `fresh`'s scope. Files in
/// `existing` without the generated header are not the tool's and never count as removed.
pub fn compare(fresh: &Tree, existing: &BTreeMap<String, Vec<u8>>) -> Vec<Change> {
    let mut out = Vec::new();
    for (path, bytes) in &fresh.files {
        match existing.get(path) {
            None => out.push(Change {
                path: path.clone(),
                kind: ChangeKind::Added,
                old: None,
                new: Some(bytes.clone()),
            }),
            Some(old) if old != bytes => out.push(Change {
                path: path.clone(),
                kind: ChangeKind::Modified,
                old: Some(old.clone()),
                new: Some(bytes.clone()),
            }),
            Some(_) => {}
        }
    }
    for (path, old) in existing {
        if !fresh.files.contains_key(path) && fresh.scope.covers(path) && super::is_owned(path, old)
        {
            out.push(Change {
                path: path.clone(),
                kind: ChangeKind::Removed,
                old: Some(old.clone()),
                new: None,
            });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}
