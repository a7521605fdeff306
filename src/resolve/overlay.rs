//! Overlay merge with provenance.
//!
//! The rules: mappings merge key by key; lists and scalars replace; `null` removes the key.
//! Each leaf of the result (scalar, list, empty mapping) remembers which file and which
//! JSON pointer in that file it came from, which is what `explain` prints and what
//! diagnostics about merged values point at.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde_json::{Map, Value};

use crate::source::{pointer_push, SourceId};

/// Where the leaf at a pointer of an overlaid value comes from. Shared between threads: a
/// large mapping's entries are copied and their leaves listed in parallel ([`replace`]).
///
/// [`replace`]: Layered::replace
type Origins<'a> = dyn Fn(&str) -> Option<Origin> + Sync + 'a;

/// Leaves' pointers with their origins, in no particular order.
type Leaves = Vec<(String, Origin)>;

/// Where a value came from: a file and the JSON pointer of the value in it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Origin {
    pub source: SourceId,
    pub pointer: String,
}

/// A value built from layers, with the origin of every leaf (keyed by JSON pointer into
/// `value`).
#[derive(Clone, Debug, PartialEq)]
pub struct Layered {
    pub value: Value,
    pub origins: BTreeMap<String, Origin>,
}

impl Default for Layered {
    fn default() -> Self {
        Layered {
            value: Value::Object(Map::new()),
            origins: BTreeMap::new(),
        }
    }
}

impl Layered {
    /// A first layer: `value` as found at `pointer` of file `source`. Nulls in it are dropped.
    pub fn from_file(value: &Value, source: SourceId, pointer: &str) -> Self {
        let (value, leaves) = stripped_with_leaves(value, "", &in_file(source, pointer));
        Layered {
            value,
            origins: leaves.into_iter().collect(),
        }
    }

    /// Merge `over` (found at `pointer` of file `source`) over this value.
    pub fn overlay_file(&mut self, over: &Value, source: SourceId, pointer: &str) {
        self.overlay_at("", over, &in_file(source, pointer));
    }

    /// Merge another layered value over this one, keeping the other's origins.
    pub fn overlay_layered(&mut self, over: &Layered) {
        self.overlay_at("", &over.value, &|rel: &str| over.origins.get(rel).cloned());
    }

    fn overlay_at(&mut self, at: &str, over: &Value, origin: &Origins<'_>) {
        let Value::Object(over_map) = over else {
            // A non-mapping layer replaces the whole value.
            self.replace(at, over, origin);
            return;
        };
        let base_is_map = pointer_mut(&mut self.value, at).is_some_and(|v| v.is_object());
        if !base_is_map {
            self.replace(at, over, origin);
            return;
        }
        for (key, v) in over_map {
            let child = pointer_push(at, key);
            if v.is_null() {
                if let Some(Value::Object(m)) = pointer_mut(&mut self.value, at) {
                    m.remove(key);
                }
                remove_under(&mut self.origins, &child);
                continue;
            }
            let both_maps = v.is_object()
                && pointer_mut(&mut self.value, &child).is_some_and(|b| b.is_object());
            if both_maps {
                self.overlay_at(&child, v, origin);
            } else {
                self.replace(&child, v, origin);
            }
        }
        // An empty mapping is a leaf: it gains an origin when emptied, loses it when filled.
        let now_empty = pointer_mut(&mut self.value, at)
            .is_some_and(|v| v.as_object().is_some_and(|m| m.is_empty()));
        if !now_empty {
            self.origins.remove(at);
        } else if !self.origins.contains_key(at) {
            if let Some(o) = origin(at) {
                self.origins.insert(at.to_owned(), o);
            }
        }
    }

    fn replace(&mut self, at: &str, v: &Value, origin: &Origins<'_>) {
        let (v, leaves) = stripped_with_leaves(v, at, origin);
        remove_under(&mut self.origins, at);
        add_all(&mut self.origins, leaves);
        if at.is_empty() {
            self.value = v;
            return;
        }
        let (parent, key) = split_last(at);
        if let Some(Value::Object(m)) = pointer_mut(&mut self.value, parent) {
            m.insert(key, v);
        }
    }

    /// The sub-value at `pointer` moved out, with its origins re-rooted there: what
    /// [`Layered::sub`] copies, without the copy (an environment's tenants are ~20 MB of
    /// values at N = 10,000).
    pub fn take(&mut self, pointer: &str) -> Option<Layered> {
        let (parent, key) = split_last(pointer);
        let value = if pointer.is_empty() {
            std::mem::replace(&mut self.value, Value::Object(Map::new()))
        } else {
            pointer_mut(&mut self.value, parent)?
                .as_object_mut()?
                .remove(&key)?
        };
        // Origins are sorted: those under `pointer` are among the keys from it on, and
        // stay sorted with it taken off the front.
        let mut under = Vec::new();
        let mut after = Vec::new();
        for (p, o) in self.origins.split_off(pointer) {
            match p.strip_prefix(pointer) {
                Some(rest) if rest.is_empty() || rest.starts_with('/') => {
                    under.push((rest.to_owned(), o));
                }
                _ => after.push((p, o)),
            }
        }
        add_all(&mut self.origins, after);
        Some(Layered {
            value,
            origins: under.into_iter().collect(),
        })
    }

