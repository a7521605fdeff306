//! The estate as files in memory: path (relative to the root, `/`-separated) → text.
//!
//! Every later stage works from this map, so an estate read from disk and one read from a git
//! revision go through the same code.

use std::collections::BTreeMap;
use std::path::Path;

use walkdir::WalkDir;

use crate::diagnostic::{Diagnostic, Diagnostics};

use super::{Location, MAX_FILE_BYTES};

/// The input files of an estate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EstateFiles {
    pub files: BTreeMap<String, String>,
}

/// Does this relative path belong to the estate's inputs?
pub fn is_input_path(rel: &str) -> bool {
    let parts: Vec<&str> = rel.split('/').collect();
    if parts.iter().any(|p| p.starts_with('.')) {
        return false;
    }
    match parts.as_slice() {
        ["environments", file] => file.ends_with(".yaml") || file.ends_with(".yml"),
        ["policy-packs", rest @ ..] => {
            rest.last() == Some(&"pack.yaml")
                || (rest.contains(&"templates") || rest.contains(&"workflows"))
                    && rel.ends_with(".j2")
        }
        ["templates", .., last] => last.ends_with(".j2"),
        _ => false,
    }
}

impl EstateFiles {
    /// Read the inputs under `root` (`environments/`, `policy-packs/`, `templates/`), sorted.
    pub fn read_dir(root: &Path) -> Result<EstateFiles, Diagnostics> {
        let mut diags = Diagnostics::new();
        let mut files = BTreeMap::new();
        let envs = root.join("environments");
        let packs = root.join("policy-packs");
        if !envs.is_dir() || !packs.is_dir() {
            return Err(Diagnostic::error(
                "no-estate",
                format!(
                    "{} is not an estate: expected the folders environments/ and policy-packs/",
                    root.display()
                ),
            )
            .help("run from the estate's root or pass --root DIR")
            .into());
        }
        for top in ["environments", "policy-packs", "templates"] {
            let dir = root.join(top);
            if !dir.is_dir() {
                continue;
            }
            for entry in WalkDir::new(&dir).sort_by_file_name().follow_links(false) {
                let entry = match entry {
                    Ok(e) => e,
                    Err(e) => {
                        diags.push(Diagnostic::error(
                            "read-failed",
                            format!("cannot read {}: {e}", dir.display()),
                        ));
                        continue;
                    }
                };
                if !entry.file_type().is_file() {
                    continue;
                }
                let Ok(rel) = entry.path().strip_prefix(root) else {
                    continue;
                };
                let rel = rel.to_string_lossy().replace('\\', "/");
                if !is_input_path(&rel) {
                    continue;
                }
                match read_text(entry.path()) {
                    Ok(text) => {
                        files.insert(rel, text);
                    }
                    Err(msg) => diags
                        .push(Diagnostic::error("read-failed", msg).at(Location::file_only(rel))),
                }
            }
        }
        diags.into_result(EstateFiles { files })
    }
}

fn read_text(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read file: {e}"))?;
    if meta.len() > MAX_FILE_BYTES as u64 {
        return Err(format!(
            "file is larger than the {} MiB limit",
            MAX_FILE_BYTES >> 20
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read file: {e}"))?;
    String::from_utf8(bytes)
        .map_err(|e| format!("file is not UTF-8 (byte {})", e.utf8_error().valid_up_to()))
}

#[cfg(test)]
mod tests {
    use super::is_input_path;

    #[test]
    fn selects_input_files() {
        assert!(is_input_path("environments/prod.yaml"));
        assert!(is_input_path("policy-packs/platform/1.2.0/pack.yaml"));
        assert!(is_input_path(
            "policy-packs/platform/1.2.0/templates/tenant/namespace.yaml.j2"
        ));
        assert!(is_input_path(
            "policy-packs/platform/1.2.0/workflows/ci.yaml.j2"
        ));
        assert!(is_input_path("templates/tenant/namespace.yaml.j2"));
        assert!(!is_input_path("environments/README.md"));
        assert!(!is_input_path("environments/.hidden.yaml"));
        assert!(!is_input_path("policy-packs/platform/README.md"));
    }
}
