//! gitops-render: render, check and explain a multi-tenant GitOps tree from versioned policy
//! packs and environment overlays.
//!
//! The pipeline, one module per stage, each a function from one named type to the next:
//!
//! ```text
//! files ─source─▶ EstateFiles ─inputs::load─▶ Inputs ─resolve─▶ Plan ─render─▶ ManifestSet ─tree::layout─▶ Tree
//! ```
//!
//! * [`source`] keeps every file's text so any later stage can point at `file:line:col`; it is
//!   the only module that names a YAML crate.
//! * [`inputs`] parses each file once and checks it against its JSON Schema ([`schema`]).
//! * [`resolve`] picks each environment's pack version and merges the overlays, remembering
//!   where every value came from (what `explain` prints).
//! * [`render`] runs the sandboxed templates and parses their output back, so a template bug
//!   is an error, never a broken manifest.
//! * [`tree`] lays manifests out as files with canonical bytes ([`manifest`]), compares trees,
//!   and writes them atomically without touching files it does not own.
//!
//! Every command renders through [`pipeline::run`]: a [`resolve::Selection`] (environments,
//! tenants, pack pin) is resolved one environment at a time and rendered a unit at a time
//! (a tenant's objects, or an environment's own); each unit is laid out by [`tree::lay_out`]
//! (one file per object, or one per application folder with `repo.layout: file-per-app`),
//! judged by lint's file rules and handed to a [`pipeline::Sink`] on the thread that rendered
//! it — the output directory (a verdict per file, a fresh render's files created in its
//! staging folder), `render --check`'s and `diff --against`'s comparison, or a [`spool`] for
//! the YAML streams of the plugin and `render --stdout` — so memory holds the units in flight
//! and what the cross-object lint rules keep, not the tree. [`render_estate`] is the same
//! render held whole in memory, what tests hold the streaming one to.
//!
//! Only [`cli`], [`tree::io`], [`tree::guard`] and [`tree::walk`] (and the estate reader in
//! [`source`]) touch the file system.

// Nothing in the library needs `unsafe`; the binary's one allocator call is in src/main.rs.
#![forbid(unsafe_code)]

pub mod cli;
pub mod cmp;
pub mod diagnostic;
pub mod diff;
pub mod embedded;
pub mod explain;
pub mod inputs;
pub mod lint;
pub mod manifest;
pub mod model;
pub mod pipeline;
pub mod render;
pub mod report;
pub mod resolve;
pub mod schema;
pub mod settings;
pub mod source;
pub mod spool;
pub mod tree;

use diagnostic::Diagnostics;
use resolve::Selection;
use source::EstateFiles;

/// Everything a render produced, for callers that need more than the tree.
#[derive(Debug)]
pub struct Rendered {
    pub inputs: inputs::Inputs,
    pub plan: resolve::Plan,
    pub manifests: manifest::ManifestSet,
    pub tree: tree::Tree,
}

/// Run the whole pipeline in memory, every stage's output kept: files → tree (the reference
/// for tests and benchmarks; commands use [`pipeline::run`]). `envs` limits the environments
/// (all when empty); the tree's scope says so.
pub fn render_estate(files: &EstateFiles, envs: &[String]) -> Result<Rendered, Diagnostics> {
    let inputs = inputs::load(files)?;
    let plan = resolve::resolve(&inputs, &Selection::environments(envs))?;
    let manifests = render::render(&inputs, &plan)?;
    let tree = tree::layout(
        &manifests,
        scope(envs, plan.environments.iter().map(|e| &e.name)),
    )?;
    Ok(Rendered {
        inputs,
        plan,
        manifests,
        tree,
    })
}

/// Free `value` on a thread of its own. The pruned documents of a large lint are hundreds of
/// thousands of values whose frees kept one core busy after the work was done (~0.3 s at
/// N = 10,000); a process that exits first leaves them to the operating system.
pub(crate) fn free_in_background<T: Send + 'static>(value: T) {
    // If no thread can be started, the closure, and `value` with it, is dropped here.
    let _ = std::thread::Builder::new().spawn(move || drop(value));
}

/// Where the tree of environments `envs` (all when empty) lives in the repository: their
/// `repo.path`, which Argo CD's generator paths name and which is the default output folder.
/// Environments rendered together into one folder must agree on it.
pub fn tree_path(inputs: &inputs::Inputs, envs: &[String]) -> Result<String, Diagnostics> {
    let plan = resolve::resolve(inputs, &Selection::environments(envs).settings_only())?;
    let mut paths: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for e in &plan.environments {
        paths
            .entry(e.settings.repo.path.as_str())
            .or_default()
            .push(&e.name);
    }
    let mut it = paths.iter();
    match (it.next(), it.next()) {
        (None, _) => Ok("gitops".to_owned()),
        (Some((path, _)), None) => {
            if tree_path_ok(path) {
                Ok((*path).to_owned())
            } else {
                Err(diagnostic::Diagnostic::error(
                    "invalid-repo-path",
                    format!("repo.path `{}` is not a relative path inside the repository", diagnostic::escape(path)),
                )
                .help("write it like `gitops` or `infra/kubernetes/gitops/argocd`: no leading `/`, no `..`")
                .into())
            }
        }
        _ => Err(diagnostic::Diagnostic::error(
            "repo-path-mismatch",
            format!(
                "the environments rendered together name different repo.path values: {}",
                paths
                    .iter()
                    .map(|(p, envs)| format!("`{p}` ({})", envs.join(", ")))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .help("one tree, one folder: give them the same repo.path, or render them separately with --env and --out")
        .into()),
    }
}

/// A `repo.path` is a plain relative folder: its parts are names, never `.`, `..` or empty.
fn tree_path_ok(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && path
            .split('/')
            .all(|p| !p.is_empty() && !p.starts_with('.') && !p.contains('\\'))
}

/// The lint settings of the packs of the environments `envs` selects (all when empty).
pub fn lint_config(
    inputs: &inputs::Inputs,
    envs: &[String],
) -> Result<lint::LintConfig, Diagnostics> {
    Ok(lint::LintConfig::from_plan(
        inputs,
        &resolve::resolve(inputs, &Selection::environments(envs).settings_only())?,
    ))
}

/// What a render of `envs` (all when empty), which resolved the environments `names`, speaks
/// for in the output directory.
pub fn scope<'a>(envs: &[String], names: impl Iterator<Item = &'a String>) -> tree::Scope {
    if envs.is_empty() {
        tree::Scope::All
    } else {
        tree::Scope::Environments(names.cloned().collect())
    }
}
