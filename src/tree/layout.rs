//! ManifestSet → Tree: one object per file at a path derived only from DNS-1123 names, each
//! file the generated header followed by canonical YAML.

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::manifest::{header, write_canonical_yaml, Manifest, ManifestSet, Placement};

use super::{Scope, Tree};

/// The path of a manifest in the tree. Names were checked to be DNS-1123 when rendered, so
/// no input can produce `..` or an absolute path.
pub fn path_for(m: &Manifest) -> String {
    let file = || format!("{}-{}.yaml", m.id.kind.to_ascii_lowercase(), m.id.name);
    match &m.placement {
        Placement::Tenant { env, namespace } => format!("{env}/tenants/{namespace}/{}", file()),
        Placement::Workflows { env, namespace } => {
            format!("{env}/workflows/{namespace}/{}", file())
        }
        Placement::ApplicationSet { env } => format!("applicationsets/{env}.yaml"),
        Placement::Root { env } => format!("parent/apps-root-{env}.yaml"),
        Placement::Project { env } => format!("projects/{env}.yaml"),
        Placement::Argo { env } => format!("{env}/argocd/{}", file()),
        Placement::Backstage { env, namespace } => {
            format!("{env}/backstage/{namespace}/{}", file())
        }
    }
}

/// Is `rel` a path the layout can give an object: `parent/apps-root-<env>.yaml`,
/// `applicationsets/<env>.yaml`, `projects/<env>.yaml`, or
/// `<env>/{tenants,workflows,backstage}/<namespace>/<kind>-<name>.yaml` or `<env>/argocd/<kind>-<name>.yaml`,
/// every part in its grammar? Only such a path can hold a file the tool owns: a file with
/// the generated header anywhere else (a README quoting it) is never pruned.
pub fn is_layout_path(rel: &str) -> bool {
    use crate::model::{is_dns1123_label, is_dns1123_subdomain};
    let object_file = |file: &str| {
        file.strip_suffix(".yaml")
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

/// One manifest as a file: its path and its bytes (the generated header, then canonical YAML).
pub fn file_for(m: &Manifest) -> (String, Vec<u8>) {
    thread_local! {
        /// Written into a reused buffer and copied out at its exact size: growing a fresh
        /// string per file reallocates it several times.
        static SCRATCH: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    let bytes = SCRATCH.with_borrow_mut(|text| {
        text.clear();
        text.push_str(&header(&m.inputs));
        write_canonical_yaml(text, &m.value);
        text.as_bytes().to_vec()
    });
    (path_for(m), bytes)
}

/// Lay out every manifest; two objects at one path is an error.
pub fn layout(set: &ManifestSet, scope: Scope) -> Result<Tree, Diagnostics> {
    collect(set.manifests.par_iter().map(file_for).collect(), scope)
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
