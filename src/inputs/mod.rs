//! Sources → Inputs: parse every input file, validate it against its JSON Schema, and keep
//! the validated values with the file they came from.
//!
//! Problems are collected across all files so one run reports all of them. Nothing here
//! merges or interprets values; that is `resolve`.

pub mod narrow;

use std::collections::BTreeMap;

use semver::Version;
use serde_json::Value;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::model::{dns1123_problem, API_VERSION};
use crate::schema::{self, InputSchema};
use crate::source::{parse_single, EstateFiles, SourceId, Sources, Target};

/// A template file: its name as templates refer to it (`tenant/namespace.yaml.j2`), the
/// path it was read from, and its text.
#[derive(Clone, Debug)]
pub struct TemplateFile {
    pub name: String,
    pub path: String,
    pub text: String,
}

/// One version of a policy pack.
#[derive(Debug)]
pub struct PackInput {
    pub source: SourceId,
    pub name: String,
    pub version: Version,
    /// The folder holding `pack.yaml`, relative to the estate root.
    pub dir: String,
    /// The pack's `spec`, schema-checked.
    pub spec: Value,
    /// The pack's `templates/`, which override the project's templates of the same name.
    pub templates: Vec<TemplateFile>,
    /// The pack's `workflows/` templates (catalog and custom workflows), by path under it.
    pub workflows: Vec<TemplateFile>,
}

