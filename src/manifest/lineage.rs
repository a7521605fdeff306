//! Where a rendered object was stamped from, when other objects were stamped from the same
//! place. Most of a tenant's objects are a template output the render memo keeps, or a
//! WorkflowTemplate fitted once per tier, with the tenant's namespace and labels put on
//! ([`crate::render::Stamp`]): objects of one lineage in one environment differ in their
//! namespace and team label alone, so lint judges such objects once (the object rules,
//! `lint/repeats.rs`), and all objects of a lineage share the canonical text of everything
//! but their metadata, written once ([`Unstamped::around`]).

use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use super::canonical::{around_metadata, Around};

/// Documents objects are stamped from: a template output the render memo keeps, or one
/// fitted WorkflowTemplate. Each one's text around its metadata is written when first asked
/// for and kept as long as the documents are. Each document is shared as it is, for lint
/// to read the body of an object it knows ([`Lineage::shared`]).
#[derive(Debug)]
pub struct Unstamped {
    docs: Vec<Arc<Value>>,
    texts: Box<[OnceLock<Around>]>,
}

impl Unstamped {
    pub fn new(docs: Vec<Value>) -> Unstamped {
        let texts = docs.iter().map(|_| OnceLock::new()).collect();
        Unstamped {
            docs: docs.into_iter().map(Arc::new).collect(),
            texts,
        }
    }

    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<&Value> {
        self.docs.get(index).map(Arc::as_ref)
    }

    /// Copies of the documents.
    pub fn to_vec(&self) -> Vec<Value> {
        self.docs.iter().map(|d| d.as_ref().clone()).collect()
    }

    /// The documents, taken out when nothing else holds them, else copied.
    pub fn into_docs(this: Arc<Unstamped>) -> Vec<Value> {
        match Arc::try_unwrap(this) {
            Ok(own) => own.docs.into_iter().map(Arc::unwrap_or_clone).collect(),
            Err(shared) => shared.to_vec(),
        }
    }

    /// The canonical text of the `index`th document around its metadata: what every object
    /// stamped from it has there, since a stamp writes nothing outside the metadata.
    pub fn around(&self, index: usize) -> Option<&Around> {
        let doc = self.get(index)?;
        Some(self.texts[index].get_or_init(|| around_metadata(doc)))
    }
}

impl std::ops::Index<usize> for Unstamped {
    type Output = Value;
    fn index(&self, index: usize) -> &Value {
        &self.docs[index]
    }
}

/// The unstamped document an object was stamped from, held so that no other document can
/// take its place in memory while the lineage is: the same lineage is the same address.
#[derive(Clone, Debug)]
pub struct Lineage {
    of: Arc<Unstamped>,
    index: usize,
}

impl Lineage {
    /// The `index`th of documents `of`.
    pub fn new(of: Arc<Unstamped>, index: usize) -> Lineage {
        Lineage { of, index }
    }

    /// The document's address and index: equal for the same lineage only.
    fn address(&self) -> (usize, usize) {
        (Arc::as_ptr(&self.of) as usize, self.index)
    }

    /// The same document (not merely an equal one).
    pub fn is(&self, other: &Lineage) -> bool {
        self.address() == other.address()
    }

    pub fn hash_into(&self, h: &mut impl Hasher) {
        self.address().hash(h);
    }

    /// The unstamped document.
    pub fn document(&self) -> Option<&Value> {
        self.of.get(self.index)
    }

    /// The unstamped document as it is shared: the same body as every object stamped from
    /// it, without their namespace and labels.
    pub fn shared(&self) -> Option<&Arc<Value>> {
        self.of.docs.get(self.index)
    }

    /// Its canonical text around the metadata ([`Unstamped::around`]).
    pub fn around(&self) -> Option<&Around> {
        self.of.around(self.index)
    }

