//! `gitops-render render`: write the tree, or with `--check` report how the committed tree
//! differs from a fresh render.

use std::mem::ManuallyDrop;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::pipeline::{self, Stages};
use crate::resolve::Selection;
use crate::source::EstateFiles;
use crate::spool::Spool;
use crate::tree::known::{self, Known};
use crate::tree::{compare, io, ChangeKind, Scope, Tree};

use super::{output, Exit};

/// Print diagnostics (ending "nothing was written": this is the command that writes) and
/// return the error exit.
fn fail(diags: &crate::diagnostic::Diagnostics) -> Exit {
    output::err(&diags.render_nothing_written());
    Exit::Error
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Render only this environment (repeatable). Files of other environments are left alone.
    #[arg(long = "env", value_name = "ENV")]
    envs: Vec<String>,
    /// Output directory (default: <root>/gitops).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Write nothing; exit 1 and show the differences when the tree on disk is stale.
    #[arg(long)]
    check: bool,
    /// Skip the lint of the rendered tree (by default, error findings stop the write).
    #[arg(long)]
    no_lint: bool,
    /// Write nothing to disk: print the tree's Kubernetes objects as one YAML stream, in tree
    /// order (the bytes `render` would write, joined with `---`; no Backstage entities), for
    /// `kubectl apply -f -`, a diff tool or another pipeline step.
    #[arg(long, conflicts_with_all = ["check", "out"])]
    stdout: bool,
}

/// The folder the tree of `envs` goes to: `--out`, else the environments' `repo.path` under
/// the estate root. An `--out` elsewhere is allowed (a scratch render, a preview) but said:
/// the tree's Argo CD paths name `repo.path`, so that is where it must be committed.
pub fn tree_dir(
    root: &Path,
    inputs: &crate::inputs::Inputs,
    envs: &[String],
    out: Option<&Path>,
) -> Result<PathBuf, crate::diagnostic::Diagnostics> {
    let repo_path = crate::tree_path(inputs, envs)?;
    let default = root.join(&repo_path);
    let Some(out) = out else {
        return Ok(default);
    };
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    if !same(out, &default) {
        output::err(&format!(
            "note: writing to {}; the tree's Argo CD paths name repo.path `{repo_path}`, where it must be committed\n",
            out.display()
        ));
    }
    Ok(out.to_path_buf())
}

