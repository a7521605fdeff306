//! Inputs → Plan: pick each environment's pack version, apply the overlays, check the
//! pack's rules, and resolve every tenant.
//!
//! Overlay order, lowest first: the pack's spec; each environment file's `overrides`
//! (base of the `extends` chain first); for tenants, the pack's `tenantDefaults`, then each
//! file's entry for the team. All inputs were schema-checked per file by `inputs`; merged
//! values are checked again here because a merge can complete or break them.
//!
//! An environment resolves in named steps ([`resolve_env`]): its `extends` [`chain`] →
//! its [`settings`] merged along the chain → its pack (`pack::for_environment`: the version
//! the pin selects, with the chain's `overrides`, checked) → the [`tenant_entries`] the
//! [`Selection`] asks for → each tenant (`tenant::EnvContext::tenant`: tier, network
//! profile, features, workflows, roles, namespace) → the [`EnvPlan`].

mod delta;
mod overlay;
mod pack;
mod plan;
mod selection;
mod shared;
mod tenant;
mod workflows;

use std::collections::BTreeSet;

use rayon::prelude::*;
use serde::Deserialize;
use serde_json::Value;

use crate::diagnostic::{did_you_mean, partition, Diagnostic, Diagnostics};
use crate::inputs::{EnvInput, Inputs};
use crate::model::EnvSettings;
use crate::source::{pointer_push, Location, Target};

use pack::{EnvPack, Pin};
use tenant::EnvContext;

pub use delta::{changed_teams, same_context};
pub use overlay::{merge, strip_nulls, Layered, Origin};
pub use plan::{
    EnvPlan, Member, NetworkPlan, Plan, PodSecurityExceptionPlan, PodSecurityPlan, RolePlan,
    TenantPlan,
};
pub use selection::{Selection, Tenants};
pub use workflows::{plan_for_file, template_refs, FileRule, WorkflowPlan, WorkflowPolicy};

/// The role bound to every tenant's workflow ServiceAccount when the pack defines it.
pub const WORKFLOW_ROLE: &str = "workflow-executor";

/// Resolve what `selection` asks for: its environments (each on a core of its own), their
/// pack versions and overlays, and the tenants it names.
pub fn resolve(inputs: &Inputs, selection: &Selection) -> Result<Plan, Diagnostics> {
    let names = select_environments(inputs, &selection.environments)?;
    let results: Vec<Result<EnvPlan, Diagnostics>> = names
        .par_iter()
        .map(|name| resolve_env(inputs, name, selection))
        .collect();
    let (environments, diags) = partition(results);
    diags.into_result(Plan { environments })
}

