//! The repository's `.gitops-render.yaml` (or `--config FILE`): what users of kube-linter
//! and kubeconform expect to configure for a lint of their whole repository — paths to
//! leave out, rules on and off and their severities, CRDs and schema folders, kinds to skip
//! or refuse — and which repository the files are in. Checked against
//! `schemas/config.schema.json`; a mistake is a diagnostic at `file:line:col`.
//!
//! Precedence, strongest first: command-line flags, this file, a policy pack's `lint`
//! section (which configures the rules for the trees the pack renders).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::diagnostic::{did_you_mean, Diagnostic, Diagnostics, Severity};
use crate::schema::{self, InputSchema};
use crate::source::{parse_single, read_path, Sources, Target};

/// The file's name at the repository root.
pub const FILE_NAME: &str = ".gitops-render.yaml";

/// The Kubernetes versions `--kube-version` and `lint.kubeVersion` accept: the removed
/// apiVersions are known from 1.16, the schemas are those of 1.34.
pub const KUBE_VERSIONS: (u32, u32) = (16, 34);

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default)]
    pub repo: Option<Repo>,
    #[serde(default)]
    pub lint: LintSettings,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Repo {
    pub url: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LintSettings {
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub disable: Vec<String>,
    #[serde(default)]
    pub enable: Vec<String>,
    #[serde(default)]
    pub severity: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub crds: Vec<String>,
    #[serde(default)]
    pub schema_dirs: Vec<String>,
    #[serde(default)]
    pub skip_kinds: Vec<String>,
    #[serde(default)]
    pub reject_kinds: Vec<String>,
    #[serde(default)]
    pub kube_version: Option<String>,
    #[serde(default)]
    pub strict_kinds: bool,
}

/// Where a setting came from, for the paths it holds: relative paths in the file are
/// relative to the file's folder.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    pub settings: Settings,
    /// The folder relative paths of the file are taken from.
    pub base: PathBuf,
}

impl Loaded {
    /// A path of the file, resolved against the file's folder.
    pub fn path(&self, p: &str) -> PathBuf {
        self.base.join(p)
    }
}

/// Read `explicit` (an error when missing), else `<root>/.gitops-render.yaml` when there is
/// one, else the defaults.
pub fn load(root: &Path, explicit: Option<&Path>) -> Result<Loaded, Diagnostics> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => {
            let p = root.join(FILE_NAME);
            if !p.is_file() {
                return Ok(Loaded {
                    base: root.to_path_buf(),
                    ..Loaded::default()
                });
            }
            p
        }
    };
    let shown = path.display().to_string();
    let text = read_path(&path).map_err(|e| {
        Diagnostics::from(Diagnostic::error(
            "no-config",
            format!("cannot read {shown}: {e}"),
        ))
    })?;
    let mut sources = Sources::new();
    let id = sources.add(shown, text);
    let settings = parse(&sources, id)?;
    Ok(Loaded {
        settings,
        base: path.parent().map(Path::to_path_buf).unwrap_or_default(),
    })
}

fn parse(sources: &Sources, id: crate::source::SourceId) -> Result<Settings, Diagnostics> {
    let text = sources.get(id).text;
    let value = match parse_single(text) {
        Ok(Value::Null) => return Ok(Settings::default()),
        Ok(v) => v,
        Err(e) => {
            return Err(
                Diagnostic::error("invalid-yaml", format!("invalid YAML: {}", e.message))
                    .at(sources.location_at(id, e.pos))
                    .into(),
            )
        }
    };
    let mut diags = Diagnostics::default();
    for v in schema::validate(InputSchema::Config, &value) {
        let mut d =
            Diagnostic::error(v.code, v.message).at(sources.locate(id, 0, &v.pointer, v.target));
        if let Some(h) = v.help {
            d = d.help(h);
        }
        diags.push(d);
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    let settings: Settings = serde_json::from_value(value.clone()).map_err(|e| {
        Diagnostics::from(
            Diagnostic::error("invalid-value", e.to_string()).at(sources.locate(
                id,
                0,
                "",
                Target::Key,
            )),
        )
    })?;
    // Rule ids and the Kubernetes version are checked here, where they are written.
    let lint = &settings.lint;
    let mut named: Vec<(String, &str)> = Vec::new();
    for (key, ids) in [("disable", &lint.disable), ("enable", &lint.enable)] {
        for (i, rule) in ids.iter().enumerate() {
            named.push((format!("/lint/{key}/{i}"), rule));
        }
    }
    for rule in lint.severity.keys() {
        named.push((crate::source::pointer_push("/lint/severity", rule), rule));
    }
    for (pointer, rule) in named {
        if let Err(msg) = known_rule(rule) {
            let target = if pointer.starts_with("/lint/severity") {
                Target::Key
            } else {
                Target::Value
            };
            diags.push(
                Diagnostic::error("unknown-rule", msg).at(sources.locate(id, 0, &pointer, target)),
            );
        }
    }
    if let Some(v) = &lint.kube_version {
        if let Err(msg) = kube_version(v) {
            diags.push(Diagnostic::error("invalid-value", msg).at(sources.locate(
                id,
                0,
                "/lint/kubeVersion",
                Target::Value,
            )));
        }
    }
    if diags.is_empty() {
        Ok(settings)
    } else {
        Err(diags)
    }
}

/// Is `id` a rule of this build? The error says which ones are close.
pub fn known_rule(id: &str) -> Result<(), String> {
    if crate::lint::rule(id).is_some() {
        return Ok(());
    }
    let ids: Vec<&str> = crate::lint::RULES.iter().map(|r| r.id).collect();
    Err(match did_you_mean(id, ids.iter().copied()) {
        Some(s) => {
            format!("no rule `{id}`; did you mean `{s}`? (`gitops-render rules` lists them)")
        }
        None => format!("no rule `{id}` (`gitops-render rules` lists them)"),
    })
}

/// `MAJOR.MINOR` within [`KUBE_VERSIONS`].
pub fn kube_version(s: &str) -> Result<(u32, u32), String> {
    let (lo, hi) = KUBE_VERSIONS;
    let bad = || {
        format!("Kubernetes version `{s}` is not one this build knows: expected 1.{lo} to 1.{hi}")
    };
    let (a, b) = s.split_once('.').ok_or_else(bad)?;
    let (a, b): (u32, u32) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
    if a != 1 || !(lo..=hi).contains(&b) {
        return Err(bad());
    }
    Ok((a, b))
}

/// A severity as the file and `--severity` write it (`off` turns the rule off).
pub fn severity(level: &str) -> Result<Option<Severity>, String> {
    Ok(match level {
        "error" => Some(Severity::Error),
        "warning" => Some(Severity::Warning),
        "note" => Some(Severity::Note),
        "off" => None,
        other => {
            return Err(format!(
                "severity `{other}` is not one of error, warning, note, off"
            ))
        }
    })
}
