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
        Self::read_dir_where(root, |_| true)
    }

    /// [`EstateFiles::read_dir`], reading only the input files whose relative path `wanted`
    /// accepts (a tenant slice does not read the other environments' megabytes). Every
    /// path is still walked and checked (symlinks out of the estate, unreadable folders).
    pub fn read_dir_where(
        root: &Path,
        wanted: impl Fn(&str) -> bool,
    ) -> Result<EstateFiles, Diagnostics> {
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
            .help("run inside an estate (its root or a folder below it), pass --root DIR, or create one with `gitops-render init`")
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
                if !entry.file_type().is_file() || !is_input_path(&rel) || !wanted(&rel) {
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

/// The text of the file at `path`, through [`read_bounded`]: a regular file's size is
/// checked before a byte is read, a device or FIFO is read through the bounded reader.
/// Every file lint, its configuration and its CRDs read comes through here.
pub fn read_path(path: &Path) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    read_bounded(file, meta.is_file().then_some(meta.len()))
}

/// Read at most [`MAX_FILE_BYTES`] of text from `from` (a file whose size `len` is known is
/// refused before a byte is read; a pipe, device or stdin is read through a bounded reader
/// and refused at the first byte past the limit), decoded as YAML reads a stream
/// ([`decode`]: UTF-8 with or without a byte-order mark, UTF-16, UTF-32).
pub fn read_bounded(from: impl std::io::Read, len: Option<u64>) -> Result<String, String> {
    use std::io::Read as _;
    let too_large = || format!("file is larger than the {} MiB limit", MAX_FILE_BYTES >> 20);
    if len.is_some_and(|l| l > MAX_FILE_BYTES as u64) {
        return Err(too_large());
    }
    // Sized from the file's length when known: an environment file of megabytes is read
    // into one buffer, which becomes its text without a copy (see [`decode`]).
    let mut bytes = Vec::with_capacity(len.map_or(0, |l| l as usize + 1));
    from.take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read file: {e}"))?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    decode(bytes)
}

/// A YAML file's text as YAML 1.2 reads a stream: UTF-8 with or without a byte-order
/// mark, or UTF-16 / UTF-32 (either byte order), told apart by the BOM or, without one, by
/// where the zero bytes of the first character fall (YAML's encoding detection; the first
/// character of a YAML stream is ASCII).
pub fn decode(bytes: Vec<u8>) -> Result<String, String> {
    enum Enc {
        Utf8,
        Utf16(bool),
        Utf32(bool),
    }
    let (enc, skip) = match bytes.as_slice() {
        [0, 0, 0xFE, 0xFF, ..] => (Enc::Utf32(true), 4),
        [0xFF, 0xFE, 0, 0, ..] => (Enc::Utf32(false), 4),
        [0xFE, 0xFF, ..] => (Enc::Utf16(true), 2),
        [0xFF, 0xFE, ..] => (Enc::Utf16(false), 2),
        [0xEF, 0xBB, 0xBF, ..] => (Enc::Utf8, 3),
        [0, 0, 0, a, ..] if *a != 0 => (Enc::Utf32(true), 0),
        [a, 0, 0, 0, ..] if *a != 0 => (Enc::Utf32(false), 0),
        [0, a, ..] if *a != 0 => (Enc::Utf16(true), 0),
        [a, 0, ..] if *a != 0 => (Enc::Utf16(false), 0),
        _ => (Enc::Utf8, 0),
    };
    let not_utf8 = |e: std::str::Utf8Error| {
        format!(
            "file is not UTF-8, UTF-16 or UTF-32 (byte {})",
            e.valid_up_to() + skip
        )
    };
    if let (Enc::Utf8, 0) = (&enc, skip) {
        return String::from_utf8(bytes).map_err(|e| not_utf8(e.utf8_error()));
    }
    let body = &bytes[skip..];
    let units = |width: usize| -> Result<(), String> {
        if body.len() % width == 0 {
            Ok(())
        } else {
            Err(format!(
                "file is UTF-{} but ends in half a character",
                width * 8
            ))
        }
    };
    match enc {
        Enc::Utf8 => std::str::from_utf8(body)
            .map(str::to_owned)
            .map_err(not_utf8),
        Enc::Utf16(be) => {
            units(2)?;
            let words = body.chunks_exact(2).map(|c| {
                if be {
                    u16::from_be_bytes([c[0], c[1]])
                } else {
                    u16::from_le_bytes([c[0], c[1]])
                }
            });
            char::decode_utf16(words)
                .collect::<Result<String, _>>()
                .map_err(|e| format!("file is not valid UTF-16: {e}"))
        }
        Enc::Utf32(be) => {
            units(4)?;
            body.chunks_exact(4)
                .map(|c| {
                    let n = if be {
                        u32::from_be_bytes([c[0], c[1], c[2], c[3]])
                    } else {
                        u32::from_le_bytes([c[0], c[1], c[2], c[3]])
                    };
                    char::from_u32(n).ok_or_else(|| format!("file is not valid UTF-32: {n:#x}"))
                })
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{decode, is_input_path};

    #[test]
    fn decodes_every_encoding_yaml_reads() {
        let text = "kind: ConfigMap # grüß\n";
        let utf16 = |be: bool, bom: bool| {
            let mut out: Vec<u8> = Vec::new();
            for w in std::iter::once(0xFEFF)
                .filter(|_| bom)
                .chain(text.encode_utf16())
            {
                out.extend(if be { w.to_be_bytes() } else { w.to_le_bytes() });
            }
            out
        };
        let utf32 = |be: bool, bom: bool| {
            let mut out: Vec<u8> = Vec::new();
            for c in std::iter::once('\u{FEFF}')
                .filter(|_| bom)
                .chain(text.chars())
            {
                let n = c as u32;
                out.extend(if be { n.to_be_bytes() } else { n.to_le_bytes() });
            }
            out
        };
        let mut bom8 = b"\xEF\xBB\xBF".to_vec();
        bom8.extend(text.as_bytes());
        for bytes in [
            text.as_bytes().to_vec(),
            bom8,
            utf16(true, true),
            utf16(false, true),
            utf16(true, false),
            utf16(false, false),
            utf32(true, true),
            utf32(false, true),
            utf32(true, false),
            utf32(false, false),
        ] {
            assert_eq!(decode(bytes.clone()).as_deref(), Ok(text), "{bytes:?}");
        }
        assert!(decode(b"kind: \xFF\n".to_vec())
            .expect_err("latin-1")
            .contains("not UTF-8"));
        assert!(decode(b"\xEF\xBB\xBFk: \xFF\n".to_vec())
            .expect_err("latin-1 after a BOM")
            .contains("(byte 6)"));
        assert!(decode(b"\xFF\xFEk\x00i".to_vec())
            .expect_err("odd length")
            .contains("half a character"));
    }

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
        assert_eq!(read_bounded(&b"\xFF\xFEa\0"[..], None).as_deref(), Ok("a"));
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