/// An environment file's spec without its tenants.
fn without_tenants(spec: &Value) -> Value {
    match spec {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| *k != "tenants")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Does `filter` name this tenant: its team, or its namespace (the explicit one, else the
/// one the naming rule gives)?
fn names_tenant(filter: &str, team: &str, explicit: Option<&str>, naming: &str, env: &str) -> bool {
    team == filter
        || match explicit {
            Some(ns) => ns == filter,
            None => expand_naming(naming, team, env).is_ok_and(|ns| ns == filter),
        }
}

/// Check `--env` names against the environments that exist.
pub fn select_environments(inputs: &Inputs, only: &[String]) -> Result<Vec<String>, Diagnostics> {
    let all = inputs.environment_names();
    if only.is_empty() {
        return Ok(all.into_iter().map(str::to_owned).collect());
    }
    let mut diags = Diagnostics::new();
    let mut out = BTreeSet::new();
    for name in only {
        if all.contains(&name.as_str()) {
            out.insert(name.clone());
        } else {
            diags.push(unknown_environment(name, &all));
        }
    }
    diags.into_result(out.into_iter().collect())
}

/// `name` is none of the environments `all`: the error, naming them and the closest.
pub fn unknown_environment(name: &str, all: &[&str]) -> Diagnostic {
    let d = Diagnostic::error(
        "unknown-environment",
        format!("no environment named `{name}`"),
    )
    .note(format!("environments: {}", name_list(all)));
    match did_you_mean(name, all.iter().copied()) {
        Some(s) => d.help(format!("did you mean `{s}`?")),
        None => d,
    }
}

/// Where `pointer` of a merged value came from, as a location.
fn locate(inputs: &Inputs, layered: &Layered, pointer: &str, target: Target) -> Option<Location> {
    let (source, file_ptr) = layered.file_pointer(pointer)?;
    Some(inputs.sources.locate(source, 0, &file_ptr, target))
}

fn error_in(
    inputs: &Inputs,
    layered: &Layered,
    pointer: &str,
    target: Target,
    d: Diagnostic,
) -> Diagnostic {
    match locate(inputs, layered, pointer, target) {
        Some(loc) => d.at(loc),
        None => d,
    }
}

/// The environment's `extends` chain, base first, ending with the environment itself: the
/// environment files it reads.
pub(crate) fn chain<'a>(inputs: &'a Inputs, name: &str) -> Result<Vec<&'a EnvInput>, Diagnostics> {
    let mut out: Vec<&EnvInput> = Vec::new();
    let mut current = &inputs.environments[name];
    loop {
        if out.iter().any(|e| e.name == current.name) {
            let mut names: Vec<&str> = out.iter().map(|e| e.name.as_str()).collect();
            names.push(&current.name);
            let last = out.last().unwrap_or(&current);
            return Err(inputs
                .error_at(
                    "extends-cycle",
                    format!("`extends` forms a cycle: {}", names.join(" → ")),
                    last.source,
                    "/spec/extends",
                    Target::Value,
                )
                .help("remove `extends` from one of these files")
                .into());
        }
        out.push(current);
        let Some(parent) = current.spec.get("extends").and_then(Value::as_str) else {
            break;
        };
        match inputs.environments.get(parent) {
            Some(p) => current = p,
            None => {
                let names: Vec<&str> = inputs.environments.keys().map(String::as_str).collect();
                let mut d = inputs.error_at(
                    "missing-parent",
                    format!(
                        "`{}` extends `{parent}`, but there is no environments/{parent}.yaml",
                        current.name
                    ),
                    current.source,
                    "/spec/extends",
                    Target::Value,
                );
                if let Some(s) = did_you_mean(parent, names.iter().copied()) {
                    d = d.help(format!("did you mean `{s}`?"));
                }
                return Err(d.into());
            }
        }
    }
    out.reverse();
    Ok(out)
}

const REQUIRED_SETTINGS: &[&str] = &[
    "/policyPack",
    "/cluster/name",
    "/cluster/server",
    "/repo/url",
    "/repo/targetRevision",
    "/argocd/namespace",
    "/argocd/project",
];

/// One environment of the selection, step by step (see the module docs).
fn resolve_env(inputs: &Inputs, name: &str, selection: &Selection) -> Result<EnvPlan, Diagnostics> {
    let chain = chain(inputs, name)?;
    let (mut merged, settings) = settings(inputs, name, &chain, &selection.tenants)?;
    let pin = match selection.pack_pin.as_deref() {
        Some(pin) => Pin::CommandLine(pin),
        None => Pin::Environment {
            pin: &settings.policy_pack,
            settings: &merged,
        },
    };
    let pack = pack::for_environment(inputs, name, &chain, pin)?;
    let (tenant_layers, entries) =
        tenant_entries(name, &chain, &mut merged, &pack, &selection.tenants)?;
    let env = EnvContext {
        inputs,
        name,
        pack: pack.input,
        spec: &pack.spec,
        pack_layers: &pack.layers,
        provenance: selection.provenance,
        argocd_namespace: &settings.argocd.namespace,
        shared: shared::Shared::new(),
    };
    let tenants = tenants(&env, entries, &tenant_layers)?;
    // The environment's tenant entries with their origins (~50,000 leaves at N = 10,000):
    // freed off the main thread, which goes on to start the render.
    crate::free_in_background(tenant_layers);
    Ok(env_plan(
        inputs, name, &chain, merged, settings, pack, tenants, selection,
    ))
}

