//! Which WorkflowTemplates each tenant gets, and the checks that make a pack's workflow
//! section consistent (catalog templates exist, required and referenced workflows are in the
//! catalog, file patterns are valid globs).
//!
//! A tenant asks for catalog names (`build-docker-image`) or pinned custom workflows
//! (`custom:tiff-offsets@1.0.0`); the pack's `required` workflows and everything the chosen
//! ones `require` (their `templateRef` targets) are added.

use std::collections::{BTreeMap, BTreeSet};

use semver::Version;
use serde::Serialize;
use serde_json::Value;

use crate::diagnostic::{did_you_mean, Diagnostic, Diagnostics};
use crate::inputs::{Inputs, PackInput};
use crate::model::WorkflowsSpec;
use crate::source::{pointer_push, Pos, SourceId, Target};

use super::{error_in, Layered};

/// One WorkflowTemplate to render into a tenant namespace.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowPlan {
    /// The object's name: the workflow's own name (`build-docker-image`), which Backstage
    /// and people use; `<name>-v<major>` for the other majors where two coexist in one
    /// namespace (see `name_objects`).
    pub resource_name: String,
    pub name: String,
    pub version: String,
    pub major: u64,
    /// The engine's name for the template (`workflows/…yaml.j2`).
    pub template: String,
    /// From `workflows/custom/` rather than the catalog.
    pub custom: bool,
}

/// The file-type plan of one tenant, as the `workflow-policy` ConfigMap publishes it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowPolicy {
    /// In the pack's order; the first matching pattern wins.
    pub by_file_type: Vec<FileRule>,
    pub required: Vec<String>,
    /// Workflow name → WorkflowTemplate name in the tenant namespace.
    pub workflow_templates: BTreeMap<String, String>,
    /// Workflow name → every version this namespace has, so a platform API can find a
    /// custom v2 next to the catalog's v1.
    pub versions: BTreeMap<String, Vec<VersionEntry>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionEntry {
    pub version: String,
    pub workflow_template: String,
    pub custom: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileRule {
    pub pattern: String,
    pub workflows: Vec<String>,
    /// Workflows of the rule this tenant does not have: a gate should refuse the file.
    pub missing: Vec<String>,
}

/// One layer of a pack's spec as written: the pack file's `spec`, or an environment file's
/// `overrides`.
pub struct Layer<'a> {
    pub source: SourceId,
    pub value: &'a Value,
    /// Where `value` is in its file.
    pub pointer: &'a str,
}

