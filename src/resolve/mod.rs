//! Inputs → Plan: pick each environment's pack version, apply the overlays, check the
//! pack's rules, and resolve every tenant.
//!
//! Overlay order, lowest first: the pack's spec; each environment file's `overrides`
//! (base of the `extends` chain first); for tenants, the pack's `tenantDefaults`, then each
//! file's entry for the team. All inputs were schema-checked per file by `inputs`; merged
//! values are checked again here because a merge can complete or break them.

mod delta;
mod overlay;
mod plan;
mod selection;
mod workflows;

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use semver::{Version, VersionReq};
use serde::Deserialize;
use serde_json::Value;

use crate::diagnostic::{did_you_mean, partition, Diagnostic, Diagnostics};
use crate::inputs::{EnvInput, Inputs, PackInput};
use crate::model::{dns1123_problem, EnvSettings, PackSpec, Subject, TenantSpec};
use crate::schema::{self, InputSchema};
use crate::source::{pointer_push, Location, Target};

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
            let mut d = Diagnostic::error(
                "unknown-environment",
                format!("no environment named `{name}`"),
            )
            .note(format!("environments: {}", all.join(", ")));
            if let Some(s) = did_you_mean(name, all.iter().copied()) {
                d = d.help(format!("did you mean `{s}`?"));
            }
            diags.push(d);
        }
    }
    diags.into_result(out.into_iter().collect())
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

/// The environment's `extends` chain, base first, ending with the environment itself.
fn chain<'a>(inputs: &'a Inputs, name: &str) -> Result<Vec<&'a EnvInput>, Diagnostics> {
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

