//! `gitops-render lint [PATH]...`: strict schemas and policy rules over any YAML.

use std::path::Path;

use clap::Args;

use crate::lint::{has_errors, lint_paths, LintConfig, CHUNK_FILES};
use crate::report::{self, Format, Summary};
use crate::source::EstateFiles;

use super::{fail, output, Exit};

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Files or directories (recursive: .yaml, .yml, .json); `-` reads stdin. Default: <root>/gitops.
    paths: Vec<String>,
    /// Report format on stdout.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Also write a report to a file: FORMAT=FILE (repeatable), e.g. `sarif=lint.sarif`.
    #[arg(long = "output", value_name = "FORMAT=FILE", value_parser = parse_output)]
    outputs: Vec<(Format, String)>,
    /// Kubernetes version apiVersions are checked against.
    #[arg(long, value_name = "X.Y", default_value = crate::schema::objects::KUBE_VERSION, value_parser = parse_version)]
    kube_version: (u32, u32),
    /// Report kinds without a schema as errors (default: one warning per kind).
    #[arg(long)]
    strict_kinds: bool,
    /// List the files set aside as not manifests (Kustomize, Helm charts, data), with why.
    #[arg(long, short)]
    verbose: bool,
}

fn parse_output(s: &str) -> Result<(Format, String), String> {
    let (f, file) = s
        .split_once('=')
        .ok_or("expected FORMAT=FILE, e.g. sarif=lint.sarif")?;
    let format = f.parse::<Format>()?;
    if file.is_empty() {
        return Err("the file name is empty".into());
    }
    Ok((format, file.to_owned()))
}

fn parse_version(s: &str) -> Result<(u32, u32), String> {
    let (a, b) = s.split_once('.').ok_or("expected MAJOR.MINOR, e.g. 1.34")?;
    Ok((
        a.parse().map_err(|_| "bad major version")?,
        b.parse().map_err(|_| "bad minor version")?,
    ))
}

/// The lint settings of the estate at `root`, when it is one (else the defaults).
fn estate_config(root: &Path) -> Result<LintConfig, crate::diagnostic::Diagnostics> {
    if !root.join("environments").is_dir() || !root.join("policy-packs").is_dir() {
        return Ok(LintConfig::new());
    }
    let files = EstateFiles::read_dir(root)?;
    crate::lint_config(&crate::inputs::load(&files)?, &[])
}

pub fn run(root: &Path, args: &LintArgs) -> Exit {
    // A rendered tree's kinds: their schemas compile on the other core while this one
    // reads the estate's settings and lists the files.
    crate::schema::objects::compile_ahead(&crate::lint::TREE_KINDS);
    let mut config = match estate_config(root) {
        Ok(c) => c,
        Err(d) => return fail(&d),
    };
    // Without paths: the tree the estate renders, at its `repo.path` (else `gitops`).
    let paths = if args.paths.is_empty() {
        let tree = config.tree_path.as_deref().unwrap_or("gitops");
        vec![root.join(tree).to_string_lossy().into_owned()]
    } else {
        args.paths.clone()
    };
    config.kube_version = Some(args.kube_version);
    config.strict_kinds = args.strict_kinds;
    let linted = match lint_paths(&paths, &config, CHUNK_FILES) {
        Ok(linted) => linted,
        Err(msg) => {
            output::err(&format!("error: {msg}\n"));
            return Exit::Error;
        }
    };
    let summary = Summary {
        findings: &linted.findings,
        checked: linted.checked,
        skipped: &linted.skipped,
        verbose: args.verbose,
    };
    output::out(&report::render(args.format, &summary));
    for (format, file) in &args.outputs {
        if let Err(e) = std::fs::write(file, report::render(*format, &summary)) {
            output::err(&format!("error: cannot write {file}: {e}\n"));
            return Exit::Error;
        }
    }
    let findings = linted.findings;
    if has_errors(&findings) {
        Exit::Findings
    } else {
        Exit::Clean
    }
}
