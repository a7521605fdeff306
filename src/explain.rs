//! `explain`: a tenant's resolved values, each with the file and line it came from.
//!
//! Paths are written the way people think of them: `tenant.tier` for the tenant's own
//! choices, pack paths as in the pack (`tiers.large.cpu`), and environment settings by name
//! (`cluster.server`). Only the pack values that apply to the tenant are shown (its tier,
//! profile, features, roles, the catalog entries of its workflows, and the pack-wide rules,
//! `workflows.*` included).

use std::fmt::Write as _;

use serde_json::Value;

use crate::inputs::Inputs;
use crate::resolve::{EnvPlan, Layered, TenantPlan};
use crate::source::{pointer_push, pointer_segments, Target};

/// One explained value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub path: String,
    pub value: String,
    /// `file:line` the value came from.
    pub origin: String,
}

fn dotted(prefix: &str, pointer: &str) -> String {
    let mut out = prefix.to_owned();
    for seg in pointer_segments(pointer) {
        if seg.contains('.') || seg.contains(' ') || seg.is_empty() {
            let _ = write!(out, "[{}]", Value::String(seg));
        } else if seg.chars().all(|c| c.is_ascii_digit()) {
            let _ = write!(out, "[{seg}]");
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        }
    }
    out
}

fn entries_under(
    inputs: &Inputs,
    layered: &Layered,
    pointer: &str,
    prefix: &str,
    out: &mut Vec<Entry>,
) {
    let scoped = format!("{pointer}/");
    for (leaf, origin) in &layered.origins {
        if !(leaf == pointer || leaf.starts_with(&scoped) || pointer.is_empty()) {
            continue;
        }
        let value = layered
            .value
            .pointer(leaf)
            .map(Value::to_string)
            .unwrap_or_default();
        let loc = inputs
            .sources
            .locate(origin.source, 0, &origin.pointer, Target::Value);
        out.push(Entry {
            path: dotted(prefix, leaf),
            value,
            origin: format!("{}:{}", loc.file, loc.line),
        });
    }
}

/// Every explained value of `tenant` in `env`, in a stable order.
pub fn explain(inputs: &Inputs, env: &EnvPlan, tenant: &TenantPlan) -> Vec<Entry> {
    let mut out = Vec::new();
    let naming_origin = if tenant.spec.namespace.is_some() {
        tenant.provenance.file_pointer("/namespace")
    } else {
        env.pack_provenance.file_pointer("/naming/namespace")
    };
    if let Some((src, ptr)) = naming_origin {
        let loc = inputs.sources.locate(src, 0, &ptr, Target::Value);
        out.push(Entry {
            path: "namespace".into(),
            value: Value::String(tenant.namespace.clone()).to_string(),
            origin: format!("{}:{}", loc.file, loc.line),
        });
    }
    entries_under(inputs, &tenant.provenance, "", "tenant", &mut out);
    entries_under(inputs, &env.settings_provenance, "", "", &mut out);
    let pack = &env.pack_provenance;
    let mut pointers = vec![
        "/naming".to_owned(),
        pointer_push("/tiers", &tenant.spec.tier),
        pointer_push("/networkProfiles", &tenant.spec.network_profile),
        "/limitRange".to_owned(),
        "/rbac/workflowServiceAccount".to_owned(),
        "/security".to_owned(),
        pointer_push("/environments", &env.name),
    ];
    pointers.extend(
        tenant
            .spec
            .features
            .iter()
            .map(|f| pointer_push("/features", f)),
    );
    pointers.extend(
        tenant
            .roles
            .iter()
            .map(|r| pointer_push("/rbac/roles", &r.name)),
    );
    // The workflow settings every tenant gets, and the catalog entries of its workflows.
    pointers.extend(
        [
            "defaults",
            "overridable",
            "byFileType",
            "required",
            "artifactRepository",
            "namespaceParallelism",
            "allowCustom",
            "executor",
        ]
        .iter()
        .map(|k| format!("/workflows/{k}")),
    );
    let mut catalog: Vec<&str> = tenant
        .workflow_templates
        .iter()
        .filter(|w| !w.custom)
        .map(|w| w.name.as_str())
        .collect();
    catalog.dedup();
    pointers.extend(
        catalog
            .iter()
            .map(|n| pointer_push("/workflows/catalog", n)),
    );
    for p in pointers {
        entries_under(inputs, pack, &p, "", &mut out);
    }
    out
}

/// Keep entries at `field` or below it.
pub fn filter(entries: Vec<Entry>, field: &str) -> Vec<Entry> {
    entries
        .into_iter()
        .filter(|e| {
            e.path == field
                || e.path
                    .strip_prefix(field)
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        })
        .collect()
}

/// Aligned text: `path = value  ← file:line`.
pub fn format(entries: &[Entry]) -> String {
    let width = entries
        .iter()
        .map(|e| e.path.len() + e.value.len() + 3)
        .filter(|w| *w <= 60)
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for e in entries {
        let left = format!("{} = {}", e.path, e.value);
        let _ = writeln!(out, "{left:width$}  ← {}", e.origin);
    }
    out
}