pub fn run(root: &Path, args: &RenderArgs) -> Exit {
    if !args.no_lint {
        // The file rules validate each object against its kind's schema: readied on a
        // thread of their own while the estate is read and resolved, the first units do not
        // wait for them.
        crate::schema::objects::prepare_ahead(&crate::lint::TREE_KINDS);
    }
    let files = match EstateFiles::read_dir(root) {
        Ok(f) => f,
        Err(d) => return fail(&d),
    };
    if args.stdout {
        return stream(&files, args);
    }
    // Read once: the tree's folder and the render both come from these inputs.
    let inputs = match crate::inputs::load(&files) {
        Ok(i) => i,
        Err(d) => return fail(&d),
    };
    let out_dir = match tree_dir(root, &inputs, &args.envs, args.out.as_deref()) {
        Ok(d) => d,
        Err(d) => return fail(&d),
    };
    let selection = Selection::environments(&args.envs);
    // Each file is judged against the output directory as it is rendered, and only what
    // differs is kept. Judging reads the target file, so workers wait on the disk: twice as
    // many workers as cores keep the cores busy meanwhile (N = 10,000 on two cores, without
    // lint: 54 s → 39 s).
    io_bound_workers();
    if args.check {
        let on_disk = match io::OnDisk::open(&out_dir) {
            Ok(l) => l,
            Err(d) => return fail(&d),
        };
        let (drift, names) = if args.no_lint {
            let state = crate::diff::State {
                files: &files,
                pack_pin: None,
            };
            match crate::diff::render_against(state, &args.envs, &on_disk) {
                Ok(r) => r,
                Err((_, d)) => return fail(&d),
            }
        } else {
            let linted = crate::lint_config(&inputs, &args.envs).and_then(|config| {
                pipeline::run(inputs, &selection, Stages::linted(&config), &on_disk)
            });
            let linted = match linted {
                Ok(l) => l,
                Err(d) => return fail(&d),
            };
            report_findings(&linted.findings, linted.objects);
            if linted.refused() {
                return lint_refused();
            }
            match on_disk.drift(linted.files) {
                Ok(drift) => (drift, linted.environments),
                Err(d) => return fail(&d),
            }
        };
        let scope = crate::scope(&args.envs, names.iter());
        let leftovers = crate::tree::guard::leftovers(&out_dir);
        let exit = check(&out_dir, drift, scope, names.len());
        if !leftovers.is_empty() {
            let mut text = format!(
                "{} holds {} temporary file(s) of an interrupted render; run `gitops-render render` to finish or clean up:\n",
                out_dir.display(),
                leftovers.len()
            );
            for l in &leftovers {
                text.push_str(&format!("  {l}\n"));
            }
            output::err(&text);
            return Exit::Findings;
        }
        return exit;
    }
    // One writer at a time, from before the directory is read until the write is done;
    // held (and, if this render created the folder and wrote nothing, the folder removed)
    // until the end of this function.
    let _lock = match io::WriteLock::acquire(&out_dir) {
        Ok(lock) => lock,
        Err(d) => return fail(&d.into()),
    };
    let cleaned = crate::tree::guard::clean_leftovers(&out_dir);
    // What the stat index learned while judging, saved once the write is done.
    let mut known = Known::default();
    let mut by_git = 0;
    let config = if args.no_lint {
        None
    } else {
        match crate::lint_config(&inputs, &args.envs) {
            Ok(c) => Some(c),
            Err(d) => return fail(&d),
        }
    };
    let stages = match &config {
        Some(config) => Stages::linted(config),
        None => Stages::unlinted(),
    };
    // `None` when lint refused the render: nothing is planned, nothing written.
    let planned = io::Output::open(&out_dir).and_then(|mut output| {
        let planned = pipeline::run(inputs, &selection, stages, &output).and_then(|rendered| {
            report_findings(&rendered.findings, rendered.objects);
            if rendered.refused() {
                return Ok(None);
            }
            let environments = rendered.environments.len();
            let scope = crate::scope(&args.envs, rendered.environments.iter());
            Ok(Some((output.plan(rendered.files, &scope)?, environments)))
        });
        if !matches!(planned, Ok(Some(_))) {
            output.abandon();
        }
        by_git = output.on_disk().vouched_by_git();
        known = output.take_known();
        crate::free_in_background(output);
        planned
    });
    let planned = match planned {
        Ok(Some(p)) => Ok(p),
        Ok(None) => return lint_refused(),
        Err(d) => Err(d),
    };
    // The process exits after this command: freeing every file one by one would only delay
    // the exit, so the plan is left to the operating system.
    let planned = match planned {
        Ok(p) => ManuallyDrop::new(p),
        Err(d) => return fail(&d),
    };
    let (plan, envs) = (&planned.0, planned.1);
    if let Err(d) = io::apply(&out_dir, plan) {
        return fail(&d);
    }
    let saved = known.save(&out_dir, &plan.prunes);
    let mut summary = format!(
        "rendered {envs} environment{} into {}: {} files, {} written, {} pruned, {} unchanged\n",
        if envs == 1 { "" } else { "s" },
        out_dir.display(),
        plan.files(),
        plan.written(),
        plan.prunes.len(),
        plan.unchanged
    );
    if by_git > 0 {
        // Said, so that a slow render on a checkout can be told from a fast one.
        summary.insert_str(
            summary.len() - 1,
            &format!(" ({by_git} vouched for by Git's index)"),
        );
    }
    for p in &plan.prunes {
        summary.push_str(&format!("pruned {p}\n"));
    }
    for c in &cleaned {
        summary.push_str(&format!(
            "note: removed {c}, left by an interrupted render\n"
        ));
    }
    for k in &plan.kept {
        summary.push_str(&format!(
            "note: left {k} alone: it has no generated header\n"
        ));
    }
    if let Err(e) = saved {
        summary.push_str(&format!(
            "note: could not save the stat index in {}: {e} (the next render reads every file)\n",
            out_dir.join(known::CACHE_DIR).display()
        ));
    }
    output::info(&summary);
    Exit::Clean
}

