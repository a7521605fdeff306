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
//! Rendering runs a unit at a time (a tenant's objects, or an environment's own): each unit
//! is laid out by [`tree::lay_out`] (one file per object, or one per application folder with
//! `repo.layout: file-per-app`), judged by lint's file rules and handed to its sink on the
//! thread that rendered it — the output directory (a verdict per file, a fresh render's
//! files created in its staging folder), `render --check`'s comparison, or a [`spool`] for
//! the YAML streams of the plugin and `render --stdout` — so memory holds the units in
//! flight and what the cross-object lint rules keep, not the tree.
//!
//! Only [`cli`], [`tree::io`], [`tree::guard`] and [`tree::walk`] (and the estate reader in
//! [`source`]) touch the file system.

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
pub mod render;
pub mod report;
pub mod resolve;
pub mod schema;
pub mod settings;
pub mod source;
pub mod spool;
pub mod tree;

use diagnostic::Diagnostics;
use source::EstateFiles;

/// Everything a render produced, for callers that need more than the tree.
#[derive(Debug)]
pub struct Rendered {
    pub inputs: inputs::Inputs,
    pub plan: resolve::Plan,
    pub manifests: manifest::ManifestSet,
    pub tree: tree::Tree,
}

/// Run the whole pipeline in memory: files → tree. `envs` limits the environments (all when
/// empty); the tree's scope says so.
pub fn render_estate(files: &EstateFiles, envs: &[String]) -> Result<Rendered, Diagnostics> {
    let inputs = inputs::load(files)?;
    let plan = resolve::resolve_with(&inputs, envs, None)?;
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

/// A render kept as files only.
#[derive(Debug)]
pub struct RenderedTree {
    pub inputs: inputs::Inputs,
    pub plan: resolve::Plan,
    pub tree: tree::Tree,
}

/// [`render_estate`] for callers that need only the files: each object is laid out on
/// the thread that rendered it and its parsed value dropped there, so memory holds the
/// YAML, not the (several times larger) values.
pub fn render_tree(
    files: &EstateFiles,
    envs: &[String],
    pack_pin: Option<&str>,
) -> Result<RenderedTree, Diagnostics> {
    let inputs = inputs::load(files)?;
    let plan = resolve::resolve_with(&inputs, envs, pack_pin)?;
    let laid_out = tree::render_files(&inputs, &plan, |path, bytes| (path, bytes))?;
    let tree = tree::collect(
        laid_out,
        scope(envs, plan.environments.iter().map(|e| &e.name)),
    )?;
    Ok(RenderedTree { inputs, plan, tree })
}

/// A render checked by lint whose files wait in a [`spool::Spool`] (`render --stdout`, the
/// plugin): their places in tree order, not their bytes.
#[derive(Debug)]
pub struct Spooled {
    pub spool: spool::Spool,
    /// Every file's path and place in the spool, in tree order.
    pub files: Vec<(String, spool::Piece)>,
    pub findings: Vec<lint::Finding>,
    pub objects: usize,
}

impl Spooled {
    /// Every file's bytes by path (for tests and small trees: this is the whole tree).
    pub fn read_files(&self) -> std::io::Result<std::collections::BTreeMap<String, Vec<u8>>> {
        self.files
            .iter()
            .map(|(path, piece)| Ok((path.clone(), self.spool.read(*piece)?)))
            .collect()
    }
}

/// Render environments `names` and lint them a unit at a time (a tenant, or an environment's
/// own objects), `tenants` tenants gathered per batch ([`TENANTS_PER_BATCH`] outside tests):
/// each unit's objects are judged by the file-scoped rules on the thread that rendered them,
/// its files put in a spool there, and its documents kept only pruned to what the corpus
/// rules read ([`lint::Stream`]). Memory holds the units in flight, the pruned documents and
/// the files' places, not the estate's values or YAML (282 MB for one environment at
/// N = 10,000). The corpus rules then see the documents environment by environment. Where a
/// rule reports the second of two objects (duplicate-object), they are in different
/// environments (rendering already refuses two within one), so the earlier environment's
/// comes first, as in tree order: the findings are those of a lint of the whole render
/// (`tests/render_tree.rs` holds them to it).
pub fn lint_spooled(
    inputs: &inputs::Inputs,
    names: &[String],
    config: &lint::LintConfig,
    tenants: usize,
) -> Result<Spooled, Diagnostics> {
    let spool = spool::Spool::new();
    let batching = Batching {
        tenants,
        expected_files: 0,
    };
    let (stream, pieces) = lint_render(inputs, names, config, batching, |chunk| {
        chunk.take_texts(|_, text| spool.put(text.as_bytes()))
    })?;
    let pieces = pieces
        .into_iter()
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| {
            diagnostic::Diagnostic::error(
                "spool-failed",
                format!("cannot keep the rendered stream in a temporary file: {e}"),
            )
            .help("set TMPDIR to a writable folder with room for the stream")
        })?;
    // The `i`th file added is `pieces[i]`.
    let (findings, mut corpus) = stream.finish(|i, _| {
        spool
            .read(pieces[i])
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
    });
    let objects = corpus.docs.len();
    let paths = corpus
        .sources
        .take_files()
        .into_iter()
        .map(|(path, _)| path);
    let mut files: Vec<(String, spool::Piece)> = paths.zip(pieces).collect();
    files.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    free_in_background(corpus);
    Ok(Spooled {
        spool,
        files,
        findings,
        objects,
    })
}

