//! The Argo CD Config Management Plugin contract.
//!
//! Argo CD runs `cmp generate` in the application's source folder with no terminal and reads
//! a YAML stream from stdout. The stream is exactly the files `render` writes for the slice
//! (one environment, or one tenant of it), byte for byte, so a team can switch between
//! committed trees and the plugin without a diff. Only that slice is resolved and rendered.
//! An empty stream is never a success: with `prune: true` it would delete everything the
//! application owns.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::diagnostic::{Diagnostic, Diagnostics, Severity};
use crate::inputs::narrow::narrow;
use crate::inputs::Inputs;
use crate::resolve::{Plan, Selection};
use crate::source::EstateFiles;
use crate::spool::{Piece, Spool};

/// What Argo CD asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub environment: String,
    /// Team name or namespace; `None` for the whole environment.
    pub tenant: Option<String>,
    /// `namespace/name` of the Argo CD Application, for messages.
    pub app: Option<String>,
    pub kube_version: Option<(u32, u32)>,
}

/// Read the request from Argo CD's variables. Parameters (`ARGOCD_APP_PARAMETERS`) win over
/// `plugin.env` (`ARGOCD_ENV_*`); announced defaults are applied here because Argo CD does not
/// send them.
pub fn request(var: &dyn Fn(&str) -> Option<String>) -> Result<Request, String> {
    let mut environment = var("ARGOCD_ENV_ENVIRONMENT").filter(|s| !s.is_empty());
    let mut tenant = var("ARGOCD_ENV_TENANT").filter(|s| !s.is_empty());
    if let Some(raw) = var("ARGOCD_APP_PARAMETERS").filter(|s| !s.trim().is_empty()) {
        for (name, value) in parameters_sent(&raw)? {
            match name.as_str() {
                "environment" if !value.is_empty() => environment = Some(value),
                "tenant" => tenant = Some(value).filter(|v| !v.is_empty()),
                _ => {}
            }
        }
    }
    let environment = environment
        .ok_or("no environment: set plugin.env ENVIRONMENT or the `environment` parameter")?;
    let app = match (var("ARGOCD_APP_NAMESPACE"), var("ARGOCD_APP_NAME")) {
        (Some(ns), Some(name)) if !ns.is_empty() => Some(format!("{ns}/{name}")),
        (_, Some(name)) => Some(name),
        _ => None,
    }
    .map(
        |app| match var("ARGOCD_APP_REVISION").filter(|r| !r.is_empty()) {
            // The revision tells an operator which commit broke the application.
            Some(rev) => format!("{app} at {}", &rev[..rev.len().min(12)]),
            None => app,
        },
    );
    let kube_version = match var("KUBE_VERSION").filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => Some(kube_version(&v).ok_or_else(|| {
            format!(
                "KUBE_VERSION is `{}`; expected MAJOR.MINOR (like 1.34 or v1.34.1+k3s1)",
                crate::diagnostic::escape(&v)
            )
        })?),
    };
    Ok(Request {
        environment,
        tenant,
        app,
        kube_version,
    })
}

