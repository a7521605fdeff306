//! Command line: arguments (clap), one file per subcommand, exit codes.
//!
//! Exit codes everywhere: 0 clean, 1 findings / drift / check failed, 2 bad input or usage.

mod budget;
mod cmp;
mod diff;
mod explain;
mod init;
mod lint;
pub mod output;
mod plan;
mod render;
mod rules;
mod schema;
mod shell;
mod templates;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::diagnostic::Diagnostics;

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Clean: nothing to report.
    Clean = 0,
    /// Findings, drift, or a failed check.
    Findings = 1,
    /// Bad input or usage; nothing was written.
    Error = 2,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "gitops-render",
    version,
    about = "Render, check and explain a multi-tenant GitOps tree from policy packs and environment overlays",
    after_help = "Exit codes: 0 clean, 1 drift or findings, 2 bad input or usage, 141 stdout closed early (a pipe's reader stopped)."
)]
pub struct Cli {
    /// The estate's root: the folder holding environments/ and policy-packs/ (default: the
    /// current folder or the nearest one above it that is an estate, as git finds its
    /// repository).
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Colour the output: auto (a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, global = true, value_enum, default_value_t, value_name = "WHEN")]
    color: output::ColorChoice,
    /// Print only data and errors: no progress, summaries or notes on stderr.
    #[arg(long, short, global = true)]
    quiet: bool,
    /// Worker threads for rendering (default: one per core; at most 256).
    #[arg(long, global = true, value_name = "N")]
    threads: Option<usize>,
    /// Stop with exit 2 when the process uses more memory than this (e.g. 512M, 8G, off;
    /// default 4G, or GITOPS_RENDER_MAX_MEMORY).
    #[arg(long, global = true, value_name = "SIZE")]
    max_memory: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Render the GitOps tree (or check that the committed one is fresh).
    Render(render::RenderArgs),
    /// Show what a change does to the rendered objects (against git, a tree, or a pack release).
    Diff(diff::DiffArgs),
    /// Show a tenant's resolved values and the file and line each came from.
    Explain(explain::ExplainArgs),
    /// Show which workflows process each file for a tenant (workflows.byFileType).
    Plan(plan::PlanArgs),
    /// Check manifests: strict schemas and policy rules (any YAML, not only rendered trees).
    Lint(lint::LintArgs),
    /// List the lint rules, or document one.
    Rules(rules::RulesArgs),
    /// Argo CD Config Management Plugin entry points.
    #[command(subcommand)]
    Cmp(cmp::CmpCommand),
    /// Create an estate: a starter (one pack, one environment, one team) or the full example.
    Init(init::InitArgs),
    /// List the built-in templates, or print one to start an override.
    #[command(subcommand)]
    Templates(templates::TemplatesCommand),
    /// Print the JSON Schema of an input file (pack, environment, config) for editors.
    Schema(schema::SchemaArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(shell::CompletionsArgs),
    /// Print the manual page (roff) of the command or of one subcommand.
    Man(shell::ManArgs),
}

/// Entry point for the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // clap prints help and version on stdout, usage errors on stderr.
            let _ = e.print();
            return if e.use_stderr() {
                Exit::Error
            } else {
                Exit::Clean
            }
            .into();
        }
    };
    run(cli).into()
}

/// Run a parsed command line.
/// Most worker threads `--threads` accepts: far more than any machine this runs on has
/// cores, and few enough that their stacks cannot exhaust memory.
pub const MAX_THREADS: usize = 256;