/// A render checked by lint, planned as a write into the output directory.
#[derive(Debug)]
pub struct LintedWrite {
    /// `None` when lint found errors: nothing may be written.
    pub plan: Option<tree::io::WritePlan>,
    pub findings: Vec<lint::Finding>,
    pub objects: usize,
    pub environments: usize,
}

/// [`lint_spooled`] straight into a write plan, like [`render_write_plan`]: each unit's
/// files are judged against their targets on the thread that rendered them, once the file
/// rules have seen them, and only the bytes of files that change are kept. A finding of the
/// corpus rules in an unchanged file is located in the target, whose bytes are the rendered
/// ones. At N = 10,000 this holds no copy of the 1.2 GB tree.
pub fn render_linted_write_plan(
    inputs: &inputs::Inputs,
    envs: &[String],
    out: &tree::io::Output,
) -> Result<LintedWrite, Diagnostics> {
    use tree::io::Judged;
    let judging = lint_render_judging(
        inputs,
        envs,
        out.on_disk(),
        |path| out.current_path(path),
        |path, bytes| out.judge(path, bytes),
        |judged| match judged {
            Judged::Write(bytes) => Some(bytes),
            _ => None,
        },
    )?;
    let plan = judging
        .verdicts
        .map(|judged| out.plan(judged, &scope(envs, judging.names.iter())))
        .transpose()?;
    Ok(LintedWrite {
        plan,
        findings: judging.findings,
        objects: judging.objects,
        environments: judging.names.len(),
    })
}

/// A render checked by lint and compared with a directory.
#[derive(Debug)]
pub struct LintedDrift {
    /// `None` when lint found errors: the render is refused before any comparison.
    pub drift: Option<tree::io::Drift>,
    pub findings: Vec<lint::Finding>,
    pub objects: usize,
    /// The environments rendered.
    pub environments: Vec<String>,
}

/// [`lint_spooled`] compared with the files of `on_disk` as it renders (`render --check`):
/// like [`render_linted_write_plan`], each unit's files are compared on the thread that
/// rendered them and only those that differ are kept; then only the directory's other files
/// are read. At N = 10,000 neither tree is held whole.
pub fn render_linted_against(
    inputs: &inputs::Inputs,
    envs: &[String],
    on_disk: &tree::io::OnDisk,
) -> Result<LintedDrift, Diagnostics> {
    let judging = lint_render_judging(
        inputs,
        envs,
        on_disk,
        |path| on_disk.target(path),
        |path, bytes| on_disk.differing(path, bytes),
        |differing| differing.as_ref(),
    )?;
    let drift = judging
        .verdicts
        .map(|verdicts| on_disk.drift(verdicts))
        .transpose()?;
    Ok(LintedDrift {
        drift,
        findings: judging.findings,
        objects: judging.objects,
        environments: judging.names,
    })
}

