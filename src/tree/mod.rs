//! Tree: the rendered estate as `relative path → bytes`, and what can be done with one —
//! lay it out from manifests, compare it with another, read it from and write it to disk.
//!
//! Only `io`, `guard` (lock, cache folder, staging journal) and `walk` touch the file
//! system; layout and comparison work in memory so that `render`, `render --check` and
//! `diff` share one code path.

mod at;
mod checkout;
pub mod compare;
pub mod guard;
pub mod io;
pub mod known;
mod layout;
mod unrendered;
pub mod walk;

use std::collections::{BTreeMap, BTreeSet};

pub use compare::{compare, Change, ChangeKind};
pub use layout::{
    collect, confined, duplicate_path, env_of_path, is_layout_path, lay_out, layout, path_for,
    places, render_files, APP_FILE,
};

/// Is the file at tree path `rel` with `bytes` the tool's to replace or prune: where the
/// layout puts objects, and starting with the exact generated header line?
pub fn is_owned(rel: &str, bytes: &[u8]) -> bool {
    is_layout_path(rel) && crate::manifest::is_generated(bytes)
}

/// Which part of the output directory a tree speaks for: a render of some environments must
/// not prune the files of the others.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    All,
    Environments(BTreeSet<String>),
}

impl Scope {
    pub fn covers(&self, path: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Environments(envs) => env_of_path(path).is_some_and(|e| envs.contains(e)),
        }
    }
}

/// A rendered tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tree {
    pub files: BTreeMap<String, Vec<u8>>,
    pub scope: Scope,
}