    /// The sub-value at `pointer` with its origins re-rooted there.
    pub fn sub(&self, pointer: &str) -> Option<Layered> {
        let value = self.value.pointer(pointer)?.clone();
        // Origins are sorted: those under `pointer` form one range (not a scan of all of them,
        // which made resolving N tenants quadratic).
        let origins = self
            .origins
            .range::<str, _>((
                std::ops::Bound::Included(pointer),
                std::ops::Bound::Unbounded,
            ))
            .take_while(|(p, _)| p.starts_with(pointer))
            .filter_map(|(p, o)| {
                let rest = &p[pointer.len()..];
                (rest.is_empty() || rest.starts_with('/')).then(|| (rest.to_owned(), o.clone()))
            })
            .collect();
        Some(Layered { value, origins })
    }

    /// The origin of `pointer`: its own, its nearest recorded ancestor's (a leaf that is a
    /// list), or else its first recorded descendant's (a mapping built from leaves).
    pub fn origin_of(&self, pointer: &str) -> Option<&Origin> {
        let mut p = pointer;
        loop {
            if let Some(o) = self.origins.get(p) {
                return Some(o);
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => break,
            }
        }
        let prefix = format!("{pointer}/");
        self.origins
            .range(prefix.clone()..)
            .next()
            .filter(|(k, _)| k.starts_with(&prefix))
            .map(|(_, o)| o)
    }
}

/// Leaves are scalars, lists and empty mappings; a list is one leaf because lists replace.
/// The origins of a value found at `pointer` of file `source`.
fn in_file(source: SourceId, pointer: &str) -> impl Fn(&str) -> Option<Origin> + Sync + '_ {
    move |rel: &str| {
        Some(Origin {
            source,
            pointer: format!("{pointer}{rel}"),
        })
    }
}

fn leaves_of(v: &Value, at: &str, origin: &Origins<'_>, out: &mut Leaves) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, child) in m {
                leaves_of(child, &pointer_push(at, k), origin, out);
            }
        }
        _ => {
            if let Some(o) = origin(at) {
                out.push((at.to_owned(), o));
            }
        }
    }
}

/// `v` without null mapping values (see [`strip_nulls`]) and its leaves' origins, at `at`.
/// A mapping of many entries — an environment's tenants, copied and listed on the main
/// thread before anything else runs, ~40 ms at N = 10,000 — is done entry by entry on
/// every thread.
fn stripped_with_leaves(v: &Value, at: &str, origin: &Origins<'_>) -> (Value, Leaves) {
    const PARALLEL_FROM: usize = 256;
    let mut leaves = Vec::new();
    let m = match v {
        Value::Object(m) if m.len() >= PARALLEL_FROM => m,
        _ => {
            let v = strip_nulls(v);
            leaves_of(&v, at, origin, &mut leaves);
            return (v, leaves);
        }
    };
    let entries: Vec<(&String, &Value)> = m.iter().filter(|(_, v)| !v.is_null()).collect();
    let parts: Vec<(String, Value, Leaves)> = entries
        .into_par_iter()
        .map(|(k, child)| {
            let child = strip_nulls(child);
            let mut leaves = Vec::new();
            leaves_of(&child, &pointer_push(at, k), origin, &mut leaves);
            (k.clone(), child, leaves)
        })
        .collect();
    let mut map = Map::new();
    for (k, child, part) in parts {
        map.insert(k, child);
        leaves.extend(part);
    }
    let v = Value::Object(map);
    if v.as_object().is_some_and(Map::is_empty) {
        // Every entry was null: the empty mapping is the leaf.
        leaves_of(&v, at, origin, &mut leaves);
    }
    (v, leaves)
}

/// Add `new` to `origins` (a later entry for a key wins, as with `insert`). Many at once —
/// an environment's tenants, ~50,000 leaves at N = 10,000, overlaid on the main thread
/// before anything runs in parallel — are built into a tree from their sorted order and
/// merged in one pass rather than inserted one search at a time.
fn add_all(origins: &mut BTreeMap<String, Origin>, new: Leaves) {
    if new.len() < 64 || new.len() < origins.len() / 8 {
        origins.extend(new);
        return;
    }
    let mut bulk: BTreeMap<String, Origin> = new.into_iter().collect();
    origins.append(&mut bulk);
}