/// The environment's settings merged along its `extends` chain, with every required key
/// set. A slice merges its tenants later ([`tenant_entries`]), once the naming rule is
/// known: an estate of thousands of tenants is not merged to render one.
fn settings(
    inputs: &Inputs,
    name: &str,
    chain: &[&EnvInput],
    select: &Tenants,
) -> Result<(Layered, EnvSettings), Diagnostics> {
    let own = chain
        .last()
        .map(|e| e.source)
        .ok_or_else(Diagnostics::new)?;
    let mut merged = Layered::default();
    for file in chain {
        match select {
            Tenants::All => merged.overlay_file(&file.spec, file.source, "/spec"),
            _ => merged.overlay_file(&without_tenants(&file.spec), file.source, "/spec"),
        }
    }
    let mut diags = Diagnostics::new();
    for ptr in REQUIRED_SETTINGS {
        if merged.value.pointer(ptr).is_none() {
            let dotted = ptr.trim_start_matches('/').replace('/', ".");
            diags.push(
                inputs
                    .error_at(
                        "missing-key",
                        format!("environment `{name}` does not set `{dotted}`, nor does any file it extends"),
                        own,
                        "/spec",
                        Target::Key,
                    )
                    .help(format!("add `{dotted}` to environments/{name}.yaml or to the file it extends")),
            );
        }
    }
    if !diags.is_empty() {
        return Err(diags.sorted());
    }
    let settings = EnvSettings::deserialize(&merged.value).map_err(|e| {
        Diagnostics::from(inputs.error_at(
            "invalid-value",
            format!("environment `{name}`: {e}"),
            own,
            "/spec",
            Target::Key,
        ))
    })?;
    Ok((merged, settings))
}

/// The tenants `select` asks for, each with its entries of every layer merged over the
/// pack's `tenantDefaults`, and every merged tenant entry (to locate errors at a team's
/// key). A slice first merges into `merged` only the teams some layer could make its tenant.
fn tenant_entries(
    name: &str,
    chain: &[&EnvInput],
    merged: &mut Layered,
    pack: &EnvPack<'_>,
    select: &Tenants,
) -> Result<(Layered, Vec<(String, Layered)>), Diagnostics> {
    let naming = &pack.spec.naming.namespace;
    let candidates: Option<BTreeSet<&String>> = match select {
        Tenants::All => None,
        Tenants::Named(filter) => Some(
            chain
                .iter()
                .filter_map(|file| file.spec.get("tenants").and_then(Value::as_object))
                .flatten()
                .filter(|(team, entry)| {
                    // A later layer may change or drop the namespace: a layer's entry is a
                    // candidate by its own namespace or by the naming rule.
                    let own = entry.get("namespace").and_then(Value::as_str);
                    names_tenant(filter, team, own, naming, name)
                        || (own.is_some() && names_tenant(filter, team, None, naming, name))
                })
                .map(|(team, _)| team)
                .collect(),
        ),
        Tenants::Teams(teams) => Some(teams.iter().collect()),
    };
    if let Some(teams) = candidates {
        for file in chain {
            let tenants = match file.spec.get("tenants") {
                Some(Value::Object(all)) => Value::Object(
                    all.iter()
                        .filter(|(team, _)| teams.contains(team))
                        .map(|(team, entry)| (team.clone(), entry.clone()))
                        .collect(),
                ),
                Some(other) => other.clone(),
                None => continue,
            };
            let mut only = serde_json::Map::new();
            only.insert("tenants".into(), tenants);
            merged.overlay_file(&Value::Object(only), file.source, "/spec");
        }
    }
    let defaults = pack.layers.sub("/tenantDefaults").unwrap_or_default();
    // Moved out: the environment's settings do not hold the tenants (`env_plan` drops them).
    let tenant_layers = merged.take("/tenants").unwrap_or_default();
    let wanted = |team: &str| -> bool {
        match select {
            Tenants::All => true,
            Tenants::Named(filter) => {
                let explicit = tenant_layers
                    .value
                    .get(team)
                    .and_then(|t| t.get("namespace"))
                    .and_then(Value::as_str);
                names_tenant(filter, team, explicit, naming, name)
            }
            Tenants::Teams(teams) => teams.contains(team),
        }
    };
    // Each team's layers merged on both cores: at N = 10,000 this was ~0.1 s of a stream
    // with the other core idle.
    let entries: Vec<(String, Layered)> = match &tenant_layers.value {
        Value::Object(m) => m
            .keys()
            .filter(|team| wanted(team))
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|team| {
                let mut t = defaults.clone();
                if let Some(own) = tenant_layers.sub(&pointer_push("", team)) {
                    t.overlay_layered(&own);
                }
                (team.clone(), t)
            })
            .collect(),
        _ => Vec::new(),
    };
    match select {
        Tenants::Named(filter) if entries.is_empty() => Err(unknown_tenant(chain, name, filter)),
        _ => Ok((tenant_layers, entries)),
    }
}

