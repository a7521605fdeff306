//! Documents cut down to what the corpus rules read. A streaming lint keeps every document
//! of the tree until the corpus rules have run, so it keeps them pruned: at N = 10,000 a
//! full value is ~10 KB and a pruned one is its identity plus a field or two.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use serde_json::{Map, Value};

use crate::manifest::digest::{self, Digest};

use super::binding::{self, Binding};
use super::registry::{Scope, RULES};
use super::{Document, IGNORE_ANNOTATION};

/// The corpus rules' fields by kind, each kind's with the fields read of every kind.
struct Fields {
    by_kind: HashMap<&'static str, Wanted>,
    /// For kinds no rule names.
    other_kinds: Wanted,
}

fn fields() -> &'static Fields {
    static FIELDS: OnceLock<Fields> = OnceLock::new();
    FIELDS.get_or_init(|| {
        // Kept whatever the rules declare: `apiVersion` (the identity holds kind, namespace
        // and name but not the version) and the annotation suppressions read.
        let mut any_kind = vec![
            segments("/apiVersion"),
            ["metadata", "annotations", IGNORE_ANNOTATION]
                .map(str::to_owned)
                .to_vec(),
        ];
        let mut by_kind: HashMap<&'static str, Vec<Vec<String>>> = HashMap::new();
        for rule in RULES {
            let Scope::Corpus(reads) = rule.scope else {
                continue;
            };
            for (kind, pointer) in reads {
                let list = match *kind {
                    "*" => &mut any_kind,
                    kind => by_kind.entry(kind).or_default(),
                };
                list.push(segments(pointer));
            }
        }
        let of =
            |paths: &[Vec<String>]| Wanted::of(paths.iter().chain(&any_kind).map(Vec::as_slice));
        Fields {
            by_kind: by_kind
                .iter()
                .map(|(kind, paths)| (*kind, of(paths)))
                .collect(),
            other_kinds: of(&[]),
        }
    })
}

/// Paths into a value as a tree of their segments, so that cutting a value costs one lookup
/// per key instead of a comparison with every path (the pod-bearing kinds are read at
/// ~250 paths each).
#[derive(Debug, Default)]
struct Wanted {
    /// A path ends here: everything below is kept.
    whole: bool,
    /// Below a mapping key. Each holds the `*` paths too ([`Wanted::spread`]).
    named: HashMap<String, Wanted>,
    /// Below an array index: the segments that read as one (`0`, and `007` too, as the
    /// paths were matched before).
    indexed: HashMap<usize, Wanted>,
    /// Below `*`: any key, any index.
    any: Option<Box<Wanted>>,
}

impl Wanted {
    /// The tree of `paths`. Declared pointers have no empty segment (an array has no key).
    fn of<'a>(paths: impl IntoIterator<Item = &'a [String]>) -> Wanted {
        let mut root = Wanted::default();
        for path in paths {
            root.insert(path);
        }
        root.spread();
        root
    }

    fn insert(&mut self, path: &[String]) {
        let Some((first, rest)) = path.split_first() else {
            self.whole = true;
            return;
        };
        if first == "*" {
            self.any.get_or_insert_with(Box::default).insert(rest);
            return;
        }
        self.named.entry(first.clone()).or_default().insert(rest);
        // Only a numeric segment can name an index: parse nothing else.
        if first.as_bytes().first().is_some_and(u8::is_ascii_digit) {
            if let Ok(i) = first.parse() {
                self.indexed.entry(i).or_default().insert(rest);
            }
        }
    }

    fn merge(&mut self, other: &Wanted) {
        self.whole |= other.whole;
        for (key, below) in &other.named {
            self.named.entry(key.clone()).or_default().merge(below);
        }
        for (i, below) in &other.indexed {
            self.indexed.entry(*i).or_default().merge(below);
        }
        if let Some(any) = &other.any {
            self.any.get_or_insert_with(Box::default).merge(any);
        }
    }

    /// Copy the `*` paths under every named key and index, so that what is below one key
    /// is one subtree.
    fn spread(&mut self) {
        if let Some(any) = &self.any {
            for below in self.named.values_mut().chain(self.indexed.values_mut()) {
                below.merge(any);
            }
        }
        for below in self.named.values_mut().chain(self.indexed.values_mut()) {
            below.spread();
        }
        if let Some(any) = &mut self.any {
            any.spread();
        }
    }

    /// Whether a mapping of `len` entries is better walked by the named keys: nothing is
    /// wanted below every key, and fewer keys are named than it has.
    fn by_name(&self, len: usize) -> bool {
        self.any.is_none() && self.named.len() < len
    }

    fn below_key(&self, key: &str) -> Option<&Wanted> {
        self.named.get(key).or(self.any.as_deref())
    }

    fn below_index(&self, i: usize) -> Option<&Wanted> {
        self.indexed.get(&i).or(self.any.as_deref())
    }
}

