//! A corpus's documents by kind, and each document's kind and namespace by number. The
//! corpus rules each ask for a few kinds (Namespaces, quotas, Applications, …), some thirty
//! questions per lint; answering each by scanning the documents read every document's
//! identity from the heap every time: ~200,000 of them in one environment at N = 10,000, a
//! fifth of the corpus rules' time, while the rest of the run waits for them (they are its
//! last step). The index reads each identity once.
//!
//! The rules that pass over every document (sync waves, ServiceAccounts, quotas, Pod
//! Security levels, folders) ask each one's namespace: from the identity, that is a read of
//! a heap allocation per document per rule, the largest part of each such pass. The index
//! reads it once, into a dense list of numbers the passes read in order.
//!
//! It is built when first asked, for the documents the corpus holds then; a corpus that
//! gains documents afterwards ([`super::Corpus::append`]) builds it again.

use std::borrow::Cow;

use super::corpus::Document;

/// The documents of each (API group, kind), in document order, and each document's kind
/// by number: a rule that decides by kind alone decides once per kind and then reads a
/// document's verdict by its number (`appproject-admission` hashed a project's name, a
/// group and a kind for each of 200,000 documents).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Kinds {
    /// How many documents it was built over.
    docs: usize,
    /// In the order first seen; a rule's question is a pass over a few dozen kinds.
    by_kind: Vec<Entry>,
    /// Where each (group, kind) is in `by_kind`: a real repository may hold hundreds of
    /// kinds (CRDs), too many to search a list for each document.
    kind_at: hashbrown::HashMap<(Box<str>, Box<str>), u32>,
    /// The number of each document's entry in `by_kind`.
    of_doc: Vec<u32>,
    /// Every namespace of the corpus (the empty one of cluster-scoped objects too), each
    /// once, in the order first seen.
    namespaces: Vec<Box<str>>,
    /// Where each namespace is in `namespaces`.
    namespace_at: hashbrown::HashMap<Box<str>, u32>,
    /// The number of each document's namespace in `namespaces`.
    namespace_of_doc: Vec<u32>,
}

/// Documents one thread indexes in one pass; more are split in halves (see
/// [`Kinds::in_parts`]).
const PER_THREAD: usize = 50_000;

#[derive(Clone, Debug, PartialEq)]
struct Entry {
    group: Box<str>,
    kind: Box<str>,
    docs: Vec<u32>,
}

/// A (group, kind) looked up without making the owned key: it hashes as the tuple of its
/// strings, as the key does.
#[derive(Hash)]
struct GroupKind<'d>(&'d str, &'d str);

impl hashbrown::Equivalent<(Box<str>, Box<str>)> for GroupKind<'_> {
    fn equivalent(&self, key: &(Box<str>, Box<str>)) -> bool {
        (self.0, self.1) == (&*key.0, &*key.1)
    }
}

impl Kinds {
    pub fn of(docs: &[Document]) -> Kinds {
        let mut kinds = Kinds::in_parts(docs, 0, PER_THREAD);
        for e in &mut kinds.by_kind {
            e.docs.shrink_to_fit();
        }
        kinds
    }

    /// The index of `docs`, the documents numbered from `first`, built in halves on both
    /// sides of a `rayon::join` down to `per_thread` documents and merged: the same index as
    /// one pass gives (kinds and namespaces numbered in the order first seen). It is built
    /// when the first corpus rule asks, and the rules that ask after it wait: 800,000
    /// documents at N = 10,000 in four environments took ~150 ms on one core. (Growing it
    /// as the render appended each batch took that off the end, but held it, with room to
    /// grow, through the render: the stream's peak rose by ~5 MB.)
    fn in_parts(docs: &[Document], first: usize, per_thread: usize) -> Kinds {
        if docs.len() <= per_thread {
            let mut kinds = Kinds {
                docs: first,
                ..Kinds::default()
            };
            kinds.extend(docs);
            return kinds;
        }
        let mid = docs.len() / 2;
        let (mut head, tail) = rayon::join(
            || Kinds::in_parts(&docs[..mid], first, per_thread),
            || Kinds::in_parts(&docs[mid..], first + mid, per_thread),
        );
        head.merge(tail);
        head
    }