fn resolve_env(inputs: &Inputs, name: &str, selection: &Selection) -> Result<EnvPlan, Diagnostics> {
    let pack_pin = selection.pack_pin.as_deref();
    let select = &selection.tenants;
    let chain = chain(inputs, name)?;
    let own = chain
        .last()
        .map(|e| e.source)
        .ok_or_else(Diagnostics::new)?;

    let mut merged = Layered::default();
    for file in &chain {
        match select {
            Tenants::All => merged.overlay_file(&file.spec, file.source, "/spec"),
            // A slice merges its tenants later, once the naming rule is known: an estate of
            // thousands of tenants is not merged to render one.
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

    let (pack_index, pack) = match pack_pin {
        Some(pin) => select_pack(inputs, None, pin)?,
        None => select_pack(inputs, Some(&merged), &settings.policy_pack)?,
    };

    let mut pack_layers = Layered::from_file(&pack.spec, pack.source, "/spec");
    let mut written = vec![workflows::Layer {
        source: pack.source,
        value: &pack.spec,
        pointer: "/spec",
    }];
    for file in &chain {
        if let Some(over) = file.spec.get("overrides") {
            pack_layers.overlay_file(over, file.source, "/spec/overrides");
            written.push(workflows::Layer {
                source: file.source,
                value: over,
                pointer: "/spec/overrides",
            });
        }
    }
    // Schema violations of the merged pack spec (or of the part of it under `at`, checked
    // against `schema_name`), each at the layer that wrote the value.
    let refuse = |violations: Vec<schema::Violation>, at: &str, field: &str, schema_name: &str| {
        let mut diags = Diagnostics::new();
        for v in violations {
            let mut d = Diagnostic::error(
                v.code,
                format!(
                    "{field}{} ({schema_name}in pack {} after the overrides of `{name}`)",
                    v.message,
                    pack.label()
                ),
            );
            if let Some(h) = v.help {
                d = d.help(h);
            }
            let pointer = format!("{at}{}", v.pointer);
            diags.push(error_in(inputs, &pack_layers, &pointer, v.target, d));
        }
        Err(diags.sorted())
    };
    let violations = schema::validate(InputSchema::PackSpec, &pack_layers.value);
    if !violations.is_empty() {
        return refuse(violations, "", "", "");
    }
    if let Some(repo) = pack_layers.value.pointer("/workflows/artifactRepository") {
        let violations = schema::validate_artifact_repository(repo);
        if !violations.is_empty() {
            return refuse(
                violations,
                "/workflows/artifactRepository",
                "workflows.artifactRepository: ",
                "Argo Workflows' ArtifactRepository; ",
            );
        }
    }
    if let Some(context) = pack_layers
        .value
        .pointer("/workflows/executor/securityContext")
    {
        let violations = schema::validate_security_context(context);
        if !violations.is_empty() {
            return refuse(
                violations,
                "/workflows/executor/securityContext",
                "workflows.executor.securityContext: ",
                "a container securityContext; ",
            );
        }
    }
    let mut spec = PackSpec::deserialize(&pack_layers.value).map_err(|e| {
        Diagnostics::from(inputs.error_at(
            "invalid-value",
            format!("pack {}: {e}", pack.label()),
            pack.source,
            "/spec",
            Target::Key,
        ))
    })?;

    if let Some(wf) = &mut spec.workflows {
        workflows::order_file_types(inputs, &written, wf);
    }
    if let Some(lint) = &spec.lint {
        let problems = check_lint_rules(inputs, lint, &pack_layers);
        if !problems.is_empty() {
            return Err(problems.sorted());
        }
    }
    if let Some(wf) = &spec.workflows {
        let problems = workflows::check_pack(inputs, pack, wf, &pack_layers);
        if !problems.is_empty() {
            return Err(problems.sorted());
        }
    }

    let env = EnvContext {
        inputs,
        name,
        pack,
        spec: &spec,
        pack_layers: &pack_layers,
        provenance: selection.provenance,
        argocd_namespace: &settings.argocd.namespace,
    };
    let candidates: Option<BTreeSet<&String>> = match select {
        Tenants::All => None,
        // Teams any layer could make the slice's tenant.
        Tenants::Named(filter) => Some(
            chain
                .iter()
                .filter_map(|file| file.spec.get("tenants").and_then(Value::as_object))
                .flatten()
                .filter(|(team, entry)| {
                    // A later layer may change or drop the namespace: a layer's entry is a
                    // candidate by its own namespace or by the naming rule.
                    let own = entry.get("namespace").and_then(Value::as_str);
                    let naming = &spec.naming.namespace;
                    names_tenant(filter, team, own, naming, name)
                        || (own.is_some() && names_tenant(filter, team, None, naming, name))
                })
                .map(|(team, _)| team)
                .collect(),
        ),
        Tenants::Teams(teams) => Some(teams.iter().collect()),
    };
    if let Some(teams) = candidates {
        // Every layer's entry for the candidates merges.
        for file in &chain {
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
    let defaults = pack_layers.sub("/tenantDefaults").unwrap_or_default();
    let tenant_layers = merged.sub("/tenants").unwrap_or_default();
    // A slice (one tenant, by team or namespace) resolves only that tenant.
    let wanted = |team: &str| -> bool {
        match select {
            Tenants::All => true,
            Tenants::Named(filter) => {
                let explicit = tenant_layers
                    .value
                    .get(team)
                    .and_then(|t| t.get("namespace"))
                    .and_then(Value::as_str);
                names_tenant(filter, team, explicit, &spec.naming.namespace, name)
            }
            Tenants::Teams(teams) => teams.contains(team),
        }
    };
    let teams: Vec<(String, Layered)> = match &tenant_layers.value {
        Value::Object(m) => m
            .keys()
            .filter(|team| wanted(team))
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
    if let (Tenants::Named(filter), true) = (select, teams.is_empty()) {
        // A slice merged only its candidates: merge every tenant's layers to name them all
        // (only on this error path).
        let mut all = Layered::default();
        for file in &chain {
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
        .note(format!("tenants: {}", known.join(", ")));
        if let Some(s) = did_you_mean(filter, known.iter().copied()) {
            d = d.help(format!("did you mean `{s}`?"));
        }
        return Err(d.into());
    }
    let results: Vec<Result<TenantPlan, Diagnostics>> = teams
        .into_par_iter()
        .map(|(team, layers)| env.tenant(&team, layers, &tenant_layers))
        .collect();
    let (mut tenants, tenant_diags) = partition(results);
    diags.extend(tenant_diags);
    tenants.sort_by(|a, b| a.namespace.cmp(&b.namespace));
    for pair in tenants.windows(2) {
        if pair[0].namespace == pair[1].namespace {
            let d = Diagnostic::error(
                "duplicate-namespace",
                format!(
                    "tenants `{}` and `{}` both get namespace `{}` in `{name}`",
                    pair[0].team, pair[1].team, pair[1].namespace
                ),
            )
            .help("give one of them an explicit `namespace:` or change the pack's naming rule");
            // At the explicit namespace, else at the team.
            let team = pointer_push("", &pair[1].team);
            let explicit = pair[1].spec.namespace.as_ref().and_then(|_| {
                locate(
                    inputs,
                    &tenant_layers,
                    &format!("{team}/namespace"),
                    Target::Key,
                )
            });
            let d = match explicit.or_else(|| locate(inputs, &tenant_layers, &team, Target::Key)) {
                Some(loc) => d.at(loc),
                None => d,
            };
            diags.push(d);
        }
    }
    if !diags.is_empty() {
        return Err(diags.sorted());
    }

    let mut header_inputs: Vec<String> = chain
        .iter()
        .rev()
        .map(|e| inputs.sources.path(e.source).to_owned())
        .collect();
    header_inputs.push(format!("policy-packs/{}", pack.label()));
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
    // A slice (the plugin's own request, or a review of some teams) renders its tenants.
    let tenants_by_plugin =
        settings.argocd.mode == crate::model::ArgoMode::Plugin && matches!(select, Tenants::All);
    Ok(EnvPlan {
        name: name.to_owned(),
        inputs: header_inputs,
        pack_index,
        pack_name: pack.name.clone(),
        pack_version: pack.version.to_string(),
        settings,
        spec,
        tenants,
        roster,
        settings_provenance,
        pack_provenance: pack_layers,
        // Only some tenants were resolved: the roster does not list them all.
        partial: !matches!(select, Tenants::All),
        tenants_by_plugin,
    })
}

/// Choose the newest pack version matching `pin` (`name@1.2.0` exact, `name@^1.1` range).
/// `merged` locates errors in the environment; `None` when the pin came from the command line.
fn select_pack<'a>(
    inputs: &'a Inputs,
    merged: Option<&Layered>,
    pin: &str,
) -> Result<(usize, &'a PackInput), Diagnostics> {
    let fail = |code: &'static str, msg: String, help: Option<String>| -> Diagnostics {
        let mut d = Diagnostic::error(code, msg);
        if let Some(h) = help {
            d = d.help(h);
        }
        match merged {
            Some(m) => error_in(inputs, m, "/policyPack", Target::Value, d).into(),
            None => d.note("pinned by --pack").into(),
        }
    };
    let (name, req) = pin.split_once('@').unwrap_or((pin, ""));
    let matcher: Box<dyn Fn(&Version) -> bool> = match Version::parse(req) {
        Ok(exact) => Box::new(move |v| *v == exact),
        Err(_) => match VersionReq::parse(req) {
            Ok(r) => Box::new(move |v| r.matches(v)),
            Err(e) => {
                return Err(fail(
                    "invalid-pin",
                    format!("`{pin}` is not a valid pack pin: {e}"),
                    Some("write NAME@VERSION (exact, e.g. platform@1.2.0) or NAME@RANGE (e.g. platform@^1.1)".into()),
                ))
            }
        },
    };
    let versions: Vec<(usize, &PackInput)> = inputs
        .packs
        .iter()
        .enumerate()
        .filter(|(_, p)| p.name == name)
        .collect();
    if versions.is_empty() {
        let names: BTreeSet<&str> = inputs.packs.iter().map(|p| p.name.as_str()).collect();
        return Err(fail(
            "unknown-pack",
            format!("no policy pack named `{name}`"),
            Some(format!(
                "packs: {}",
                names.into_iter().collect::<Vec<_>>().join(", ")
            )),
        ));
    }
    versions
        .iter()
        .rev()
        .find(|(_, p)| matcher(&p.version))
        .copied()
        .ok_or_else(|| {
            let have: Vec<String> = versions
                .iter()
                .map(|(_, p)| p.version.to_string())
                .collect();
            fail(
                "no-matching-pack",
                format!("no version of pack `{name}` matches `{pin}`"),
                Some(format!("available versions: {}", have.join(", "))),
            )
        })
}

struct EnvContext<'a> {
    inputs: &'a Inputs,
    name: &'a str,
    pack: &'a PackInput,
    /// Keep each tenant's layers (where its values came from).
    provenance: bool,
    spec: &'a PackSpec,
    pack_layers: &'a Layered,
    /// Reserved: no tenant may live in Argo CD's namespace.
    argocd_namespace: &'a str,
}

impl EnvContext<'_> {
    fn unknown(
        &self,
        layers: &Layered,
        pointer: &str,
        what: &str,
        value: &str,
        known: Vec<&str>,
    ) -> Diagnostic {
        let mut d = Diagnostic::error(
            "unknown-choice",
            format!(
                "{what} `{value}` is not defined by pack {}",
                self.pack.label()
            ),
        )
        .note(if known.is_empty() {
            format!("the pack defines no {what}s")
        } else {
            format!("the pack defines: {}", known.join(", "))
        });
        if let Some(s) = did_you_mean(value, known.iter().copied()) {
            d = d.help(format!("did you mean `{s}`?"));
        }
        error_in(self.inputs, layers, pointer, Target::Value, d)
    }

    fn tenant(
        &self,
        team: &str,
        layers: Layered,
        all_tenants: &Layered,
    ) -> Result<TenantPlan, Diagnostics> {
        let inputs = self.inputs;
        let team_ptr = pointer_push("", team);
        if let Some(problem) = dns1123_problem(team) {
            let d = Diagnostic::error("invalid-name", format!("team name `{team}` is not a DNS-1123 label: {problem}"))
                .help("team names become namespace names and labels: lowercase letters, digits and '-', at most 63");
            return Err(error_in(inputs, all_tenants, &team_ptr, Target::Key, d).into());
        }
        let mut diags = Diagnostics::new();
        for v in schema::validate(InputSchema::Tenant, &layers.value) {
            let mut d = Diagnostic::error(
                v.code,
                format!("tenant `{team}` in `{}`: {}", self.name, v.message),
            );
            if let Some(h) = v.help {
                d = d.help(h);
            }
            let d = match locate(inputs, &layers, &v.pointer, v.target) {
                Some(loc) if !v.pointer.is_empty() => d.at(loc),
                _ => error_in(inputs, all_tenants, &team_ptr, Target::Key, d),
            };
            diags.push(d.help("set it for the tenant or in the pack's tenantDefaults"));
        }
        for field in ["tier", "networkProfile"] {
            if layers.value.get(field).is_none() {
                let d = Diagnostic::error(
                    "missing-key",
                    format!("tenant `{team}` in `{}` has no `{field}`", self.name),
                )
                .help(format!(
                    "set `{field}` for the tenant or in the pack's tenantDefaults"
                ));
                diags.push(error_in(inputs, all_tenants, &team_ptr, Target::Key, d));
            }
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        let spec: TenantSpec = serde_json::from_value(layers.value.clone()).map_err(|e| {
            Diagnostics::from(error_in(
                inputs,
                all_tenants,
                &team_ptr,
                Target::Key,
                Diagnostic::error("invalid-value", format!("tenant `{team}`: {e}")),
            ))
        })?;

        let pack = self.spec;
        let rule = pack.environments.get(self.name);
        let tier = match pack.tiers.get(&spec.tier) {
            Some(t) => {
                let mut t = t.clone();
                let limits = t.limits.get_or_insert_with(Default::default);
                limits.cpu.get_or_insert_with(|| t.cpu.clone());
                limits.memory.get_or_insert_with(|| t.memory.clone());
                Some(t)
            }
            None => {
                diags.push(self.unknown(
                    &layers,
                    "/tier",
                    "tier",
                    &spec.tier,
                    pack.tiers.keys().map(String::as_str).collect(),
                ));
                None
            }
        };
        if let Some(allowed) = rule.and_then(|r| r.allowed_tiers.as_ref()) {
            if tier.is_some() && !allowed.contains(&spec.tier) {
                let d = Diagnostic::error(
                    "tier-not-allowed",
                    format!("tier `{}` is not allowed in `{}`", spec.tier, self.name),
                )
                .note(format!(
                    "pack {} allows in `{}`: {}",
                    self.pack.label(),
                    self.name,
                    allowed.join(", ")
                ));
                diags.push(error_in(inputs, &layers, "/tier", Target::Value, d));
            }
        }
        let profile = match pack.network_profiles.get(&spec.network_profile) {
            Some(p) => Some(p),
            None => {
                diags.push(self.unknown(
                    &layers,
                    "/networkProfile",
                    "network profile",
                    &spec.network_profile,
                    pack.network_profiles.keys().map(String::as_str).collect(),
                ));
                None
            }
        };
        if let Some(required) = rule.and_then(|r| r.require_network_profile.as_ref()) {
            if profile.is_some() && spec.network_profile != *required {
                let d = Diagnostic::error(
                    "network-profile-required",
                    format!(
                        "`{}` requires network profile `{required}`, tenant `{team}` uses `{}`",
                        self.name, spec.network_profile
                    ),
                );
                diags.push(error_in(
                    inputs,
                    &layers,
                    "/networkProfile",
                    Target::Value,
                    d,
                ));
            }
        }
        let mut features = Vec::new();
        for (i, f) in spec.features.iter().enumerate() {
            match pack.features.get(f) {
                Some(feat) => features.push(feat),
                None => diags.push(self.unknown(
                    &layers,
                    &format!("/features/{i}"),
                    "feature",
                    f,
                    pack.features.keys().map(String::as_str).collect(),
                )),
            }
        }
        let workflow_templates = match workflows::select(
            inputs,
            self.pack,
            pack.workflows.as_ref(),
            &spec.workflows,
            &layers,
        ) {
            Ok(w) => w,
            Err(d) => {
                diags.extend(d);
                Vec::new()
            }
        };
        let workflow_policy = pack
            .workflows
            .as_ref()
            .map(|wf| workflows::policy(wf, &workflow_templates));
        let mut roles = Vec::new();
        for (role, subjects) in &spec.owners {
            let role_ptr = pointer_push("/owners", role);
            let Some(rules) = pack.rbac.roles.get(role) else {
                diags.push(self.unknown(
                    &layers,
                    &role_ptr,
                    "role",
                    role,
                    pack.rbac.roles.keys().map(String::as_str).collect(),
                ));
                continue;
            };
            let mut parsed = Vec::new();
            for (i, s) in subjects.iter().enumerate() {
                match Subject::parse(s) {
                    Ok(sub) => parsed.push(sub),
                    Err(msg) => diags.push(error_in(
                        inputs,
                        &layers,
                        &format!("{role_ptr}/{i}"),
                        Target::Value,
                        Diagnostic::error("invalid-subject", msg),
                    )),
                }
            }
            roles.push(RolePlan {
                name: role.clone(),
                rules: rules.clone(),
                subjects: parsed,
            });
        }
        // Roles bound to the workflow ServiceAccount: always the executor role, and the roles
        // the catalog entries of the tenant's workflows ask for (`serviceAccountRoles`: a
        // deploy workflow needs to apply and watch objects, which no other workflow may).
        let mut sa_roles: BTreeSet<&str> = BTreeSet::new();
        if pack.rbac.roles.contains_key(WORKFLOW_ROLE) {
            sa_roles.insert(WORKFLOW_ROLE);
        }
        if let Some(wf) = &pack.workflows {
            for plan in workflow_templates.iter().filter(|p| !p.custom) {
                for role in wf
                    .catalog
                    .get(&plan.name)
                    .map(|e| e.service_account_roles.as_slice())
                    .unwrap_or_default()
                {
                    if pack.rbac.roles.contains_key(role) {
                        sa_roles.insert(role);
                    } else {
                        diags.push(error_in(
                            inputs,
                            self.pack_layers,
                            &format!(
                                "{}/serviceAccountRoles",
                                pointer_push("/workflows/catalog", &plan.name)
                            ),
                            Target::Value,
                            Diagnostic::error(
                                "unknown-role",
                                format!(
                                    "catalog workflow `{}` asks for role `{role}`, which rbac.roles does not define",
                                    plan.name
                                ),
                            ),
                        ));
                    }
                }
            }
        }
        for role in sa_roles {
            let service_account = Subject {
                kind: "ServiceAccount",
                name: pack.rbac.workflow_service_account.clone(),
                namespace: None,
                api_group: None,
            };
            match roles.iter_mut().find(|r| r.name == role) {
                Some(r) => r.subjects.insert(0, service_account),
                None => roles.push(RolePlan {
                    name: role.to_owned(),
                    rules: pack.rbac.roles[role].clone(),
                    subjects: vec![service_account],
                }),
            }
        }
        roles.sort_by(|a, b| a.name.cmp(&b.name));

        let namespace = match &spec.namespace {
            Some(ns) => {
                if let Some(problem) = dns1123_problem(ns) {
                    diags.push(error_in(
                        inputs,
                        &layers,
                        "/namespace",
                        Target::Value,
                        Diagnostic::error(
                            "invalid-name",
                            format!("namespace `{ns}` is not a DNS-1123 label: {problem}"),
                        ),
                    ));
                }
                ns.clone()
            }
            None => match expand_naming(&pack.naming.namespace, team, self.name) {
                Ok(ns) => {
                    if let Some(problem) = dns1123_problem(&ns) {
                        let d = Diagnostic::error(
                            "invalid-name",
                            format!(
                                "namespace `{ns}` (naming rule `{}` for team `{team}` in `{}`) is not a DNS-1123 label: {problem}",
                                pack.naming.namespace, self.name
                            ),
                        );
                        diags.push(error_in(
                            inputs,
                            self.pack_layers,
                            "/naming/namespace",
                            Target::Value,
                            d,
                        ));
                    }
                    ns
                }
                Err(msg) => {
                    diags.push(error_in(
                        inputs,
                        self.pack_layers,
                        "/naming/namespace",
                        Target::Value,
                        Diagnostic::error("invalid-naming-rule", msg),
                    ));
                    String::new()
                }
            },
        };
        if let Some(pattern) =
            crate::model::reserved_by(&namespace, self.argocd_namespace, &pack.naming.reserved)
        {
            let d = Diagnostic::error(
                "reserved-namespace",
                format!(
                    "tenant `{team}` in `{}` would get namespace `{namespace}`, which is reserved (`{pattern}`)",
                    self.name
                ),
            )
            .help("reserved: default, kube-*, the Argo namespaces, the environment's argocd.namespace and the pack's naming.reserved; give the tenant another `namespace:`");
            let d = if spec.namespace.is_some() {
                error_in(inputs, &layers, "/namespace", Target::Value, d)
            } else {
                error_in(inputs, all_tenants, &team_ptr, Target::Key, d)
            };
            diags.push(d);
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        let (Some(tier), Some(profile)) = (tier, profile) else {
            return Err(diags);
        };
        let mut ingress: BTreeSet<String> = profile
            .allow_ingress_from_namespaces
            .iter()
            .cloned()
            .collect();
        let mut egress = profile.egress.clone();
        // What the tenant's catalog workflows need to reach, in workflow order.
        if let Some(wf) = &pack.workflows {
            for p in workflow_templates.iter().filter(|p| !p.custom) {
                if let Some(entry) = wf.catalog.get(&p.name) {
                    egress.extend(entry.egress.iter().cloned());
                }
            }
        }
        let mut namespace_labels = BTreeMap::new();
        for f in &features {
            ingress.extend(f.allow_ingress_from_namespaces.iter().cloned());
            egress.extend(f.egress.iter().cloned());
            namespace_labels.extend(f.namespace_labels.clone());
        }
        for role in &mut roles {
            for s in &mut role.subjects {
                if s.kind == "ServiceAccount" && s.namespace.is_none() {
                    s.namespace = Some(namespace.clone());
                }
            }
        }
        let pod_security = profile.pod_security.as_deref().map(|level| {
            let catalog = pack.workflows.as_ref().map(|w| &w.catalog);
            let exceptions = workflow_templates
                .iter()
                .filter(|p| !p.custom)
                .filter_map(|p| {
                    let e = catalog?.get(&p.name)?.pod_security.as_ref()?;
                    Some(PodSecurityExceptionPlan {
                        workflow: p.name.clone(),
                        level: e.level.clone(),
                        reason: e.reason.clone(),
                    })
                })
                .collect();
            PodSecurityPlan::new(level, exceptions)
        });
        Ok(TenantPlan {
            team: team.to_owned(),
            explicit_namespace: spec.namespace.is_some(),
            namespace,
            network: NetworkPlan {
                profile: spec.network_profile.clone(),
                default_deny: profile.default_deny,
                allow_dns: profile.allow_dns,
                allow_same_namespace: profile.allow_same_namespace,
                ingress_from_namespaces: ingress.into_iter().collect(),
                egress,
                pod_security: profile.pod_security.clone(),
            },
            tier,
            spec,
            namespace_labels,
            roles,
            workflow_templates,
            workflow_policy,
            pod_security,
            provenance: if self.provenance {
                layers
            } else {
                Layered::default()
            },
        })
    }
}

/// Every rule id a pack's `lint` section names must exist.
fn check_lint_rules(
    inputs: &Inputs,
    lint: &crate::model::LintSpec,
    layers: &Layered,
) -> Diagnostics {
    let ids: Vec<&str> = crate::lint::RULES.iter().map(|r| r.id).collect();
    let mut diags = Diagnostics::new();
    let unknown = |id: &str| {
        let mut d = Diagnostic::error("unknown-rule", format!("there is no lint rule `{id}`"))
            .note("`gitops-render rules` lists them");
        if let Some(s) = did_you_mean(id, ids.iter().copied()) {
            d = d.help(format!("did you mean `{s}`?"));
        }
        d
    };
    for id in lint.rules.keys() {
        if !ids.contains(&id.as_str()) {
            diags.push(error_in(
                inputs,
                layers,
                &pointer_push("/lint/rules", id),
                Target::Key,
                unknown(id),
            ));
        }
    }
    for (i, w) in lint.waivers.iter().enumerate() {
        if !ids.contains(&w.rule.as_str()) {
            diags.push(error_in(
                inputs,
                layers,
                &format!("/lint/waivers/{i}/rule"),
                Target::Value,
                unknown(&w.rule),
            ));
        }
    }
    diags
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
