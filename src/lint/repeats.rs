//! Objects judged once per lineage. A tenant's WorkflowTemplates, network policies and
//! quotas are mostly the same few template outputs stamped into each tenant's namespace
//! ([`Lineage`]): at N tenants, the object rules ([`Scope::Object`]) ran N times on what
//! differs only in `metadata.namespace` and the team label, which they do not read. Here
//! is what the object rules found in the first object of each lineage with a given
//! environment label; a later object of the same is given the same hits instead of being
//! judged, and the same pruned value when the corpus rules read neither of those fields of
//! its kind ([`super::prune::shares_cut`]).
//!
//! Sound because an object is its lineage's document with the stamp put on (namespace,
//! the environment and team labels, the sync wave of its kind, [`crate::render::Stamp`]):
//! two objects of one lineage and environment differ in their namespace and team label
//! alone, and the object rules read neither (their hits are held to it on every rule's
//! fixtures). The lineage holds its document, so no other can take its address while an
//! entry names it. Hits whose message names the namespace or the team (most name their
//! object) are not kept: such an object is judged each time. Suppressions (annotations,
//! waivers by object) are applied to each object's hits afterwards, and the file rules,
//! which read the file, run on every object (on a known one whose cut is kept, on its
//! lineage's unstamped document: `Stream::judge`'s `fill` says why that is the same).
//!
//! [`Scope::Object`]: super::Scope::Object

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use serde_json::Value;

use crate::manifest::Lineage;
use crate::render::{ENV_LABEL, TEAM_LABEL};

use super::{Document, Rule};

/// Entries kept: a batch of 1,000 synthetic tenants brings ~545 (kept template outputs'
/// documents and fitted workflows); the cap bounds an estate whose templates keep more.
const MAX_ENTRIES: usize = 4096;

/// What the object rules found in the first object of each lineage in an environment.
#[derive(Default)]
pub struct Repeats {
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    by_hash: HashMap<u64, Vec<(Key, Found)>>,
    entries: usize,
}

/// An object rule's hit, without the document it was in.
#[derive(Debug)]
pub struct Seen {
    pub rule: &'static Rule,
    pub pointer: String,
    pub message: String,
}

/// What one object of a lineage gave: the object rules' hits (none when it was clean), and
/// the document pruned for the corpus rules, when those read neither its namespace nor its
/// team ([`super::prune::shares_cut`]).
#[derive(Debug)]
pub struct Known {
    pub seen: Vec<Seen>,
    pub cut: OnceLock<Arc<Value>>,
}

pub type Found = Arc<Known>;

/// An object's lineage and the environment label its stamp put on it.
struct Key {
    lineage: Lineage,
    env: Option<Box<str>>,
}

/// What of a document the key is read from.
struct Of<'a> {
    lineage: &'a Lineage,
    env: Option<&'a str>,
}

impl<'a> Of<'a> {
    fn new(lineage: &'a Lineage, doc: &'a Document) -> Of<'a> {
        Of {
            lineage,
            env: doc.label(ENV_LABEL),
        }
    }

    fn hash(&self) -> u64 {
        let mut h = DefaultHasher::new();
        self.lineage.hash_into(&mut h);
        self.env.hash(&mut h);
        h.finish()
    }

    fn is(&self, key: &Key) -> bool {
        self.lineage.is(&key.lineage) && self.env == key.env.as_deref()
    }
}

impl Repeats {
    /// What the object rules found in an earlier object of the same lineage and environment as
    /// each of `docs` (the `i`th stamped from `lineages[i]`; none when `lineages` does not
    /// give one per document), where that is known.
    pub fn known(&self, docs: &[Document], lineages: &[Option<Lineage>]) -> Vec<Option<Found>> {
        if lineages.len() != docs.len() {
            return vec![None; docs.len()];
        }
        let kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        docs.iter()
            .zip(lineages)
            .map(|(doc, lineage)| {
                let of = Of::new(lineage.as_ref()?, doc);
                let entries = kept.by_hash.get(&of.hash())?;
                entries
                    .iter()
                    .find(|(k, _)| of.is(k))
                    .map(|(_, found)| Arc::clone(found))
            })
            .collect()
    }

    /// Keep what the object rules found in `doc`, stamped from `lineage`, unless a hit's
    /// message names the document's namespace or team: then another object of the lineage
    /// would be told of the wrong one. The entry kept (or found kept) is given back.
    pub fn remember(&self, doc: &Document, lineage: &Lineage, seen: Vec<Seen>) -> Option<Found> {
        let own = [Some(doc.namespace()), doc.label(TEAM_LABEL)];
        let names = |m: &str| own.iter().flatten().any(|o| !o.is_empty() && m.contains(o));
        if seen.iter().any(|s| names(&s.message)) {
            return None;
        }
        let of = Of::new(lineage, doc);
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        let kept = &mut *kept;
        let full = kept.entries >= MAX_ENTRIES;
        let entries = kept.by_hash.entry(of.hash()).or_default();
        if let Some((_, found)) = entries.iter().find(|(k, _)| of.is(k)) {
            return Some(Arc::clone(found));
        }
        if full {
            return None;
        }
        let key = Key {
            lineage: lineage.clone(),
            env: of.env.map(Box::from),
        };
        let found = Arc::new(Known {
            seen,
            cut: OnceLock::new(),
        });
        entries.push((key, Arc::clone(&found)));
        kept.entries += 1;
        Some(found)
    }

