//! Plan → ManifestSet: run the templates for every plan entry, parse what they produce, and
//! stamp the tool's labels and sync waves on it.
//!
//! A template's output is parsed back and checked here, so a template bug is an error naming
//! the template and the plan entry, never a silently broken manifest.

mod engine;
mod fits;
mod fitted;
mod frozen;
mod memo;
mod pieces;
mod stamp;
mod workflow;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use minijinja::Value as JinjaValue;
use rayon::prelude::*;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::diagnostic::{partition, Diagnostic, Diagnostics};
use crate::inputs::{Inputs, TemplateFile};
use crate::manifest::{Lineage, Manifest, ManifestSet, ObjectRef, Original, Placement, Unstamped};
use crate::model::{ArgoCd, Cluster, Layout, PackSpec, Repo};
use crate::resolve::{template_refs, EnvPlan, Plan, TenantPlan, WorkflowPlan};

pub use engine::{Engine, FUEL, MAX_OUTPUT_BYTES};
pub use frozen::Frozen;
pub use stamp::{sync_wave, Stamp, ENV_LABEL, MANAGED_BY, SYNC_WAVE, TEAM_LABEL};
pub use workflow::WorkflowRules;

/// Label with the catalog name of a rendered WorkflowTemplate.
pub const WORKFLOW_NAME_LABEL: &str = "workflows.gitops-render.dev/name";
/// Label with the full version of a rendered WorkflowTemplate.
pub const WORKFLOW_VERSION_LABEL: &str = "workflows.gitops-render.dev/version";

/// The prefix of templates rendered once per tenant.
pub const TENANT_TEMPLATES: &str = "tenant/";
/// The prefix of templates rendered once per environment (Argo CD objects).
pub const ENV_TEMPLATES: &str = "env/";
/// Templates of a tenant's Backstage catalog entities (not Kubernetes objects).
pub const BACKSTAGE_TEMPLATES: &str = "backstage/";

/// Compile the engine for each pack version the plan uses.
pub fn engines(inputs: &Inputs, plan: &Plan) -> Result<BTreeMap<usize, Engine>, Diagnostics> {
    let mut out = BTreeMap::new();
    let mut diags = Diagnostics::new();
    for env in &plan.environments {
        if out.contains_key(&env.pack_index) {
            continue;
        }
        let pack = &inputs.packs[env.pack_index];
        // Pack workflow templates are addressed as the catalog writes them: `workflows/…`.
        let workflows: Vec<TemplateFile> = pack
            .workflows
            .iter()
            .map(|t| TemplateFile {
                name: format!("workflows/{}", t.name),
                ..t.clone()
            })
            .collect();
        // Estate-level custom workflows first: a pack that ships the same custom version
        // itself is more specific, and wins.
        let estate_custom: Vec<TemplateFile> = inputs
            .custom_workflows
            .iter()
            .map(|t| TemplateFile {
                name: format!("workflows/{}", t.name),
                ..t.clone()
            })
            .collect();
        match Engine::new(&[
            &inputs.templates,
            &pack.templates,
            &estate_custom,
            &workflows,
        ]) {
            Ok(e) => {
                out.insert(env.pack_index, e);
            }
            Err(errs) => errs.into_iter().for_each(|d| diags.push(d)),
        }
    }
    diags.into_result(out)
}

/// Render every environment of the plan, in tree order.
pub fn render(inputs: &Inputs, plan: &Plan) -> Result<ManifestSet, Diagnostics> {
    // Held whole: a set's objects are read by whoever takes it.
    let mut manifests: Vec<Manifest> = render_units(inputs, plan, |unit| unit)?
        .into_iter()
        .flatten()
        .map(Manifest::whole)
        .collect();
    manifests.sort_by(|a, b| a.placement.cmp(&b.placement).then_with(|| a.id.cmp(&b.id)));
    Ok(ManifestSet { manifests })
}