impl PackInput {
    /// `platform@1.2.0`, as headers and messages name a pack.
    pub fn label(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

/// One environment file (`environments/<name>.yaml`); bases start with `_`.
#[derive(Debug)]
pub struct EnvInput {
    pub source: SourceId,
    pub name: String,
    pub is_base: bool,
    /// The file's `spec` (an empty mapping when absent), schema-checked.
    pub spec: Value,
}

/// Everything read and validated, plus the sources for later diagnostics.
#[derive(Debug)]
pub struct Inputs {
    pub sources: Sources,
    pub packs: Vec<PackInput>,
    pub environments: BTreeMap<String, EnvInput>,
    /// The estate's `templates/` laid over the built-in templates (`embedded::TEMPLATES`).
    pub templates: Vec<TemplateFile>,
    /// Custom workflows registered at the estate level (`workflows/custom/<name>/<v>.yaml.j2`),
    /// by path under `workflows/`: usable by every environment whose pack allows custom
    /// workflows, whatever its pack version.
    pub custom_workflows: Vec<TemplateFile>,
}

impl Inputs {
    /// Environments that render (not bases), sorted by name.
    pub fn environment_names(&self) -> Vec<&str> {
        self.environments
            .values()
            .filter(|e| !e.is_base)
            .map(|e| e.name.as_str())
            .collect()
    }

    /// Let go of environment `name`'s parsed tenant entries, once nothing left to resolve
    /// reads them: at N = 10,000 an environment file's entries are ~24 MB parsed, held
    /// until the end of a render that resolved them at its start. Its text stays (in
    /// `sources`), so every position reported in it still shows.
    pub fn release_tenants(&mut self, name: &str) -> Option<Value> {
        self.environments
            .get_mut(name)?
            .spec
            .as_object_mut()?
            .remove("tenants")
    }

    /// A located diagnostic at `pointer` of file `source`.
    pub fn error_at(
        &self,
        code: &'static str,
        message: impl Into<String>,
        source: SourceId,
        pointer: &str,
        target: Target,
    ) -> Diagnostic {
        Diagnostic::error(code, message).at(self.sources.locate(source, 0, pointer, target))
    }
}

/// An input file to parse, by what it holds.
enum Job<'a> {
    Environment(SourceId, &'a str),
    Pack(SourceId, &'a str),
}

/// What a job produced: the input (unless it failed) and its diagnostics.
enum Loaded {
    Environment(Option<EnvInput>),
    Pack(Option<PackInput>),
}

/// Parse and validate every input file. Files are parsed and checked in parallel (an estate
/// of thousands of tenants has environment files of megabytes each) and assembled in path
/// order, so inputs and diagnostics come out the same on any number of threads.
pub fn load(files: &EstateFiles) -> Result<Inputs, Diagnostics> {
    use rayon::prelude::*;
    let mut sources = Sources::new();
    let mut jobs = Vec::new();
    let mut templates = Vec::new();
    let mut custom_workflows = Vec::new();
    for (path, text) in &files.files {
        if let Some(file) = path.strip_prefix("environments/") {
            jobs.push(Job::Environment(
                sources.add(path.clone(), text.clone()),
                file,
            ));
        } else if path.starts_with("policy-packs/") && path.ends_with("/pack.yaml") {
            jobs.push(Job::Pack(sources.add(path.clone(), text.clone()), path));
        } else if let Some(name) = path.strip_prefix("templates/") {
            templates.push(TemplateFile {
                name: name.to_owned(),
                path: path.clone(),
                text: text.clone(),
            });
        } else if let Some(name) = path.strip_prefix("workflows/") {
            custom_workflows.push(TemplateFile {
                name: name.to_owned(),
                path: path.clone(),
                text: text.clone(),
            });
        }
    }
    add_builtin_templates(&mut templates);
    let loaded: Vec<(Loaded, Diagnostics)> = jobs
        .par_iter()
        .map(|job| {
            let mut diags = Diagnostics::new();
            let loaded = match *job {
                Job::Environment(id, file) => {
                    Loaded::Environment(load_environment(&sources, id, file, &mut diags))
                }
                Job::Pack(id, path) => Loaded::Pack(load_pack(&sources, id, path, &mut diags)),
            };
            (loaded, diags)
        })
        .collect();

    let mut diags = Diagnostics::new();
    let mut packs: Vec<PackInput> = Vec::new();
    let mut environments = BTreeMap::new();
    for (loaded, file_diags) in loaded {
        diags.extend(file_diags);
        match loaded {
            Loaded::Environment(Some(env)) => {
                environments.insert(env.name.clone(), env);
            }
            Loaded::Pack(Some(pack)) => {
                if let Some(first) = packs
                    .iter()
                    .find(|p| p.name == pack.name && p.version == pack.version)
                {
                    diags.push(
                        Diagnostic::error(
                            "duplicate-pack",
                            format!("pack {} is defined twice", pack.label()),
                        )
                        .at(sources.locate(pack.source, 0, "/metadata/version", Target::Value))
                        .note(format!("first defined in {}", sources.path(first.source))),
                    );
                } else {
                    packs.push(pack);
                }
            }
            Loaded::Environment(None) | Loaded::Pack(None) => {}
        }
    }
    for pack in &mut packs {
        let tpl_prefix = format!("{}/templates/", pack.dir);
        let wf_prefix = format!("{}/workflows/", pack.dir);
        for (path, text) in files.files.range(format!("{}/", pack.dir)..) {
            if !path.starts_with(&format!("{}/", pack.dir)) {
                break;
            }
            let file = |name: &str| TemplateFile {
                name: name.to_owned(),
                path: path.clone(),
                text: text.clone(),
            };
            if let Some(name) = path.strip_prefix(&tpl_prefix) {
                pack.templates.push(file(name));
            } else if let Some(name) = path.strip_prefix(&wf_prefix) {
                pack.workflows.push(file(name));
            }
        }
    }
    packs.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.version.cmp(&b.version)));
    diags.into_result(Inputs {
        sources,
        packs,
        environments,
        templates,
        custom_workflows,
    })
}

/// Lay the estate's `templates/` over the built-in ones: a built-in template is used unless
/// the estate has a file of the same name. Sorted by name, as the estate's files are.
fn add_builtin_templates(templates: &mut Vec<TemplateFile>) {
    let own: std::collections::BTreeSet<String> =
        templates.iter().map(|t| t.name.clone()).collect();
    templates.extend(
        crate::embedded::TEMPLATES
            .iter()
            .filter(|(name, _)| !own.contains(*name))
            .map(|(name, text)| TemplateFile {
                name: (*name).to_owned(),
                path: format!("{}{name}", crate::embedded::BUILTIN_PREFIX),
                text: (*text).to_owned(),
            }),
    );
    templates.sort_by(|a, b| a.name.cmp(&b.name));
}

/// Parse one file and check it against its schema; `None` (with diagnostics) when it fails.
fn parse_checked(
    sources: &Sources,
    id: SourceId,
    schema: InputSchema,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let file = sources.get(id);
    let value = match parse_single(file.text) {
        Ok(v) => v,
        Err(e) => {
            diags.push(
                Diagnostic::error("invalid-yaml", format!("invalid YAML: {}", e.message))
                    .at(sources.location_at(id, e.pos)),
            );
            return None;
        }
    };
    let kind = match schema {
        InputSchema::PolicyPack => "PolicyPack",
        _ => "Environment",
    };
    let found = value.get("kind").and_then(Value::as_str);
    if found != Some(kind) {
        diags.push(
            Diagnostic::error(
                "wrong-kind",
                format!(
                    "expected kind `{kind}`, found {}",
                    found.map_or("no kind".to_owned(), |k| format!("`{k}`"))
                ),
            )
            .at(sources.locate(id, 0, "/kind", Target::Value))
            .help(format!(
                "every file here starts with `apiVersion: {API_VERSION}` and `kind: {kind}`"
            )),
        );
        return None;
    }
    let violations = schema::validate(schema, &value);
    if violations.is_empty() {
        return Some(value);
    }
    for v in violations {
        let mut d =
            Diagnostic::error(v.code, v.message).at(sources.locate(id, 0, &v.pointer, v.target));
        if let Some(h) = v.help {
            d = d.help(h);
        }
        diags.push(d);
    }
    None
}

fn load_environment(
    sources: &Sources,
    id: SourceId,
    file: &str,
    diags: &mut Diagnostics,
) -> Option<EnvInput> {
    let stem = file
        .strip_suffix(".yaml")
        .or_else(|| file.strip_suffix(".yml"))
        .unwrap_or(file);
    let mut value = parse_checked(sources, id, InputSchema::Environment, diags)?;
    let name = value
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if name != stem {
        diags.push(
            Diagnostic::error(
                "name-mismatch",
                format!("environment is named `{name}` but its file is `{file}`"),
            )
            .at(sources.locate(id, 0, "/metadata/name", Target::Value))
            .help(format!(
                "name the environment `{stem}` or rename the file to `{name}.yaml`"
            )),
        );
        return None;
    }
    let is_base = name.starts_with('_');
    let bare = name.trim_start_matches('_');
    if let Some(problem) = dns1123_problem(bare) {
        diags.push(
            Diagnostic::error("invalid-name", format!("environment name `{name}` is not a DNS-1123 label: {problem}"))
                .at(sources.locate(id, 0, "/metadata/name", Target::Value))
                .help("environment names become folder names and labels: lowercase letters, digits and '-'"),
        );
        return None;
    }
    Some(EnvInput {
        source: id,
        is_base,
        spec: take_spec(&mut value).unwrap_or_else(|| Value::Object(Default::default())),
        name,
    })
}

/// The file's `spec`, moved out of its parsed value (an environment's is megabytes).
fn take_spec(file: &mut Value) -> Option<Value> {
    file.as_object_mut().and_then(|m| m.remove("spec"))
}

fn load_pack(
    sources: &Sources,
    id: SourceId,
    path: &str,
    diags: &mut Diagnostics,
) -> Option<PackInput> {
    let mut value = parse_checked(sources, id, InputSchema::PolicyPack, diags)?;
    let name = value
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let raw_version = value
        .pointer("/metadata/version")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let version = match Version::parse(raw_version) {
        Ok(v) => v,
        Err(e) => {
            diags.push(
                Diagnostic::error(
                    "invalid-version",
                    format!("`{raw_version}` is not a semantic version: {e}"),
                )
                .at(sources.locate(id, 0, "/metadata/version", Target::Value))
                .help("write MAJOR.MINOR.PATCH, e.g. 1.2.0"),
            );
            return None;
        }
    };
    let dir = path.strip_suffix("/pack.yaml").unwrap_or(path).to_owned();
    // The folder is the pack's identity on disk: a file that calls itself another pack (or
    // another version) would take over that pack's pins unseen in review.
    let expected = format!("policy-packs/{name}/{version}");
    if dir != expected {
        diags.push(
            Diagnostic::error(
                "pack-folder-mismatch",
                format!("{path} declares pack {name}@{version}, but its folder is {dir}/"),
            )
            .at(sources.locate(id, 0, "/metadata/name", Target::Value))
            .help(format!(
                "move it to {expected}/pack.yaml or correct metadata.name and metadata.version"
            )),
        );
        return None;
    }
    Some(PackInput {
        source: id,
        name,
        version,
        dir,
        spec: take_spec(&mut value).unwrap_or(Value::Null),
        templates: Vec::new(),
        workflows: Vec::new(),
    })
}
