//! ManifestSet → Tree: each object at a path derived only from DNS-1123 names — a file of
//! its own, or with `repo.layout: file-per-app` a document of its application folder's
//! `manifest.yaml` — each file the generated header followed by canonical YAML.

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::manifest::{write_header, Manifest, ManifestSet, Placement};
use crate::model::Layout;

use super::{Scope, Tree};

/// The file of an application folder in the file-per-app layout.
pub const APP_FILE: &str = "manifest.yaml";

/// The path of a manifest in the tree: under its layout, its own file or its application
/// folder's [`APP_FILE`]. Names were checked to be DNS-1123 when rendered, so no input can
/// produce `..` or an absolute path.
///
/// Built at its exact length: a render keeps every file's path to the end (~190,000 for one
/// environment at N = 10,000), and `format!` grows a string by doubling, which left a third
/// of those bytes unused on average.
pub fn path_for(m: &Manifest) -> String {
    match app_folder(m) {
        Some(folder) if m.layout == Layout::FilePerApp => concat(&[&folder, &["/", APP_FILE]]),
        Some(folder) => {
            let mut path = concat(&[&folder, &["/"], &object_file_parts(m)]);
            let kind = folder.iter().map(|p| p.len()).sum::<usize>() + 1;
            path[kind..kind + m.id.kind.len()].make_ascii_lowercase();
            path
        }
        None => match &m.placement {
            Placement::ApplicationSet { env } => concat(&[&["applicationsets/", env, ".yaml"]]),
            Placement::Root { env } => concat(&[&["parent/apps-root-", env, ".yaml"]]),
            Placement::Project { env } => concat(&[&["projects/", env, ".yaml"]]),
            _ => unreachable!("every other placement is an application folder"),
        },
    }
}

/// The parts joined into one string of exactly their length.
fn concat(parts: &[&[&str]]) -> String {
    let len = parts.iter().flat_map(|p| p.iter()).map(|p| p.len()).sum();
    let mut out = String::with_capacity(len);
    parts
        .iter()
        .flat_map(|p| p.iter())
        .for_each(|p| out.push_str(p));
    out
}

/// The folder Argo CD syncs as one application (or, for Backstage entities, reads as one
/// catalog location), where the placement has one, as the parts of its path.
fn app_folder(m: &Manifest) -> Option<[&str; 3]> {
    match &m.placement {
        Placement::Tenant { env, namespace } => Some([env, "/tenants/", namespace]),
        Placement::Workflows { env, namespace } => Some([env, "/workflows/", namespace]),
        Placement::Backstage { env, namespace } => Some([env, "/backstage/", namespace]),
        Placement::Argo { env } => Some([env, "/argocd", ""]),
        Placement::ApplicationSet { .. } | Placement::Root { .. } | Placement::Project { .. } => {
            None
        }
    }
}

/// A manifest's own file name in the file-per-object layout: `<kind>-<name>.yaml`.
fn object_file(m: &Manifest) -> String {
    let mut file = concat(&[&object_file_parts(m)]);
    file[..m.id.kind.len()].make_ascii_lowercase();
    file
}

/// [`object_file`]'s parts, the kind as written.
fn object_file_parts(m: &Manifest) -> [&str; 4] {
    [&m.id.kind, "-", &m.id.name, ".yaml"]
}

/// Does the manifest share its application folder's file with others?
fn bundled(m: &Manifest) -> bool {
    m.layout == Layout::FilePerApp && app_folder(m).is_some()
}

/// Where each of `unit`'s objects is written: its file, and the index of its document in
/// that file. A file-per-app file holds its folder's objects in the order their
/// file-per-object files sort in, so both layouts list an environment's objects alike.
pub fn places(unit: &[Manifest]) -> Vec<(String, usize)> {
    if !unit.iter().any(bundled) {
        return unit.iter().map(|m| (path_for(m), 0)).collect();
    }
    let mut order: Vec<(String, String, &crate::manifest::ObjectRef, usize)> = unit
        .iter()
        .enumerate()
        .map(|(i, m)| (path_for(m), object_file(m), &m.id, i))
        .collect();
    order.sort_unstable();
    let mut places = vec![(String::new(), 0); unit.len()];
    let mut previous: Option<&str> = None;
    let mut index = 0;
    for (path, _, _, i) in &order {
        index = if previous == Some(path.as_str()) {
            index + 1
        } else {
            0
        };
        places[*i] = (path.clone(), index);
        previous = Some(path);
    }
    places
}

