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
    }
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