/// No tenant of `name` is `filter`: name them all. A slice merged only its candidates, so
/// every tenant's layers are merged here (only on this error path).
fn unknown_tenant(chain: &[&EnvInput], name: &str, filter: &str) -> Diagnostics {
    let mut all = Layered::default();
    for file in chain {
        if let Some(tenants) = file.spec.get("tenants") {
            all.overlay_file(tenants, file.source, "/spec/tenants");
        }
    }
    let known: Vec<&str> = all
        .value
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let mut d = Diagnostic::error(
        "unknown-tenant",
        format!("environment `{name}` has no tenant `{filter}` (by team or namespace)"),
    )
    .note(format!("tenants: {}", name_list(&known)));
    if let Some(s) = did_you_mean(filter, known.iter().copied()) {
        d = d.help(format!("did you mean `{s}`?"));
    }
    d.into()
}

/// Names for a note, the first [`NAMES_SHOWN`] of them: an estate of 10,000 tenants would
/// otherwise print 150 KB into Argo CD's error message (the did-you-mean help names the
/// closest, wherever it sorts).
fn name_list(names: &[&str]) -> String {
    match names.len().checked_sub(NAMES_SHOWN) {
        Some(more) if more > 0 => format!(
            "{}, … and {more} more ({} in all)",
            names[..NAMES_SHOWN].join(", "),
            names.len()
        ),
        _ => names.join(", "),
    }
}

const NAMES_SHOWN: usize = 20;

/// Resolve the tenants (in parallel), sorted by namespace; no two may share one.
fn tenants(
    env: &EnvContext<'_>,
    entries: Vec<(String, Layered)>,
    tenant_layers: &Layered,
) -> Result<Vec<TenantPlan>, Diagnostics> {
    // The refusals are set aside as they come, by the tenant's place in the list so that
    // they are reported in the same order whatever the threads did: a list of every
    // tenant's result next to the list of plans made from it held an environment's plans
    // twice (~8 MB at N = 10,000).
    let refused = std::sync::Mutex::new(Vec::new());
    let mut tenants: Vec<TenantPlan> = entries
        .into_par_iter()
        .enumerate()
        .filter_map(
            |(at, (team, layers))| match env.tenant(&team, layers, tenant_layers) {
                Ok(plan) => Some(plan),
                Err(d) => {
                    refused
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((at, d));
                    None
                }
            },
        )
        .collect();
    let mut refused = refused.into_inner().unwrap_or_else(|e| e.into_inner());
    refused.sort_unstable_by_key(|(at, _)| *at);
    let mut diags = Diagnostics::new();
    for (_, d) in refused {
        diags.extend(d);
    }
    tenants.sort_by(|a, b| a.namespace.cmp(&b.namespace));
    for pair in tenants.windows(2) {
        if pair[0].namespace == pair[1].namespace {
            diags.push(shared_namespace(env, &pair[0], &pair[1], tenant_layers));
        }
    }
    diags.sorted().into_result(tenants)
}

