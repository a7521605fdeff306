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
        ["workflows", "custom", _, last] => last.ends_with(".yaml.j2"),
        _ => false,
    }
}

impl EstateFiles {
    /// Read the inputs under `root` (`environments/`, `policy-packs/`, `templates/`,
    /// `workflows/custom/`), sorted.
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
        // Symlinks are followed only to targets inside the estate: a link to a shared
        // file of the same repository works, a link out of it (`/etc/passwd`, another
        // checkout) is an error naming the link, never a silently missing input.
        let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        for top in ["environments", "policy-packs", "templates", "workflows"] {
            let dir = root.join(top);
            if !dir.is_dir() {
                continue;
            }
            let mut walk = WalkDir::new(&dir)
                .sort_by_file_name()
                .follow_links(true)
                .into_iter();
            while let Some(entry) = walk.next() {
                let entry = match entry {
                    Ok(e) => e,
                    Err(e) => {
                        let at = e
                            .path()
                            .and_then(|p| p.strip_prefix(root).ok())
                            .map(|p| p.to_string_lossy().replace('\\', "/"));
                        let mut d = Diagnostic::error(
                            "read-failed",
                            format!("cannot read {}: {e}", dir.display()),
                        );
                        if let Some(at) = at {
                            d = d.at(Location::file_only(at));
                        }
                        diags.push(d);
                        continue;
                    }
                };
                let Ok(rel) = entry.path().strip_prefix(root) else {
                    continue;
                };
                let rel = rel.to_string_lossy().replace('\\', "/");
                if rel.split('/').any(|p| p.starts_with('.')) {
                    if entry.file_type().is_dir() {
                        walk.skip_current_dir();
                    }
                    continue;
                }
                if entry.path_is_symlink() {
                    let inside = entry
                        .path()
                        .canonicalize()
                        .is_ok_and(|t| t.starts_with(&canonical_root));
                    if !inside {
                        diags.push(
                            Diagnostic::error(
                                "symlink-outside-estate",
                                format!(
                                    "{rel} is a symlink to {}, outside the estate",
                                    std::fs::read_link(entry.path())
                                        .map(|t| t.display().to_string())
                                        .unwrap_or_else(|_| "?".into())
                                ),
                            )
                            .at(Location::file_only(rel))
                            .help(
                                "inputs may link only to files inside the estate; copy the file in",
                            ),
                        );
                        if entry.file_type().is_dir() {
                            walk.skip_current_dir();
                        }
                        continue;
                    }
                }
                if !entry.file_type().is_file() || !is_input_path(&rel) {
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
    if !meta.is_file() {
        return Err("not a regular file".to_owned());
    }
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read file: {e}"))?;
    read_bounded(file, Some(meta.len()))
}

/// Read at most [`MAX_FILE_BYTES`] of UTF-8 text from `from` (a file whose size `len` is
/// known is refused before a byte is read; a pipe, device or stdin is read through a
/// bounded reader and refused at the first byte past the limit). A UTF-8 byte-order mark
/// is dropped, as Kubernetes' reader drops it.
pub fn read_bounded(from: impl std::io::Read, len: Option<u64>) -> Result<String, String> {
    use std::io::Read as _;
    let too_large = || format!("file is larger than the {} MiB limit", MAX_FILE_BYTES >> 20);
    if len.is_some_and(|l| l > MAX_FILE_BYTES as u64) {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    from.take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read file: {e}"))?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    match std::str::from_utf8(body) {
        Ok(text) => Ok(text.to_owned()),
        Err(e) => Err(
            if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
                "file is UTF-16; save it as UTF-8".to_owned()
            } else {
                format!("file is not UTF-8 (byte {})", e.valid_up_to())
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::is_input_path;

    #[test]
    fn reads_are_bounded_and_a_bom_is_dropped() {
        use super::read_bounded;
        use crate::source::MAX_FILE_BYTES;
        assert_eq!(
            read_bounded(&b"\xEF\xBB\xBFa: b\n"[..], None).as_deref(),
            Ok("a: b\n")
        );
        let endless = std::io::repeat(b'a');
        assert!(read_bounded(endless, None)
            .expect_err("endless")
            .contains("larger than"));
        assert!(read_bounded(&b""[..], Some(MAX_FILE_BYTES as u64 + 1)).is_err());
        assert!(read_bounded(&b"\xFF\xFEa\0"[..], None)
            .expect_err("utf-16")
            .contains("UTF-16"));
    }

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