/// `render --stdout`: the selection's tree as one YAML stream, linted unless `--no-lint`
/// (errors refuse the stream, as they refuse a write).
fn stream(files: &EstateFiles, args: &RenderArgs) -> Exit {
    // `<env>/backstage/…` holds Backstage catalog entities, which no cluster can apply.
    let kubernetes = |path: &str| path.split('/').nth(1) != Some("backstage");
    let selection = Selection::environments(&args.envs);
    let spool = Spool::new();
    let spooled = crate::inputs::load(files).and_then(|inputs| {
        let config = match args.no_lint {
            true => None,
            false => Some(crate::lint_config(&inputs, &args.envs)?),
        };
        let stages = config.as_ref().map_or(Stages::unlinted(), Stages::linted);
        let rendered = pipeline::run(inputs, &selection, stages, &spool)?;
        Ok(rendered.in_tree_order())
    });
    let spooled = match spooled {
        Ok(s) => s,
        Err(d) => return super::fail(&d),
    };
    report_findings(&spooled.findings, spooled.objects);
    if spooled.refused() {
        output::err("error: the rendered tree has lint errors; nothing was printed (--no-lint skips this check)\n");
        return Exit::Error;
    }
    let pieces = spooled
        .files
        .into_iter()
        .filter(|(p, _)| kubernetes(p))
        .map(|(_, piece)| piece)
        .collect::<std::io::Result<Vec<_>>>();
    let stream = match pieces {
        Ok(pieces) => crate::cmp::Stream::spooled(spool, pieces),
        Err(e) => return super::fail(&crate::spool::failed(&e).into()),
    };
    output::out_stream(&stream)
}

/// Size the worker pool for work that mixes rendering with file reads (unless
/// `RAYON_NUM_THREADS` says otherwise). Only effective before the pool's first use.
fn io_bound_workers() {
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        // Err: the pool already exists (a library caller built it); keep it.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(2 * cores)
            .build_global();
    }
}

/// `render --check`: compare the tree on disk with a fresh render; write nothing.
fn check(out_dir: &Path, drift: io::Drift, scope: Scope, envs: usize) -> Exit {
    let fresh = Tree {
        files: drift.changed,
        scope,
    };
    // Only the files that differ were kept, and only the directory's others read.
    let changes = compare(&fresh, &drift.others);
    if changes.is_empty() {
        output::info(&format!(
            "{} is up to date ({} files, {envs} environments)\n",
            out_dir.display(),
            drift.rendered
        ));
        return Exit::Clean;
    }
    let mut text = String::new();
    for c in &changes {
        let old = c
            .old
            .as_deref()
            .map(String::from_utf8_lossy)
            .unwrap_or_default();
        let new = c
            .new
            .as_deref()
            .map(String::from_utf8_lossy)
            .unwrap_or_default();
        let diff = similar::TextDiff::from_lines(old.as_ref(), new.as_ref());
        let (a, b) = match c.kind {
            ChangeKind::Added => ("/dev/null".to_owned(), format!("b/{}", c.path)),
            ChangeKind::Removed => (format!("a/{}", c.path), "/dev/null".to_owned()),
            ChangeKind::Modified => (format!("a/{}", c.path), format!("b/{}", c.path)),
        };
        text.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header(&a, &b)
                .to_string(),
        );
    }
    output::out(&text);
    let count = |k: ChangeKind| changes.iter().filter(|c| c.kind == k).count();
    let mut summary = format!(
        "{} is stale: {} to add, {} to change, {} to remove\n",
        out_dir.display(),
        count(ChangeKind::Added),
        count(ChangeKind::Modified),
        count(ChangeKind::Removed)
    );
    for c in &changes {
        let tag = match c.kind {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Modified => "changed",
        };
        summary.push_str(&format!("  {tag:8} {}\n", c.path));
    }
    summary.push_str("run `gitops-render render` and commit the result\n");
    output::err(&summary);
    Exit::Findings
}

/// What lint found in a render, on stderr (nothing when clean). Notes (declared exceptions)
/// are counted, not repeated on every render: `gitops-render lint` shows them.
fn report_findings(findings: &[crate::lint::Finding], objects: usize) {
    let (notes, shown): (Vec<_>, Vec<_>) = findings
        .iter()
        .cloned()
        .partition(|f| f.severity == crate::diagnostic::Severity::Note);
    if !shown.is_empty() {
        output::err(&crate::report::render(
            crate::report::Format::Human,
            &crate::report::Summary::of(&shown, objects),
        ));
    }
    if !notes.is_empty() {
        output::info(&format!(
            "{} note{} on declared exceptions (see `gitops-render lint`)\n",
            notes.len(),
            if notes.len() == 1 { "" } else { "s" }
        ));
    }
}

fn lint_refused() -> Exit {
    output::err("error: the rendered tree has lint errors; nothing was written (--no-lint skips this check)\n");
    Exit::Error
}
