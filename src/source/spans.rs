//! Positions of YAML nodes by JSON pointer, from yaml-rust2's marked events.
//!
//! serde_yaml yields values without positions, so diagnostics that start from a JSON pointer
//! (schema violations, overlay provenance) come here to find the line and column. The index
//! is built only for files that need it.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::{pointer_push, Target};

/// A 1-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

impl From<Marker> for Pos {
    fn from(m: Marker) -> Self {
        // yaml-rust2 marks lines from 1 and columns from 0.
        Pos {
            line: m.line(),
            col: m.col() + 1,
        }
    }
}

/// Where a node is: its key (for mapping entries) and its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeSpan {
    pub key: Option<Pos>,
    pub value: Pos,
}

/// JSON pointer → span, per document of a file.
#[derive(Debug, Default)]
pub struct SpanIndex {
    docs: Vec<HashMap<String, NodeSpan>>,
    /// Keys seen twice in one mapping: (document, pointer, position of the second key).
    pub duplicates: Vec<(usize, String, Pos)>,
}

impl SpanIndex {
    /// An index of nothing (a file without text).
    pub const EMPTY: SpanIndex = SpanIndex {
        docs: Vec::new(),
        duplicates: Vec::new(),
    };

    /// Index every node of every document. A file that does not parse indexes what was read
    /// before the error; callers fall back to the nearest known ancestor.
    pub fn build(text: &str) -> Self {
        let mut recv = Receiver::default();
        let mut parser = Parser::new_from_str(text);
        let broken = parser.load(&mut recv, true).is_err();
        if !recv.current.is_empty() {
            recv.docs.push(std::mem::take(&mut recv.current));
        }
        if broken {
            return Self::build_apart(text);
        }
        SpanIndex {
            docs: recv.docs,
            duplicates: recv.duplicates,
        }
    }

    /// A file with a broken document: each document indexed on its own (as lint reads
    /// them), so the documents after the broken one keep their positions.
    fn build_apart(text: &str) -> Self {
        let mut out = SpanIndex::default();
        let shift = |p: Pos, by: usize| Pos {
            line: p.line + by,
            col: p.col,
        };
        for (doc, piece) in super::yaml::document_pieces(text).into_iter().enumerate() {
            let mut recv = Receiver::default();
            let _ = Parser::new_from_str(piece.text).load(&mut recv, true);
            if !recv.current.is_empty() {
                recv.docs.push(std::mem::take(&mut recv.current));
            }
            let map = recv.docs.into_iter().next().unwrap_or_default();
            out.docs.push(
                map.into_iter()
                    .map(|(k, s)| {
                        let span = NodeSpan {
                            key: s.key.map(|p| shift(p, piece.line)),
                            value: shift(s.value, piece.line),
                        };
                        (k, span)
                    })
                    .collect(),
            );
            out.duplicates.extend(
                recv.duplicates
                    .into_iter()
                    .map(|(_, ptr, p)| (doc, ptr, shift(p, piece.line))),
            );
        }
        out
    }

    /// The position of `pointer` in document `doc`, or of its nearest indexed ancestor.
    pub fn find(&self, doc: usize, pointer: &str, target: Target) -> Option<Pos> {
        let map = self.docs.get(doc)?;
        if pointer.is_empty() {
            // A block mapping's start mark is not where people look: use its first key.
            let first_key = map
                .iter()
                .filter(|(p, _)| p.len() > 1 && !p[1..].contains('/'))
                .filter_map(|(_, s)| s.key)
                .min();
            if let Some(k) = first_key {
                return Some(k);
            }
        }
        let mut p = pointer;
        loop {
            if let Some(span) = map.get(p) {
                return Some(match target {
                    Target::Key => span.key.unwrap_or(span.value),
                    Target::Value => span.value,
                });
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return None,
            }
        }
    }

    /// The span of exactly `pointer`, if indexed.
    pub fn get(&self, doc: usize, pointer: &str) -> Option<NodeSpan> {
        self.docs.get(doc)?.get(pointer).copied()
    }

    pub fn document_count(&self) -> usize {
        self.docs.len()
    }
}

enum Frame {
    Map {
        pointer: String,
        key: Option<(String, Marker)>,
    },
    Seq {
        pointer: String,
        next: usize,
    },
    /// A complex (non-scalar) mapping key: its events are skipped.
    SkipKey {
        depth: usize,
    },
}

#[derive(Default)]
struct Receiver {
    /// The pointer of the node placed last (for callers that watch events).
    last: Option<String>,
    docs: Vec<HashMap<String, NodeSpan>>,
    duplicates: Vec<(usize, String, Pos)>,
    current: HashMap<String, NodeSpan>,
    stack: Vec<Frame>,
}