    /// What of the document a stamp reads and writes: its `apiVersion`, `kind` and
    /// `metadata`, those it has (all of it when it is not a mapping). Stamped, it is all an
    /// object of this lineage holds of its own ([`super::Manifest::stamped`]).
    pub fn heading(&self) -> Value {
        match self.document() {
            Some(Value::Object(doc)) => Value::Object(
                HEADING
                    .iter()
                    .filter_map(|k| doc.get_key_value(*k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
            Some(other) => other.clone(),
            None => Value::Null,
        }
    }

    /// The whole object whose own part is `held` (a stamped heading): the document with
    /// `held`'s entries in place of its own.
    pub fn fill(&self, held: Value) -> Value {
        match (self.document(), held) {
            (Some(Value::Object(doc)), Value::Object(own)) => {
                let mut whole: serde_json::Map<String, Value> = doc
                    .iter()
                    .filter(|(k, _)| !HEADING.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                whole.extend(own);
                Value::Object(whole)
            }
            (_, held) => held,
        }
    }
}

/// The top-level keys an object stamped from a lineage holds of its own.
const HEADING: [&str; 3] = ["apiVersion", "kind", "metadata"];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::canonical::{to_canonical_yaml, write_metadata};
    use crate::render::Stamp;
    use serde_json::json;

    #[test]
    fn the_same_lineage_is_the_same_document_not_an_equal_one() {
        let docs = Arc::new(Unstamped::new(vec![
            json!({"kind": "A"}),
            json!({"kind": "B"}),
        ]));
        let copy = Arc::new(Unstamped::new(docs.to_vec()));
        let first = Lineage::new(Arc::clone(&docs), 0);
        assert!(first.is(&Lineage::new(Arc::clone(&docs), 0)));
        assert!(!first.is(&Lineage::new(Arc::clone(&docs), 1)));
        // Equal, though not the same.
        assert!(!first.is(&Lineage::new(Arc::clone(&copy), 0)));
        assert_eq!(first.document(), Lineage::new(copy, 0).document());
        assert!(Lineage::new(Arc::new(Unstamped::new(Vec::new())), 0)
            .document()
            .is_none());
    }

    /// The text of a stamped object, written as its lineage's text around its own
    /// metadata, is its canonical text: with and without metadata, labels or annotations
    /// in the template, with top-level keys after `spec`, with a `spec` long enough for
    /// the table of spec texts, and for every kind of stamp.
    #[test]
    fn a_stamped_object_is_its_lineages_text_around_its_own_metadata() {
        let script: String = (0..80).map(|i| format!("echo line {i}\n")).collect();
        let docs = vec![
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"},
                   "data": {"x": "1", "b": "yes"}}),
            json!({"kind": "ServiceAccount", "apiVersion": "v1",
                   "metadata": {"name": "sa", "labels": {"a": "b"}, "annotations": {"z": "y"}},
                   "automountServiceAccountToken": false}),
            json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate",
                   "metadata": {"name": "build", "namespace": "team-a"},
                   "spec": {"templates": [{"name": "main", "script": {"source": script}}]},
                   "status": {}, "zeta": [1, "2", null]}),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}),
            // Refused, with the same words from the heading alone.
            json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "b"}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "other"}}),
            json!({"kind": "ConfigMap", "metadata": {"name": "x"}, "data": {}}),
            json!("a scalar"),
        ];
        let unstamped = Arc::new(Unstamped::new(docs.clone()));
        let stamps = [
            Stamp {
                env: "prod",
                team: Some("a"),
                namespace: Some("team-a"),
            },
            Stamp {
                env: "dev",
                team: None,
                namespace: None,
            },
        ];
        for stamp in &stamps {
            for (i, doc) in docs.iter().enumerate() {
                let lineage = Lineage::new(Arc::clone(&unstamped), i);
                // The stamp reads the heading alone: the same verdict, and filled in, the
                // same object.
                let held = stamp.apply(lineage.heading());
                let Ok(stamped) = stamp.apply(doc.clone()) else {
                    assert_eq!(held, stamp.apply(doc.clone()), "{doc}");
                    continue;
                };
                assert_eq!(lineage.fill(held.expect("stamps")), stamped, "{doc}");
                let around = lineage.around().cloned().expect("a document");
                let mut text = around.before;
                write_metadata(&mut text, &stamped);
                text.push_str(&around.after);
                assert_eq!(text, to_canonical_yaml(&stamped), "{doc}");
            }
        }
    }
}