/// The parameters Argo CD sent, as `(name, string)`: `ARGOCD_APP_PARAMETERS` must be a JSON
/// list of `{"name": …, "string": …}` (Argo CD's shape; `array` and `map` values are for
/// parameters this plugin does not take). Anything else — another shape, a parameter named
/// twice, a name the plugin does not announce — is an error: guessing would render another
/// slice than the one asked for, and Argo CD would sync it.
pub fn parameters_sent(raw: &str) -> Result<Vec<(String, String)>, String> {
    let shape = "expected a JSON list of {\"name\": …, \"string\": …}";
    let params: Value =
        serde_json::from_str(raw).map_err(|e| format!("ARGOCD_APP_PARAMETERS is not JSON: {e}"))?;
    let Value::Array(items) = params else {
        return Err(format!("ARGOCD_APP_PARAMETERS is not a list: {shape}"));
    };
    let mut out: Vec<(String, String)> = Vec::new();
    for (i, p) in items.iter().enumerate() {
        let Some(obj) = p.as_object() else {
            return Err(format!(
                "ARGOCD_APP_PARAMETERS[{i}] is not an object: {shape}"
            ));
        };
        let Some(name) = obj.get("name").and_then(Value::as_str) else {
            return Err(format!("ARGOCD_APP_PARAMETERS[{i}] has no `name` string"));
        };
        let name = crate::diagnostic::escape(name).into_owned();
        if let Some(key) = obj
            .keys()
            .find(|k| !matches!(k.as_str(), "name" | "string" | "array" | "map"))
        {
            return Err(format!(
                "ARGOCD_APP_PARAMETERS[{i}] (`{name}`) has an unknown field `{}`",
                crate::diagnostic::escape(key)
            ));
        }
        match name.as_str() {
            "environment" | "tenant" => {}
            // Announced read-only: Argo CD may send it back; it selects nothing.
            "tenants" => continue,
            _ => {
                return Err(format!(
                    "ARGOCD_APP_PARAMETERS names `{name}`; this plugin takes `environment` and `tenant`"
                ))
            }
        }
        let Some(value) = obj.get("string").and_then(Value::as_str) else {
            return Err(format!(
                "parameter `{name}` must be a string (`\"string\": …`)"
            ));
        };
        if out.iter().any(|(n, _)| *n == name) {
            return Err(format!("parameter `{name}` is given twice"));
        }
        out.push((name, value.to_owned()));
    }
    Ok(out)
}

/// `1.34`, `v1.34.1`, `1.34.1+k3s1`, `1.34.2-eks-1` → `(1, 34)`.
fn kube_version(v: &str) -> Option<(u32, u32)> {
    let v = v.strip_prefix('v').unwrap_or(v);
    let core = v.split(['+', '-']).next()?;
    let mut parts = core.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    match parts.next() {
        None => {}
        Some(patch) => {
            patch.parse::<u32>().ok()?;
        }
    }
    parts.next().is_none().then_some((major, minor))
}

/// The estate root: `start` or the nearest folder above it holding environments/ and
/// policy-packs/, not above the git repository `start` is in (a folder holding `.git`):
/// a checkout must not pick up an estate from whatever folder it was cloned into.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    for d in start.ancestors() {
        if d.join("environments").is_dir() && d.join("policy-packs").is_dir() {
            return Some(d.to_path_buf());
        }
        if d.join(".git").exists() {
            return None;
        }
    }
    None
}

/// Does a slice of `env` read the input file at `path`? Every pack and template, the bases
/// and the environment's own file: the other environments' files (megabytes each in a large
/// estate) are neither read nor parsed, so an error in one of them does not stop Argo CD
/// from generating this environment's applications (`render --check` and `lint` in CI still
/// judge every file).
pub fn slice_reads(env: &str) -> impl Fn(&str) -> bool + '_ {
    move |path| match path.strip_prefix("environments/") {
        Some(file) => file.starts_with('_') || environment_of(file) == Some(env),
        None => true,
    }
}

/// The environment (or base) a file of `environments/` defines: its name without `.yaml` or
/// `.yml`.
fn environment_of(file: &str) -> Option<&str> {
    file.strip_suffix(".yaml")
        .or_else(|| file.strip_suffix(".yml"))
}

/// The slice's environment file is among `files` (read by [`slice_reads`]); else the
/// `unknown-environment` error names the environments of the estate's folder, which the
/// slice did not read. A base (`_base`) is not an environment.
pub fn environment_exists(root: &Path, files: &EstateFiles, env: &str) -> Result<(), Diagnostic> {
    let own = |path: &str| {
        path.strip_prefix("environments/")
            .is_some_and(|file| environment_of(file) == Some(env))
    };
    if !env.starts_with('_') && files.files.keys().any(|p| own(p)) {
        return Ok(());
    }
    let mut all: Vec<String> = std::fs::read_dir(root.join("environments"))
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|name| {
            let stem = environment_of(&name)?;
            (!stem.starts_with(['_', '.'])).then(|| stem.to_owned())
        })
        .collect();
    all.sort();
    all.dedup();
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    Err(crate::resolve::unknown_environment(env, &all))
}