fn remove_under(origins: &mut BTreeMap<String, Origin>, at: &str) {
    if at.is_empty() {
        origins.clear();
        return;
    }
    origins.remove(at);
    let prefix = format!("{at}/");
    let doomed: Vec<String> = origins
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(k, _)| k.clone())
        .collect();
    for k in doomed {
        origins.remove(&k);
    }
}

/// A copy of `v` without null mapping values, also inside list items (a null in a new
/// layer removes nothing, it only means "unset").
pub fn strip_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), strip_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(strip_nulls).collect()),
        other => other.clone(),
    }
}

fn split_last(pointer: &str) -> (&str, String) {
    let i = pointer.rfind('/').unwrap_or(0);
    let key = pointer[i + 1..].replace("~1", "/").replace("~0", "~");
    (&pointer[..i], key)
}

fn pointer_mut<'a>(v: &'a mut Value, pointer: &str) -> Option<&'a mut Value> {
    if pointer.is_empty() {
        Some(v)
    } else {
        v.pointer_mut(pointer)
    }
}

/// Merge `over` over `base` with the same rules, without provenance.
pub fn merge(base: &Value, over: &Value) -> Value {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            let Value::Object(mut out) = strip_nulls(&Value::Object(b.clone())) else {
                unreachable!("strip_nulls keeps a mapping a mapping")
            };
            for (k, v) in o {
                if v.is_null() {
                    out.remove(k);
                } else if let Some(existing) = out.get(k) {
                    let merged = merge(existing, v);
                    out.insert(k.clone(), merged);
                } else {
                    out.insert(k.clone(), strip_nulls(v));
                }
            }
            Value::Object(out)
        }
        (_, o) => strip_nulls(o),
    }
}