/// A linted render whose files were judged against a directory as they rendered.
struct Judging<V> {
    /// Each file's verdict by path, in the order rendered; `None` when lint found errors.
    verdicts: Option<Vec<(String, V)>>,
    findings: Vec<lint::Finding>,
    objects: usize,
    names: Vec<String>,
}

/// Render and lint (see [`lint_render`]), each file judged against the directory `against`
/// by `judge` on the thread that rendered it, once the file rules have seen it; the verdict
/// keeps the bytes it needs (`kept`). A corpus-rule finding in a file whose verdict kept no
/// bytes is located in the file at `written(path)` (the directory's, or the one a fresh
/// write staged), which has the same bytes.
fn lint_render_judging<V: Send + Sync>(
    inputs: &inputs::Inputs,
    envs: &[String],
    against: &tree::io::OnDisk,
    written: impl Fn(&str) -> std::path::PathBuf + Sync,
    judge: impl Fn(&str, Vec<u8>) -> V + Sync,
    kept: impl Fn(&V) -> Option<&Vec<u8>> + Sync,
) -> Result<Judging<V>, Diagnostics> {
    let names = resolve::select_environments(inputs, envs)?;
    let config = lint_config(inputs, envs)?;
    // Verdicts only: the paths are the lint's, in the same order (one copy of 770,012
    // paths at N = 10,000 is ~70 MB).
    let batching = Batching {
        tenants: TENANTS_PER_BATCH,
        expected_files: against.expected_files(),
    };
    let (stream, verdicts) = lint_render(inputs, &names, &config, batching, |chunk| {
        chunk.take_texts(|path, text| judge(path, text.into_bytes()))
    })?;
    // The `i`th file added has verdict `verdicts[i]`.
    let (findings, mut corpus) = stream.finish(|i, path| match kept(&verdicts[i]) {
        Some(bytes) => String::from_utf8(bytes.clone()).ok(),
        None => std::fs::read_to_string(written(path)).ok(),
    });
    let objects = corpus.docs.len();
    let verdicts = (!lint::has_errors(&findings)).then(|| {
        let paths = corpus
            .sources
            .take_files()
            .into_iter()
            .map(|(path, _)| path);
        paths.zip(verdicts).collect()
    });
    free_in_background(corpus);
    Ok(Judging {
        verdicts,
        findings,
        objects,
        names,
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
    let plan = resolve::resolve_environments(inputs, envs)?;
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
        &resolve::resolve_environments(inputs, envs)?,
    ))
}

/// Render environments `names` one at a time, a unit at a time, through a streaming lint:
/// each unit's objects are laid out, judged by the file rules and handed to `settle` (which
/// may take their files' texts) on the thread that rendered them, then kept pruned. Returns
/// the stream, ready to finish, and what `settle` returned for every file, in the order the
/// files were added.
fn lint_render<'c, S: Send>(
    inputs: &inputs::Inputs,
    names: &[String],
    config: &'c lint::LintConfig,
    batching: Batching,
    settle: impl Fn(&mut lint::Chunk) -> Vec<S> + Sync,
) -> Result<(lint::Stream<'c>, Vec<S>), Diagnostics> {
    // Its callers (render, render --check, the plugin) count notes and show the rest.
    let mut stream = lint::Stream::new(
        config,
        Some(config.tree_path.clone().unwrap_or_else(|| "gitops".into())),
    )
    .counting_notes();
    stream.reserve_files(batching.expected_files);
    let mut settled = Vec::with_capacity(batching.expected_files);
    let mut diags = Diagnostics::new();
    for name in names {
        let mut plan = match resolve::resolve_with(inputs, std::slice::from_ref(name), None) {
            Ok(plan) => plan,
            Err(d) => {
                diags.extend(d);
                continue;
            }
        };
        in_batches(&mut plan, batching.tenants, |plan| {
            let judging = &stream;
            let units = render::render_units(inputs, plan, |unit| {
                let laid_out = tree::lay_out(&unit);
                let mut files = tree::collect(laid_out, tree::Scope::All)?.files;
                let set = manifest::ManifestSet { manifests: unit };
                let corpus = lint::Corpus::from_rendered(
                    set,
                    &mut files,
                    config.tree_path.as_deref().unwrap_or("gitops"),
                );
                let mut chunk = judging.judge(corpus, |_| true);
                let s = settle(&mut chunk);
                Ok((chunk, s))
            });
            match units {
                Ok(units) => {
                    let (units, errors) = diagnostic::partition(units);
                    diags.extend(errors);
                    if diags.is_empty() {
                        for (chunk, s) in units {
                            stream.add(chunk);
                            settled.extend(s);
                        }
                    }
                }
                Err(d) => diags.extend(d),
            }
        });
        free_in_background(plan);
    }
    // Each environment's repeats were collapsed as it was rendered; across them too.
    diags
        .sorted()
        .collapse_repeats()
        .into_result((stream, settled))
}

