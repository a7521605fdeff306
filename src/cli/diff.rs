//! `gitops-render diff`: what the inputs in the work tree change in the rendered objects,
//! against a git revision (`--base`), a tree on disk (`--against`, default `<root>/gitops`),
//! or — with `--pack` alone — the current pins.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::diff::{self, Format, Objects, Options};
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

fn render_objects(
    files: &EstateFiles,
    envs: &[String],
    pack: Option<&str>,
) -> Result<Objects, Diagnostics> {
    let rendered = crate::render_estate_with(files, envs, pack)?;
    Ok(diff::from_manifests(rendered.manifests))
}

pub fn run(root: &Path, args: &DiffArgs) -> Exit {
    let current = match EstateFiles::read_dir(root) {
        Ok(f) => f,
        Err(d) => return fail(&side_failed("work tree's inputs", d)),
    };
    let new = match render_objects(&current, &args.envs, args.pack.as_deref()) {
        Ok(o) => o,
        Err(d) => return fail(&side_failed("work tree's inputs", d)),
    };
    let (old, base_name) = if let Some(rev) = &args.base {
        let files = match EstateFiles::read_git(root, rev) {
            Ok(f) => f,
            Err(msg) => {
                return fail(
                    &Diagnostic::error(
                        "diff-base-failed",
                        format!("cannot read the base `{rev}`: {msg}"),
                    )
                    .into(),
                )
            }
        };
        match render_objects(&files, &args.envs, None) {
            Ok(o) => (o, rev.clone()),
            Err(d) => return fail(&side_failed(&format!("base `{rev}`"), d)),
        }
    } else if args.pack.is_some() && args.against.is_none() {
        match render_objects(&current, &args.envs, None) {
            Ok(o) => (o, "the current pins".to_owned()),
            Err(d) => return fail(&side_failed("work tree's inputs", d)),
        }
    } else {
        let dir = args.against.clone().unwrap_or_else(|| root.join("gitops"));
        let files = match io::read_tree(&dir) {
            Ok(f) => f,
            Err(d) => return fail(&d),
        };
        match diff::from_files(&files, &args.envs) {
            Ok(o) => (o, dir.display().to_string()),
            Err(d) => return fail(&side_failed(&format!("tree in {}", dir.display()), d)),
        }
    };
    let opts = Options {
        context: args.context,
        ignore: args.ignore.clone(),
    };
    let changes = diff::diff(&old, &new, &opts);
    let color = args.format == Format::Text
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none();
    output::out(&diff::render(args.format, &changes, &base_name, color));
    if changes.is_empty() {
        Exit::Clean
    } else {
        Exit::Findings
    }
}
