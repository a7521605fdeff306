//! Plan → ManifestSet: run the templates for every plan entry, parse what they produce, and
//! stamp the tool's labels and sync waves on it.
//!
//! A template's output is parsed back and checked here, so a template bug is an error naming
//! the template and the plan entry, never a silently broken manifest.

mod engine;
mod stamp;

use std::collections::BTreeMap;
use std::sync::Arc;

use minijinja::Value as JinjaValue;
use rayon::prelude::*;
use serde::Serialize;

use crate::diagnostic::{partition, Diagnostic, Diagnostics};
use crate::inputs::Inputs;
use crate::manifest::{Manifest, ManifestSet, ObjectRef, Placement};
use crate::model::{ArgoCd, Cluster, PackSpec, Repo};
use crate::resolve::{EnvPlan, Plan, TenantPlan};
use crate::source::parse_documents;

pub use engine::{Engine, FUEL, MAX_OUTPUT_BYTES};
pub use stamp::{sync_wave, Stamp, ENV_LABEL, MANAGED_BY, SYNC_WAVE, TEAM_LABEL};

/// The prefix of templates rendered once per tenant.
pub const TENANT_TEMPLATES: &str = "tenant/";

/// Compile the engine for each pack version the plan uses.
pub fn engines(inputs: &Inputs, plan: &Plan) -> Result<BTreeMap<usize, Engine>, Diagnostics> {
    let mut out = BTreeMap::new();
    let mut diags = Diagnostics::new();
    for env in &plan.environments {
        if out.contains_key(&env.pack_index) {
            continue;
        }
        let pack = &inputs.packs[env.pack_index];
        match Engine::new(&[&inputs.templates, &pack.templates]) {
            Ok(e) => {
                out.insert(env.pack_index, e);
            }
            Err(errs) => errs.into_iter().for_each(|d| diags.push(d)),
        }
    }
    diags.into_result(out)
}

/// Render every environment of the plan.
pub fn render(inputs: &Inputs, plan: &Plan) -> Result<ManifestSet, Diagnostics> {
    let engines = engines(inputs, plan)?;
    let results: Vec<Result<Vec<Manifest>, Diagnostics>> = plan
        .environments
        .par_iter()
        .map(|env| render_env(&engines[&env.pack_index], env))
        .collect();
    let (per_env, mut diags) = partition(results);
    let mut manifests: Vec<Manifest> = per_env.into_iter().flatten().collect();
    manifests.sort_by(|a, b| a.placement.cmp(&b.placement).then_with(|| a.id.cmp(&b.id)));
    for pair in manifests.windows(2) {
        if pair[0].placement.env() == pair[1].placement.env() && pair[0].id == pair[1].id {
            diags.push(Diagnostic::error(
                "duplicate-object",
                format!(
                    "{} is rendered twice in `{}`",
                    pair[1].id,
                    pair[1].placement.env()
                ),
            ));
        }
    }
    diags
        .sorted()
        .collapse_repeats()
        .into_result(ManifestSet { manifests })
}

/// The environment as templates see it.
#[derive(Serialize)]
struct EnvView<'a> {
    name: &'a str,
    cluster: &'a Cluster,
    repo: &'a Repo,
    argocd: &'a ArgoCd,
}

/// The pack as templates see it.
#[derive(Serialize)]
struct PackView<'a> {
    name: &'a str,
    version: &'a str,
    spec: &'a PackSpec,
}

fn render_env(engine: &Engine, env: &EnvPlan) -> Result<Vec<Manifest>, Diagnostics> {
    let inputs: Arc<str> = Arc::from(env.inputs.join(", "));
    let env_value = JinjaValue::from_serialize(EnvView {
        name: &env.name,
        cluster: &env.settings.cluster,
        repo: &env.settings.repo,
        argocd: &env.settings.argocd,
    });
    let pack_value = JinjaValue::from_serialize(PackView {
        name: &env.pack_name,
        version: &env.pack_version,
        spec: &env.spec,
    });
    let templates = engine.templates_under(TENANT_TEMPLATES);
    let results: Vec<Result<Vec<Manifest>, Diagnostics>> = env
        .tenants
        .par_iter()
        .map(|tenant| {
            let ctx = minijinja::context! {
                env => env_value.clone(),
                pack => pack_value.clone(),
                tenant => JinjaValue::from_serialize(tenant),
            };
            render_tenant(engine, &templates, env, tenant, &ctx, &inputs)
        })
        .collect();
    let (per_tenant, diags) = partition(results);
    diags.into_result(per_tenant.into_iter().flatten().collect())
}

fn render_tenant(
    engine: &Engine,
    templates: &[String],
    env: &EnvPlan,
    tenant: &TenantPlan,
    ctx: &JinjaValue,
    inputs: &Arc<str>,
) -> Result<Vec<Manifest>, Diagnostics> {
    let what = format!("{}/{}", env.name, tenant.namespace);
    let stamp = Stamp {
        env: &env.name,
        team: Some(&tenant.team),
        namespace: Some(&tenant.namespace),
    };
    let placement = Placement::Tenant {
        env: env.name.clone(),
        namespace: tenant.namespace.clone(),
    };
    let mut diags = Diagnostics::new();
    let mut out = Vec::new();
    for name in templates {
        match render_documents(engine, name, ctx, &what, &stamp) {
            Ok(values) => out.extend(values.into_iter().map(|(id, value)| Manifest {
                id,
                placement: placement.clone(),
                value,
                inputs: Arc::clone(inputs),
            })),
            Err(d) => diags.push(d),
        }
    }
    diags.into_result(out)
}

/// Render one template into checked, stamped objects.
pub fn render_documents(
    engine: &Engine,
    name: &str,
    ctx: &JinjaValue,
    what: &str,
    stamp: &Stamp<'_>,
) -> Result<Vec<(ObjectRef, serde_json::Value)>, Diagnostic> {
    let text = engine.render(name, ctx, what)?;
    let docs = parse_documents(&text).map_err(|e| {
        let rendered_line = text
            .lines()
            .nth(e.pos.line.saturating_sub(1))
            .unwrap_or_default();
        Diagnostic::error(
            "template-invalid-yaml",
            format!(
                "template `{name}` produced invalid YAML while rendering {what}: {}",
                e.message
            ),
        )
        .at(engine.location(name, 1, 1))
        .note(format!(
            "rendered output line {}: {}",
            e.pos.line,
            rendered_line.trim_end()
        ))
        .help("insert values with `| tojson` so that no value can break the YAML structure")
    })?;
    let mut out = Vec::with_capacity(docs.len());
    for (_, doc) in docs {
        let doc = stamp.apply(doc).map_err(|msg| {
            Diagnostic::error(
                "template-invalid-object",
                format!("template `{name}` (rendering {what}): {msg}"),
            )
            .at(engine.location(name, 1, 1))
        })?;
        let id = ObjectRef::of(&doc).map_err(|msg| {
            Diagnostic::error(
                "template-invalid-object",
                format!("template `{name}` (rendering {what}): {msg}"),
            )
            .at(engine.location(name, 1, 1))
        })?;
        out.push((id, doc));
    }
    Ok(out)
}