fn segments(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// Pruned values shared between documents. Most objects of a kind prune to the same few
/// fields with the same values (the sync wave of every LimitRange, the rules of every
/// tenant's Role, the template inputs of every copy of a workflow), so one copy serves all.
/// A document is compared with the held copies where it lies, through the paths it would be
/// cut to, and cut (a new value built) only when none is equal: building the cut and
/// dropping it again for the copy already held was most of pruning's time.
#[derive(Default)]
pub struct Interner {
    shared: Mutex<HashMap<u64, Vec<Arc<Value>>>>,
    digest: Digest,
}

impl Interner {
    /// `value` cut down to `wanted` (`null` when nothing is wanted of it): the held copy
    /// when one is equal, else the cut, held from now on.
    fn intern_cut(&self, value: Value, wanted: &Wanted) -> Arc<Value> {
        let hash = self.cut_hash(&value, wanted).unwrap_or_else(digest::null);
        let same = |held: &Value| match held {
            Value::Null => cut_is(&value, wanted, None) || cut_is(&value, wanted, Some(held)),
            held => cut_is(&value, wanted, Some(held)),
        };
        {
            let mut shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(found) = shared.entry(hash).or_default().iter().find(|v| same(v)) {
                return Arc::clone(found);
            }
        }
        let cut = Arc::new(keep(value, wanted).unwrap_or(Value::Null));
        let mut shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        shared.entry(hash).or_default().push(Arc::clone(&cut));
        cut
    }

    /// The [`Digest`] of `keep(value, wanted)`, without making it; `None` when nothing of
    /// `value` is wanted.
    fn cut_hash(&self, value: &Value, wanted: &Wanted) -> Option<u64> {
        if wanted.whole {
            return Some(self.digest.value(value));
        }
        match value {
            Value::Object(map) => {
                let mut kept = below_each(map, wanted)
                    .filter_map(|(k, v, below)| {
                        self.cut_hash(v, below).map(|h| self.digest.entry(k, h))
                    })
                    .peekable();
                kept.peek().is_some().then(|| digest::mapping(kept))
            }
            Value::Array(items) => {
                let mut any = false;
                let h = digest::sequence(items.iter().enumerate().map(|(i, item)| {
                    let cut = wanted.below_index(i).and_then(|w| self.cut_hash(item, w));
                    any |= cut.is_some();
                    cut.unwrap_or_else(digest::null)
                }));
                any.then_some(h)
            }
            _ => None,
        }
    }
}

/// Is `keep(value, wanted)` exactly `cut` (`None`: nothing is kept)? Decided where `value`
/// lies, without making the cut.
fn cut_is(value: &Value, wanted: &Wanted, cut: Option<&Value>) -> bool {
    if wanted.whole {
        return cut == Some(value);
    }
    match value {
        Value::Object(map) => {
            let cut = match cut {
                Some(Value::Object(m)) => Some(m),
                Some(_) => return false,
                None => None,
            };
            // Every wanted entry's cut is the cut's entry (or both are absent), and the cut
            // has no entry besides those.
            let mut kept = 0;
            let all = below_each(map, wanted).all(|(k, v, below)| {
                let c = cut.and_then(|m| m.get(k));
                kept += usize::from(c.is_some());
                cut_is(v, below, c)
            });
            all && cut.is_none_or(|m| kept > 0 && m.len() == kept)
        }
        Value::Array(items) => {
            let cut = match cut {
                Some(Value::Array(c)) if c.len() == items.len() => Some(c),
                Some(_) => return false,
                None => None,
            };
            let mut any = false;
            let all = items.iter().enumerate().all(|(i, item)| {
                let below = wanted.below_index(i);
                let Some(c) = cut else {
                    return below.is_none_or(|w| cut_is(item, w, None));
                };
                if below.is_some_and(|w| cut_is(item, w, Some(&c[i]))) {
                    any = true;
                    return true;
                }
                // Not kept: the cut holds `null` in its place.
                c[i].is_null() && below.is_none_or(|w| cut_is(item, w, None))
            });
            all && (cut.is_none() || any)
        }
        _ => cut.is_none(),
    }
}

/// Cut `doc`'s value down to the fields the corpus rules read, shared through `interner`;
/// a binding's role and subjects are kept as facts beside it ([`super::binding`]). A
/// document without an identity is kept whole: rules fall back to its value for kind, name
/// and namespace.
pub fn prune(doc: &mut Document, interner: &Interner) {
    let Some(wanted) = bind(doc) else { return };
    let value = Arc::unwrap_or_clone(std::mem::take(&mut doc.value));
    doc.value = interner.intern_cut(value, wanted);
}

/// Keep a binding's role and subjects beside its value, as facts, and say what the corpus
/// rules read of the document (`None`: it has no identity and is kept whole).
fn bind(doc: &mut Document) -> Option<&'static Wanted> {
    let kind = doc.id.as_ref()?.kind();
    if binding::KINDS.contains(&kind) {
        doc.binding = Some(Box::new(Binding::of(&doc.value)));
    }
    Some(wanted(kind))
}

