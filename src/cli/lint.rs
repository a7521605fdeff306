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
    #[arg(long, value_name = "X.Y", value_parser = parse_version)]
    kube_version: Option<(u32, u32)>,
    /// Report kinds without a schema as errors (default: one warning per kind).
    #[arg(long)]
    strict_kinds: bool,
    /// List the files set aside as not manifests (Kustomize, Helm charts, data), with why.
    #[arg(long, short)]
    verbose: bool,
    /// The configuration file (default: `<root>/.gitops-render.yaml` when there is one).
    #[arg(long, value_name = "FILE")]
    config: Option<std::path::PathBuf>,
    /// Do not read paths matching this glob (relative to the linted folder; repeatable).
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Turn a rule off (repeatable).
    #[arg(long, value_name = "RULE", value_parser = parse_rule)]
    disable: Vec<String>,
    /// Turn a rule on at its default severity (repeatable).
    #[arg(long, value_name = "RULE", value_parser = parse_rule)]
    enable: Vec<String>,
    /// Set a rule's severity: RULE=error|warning|note|off (repeatable).
    #[arg(long, value_name = "RULE=LEVEL", value_parser = parse_severity)]
    severity: Vec<(String, Option<crate::diagnostic::Severity>)>,
    /// Do not check objects of this kind: `Kind` or `apiVersion/Kind` (repeatable).
    #[arg(long = "skip-kind", value_name = "KIND")]
    skip_kinds: Vec<String>,
    /// Report objects of this kind as errors: `Kind` or `apiVersion/Kind` (repeatable).
    #[arg(long = "reject-kind", value_name = "KIND")]
    reject_kinds: Vec<String>,
    /// A CustomResourceDefinition file or folder whose schemas validate custom resources
    /// (repeatable; CRDs in the linted files are used too).
    #[arg(long = "crd", value_name = "PATH")]
    crds: Vec<String>,
    /// A folder of JSON Schemas named `{kind}_{version}.json` or
    /// `{group}/{kind}_{version}.json`, as the public CRD catalogs lay them out (repeatable).
    #[arg(long = "schema-dir", value_name = "DIR")]
    schema_dirs: Vec<String>,
}

fn parse_severity(s: &str) -> Result<(String, Option<crate::diagnostic::Severity>), String> {
    let (rule, level) = s
        .split_once('=')
        .ok_or("expected RULE=LEVEL, e.g. image-not-pinned=warning")?;
    crate::settings::known_rule(rule)?;
    Ok((rule.to_owned(), crate::settings::severity(level)?))
}

fn parse_rule(s: &str) -> Result<String, String> {
    crate::settings::known_rule(s).map(|()| s.to_owned())
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
    crate::settings::kube_version(s)
}

/// The configuration file's settings, then the command line's, over the pack's.
fn apply(config: &mut LintConfig, file: &crate::settings::Loaded, args: &LintArgs) {
    let lint = &file.settings.lint;
    config.kube_version = args
        .kube_version
        .or_else(|| {
            lint.kube_version
                .as_deref()
                .and_then(|v| crate::settings::kube_version(v).ok())
        })
        .or(config.kube_version);
    config.strict_kinds = args.strict_kinds || lint.strict_kinds;
    // Weakest first: the file's disable, enable and severities, then the flags'.
    let default = |r: &String| crate::lint::rule(r).map(|rule| rule.severity);
    let mut levels: Vec<(String, Option<crate::diagnostic::Severity>)> = Vec::new();
    levels.extend(lint.disable.iter().map(|r| (r.clone(), None)));
    levels.extend(lint.enable.iter().map(|r| (r.clone(), default(r))));
    levels.extend(
        lint.severity
            .iter()
            .filter_map(|(r, l)| Some((r.clone(), crate::settings::severity(l).ok()?))),
    );
    levels.extend(args.disable.iter().map(|r| (r.clone(), None)));
    levels.extend(args.enable.iter().map(|r| (r.clone(), default(r))));
    levels.extend(args.severity.iter().cloned());
    config.overrides.extend(levels);
    config
        .exclude
        .extend(lint.exclude.iter().chain(&args.exclude).cloned());
    config
        .skip_kinds
        .extend(lint.skip_kinds.iter().chain(&args.skip_kinds).cloned());
    config
        .reject_kinds
        .extend(lint.reject_kinds.iter().chain(&args.reject_kinds).cloned());
}

/// The URLs of the Git remotes of the repository holding `path`, normalised.
fn git_remotes(path: &Path) -> Vec<String> {
    let Ok(dir) = path.canonicalize() else {
        return Vec::new();
    };
    let Some(config) = dir
        .ancestors()
        .map(|a| a.join(".git").join("config"))
        .find(|c| c.is_file())
    else {
        return Vec::new();
    };
    let text = crate::source::read_path(&config).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("url"))
        .filter_map(|l| l.trim_start().strip_prefix('='))
        .map(|u| crate::lint::normalise_repo(u.trim()))
        .collect()
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
    // A rendered tree's kinds: their schemas are readied on the other core while this one
    // reads the estate's settings and lists the files.
    crate::schema::objects::prepare_ahead(&crate::lint::TREE_KINDS);
    let mut config = match estate_config(root) {
        Ok(c) => c,
        Err(d) => return fail(&d),
    };
    // Without paths: the tree the estate renders, at its `repo.path` (else `gitops`).
    let paths = if args.paths.is_empty() {
        let tree = config.tree_path.as_deref().unwrap_or("gitops");
        let dir = root.join(tree);
        if !dir.exists() {
            output::err(&format!(
                "error: there is no rendered tree to lint at {}\n  = help: run `gitops-render render` first, or name the files or folders to lint: `gitops-render lint PATH...`\n",
                dir.display()
            ));
            return Exit::Error;
        }
        vec![dir.to_string_lossy().into_owned()]
    } else {
        args.paths.clone()
    };
    let file = match crate::settings::load(root, args.config.as_deref()) {
        Ok(f) => f,
        Err(d) => return fail(&d),
    };
    apply(&mut config, &file, args);
    config.repo_urls.extend(git_remotes(Path::new(&paths[0])));
    if let Some(url) = file.settings.repo.as_ref().and_then(|r| r.url.as_deref()) {
        config.repo_urls.push(crate::lint::normalise_repo(url));
    }
    // Schemas of custom resources: the config's (relative to it) and the command line's.
    let both = |in_file: &[String], flags: &[String]| -> Vec<String> {
        in_file
            .iter()
            .map(|p| file.path(p).to_string_lossy().into_owned())
            .chain(flags.iter().cloned())
            .collect()
    };
    let crds = both(&file.settings.lint.crds, &args.crds);
    let schema_dirs = both(&file.settings.lint.schema_dirs, &args.schema_dirs);
    match crate::schema::custom::load(&crds, &schema_dirs) {
        Ok(custom) => config.custom.push(std::sync::Arc::new(custom)),
        Err(d) => return fail(&d),
    }
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