    /// Take in the index of the documents that follow these, renumbering its kinds and
    /// namespaces into this one's.
    fn merge(&mut self, tail: Kinds) {
        let kind_number: Vec<u32> = tail
            .by_kind
            .into_iter()
            .map(|e| {
                let n = match self.kind_at.get(&GroupKind(&e.group, &e.kind)) {
                    Some(&n) => n,
                    None => self.add_kind(&e.group, &e.kind),
                };
                // The tail's documents all come after this index's.
                self.by_kind[n as usize].docs.extend(e.docs);
                n
            })
            .collect();
        let namespace_number: Vec<u32> = tail
            .namespaces
            .iter()
            .map(|ns| match self.namespace_at.get(&**ns) {
                Some(&n) => n,
                None => self.add_namespace(ns),
            })
            .collect();
        self.of_doc
            .extend(tail.of_doc.iter().map(|&k| kind_number[k as usize]));
        self.namespace_of_doc.extend(
            tail.namespace_of_doc
                .iter()
                .map(|&n| namespace_number[n as usize]),
        );
        self.docs = tail.docs;
    }

    fn add_kind(&mut self, group: &str, kind: &str) -> u32 {
        // Fewer kinds than documents.
        let n = self.by_kind.len() as u32;
        self.by_kind.push(Entry {
            group: group.into(),
            kind: kind.into(),
            docs: Vec::new(),
        });
        self.kind_at.insert((group.into(), kind.into()), n);
        n
    }

    fn add_namespace(&mut self, ns: &str) -> u32 {
        // Fewer namespaces than documents.
        let n = self.namespaces.len() as u32;
        self.namespaces.push(ns.into());
        self.namespace_at.insert(ns.into(), n);
        n
    }

    /// Index `docs`, the documents that follow those indexed, in one pass.
    fn extend(&mut self, docs: &[Document]) {
        self.of_doc.reserve(docs.len());
        self.namespace_of_doc.reserve(docs.len());
        let mut last: Option<u32> = None;
        for (i, d) in docs.iter().enumerate() {
            // A namespace's documents come one after another: the last one is tried first.
            let ns = d.namespace();
            let number = match self.namespace_of_doc.last() {
                Some(&n) if *self.namespaces[n as usize] == *ns => n,
                _ => match self.namespace_at.get(ns) {
                    Some(&n) => n,
                    None => self.add_namespace(ns),
                },
            };
            self.namespace_of_doc.push(number);
            let (group, kind) = (d.group(), d.kind());
            // Consecutive documents are often of one kind: the last entry is tried first.
            let found = last
                .filter(|&l| {
                    let e = &self.by_kind[l as usize];
                    (&*e.group, &*e.kind) == (group, kind)
                })
                .or_else(|| self.kind_at.get(&GroupKind(group, kind)).copied());
            let entry = match found {
                Some(n) => n,
                None => self.add_kind(group, kind),
            };
            last = Some(entry);
            self.of_doc.push(entry);
            // A corpus is bounded by its files' sizes far below 4 billion documents.
            self.by_kind[entry as usize]
                .docs
                .push(u32::try_from(self.docs + i).unwrap_or(u32::MAX));
        }
        self.docs += docs.len();
    }

    /// Is this the index of a corpus of `docs` documents?
    pub fn covers(&self, docs: usize) -> bool {
        self.docs == docs
    }