pub fn run(cli: Cli) -> Exit {
    let wanted = cli
        .max_memory
        .clone()
        .or_else(|| std::env::var("GITOPS_RENDER_MAX_MEMORY").ok());
    let budget = match wanted.as_deref().map(budget::parse) {
        None => Some(budget::default_bytes()),
        Some(Ok(b)) => b,
        Some(Err(msg)) => {
            output::err(&format!("error: --max-memory: {msg}\n"));
            return Exit::Error;
        }
    };
    if let Some(limit) = budget {
        budget::watch(limit);
    }
    if let Ok(today) = std::env::var("GITOPS_RENDER_TODAY") {
        if !crate::lint::is_iso_date(&today) {
            output::err(&format!(
                "error: GITOPS_RENDER_TODAY is `{}`; expected a date YYYY-MM-DD\n",
                crate::diagnostic::escape(&today)
            ));
            return Exit::Error;
        }
    }
    output::configure(cli.quiet, cli.color);
    if let Some(n) = cli.threads {
        if n == 0 || n > MAX_THREADS {
            output::err(&format!(
                "error: --threads must be between 1 and {MAX_THREADS}\n"
            ));
            return Exit::Error;
        }
        // Fails only if a pool was already built in this process, which is harmless.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global();
    }
    // Commands that do not read an estate must not go looking for one.
    let root = || estate_root(cli.root.as_deref());
    match &cli.command {
        Command::Render(args) => render::run(&root(), args),
        Command::Diff(args) => diff::run(&root(), args),
        Command::Explain(args) => explain::run(&root(), args),
        Command::Plan(args) => plan::run(&root(), args),
        Command::Lint(args) => lint::run(&root(), args),
        Command::Templates(cmd) => templates::run(&root(), cmd),
        Command::Rules(args) => rules::run(args),
        Command::Cmp(cmd) => cmp::run(cmd),
        Command::Init(args) => init::run(args),
        Command::Schema(args) => schema::run(args),
        Command::Completions(args) => shell::completions(args),
        Command::Man(args) => shell::man(args),
    }
}

/// The estate a command works on: `--root`, else the current folder or the nearest folder
/// above it holding environments/ and policy-packs/ (not above the git repository the
/// current folder is in), else the current folder (whose error then says what is missing).
/// A root found above is named on stderr, so that nobody wonders which estate was read.
fn estate_root(given: Option<&Path>) -> PathBuf {
    if let Some(root) = given {
        return root.to_path_buf();
    }
    let here = PathBuf::from(".");
    let Ok(cwd) = std::env::current_dir() else {
        return here;
    };
    match crate::cmp::find_root(&cwd) {
        Some(found) if found != cwd => {
            output::info(&format!("note: using the estate at {}\n", found.display()));
            found
        }
        _ => here,
    }
}

/// Load the estate at `root`, resolve `env`, and find `tenant` (team or namespace) in it; on
/// failure the diagnostics are printed and the error exit returned. Shared by the commands
/// that answer questions about one tenant (`explain`, `plan`).
pub(crate) fn tenant_plan(
    root: &std::path::Path,
    env: &str,
    tenant: &str,
) -> Result<(crate::inputs::Inputs, crate::resolve::Plan, usize), Exit> {
    use crate::diagnostic::{did_you_mean, Diagnostic};
    let files = crate::source::EstateFiles::read_dir(root).map_err(|d| fail(&d))?;
    let inputs = crate::inputs::load(&files).map_err(|d| fail(&d))?;
    let plan = crate::resolve::resolve(
        &inputs,
        &crate::resolve::Selection::environment(env).with_provenance(),
    )
    .map_err(|d| fail(&d))?;
    let Some(e) = plan.environments.first() else {
        return Err(fail(
            &Diagnostic::error(
                "unknown-environment",
                format!("no environment named `{env}`"),
            )
            .into(),
        ));
    };
    match e
        .tenants
        .iter()
        .position(|t| t.team == tenant || t.namespace == tenant)
    {
        Some(i) => Ok((inputs, plan, i)),
        None => {
            let teams: Vec<&str> = e.tenants.iter().map(|t| t.team.as_str()).collect();
            let mut d = Diagnostic::error(
                "unknown-tenant",
                format!("environment `{}` has no tenant `{tenant}`", e.name),
            )
            .note(format!("tenants: {}", teams.join(", ")));
            if let Some(s) = did_you_mean(tenant, teams.iter().copied()) {
                d = d.help(format!("did you mean `{s}`?"));
            }
            Err(fail(&d.into()))
        }
    }
}

/// Print diagnostics on stderr and return the error exit.
pub(crate) fn fail(diags: &Diagnostics) -> Exit {
    output::err(&diags.render());
    Exit::Error
}