/// Is `rel` a path a layout can give an object: `parent/apps-root-<env>.yaml`,
/// `applicationsets/<env>.yaml`, `projects/<env>.yaml`,
/// `<env>/{tenants,workflows,backstage}/<namespace>/<kind>-<name>.yaml`,
/// `<env>/argocd/<kind>-<name>.yaml`, or `manifest.yaml` in those folders (file-per-app),
/// every part in its grammar? Only such a path can hold a file the tool owns: a file with
/// the generated header anywhere else (a README quoting it) is never pruned.
pub fn is_layout_path(rel: &str) -> bool {
    use crate::model::{is_dns1123_label, is_dns1123_subdomain};
    let object_file = |file: &str| {
        file == APP_FILE
            || file
                .strip_suffix(".yaml")
                .and_then(|stem| stem.split_once('-'))
                .is_some_and(|(kind, name)| {
                    !kind.is_empty()
                        && kind
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                        && is_dns1123_subdomain(name)
                })
    };
    let env_file = |file: &str, prefix: &str| {
        file.strip_prefix(prefix)
            .and_then(|f| f.strip_suffix(".yaml"))
            .is_some_and(is_dns1123_label)
    };
    let parts: Vec<&str> = rel.split('/').collect();
    match parts.as_slice() {
        ["parent", file] => env_file(file, "apps-root-"),
        ["applicationsets" | "projects", file] => env_file(file, ""),
        [env, "tenants" | "workflows" | "backstage", ns, file] => {
            is_dns1123_label(env) && is_dns1123_label(ns) && object_file(file)
        }
        [env, "argocd", file] => is_dns1123_label(env) && object_file(file),
        _ => false,
    }
}

/// `rel` is a relative path strictly under the output root: `/`-separated parts, none empty,
/// `.`, `..` or hidden, no backslash or NUL, each at most 255 bytes. Every path a render
/// writes passes here before anything is written, whatever produced it.
pub fn confined(rel: &str) -> Result<(), Diagnostic> {
    let bad = rel.is_empty()
        || rel.split('/').any(|part| {
            part.is_empty()
                || part.starts_with('.')
                || part.len() > 255
                || part
                    .bytes()
                    .any(|b| b == b'\\' || b == 0 || b.is_ascii_control())
        });
    if bad {
        return Err(Diagnostic::error(
            "unsafe-path",
            format!(
                "refusing to write `{}`: not a plain relative path inside the output directory",
                crate::diagnostic::escape(rel)
            ),
        )
        .help("paths come from validated kinds and DNS-1123 names; a template produced something else"));
    }
    Ok(())
}

/// The environment a tree path belongs to.
pub fn env_of_path(path: &str) -> Option<&str> {
    let (first, rest) = path.split_once('/')?;
    match first {
        "applicationsets" | "projects" => rest.strip_suffix(".yaml"),
        "parent" => rest.strip_prefix("apps-root-")?.strip_suffix(".yaml"),
        env => Some(env),
    }
}

/// One manifest as a file of its own: its path and its bytes (the generated header, then
/// canonical YAML).
fn file_for(m: &Manifest) -> (String, Vec<u8>) {
    (path_for(m), emit(&m.inputs, &[m]))
}