    /// The documents of any of `kinds` (any group), in document order: the index's own
    /// list when one entry holds them all (a rule asking for WorkflowTemplates would
    /// otherwise copy 90,000 of them).
    pub fn documents(&self, kinds: &[&str]) -> Cow<'_, [u32]> {
        self.documents_where(|_, kind| kinds.contains(&kind))
    }

    /// The documents of the (API group, kind)s `keep` keeps, in document order.
    pub fn documents_where(&self, keep: impl Fn(&str, &str) -> bool) -> Cow<'_, [u32]> {
        let mut lists = self
            .by_kind
            .iter()
            .filter(|e| keep(&e.group, &e.kind))
            .map(|e| e.docs.as_slice());
        let Some(first) = lists.next() else {
            return Cow::Borrowed(&[]);
        };
        let Some(second) = lists.next() else {
            return Cow::Borrowed(first);
        };
        let mut out = [first, second].concat();
        for list in lists {
            out.extend_from_slice(list);
        }
        out.sort_unstable();
        Cow::Owned(out)
    }

    /// Every (API group, kind) of the corpus, each once, in the order first seen: the
    /// `n`th is the kind numbered `n`.
    pub fn present(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.by_kind.iter().map(|e| (&*e.group, &*e.kind))
    }

    /// The number of document `doc`'s (API group, kind) in [`Kinds::present`].
    pub fn number(&self, doc: usize) -> usize {
        self.of_doc[doc] as usize
    }

    /// The number of document `doc`'s namespace in [`Kinds::namespaces`].
    pub fn namespace_number(&self, doc: usize) -> usize {
        self.namespace_of_doc[doc] as usize
    }

    /// Document `doc`'s namespace (empty: cluster-scoped), from the dense list rather than
    /// its identity on the heap.
    pub fn namespace_of(&self, doc: usize) -> &str {
        &self.namespaces[self.namespace_number(doc)]
    }

    /// Every namespace, each once: the `n`th is the one numbered `n`.
    pub fn namespaces(&self) -> impl ExactSizeIterator<Item = &str> {
        self.namespaces.iter().map(|n| &**n)
    }
}

#[cfg(test)]
mod tests {
    use super::Kinds;
    use crate::lint::Corpus;

    fn corpus(files: &[(&str, &str)]) -> Corpus {
        let mut c = Corpus::default();
        c.add_files(
            files
                .iter()
                .map(|(p, t)| (p.to_string(), t.to_string()))
                .collect(),
        );
        c
    }

    fn object(api_version: &str, kind: &str, name: &str) -> String {
        format!("apiVersion: {api_version}\nkind: {kind}\nmetadata: {{name: {name}}}\n")
    }

    /// What a scan of every document finds, in its order.
    fn scanned(c: &Corpus, kinds: &[&str]) -> Vec<usize> {
        (0..c.docs.len())
            .filter(|&i| kinds.contains(&c.docs[i].kind()))
            .collect()
    }