/// Put `byFileType`'s patterns in the order written. A parsed mapping keeps no order (YAML
/// and JSON mappings have none; the parsed map is sorted by key), so it is read from where
/// each pattern stands in its file: the pack's patterns in the pack file's order, then each
/// override's new patterns in its file's order; an override that changes a pattern's
/// workflows leaves it in place, and `null` takes it out.
pub fn order_file_types(inputs: &Inputs, layers: &[Layer<'_>], wf: &mut WorkflowsSpec) {
    const AT: &str = "/workflows/byFileType";
    let mut order: Vec<&str> = Vec::new();
    for layer in layers {
        let Some(patterns) = layer.value.pointer(AT).and_then(Value::as_object) else {
            continue;
        };
        let spans = inputs.sources.get(layer.source).spans();
        let mut written: Vec<(Option<Pos>, &str, &Value)> = patterns
            .iter()
            .map(|(pattern, v)| {
                let pointer = pointer_push(&format!("{}{AT}", layer.pointer), pattern);
                let at = spans.get(0, &pointer).and_then(|s| s.key);
                (at, pattern.as_str(), v)
            })
            .collect();
        // A pattern whose position is unknown (none is, in a file that parsed) goes last.
        written.sort_by_key(|&(at, pattern, _)| (at.is_none(), at, pattern));
        for (_, pattern, v) in written {
            if v.is_null() {
                order.retain(|p| *p != pattern);
            } else if !order.contains(&pattern) {
                order.push(pattern);
            }
        }
    }
    let mut unordered = std::mem::take(&mut wf.by_file_type);
    wf.by_file_type = order
        .into_iter()
        .filter_map(|p| unordered.shift_remove_entry(p))
        .collect();
    wf.by_file_type.extend(unordered);
}

/// Does `path` (relative to the pack folder) exist among the pack's workflow templates?
fn pack_has(pack: &PackInput, path: &str) -> bool {
    path.strip_prefix("workflows/")
        .is_some_and(|rel| pack.workflows.iter().any(|t| t.name == rel))
}

/// Is custom workflow template `path` (`workflows/custom/…`) in the pack or the estate?
fn custom_exists(inputs: &Inputs, pack: &PackInput, path: &str) -> bool {
    pack_has(pack, path)
        || path
            .strip_prefix("workflows/")
            .is_some_and(|rel| inputs.custom_workflows.iter().any(|t| t.name == rel))
}

/// Check the pack's workflow section after overrides. Located at the layer that set each value.
pub fn check_pack(
    inputs: &Inputs,
    pack: &PackInput,
    wf: &WorkflowsSpec,
    layers: &Layered,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let names: Vec<&str> = wf.catalog.keys().map(String::as_str).collect();
    let not_in_catalog = |what: &str, name: &str| {
        let mut d = Diagnostic::error(
            "unknown-workflow",
            format!(
                "{what} `{name}` is not in the workflow catalog of pack {}",
                pack.label()
            ),
        )
        .note(format!("the catalog has: {}", names.join(", ")));
        if let Some(s) = did_you_mean(name, names.iter().copied()) {
            d = d.help(format!("did you mean `{s}`?"));
        }
        d
    };
    for (name, entry) in &wf.catalog {
        let at = pointer_push("/workflows/catalog", name);
        if let Err(e) = Version::parse(&entry.version) {
            diags.push(error_in(
                inputs,
                layers,
                &format!("{at}/version"),
                Target::Value,
                Diagnostic::error(
                    "invalid-version",
                    format!(
                        "workflow `{name}` has version `{}`, which is not a semantic version: {e}",
                        entry.version
                    ),
                ),
            ));
        }
        if !pack_has(pack, &entry.template) {
            diags.push(error_in(
                inputs,
                layers,
                &format!("{at}/template"),
                Target::Value,
                Diagnostic::error(
                    "missing-template",
                    format!(
                        "workflow `{name}`: {}/{} does not exist",
                        pack.dir, entry.template
                    ),
                ),
            ));
        }
        for (i, r) in entry.requires.iter().enumerate() {
            if !wf.catalog.contains_key(r) {
                diags.push(error_in(
                    inputs,
                    layers,
                    &format!("{at}/requires/{i}"),
                    Target::Value,
                    not_in_catalog("required workflow", r),
                ));
            }
        }
    }
    for (i, r) in wf.required.iter().enumerate() {
        if !wf.catalog.contains_key(r) {
            diags.push(error_in(
                inputs,
                layers,
                &format!("/workflows/required/{i}"),
                Target::Value,
                not_in_catalog("required workflow", r),
            ));
        }
    }
    let patterns: Vec<&str> = wf.by_file_type.keys().map(String::as_str).collect();
    for (j, later) in patterns.iter().enumerate() {
        let Some(earlier) = patterns[..j].iter().find(|e| shadows(e, later)) else {
            continue;
        };
        let first = super::locate(
            inputs,
            layers,
            &pointer_push("/workflows/byFileType", earlier),
            Target::Key,
        );
        let mut d = Diagnostic::error(
            "shadowed-file-pattern",
            format!(
                "file pattern `{later}` can never match: `{earlier}`, earlier in byFileType, matches every file it does (the first matching pattern wins)"
            ),
        )
        .help(format!(
            "put `{later}` before `{earlier}` (patterns apply in the order written: the pack's, then each environment's new ones), or remove it"
        ));
        if let Some(loc) = first {
            d = d.note(format!("`{earlier}` is at {loc}"));
        }
        diags.push(error_in(
            inputs,
            layers,
            &pointer_push("/workflows/byFileType", later),
            Target::Key,
            d,
        ));
    }
    for (pattern, workflows) in &wf.by_file_type {
        let at = pointer_push("/workflows/byFileType", pattern);
        if let Err(e) = globset::Glob::new(pattern) {
            diags.push(error_in(
                inputs,
                layers,
                &at,
                Target::Key,
                Diagnostic::error(
                    "invalid-glob",
                    format!("`{pattern}` is not a valid file pattern: {}", e.kind()),
                )
                .help("use glob syntax: `*.tiff`, `reports/**/*.csv`, `{a,b}.txt`"),
            ));
        }
        for (i, w) in workflows.iter().enumerate() {
            if !wf.catalog.contains_key(w) {
                diags.push(error_in(
                    inputs,
                    layers,
                    &format!("{at}/{i}"),
                    Target::Value,
                    not_in_catalog("workflow", w),
                ));
            }
        }
    }
    diags
}

/// Does `earlier` match every file `later` matches (so that `later`, after it, never wins)?
/// Decided only where it is certain, which covers what happens in practice: `earlier` is
/// all stars (every name), `later` is a literal `earlier` matches, or `earlier` is
/// `*SUFFIX` and `later` ends in that literal suffix (`*.tiff` before `scan-*.tiff`). A
/// pattern without `/` matches the file name, so against a path pattern it is compared
/// with the path's last segment.
fn shadows(earlier: &str, later: &str) -> bool {
    let glob_meta = |s: &str| s.contains(['*', '?', '[', ']', '{', '}', '\\']);
    if earlier.contains('/') {
        return later.contains('/')
            && !glob_meta(later)
            && globset::Glob::new(earlier).is_ok_and(|g| g.compile_matcher().is_match(later));
    }
    let name = later.rsplit('/').next().unwrap_or(later);
    if name.is_empty() {
        return false;
    }
    if !earlier.is_empty() && earlier.chars().all(|c| c == '*') {
        return true;
    }
    if !glob_meta(name) {
        return globset::Glob::new(earlier).is_ok_and(|g| g.compile_matcher().is_match(name));
    }
    match earlier.strip_prefix('*') {
        Some(suffix) if !suffix.is_empty() && !glob_meta(suffix) => {
            name.ends_with(suffix)
                && !glob_meta(&name[name.len() - suffix.len()..])
                && !name[..name.len() - suffix.len()].ends_with('\\')
        }
        _ => false,
    }
}

/// The versions of custom workflow `name` that the pack or the estate ships
/// (`workflows/custom/<name>/<v>.yaml.j2`), sorted and unique.
fn custom_versions(inputs: &Inputs, pack: &PackInput, name: &str) -> Vec<String> {
    let prefix = format!("custom/{name}/");
    let versions: BTreeSet<String> = pack
        .workflows
        .iter()
        .chain(&inputs.custom_workflows)
        .filter_map(|t| {
            t.name
                .strip_prefix(&prefix)?
                .strip_suffix(".yaml.j2")
                .map(str::to_owned)
        })
        .collect();
    versions.into_iter().collect()
}

/// Resolve a tenant's workflow list into plans; errors point at the tenant's entries.
pub fn select(
    inputs: &Inputs,
    pack: &PackInput,
    wf: Option<&WorkflowsSpec>,
    requested: &[String],
    tenant: &Layered,
) -> Result<Vec<WorkflowPlan>, Diagnostics> {
    let mut diags = Diagnostics::new();
    let Some(wf) = wf else {
        for (i, w) in requested.iter().enumerate() {
            diags.push(error_in(
                inputs,
                tenant,
                &format!("/workflows/{i}"),
                Target::Value,
                Diagnostic::error(
                    "unknown-workflow",
                    format!("workflow `{w}` is not defined by pack {}", pack.label()),
                )
                .note("the pack has no workflow catalog"),
            ));
        }
        return diags.into_result(Vec::new());
    };
    let names: Vec<&str> = wf.catalog.keys().map(String::as_str).collect();
    let catalog_plan = |name: &str| -> Option<WorkflowPlan> {
        let entry = wf.catalog.get(name)?;
        let version = Version::parse(&entry.version).ok()?;
        Some(plan(name, &version, entry.template.clone(), false))
    };
    let mut chosen: BTreeSet<WorkflowPlan> = BTreeSet::new();
    for (i, entry) in requested.iter().enumerate() {
        let at = format!("/workflows/{i}");
        if let Some(rest) = entry.strip_prefix("custom:") {
            let bad_ref = |message: String, help: &str| {
                error_in(
                    inputs,
                    tenant,
                    &at,
                    Target::Value,
                    Diagnostic::error("invalid-workflow-ref", message).help(help),
                )
            };
            const FORM: &str = "write custom:<name>@<version>, e.g. custom:tiff-offsets@1.0.0";
            let Some((name, raw_version)) = rest.split_once('@') else {
                diags.push(bad_ref(
                    format!("`{entry}` is not a custom workflow reference"),
                    FORM,
                ));
                continue;
            };
            let version = match Version::parse(raw_version) {
                Ok(_) if !crate::model::is_dns1123_label(name) => {
                    diags.push(bad_ref(
                        format!("`{entry}`: `{name}` is not a valid workflow name"),
                        "workflow names are DNS-1123 labels",
                    ));
                    continue;
                }
                Ok(v) => v,
                Err(e) => {
                    diags.push(bad_ref(
                        format!("`{entry}`: `{raw_version}` is not a semantic version: {e}"),
                        FORM,
                    ));
                    continue;
                }
            };
            let catalog_match = wf
                .catalog
                .get(name)
                .filter(|c| Version::parse(&c.version).ok().as_ref() == Some(&version));
            if let Some(c) = catalog_match {
                chosen.insert(plan(name, &version, c.template.clone(), false));
                continue;
            }
            if !wf.allow_custom {
                diags.push(error_in(
                    inputs,
                    tenant,
                    &at,
                    Target::Value,
                    Diagnostic::error(
                        "custom-workflows-not-allowed",
                        format!(
                            "`{entry}` is a custom workflow, and pack {} does not allow them",
                            pack.label()
                        ),
                    )
                    .help("ask for a catalog workflow, or set workflows.allowCustom: true in the pack"),
                ));
                continue;
            }
            let path = format!("workflows/custom/{name}/{version}.yaml.j2");
            if custom_exists(inputs, pack, &path) {
                chosen.insert(plan(name, &version, path, true));
                continue;
            }
            let mut versions = custom_versions(inputs, pack, name);
            if let Some(c) = wf.catalog.get(name) {
                versions.push(format!("{} (catalog)", c.version));
            }
            let d = Diagnostic::error(
                "unknown-workflow-version",
                format!(
                    "pack {} has no version {version} of workflow `{name}`",
                    pack.label()
                ),
            );
            let d = if versions.is_empty() {
                d.note(format!(
                    "no catalog entry, no {}/workflows/custom/{name}/ and no workflows/custom/{name}/",
                    pack.dir
                ))
            } else {
                d.note(format!("available versions: {}", versions.join(", ")))
            };
            diags.push(error_in(inputs, tenant, &at, Target::Value, d));
        } else {
            match catalog_plan(entry) {
                Some(p) => {
                    chosen.insert(p);
                }
                None => {
                    let mut d = Diagnostic::error(
                        "unknown-workflow",
                        format!("workflow `{entry}` is not defined by pack {}", pack.label()),
                    )
                    .note(format!("the catalog has: {}", names.join(", ")));
                    if let Some(s) = did_you_mean(entry, names.iter().copied()) {
                        d = d.help(format!("did you mean `{s}`?"));
                    }
                    diags.push(error_in(inputs, tenant, &at, Target::Value, d));
                }
            }
        }
    }
    // Required workflows, then everything the chosen ones reference, transitively.
    let mut queue: Vec<String> = wf.required.clone();
    queue.extend(chosen.iter().map(|p| p.name.clone()));
    let mut seen = BTreeSet::new();
    while let Some(name) = queue.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(entry) = wf.catalog.get(&name) {
            if !chosen.iter().any(|p| p.name == name) {
                if let Some(p) = catalog_plan(&name) {
                    chosen.insert(p);
                }
            }
            queue.extend(entry.requires.iter().cloned());
        }
    }
    let mut by_major: BTreeMap<(&str, u64), &WorkflowPlan> = BTreeMap::new();
    for p in &chosen {
        if let Some(other) = by_major.insert((&p.name, p.major), p) {
            diags.push(error_in(
                inputs,
                tenant,
                "/workflows",
                Target::Value,
                Diagnostic::error(
                    "workflow-version-conflict",
                    format!(
                    "workflow `{}` is asked for at versions {} and {}, which are the same major version",
                    p.name, other.version, p.version),
                )
                .help("keep one version per major version"),
            ));
        }
    }
    let mut plans: Vec<WorkflowPlan> = chosen.into_iter().collect();
    name_objects(&mut plans);
    plans.sort();
    let mut by_resource: BTreeMap<&str, &WorkflowPlan> = BTreeMap::new();
    for p in &plans {
        if let Some(other) = by_resource.insert(&p.resource_name, p) {
            diags.push(error_in(
                inputs,
                tenant,
                "/workflows",
                Target::Value,
                Diagnostic::error(
                    "workflow-name-conflict",
                    format!(
                        "workflows `{}` {} and `{}` {} would both be the WorkflowTemplate `{}`",
                        other.name, other.version, p.name, p.version, p.resource_name
                    ),
                ),
            ));
        }
    }
    diags.into_result(plans)
}