/// Two tenants get one namespace: at the second one's explicit namespace, else its team.
fn shared_namespace(
    env: &EnvContext<'_>,
    first: &TenantPlan,
    second: &TenantPlan,
    tenant_layers: &Layered,
) -> Diagnostic {
    let d = Diagnostic::error(
        "duplicate-namespace",
        format!(
            "tenants `{}` and `{}` both get namespace `{}` in `{}`",
            first.team, second.team, second.namespace, env.name
        ),
    )
    .help("give one of them an explicit `namespace:` or change the pack's naming rule");
    let team = pointer_push("", &second.team);
    let explicit = second.spec.namespace.as_ref().and_then(|_| {
        let pointer = format!("{team}/namespace");
        locate(env.inputs, tenant_layers, &pointer, Target::Key)
    });
    match explicit.or_else(|| locate(env.inputs, tenant_layers, &team, Target::Key)) {
        Some(loc) => d.at(loc),
        None => d,
    }
}

/// The environment's plan from its resolved parts.
#[allow(clippy::too_many_arguments)]
fn env_plan(
    inputs: &Inputs,
    name: &str,
    chain: &[&EnvInput],
    merged: Layered,
    settings: EnvSettings,
    pack: EnvPack<'_>,
    tenants: Vec<TenantPlan>,
    selection: &Selection,
) -> EnvPlan {
    // The generated header's inputs: the environment file, the files it extends (nearest
    // first), then the pack.
    let mut header_inputs: Vec<String> = chain
        .iter()
        .rev()
        .map(|e| inputs.sources.path(e.source).to_owned())
        .collect();
    header_inputs.push(format!("policy-packs/{}", pack.input.label()));
    let mut settings_provenance = merged;
    if let Value::Object(m) = &mut settings_provenance.value {
        m.remove("tenants");
        m.remove("overrides");
        m.remove("extends");
    }
    settings_provenance.origins.retain(|p, _| {
        !(p.starts_with("/tenants") || p.starts_with("/overrides") || p == "/extends")
    });
    let roster = tenants
        .iter()
        .map(|t| Member {
            team: t.team.clone(),
            namespace: t.namespace.clone(),
            workflows: !t.workflow_templates.is_empty(),
        })
        .collect();
    let whole = matches!(selection.tenants, Tenants::All);
    // A slice (the plugin's own request, or a review of some teams) renders its tenants.
    let tenants_by_plugin = settings.argocd.mode == crate::model::ArgoMode::Plugin && whole;
    EnvPlan {
        name: name.to_owned(),
        inputs: header_inputs,
        pack_index: pack.index,
        pack_name: pack.input.name.clone(),
        pack_version: pack.input.version.to_string(),
        settings,
        spec: pack.spec,
        tenants,
        roster,
        settings_provenance,
        pack_provenance: pack.layers,
        // Only some tenants were resolved: the roster does not list them all.
        partial: !whole,
        tenants_by_plugin,
    }
}

/// Expand `{team}` and `{environment}` in a naming rule.
pub fn expand_naming(rule: &str, team: &str, environment: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = rule;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("naming rule `{rule}` has an unclosed `{{`"))?;
        match &after[..end] {
            "team" => out.push_str(team),
            "environment" => out.push_str(environment),
            other => {
                return Err(format!(
                    "naming rule `{rule}` uses `{{{other}}}`; only {{team}} and {{environment}} are known"
                ))
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_note_names_the_first_twenty() {
        let names: Vec<String> = (0..1000).map(|i| format!("team-{i:04}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let note = super::name_list(&refs);
        assert!(note.starts_with("team-0000, team-0001, "), "{note}");
        assert!(
            note.ends_with("team-0019, … and 980 more (1000 in all)"),
            "{note}"
        );
        assert_eq!(super::name_list(&refs[..20]), refs[..20].join(", "));
        assert_eq!(super::name_list(&[]), "");
    }
}
