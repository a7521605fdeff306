//! Where a rendered object was stamped from, when other objects were stamped from the same
//! place. Most of a tenant's objects are a template output the render memo keeps, or a
//! WorkflowTemplate fitted once per tier, with the tenant's namespace and labels put on
//! ([`crate::render::Stamp`]): objects of one lineage in one environment differ in their
//! namespace and team label alone, and lint judges such objects once (the object rules,
//! `lint/repeats.rs`).

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use serde_json::Value;

/// The unstamped document an object was stamped from, held so that no other document can
/// take its place in memory while the lineage is: the same lineage is the same address.
#[derive(Clone, Debug)]
pub enum Lineage {
    /// The `index`th document of a template output the render memo keeps.
    Output(Arc<Vec<Value>>, usize),
    /// A WorkflowTemplate fitted to a tier ([`crate::render`]'s fitted cache).
    Fitted(Arc<Value>),
}

impl Lineage {
    /// The document's address and index: equal for the same lineage only.
    fn address(&self) -> (usize, usize) {
        match self {
            Lineage::Output(docs, index) => (Arc::as_ptr(docs) as usize, *index),
            Lineage::Fitted(doc) => (Arc::as_ptr(doc) as usize, 0),
        }
    }

    /// The same document (not merely an equal one).
    pub fn is(&self, other: &Lineage) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
            && self.address() == other.address()
    }

    pub fn hash_into(&self, h: &mut impl Hasher) {
        std::mem::discriminant(self).hash(h);
        self.address().hash(h);
    }

    /// The unstamped document.
    pub fn document(&self) -> Option<&Value> {
        match self {
            Lineage::Output(docs, index) => docs.get(*index),
            Lineage::Fitted(doc) => Some(doc),
        }
    }
}

/// Two manifests compare equal when they were stamped from equal documents: renders made
/// apart hold their own copies.
impl PartialEq for Lineage {
    fn eq(&self, other: &Lineage) -> bool {
        self.document() == other.document()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_same_lineage_is_the_same_document_not_an_equal_one() {
        let docs = Arc::new(vec![json!({"kind": "A"}), json!({"kind": "B"})]);
        let copy = Arc::new(docs.as_ref().clone());
        let first = Lineage::Output(Arc::clone(&docs), 0);
        assert!(first.is(&Lineage::Output(Arc::clone(&docs), 0)));
        assert!(!first.is(&Lineage::Output(Arc::clone(&docs), 1)));
        assert!(!first.is(&Lineage::Output(Arc::clone(&copy), 0)));
        // Equal, though not the same.
        assert_eq!(first, Lineage::Output(copy, 0));
        assert_ne!(first, Lineage::Output(docs, 1));
        let fitted = Arc::new(json!({"kind": "A"}));
        let as_fitted = Lineage::Fitted(Arc::clone(&fitted));
        assert!(as_fitted.is(&Lineage::Fitted(fitted)));
        assert!(!as_fitted.is(&first));
        assert_eq!(as_fitted, first);
    }
}
