//! The documents of template outputs, by their text. The memo keeps a template's output per
//! the values it reads; a template that reads something of every tenant (its namespace, its
//! owners' groups) is rendered for each, yet most of what it writes can be the same for all:
//! the `rbac` template's ServiceAccount and Roles are, its RoleBindings (whose subjects are
//! the tenant's groups) are not. Each document of such an output is looked up by its text:
//! one written before is parsed once and shared, an object stamped from it has it as its
//! lineage (its text, lint's verdict and cut, [`crate::manifest::Lineage`]), and only the
//! documents that differ are parsed again.
//!
//! Sound because a document's value is a function of its text: an output is split where a
//! YAML reader starts a document (`---` at the left margin), each piece read on its own,
//! and the documents are those of the whole text. An output with a directive (`%`), which
//! belongs to the document after it, is read whole; so is one in which any piece does not
//! read, so that an error is the whole text's, at its line. Every debug build (the tests)
//! checks the documents against a reading of the whole text.
//!
//! Bounded per engine (a batch of tenants): a text is held the second time it is seen (the
//! first only notes its hash), at most [`MAX_BYTES`] of them.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;
use xxhash_rust::xxh3::xxh3_64;

use crate::manifest::Original;
use crate::source::{document_pieces, parse_documents, YamlError};

/// Text of the held documents, in all.
const MAX_BYTES: usize = 4 << 20;
/// Hashes of texts seen once.
const MAX_SEEN: usize = 1 << 16;

/// Documents held by their text, for one engine.
#[derive(Default)]
pub struct Pieces(Mutex<Table>);

/// A held document and its text.
type Held = (Box<str>, Arc<Original>);

#[derive(Default)]
struct Table {
    held: HashMap<u64, Vec<Held>>,
    seen: HashSet<u64>,
    bytes: usize,
}

/// One document of an output, and whether it is held (others may be stamped from it).
pub struct Piece {
    pub original: Arc<Original>,
    pub held: bool,
}

impl Pieces {
    /// The documents of `text`, as [`parse_documents`] reads them; each one whose text was
    /// seen before is the one held.
    pub fn parse(&self, text: &str) -> Result<Vec<Piece>, YamlError> {
        let whole = || -> Result<Vec<Piece>, YamlError> {
            Ok(parse_documents(text)?
                .into_iter()
                .map(|(_, value)| own(value))
                .collect())
        };
        if has_directive(text) {
            return whole();
        }
        let pieces = document_pieces(text);
        let mut out = Vec::with_capacity(pieces.len());
        for piece in &pieces {
            let hash = xxh3_64(piece.text.as_bytes());
            if let Some(original) = self.held(hash, piece.text) {
                out.push(Piece {
                    original,
                    held: true,
                });
                continue;
            }
            let Ok(mut docs) = parse_documents(piece.text) else {
                return whole();
            };
            if docs.len() != 1 {
                out.extend(docs.into_iter().map(|(_, value)| own(value)));
                continue;
            }
            let (_, value) = docs.remove(0);
            let original = Arc::new(Original::new(value));
            let held = self.offer(hash, piece.text, &original);
            out.push(Piece { original, held });
        }
        debug_assert_eq!(
            out.iter().map(|p| p.original.value()).collect::<Vec<_>>(),
            parse_documents(text)
                .expect("the pieces read")
                .iter()
                .map(|(_, v)| v)
                .collect::<Vec<_>>(),
            "the documents of the pieces are those of the whole text"
        );
        Ok(out)
    }

    fn held(&self, hash: u64, text: &str) -> Option<Arc<Original>> {
        let table = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let list = table.held.get(&hash)?;
        list.iter()
            .find(|(held, _)| &**held == text)
            .map(|(_, original)| Arc::clone(original))
    }

    /// Hold `original` under `text` if the text was seen before and there is room; else note
    /// its hash. Whether it is held.
    fn offer(&self, hash: u64, text: &str, original: &Arc<Original>) -> bool {
        let mut table = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let table = &mut *table;
        if !table.seen.contains(&hash) {
            if table.seen.len() < MAX_SEEN {
                table.seen.insert(hash);
            }
            return false;
        }
        if table.bytes + text.len() > MAX_BYTES {
            return false;
        }
        let list = table.held.entry(hash).or_default();
        // Another thread may have held the same text meanwhile: this one stays its own.
        if list.iter().any(|(held, _)| &**held == text) {
            return false;
        }
        table.bytes += text.len();
        list.push((text.into(), Arc::clone(original)));
        true
    }
}