/// `doc` given `cut`, the pruned value of another object of its lineage ([`super::repeats`]).
pub fn prune_as(doc: &mut Document, cut: &Arc<Value>) {
    if bind(doc).is_some() {
        doc.value = Arc::clone(cut);
    }
}

/// Whether `doc` prunes to what every object of its lineage does: the corpus rules read
/// neither its namespace nor the team label of its kind (both differ between tenants, and
/// nothing else does, [`super::repeats`]).
pub fn shares_cut(doc: &Document) -> bool {
    let Some(id) = &doc.id else { return false };
    let wanted = wanted(id.kind());
    !reaches(wanted, &["metadata", "namespace"])
        && !reaches(wanted, &["metadata", "labels", crate::render::TEAM_LABEL])
}

/// Whether a path of `wanted` keeps what is at `path`, or something under it.
fn reaches(wanted: &Wanted, path: &[&str]) -> bool {
    let mut at = wanted;
    for key in path {
        if at.whole {
            return true;
        }
        match at.below_key(key) {
            Some(below) => at = below,
            None => return false,
        }
    }
    true
}

/// What the corpus rules read of objects of `kind`.
fn wanted(kind: &str) -> &'static Wanted {
    let fields = fields();
    fields.by_kind.get(kind).unwrap_or(&fields.other_kinds)
}

/// The entries of `map` that paths of `wanted` go through, with what is wanted below each.
/// Without `*` below, only the named keys can be, so those few are looked up in the sorted
/// map rather than every key of it hashed.
fn below_each<'a>(
    map: &'a Map<String, Value>,
    wanted: &'a Wanted,
) -> impl Iterator<Item = (&'a str, &'a Value, &'a Wanted)> {
    let by_name = wanted.by_name(map.len());
    let named = by_name.then(|| {
        wanted
            .named
            .iter()
            .filter_map(|(k, below)| map.get_key_value(k).map(|(k, v)| (k.as_str(), v, below)))
    });
    let every = (!by_name).then(|| {
        map.iter()
            .filter_map(|(k, v)| wanted.below_key(k).map(|below| (k.as_str(), v, below)))
    });
    named
        .into_iter()
        .flatten()
        .chain(every.into_iter().flatten())
}