/// The kinds a tenant slice is made of, most expensive schema first: what `cmp generate`
/// compiles the validators of ahead of rendering.
pub const TENANT_KINDS: &[(&str, &str)] = crate::lint::TREE_KINDS.split_at(9).0;

/// The YAML stream of the slice, from the estate's inputs (see [`slice_reads`]): rendered
/// and linted through [`crate::pipeline`] as `render` renders it, a unit (tenant) at a time,
/// the files waiting in a spool (on disk for a whole environment) so that memory holds what
/// the cross-object rules need, not every object's value or its YAML (see
/// docs/performance.md). A tenant's stream is its `tenants/` and `workflows/` folders; an
/// environment's, its folder (`tenants/`, `workflows/`, `argocd/`). Lint errors in the
/// stream fail the generation.
pub fn generate(inputs: Inputs, req: &Request) -> Result<Stream, Diagnostics> {
    let settings = settings_of(&inputs, req)?;
    stream(inputs, req, &settings)
}

/// The YAML stream of `req`'s slice from the estate's files (see [`slice_reads`]). A
/// tenant's slice is first generated from its environment files narrowed to the entries
/// that could name the tenant ([`narrow`]); whenever that does not succeed, from the whole
/// files, so a refusal is the whole files' own. The inputs are freed in the background
/// ([`crate::pipeline::run`]): Argo CD runs one process per application, and freeing the
/// parsed environment of a large estate before exiting was a tenth of a slice's time.
pub fn generate_from(files: &EstateFiles, req: &Request) -> Result<Stream, Diagnostics> {
    if let Some(stream) = narrowed(files, req) {
        return Ok(stream);
    }
    generate(crate::inputs::load(files)?, req)
}

/// A tenant's stream from the narrowed files, when the narrowing held
/// ([`crate::inputs::narrow::Narrowed::holds`]) and the environment's naming rule makes each
/// namespace of its team's name (else a namespace could name a tenant whose entry does not
/// hold it, and every entry was needed).
fn narrowed(files: &EstateFiles, req: &Request) -> Option<Stream> {
    let narrowed = narrow(files, req.tenant.as_deref()?)?;
    let inputs = crate::inputs::load(&narrowed.files).ok()?;
    if !narrowed.holds(&inputs) {
        return None;
    }
    let settings = settings_of(&inputs, req).ok()?;
    let by_team = settings
        .environments
        .iter()
        .all(|e| e.spec.naming.namespace.contains("{team}"));
    by_team.then(|| stream(inputs, req, &settings).ok())?
}

/// The slice's environment resolved without tenants: its lint configuration and pack.
fn settings_of(inputs: &Inputs, req: &Request) -> Result<Plan, Diagnostics> {
    let selection = Selection::environment(&req.environment).settings_only();
    crate::resolve::resolve(inputs, &selection)
}

fn stream(inputs: Inputs, req: &Request, settings: &Plan) -> Result<Stream, Diagnostics> {
    let env = req.environment.as_str();
    let mut config = crate::lint::LintConfig::from_plan(&inputs, settings);
    config.kube_version = req.kube_version;
    let selection = Selection::environment(env).tenant(req.tenant.as_deref());
    let areas: &[&str] = match req.tenant {
        Some(_) => &["tenants", "workflows"],
        None => &["tenants", "workflows", "argocd"],
    };
    let in_slice = |path: &str| {
        let mut parts = path.split('/');
        parts.next() == Some(env) && parts.next().is_some_and(|area| areas.contains(&area))
    };
    let spool = match req.tenant {
        Some(_) => Spool::in_memory(),
        None => Spool::new(),
    };
    let rendered = crate::pipeline::run(
        inputs,
        &selection,
        crate::pipeline::Stages::linted(&config),
        &spool,
    )?
    .in_tree_order();
    let tree_path = format!(
        "{}/",
        config.tree_path.clone().unwrap_or_else(|| "gitops".into())
    );
    refuse_errors(&rendered.findings, |f| {
        in_slice(
            f.location
                .file
                .strip_prefix(&tree_path)
                .unwrap_or(&f.location.file),
        )
    })?;
    let pieces = rendered
        .files
        .kept_where(in_slice)
        .into_iter()
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| crate::spool::failed(&e))?;
    stream_of(Stream::spooled(spool, pieces), env)
}