fn own(value: Value) -> Piece {
    Piece {
        original: Arc::new(Original::new(value)),
        held: false,
    }
}

/// Whether a line of `text` starts with `%` (a directive, or a scalar's line that a reader
/// could take for one).
fn has_directive(text: &str) -> bool {
    text.starts_with('%') || text.contains("\n%")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pieces: &[Piece]) -> Vec<Value> {
        pieces.iter().map(|p| p.original.value().clone()).collect()
    }

    fn whole(text: &str) -> Result<Vec<Value>, String> {
        parse_documents(text)
            .map(|docs| docs.into_iter().map(|(_, v)| v).collect())
            .map_err(|e| e.to_string())
    }

    /// Texts read piece by piece give the documents, or the error, of the whole text:
    /// comments and empty documents between markers, a marker with content after it, an
    /// end marker, a directive, a block scalar, a piece that does not read.
    #[test]
    fn the_documents_are_those_of_the_whole_text() {
        let texts = [
            "a: 1\n---\nb: 2\n---\nb: 2\n",
            "# only a comment\n---\nkind: A\n---\n---\n# nothing\n---\nkind: B\n",
            "kind: A\n--- {kind: B}\n---\nkind: C\n...\n---\nkind: D\n",
            "%YAML 1.2\n---\nkind: A\n---\nkind: B\n",
            "script: |\n  echo a\n  echo b\n---\nscript: |\n  echo a\n  echo b\n",
            "kind: A\n---\nkind: [B\n---\nkind: C\n",
            "kind: A\n---\nkind: B\n  bad: indent\n",
            "- 1\n- 2\n---\nplain scalar\n---\n",
        ];
        let pieces = Pieces::default();
        for round in 0..3 {
            for text in texts {
                let got = pieces
                    .parse(text)
                    .map(|p| values(&p))
                    .map_err(|e| e.to_string());
                assert_eq!(got, whole(text), "round {round}: {text:?}");
            }
        }
    }

    /// A document's text is held the second time it is seen: from then on its readings are
    /// the same document. One character more is another text.
    #[test]
    fn a_document_seen_again_is_the_one_held() {
        let pieces = Pieces::default();
        let text = |subject: &str| {
            format!("kind: Role\nrules: [{{verbs: [get]}}]\n---\nkind: RoleBinding\nsubjects: [{subject}]\n")
        };
        let first = pieces.parse(&text("a")).expect("reads");
        assert!(first.iter().all(|p| !p.held), "seen once: nothing held");
        let second = pieces.parse(&text("b")).expect("reads");
        let third = pieces.parse(&text("c")).expect("reads");
        // The first piece is the Role's (no marker before it), the same each time.
        assert!(second[0].held && third[0].held);
        assert!(Arc::ptr_eq(&second[0].original, &third[0].original));
        assert!(!Arc::ptr_eq(&first[0].original, &second[0].original));
        // Each tenant's binding is its own.
        assert!(!second[1].held && !third[1].held);
        let other = pieces
            .parse("kind: Role\nrules: [{verbs: [list]}]\n---\nkind: RoleBinding\nsubjects: [c]\n")
            .expect("reads");
        assert!(!other[0].held);
        assert_eq!(values(&third), whole(&text("c")).expect("reads"));
    }

    /// At most `MAX_BYTES` of text are held.
    #[test]
    fn what_is_held_is_bounded() {
        let pieces = Pieces::default();
        let big = "x".repeat(256 << 10);
        for i in 0..2 * (MAX_BYTES / big.len()) + 4 {
            let text = format!("a: {i}\n---\nb: {big}{i}\n");
            pieces.parse(&text).expect("reads");
            pieces.parse(&text).expect("reads");
        }
        let table = pieces.0.lock().expect("not poisoned");
        assert!(table.bytes <= MAX_BYTES);
        assert!(table.bytes >= MAX_BYTES - 2 * (big.len() + 32));
    }
}
