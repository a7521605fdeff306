//! Sources: the text of every input file, kept after parsing so that any later stage can
//! point a user at `file:line:col`.
//!
//! This is the only module that names a YAML crate (`yaml` parses values with serde_yaml,
//! `spans` finds positions with yaml-rust2), so that replacing the archived serde_yaml touches
//! one place. `subset` reads the common block-YAML subset fast and hands everything else to
//! serde_yaml. Positions are found lazily: a file's span index is built the first time a
//! diagnostic or `explain` asks for a position in it, so clean runs pay nothing for spans.

mod files;
mod git;
mod paths;
mod spans;
mod subset;
mod yaml;

use std::fmt;
use std::sync::OnceLock;

pub use files::{decode, is_input_path, read_bounded, read_path, EstateFiles};
pub use paths::PathList;
pub use spans::{ambiguous_plain_scalars, NodeSpan, Pos, SpanIndex};
pub use subset::read as read_subset;
pub(crate) use yaml::document_pieces;
pub use yaml::{
    parse_documents, parse_documents_apart, parse_documents_libyaml, parse_single, YamlError,
    MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES,
};

/// Index of a file in [`Sources`]; cheap to copy into provenance records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(u32);

impl SourceId {
    /// The id of the `i`th file added.
    pub fn nth(i: usize) -> SourceId {
        SourceId(u32::try_from(i).unwrap_or(u32::MAX))
    }

    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// One input file as [`Sources::get`] lends it: its display path (relative to the estate
/// root, `/`-separated) and its text (empty once dropped, see [`Sources::forget_text`]).
#[derive(Clone, Copy, Debug)]
pub struct SourceFile<'a> {
    pub path: &'a str,
    pub text: &'a str,
    held: Option<&'a Held>,
}

/// A file's text, and what is read from all of it, on first use.
#[derive(Debug)]
struct Held {
    text: String,
    spans: OnceLock<SpanIndex>,
    /// Whether the file holds a Secret ([`holds_secret`]): asked for each finding shown,
    /// and a file-per-app file of ~17 KiB holds ten objects' findings.
    secret: OnceLock<bool>,
}

/// The index of a file without text: it finds nothing, so positions fall back to line 1.
static NO_SPANS: SpanIndex = SpanIndex::EMPTY;

impl<'a> SourceFile<'a> {
    /// The span index of the file, built on first use.
    pub fn spans(&self) -> &'a SpanIndex {
        match self.held {
            Some(held) => held.spans.get_or_init(|| SpanIndex::build(&held.text)),
            None => &NO_SPANS,
        }
    }

    /// The text of 1-based line `line`, without its line break.
    pub fn line_text(&self, line: usize) -> Option<&'a str> {
        self.text.lines().nth(line.checked_sub(1)?)
    }

    /// Line `line` as a report may show it: in a file that holds a Secret, every value but
    /// an object's identity is redacted, whatever the finding (a duplicate key under `data`,
    /// flow-style `stringData` on the line a schema error points at).
    pub fn shown_line(&self, line: usize) -> Option<String> {
        let text = self.line_text(line)?;
        let secret = self
            .held
            .is_some_and(|held| *held.secret.get_or_init(|| holds_secret(&held.text)));
        if !secret {
            return Some(text.to_owned());
        }
        // Only the lines of the Secret's own document.
        let in_secret = yaml::document_pieces(self.text)
            .into_iter()
            .rfind(|p| p.line < line)
            .is_some_and(|p| holds_secret(p.text));
        Some(if in_secret {
            redact_line(text)
        } else {
            text.to_owned()
        })
    }
}

/// Does a file's text hold a Secret (a `kind: Secret` line)?
fn holds_secret(text: &str) -> bool {
    // Located findings ask for every line shown: most files have no `Secret` at all.
    if !text.contains("Secret") {
        return false;
    }
    text.lines().any(|l| {
        let l = l.trim();
        l.strip_prefix("kind:")
            .map(|k| k.trim().trim_matches(['"', '\'']))
            .is_some_and(|k| k == "Secret")
            || l.contains("kind: Secret,")
            || l.contains("kind: Secret}")
    })
}

/// A line with its value replaced by `<redacted>` unless it is an identity key.
fn redact_line(line: &str) -> String {
    const SAFE: [&str; 7] = [
        "apiVersion",
        "kind",
        "name",
        "namespace",
        "generateName",
        "type",
        "metadata",
    ];
    let indent = line.len() - line.trim_start().len();
    let body = &line[indent..];
    let (marker, body) = match body.strip_prefix("- ") {
        Some(rest) => ("- ", rest),
        None => ("", body),
    };
    match body.split_once(':') {
        Some((key, value)) if !value.trim().is_empty() => {
            let bare = key.trim().trim_matches(['"', '\'']);
            if SAFE.contains(&bare) && !value.contains('{') {
                line.to_owned()
            } else {
                format!("{}{marker}{key}: <redacted>", &line[..indent])
            }
        }
        Some(_) => line.to_owned(),
        None if body.trim().is_empty() || body.trim_start().starts_with('#') => line.to_owned(),
        None => format!("{}{marker}<redacted>", &line[..indent]),
    }
}

/// Is the field at `pointer` of an object of `kind` one of a Secret's values?
pub fn is_secret_value(kind: &str, pointer: &str) -> bool {
    kind == "Secret" && (pointer.starts_with("/data") || pointer.starts_with("/stringData"))
}

