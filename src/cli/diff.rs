//! `gitops-render diff`: what the inputs in the work tree change in the rendered objects,
//! against a git revision (`--base`), a tree on disk (`--against`, default `<root>/gitops`),
//! or — with `--pack` alone — the current pins.

use std::mem::ManuallyDrop;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::diff::{self, Files, Format, Options, Side, State};
use crate::source::EstateFiles;
use crate::tree::io;

use super::{fail, output, Exit};

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Compare with the inputs at this git revision (e.g. origin/main), read from git.
    #[arg(long, value_name = "GIT_REF", conflicts_with = "against")]
    base: Option<String>,
    /// Compare with the tree in this folder (default: <root>/gitops).
    #[arg(long, value_name = "DIR")]
    against: Option<PathBuf>,
    /// Render the current inputs as if every environment pinned this pack (e.g. platform@1.2.0).
    #[arg(long, value_name = "NAME@VERSION")]
    pack: Option<String>,
    /// Limit to these environments (repeatable).
    #[arg(long = "env", value_name = "ENV")]
    envs: Vec<String>,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Lines of context in the unified diffs.
    #[arg(long, default_value_t = 3)]
    context: usize,
    /// Leave out a kind (`ConfigMap`) or a field (`/metadata/annotations/*`, `*` = one segment).
    #[arg(long, value_name = "PATTERN")]
    ignore: Vec<String>,
    /// Exit 1 only for these changes, 0 for any other: `destructive` (a removed Namespace,
    /// which deletes everything in it, or AppProject), for CI to block such a merge.
    #[arg(long, value_enum, value_name = "WHAT")]
    fail_on: Option<FailOn>,
}

/// What `--fail-on` fails on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum FailOn {
    Destructive,
}

fn side_failed(side: &str, d: Diagnostics) -> Diagnostics {
    let mut out = Diagnostics::new();
    out.push(Diagnostic::error(
        "diff-side-failed",
        format!("cannot render the {side}"),
    ));
    out.extend(d);
    out
}

/// Render two states where they differ; a failure names its side.
fn render_changes(
    old: State<'_>,
    new: State<'_>,
    envs: &[String],
    old_name: &str,
) -> Result<(Files, Files), Exit> {
    diff::render_changes(old, new, envs).map_err(|(side, d)| match side {
        Side::Old => fail(&side_failed(old_name, d)),
        Side::New => fail(&side_failed("work tree's inputs", d)),
    })
}

pub fn run(root: &Path, args: &DiffArgs) -> Exit {
    match compare(root, args) {
        Ok(e) | Err(e) => e,
    }
}

/// Both sides are files (rendered, or read from a tree); only files whose bytes differ are
/// parsed into objects and compared. Two states of the inputs (`--base`, or `--pack` against
/// the current pins) are rendered only where they differ.
fn compare(root: &Path, args: &DiffArgs) -> Result<Exit, Exit> {
    const WORK: &str = "work tree's inputs";
    let current = EstateFiles::read_dir(root).map_err(|d| fail(&side_failed(WORK, d)))?;
    let new_state = State {
        files: &current,
        pack_pin: args.pack.as_deref(),
    };
    let (old, new, base_name) = if let Some(rev) = &args.base {
        let files = EstateFiles::read_git(root, rev).map_err(|msg| {
            fail(
                &Diagnostic::error(
                    "diff-base-failed",
                    format!("cannot read the base `{rev}`: {msg}"),
                )
                .into(),
            )
        })?;
        let base = State {
            files: &files,
            pack_pin: None,
        };
        let (old, new) = render_changes(base, new_state, &args.envs, &format!("base `{rev}`"))?;
        (old, new, rev.clone())
    } else if args.pack.is_some() && args.against.is_none() {
        let pins = State {
            files: &current,
            pack_pin: None,
        };
        let (old, new) = render_changes(pins, new_state, &args.envs, WORK)?;
        (old, new, "the current pins".to_owned())
    } else {
        let dir = match &args.against {
            Some(dir) => dir.clone(),
            None => crate::inputs::load(&current)
                .and_then(|inputs| super::render::tree_dir(root, &inputs, &args.envs, None))
                .map_err(|d| fail(&side_failed(WORK, d)))?,
        };
        // A tree named on the command line must exist: a typo would report every object
        // as added.
        if args.against.is_some() && !dir.exists() {
            return Err(fail(
                &crate::diagnostic::Diagnostic::error(
                    "read-failed",
                    format!("cannot read {}: no such directory", dir.display()),
                )
                .into(),
            ));
        }
        let on_disk = io::OnDisk::open(&dir).map_err(|d| fail(&d))?;
        let (drift, _) =
            diff::render_against(new_state, &args.envs, &on_disk).map_err(|(side, d)| {
                match side {
                    // Reading the tree on disk failed.
                    Side::Old => fail(&d),
                    Side::New => fail(&side_failed(WORK, d)),
                }
            })?;
        (drift.others, drift.changed, dir.display().to_string())
    };
    // Left to the operating system at exit: the process ends after the report.
    let (old_files, new_files) = (&*ManuallyDrop::new(old), &*ManuallyDrop::new(new));
    let same = diff::same_files(old_files, new_files);
    // Rendered files always parse: only a tree read from disk can fail here.
    let old = diff::from_files(old_files, &args.envs, &same)
        .map_err(|d| fail(&side_failed(&format!("tree in {base_name}"), d)))?;
    let new =
        diff::from_files(new_files, &args.envs, &same).map_err(|d| fail(&side_failed(WORK, d)))?;
    let opts = Options {
        context: args.context,
        ignore: args.ignore.clone(),
    };
    let changes = diff::diff(&old, &new, &opts);
    let color = args.format == Format::Text && output::colored(output::Stream::Stdout);
    output::out(&diff::render(args.format, &changes, &base_name, color));
    let failing = match args.fail_on {
        None => !changes.is_empty(),
        Some(FailOn::Destructive) => changes.iter().any(diff::ObjectChange::is_destructive),
    };
    Ok(if failing { Exit::Findings } else { Exit::Clean })
}