/// The parts of `value` on the paths `wanted`, or `None` when none is there. Array items
/// off every path become `null`, so indices (and the pointers rules report) stay those of
/// the file.
fn keep(value: Value, wanted: &Wanted) -> Option<Value> {
    if wanted.whole {
        return Some(value);
    }
    match value {
        // As in `below_each`, taken out of the mapping; the rest is dropped with it.
        Value::Object(mut map) if wanted.by_name(map.len()) => {
            let kept: Map<String, Value> = wanted
                .named
                .iter()
                .filter_map(|(key, below)| {
                    let (key, v) = map.remove_entry(key)?;
                    keep(v, below).map(|v| (key, v))
                })
                .collect();
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        Value::Object(map) => {
            let kept: Map<String, Value> = map
                .into_iter()
                .filter_map(|(key, v)| {
                    let below = wanted.below_key(&key)?;
                    keep(v, below).map(|v| (key, v))
                })
                .collect();
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        Value::Array(items) => {
            let mut any = false;
            let kept: Vec<Value> = items
                .into_iter()
                .enumerate()
                .map(
                    |(i, v)| match wanted.below_index(i).and_then(|w| keep(v, w)) {
                        Some(v) => {
                            any = true;
                            v
                        }
                        None => Value::Null,
                    },
                )
                .collect();
            any.then_some(Value::Array(kept))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

    /// `value` as lint holds it, identity read.
    fn document(value: Value) -> Document {
        Document {
            file: crate::source::SourceId::nth(0),
            index: 0,
            base: Box::default(),
            id: crate::manifest::ObjectRef::of(&value)
                .ok()
                .as_ref()
                .map(crate::lint::identity::Identity::from),
            value: Arc::new(value),
            binding: None,
        }
    }

    fn kept(value: Value, wanted: &[&str]) -> Option<Value> {
        let segs: Vec<Vec<String>> = wanted.iter().map(|p| segments(p)).collect();
        keep(value, &Wanted::of(segs.iter().map(Vec::as_slice)))
    }

    /// The cut as first written, by comparing every path at every key: the oracle for the
    /// tree of segments.
    fn kept_by_every_path(value: Value, wanted: &[&[String]]) -> Option<Value> {
        if wanted.iter().any(|p| p.is_empty()) {
            return Some(value);
        }
        let below = |key: &str, index: Option<usize>| -> Vec<&[String]> {
            wanted
                .iter()
                .filter(|p| {
                    p[0] == "*"
                        || (index.is_none() && p[0] == key)
                        || index.is_some_and(|i| {
                            p[0].as_bytes().first().is_some_and(u8::is_ascii_digit)
                                && p[0].parse() == Ok(i)
                        })
                })
                .map(|p| &p[1..])
                .collect()
        };
        match value {
            Value::Object(map) => {
                let kept: Map<String, Value> = map
                    .into_iter()
                    .filter_map(|(k, v)| {
                        let sub = below(&k, None);
                        kept_by_every_path(v, &sub).map(|v| (k, v))
                    })
                    .collect();
                (!kept.is_empty()).then_some(Value::Object(kept))
            }
            Value::Array(items) => {
                let kept: Vec<Option<Value>> = items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| kept_by_every_path(v, &below("", Some(i))))
                    .collect();
                kept.iter().any(Option::is_some).then(|| {
                    Value::Array(kept.into_iter().map(Option::unwrap_or_default).collect())
                })
            }
            _ => None,
        }
    }

    /// Values over a few keys that are also indices (`0`, `1`, `01`) and paths over the same
    /// keys and `*`: where paths overlap, branch and end inside one another.
    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![Just(Value::Null), (0..3u8).prop_map(Value::from)];
        leaf.prop_recursive(4, 40, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(prop::sample::select(KEYS.to_vec()), inner, 0..4)
                    .prop_map(|m| Value::Object(
                        m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
                    )),
            ]
        })
    }

    const KEYS: [&str; 5] = ["a", "b", "0", "1", "01"];

    fn paths() -> impl Strategy<Value = Vec<Vec<String>>> {
        let segment = prop::sample::select(vec!["a", "b", "0", "1", "01", "*"]);
        let path = prop::collection::vec(segment.prop_map(str::to_owned), 1..4);
        prop::collection::vec(path, 0..5)
    }

    proptest! {
        /// Deciding where a value lies whether its cut is a held value says what making
        /// the cut and comparing it says; its hash, taken there, is that of the cut made.
        #[test]
        fn a_cut_is_compared_and_hashed_without_being_made(
            v in value(), other in value(), paths in paths(), other_paths in paths()
        ) {
            let refs: Vec<&[String]> = paths.iter().map(Vec::as_slice).collect();
            let wanted = Wanted::of(refs.iter().copied());
            let other_refs: Vec<&[String]> = other_paths.iter().map(Vec::as_slice).collect();
            let other_wanted = Wanted::of(other_refs.iter().copied());
            let cut = keep(v.clone(), &wanted);
            let interner = Interner::default();
            prop_assert_eq!(interner.cut_hash(&v, &wanted), cut.as_ref().map(|c| interner.digest.value(c)));
            // Candidates: the cut itself, cuts of another value and by other paths, and
            // whole values.
            for candidate in [
                cut.clone(),
                keep(other.clone(), &wanted),
                keep(v.clone(), &other_wanted),
                keep(other.clone(), &other_wanted),
                Some(v.clone()),
                Some(other.clone()),
                Some(Value::Null),
                None,
            ] {
                prop_assert_eq!(
                    cut_is(&v, &wanted, candidate.as_ref()),
                    cut == candidate,
                    "{:?} against {:?}", v, candidate
                );
            }
        }

        /// Interning any sequence of values returns each one's cut, and equal cuts as one
        /// value.
        #[test]
        fn interned_cuts_are_the_cuts_and_shared(
            values in prop::collection::vec(value(), 1..12), paths in paths()
        ) {
            let refs: Vec<&[String]> = paths.iter().map(Vec::as_slice).collect();
            let wanted = Wanted::of(refs.iter().copied());
            let interner = Interner::default();
            let held: Vec<Arc<Value>> = values
                .iter()
                .map(|v| interner.intern_cut(v.clone(), &wanted))
                .collect();
            for (i, v) in values.iter().enumerate() {
                let cut = keep(v.clone(), &wanted).unwrap_or(Value::Null);
                prop_assert_eq!(held[i].as_ref(), &cut);
                for j in 0..i {
                    prop_assert_eq!(Arc::ptr_eq(&held[i], &held[j]), held[i] == held[j]);
                }
            }
        }

        #[test]
        fn the_tree_of_segments_keeps_what_every_path_compared_keeps(v in value(), paths in paths()) {
            let refs: Vec<&[String]> = paths.iter().map(Vec::as_slice).collect();
            prop_assert_eq!(
                keep(v.clone(), &Wanted::of(refs.iter().copied())),
                kept_by_every_path(v, &refs)
            );
        }
    }

    #[test]
    fn keeps_listed_paths_and_array_positions() {
        let v = serde_json::json!({
            "spec": {"templates": [
                {"name": "a", "container": {"image": "x"}},
                {"container": {"image": "y"}},
                {"name": "c", "inputs": {"parameters": [{"name": "p"}]}}
            ], "serviceAccountName": "sa"},
            "data": {"policy.json": "{}", "other": "big"}
        });
        assert_eq!(
            kept(
                v,
                &[
                    "/spec/templates/*/name",
                    "/spec/templates/*/inputs",
                    "/data/policy.json"
                ]
            ),
            Some(serde_json::json!({
                "spec": {"templates": [{"name": "a"}, null, {"name": "c", "inputs": {"parameters": [{"name": "p"}]}}]},
                "data": {"policy.json": "{}"}
            }))
        );
    }

    /// What the corpus rules read of a tenant's Namespace is the same for every tenant of a
    /// tier: one pruned value serves them all (the whole label map names the tenant, and
    /// kept one per tenant, ~4 KB each).
    #[test]
    fn tenants_namespaces_prune_to_one_value() {
        let namespace = |team: &str| {
            serde_json::json!({
                "apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": format!("{team}-prod"), "labels": {
                    "team": team, "gitops-render.dev/team": team, "tier": "medium",
                    "environment": "prod",
                    "pod-security.kubernetes.io/enforce": "baseline",
                    "pod-security.kubernetes.io/warn": "restricted"
                }}
            })
        };
        let interner = Interner::default();
        let a = interner.intern_cut(namespace("data"), wanted("Namespace"));
        let b = interner.intern_cut(namespace("ml"), wanted("Namespace"));
        assert!(Arc::ptr_eq(&a, &b), "one value held for both");
        assert_eq!(
            Some(a.as_ref().clone()),
            keep(namespace("ml"), wanted("Namespace"))
        );
        assert_eq!(
            a.pointer("/metadata/labels/pod-security.kubernetes.io~1enforce"),
            Some(&serde_json::json!("baseline"))
        );
        assert_eq!(
            a.pointer("/metadata/labels/environment"),
            Some(&serde_json::json!("prod"))
        );
    }

    /// Every tenant's RoleBinding of a role prunes to one shared value, its subjects (which
    /// name the tenant) kept beside it as facts.
    #[test]
    fn tenants_bindings_share_a_value_and_keep_their_subjects() {
        let interner = Interner::default();
        let binding = |team: &str| {
            let value = serde_json::json!({
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                "metadata": {"name": "developer", "namespace": format!("{team}-prod"), "labels": {
                    "app.kubernetes.io/managed-by": "gitops-render", "gitops-render.dev/team": team
                }},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "developer"},
                "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": format!("{team}-devs")}]
            });
            let mut doc = document(value);
            prune(&mut doc, &interner);
            doc
        };
        let (data, ml) = (binding("data"), binding("ml"));
        assert!(Arc::ptr_eq(&data.value, &ml.value));
        assert_eq!(data.value.get("subjects"), None);
        assert_eq!(
            data.label("app.kubernetes.io/managed-by"),
            Some("gitops-render")
        );
        let names = |d: &Document| -> Vec<String> {
            d.binding()
                .subjects
                .iter()
                .filter_map(|s| s.name.as_deref().map(str::to_owned))
                .collect()
        };
        assert_eq!(names(&data), ["data-devs"]);
        assert_eq!(names(&ml), ["ml-devs"]);
        assert_eq!(ml.binding().role_name.as_deref(), Some("developer"));
    }

    /// What lets objects of one lineage share a cut: for every kind, when `shares_cut`
    /// says so, the cuts of two objects that differ in namespace and team label (and
    /// nothing else) are equal; and kinds whose cut holds either are told apart.
    #[test]
    fn a_shared_cut_holds_neither_namespace_nor_team() {
        let object = |kind: &str, ns: &str, team: &str| {
            let value = serde_json::json!({
                "apiVersion": "v1", "kind": kind,
                "metadata": {"name": "x", "namespace": ns, "labels": {
                    crate::render::TEAM_LABEL: team, "team": "shared"
                }, "annotations": {IGNORE_ANNOTATION: "some-rule"}},
                "spec": {"podSelector": {}, "hard": {"pods": "4"}, "template": {"spec": {}}}
            });
            document(value)
        };
        let mut kinds: Vec<&str> = fields().by_kind.keys().copied().collect();
        kinds.extend(["ConfigMap", "WorkflowTemplate"]);
        let mut shared = 0;
        for kind in kinds {
            let (a, b) = (
                object(kind, "a-prod", "team-a"),
                object(kind, "b-prod", "team-b"),
            );
            let cut = |d: &Document| keep(d.value.as_ref().clone(), wanted(kind));
            if shares_cut(&a) {
                shared += 1;
                assert_eq!(cut(&a), cut(&b), "{kind}");
            }
            let reads = |path: &str| {
                let v = cut(&a);
                v.as_ref().and_then(|v| v.pointer(path)).is_some()
            };
            let team = format!(
                "/metadata/labels/{}",
                crate::render::TEAM_LABEL.replace('/', "~1")
            );
            if reads("/metadata/namespace") || reads(&team) {
                assert!(!shares_cut(&a), "{kind}");
            }
        }
        assert!(shared >= 2, "only {shared} kinds share a cut");
        // A kind read whole, or under `*`, reaches the namespace.
        let of = |paths: &[&str]| {
            let segs: Vec<Vec<String>> = paths.iter().map(|p| segments(p)).collect();
            Wanted::of(segs.iter().map(Vec::as_slice))
        };
        let ns = ["metadata", "namespace"];
        assert!(reaches(&of(&[""]), &ns));
        assert!(reaches(&of(&["/metadata"]), &ns));
        assert!(reaches(&of(&["/metadata/*"]), &ns));
        assert!(reaches(&of(&["/metadata/namespace/x"]), &ns));
        assert!(!reaches(&of(&["/metadata/name", "/spec"]), &ns));
    }

    #[test]
    fn escaped_segments_and_missing_paths() {
        let v = serde_json::json!({"metadata": {"labels": {"a/b": "1", "c": "2"}}});
        assert_eq!(
            kept(v.clone(), &["/metadata/labels/a~1b"]),
            Some(serde_json::json!({"metadata": {"labels": {"a/b": "1"}}}))
        );
        assert_eq!(kept(v, &["/spec", "/metadata/name"]), None);
    }
}