/// How [`lint_render`] gathers what it renders.
#[derive(Clone, Copy)]
struct Batching {
    /// Tenants rendered before their units join the stream.
    tenants: usize,
    /// How many files the render is expected to hold (the output directory's count on a
    /// re-render): the stream makes room for them once. Grown by doubling instead, its list
    /// of documents (~110 MB at N = 10,000) was copied into fresh pages again and again, on
    /// one core (~0.7 s in a VM, where a first touch of memory is slow).
    expected_files: usize,
}

/// Tenants rendered before their pruned documents join the stream: the units of a batch are
/// held until the batch is done (at N = 10,000 a whole environment's took ~150 MB more
/// peak memory than batches of 1,000), and each batch compiles its templates (~ms).
pub const TENANTS_PER_BATCH: usize = 1000;

/// Hand `each` a one-environment plan as plans of `size` tenants each
/// (environment-level objects not rendered), then as one of the environment-level objects
/// alone. The roster, which environment templates read, stays whole.
fn in_batches(plan: &mut resolve::Plan, size: usize, mut each: impl FnMut(&resolve::Plan)) {
    let partial = plan.environments[0].partial;
    let mut tenants = std::mem::take(&mut plan.environments[0].tenants).into_iter();
    loop {
        let batch: Vec<_> = tenants.by_ref().take(size.max(1)).collect();
        let last = batch.is_empty();
        let env = &mut plan.environments[0];
        env.tenants = batch;
        env.partial = if last { partial } else { true };
        each(plan);
        if last {
            return;
        }
    }
}

/// [`render_tree`] straight into a write plan against the output directory: each file is
/// judged (up to date, to write, or blocked) on the thread that rendered it and only the
/// bytes of files that change are kept, so re-rendering an unchanged estate holds no file
/// contents however large the estate. Environments are resolved and rendered one at a time
/// (each one's tenants in parallel), so only one environment's plan is held at once.
/// Returns the plan and the number of environments.
pub fn render_write_plan(
    inputs: &inputs::Inputs,
    envs: &[String],
    pack_pin: Option<&str>,
    out: &tree::io::Output,
) -> Result<(tree::io::WritePlan, usize), Diagnostics> {
    let names = resolve::select_environments(inputs, envs)?;
    let mut judged = Vec::new();
    let mut diags = Diagnostics::new();
    for name in &names {
        let rendered = resolve::resolve_with(inputs, std::slice::from_ref(name), pack_pin)
            .and_then(|plan| {
                let rendered = tree::render_files(inputs, &plan, |path, bytes| {
                    let judged = out.judge(&path, bytes);
                    (path, judged)
                });
                // Freeing an environment's plan is ~50 ms on one core at N = 10,000.
                free_in_background(plan);
                rendered
            });
        match rendered {
            Ok(env) if diags.is_empty() => judged.extend(env),
            Ok(_) => {}
            Err(d) => diags.extend(d),
        }
    }
    let judged = diags.sorted().collapse_repeats().into_result(judged)?;
    let write = out.plan(judged, &scope(envs, names.iter()))?;
    Ok((write, names.len()))
}

/// What a render of `envs` (all when empty), which resolved the environments `names`, speaks
/// for in the output directory.
fn scope<'a>(envs: &[String], names: impl Iterator<Item = &'a String>) -> tree::Scope {
    if envs.is_empty() {
        tree::Scope::All
    } else {
        tree::Scope::Environments(names.cloned().collect())
    }
}
