//! Two states of an estate, rendered only where they differ.
//!
//! A pull request changes a few tenants of an estate of thousands; rendering both states in
//! full costs the estate twice to show a handful of objects. Here, for each environment both
//! states have, the teams whose entries differ are resolved on both sides; when the
//! environment's context (settings, merged pack spec, templates, the files in the generated
//! header) is the same, only those tenants are rendered: every other tenant renders the same
//! bytes on both sides, which the diff would drop as unchanged anyway. Environment-level
//! objects (which list every tenant) are rendered too when the change adds, removes or
//! renames a tenant's namespace, from a full resolve of that environment.
//!
//! Leaving the other tenants out cannot hide a clash between objects: rendering keeps a
//! tenant's objects in its namespace (or its Namespace) and environment-level objects out
//! of every tenant namespace, and namespaces are unique. What this does not check is what
//! the change leaves alone: an error in an untouched tenant (which fails the same way on
//! both sides) is for `render` and `lint` to report, not `diff`.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::Diagnostics;
use crate::inputs::{self, Inputs};
use crate::pipeline::{self, Stages};
use crate::resolve::{
    changed_teams, resolve, same_context, select_environments, EnvPlan, Plan, Selection,
};
use crate::source::EstateFiles;
use crate::tree::{self, Scope};

/// A rendered tree's files: path → bytes.
pub type Files = BTreeMap<String, Vec<u8>>;

/// Which state a failure belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Old,
    New,
}

/// One state of the estate: its input files, and the pack every environment is pinned to
/// instead of its own (`diff --pack`).
#[derive(Clone, Copy)]
pub struct State<'a> {
    pub files: &'a EstateFiles,
    pub pack_pin: Option<&'a str>,
}

/// Render `old` and `new` (limited to `envs`, all when empty) where they can differ. Files
/// both would render with the same bytes may be left out of both; everything else is as
/// a full render of each state gives it.
pub fn render_changes(
    old: State<'_>,
    new: State<'_>,
    envs: &[String],
) -> Result<(Files, Files), (Side, Diagnostics)> {
    let old_inputs = inputs::load(old.files).map_err(|d| (Side::Old, d))?;
    let new_inputs = inputs::load(new.files).map_err(|d| (Side::New, d))?;
    let old_side = (&old_inputs, old.pack_pin);
    let new_side = (&new_inputs, new.pack_pin);
    // An environment named with `--env` may be on one side only (the change adds or
    // removes it); it is unknown only when neither side has it.
    let (old_envs, new_envs) = (
        old_inputs.environment_names(),
        new_inputs.environment_names(),
    );
    let unknown: Vec<String> = envs
        .iter()
        .filter(|e| !old_envs.contains(&e.as_str()) && !new_envs.contains(&e.as_str()))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        let d = select_environments(&new_inputs, &unknown).err();
        return Err((Side::New, d.unwrap_or_default()));
    }
    let on = |names: &[&str]| -> Vec<String> {
        match envs {
            [] => names.iter().map(|n| (*n).to_owned()).collect(),
            _ => envs
                .iter()
                .filter(|e| names.contains(&e.as_str()))
                .cloned()
                .collect(),
        }
    };
    let (old_names, new_names) = (on(&old_envs), on(&new_envs));
    let names: BTreeSet<&String> = old_names.iter().chain(&new_names).collect();
    let (mut old_plans, mut new_plans) = (Vec::new(), Vec::new());
    for name in names {
        let (a, b) = match (old_names.contains(name), new_names.contains(name)) {
            (true, true) => environment(old_side, new_side, name)?,
            (true, false) => (Some(full(old_side, name, Side::Old)?), None),
            _ => (None, Some(full(new_side, name, Side::New)?)),
        };
        old_plans.extend(a);
        new_plans.extend(b);
    }
    Ok((
        render(&old_inputs, old_plans).map_err(|d| (Side::Old, d))?,
        render(&new_inputs, new_plans).map_err(|d| (Side::New, d))?,
    ))
}

