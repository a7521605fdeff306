//! What two states of an estate resolve differently, environment by environment — so a
//! diff renders the tenants a change touched instead of the whole estate twice.
//!
//! A tenant's plan is a function of its own entries in the environment's `extends` chain and
//! of the environment's context (its settings, the merged pack spec, the templates). When
//! the context is the same on both sides, a tenant whose entries are the same resolves and
//! renders the same, and only the others need rendering.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::inputs::{Inputs, TemplateFile};

use super::{chain, EnvPlan};

/// The teams whose entries differ between the two sides in environment `env` (which both
/// have), or `None` when the two sides do not extend the same files in the same order, or a
/// file's `tenants` is not a mapping: then every tenant may differ.
pub fn changed_teams(old: &Inputs, new: &Inputs, env: &str) -> Option<BTreeSet<String>> {
    let (old_chain, new_chain) = (chain(old, env).ok()?, chain(new, env).ok()?);
    if old_chain.len() != new_chain.len() {
        return None;
    }
    let empty = Map::new();
    let mut changed = BTreeSet::new();
    for (a, b) in old_chain.iter().zip(&new_chain) {
        if a.name != b.name {
            return None;
        }
        let (a, b) = (tenants(&a.spec, &empty)?, tenants(&b.spec, &empty)?);
        for (team, entry) in a {
            if b.get(team) != Some(entry) {
                changed.insert(team.clone());
            }
        }
        for team in b.keys() {
            if !a.contains_key(team) {
                changed.insert(team.clone());
            }
        }
    }
    Some(changed)
}

/// Do two plans of one environment resolve and render tenants alike: the same files in the
/// generated header, the same settings, the same merged pack spec, the same templates?
pub fn same_context(old: &Inputs, a: &EnvPlan, new: &Inputs, b: &EnvPlan) -> bool {
    a.name == b.name
        && a.inputs == b.inputs
        && a.pack_name == b.pack_name
        && a.pack_version == b.pack_version
        && a.settings_provenance.value == b.settings_provenance.value
        && a.pack_provenance.value == b.pack_provenance.value
        && templates(old, a)
            .iter()
            .zip(templates(new, b))
            .all(|(x, y)| same_templates(x, y))
}

/// A file's tenants (`empty` when it has none); `None` when they are not a mapping.
fn tenants<'a>(spec: &'a Value, empty: &'a Map<String, Value>) -> Option<&'a Map<String, Value>> {
    match spec.get("tenants") {
        None => Some(empty),
        Some(t) => t.as_object(),
    }
}

/// The templates an environment renders with: the shared ones, its pack's, its pack's
/// workflows.
fn templates<'a>(inputs: &'a Inputs, env: &EnvPlan) -> [&'a [TemplateFile]; 3] {
    let pack = &inputs.packs[env.pack_index];
    [&inputs.templates, &pack.templates, &pack.workflows]
}

fn same_templates(a: &[TemplateFile], b: &[TemplateFile]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.name == y.name && x.text == y.text)
}