/// Every file read for one run, addressed by [`SourceId`].
///
/// A lint holds every file of a tree to its end (~200,000 in one environment's stream at
/// N = 10,000), almost all of them without text once judged: per file this keeps where its
/// path is in a shared buffer and an empty slot, 20 bytes over the path's own, where a
/// `String` path and text cost 48 and an allocation.
#[derive(Debug, Default)]
pub struct Sources {
    paths: PathList,
    /// Per file: its text, `None` once dropped (or when it had none).
    held: Vec<Option<Box<Held>>>,
}

/// A file's text in a slot: none for an empty text.
fn hold(text: String) -> Option<Box<Held>> {
    (!text.is_empty()).then(|| {
        Box::new(Held {
            text,
            spans: OnceLock::new(),
            secret: OnceLock::new(),
        })
    })
}

/// Which part of a mapping entry a location should point at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The key (`tierr:` in an unknown-key error).
    Key,
    /// The value (`medium` in a wrong-value error).
    Value,
}

impl Sources {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, path: impl AsRef<str>, text: impl Into<String>) -> SourceId {
        let id = SourceId::nth(self.held.len());
        self.paths.push(path.as_ref());
        self.held.push(hold(text.into()));
        id
    }

    /// Every file's path, in the order added, as they are kept (the texts are dropped).
    pub fn into_paths(self) -> PathList {
        self.paths
    }

    /// Drop a file's text (and span index) to save memory; [`Sources::restore_text`] puts
    /// it back when a position in the file is needed after all.
    pub fn forget_text(&mut self, id: SourceId) {
        self.take_text(id);
    }

    /// Move a file's text out (see [`Sources::forget_text`]).
    pub fn take_text(&mut self, id: SourceId) -> String {
        self.held[id.index()]
            .take()
            .map(|h| h.text)
            .unwrap_or_default()
    }

    pub fn restore_text(&mut self, id: SourceId, text: String) {
        self.held[id.index()] = hold(text);
    }

    /// Move every file of `other` in after the files here; `other`'s ids shift by the
    /// returned offset.
    pub fn append(&mut self, other: Sources) -> usize {
        let offset = self.len();
        for i in 0..other.len() {
            self.paths.push(other.paths.get(i));
        }
        self.held.extend(other.held);
        offset
    }

    /// Make room for `files` files in all.
    pub fn reserve(&mut self, files: usize) {
        let more = files.saturating_sub(self.len());
        self.held.reserve_exact(more);
        self.paths.reserve(more);
    }

    pub fn len(&self) -> usize {
        self.held.len()
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    pub fn get(&self, id: SourceId) -> SourceFile<'_> {
        let held = self.held[id.index()].as_deref();
        SourceFile {
            path: self.paths.get(id.index()),
            text: held.map_or("", |h| &h.text),
            held,
        }
    }

    pub fn path(&self, id: SourceId) -> &str {
        self.paths.get(id.index())
    }

    /// Where JSON pointer `pointer` of document `doc` is in file `id`. Falls back to the
    /// nearest ancestor that exists (a missing required key points at its parent mapping).
    pub fn locate(&self, id: SourceId, doc: usize, pointer: &str, target: Target) -> Location {
        let file = self.get(id);
        let pos = file
            .spans()
            .find(doc, pointer, target)
            .unwrap_or(Pos { line: 1, col: 1 });
        self.location_at(id, pos)
    }

    /// A location at a known line and column of file `id`.
    pub fn location_at(&self, id: SourceId, pos: Pos) -> Location {
        let file = self.get(id);
        Location {
            file: file.path.to_owned(),
            line: pos.line,
            col: pos.col,
            line_text: file.shown_line(pos.line),
        }
    }
}

/// A point in a file, with the text of its line for the snippet under a diagnostic.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub line_text: Option<String>,
}

impl Location {
    /// A location with no snippet (e.g. a file that could not be read at all).
    pub fn file_only(file: impl Into<String>) -> Self {
        Location {
            file: file.into(),
            line: 1,
            col: 1,
            line_text: None,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// Append one JSON-pointer segment, escaping `~` and `/` as RFC 6901 requires.
pub fn pointer_push(base: &str, segment: &str) -> String {
    let mut out = String::with_capacity(base.len() + segment.len() + 1);
    out.push_str(base);
    out.push('/');
    for c in segment.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
    out
}

/// Split a JSON pointer into unescaped segments.
pub fn pointer_segments(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Within a file holding a Secret, the Secret's lines are redacted and the other
    /// documents' are not, for every line asked (whether it holds one is judged once per
    /// file); a file without a Secret shows every line, and one whose text was dropped none.
    #[test]
    fn a_secrets_lines_are_redacted_for_every_line_asked_of_its_file() {
        let mut sources = Sources::new();
        let with = sources.add(
            "dev/a/manifest.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  level: debug\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: hunter2\n",
        );
        let without = sources.add(
            "dev/b/manifest.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: imagePullSecrets\ndata:\n  password: shown\n",
        );
        for _ in 0..2 {
            let file = sources.get(without);
            assert_eq!(file.shown_line(6).as_deref(), Some("  password: shown"));
            let file = sources.get(with);
            assert_eq!(file.shown_line(6).as_deref(), Some("  level: debug"));
            assert_eq!(file.shown_line(11).as_deref(), Some("  name: db"));
            assert_eq!(
                file.shown_line(13).as_deref(),
                Some("  password: <redacted>")
            );
        }
        sources.forget_text(with);
        assert_eq!(sources.get(with).shown_line(6), None);
    }
}
