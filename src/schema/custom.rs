//! Schemas of custom resources a run is given: CustomResourceDefinitions (files or folders,
//! `--crd` / `lint.crds`) made strict as the built-in Argo CRDs are, and folders of JSON
//! Schemas in the layout the public CRD catalogs use (`{kind}_{version}.json`, or
//! `{group}/{kind}_{version}.json`; `--schema-dir` / `lint.schemaDirs`).

use std::collections::HashMap;
use std::path::Path;

use jsonschema::{Draft, Validator};
use serde_json::Value;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::source::{parse_documents, read_path};

/// Validators by (apiVersion, kind); for a catalog schema without its group, by
/// (`*/version`, kind in lower case).
#[derive(Default)]
pub struct Custom {
    by_kind: HashMap<(String, String), Validator>,
}

impl std::fmt::Debug for Custom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Custom({} schemas)", self.by_kind.len())
    }
}

impl Custom {
    /// The validator for `apiVersion`/`kind`, if one was given.
    pub fn validator(&self, api_version: &str, kind: &str) -> Option<&Validator> {
        self.by_kind
            .get(&(api_version.to_owned(), kind.to_owned()))
            .or_else(|| {
                self.by_kind
                    .get(&(api_version.to_owned(), kind.to_ascii_lowercase()))
            })
            .or_else(|| {
                let version = api_version.rsplit_once('/').map_or(api_version, |(_, v)| v);
                self.by_kind
                    .get(&(format!("*/{version}"), kind.to_ascii_lowercase()))
            })
    }

    pub fn is_empty(&self) -> bool {
        self.by_kind.is_empty()
    }

    /// Add the served versions of every CRD in `docs`.
    pub fn add_crds<'v>(
        &mut self,
        docs: impl IntoIterator<Item = &'v Value>,
    ) -> Result<(), String> {
        for doc in docs {
            if doc.get("kind").and_then(Value::as_str) != Some("CustomResourceDefinition") {
                continue;
            }
            for s in super::crd::from_crd(doc) {
                let validator = jsonschema::options()
                    .with_draft(Draft::Draft4)
                    .build(&s.schema)
                    .map_err(|e| {
                        format!(
                            "the schema of {} {} does not compile: {e}",
                            s.api_version(),
                            s.kind
                        )
                    })?;
                self.by_kind
                    .insert((s.api_version(), s.kind.clone()), validator);
            }
        }
        Ok(())
    }
}

fn read(path: &Path) -> Result<String, String> {
    read_path(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn files(path: &Path, ext: &[&str]) -> Vec<std::path::PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut out: Vec<_> = walkdir::WalkDir::new(path)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| ext.iter().any(|x| p.to_string_lossy().ends_with(x)))
        .collect();
    out.sort();
    out
}

/// Load CRD files/folders `crds` and JSON Schema folders `dirs`. A path that is missing or a
/// file that does not read is an error (exit 2): a schema asked for and not applied would
/// pass every custom resource.
pub fn load(crds: &[String], dirs: &[String]) -> Result<Custom, Diagnostics> {
    let mut custom = Custom::default();
    let fail = |msg: String| Diagnostics::from(Diagnostic::error("invalid-schema", msg));
    for p in crds {
        let path = Path::new(p);
        if !path.exists() {
            return Err(fail(format!("--crd {p}: no such file or directory")));
        }
        for file in files(path, &[".yaml", ".yml", ".json"]) {
            let text = read(&file).map_err(fail)?;
            let docs = parse_documents(&text).map_err(|e| {
                fail(format!(
                    "{}:{}:{}: {}",
                    file.display(),
                    e.pos.line,
                    e.pos.col,
                    e.message
                ))
            })?;
            custom
                .add_crds(docs.iter().map(|(_, d)| d))
                .map_err(|e| fail(format!("{}: {e}", file.display())))?;
        }
    }
    for d in dirs {
        let dir = Path::new(d);
        if !dir.is_dir() {
            return Err(fail(format!("--schema-dir {d}: not a folder")));
        }
        for file in files(dir, &[".json"]) {
            let rel = file
                .strip_prefix(dir)
                .unwrap_or(&file)
                .to_string_lossy()
                .replace('\\', "/");
            let Some(key) = catalog_key(&rel) else {
                continue;
            };
            let text = read(&file).map_err(fail)?;
            let schema: Value = serde_json::from_str(&text)
                .map_err(|e| fail(format!("{}: not JSON: {e}", file.display())))?;
            let validator = jsonschema::validator_for(&schema).map_err(|e| {
                fail(format!(
                    "{}: the schema does not compile: {e}",
                    file.display()
                ))
            })?;
            custom.by_kind.insert(key, validator);
        }
    }
    Ok(custom)
}

/// The (apiVersion, kind) key of a catalog file: `cert-manager.io/certificate_v1.json` is
/// (`cert-manager.io/v1`, `certificate`); `certificate_v1.json` is (`*/v1`, `certificate`).
/// Catalogs write kinds in lower case: lookups of a group's file compare in lower case too.
fn catalog_key(rel: &str) -> Option<(String, String)> {
    let (group, file) = match rel.rsplit_once('/') {
        Some((g, f)) => (Some(g), f),
        None => (None, rel),
    };
    let stem = file.strip_suffix(".json")?;
    let (kind, version) = stem.rsplit_once('_')?;
    let kind = kind.to_ascii_lowercase();
    Some(match group {
        Some(g) => (format!("{g}/{version}"), kind),
        None => (format!("*/{version}"), kind),
    })
}

#[cfg(test)]
mod tests {
    use super::catalog_key;

    #[test]
    fn reads_the_catalog_layout() {
        assert_eq!(
            catalog_key("cert-manager.io/certificate_v1.json"),
            Some(("cert-manager.io/v1".into(), "certificate".into()))
        );
        assert_eq!(
            catalog_key("certificate_v1.json"),
            Some(("*/v1".into(), "certificate".into()))
        );
        assert_eq!(catalog_key("README.md"), None);
    }
}