impl Receiver {
    /// Decide the pointer of a node starting at `mark`; `None` when it is a mapping key.
    fn place(
        &mut self,
        mark: Marker,
        scalar_key: Option<&str>,
        is_collection: bool,
    ) -> Option<String> {
        match self.stack.last_mut() {
            None => {
                self.current.insert(
                    String::new(),
                    NodeSpan {
                        key: None,
                        value: mark.into(),
                    },
                );
                self.last = Some(String::new());
                Some(String::new())
            }
            Some(Frame::SkipKey { depth }) => {
                if is_collection {
                    *depth += 1;
                }
                None
            }
            Some(Frame::Seq { pointer, next }) => {
                let p = pointer_push(pointer, &next.to_string());
                *next += 1;
                self.current.insert(
                    p.clone(),
                    NodeSpan {
                        key: None,
                        value: mark.into(),
                    },
                );
                self.last = Some(p.clone());
                Some(p)
            }
            Some(Frame::Map { pointer, key }) => match key.take() {
                Some((k, kmark)) => {
                    let p = pointer_push(pointer, &k);
                    if self.current.contains_key(&p) {
                        self.duplicates
                            .push((self.docs.len(), p.clone(), kmark.into()));
                    }
                    self.current.insert(
                        p.clone(),
                        NodeSpan {
                            key: Some(kmark.into()),
                            value: mark.into(),
                        },
                    );
                    self.last = Some(p.clone());
                    Some(p)
                }
                None => {
                    match scalar_key {
                        Some(k) => *key = Some((k.to_owned(), mark)),
                        None => self.stack.push(Frame::SkipKey { depth: 1 }),
                    }
                    None
                }
            },
        }
    }

    fn end_collection(&mut self, mark: Marker) {
        if let Some(Frame::SkipKey { depth }) = self.stack.last_mut() {
            *depth -= 1;
            if *depth == 0 {
                self.stack.pop();
                if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
                    *key = Some(("<complex key>".to_owned(), mark));
                }
            }
            return;
        }
        self.stack.pop();
    }
}

impl MarkedEventReceiver for Receiver {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(value, ..) => {
                self.place(mark, Some(&value), false);
            }
            Event::Alias(_) => {
                self.place(mark, Some("<alias>"), false);
            }
            Event::MappingStart(..) => {
                let skipping = matches!(self.stack.last(), Some(Frame::SkipKey { .. }));
                match self.place(mark, None, true) {
                    Some(pointer) => self.stack.push(Frame::Map { pointer, key: None }),
                    None if skipping => {}
                    None => {}
                }
            }
            Event::SequenceStart(..) => {
                if let Some(pointer) = self.place(mark, None, true) {
                    self.stack.push(Frame::Seq { pointer, next: 0 });
                }
            }
            Event::MappingEnd | Event::SequenceEnd => self.end_collection(mark),
            Event::DocumentEnd => {
                self.docs.push(std::mem::take(&mut self.current));
                self.stack.clear();
            }
            _ => {}
        }
    }
}

/// Plain (unquoted) scalars that YAML 1.1 readers take for booleans (`yes`, `no`, `on`,
/// `off`, `y`, `n` in any case), as (document, JSON pointer, text): go-yaml v2 and PyYAML read
/// `on` as `true`, serde_yaml as the string `"on"`.
pub fn ambiguous_plain_scalars(text: &str) -> Vec<(usize, String, String)> {
    struct Scan {
        inner: Receiver,
        found: Vec<(usize, String, String)>,
    }
    impl MarkedEventReceiver for Scan {
        fn on_event(&mut self, ev: Event, mark: Marker) {
            if let Event::Scalar(v, TScalarStyle::Plain, ..) = &ev {
                let lower = v.to_ascii_lowercase();
                if matches!(lower.as_str(), "yes" | "no" | "on" | "off" | "y" | "n") {
                    let value = v.clone();
                    self.inner.last = None;
                    self.inner.on_event(ev, mark);
                    // A value got a pointer; a key did not (it waits for its value).
                    let pointer = match self.inner.last.take() {
                        Some(p) => p,
                        None => match self.inner.stack.last() {
                            Some(Frame::Map { pointer, .. }) => pointer_push(pointer, &value),
                            _ => String::new(),
                        },
                    };
                    self.found.push((self.inner.docs.len(), pointer, value));
                    return;
                }
            }
            self.inner.on_event(ev, mark);
        }
    }
    let mut scan = Scan {
        inner: Receiver::default(),
        found: Vec::new(),
    };
    let mut parser = Parser::new_from_str(text);
    let _ = parser.load(&mut scan, true);
    scan.found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_values_and_items() {
        let text = "a:\n  b: 1\n  list:\n    - x\n    - {c: 2}\n";
        let idx = SpanIndex::build(text);
        assert_eq!(
            idx.get(0, "/a/b").map(|s| s.key),
            Some(Some(Pos { line: 2, col: 3 }))
        );
        assert_eq!(
            idx.get(0, "/a/b").map(|s| s.value),
            Some(Pos { line: 2, col: 6 })
        );
        assert_eq!(
            idx.get(0, "/a/list/1/c").map(|s| s.value),
            Some(Pos { line: 5, col: 11 })
        );
        assert_eq!(
            idx.find(0, "/a/missing", Target::Key),
            Some(Pos { line: 1, col: 1 })
        );
    }

    #[test]
    fn indexes_each_document() {
        let idx = SpanIndex::build("a: 1\n---\nb: 2\n");
        assert_eq!(idx.document_count(), 2);
        assert_eq!(
            idx.get(1, "/b").and_then(|s| s.key),
            Some(Pos { line: 3, col: 1 })
        );
    }

    #[test]
    fn finds_ambiguous_scalars() {
        let found = ambiguous_plain_scalars("a: yes\nb: \"no\"\nc: [On, x]\nn: 1\n");
        let pointers: Vec<&str> = found.iter().map(|(_, p, _)| p.as_str()).collect();
        assert_eq!(pointers, ["/a", "/c/0", "/n"]);
    }

    #[test]
    fn escapes_slashes_in_keys() {
        let idx = SpanIndex::build("labels:\n  app.kubernetes.io/name: x\n");
        assert!(idx.get(0, "/labels/app.kubernetes.io~1name").is_some());
    }
}
