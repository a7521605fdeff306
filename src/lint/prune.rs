//! Documents cut down to what the corpus rules read. A streaming lint keeps every document
//! of the tree until the corpus rules have run, so it keeps them pruned: at N = 10,000 a
//! full value is ~10 KB and a pruned one is its identity plus a field or two.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use serde_json::{Map, Value};
use xxhash_rust::xxh3::Xxh3Builder;

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
pub struct Interner {
    shared: Mutex<HashMap<u64, Vec<Arc<Value>>>>,
    /// XXH3, not std's SipHash: a pruned pod-bearing object is kilobytes. Seeded per run,
    /// as SipHash is, so that no input can be made of values that all collide.
    hasher: Xxh3Builder,
}

impl Default for Interner {
    fn default() -> Interner {
        let seed = std::hash::RandomState::new().build_hasher().finish();
        Interner {
            shared: Mutex::default(),
            hasher: Xxh3Builder::new().with_seed(seed),
        }
    }
}

impl Interner {
    fn intern(&self, value: Value) -> Arc<Value> {
        let mut hasher = self.hasher.build_hasher();
        hash_value(&value, &mut hasher);
        let mut shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        let same_hash = shared.entry(hasher.finish()).or_default();
        if let Some(found) = same_hash.iter().find(|v| ***v == value) {
            return Arc::clone(found);
        }
        let value = Arc::new(value);
        same_hash.push(Arc::clone(&value));
        value
    }
}

/// Hash a value as written (map keys in their order; equal values in another key order
/// only miss a chance to share).
fn hash_value(value: &Value, h: &mut impl Hasher) {
    match value {
        Value::Null => 0u8.hash(h),
        Value::Bool(b) => (1u8, b).hash(h),
        Value::Number(n) => (2u8, n).hash(h),
        Value::String(s) => (3u8, s).hash(h),
        Value::Array(items) => {
            (4u8, items.len()).hash(h);
            items.iter().for_each(|v| hash_value(v, h));
        }
        Value::Object(map) => {
            (5u8, map.len()).hash(h);
            for (k, v) in map {
                k.hash(h);
                hash_value(v, h);
            }
        }
    }
}

/// Cut `doc`'s value down to the fields the corpus rules read, shared through `interner`;
/// a binding's role and subjects are kept as facts beside it ([`super::binding`]). A
/// document without an identity is kept whole: rules fall back to its value for kind, name
/// and namespace.
pub fn prune(doc: &mut Document, interner: &Interner) {
    let Some(id) = &doc.id else { return };
    if binding::KINDS.contains(&id.kind()) {
        doc.binding = Some(Box::new(Binding::of(&doc.value)));
    }
    let value = Arc::try_unwrap(std::mem::take(&mut doc.value)).unwrap_or_else(|v| (*v).clone());
    doc.value = interner.intern(pruned(value, id.kind()));
}

/// `value`, an object of `kind`, cut down to what the corpus rules read of that kind.
fn pruned(value: Value, kind: &str) -> Value {
    let fields = fields();
    let wanted = fields.by_kind.get(kind).unwrap_or(&fields.other_kinds);
    keep(value, wanted).unwrap_or(Value::Null)
}

/// The parts of `value` on the paths `wanted`, or `None` when none is there. Array items
/// off every path become `null`, so indices (and the pointers rules report) stay those of
/// the file.
fn keep(value: Value, wanted: &Wanted) -> Option<Value> {
    if wanted.whole {
        return Some(value);
    }
    match value {
        // Without `*` below, only the named keys can be kept: take those few out of the
        // mapping (a sorted map's lookups) rather than hash every key of it. The rest is
        // dropped with the mapping either way.
        Value::Object(mut map) if wanted.any.is_none() && wanted.named.len() < map.len() => {
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
        let a = pruned(namespace("data"), "Namespace");
        assert_eq!(a, pruned(namespace("ml"), "Namespace"));
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
            let mut doc = Document {
                file: crate::source::SourceId::nth(0),
                index: 0,
                base: Box::default(),
                id: crate::manifest::ObjectRef::of(&value)
                    .ok()
                    .as_ref()
                    .map(crate::lint::identity::Identity::from),
                value: Arc::new(value),
                binding: None,
            };
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