/// Name each WorkflowTemplate. A workflow has one stable name, its own: the version a
/// namespace's `templateRef`s use (see `preferred`) carries it. Only where two majors of
/// one workflow coexist do the others get `<name>-v<major>`, so adding a custom v2 next to
/// the catalog's v1 renames nothing that already runs.
fn name_objects(plans: &mut [WorkflowPlan]) {
    let refs = template_refs(plans);
    for p in plans.iter_mut() {
        if refs.get(&p.name) != Some(&p.resource_name) {
            p.resource_name = format!("{}-v{}", p.name, p.major);
        } else {
            p.resource_name = p.name.clone();
        }
    }
}

fn plan(name: &str, version: &Version, template: String, custom: bool) -> WorkflowPlan {
    WorkflowPlan {
        // Provisional and unique per (name, major); `name_objects` gives the final name.
        resource_name: format!("{name}-v{}", version.major),
        name: name.to_owned(),
        version: version.to_string(),
        major: version.major,
        template,
        custom,
    }
}

/// Workflow name → the WorkflowTemplate that answers to it in a namespace. When a namespace
/// holds several versions of one workflow (the catalog's v1 and a custom v2), the catalog's
/// wins, else the newest: `templateRef`s and the published plan agree on it.
pub fn template_refs(plans: &[WorkflowPlan]) -> BTreeMap<String, String> {
    let mut best: BTreeMap<&str, &WorkflowPlan> = BTreeMap::new();
    for p in plans {
        let better = match best.get(p.name.as_str()) {
            None => true,
            Some(cur) => {
                (cur.custom && !p.custom) || (cur.custom == p.custom && p.major > cur.major)
            }
        };
        if better {
            best.insert(&p.name, p);
        }
    }
    best.into_iter()
        .map(|(n, p)| (n.to_owned(), p.resource_name.clone()))
        .collect()
}