    /// Let every entry go: a render's next batch of tenants renders with an engine of its
    /// own, whose outputs are other lineages, and what is held here holds their documents.
    pub fn forget(&mut self) {
        *self.kept.get_mut().unwrap_or_else(PoisonError::into_inner) = Kept::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::collections::BTreeMap;

    use serde_json::json;

    use crate::lint::{Corpus, RULES};
    use crate::manifest::{Manifest, ManifestSet, ObjectRef, Placement, Unstamped};

    /// `value` stamped into `ns` of team `team` in `env`, as lint is given it.
    fn stamped(value: &Value, ns: &str, team: &str, env: &str) -> Document {
        let mut value = value.clone();
        value["metadata"]["namespace"] = ns.into();
        value["metadata"]["labels"] = json!({ENV_LABEL: env, TEAM_LABEL: team});
        let manifest = Manifest::new(
            ObjectRef::of(&value).expect("an object"),
            Placement::Argo { env: env.into() },
            value,
            "test".into(),
            Default::default(),
        );
        let set = ManifestSet {
            manifests: vec![manifest],
        };
        let mut corpus = Corpus::from_rendered(set, &mut BTreeMap::new(), "gitops");
        corpus.docs.pop().expect("one document")
    }

    fn seen(message: &str) -> Seen {
        Seen {
            rule: RULES[0],
            pointer: "/spec".into(),
            message: message.into(),
        }
    }

    fn messages(found: &Option<Found>) -> Option<Vec<&str>> {
        found
            .as_ref()
            .map(|f| f.seen.iter().map(|s| s.message.as_str()).collect())
    }

    #[test]
    fn an_object_is_known_by_its_lineage_and_environment_label() {
        let wt = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate", "metadata": {"name": "ci"}});
        let output = Arc::new(Unstamped::new(vec![wt.clone(), wt.clone()]));
        let lineage = Lineage::new(Arc::clone(&output), 0);
        let repeats = Repeats::default();
        // Team names as long as real ones: a message that merely holds a team's name
        // (`a` is in "container") is not kept.
        let first = stamped(&wt, "a-prod", "team-a", "prod");
        let known = |doc: Document, lineage: Option<Lineage>| {
            messages(&repeats.known(&[doc], &[lineage])[0]).map(|m| m.join("; "))
        };
        assert_eq!(
            known(first, Some(lineage.clone())),
            None,
            "nothing kept yet"
        );
        let first = stamped(&wt, "a-prod", "team-a", "prod");
        repeats.remember(
            &first,
            &lineage,
            vec![seen("container `main` has no limits")],
        );
        let same = Some("container `main` has no limits".to_owned());
        // Another tenant's namespace and team: the same object for the object rules.
        let other = || stamped(&wt, "b-prod", "team-b", "prod");
        assert_eq!(known(other(), Some(lineage.clone())), same);
        // Another environment, another document of the output, an equal copy of the
        // output, or no lineage: not known.
        let dev = stamped(&wt, "b-dev", "team-b", "dev");
        assert_eq!(known(dev, Some(lineage.clone())), None);
        assert_eq!(
            known(other(), Some(Lineage::new(Arc::clone(&output), 1))),
            None
        );
        let copy = Arc::new(Unstamped::new(output.to_vec()));
        assert_eq!(known(other(), Some(Lineage::new(copy, 0))), None);
        assert_eq!(known(other(), None), None);
        // A render's lint without lineages knows nothing.
        assert_eq!(repeats.known(&[other()], &[]).len(), 1);
        assert!(repeats.known(&[other()], &[])[0].is_none());
        // A clean object is known as clean.
        let fitted = Lineage::new(Arc::new(Unstamped::new(vec![wt.clone()])), 0);
        repeats.remember(&first, &fitted, Vec::new());
        assert_eq!(known(other(), Some(fitted.clone())), Some(String::new()));
        let mut repeats = repeats;
        repeats.forget();
        assert!(repeats.known(&[other()], &[Some(fitted)])[0].is_none());
    }

    #[test]
    fn hits_that_name_the_namespace_or_the_team_are_not_kept() {
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}});
        let lineage = Lineage::new(Arc::new(Unstamped::new(vec![cm.clone()])), 0);
        let repeats = Repeats::default();
        let doc = stamped(&cm, "a-prod", "team-a", "prod");
        let known = || {
            repeats.known(
                &[stamped(&cm, "b-prod", "b", "prod")],
                &[Some(lineage.clone())],
            )
        };
        repeats.remember(
            &doc,
            &lineage,
            vec![seen("ConfigMap a-prod/settings is odd")],
        );
        assert!(known()[0].is_none());
        repeats.remember(&doc, &lineage, vec![seen("owned by team-a")]);
        assert!(known()[0].is_none());
        repeats.remember(&doc, &lineage, vec![seen("odd")]);
        assert_eq!(messages(&known()[0]), Some(vec!["odd"]));
    }

    #[test]
    fn entries_are_bounded() {
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}});
        let repeats = Repeats::default();
        let doc = stamped(&cm, "a-prod", "a", "prod");
        let lineages: Vec<Lineage> = (0..MAX_ENTRIES + 5)
            .map(|_| Lineage::new(Arc::new(Unstamped::new(vec![cm.clone()])), 0))
            .collect();
        for lineage in &lineages {
            repeats.remember(&doc, lineage, Vec::new());
        }
        let kept = repeats.kept.lock().expect("not poisoned");
        assert_eq!(kept.entries, MAX_ENTRIES);
        assert_eq!(
            kept.by_hash.values().map(Vec::len).sum::<usize>(),
            MAX_ENTRIES
        );
    }
}