/// Render every environment of the plan a unit at a time: `finish` gets each tenant's
/// objects, and each environment's own, together on the thread that rendered them (in plan
/// order), and what it returns is all that is kept: a caller that needs only files
/// (`tree::render_files`) lets each parsed object go at once, the values of a large estate
/// being several times the size of its YAML. A unit is what lint's file rules can judge
/// alone, while its values are still in the core's cache, and what a file-per-app folder
/// holds.
///
/// Objects are checked for duplicates unit by unit: a tenant's objects are confined to its
/// namespace and environment-level objects kept out of every tenant namespace, so two units
/// cannot render the same object.
pub fn render_units<T: Send>(
    inputs: &Inputs,
    plan: &Plan,
    finish: impl Fn(Vec<Manifest>) -> T + Sync,
) -> Result<Vec<T>, Diagnostics> {
    let engines = engines(inputs, plan)?;
    let finish = &finish;
    let results: Vec<Result<Vec<T>, Diagnostics>> = plan
        .environments
        .par_iter()
        .map(|env| render_env(&engines[&env.pack_index], env, finish))
        .collect();
    let (per_env, diags) = partition(results);
    diags
        .sorted()
        .collapse_repeats()
        .into_result(per_env.into_iter().flatten().collect())
}

/// One unit's objects, each with the template that rendered it, must be distinct: a
/// duplicate is an error at the template that rendered it again.
fn check_unique(engine: &Engine, env: &str, rendered: &[(&ObjectRef, &str)]) -> Diagnostics {
    let mut sorted = rendered.to_vec();
    // By name first: a unit's names nearly all differ, where its API groups, kinds and
    // namespaces mostly do not (comparing those first was 2% of a render).
    sorted.sort_unstable_by(|a, b| (&a.0.name, a.0, a.1).cmp(&(&b.0.name, b.0, b.1)));
    let mut diags = Diagnostics::new();
    for pair in sorted.windows(2).filter(|p| p[0].0 == p[1].0) {
        diags.push(
            Diagnostic::error(
                "duplicate-object",
                format!("{} is rendered twice in `{env}`", pair[1].0),
            )
            .at(engine.location(pair[1].1, 1, 1))
            .note(format!("also rendered by template `{}`", pair[0].1)),
        );
    }
    diags
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

/// The kinds tenant templates and workflows can render, split as Argo CD projects list
/// them: what the environment's AppProject template whitelists, so a template that adds a
/// kind needs no hand edit of the project.
#[derive(Serialize)]
struct TenantKinds {
    cluster: Vec<GroupKind>,
    namespaced: Vec<GroupKind>,
}

#[derive(Serialize)]
struct GroupKind {
    group: String,
    kind: String,
}

impl TenantKinds {
    fn of(engine: &Engine) -> TenantKinds {
        let mut kinds = TenantKinds {
            cluster: Vec::new(),
            namespaced: Vec::new(),
        };
        for (group, kind) in engine.declared_kinds(&[TENANT_TEMPLATES, "workflows/"]) {
            let list = if crate::manifest::scope::is_cluster_scoped(&kind) {
                &mut kinds.cluster
            } else {
                &mut kinds.namespaced
            };
            list.push(GroupKind { group, kind });
        }
        kinds
    }
}

fn render_env<T: Send>(
    engine: &Engine,
    env: &EnvPlan,
    finish: &(impl Fn(Vec<Manifest>) -> T + Sync),
) -> Result<Vec<T>, Diagnostics> {
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
    // In plugin mode the plugin renders each tenant's Application: the environment's
    // render holds only its own objects (a slice still renders its tenant).
    let tenants: &[TenantPlan] = if env.tenants_by_plugin {
        &[]
    } else {
        &env.tenants
    };
    // The environment's own objects render beside its tenants: alone, they were one unit
    // on one core (~40 ms at N = 10,000) with the other idle.
    let (results, own) = rayon::join(
        || {
            tenants
                .par_iter()
                .map(|tenant| {
                    let ctx = minijinja::context! {
                        env => env_value.clone(),
                        pack => pack_value.clone(),
                        tenant => JinjaValue::from_serialize(tenant),
                    };
                    let manifests = render_tenant(engine, &templates, env, tenant, &ctx, &inputs)?;
                    Ok(finish(manifests))
                })
                .collect::<Vec<Result<T, Diagnostics>>>()
        },
        || render_own(engine, env, &env_value, &pack_value, &inputs, finish),
    );
    let (mut out, mut diags) = partition(results);
    let (own, own_diags) = own;
    diags.extend(own_diags);
    out.extend(own);
    diags.into_result(out)
}

/// The environment's own objects (its templates under [`ENV_TEMPLATES`], unless the plan is
/// partial), finished as one unit, and what went wrong rendering them.
fn render_own<T: Send>(
    engine: &Engine,
    env: &EnvPlan,
    env_value: &JinjaValue,
    pack_value: &JinjaValue,
    inputs: &Arc<str>,
    finish: &(impl Fn(Vec<Manifest>) -> T + Sync),
) -> (Option<T>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let ctx = minijinja::context! {
        env => env_value.clone(),
        pack => pack_value.clone(),
        tenants => JinjaValue::from_serialize(&env.roster),
        kinds => JinjaValue::from_serialize(TenantKinds::of(engine)),
    };
    let stamp = Stamp {
        env: &env.name,
        team: None,
        namespace: None,
    };
    let env_templates = if env.partial {
        Vec::new()
    } else {
        engine.templates_under(ENV_TEMPLATES)
    };
    let tenant_namespaces: HashSet<&str> =
        env.roster.iter().map(|m| m.namespace.as_str()).collect();
    let mut own = Vec::new();
    let mut from = Vec::new();
    for name in &env_templates {
        let rendered =
            render_documents(engine, name, &ctx, &env.name, &stamp).and_then(|values| match values
                .iter()
                .find_map(|o| in_tenant_namespace(&o.id, &tenant_namespaces))
            {
                Some(msg) => Err(object_error(engine, name, &env.name, &msg)),
                None => Ok(values),
            });
        match rendered {
            Ok(values) => {
                from.extend(values.iter().map(|_| name.as_str()));
                own.extend(values.into_iter().map(|o| {
                    let placement = env_placement(&env.name, &o.id.kind);
                    o.into_manifest(placement, Arc::clone(inputs), env.settings.repo.layout)
                }));
            }
            Err(d) => diags.push(d),
        }
    }
    let ids: Vec<(&ObjectRef, &str)> = own.iter().map(|m| &m.id).zip(from).collect();
    diags.extend(check_unique(engine, &env.name, &ids));
    ((!own.is_empty()).then(|| finish(own)), diags)
}

/// Tenant namespaces hold their tenant's objects only: an environment-level object in one
/// (or a tenant's Namespace rendered by an environment template) is an error. That keeps
/// what a tenant renders and what its environment renders apart, so neither can clash with
/// the other — which is what lets `diff` render only the tenants a change touched.
fn in_tenant_namespace(id: &ObjectRef, tenant_namespaces: &HashSet<&str>) -> Option<String> {
    if tenant_namespaces.contains(id.namespace.as_str()) {
        return Some(format!(
            "the {} `{}` is placed in tenant namespace `{}`; environment templates may not place objects in tenant namespaces",
            id.kind, id.name, id.namespace
        ));
    }
    (id.kind == "Namespace"
        && id.namespace.is_empty()
        && tenant_namespaces.contains(id.name.as_str()))
    .then(|| {
        format!(
            "the Namespace `{}` is a tenant's; only tenant templates render it",
            id.name
        )
    })
}

/// Where an environment-level object goes, by kind.
fn env_placement(env: &str, kind: &str) -> Placement {
    let env = env.to_owned();
    match kind {
        "ApplicationSet" => Placement::ApplicationSet { env },
        "Application" => Placement::Root { env },
        "AppProject" => Placement::Project { env },
        _ => Placement::Argo { env },
    }
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
    // The template of each object, for duplicates.
    let mut from: Vec<&str> = Vec::new();
    let manifest = |o: Stamped, placement: &Placement| {
        o.into_manifest(
            placement.clone(),
            Arc::clone(inputs),
            env.settings.repo.layout,
        )
    };
    for name in templates {
        match render_documents(engine, name, ctx, &what, &stamp) {
            Ok(values) => {
                from.extend(values.iter().map(|_| name.as_str()));
                out.extend(values.into_iter().map(|v| manifest(v, &placement)));
            }
            Err(d) => diags.push(d),
        }
    }
    let workflows = Placement::Workflows {
        env: env.name.clone(),
        namespace: tenant.namespace.clone(),
    };
    for wf in &tenant.workflow_templates {
        match render_workflow(engine, env, tenant, wf, ctx, &stamp) {
            Ok(v) => {
                from.push(&wf.template);
                out.push(manifest(v, &workflows));
            }
            Err(d) => diags.push(d),
        }
    }
    let backstage = Placement::Backstage {
        env: env.name.clone(),
        namespace: tenant.namespace.clone(),
    };
    for name in engine.templates_under(BACKSTAGE_TEMPLATES) {
        let entities = render_raw(engine, &name, ctx, &what).and_then(|docs| {
            docs.into_iter()
                .map(|doc| {
                    backstage_entity(&doc)
                        .map(|id| (id, doc))
                        .map_err(|m| object_error(engine, &name, &what, &m))
                })
                .collect::<Result<Vec<_>, _>>()
        });
        match entities {
            Ok(values) => {
                from.extend(values.iter().map(|_| BACKSTAGE_TEMPLATES));
                out.extend(values.into_iter().map(|(id, value)| {
                    let o = Stamped {
                        id,
                        value,
                        lineage: None,
                    };
                    manifest(o, &backstage)
                }));
            }
            Err(d) => diags.push(d),
        }
    }
    if out.is_empty() && diags.is_empty() {
        // A tenant without even its Namespace is a broken template set, not an empty
        // tenant: an Application over nothing would prune whatever it had.
        diags.push(
            Diagnostic::error(
                "tenant-renders-nothing",
                format!(
                    "tenant `{}` of `{}` renders no objects",
                    tenant.team, env.name
                ),
            )
            .note(format!(
                "tenant templates: {}",
                if templates.is_empty() {
                    "none".to_owned()
                } else {
                    templates.join(", ")
                }
            ))
            .help("a template under templates/tenant/ (estate or pack) must render the tenant's Namespace; `gitops-render templates list` shows the built-in ones"),
        );
    }
    let ids: Vec<(&ObjectRef, &str)> = out.iter().map(|m| &m.id).zip(from).collect();
    diags.extend(check_unique(engine, &env.name, &ids));
    diags.into_result(out)
}

/// The identity of a Backstage entity a `backstage/` template produced. Only Backstage
/// kinds may go there (the folder is not synced to a cluster), and the name becomes a path
/// segment, so it is held to the same grammar as Kubernetes names.
fn backstage_entity(doc: &Value) -> Result<ObjectRef, String> {
    let id = ObjectRef::of(doc)?;
    if !id.group.starts_with("backstage.io") {
        return Err(format!(
            "a backstage template must produce Backstage entities (apiVersion backstage.io/…), not {}",
            id.kind
        ));
    }
    if !crate::model::is_kind_name(&id.kind) {
        return Err(format!(
            "`{}` is not a kind name",
            crate::diagnostic::escape(&id.kind)
        ));
    }
    if !crate::model::is_dns1123_subdomain(&id.name) {
        return Err(format!(
            "the entity name `{}` is not a DNS-1123 name",
            crate::diagnostic::escape(&id.name)
        ));
    }
    Ok(id)
}

/// Render one template and parse what it produced into documents (or take the documents
/// it produced for the same values before: [`memo`]).
fn render_raw(
    engine: &Engine,
    name: &str,
    ctx: &JinjaValue,
    what: &str,
) -> Result<Vec<Value>, Diagnostic> {
    let shared = render_shared(engine, name, ctx, what)?;
    Ok(Unstamped::into_docs(shared.docs))
}

/// [`render_raw`]'s documents, shared with the memo when it keeps them.
fn render_shared(
    engine: &Engine,
    name: &str,
    ctx: &JinjaValue,
    what: &str,
) -> Result<memo::Shared, Diagnostic> {
    engine.memo.shared(name, ctx, || {
        let text = engine.render(name, ctx, what)?;
        let docs = engine.pieces.parse(&text).map_err(|e| {
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
        let docs = docs.into_iter().map(|p| (p.original, p.held)).collect();
        Ok((Unstamped::of(docs), text.len()))
    })
}

fn object_error(engine: &Engine, name: &str, what: &str, msg: &str) -> Diagnostic {
    Diagnostic::error(
        "template-invalid-object",
        format!("template `{name}` (rendering {what}): {msg}"),
    )
    .at(engine.location(name, 1, 1))
}

/// A stamped object: its identity, its value and what it was stamped from.
pub struct Stamped {
    pub id: ObjectRef,
    /// The whole object, or with a lineage its stamped heading ([`Lineage::heading`]).
    pub value: Value,
    /// `None` when no other object can share it: the memo did not keep the output.
    pub lineage: Option<Lineage>,
}

impl Stamped {
    fn into_manifest(self, placement: Placement, inputs: Arc<str>, layout: Layout) -> Manifest {
        match self.lineage {
            Some(lineage) => {
                Manifest::stamped(self.id, placement, self.value, inputs, layout, lineage)
            }
            None => Manifest::new(self.id, placement, self.value, inputs, layout),
        }
    }
}

/// Stamp one document and read its identity.
fn finish(
    engine: &Engine,
    name: &str,
    what: &str,
    stamp: &Stamp<'_>,
    doc: Value,
    lineage: Option<Lineage>,
) -> Result<Stamped, Diagnostic> {
    let value = stamp
        .apply(doc)
        .map_err(|m| object_error(engine, name, what, &m))?;
    let id = ObjectRef::of(&value).map_err(|m| object_error(engine, name, what, &m))?;
    Ok(Stamped { id, value, lineage })
}

/// Render one template into checked, stamped objects.
pub fn render_documents(
    engine: &Engine,
    name: &str,
    ctx: &JinjaValue,
    what: &str,
    stamp: &Stamp<'_>,
) -> Result<Vec<Stamped>, Diagnostic> {
    let memo::Shared { docs, kept } = render_shared(engine, name, ctx, what)?;
    if !kept {
        // Documents held by their text may repeat in other tenants; the rest are this one's.
        return Unstamped::into_originals(docs)
            .into_iter()
            .map(|(doc, held)| match held {
                true => {
                    let lineage = Lineage::from(doc);
                    finish(engine, name, what, stamp, lineage.heading(), Some(lineage))
                }
                false => {
                    let doc = Original::into_value(doc);
                    finish(engine, name, what, stamp, doc, None)
                }
            })
            .collect();
    }
    (0..docs.len())
        .map(|i| {
            let lineage = Lineage::new(Arc::clone(&docs), i);
            finish(engine, name, what, stamp, lineage.heading(), Some(lineage))
        })
        .collect()
}

/// Render one catalog or custom workflow as the tenant's WorkflowTemplate `<name>-v<major>`.
fn render_workflow(
    engine: &Engine,
    env: &EnvPlan,
    tenant: &TenantPlan,
    wf: &WorkflowPlan,
    base: &JinjaValue,
    stamp: &Stamp<'_>,
) -> Result<Stamped, Diagnostic> {
    let name = &wf.template;
    let what = format!(
        "{}/{} workflow {}@{}",
        env.name, tenant.namespace, wf.name, wf.version
    );
    // What this workflow's templateRefs may point at: the tenant's other WorkflowTemplates,
    // never itself (a custom `tiff-offsets@2` that builds on the catalog's `tiff-offsets`
    // would otherwise reference itself when the tenant asked only for the custom one).
    let others: Vec<WorkflowPlan> = tenant
        .workflow_templates
        .iter()
        .filter(|p| p.resource_name != wf.resource_name)
        .cloned()
        .collect();
    let refs = template_refs(&others);
    let ctx = minijinja::context! {
        ..base.clone(),
        ..minijinja::context! {
            workflow => JinjaValue::from_serialize(wf),
            workflows => JinjaValue::from_serialize(&refs),
        }
    };
    let output = render_shared(engine, name, &ctx, &what).map_err(|d| {
        if d.code == "template-undefined" {
            d.note(format!(
                "`workflows` holds the tenant's other WorkflowTemplates: {}",
                if refs.is_empty() {
                    "none".to_owned()
                } else {
                    refs.keys().cloned().collect::<Vec<_>>().join(", ")
                }
            ))
            .help(format!(
                "a workflow that calls another one needs it too: add it to the tenant's workflows next to `{}`",
                wf.name
            ))
        } else {
            d
        }
    })?;
    let (doc, lineage) = if output.kept {
        let at = fitted::Fitting {
            output: &output.docs,
            env: &env.name,
            workflow: wf,
            tier_name: &tenant.spec.tier,
            tier: &tenant.tier,
        };
        let fit = engine.fitted.get_or_fit(&at, || {
            fit_workflow(engine, env, tenant, wf, &what, output.docs.to_vec())
        })?;
        match fit {
            fitted::Fit::Kept(one) => {
                let lineage = Lineage::new(one, 0);
                (lineage.heading(), Some(lineage))
            }
            fitted::Fit::Own(doc) => (doc, None),
        }
    } else {
        let docs = Unstamped::into_docs(output.docs);
        let doc = fit_workflow(engine, env, tenant, wf, &what, docs)?;
        (doc, None)
    };
    finish(engine, name, &what, stamp, doc, lineage)
}

/// A workflow template's output as the tenant's WorkflowTemplate: one document, named and
/// labelled for the workflow, with the pack's workflow rules put on and its pods fitted to
/// the tenant's tier (not yet stamped). Reads only what [`fitted::Fitting`] holds.
fn fit_workflow(
    engine: &Engine,
    env: &EnvPlan,
    tenant: &TenantPlan,
    wf: &WorkflowPlan,
    what: &str,
    mut docs: Vec<Value>,
) -> Result<Value, Diagnostic> {
    let name = &wf.template;
    if docs.len() != 1 {
        return Err(object_error(
            engine,
            name,
            what,
            &format!(
                "a workflow template must produce one WorkflowTemplate, it produced {} documents",
                docs.len()
            ),
        ));
    }
    let mut doc = docs.remove(0);
    if doc.get("kind").and_then(Value::as_str) != Some("WorkflowTemplate")
        || doc.get("apiVersion").and_then(Value::as_str) != Some("argoproj.io/v1alpha1")
    {
        return Err(object_error(
            engine,
            name,
            what,
            "a workflow template must produce an argoproj.io/v1alpha1 WorkflowTemplate",
        ));
    }
    let meta = doc
        .as_object_mut()
        .map(|o| {
            o.entry("metadata")
                .or_insert_with(|| Value::Object(Map::new()))
        })
        .and_then(Value::as_object_mut)
        .ok_or_else(|| object_error(engine, name, what, "`metadata` is not a mapping"))?;
    match meta.get("name").and_then(Value::as_str) {
        Some(n) if n != wf.resource_name => {
            return Err(object_error(
                engine,
                name,
                what,
                &format!(
                    "it names the WorkflowTemplate `{n}`; it must be `{}` (or leave the name out)",
                    wf.resource_name
                ),
            ))
        }
        _ => {
            meta.insert("name".into(), wf.resource_name.clone().into());
        }
    }
    let labels = meta
        .entry("labels")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or_else(|| object_error(engine, name, what, "`metadata.labels` is not a mapping"))?;
    labels.insert(WORKFLOW_NAME_LABEL.into(), wf.name.clone().into());
    labels.insert(WORKFLOW_VERSION_LABEL.into(), wf.version.clone().into());
    if let Some(spec) = &env.spec.workflows {
        // Only the catalog's own version carries the catalog's exception, never a custom
        // workflow of the same name.
        let relax = spec
            .catalog
            .get(&wf.name)
            .filter(|_| !wf.custom)
            .and_then(|e| e.pod_security.as_ref())
            .map(|p| p.allow.as_slice())
            .unwrap_or_default();
        let rules = WorkflowRules {
            spec,
            security: &env.spec.security,
            service_account: &env.spec.rbac.workflow_service_account,
            pack: &format!("{}@{}", env.pack_name, env.pack_version),
            relax,
        };
        rules.apply(&mut doc).map_err(|m| {
            Diagnostic::error(
                "workflow-override-forbidden",
                format!("template `{name}` (rendering {what}): {m}"),
            )
            .at(engine.location(name, 1, 1))
        })?;
        let fit = fits::Fit {
            tier_name: &tenant.spec.tier,
            tier: &tenant.tier,
            limit_range: &env.spec.limit_range,
            executor: spec.executor.as_ref(),
        };
        fit.apply(&mut doc).map_err(|m| {
            Diagnostic::error(
                "workflow-exceeds-tier",
                format!("{what}: {m}"),
            )
            .at(engine.location(name, 1, 1))
            .help("size the workflow's resources to the tier (the template sees `tenant.tier`), or give the tenant a larger tier")
        })?;
        if !relax.is_empty() {
            // Says on the object what the pack lets it relax, so lint reports those
            // containers as the declared exception (notes), not as violations.
            let names: Vec<&str> = relax.iter().map(|r| r.as_str()).collect();
            if let Some(meta) = doc.get_mut("metadata").and_then(Value::as_object_mut) {
                if let Value::Object(a) = meta
                    .entry("annotations")
                    .or_insert_with(|| Value::Object(Map::new()))
                {
                    a.insert(
                        crate::lint::EXCEPTION_ANNOTATION.into(),
                        names.join(", ").into(),
                    );
                }
            }
        }
    }
    Ok(doc)
}