/// A slice's files in tree order, printed joined with `---` ([`Stream::write_to`]). The files
/// wait in a [`Spool`] (on disk for a whole environment) until the stream may be printed, so
/// a generation holds their places, not their bytes.
#[derive(Debug)]
pub struct Stream {
    spool: Spool,
    pieces: Vec<Piece>,
}

impl Stream {
    /// A stream of the files at `pieces` of `spool`, in that order.
    pub fn spooled(spool: Spool, pieces: Vec<Piece>) -> Stream {
        Stream { spool, pieces }
    }

    /// Does the stream hold no file?
    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// Write the stream to `out` (stdout): every file, a `---` line between two.
    pub fn write_to<W: crate::spool::Out>(&self, out: &mut W) -> std::io::Result<()> {
        self.spool.write_runs_to(&self.pieces, out)
    }
}

/// Lint errors among the findings `keep` selects fail the generation.
fn refuse_errors(
    findings: &[crate::lint::Finding],
    keep: impl Fn(&crate::lint::Finding) -> bool,
) -> Result<(), Diagnostics> {
    let errors: Vec<Diagnostic> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error && keep(f))
        .map(|f| Diagnostic::error(f.rule, f.message.clone()).at(f.location.clone()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Diagnostics(errors))
    }
}

/// A slice's files as a [`Stream`], refused when empty.
fn stream_of(stream: Stream, environment: &str) -> Result<Stream, Diagnostics> {
    if stream.is_empty() {
        return Err(Diagnostic::error(
            "empty-slice",
            format!("the slice of `{environment}` renders no objects: refusing to print an empty stream, which would make Argo CD prune everything the application owns"),
        )
        .into());
    }
    Ok(stream)
}

/// The dynamic parameters Argo CD shows in its UI: environments and their tenants.
pub fn parameters(files: &EstateFiles) -> Result<Vec<Parameter>, Diagnostics> {
    let inputs = crate::inputs::load(files)?;
    let plan = crate::resolve::resolve(&inputs, &Selection::default())?;
    let envs: Vec<&str> = plan.environments.iter().map(|e| e.name.as_str()).collect();
    let tenants: BTreeMap<String, String> = plan
        .environments
        .iter()
        .map(|e| {
            let teams: Vec<&str> = e.tenants.iter().map(|t| t.team.as_str()).collect();
            (e.name.clone(), teams.join(","))
        })
        .collect();
    let string = |name, title, tooltip| Parameter {
        name,
        title,
        tooltip: Some(tooltip),
        required: None,
        item_type: Some("string"),
        collection_type: "string",
        string: None,
        map: None,
    };
    Ok(vec![
        Parameter {
            required: Some(true),
            ..string(
                "environment",
                "Environment",
                format!("One of: {}", envs.join(", ")),
            )
        },
        Parameter {
            string: Some(String::new()),
            ..string(
                "tenant",
                "Tenant (team or namespace; empty for the whole environment)",
                "Renders only this tenant's objects".to_owned(),
            )
        },
        Parameter {
            name: "tenants",
            title: "Tenants by environment (read only)",
            tooltip: None,
            required: None,
            item_type: None,
            collection_type: "map",
            string: None,
            map: Some(tenants),
        },
    ])
}

/// One parameter announcement, as Argo CD reads it (fields in this order, absent ones left out).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Parameter {
    name: &'static str,
    title: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tooltip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    required: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    item_type: Option<&'static str>,
    collection_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    string: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    map: Option<BTreeMap<String, String>>,
}
