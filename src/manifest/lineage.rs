//! Where a rendered object was stamped from, when other objects were stamped from the same
//! place. Most of a tenant's objects are a template output the render memo keeps, or a
//! WorkflowTemplate fitted once per tier, with the tenant's namespace and labels put on
//! ([`crate::render::Stamp`]): objects of one lineage in one environment differ in their
//! namespace and team label alone, so lint judges such objects once (the object rules,
//! `lint/repeats.rs`), and all objects of a lineage share the canonical text of everything
//! but their metadata, written once ([`Original::around`]).

use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use super::canonical::{around_metadata, Around};

/// One document objects are stamped from, with its canonical text around the metadata,
/// written when first asked for and kept as long as the document is. The value is shared as
/// it is, for lint to read the body of an object it knows ([`Lineage::shared`]).
#[derive(Debug)]
pub struct Original {
    value: Arc<Value>,
    text: OnceLock<Around>,
}

impl Original {
    pub fn new(value: Value) -> Original {
        Original {
            value: Arc::new(value),
            text: OnceLock::new(),
        }
    }

    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The value, taken out when nothing else holds it, else copied.
    pub fn into_value(this: Arc<Original>) -> Value {
        match Arc::try_unwrap(this) {
            Ok(own) => Arc::unwrap_or_clone(own.value),
            Err(shared) => shared.value.as_ref().clone(),
        }
    }

    /// The canonical text of the document around its metadata: what every object stamped
    /// from it has there, since a stamp writes nothing outside the metadata.
    pub fn around(&self) -> &Around {
        self.text.get_or_init(|| around_metadata(&self.value))
    }
}

/// A template's documents: a template output the render memo keeps, one fitted
/// WorkflowTemplate, or an output the memo does not keep whose documents may be ones
/// rendered before (the engine's table of document texts, `render::pieces`).
#[derive(Debug)]
pub struct Unstamped {
    docs: Vec<Arc<Original>>,
    /// Whether each document is held where other outputs find it (by its text): objects
    /// stamped from it may repeat even when this output is not kept.
    held: Vec<bool>,
}

impl Unstamped {
    pub fn new(docs: Vec<Value>) -> Unstamped {
        Unstamped::of(
            docs.into_iter()
                .map(|d| (Arc::new(Original::new(d)), false))
                .collect(),
        )
    }

    /// Documents, each with whether it is held where other outputs find it.
    pub fn of(docs: Vec<(Arc<Original>, bool)>) -> Unstamped {
        let (docs, held) = docs.into_iter().unzip();
        Unstamped { docs, held }
    }

    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Copies of the documents.
    pub fn to_vec(&self) -> Vec<Value> {
        self.docs.iter().map(|d| d.value().clone()).collect()
    }

    /// The documents, taken out when nothing else holds them, else copied.
    pub fn into_docs(this: Arc<Unstamped>) -> Vec<Value> {
        Unstamped::into_originals(this)
            .into_iter()
            .map(|(d, _)| Original::into_value(d))
            .collect()
    }

    /// The documents as they are held, each with whether other outputs find it.
    pub fn into_originals(this: Arc<Unstamped>) -> Vec<(Arc<Original>, bool)> {
        let own = Arc::try_unwrap(this).unwrap_or_else(|shared| Unstamped {
            docs: shared.docs.clone(),
            held: shared.held.clone(),
        });
        own.docs.into_iter().zip(own.held).collect()
    }
}

impl std::ops::Index<usize> for Unstamped {
    type Output = Value;
    fn index(&self, index: usize) -> &Value {
        self.docs[index].value()
    }
}

/// The unstamped document an object was stamped from, held so that no other document can
/// take its place in memory while the lineage is: the same lineage is the same address.
#[derive(Clone, Debug)]
pub struct Lineage {
    of: Arc<Original>,
}

impl From<Arc<Original>> for Lineage {
    fn from(of: Arc<Original>) -> Lineage {
        Lineage { of }
    }
}

impl Lineage {
    /// The `index`th of documents `of` (which has it).
    pub fn new(of: Arc<Unstamped>, index: usize) -> Lineage {
        Lineage::from(Arc::clone(&of.docs[index]))
    }

    /// The document's address: equal for the same lineage only.
    fn address(&self) -> usize {
        Arc::as_ptr(&self.of) as usize
    }

    /// The same document (not merely an equal one).
    pub fn is(&self, other: &Lineage) -> bool {
        self.address() == other.address()
    }

    pub fn hash_into(&self, h: &mut impl Hasher) {
        self.address().hash(h);
    }

    /// The unstamped document.
    pub fn document(&self) -> &Value {
        self.of.value()
    }

    /// The unstamped document as it is shared: the same body as every object stamped from
    /// it, without their namespace and labels.
    pub fn shared(&self) -> &Arc<Value> {
        &self.of.value
    }

    /// Its canonical text around the metadata ([`Original::around`]).
    pub fn around(&self) -> &Around {
        self.of.around()
    }

    /// What of the document a stamp reads and writes: its `apiVersion`, `kind` and
    /// `metadata`, those it has (all of it when it is not a mapping). Stamped, it is all an
    /// object of this lineage holds of its own ([`super::Manifest::stamped`]).
    pub fn heading(&self) -> Value {
        match self.document() {
            Value::Object(doc) => Value::Object(
                HEADING
                    .iter()
                    .filter_map(|k| doc.get_key_value(*k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// The whole object whose own part is `held` (a stamped heading): the document with
    /// `held`'s entries in place of its own.
    pub fn fill(&self, held: Value) -> Value {
        match (self.document(), held) {
            (Value::Object(doc), Value::Object(own)) => {
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
                let around = lineage.around().clone();
                let mut text = around.before;
                write_metadata(&mut text, &stamped);
                text.push_str(&around.after);
                assert_eq!(text, to_canonical_yaml(&stamped), "{doc}");
            }
        }
    }
}