    #[test]
    fn documents_by_kind_are_what_a_scan_finds_in_document_order() {
        let c = corpus(&[
            ("a.yaml", &object("v1", "Namespace", "a")),
            ("b.yaml", &object("argoproj.io/v1alpha1", "Workflow", "w")),
            ("c.yaml", &object("v1", "ConfigMap", "c")),
            // The same kind in another group is another entry, found by kind all the same.
            ("d.yaml", &object("example.com/v1", "Workflow", "x")),
            ("e.yaml", &object("v1", "Namespace", "e")),
            // No identity: its kind is read from the value.
            ("f.yaml", "kind: ConfigMap\n"),
            // Namespaces that come back after another.
            (
                "g.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: g, namespace: a}\n",
            ),
            (
                "h.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: h, namespace: b}\n",
            ),
            (
                "i.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: i, namespace: a}\n",
            ),
        ]);
        for kinds in [
            &["Namespace"][..],
            &["Workflow"],
            &["ConfigMap", "Namespace"],
            &["Workflow", "ConfigMap", "Namespace"],
            &["Pod"],
            &[],
        ] {
            let found: Vec<usize> = c.of_kind(kinds).map(|(i, _)| i).collect();
            assert_eq!(found, scanned(&c, kinds), "{kinds:?}");
        }
        // Each document's kind and namespace by number are its own.
        let index = c.kinds_index();
        let kinds: Vec<(&str, &str)> = index.present().collect();
        let namespaces: Vec<&str> = index.namespaces().collect();
        for (i, d) in c.docs.iter().enumerate() {
            assert_eq!(kinds[index.number(i)], (d.group(), d.kind()), "{i}");
            assert_eq!(index.namespace_of(i), d.namespace());
            assert_eq!(namespaces[index.namespace_number(i)], d.namespace());
        }
        let mut sorted = namespaces.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), namespaces.len(), "each namespace once");
        assert_eq!(sorted, ["", "a", "b"]);
        let mut present = kinds.clone();
        present.sort();
        assert_eq!(
            present,
            vec![
                ("", "ConfigMap"),
                ("", "Namespace"),
                ("argoproj.io", "Workflow"),
                ("example.com", "Workflow"),
            ]
        );
    }

    /// An index built in halves on two threads and merged is the one a single pass builds:
    /// kinds and namespaces that come back in a later half keep their first numbers, and
    /// each kind's documents stay in order.
    #[test]
    fn an_index_built_in_parts_is_the_one_built_in_one_pass() {
        let in_ns = |kind: &str, name: &str, ns: &str| {
            format!("apiVersion: v1\nkind: {kind}\nmetadata: {{name: {name}, namespace: {ns}}}\n")
        };
        let files = [
            ("a/ns.yaml", object("v1", "Namespace", "a")),
            ("a/cm.yaml", in_ns("ConfigMap", "x", "a")),
            ("a/wf.yaml", object("argoproj.io/v1alpha1", "Workflow", "w")),
            ("b/cm.yaml", in_ns("ConfigMap", "x", "b")),
            ("a/cm2.yaml", in_ns("ConfigMap", "y", "a")),
            ("b/wf.yaml", object("example.com/v1", "Workflow", "v")),
            ("b/ns.yaml", object("v1", "Namespace", "b")),
            ("a/sa.yaml", in_ns("ServiceAccount", "s", "a")),
            ("c/cm.yaml", in_ns("ConfigMap", "z", "c")),
        ];
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
        let c = corpus(&files);
        let whole = Kinds::in_parts(&c.docs, 0, usize::MAX);
        assert_eq!(whole.namespaces().collect::<Vec<_>>(), ["", "a", "b", "c"]);
        for per_thread in [1, 2, 3, 4] {
            let parts = Kinds::in_parts(&c.docs, 0, per_thread);
            assert_eq!(parts, whole, "{per_thread} per thread");
            assert!(parts.covers(c.docs.len()));
        }
        assert_eq!(Kinds::of(&c.docs), whole);
    }

    #[test]
    fn a_corpus_that_gains_documents_is_indexed_again() {
        let mut c = corpus(&[("a.yaml", &object("v1", "Namespace", "a"))]);
        assert_eq!(c.of_kind(&["Namespace"]).count(), 1);
        c.append(corpus(&[("b.yaml", &object("v1", "Namespace", "b"))]));
        assert_eq!(
            c.of_kind(&["Namespace"])
                .map(|(i, _)| i)
                .collect::<Vec<_>>(),
            [0, 1]
        );
        // Pushed past the index (no `append`): a scan answers, not the stale index.
        c.add_files(vec![("c.yaml".into(), object("v1", "Namespace", "c"))]);
        assert_eq!(
            c.of_kind(&["Namespace"])
                .map(|(i, _)| i)
                .collect::<Vec<_>>(),
            [0, 1, 2]
        );
        // So does an index built for the question: numbers for every document.
        let index = c.kinds_index();
        assert_eq!(index.present().collect::<Vec<_>>(), [("", "Namespace")]);
        assert_eq!(
            (0..3).map(|i| index.number(i)).collect::<Vec<_>>(),
            [0, 0, 0]
        );
        assert_eq!(index.namespace_of(2), "");
    }
}