/// The work tree's render (limited to `envs`, all when empty) against the tree `on_disk`,
/// less the files with the same bytes on both sides (`diff --against`, `render --check
/// --no-lint`). There are no inputs for the old side, so every environment is rendered, one
/// at a time; each file is compared with its namesake on disk on the thread that rendered
/// it and kept only when it differs, and only the tree's other files are read: neither tree
/// is held whole. Returns the drift and the environments rendered.
pub fn render_against(
    new: State<'_>,
    envs: &[String],
    on_disk: &tree::io::OnDisk,
) -> Result<(tree::io::Drift, Vec<String>), (Side, Diagnostics)> {
    let inputs = inputs::load(new.files).map_err(|d| (Side::New, d))?;
    let selection = Selection::environments(envs).pinned(new.pack_pin);
    let rendered = pipeline::run(inputs, &selection, Stages::unlinted(), on_disk)
        .map_err(|d| (Side::New, d))?;
    let (rendered, names) = (rendered.files, rendered.environments);
    // Two rendered files at one path is the render's error; a file that cannot be read,
    // the directory's.
    let drift = on_disk.drift(rendered).map_err(|d| {
        let side = if d.iter().any(|d| d.code == "duplicate-path") {
            Side::New
        } else {
            Side::Old
        };
        (side, d)
    })?;
    Ok((drift, names))
}

type SideInputs<'a> = (&'a Inputs, Option<&'a str>);

/// One environment both states have: the plans to render on each side.
fn environment(
    old: SideInputs<'_>,
    new: SideInputs<'_>,
    name: &str,
) -> Result<(Option<EnvPlan>, Option<EnvPlan>), (Side, Diagnostics)> {
    let both = || Ok((full(old, name, Side::Old)?, full(new, name, Side::New)?));
    let whole = || both().map(|(a, b)| (Some(a), Some(b)));
    let Some(teams) = changed_teams(old.0, new.0, name) else {
        return whole();
    };
    let a = some_teams(old, name, &teams, Side::Old)?;
    let b = some_teams(new, name, &teams, Side::New)?;
    if !same_context(old.0, &a, new.0, &b) {
        return whole();
    }
    if a.roster == b.roster {
        // The same tenants in the same namespaces: environment-level objects are the same.
        return Ok((Some(a), Some(b)));
    }
    let (mut a, mut b) = both()?;
    a.tenants.retain(|t| teams.contains(&t.team));
    b.tenants.retain(|t| teams.contains(&t.team));
    Ok((Some(a), Some(b)))
}

/// Resolve one environment with every tenant.
fn full(side: SideInputs<'_>, name: &str, which: Side) -> Result<EnvPlan, (Side, Diagnostics)> {
    one(side, Selection::environment(name), which)
}

/// Resolve only `teams` of environment `name` (those it has), with every setting of the
/// environment; its roster lists only those tenants.
fn some_teams(
    side: SideInputs<'_>,
    name: &str,
    teams: &BTreeSet<String>,
    which: Side,
) -> Result<EnvPlan, (Side, Diagnostics)> {
    one(
        side,
        Selection::environment(name).teams(teams.clone()),
        which,
    )
}

fn one(
    side: SideInputs<'_>,
    selection: Selection,
    which: Side,
) -> Result<EnvPlan, (Side, Diagnostics)> {
    let mut plan = resolve(side.0, &selection.pinned(side.1)).map_err(|d| (which, d))?;
    Ok(plan.environments.remove(0))
}

/// Render the plans into files. Tenants the Argo CD plugin renders are rendered here too:
/// a review shows what the change does to them, on both sides alike.
fn render(inputs: &Inputs, mut environments: Vec<EnvPlan>) -> Result<Files, Diagnostics> {
    for env in &mut environments {
        env.tenants_by_plugin = false;
    }
    let plan = Plan { environments };
    let files = tree::render_files(inputs, &plan, |path, bytes| (path, bytes))?;
    Ok(tree::collect(files, Scope::All)?.files)
}