/// The bytes of a file holding `manifests`: the generated header, then each one's canonical
/// YAML, a `---` line between two.
fn emit(inputs: &str, manifests: &[&Manifest]) -> Vec<u8> {
    thread_local! {
        /// Written into a reused buffer and copied out at its exact size: growing a fresh
        /// string per file reallocates it several times.
        static SCRATCH: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    SCRATCH.with_borrow_mut(|text| {
        text.clear();
        write_header(text, inputs);
        for (i, m) in manifests.iter().enumerate() {
            if i > 0 {
                text.push_str("---\n");
            }
            m.write_canonical(text);
        }
        text.as_bytes().to_vec()
    })
}

/// The files of `unit` (a tenant's objects, an environment's own, or any set holding every
/// object of each application folder it touches) under each object's layout. The one step
/// from manifests to files: render, check, diff and the Argo CD plugin all lay out through it.
pub fn lay_out(unit: &[Manifest]) -> Vec<(String, Vec<u8>)> {
    if !unit.iter().any(bundled) {
        return unit.iter().map(file_for).collect();
    }
    let mut files: BTreeMap<String, Vec<(usize, &Manifest)>> = BTreeMap::new();
    for (m, (path, index)) in unit.iter().zip(places(unit)) {
        files.entry(path).or_default().push((index, m));
    }
    files
        .into_iter()
        .map(|(path, mut docs)| {
            docs.sort_unstable_by_key(|(index, _)| *index);
            let manifests: Vec<&Manifest> = docs.iter().map(|(_, m)| *m).collect();
            let bytes = emit(&docs[0].1.inputs, &manifests);
            (path, bytes)
        })
        .collect()
}

/// Render `plan` and lay it out a unit at a time: `each` gets every file, on the thread that
/// rendered its objects, so only what it returns is kept (a path and a verdict, not the
/// tree). In plan order, each unit's files in path order.
pub fn render_files<T: Send>(
    inputs: &crate::inputs::Inputs,
    plan: &crate::resolve::Plan,
    each: impl Fn(String, Vec<u8>) -> T + Sync,
) -> Result<Vec<T>, Diagnostics> {
    let units = crate::render::render_units(inputs, plan, |unit| {
        lay_out(&unit)
            .into_iter()
            .map(|(path, bytes)| each(path, bytes))
            .collect::<Vec<T>>()
    })?;
    Ok(units.into_iter().flatten().collect())
}

/// Lay out every manifest; two objects at one path is an error.
pub fn layout(set: &ManifestSet, scope: Scope) -> Result<Tree, Diagnostics> {
    let files = if set.manifests.iter().any(bundled) {
        lay_out(&set.manifests)
    } else {
        set.manifests.par_iter().map(file_for).collect()
    };
    collect(files, scope)
}

/// A tree from files already laid out (see [`file_for`]); two files at one path is an error.
pub fn collect(rendered: Vec<(String, Vec<u8>)>, scope: Scope) -> Result<Tree, Diagnostics> {
    let mut files = BTreeMap::new();
    let mut diags = Diagnostics::new();
    for (path, bytes) in rendered {
        if let Err(d) = confined(&path) {
            diags.push(d);
            continue;
        }
        if files.insert(path.clone(), bytes).is_some() {
            diags.push(duplicate_path(&path));
        }
    }
    diags.into_result(Tree { files, scope })
}

/// Two objects laid out at one path: one would silently overwrite the other.
pub fn duplicate_path(path: &str) -> Diagnostic {
    Diagnostic::error(
        "duplicate-path",
        format!("two objects would be written to {path}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_paths() {
        for ours in [
            "prod/tenants/data-prod/namespace-data-prod.yaml",
            "prod/workflows/data-prod/workflowtemplate-ci-pipeline-v1.yaml",
            "dev/argocd/configmap-x.y.yaml",
            "applicationsets/dev.yaml",
            "projects/dev.yaml",
            "parent/apps-root-local.yaml",
            "prod/tenants/data-prod/manifest.yaml",
            "prod/backstage/data-prod/manifest.yaml",
            "dev/argocd/manifest.yaml",
        ] {
            assert!(is_layout_path(ours), "{ours}");
        }
        for theirs in [
            "README.md",
            "docs/guide.md",
            "deploy.sh",
            "prod/tenants/data-prod/notes.txt",
            "prod/tenants/data-prod/README.yaml",
            "prod/tenants/data-prod/sub/namespace-x.yaml",
            "prod/tenants/Data/namespace-x.yaml",
            "prod/other/data-prod/namespace-x.yaml",
            "parent/root-dev.yaml",
            "applicationsets/dev.yml",
            "prod/tenants/data-prod/namespace-x.yaml.bak",
            "prod/tenants/manifest.yaml",
            "prod/tenants/data-prod/sub/manifest.yaml",
            "applicationsets/manifest.yaml.txt",
        ] {
            assert!(!is_layout_path(theirs), "{theirs}");
        }
    }

    #[test]
    fn only_plain_relative_paths_are_confined() {
        assert!(confined("prod/tenants/a/b.yaml").is_ok());
        for bad in [
            "",
            "/etc/passwd",
            "../x.yaml",
            "prod/../../x",
            "prod//x",
            "prod/./x",
            "prod/.git/x",
            "a\\b",
            "a\u{0}b",
            "a\nb",
        ] {
            assert!(confined(bad).is_err(), "{bad:?}");
        }
        assert!(confined(&"a".repeat(256)).is_err());
    }

    #[test]
    fn env_of_every_kind_of_path() {
        assert_eq!(
            env_of_path("prod/tenants/data-prod/namespace-data-prod.yaml"),
            Some("prod")
        );
        assert_eq!(env_of_path("applicationsets/dev.yaml"), Some("dev"));
        assert_eq!(env_of_path("parent/apps-root-local.yaml"), Some("local"));
        assert_eq!(env_of_path("README.md"), None);
    }
}