impl Layered {
    /// The file and the pointer inside it that produced `pointer` of this value: exact for
    /// leaves, extended for positions inside a list leaf, trimmed for a mapping assembled
    /// from several leaves (its first leaf's file is used).
    pub fn file_pointer(&self, pointer: &str) -> Option<(SourceId, String)> {
        let mut p = pointer;
        loop {
            if let Some(o) = self.origins.get(p) {
                return Some((o.source, format!("{}{}", o.pointer, &pointer[p.len()..])));
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => break,
            }
        }
        let prefix = format!("{pointer}/");
        let (leaf, o) = self
            .origins
            .range(prefix.clone()..)
            .next()
            .filter(|(k, _)| k.starts_with(&prefix))?;
        let extra = &leaf[pointer.len()..];
        let file_ptr = o
            .pointer
            .strip_suffix(extra)
            .unwrap_or(&o.pointer)
            .to_owned();
        Some((o.source, file_ptr))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ids() -> (SourceId, SourceId) {
        let mut s = crate::source::Sources::new();
        (s.add("a.yaml", ""), s.add("b.yaml", ""))
    }

    #[test]
    fn take_moves_out_what_sub_copies_and_leaves_the_rest() {
        let (a, b) = ids();
        let mut l = Layered::from_file(
            &json!({
                "tenants": {"data": {"tier": "small"}, "a/b": {"tier": "large"}},
                "tenants-x": {"k": 1},
                "tenant": 2,
                "z": 3,
            }),
            a,
            "/spec",
        );
        l.overlay_file(
            &json!({"tenants": {"data": {"tier": "medium"}}}),
            b,
            "/spec",
        );
        let before = l.clone();
        let copied = l.sub("/tenants").expect("present");
        let taken = l.take("/tenants").expect("present");
        assert_eq!(taken, copied);
        assert_eq!(taken.origins["/data/tier"].source, b);
        assert_eq!(taken.origins["/a~1b/tier"].source, a);
        // The rest is as it was, keys that only begin like the pointer included.
        assert_eq!(l.value, json!({"tenants-x": {"k": 1}, "tenant": 2, "z": 3}));
        let rest: Vec<&str> = l.origins.keys().map(String::as_str).collect();
        assert_eq!(rest, ["/tenant", "/tenants-x/k", "/z"]);
        assert_eq!(l.sub("/z"), before.sub("/z"));
        assert!(l.take("/tenants").is_none());
        // A key with an escaped `/` is taken by its pointer.
        let mut m = before.clone();
        let one = m.take("/tenants/a~1b").expect("present");
        assert_eq!(one.value, json!({"tier": "large"}));
        assert_eq!(one.origins["/tier"].pointer, "/spec/tenants/a~1b/tier");
        assert!(m.value["tenants"].get("a/b").is_none());
    }

    #[test]
    fn maps_merge_lists_replace_null_removes() {
        let (a, b) = ids();
        let mut l = Layered::from_file(
            &json!({"m": {"x": 1, "y": 2}, "l": [1, 2], "gone": true}),
            a,
            "/spec",
        );
        l.overlay_file(&json!({"m": {"y": 3}, "l": [9], "gone": null}), b, "/spec");
        assert_eq!(l.value, json!({"m": {"x": 1, "y": 3}, "l": [9]}));
        assert_eq!(
            l.origins["/m/x"],
            Origin {
                source: a,
                pointer: "/spec/m/x".into()
            }
        );
        assert_eq!(
            l.origins["/m/y"],
            Origin {
                source: b,
                pointer: "/spec/m/y".into()
            }
        );
        assert_eq!(l.origins["/l"].source, b);
        assert!(!l.origins.contains_key("/gone"));
    }

    #[test]
    fn file_pointer_reaches_into_lists_and_mappings() {
        let (a, b) = ids();
        let mut l = Layered::from_file(&json!({"l": [{"k": 1}], "m": {"x": 1}}), a, "/spec");
        l.overlay_file(&json!({"m": {"x": 2}}), b, "/spec/overrides");
        assert_eq!(l.file_pointer("/l/0/k"), Some((a, "/spec/l/0/k".into())));
        assert_eq!(l.file_pointer("/m"), Some((b, "/spec/overrides/m".into())));
    }

    #[test]
    fn sub_reroots_origins() {
        let (a, _) = ids();
        let l = Layered::from_file(&json!({"tenants": {"data": {"tier": "small"}}}), a, "/spec");
        let t = l.sub("/tenants/data").expect("present");
        assert_eq!(t.value, json!({"tier": "small"}));
        assert_eq!(t.origins["/tier"].pointer, "/spec/tenants/data/tier");
    }

    /// An environment's tenants overlaid at once (hundreds of leaves, merged into the
    /// origins in one pass) and then taken out: every leaf has the origin of the layer that
    /// set it, as inserting them one at a time gives.
    #[test]
    fn many_leaves_at_once_keep_the_origin_of_the_layer_that_set_each() {
        let (a, b) = ids();
        let mut tenants: Map<String, Value> = (0..300)
            .map(|i| {
                let entry =
                    json!({"tier": "small", "owners": ["x"], "labels": {"n": i, "gone": null}});
                (format!("team-{i:03}"), entry)
            })
            .collect();
        // Nulls in a new layer only mean "unset".
        tenants.insert("team-300".into(), Value::Null);
        let mut l = Layered::from_file(
            &json!({"pack": {"x": 1}, "tenantsAfter": {"y": 2}}),
            a,
            "/spec",
        );
        // No tenants below: the whole mapping is new, its leaves merged in one pass.
        l.overlay_file(&json!({"tenants": tenants, "zeta": 3}), b, "/spec");
        let team = json!({"tenants": {"team-000": {"tier": "large", "old": 1}}});
        l.overlay_file(&team, a, "/spec");
        let mut leaves = Vec::new();
        leaves_of(
            &l.value,
            "",
            &|_| {
                Some(Origin {
                    source: a,
                    pointer: String::new(),
                })
            },
            &mut leaves,
        );
        assert_eq!(leaves.len(), 3 + 300 * 3 + 1);
        let from_a = [
            "/pack/x",
            "/tenants/team-000/old",
            "/tenants/team-000/tier",
            "/tenantsAfter/y",
        ];
        let expected: BTreeMap<String, Origin> = leaves
            .into_iter()
            .map(|(p, _)| {
                let source = if from_a.contains(&p.as_str()) { a } else { b };
                let origin = Origin {
                    source,
                    pointer: format!("/spec{p}"),
                };
                (p, origin)
            })
            .collect();
        assert_eq!(l.origins, expected);
        assert!(l.value["tenants"].get("team-300").is_none());
        assert_eq!(l.value["tenants"]["team-001"]["labels"], json!({"n": 1}));
        // A large mapping of nulls only is an empty mapping: one leaf.
        let nulls: Map<String, Value> = (0..300).map(|i| (format!("k{i}"), Value::Null)).collect();
        let mut n = Layered::default();
        n.overlay_file(&json!({"nulls": nulls}), b, "/spec");
        assert_eq!(n.value, json!({"nulls": {}}));
        assert_eq!(n.origins.keys().collect::<Vec<_>>(), ["/nulls"]);
        let taken = l.take("/tenants").expect("present");
        assert_eq!(taken.origins.len(), 300 * 3 + 1);
        assert_eq!(taken.origins["/team-000/old"].source, a);
        assert_eq!(taken.origins["/team-000/tier"].source, a);
        assert_eq!(taken.origins["/team-001/tier"].source, b);
        assert_eq!(
            taken.origins["/team-299/labels/n"].pointer,
            "/spec/tenants/team-299/labels/n"
        );
        assert_eq!(
            l.origins.keys().collect::<Vec<_>>(),
            ["/pack/x", "/tenantsAfter/y", "/zeta"]
        );
    }
}