/// The tenant's file-type plan for the `workflow-policy` ConfigMap.
pub fn policy(wf: &WorkflowsSpec, plans: &[WorkflowPlan]) -> WorkflowPolicy {
    let templates = template_refs(plans);
    WorkflowPolicy {
        by_file_type: wf
            .by_file_type
            .iter()
            .map(|(pattern, workflows)| FileRule {
                pattern: pattern.clone(),
                workflows: workflows.clone(),
                missing: workflows
                    .iter()
                    .filter(|w| !templates.contains_key(*w))
                    .cloned()
                    .collect(),
            })
            .collect(),
        required: wf.required.clone(),
        workflow_templates: templates,
        versions: plans.iter().fold(BTreeMap::new(), |mut acc, p| {
            acc.entry(p.name.clone())
                .or_insert_with(Vec::new)
                .push(VersionEntry {
                    version: p.version.clone(),
                    workflow_template: p.resource_name.clone(),
                    custom: p.custom,
                });
            acc
        }),
    }
}

/// The workflows that apply to `file`: the first pattern (in the pack's order) that matches.
/// Patterns without a `/` match the file name; others match the whole path.
pub fn plan_for_file<'a>(policy: &'a WorkflowPolicy, file: &str) -> Option<&'a FileRule> {
    let name = file.rsplit('/').next().unwrap_or(file);
    policy.by_file_type.iter().find(|rule| {
        let target = if rule.pattern.contains('/') {
            file
        } else {
            name
        };
        globset::Glob::new(&rule.pattern)
            .map(|g| g.compile_matcher().is_match(target))
            .unwrap_or(false)
    })
}

#[cfg(test)]
mod tests {
    use super::shadows;

    #[test]
    fn shadowing_is_decided_only_where_certain() {
        for (earlier, later) in [
            ("*", "*.tiff"),
            ("*", "reports/*.csv"),
            ("*.tiff", "scan-*.tiff"),
            ("*.tiff", "scan.tiff"),
            ("*.tiff", "reports/*.tiff"),
            ("scan?.tif", "scan1.tif"),
            ("reports/*", "reports/a.csv"),
        ] {
            assert!(shadows(earlier, later), "{earlier} shadows {later}");
        }
        for (earlier, later) in [
            ("*.tiff", "*.tif"),
            ("*.tif", "*.tiff"),
            ("scan-*.tiff", "*.tiff"),
            ("*.tiff", "*"),
            ("reports/*", "*.csv"),
            ("a*.tiff", "b*.tiff"),
            ("*.tiff", "x*\\.tiff"),
        ] {
            assert!(
                !shadows(earlier, later),
                "{earlier} does not shadow {later}"
            );
        }
    }
}
